; TypeScript's parameters (see ecmascript-locals.scm).
(required_parameter pattern: (identifier) @local)
(optional_parameter pattern: (identifier) @local)
(required_parameter pattern: (rest_pattern (identifier) @local))
(required_parameter pattern: (object_pattern (shorthand_property_identifier_pattern) @local))
