; Names a scope binds (TypeScript, TSX), so that `x.m()` / `this.a.m()` can be
; judged when the receiver's class is known. See python-sites.scm for the captures.
(required_parameter pattern: (identifier) @bind.name !type)
(required_parameter pattern: (identifier) @bind.name type: (type_annotation (_) @bind.type))
(optional_parameter pattern: (identifier) @bind.name type: (type_annotation (_) @bind.type))
; constructor(private client: Client): a parameter property is also this.client
(required_parameter (accessibility_modifier) pattern: (identifier) @bind.attr
  type: (type_annotation (_) @bind.type))
(public_field_definition name: (property_identifier) @bind.attr type: (type_annotation (_) @bind.type))
(public_field_definition name: (property_identifier) @bind.attr value: (_) @bind.value)
(variable_declarator name: (identifier) @bind.name type: (type_annotation (_) @bind.type))
(variable_declarator name: (identifier) @bind.name value: (_) @bind.value)
; names a destructuring binds (redux's `const { incrementByAmount } = slice.actions`): what they
; hold is not known, and they shadow the file's own definitions of those names
(variable_declarator name: (object_pattern (shorthand_property_identifier_pattern) @bind.name))
(variable_declarator name: (object_pattern (pair_pattern value: (identifier) @bind.name)))
(variable_declarator name: (array_pattern (identifier) @bind.name))
; and a parameter's (effect's `([executor]) => executor.run()` is not its `import * as executor`)
(required_parameter pattern: (object_pattern (shorthand_property_identifier_pattern) @bind.name))
(required_parameter pattern: (object_pattern (pair_pattern value: (identifier) @bind.name)))
(required_parameter pattern: (array_pattern (identifier) @bind.name))
(assignment_expression left: (identifier) @bind.name right: (_) @bind.value)
(assignment_expression left: (member_expression object: (this) property: (property_identifier) @bind.attr)
  right: (_) @bind.value)
