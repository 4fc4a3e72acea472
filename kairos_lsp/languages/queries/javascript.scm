; kairos additions to tree-sitter-javascript's tags.scm (which already has
; functions, classes, methods, arrow functions bound to variables, their
; leading comments, and calls). We add: doc comments of exported definitions,
; constructors, module constants, signatures, decorators, `new` calls,
; imports (ES and require) and throws.

; Module doc: a leading block comment when the file then goes on with imports
; or a directive (otherwise it is the first definition's doc comment).
((program . (comment) @doc . (comment)* . [(import_statement) (expression_statement)]) @owner
  (#match? @doc "^/\\*"))

; Constructors (the tags skip them as methods): `Store.constructor`.
((comment)* @doc
  .
  (method_definition name: (property_identifier) @name) @definition.constructor
  (#eq? @name "constructor"))

; A class field holding a function is a method: `handleClick = (e) => {}`, `#onUpdate = function () {}`.
((comment)* @doc . (field_definition property: [(property_identifier) (private_property_identifier)] @name
  value: [(arrow_function) (function_expression)]) @definition.method)

; A class's base (`class Query extends Removable`): its signature, and where the members it
; inherits are looked for.
(class_declaration (class_heritage [(identifier) (member_expression)] @extends)) @owner
([(variable_declarator value: (class (class_heritage [(identifier) (member_expression)] @extends)))
  (export_statement value: (class (class_heritage [(identifier) (member_expression)] @extends)))] @owner)

; Doc comments of exported definitions precede the `export`, not the definition.
((comment)+ @doc . (export_statement declaration: [
  (function_declaration) (generator_function_declaration) (class_declaration)] @owner))
((comment)+ @doc . (export_statement declaration: (lexical_declaration (variable_declarator) @owner)))
((comment)+ @doc . (export_statement value: [(function_expression) (arrow_function) (class)]) @owner)

; Signatures: the parameter list of each shape of function definition.
(function_declaration parameters: (formal_parameters) @params) @owner
(generator_function_declaration parameters: (formal_parameters) @params) @owner
(function_expression name: (_) parameters: (formal_parameters) @params) @owner
(method_definition parameters: (formal_parameters) @params) @owner
([(variable_declarator value: (_ parameters: (formal_parameters) @params))
  (pair value: (_ parameters: (formal_parameters) @params))
  (field_definition value: (_ parameters: (formal_parameters) @params))
  (export_statement value: (_ parameters: (formal_parameters) @params))
  (assignment_expression right: (_ parameters: (formal_parameters) @params))] @owner)
([(variable_declarator value: (arrow_function parameter: (identifier) @params @param.required))
  (field_definition value: (arrow_function parameter: (identifier) @params @param.required))
  (export_statement value: (arrow_function parameter: (identifier) @params @param.required))] @owner)

; Parameters by kind: plain or destructured, with a default, rest.
([(function_declaration parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)]))
  (generator_function_declaration parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)]))
  (method_definition parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)]))
  (function_expression name: (_) parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)]))
  (variable_declarator value: (_ parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)])))
  (pair value: (_ parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)])))
  (field_definition value: (_ parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)])))
  (export_statement value: (_ parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)])))
  (assignment_expression right: (_ parameters: (formal_parameters [
    (identifier) @param.required (object_pattern) @param.required (array_pattern) @param.required
    (assignment_pattern left: (_) @param.optional) (rest_pattern (_) @param.variadic)])))] @owner)

; Decorators (JSX/Babel code): on classes, on exported classes, on methods.
(class_declaration decorator: (decorator) @decorator) @owner
(export_statement decorator: (decorator) @decorator declaration: (class_declaration) @owner)
(method_definition decorator: (decorator) @decorator) @owner

; (`default` is a keyword here, not a name: `export { default as X } from`.)
(export_statement (export_clause (export_specifier "default" @import.name alias: (_) @import.alias))
  source: (string) @import.module) @import

; What an instance's attributes hold (see python.scm): a field made by `new` (`#cache = new Map()`).
(field_definition property: [(property_identifier) (private_property_identifier)] @attribute.name
  value: (new_expression constructor: [(identifier) (member_expression)] @attribute.made)) @attribute
; A field holding what the code does not say, as a method could (see python.scm): `handle =
; this.handleSafe`, `get = cond ? a : b`.
(field_definition property: [(property_identifier) (private_property_identifier)] @attribute.name
  value: [(identifier) (member_expression) (ternary_expression) (call_expression)]) @attribute
