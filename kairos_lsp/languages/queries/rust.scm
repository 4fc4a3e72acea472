; kairos additions to tree-sitter-rust's tags.scm (which has items, methods in
; any declaration list, and plain/field/macro calls). We add: impl blocks as
; scopes (`Config.new`), trait method signatures, const/static items, doc
; comments, attributes, signatures, path calls, `use` imports and panics.

; `impl Config<T>` / `impl Loader for Config` qualify the methods inside.
(impl_item type: [
  (type_identifier) @name
  (generic_type type: (type_identifier) @name)
  (scoped_type_identifier name: (type_identifier) @name)
  (generic_type type: (scoped_type_identifier name: (type_identifier) @name))]) @scope

; Trait methods without a body: `Loader.load`.
(trait_item body: (declaration_list (function_signature_item name: (identifier) @name) @definition.method))

; Constants and statics, at module level or in an impl (`Config.DEFAULT_NAME`).
(const_item name: (identifier) @name) @definition.constant
(static_item name: (identifier) @name) @definition.constant

; Module doc: the leading `//!` comment.
(source_file . (line_comment inner: (inner_doc_comment_marker))+ @doc) @owner

; Doc comments `///` and `/** */` above an item, possibly with attributes between.
([(line_comment outer: (outer_doc_comment_marker)) (block_comment outer: (outer_doc_comment_marker))]+ @doc
  .
  (attribute_item)*
  .
  [(function_item) (function_signature_item) (struct_item) (enum_item) (union_item) (trait_item)
   (type_item) (mod_item) (const_item) (static_item) (macro_definition)] @owner)

; Attributes `#[derive(Debug)]` are the item's decorators (doc comments may sit between).
((attribute_item (attribute) @decorator)
  .
  [(attribute_item) (line_comment) (block_comment)]*
  .
  [(function_item) (function_signature_item) (struct_item) (enum_item) (union_item) (trait_item)
   (type_item) (mod_item) (const_item) (static_item)] @owner)

; Signatures and parameters (`self` counts, as in Python).
(function_item parameters: (parameters) @params) @owner
(function_signature_item parameters: (parameters) @params) @owner
(function_item return_type: (_) @returns) @owner
(function_signature_item return_type: (_) @returns) @owner
([(function_item parameters: (parameters [
    (self_parameter (self) @param.required)
    (parameter pattern: [(identifier) (tuple_pattern) (tuple_struct_pattern) (struct_pattern)
                         (ref_pattern) (reference_pattern)] @param.required)
    (variadic_parameter) @param.variadic]))
  (function_signature_item parameters: (parameters [
    (self_parameter (self) @param.required)
    (parameter pattern: [(identifier) (tuple_pattern) (tuple_struct_pattern) (struct_pattern)
                         (ref_pattern) (reference_pattern)] @param.required)
    (variadic_parameter) @param.variadic]))] @owner)

; Path calls the tags miss: `HashMap::new()`, `Vec::<u8>::with_capacity(3)`,
; turbofish calls `iter.collect::<Vec<_>>()`, and path macros `tracing::info!`.
(call_expression function: (scoped_identifier name: (identifier) @name) @reference.call)
(call_expression function: (generic_function function: [
  (identifier) @name
  (scoped_identifier name: (identifier) @name)
  (field_expression field: (field_identifier) @name)]) @reference.call)
(macro_invocation macro: (scoped_identifier name: (identifier) @name) @reference.call)

; What a struct's fields hold (see python.scm): `client: Client` holds a Client.
(field_declaration name: (field_identifier) @attribute.name type: (_) @attribute.type) @attribute

; Imports: `use a::b::C;`, `use a::b::C as D;`, `use a::{b, c as d, self};`,
; `use a::*;`, `use a;`, `extern crate a;`.
(use_declaration argument: (scoped_identifier path: (_) @import.module name: (_) @import.name)) @import
(use_declaration argument: (identifier) @import.module) @import
(use_declaration argument: (use_as_clause path: (scoped_identifier path: (_) @import.module
  name: (_) @import.name) alias: (_) @import.alias)) @import
(use_declaration argument: (use_as_clause path: (identifier) @import.module alias: (_) @import.alias)) @import
(use_declaration argument: (use_wildcard (_) @import.module "*" @import.name)) @import
(use_declaration argument: (scoped_use_list path: (_) @import.module list: (use_list [
  (identifier) (self) (scoped_identifier) (scoped_use_list) (use_wildcard)] @import.name))) @import
(use_declaration argument: (scoped_use_list path: (_) @import.module list: (use_list
  (use_as_clause path: (_) @import.name alias: (_) @import.alias)))) @import
(extern_crate_declaration name: (identifier) @import.module) @import

; Panics: `panic!`, `unreachable!`, `todo!`, `unimplemented!` (the macro names it).
((macro_invocation macro: (identifier) @raise.name) @raise
  (#any-of? @raise.name "panic" "unreachable" "todo" "unimplemented"))
