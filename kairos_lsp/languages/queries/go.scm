; kairos additions to tree-sitter-go's tags.scm (which has functions, methods,
; their leading comments, type specs and calls). We add: receiver types as
; qualifiers (`Server.Start`), struct/interface kinds, interface methods,
; package-level const/var, signatures, imports and panics.

; Package doc: the comment just above the package clause, with the lines of comment right
; above it (extract.py reads a comment's run; a licence header a blank line up is not it).
((source_file (comment) @doc . (package_clause)) @owner)

; Methods are named after their receiver type: `func (s *Server) Start()` is `Server.Start`.
(method_declaration receiver: (parameter_list (parameter_declaration type: [
  (type_identifier) @qualifier
  (pointer_type (type_identifier) @qualifier)
  (generic_type type: (type_identifier) @qualifier)
  (pointer_type (generic_type type: (type_identifier) @qualifier))]))) @owner

; Struct and interface types (the tags call every type spec a type).
(type_spec name: (type_identifier) @name type: (struct_type)) @definition.class
(type_spec name: (type_identifier) @name type: (interface_type)) @definition.interface
; A struct's embedded fields (`type Conn struct { net.Conn; *bufio.Reader }`), an interface's
; embedded interfaces (`interface { io.Reader; Close() error }`): the methods they bring are the
; type's too. Its bases, as a class's (the signature: `Conn extends net.Conn, bufio.Reader`).
(type_spec type: (struct_type (field_declaration_list (field_declaration !name type: (_) @extends)))) @owner
(type_spec type: (interface_type (type_elem [(type_identifier) (qualified_type) (generic_type)] @extends))) @owner
; What a struct's fields hold (see python.scm): `cfg *Config` holds a Config.
(field_declaration name: (field_identifier) @attribute.name type: (_) @attribute.type) @attribute
; Interface methods: `Store.Get`.
(interface_type (method_elem name: (field_identifier) @name) @definition.method)

; Package-level constants and variables, grouped or not.
(source_file (const_declaration (const_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec name: (identifier) @name) @definition.constant))
(source_file (var_declaration (var_spec_list (var_spec name: (identifier) @name) @definition.constant)))

; Doc comments of types, constants and variables: above the declaration, or
; above the spec inside a group; and of interface methods.
((comment)+ @doc . (type_declaration (type_spec) @owner))
(type_declaration (comment)+ @doc . (type_spec) @owner)
(source_file (comment)+ @doc . [(const_declaration (const_spec) @owner) (var_declaration (var_spec) @owner)])
(const_declaration (comment)+ @doc . (const_spec) @owner)
(var_declaration (comment)+ @doc . (var_spec) @owner)
(var_spec_list (comment)+ @doc . (var_spec) @owner)
(interface_type (comment)+ @doc . (method_elem) @owner)

; Signatures: parameters (not the receiver) and results.
(function_declaration parameters: (parameter_list) @params) @owner
(method_declaration parameters: (parameter_list) @params) @owner
(method_elem parameters: (parameter_list) @params) @owner
(function_declaration result: (_) @returns) @owner
(method_declaration result: (_) @returns) @owner
(method_elem result: (_) @returns) @owner
([(function_declaration parameters: (parameter_list [
    (parameter_declaration name: (identifier) @param.required)
    (variadic_parameter_declaration name: (identifier) @param.variadic)]))
  (method_declaration parameters: (parameter_list [
    (parameter_declaration name: (identifier) @param.required)
    (variadic_parameter_declaration name: (identifier) @param.variadic)]))
  (method_elem parameters: (parameter_list [
    (parameter_declaration name: (identifier) @param.required)
    (variadic_parameter_declaration name: (identifier) @param.variadic)]))] @owner)

; Imports, maybe renamed (`log "github.com/sirupsen/logrus"`, `_ "net/http/pprof"`).
(import_spec name: (_)? @import.alias path: (_) @import.module) @import

; Panics: `panic(ErrX)`, `panic("msg")`, `panic(fmt.Sprintf(...))` (the callee names it).
((call_expression function: (identifier) @_panic arguments: (argument_list . [
    (identifier) (selector_expression) (interpreted_string_literal) (raw_string_literal)
    (composite_literal) (unary_expression)] @raise.name)) @raise
  (#eq? @_panic "panic"))
((call_expression function: (identifier) @_panic arguments: (argument_list .
    (call_expression function: (_) @raise.name))) @raise
  (#eq? @_panic "panic"))
