; kairos additions for TypeScript. The registry loads tree-sitter-javascript's
; tags.scm, then tree-sitter-typescript's (interfaces, abstract classes,
; signatures, modules), then this file. Our javascript.scm is not loaded, so
; what it adds is repeated here with TypeScript's parameter shapes.
; tsx.scm is a copy of this file: the registry reads queries/<language>.scm
; with no include mechanism, and both grammars accept every pattern here.

; Module doc: a leading block comment when the file then goes on with imports
; or a directive (otherwise it is the first definition's doc comment).
((program . (comment) @doc . (comment)* . [(import_statement) (expression_statement)]) @owner
  (#match? @doc "^/\\*"))

; Constructors (the tags skip them as methods): `Store.constructor`.
((comment)* @doc
  .
  (method_definition name: (property_identifier) @name) @definition.constructor
  (#eq? @name "constructor"))

; TypeScript-only definitions (enums, type aliases, `namespace X {}`), and the doc
; comments of definitions the tags give none.
(enum_declaration name: (identifier) @name) @definition.enum
(type_alias_declaration name: (type_identifier) @name) @definition.type
(internal_module name: (identifier) @name) @definition.module
((comment)+ @doc . [(enum_declaration) (type_alias_declaration) (internal_module) (interface_declaration)
  (abstract_class_declaration) (function_signature) (method_signature) (abstract_method_signature)] @owner)

; A class field holding a function is a method: `handleClick = (e) => {}`, `#onUpdate = function () {}`.
((comment)* @doc . (public_field_definition name: [(property_identifier) (private_property_identifier)] @name
  value: [(arrow_function) (function_expression)]) @definition.method)

; A class's base (`class QueryObserver extends Subscribable<Listener>`): its signature, and
; where the members it inherits are looked for; or a base a call makes (a mixin, effect's
; `class A extends Schema.Class<A>("A")({...})`): one the memory cannot read, but there.
([(class_declaration (class_heritage (extends_clause value: (_) @extends)))
  (abstract_class_declaration (class_heritage (extends_clause value: (_) @extends)))
  (variable_declarator value: (class (class_heritage (extends_clause value: (_) @extends))))
  (export_statement value: (class (class_heritage (extends_clause value: (_) @extends))))]
  @owner)
; ... and an interface's, one or several (kysely's `interface MysqlPoolConnection extends
; MysqlConnection`, where `query` moved up to).
(interface_declaration (extends_type_clause type: (_) @extends)) @owner

; A variable that declares a function's type is that function, whatever its value (effect's
; `export const zoneMakeOffset: (offset: number) => TimeZone.Offset = Internal.zoneMakeOffset`,
; and its "dual" APIs, `export const map: { <A, B>(f): ...; <A, B>(self, f): ... } = dual(2, ...)`,
; overloads: no parameters). Before, it was no symbol, and a function that became one was taken
; for deleted.
(variable_declarator name: (identifier) @name
  type: (type_annotation [(function_type) (object_type (call_signature))])) @definition.function

; Doc comments of exported definitions precede the `export`, not the definition.
((comment)+ @doc . (export_statement declaration: [
  (function_declaration) (generator_function_declaration) (function_signature)
  (class_declaration) (abstract_class_declaration) (interface_declaration) (type_alias_declaration)
  (enum_declaration) (internal_module)] @owner))
((comment)+ @doc . (export_statement declaration: (lexical_declaration (variable_declarator) @owner)))
((comment)+ @doc . (export_statement value: [(function_expression) (arrow_function) (class)]) @owner)

; An overload's signature, or a `declare function`, has no code: what it calls says nothing.
(function_signature) @owner @declared
; Nor has a variable of a function's type whose value is not a function written there: a
; re-export (`= Internal.zoneMakeOffset`), what a call makes (`= dual(2, ...)`); the dream does not
; take it for pure because its value calls nothing.
(variable_declarator type: (type_annotation [(function_type) (object_type (call_signature))])
  value: [(identifier) (member_expression) (call_expression) (subscript_expression) (as_expression)
          (satisfies_expression) (parenthesized_expression) (ternary_expression) (await_expression)
          (new_expression) (non_null_expression)]) @owner @declared

; A named function in a value that says its type another way is called as that type says,
; not as its own parameters do: mobx 7's `export const computed: IComputedFactory = function
; computed(arg1, arg2) {...} as any` (called with one argument or two), `export const flow: Flow =
; Object.assign(function flow(generator) {...}, annotation)`.
(as_expression . (function_expression name: (_)) @owner @typed.elsewhere)
(as_expression . (parenthesized_expression (function_expression name: (_)) @owner @typed.elsewhere))
(variable_declarator type: (_)
  value: (call_expression arguments: (arguments (function_expression name: (_)) @owner @typed.elsewhere)))
(variable_declarator type: (_)
  value: (as_expression (call_expression arguments: (arguments (function_expression name: (_)) @owner @typed.elsewhere))))

; Signatures: parameter list and return type of each shape of function definition.
; A variable or field that declares its type is called as that type says, not as its value's
; parameters do (effect's `const cached: { (self): ...; (self, hash): ... } = function() {...}`).
(function_declaration parameters: (formal_parameters) @params) @owner
(generator_function_declaration parameters: (formal_parameters) @params) @owner
(function_signature parameters: (formal_parameters) @params) @owner
(method_definition parameters: (formal_parameters) @params) @owner
(method_signature parameters: (formal_parameters) @params) @owner
(abstract_method_signature parameters: (formal_parameters) @params) @owner
(function_expression name: (_) parameters: (formal_parameters) @params) @owner
([(variable_declarator !type value: (_ parameters: (formal_parameters) @params))
  (pair value: (_ parameters: (formal_parameters) @params))
  (public_field_definition !type value: (_ parameters: (formal_parameters) @params))
  (export_statement value: (_ parameters: (formal_parameters) @params))
  (assignment_expression right: (_ parameters: (formal_parameters) @params))] @owner)
([(variable_declarator !type value: (arrow_function parameter: (identifier) @params @param.required))
  (public_field_definition !type value: (arrow_function parameter: (identifier) @params @param.required))
  (export_statement value: (arrow_function parameter: (identifier) @params @param.required))] @owner)
(function_declaration return_type: (_) @returns) @owner
(generator_function_declaration return_type: (_) @returns) @owner
(function_signature return_type: (_) @returns) @owner
(method_definition return_type: (_) @returns) @owner
(method_signature return_type: (_) @returns) @owner
(abstract_method_signature return_type: (_) @returns) @owner
(variable_declarator type: (type_annotation (function_type parameters: (formal_parameters) @params))) @owner
(variable_declarator type: (type_annotation (function_type return_type: (_) @returns))) @owner
([(variable_declarator !type value: (_ parameters: (formal_parameters) return_type: (_) @returns))
  (public_field_definition !type value: (_ parameters: (formal_parameters) return_type: (_) @returns))
  (export_statement value: (_ parameters: (formal_parameters) return_type: (_) @returns))] @owner)

; Parameters by kind: plain or destructured, with a default or `?`, rest; one typed `void` may be
; left out by callers (effect's `unsafeMake = (_: void) => ...`, called `unsafeMake()`).
; (`this: T` is a type annotation, not a parameter.)
([
  (function_declaration parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))
  (generator_function_declaration parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))
  (function_signature parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))
  (method_definition parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))
  (method_signature parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))
  (abstract_method_signature parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))
  (function_expression name: (_) parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))
  (variable_declarator !type value: (_ parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))])))
  (pair value: (_ parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))])))
  (public_field_definition !type value: (_ parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))])))
  (export_statement value: (_ parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))])))
  (assignment_expression right: (_ parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required !value)
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.optional value: (_))
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))])))
  (variable_declarator type: (type_annotation (function_type parameters: (formal_parameters [
    (required_parameter pattern: [(identifier) (object_pattern) (array_pattern)] @param.required)
    (optional_parameter pattern: (_) @param.optional)
    (required_parameter pattern: (identifier) @param.optional type: (type_annotation (predefined_type) @_void) (#eq? @_void "void"))
    (required_parameter pattern: (rest_pattern (_) @param.variadic))]))))] @owner)

; Decorators: on classes, on exported classes (they precede `export`), and on
; methods, where they are the method's preceding siblings in the class body.
(class_declaration decorator: (decorator) @decorator) @owner
(abstract_class_declaration decorator: (decorator) @decorator) @owner
(export_statement decorator: (decorator) @decorator
  declaration: [(class_declaration) (abstract_class_declaration)] @owner)
(class_body (decorator) @decorator . (decorator)* . (method_definition) @owner)
; The doc comment of a decorated method sits above its decorators.
(class_body (comment)+ @doc . (decorator)+ . (method_definition) @owner)

; `import fs = require('fs')`.
(import_statement (import_require_clause (identifier) @import.alias source: (string) @import.module)) @import


; What an instance's attributes hold (see python.scm): a field's type (`#client: QueryClient`),
; a field made by `new` (`#cache = new Map()`), a parameter property (`constructor(private
; client: Client)`).
(public_field_definition name: [(property_identifier) (private_property_identifier)] @attribute.name
  type: (type_annotation (_) @attribute.type)) @attribute
(public_field_definition name: [(property_identifier) (private_property_identifier)] @attribute.name
  value: (new_expression constructor: [(identifier) (member_expression)] @attribute.made)) @attribute
(required_parameter (accessibility_modifier) pattern: (identifier) @attribute.name
  type: (type_annotation (_) @attribute.type)) @attribute
; A field holding what the code does not say, as a method could (see python.scm): `handle =
; this.handleSafe`, `get = cond ? a : b`.
(public_field_definition name: [(property_identifier) (private_property_identifier)] @attribute.name !type
  value: [(identifier) (member_expression) (ternary_expression) (call_expression)]) @attribute

; An interface's member typed as a function (`getRequestHandlers: () => Handler[]`): called as a
; method is, and what a method that became one leaves (msw's `SetupWorkerInternalContext`).
(interface_body (property_signature name: (property_identifier) @attribute.name
  type: (type_annotation (function_type) @attribute.type)) @attribute)

; What a function's own names hold (see ecmascript.scm): a declared type (`let client: Client`).
(variable_declarator name: (identifier) @local.name type: (type_annotation (_) @local.type)) @local
