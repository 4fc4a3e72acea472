; Names JavaScript's parameters bind (TypeScript's are typescript-sites.scm's
; `required_parameter`s): what they hold is not known, and they shadow the file's own
; definitions of those names (luxon's tests: `function strategy(args, local)`).
(formal_parameters (identifier) @bind.name)
(formal_parameters (assignment_pattern left: (identifier) @bind.name))
