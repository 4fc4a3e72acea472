; A base class read by name (`class Admin extends User`), and a type by its name (`: UserSchema`,
; `implements Store`), TypeScript's shapes.
(extends_clause value: (identifier) @read.bare)
(type_identifier) @read.bare
