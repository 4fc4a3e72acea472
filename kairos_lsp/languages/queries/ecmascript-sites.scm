; Call sites and imported names in an open document (JavaScript, TypeScript, TSX).
(call_expression function: (_) @call.callee arguments: (arguments) @call.args)
(new_expression constructor: (_) @call.callee arguments: (arguments) @call.args)
(arguments (spread_element) @call.spread)

(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @import.name !alias)))
  source: (string (string_fragment) @import.module))
(import_statement
  (import_clause (named_imports (import_specifier name: (identifier) @import.name alias: (identifier) @import.alias)))
  source: (string (string_fragment) @import.module))

; Functions kairos names no scope for (a test's callback): what is declared in one is seen there only.
[(arrow_function) (function_expression) (generator_function)] @unnamed.scope

; A member assigned (`api.fetch = vi.fn()` in a test): a call of it there is of what it holds.
(assignment_expression left: (member_expression) @assigned.member)
; Names a scope binds, in every dialect (see python-sites.scm for the captures; the typed ones
; are typescript-sites.scm's, JavaScript's plain parameters javascript-sites.scm's).
(variable_declarator name: (identifier) @bind.name value: (_) @bind.value)
; names a destructuring binds, at any depth, in a declaration, a parameter or a loop (redux's
; `const { incrementByAmount } = slice.actions`; effect's `([executor]) => executor.run()` is not
; its `import * as executor`; apollo's `const [, { updateQuery }] = await takeSnapshot()`): what
; they hold is not known, and they shadow the file's own definitions of those names
(object_pattern (shorthand_property_identifier_pattern) @bind.name)
(object_pattern (pair_pattern value: (identifier) @bind.name))
(object_assignment_pattern left: (shorthand_property_identifier_pattern) @bind.name)
(array_pattern (identifier) @bind.name)
(array_pattern (assignment_pattern left: (identifier) @bind.name))
(pair_pattern value: (assignment_pattern left: (identifier) @bind.name))
(rest_pattern (identifier) @bind.name)
; an arrow function's one parameter written bare (`resolve => resolve(x)`)
(arrow_function parameter: (identifier) @bind.name)
; a loop's variable (`for (const f of makers) f()`)
(for_in_statement left: (identifier) @bind.name)
(assignment_expression left: (identifier) @bind.name right: (_) @bind.value)
(assignment_expression left: (member_expression object: (this) property: (property_identifier) @bind.attr)
  right: (_) @bind.value)
