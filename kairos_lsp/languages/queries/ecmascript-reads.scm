; The bare names an open document reads as values, not calls (JavaScript, TypeScript): a
; constant's member (`useStore.getState()`, `UserSchema.parse(x)`), an argument or a callback
; (`items.map(helper)`), a value kept or given back, a JSX element (`<Button />`), a base class.
; For the uses of what the memory saw renamed or deleted (checks/references.py): a rename's fix
; rewrites them with the import, or the code it leaves no longer names what it imports. Asked
; only when the memory saw such a thing; sites.py keeps those so named.
(member_expression object: (identifier) @read.bare)
(arguments (identifier) @read.bare)
(variable_declarator value: (identifier) @read.bare)
(assignment_expression right: (identifier) @read.bare)
(return_statement (identifier) @read.bare)
(arrow_function body: (identifier) @read.bare)
(array (identifier) @read.bare)
(pair value: (identifier) @read.bare)
(shorthand_property_identifier) @read.bare
(spread_element (identifier) @read.bare)
