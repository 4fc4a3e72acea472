; A component or a value read in JSX (`<Button />`, `{count}`): JavaScript's and TSX's grammars.
(jsx_expression (identifier) @read.bare)
(jsx_opening_element name: (identifier) @read.bare)
(jsx_closing_element name: (identifier) @read.bare)
(jsx_self_closing_element name: (identifier) @read.bare)
