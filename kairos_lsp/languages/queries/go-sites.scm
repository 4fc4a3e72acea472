; Call sites in an open Go document, for diagnostics and fixes (see python-sites.scm for the
; captures). A Go call passes no keywords; `xs...` spreads a slice into the variadic parameter.
(call_expression function: (_) @call.callee arguments: (argument_list) @call.args)
(argument_list (variadic_argument) @call.spread)
; A call that is the only argument passes every value it returns (`f(g())`): how many, the
; memory does not say (the parameters the callee had when the call was written do).
(argument_list . (call_expression) @call.results .)

; Function literals: kairos names no scope for them.
(func_literal) @unnamed.scope

; Names a scope binds, so that `x.m()` can be judged when x's type is known, and so that a
; name a function binds is not taken for the package's: parameters (a method's receiver too),
; `x := ...` (the first name takes the first value: `s, err := NewServer()`), `var x T`, a
; range loop's names.
(parameter_declaration name: (identifier) @bind.name type: (_) @bind.type)
(variadic_parameter_declaration name: (identifier) @bind.name)
(short_var_declaration left: (expression_list . (identifier) @bind.name) right: (expression_list . (_) @bind.value))
(short_var_declaration left: (expression_list (_) . (identifier) @bind.name))
(var_spec name: (identifier) @bind.name type: (_) @bind.type)
(var_spec name: (identifier) @bind.name !type value: (expression_list . (_) @bind.value))
(var_spec name: (identifier) @bind.name !type !value)
(range_clause left: (expression_list (identifier) @bind.name))
(assignment_statement left: (expression_list . (identifier) @bind.name) right: (expression_list . (_) @bind.value))
