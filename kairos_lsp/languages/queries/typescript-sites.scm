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
(assignment_expression left: (identifier) @bind.name right: (_) @bind.value)
(assignment_expression left: (member_expression object: (this) property: (property_identifier) @bind.attr)
  right: (_) @bind.value)
