; The names a JavaScript or TypeScript function binds in its own scope (see
; python-locals.scm): declared variables, nested functions and classes, parameters of the
; callbacks inside it (not symbols of their own), a caught error, a loop's variable.
(variable_declarator name: (identifier) @local)
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @local))
(variable_declarator name: (object_pattern (pair_pattern value: (identifier) @local)))
(variable_declarator name: (array_pattern (identifier) @local))
(function_declaration name: (identifier) @local)
(generator_function_declaration name: (identifier) @local)
(class_declaration name: (_) @local)
(catch_clause parameter: (identifier) @local)
(for_in_statement left: (identifier) @local)
(arrow_function parameter: (identifier) @local)
