; The names a function binds in its own scope, read only for the functions that write an
; item or attribute of a name (extract.py): `d[k] = v` writes the function's own dict when
; `d` is bound here, the module's when it is not. @declared: `global` and `nonlocal` names,
; which are bound outside. An imported name is not the function's own: a module's
; attributes are everyone's (`import os; os.environ["A"] = "1"` writes beyond it).
(assignment left: (identifier) @local)
(assignment left: (pattern_list (identifier) @local))
(assignment left: (tuple_pattern (identifier) @local))
(assignment left: (list_pattern (identifier) @local))
(augmented_assignment left: (identifier) @local)
(for_statement left: (identifier) @local)
(for_statement left: (pattern_list (identifier) @local))
(for_statement left: (tuple_pattern (identifier) @local))
(for_in_clause left: (identifier) @local)
(for_in_clause left: (pattern_list (identifier) @local))
(for_in_clause left: (tuple_pattern (identifier) @local))
(as_pattern_target (identifier) @local)
(named_expression name: (identifier) @local)
(function_definition name: (identifier) @local)
(class_definition name: (identifier) @local)
(global_statement (identifier) @declared)
(nonlocal_statement (identifier) @declared)
; Where a function gives its value back (read for a fixture's: extract.py keeps what it gives
; only when every one of them is a statement of its body that says the same).
(return_statement) @exit
(yield) @exit
