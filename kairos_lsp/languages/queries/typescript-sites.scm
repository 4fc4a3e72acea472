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
