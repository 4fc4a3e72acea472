; JavaScript's parameters (see ecmascript-locals.scm).
(formal_parameters (identifier) @local)
(formal_parameters (assignment_pattern left: (identifier) @local))
(formal_parameters (rest_pattern (identifier) @local))
(formal_parameters (object_pattern (shorthand_property_identifier_pattern) @local))
