; Shared by JavaScript, TypeScript and TSX (loaded after each one's own file).

; Dynamic `import('./x')`.
(call_expression function: (import) arguments: (arguments . (string) @import.module)) @import

; CommonJS: `const x = require('x')`, `const { a, b: c } = require('x')`, bare `require('x')`.
((variable_declarator name: (identifier) @import.alias
   value: (call_expression function: (identifier) @_req arguments: (arguments . (string) @import.module))) @import
  (#eq? @_req "require"))
((variable_declarator name: (object_pattern [
    (shorthand_property_identifier_pattern) @import.name
    (pair_pattern key: (_) @import.name value: (identifier) @import.alias)])
   value: (call_expression function: (identifier) @_req arguments: (arguments . (string) @import.module))) @import
  (#eq? @_req "require"))
((expression_statement (call_expression function: (identifier) @_req
   arguments: (arguments . (string) @import.module))) @import
  (#eq? @_req "require"))

; Throws: `throw new X()`, `throw X()`, `throw err`.
(throw_statement (new_expression constructor: (_) @raise.name)) @raise
(throw_statement (call_expression function: (_) @raise.name)) @raise
(throw_statement [(identifier) (member_expression)] @raise.name) @raise
