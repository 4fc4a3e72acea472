; kairos additions to tree-sitter-java's tags.scm (which has classes,
; interfaces, methods and method calls). We add: enums, records, annotation
; types, constructors, static final fields and interface constants, javadoc,
; annotations, signatures, `new` calls, imports, throws.

; More type declarations, and constructors (`UserService.UserService`).
(enum_declaration name: (identifier) @name) @definition.enum
(record_declaration name: (identifier) @name) @definition.class
(annotation_type_declaration name: (identifier) @name) @definition.interface
(constructor_declaration name: (identifier) @name) @definition.constructor

; Constants: `static final` fields (either order), and interface fields.
(field_declaration (modifiers "static" "final")
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(field_declaration (modifiers "final" "static")
  declarator: (variable_declarator name: (identifier) @name)) @definition.constant
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.constant

; Javadoc: a `/** */` block right above the declaration (annotations are part
; of the declaration, so they do not come between). package-info.java's too.
(((block_comment) @doc
  .
  [(class_declaration) (interface_declaration) (enum_declaration) (record_declaration)
   (annotation_type_declaration) (method_declaration) (constructor_declaration)
   (field_declaration) (constant_declaration)] @owner)
  (#match? @doc "^/\\*\\*"))
((program (block_comment) @doc . (package_declaration)) @owner
  (#match? @doc "^/\\*\\*"))

; Annotations are decorators.
([(class_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (interface_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (enum_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (record_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (method_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (constructor_declaration (modifiers [(annotation) (marker_annotation)] @decorator))
  (field_declaration (modifiers [(annotation) (marker_annotation)] @decorator))] @owner)

; Signatures: parameters (a record's are its components) and return type.
(method_declaration parameters: (formal_parameters) @params) @owner
(constructor_declaration parameters: (formal_parameters) @params) @owner
(record_declaration parameters: (formal_parameters) @params) @owner
(method_declaration type: (_) @returns) @owner
([(method_declaration parameters: (formal_parameters [
    (formal_parameter name: (identifier) @param.required)
    (spread_parameter (variable_declarator name: (identifier) @param.variadic))]))
  (constructor_declaration parameters: (formal_parameters [
    (formal_parameter name: (identifier) @param.required)
    (spread_parameter (variable_declarator name: (identifier) @param.variadic))]))
  (record_declaration parameters: (formal_parameters [
    (formal_parameter name: (identifier) @param.required)
    (spread_parameter (variable_declarator name: (identifier) @param.variadic))]))] @owner)

; `new ArrayList<>()` is a call to `ArrayList` (the tags only tag a class reference).
(object_creation_expression type: (type_identifier) @name @reference.call)
(object_creation_expression type: (generic_type . (type_identifier) @name) @reference.call)
(object_creation_expression type: (scoped_type_identifier (type_identifier) @name .) @reference.call)

; Imports: `import a.b.C;`, `import a.b.*;`, `import static a.B.c;`.
(import_declaration (scoped_identifier scope: (_) @import.module name: (_) @import.name) .) @import
(import_declaration (scoped_identifier) @import.module (asterisk) @import.name) @import

; Exceptions: `throws A, B` clauses and `throw new X()` / `throw e`.
(throws [(type_identifier) (scoped_type_identifier) (generic_type)] @raise.name) @raise
(throw_statement (object_creation_expression type: (_) @raise.name)) @raise
(throw_statement [(identifier) (field_access)] @raise.name) @raise

; A class's bases, an interface's, an enum's (the signature: `Sub extends Base, Runnable`): the
; members they bring are the class's too, and one the memory does not hold may bring any.
(class_declaration superclass: (superclass (_) @extends)) @owner
(class_declaration interfaces: (super_interfaces (type_list (_) @extends))) @owner
(enum_declaration interfaces: (super_interfaces (type_list (_) @extends))) @owner
(interface_declaration (extends_interfaces (type_list (_) @extends))) @owner
; What a class's fields hold (see python.scm): `private final Client client;` holds a Client.
(field_declaration type: (_) @attribute.type declarator: (variable_declarator name: (identifier) @attribute.name)) @attribute
