; Call sites in an open Rust document, for diagnostics and fixes (see python-sites.scm for the
; captures). A Rust call passes its arguments by position; a path `a::b::f` is read as `a.b.f`
; (sites.py), a method call `x.m(...)` as in the other languages.
(call_expression function: (_) @call.callee arguments: (arguments) @call.args)

; The standard macros whose arguments are expressions (`assert_eq!(f(x), 2)`, `format!("{}", g())`):
; tree-sitter reads a macro's arguments as tokens; sites.py reads them again as a call's, the
; `!` given as `_` (every byte where it was).
((macro_invocation macro: (identifier) @call.macro "!" @call.bang (token_tree . "("))
  (#any-of? @call.macro "assert" "assert_eq" "assert_ne" "debug_assert" "debug_assert_eq"
    "debug_assert_ne" "println" "print" "eprintln" "eprint" "format" "write" "writeln" "panic"
    "dbg" "todo" "unreachable" "unimplemented"))

; Closures: kairos names no scope for them.
(closure_expression) @unnamed.scope

; Names a scope binds, so that `x.m()` can be judged when x's type is known, and so that a name
; a function binds is not taken for the module's: typed parameters, `let x: T`, `let x = T::new()`,
; and every name a pattern binds, whose value is unknown (`let (a, b)`, `Some(v) =>`, `for x in`,
; a closure's `|a, b|`).
(parameter pattern: (identifier) @bind.name type: (_) @bind.type)
(let_declaration pattern: (identifier) @bind.name type: (_) @bind.type)
(let_declaration pattern: (identifier) @bind.name !type value: (_) @bind.value)
(let_declaration pattern: (identifier) @bind.name !type !value)
(tuple_pattern (identifier) @bind.name)
(tuple_struct_pattern (identifier) @bind.name)
(field_pattern name: (shorthand_field_identifier) @bind.name)
(field_pattern pattern: (identifier) @bind.name)
(slice_pattern (identifier) @bind.name)
(ref_pattern (identifier) @bind.name)
(mut_pattern (identifier) @bind.name)
(captured_pattern (identifier) @bind.name)
(match_pattern (identifier) @bind.name)
(or_pattern (identifier) @bind.name)
(closure_parameters (identifier) @bind.name)
(closure_parameters (parameter pattern: (identifier) @bind.name))
(for_expression pattern: (identifier) @bind.name)
