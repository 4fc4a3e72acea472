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

; A member assigned (`api.fetch = vi.fn()` in a test): a call of it there is of what it holds.
(assignment_expression left: (member_expression) @assigned.member)
