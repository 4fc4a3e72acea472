; kairos additions to tree-sitter-python's tags.scm (which has no docstrings,
; signatures, decorators, imports or raises).

; Docstrings: the first statement of a module, class or function body.
(module . (expression_statement (string) @doc)) @owner
; What `from module import *` brings: the names `__all__` lists, when a literal lists them.
((module (expression_statement (assignment left: (identifier) @_all right: [(list) (tuple)] @exports))) @owner
  (#eq? @_all "__all__"))
; What the module's own blocks assign (`if TYPE_CHECKING: ... else: ALL = _All('ALL')`, `try:
; ... except ImportError: x = None`): not definitions a parse can count on, but a name gone from
; the definitions that the module still binds is not gone (sphinx 8.3's `class ALL: ...` became
; `ALL: Final[...] = ...` under `if TYPE_CHECKING:`).
(module [(if_statement) (try_statement)] @binds)
(class_definition body: (block . (expression_statement (string) @doc))) @owner
(function_definition body: (block . (expression_statement (string) @doc))) @owner

; Signatures and parameters.
(function_definition parameters: (parameters) @params) @owner
(function_definition return_type: (_) @returns) @owner
(class_definition superclasses: (argument_list) @params) @owner
(function_definition parameters: (parameters [
  (identifier) @param.required
  (typed_parameter . (identifier) @param.required)
  (default_parameter name: (_) @param.optional)
  (typed_default_parameter name: (_) @param.optional)
  (list_splat_pattern (identifier) @param.variadic)
  (dictionary_splat_pattern (identifier) @param.variadic)
  (typed_parameter (list_splat_pattern (identifier) @param.variadic))
  (typed_parameter (dictionary_splat_pattern (identifier) @param.variadic))
])) @owner

; Decorators.
(decorated_definition (decorator) @decorator definition: (_) @owner)

; Imports.
(import_statement name: (dotted_name) @import.module) @import
(import_statement name: (aliased_import name: (_) @import.module alias: (_) @import.alias)) @import
(import_from_statement module_name: (_) @import.module name: (dotted_name) @import.name) @import
(import_from_statement module_name: (_) @import.module
  name: (aliased_import name: (_) @import.name alias: (_) @import.alias)) @import
(import_from_statement module_name: (_) @import.module (wildcard_import) @import.name) @import

; Exceptions raised.
(raise_statement (call function: (_) @raise.name)) @raise
(raise_statement . (identifier) @raise.name) @raise
(raise_statement . (attribute) @raise.name) @raise

; What a function writes beyond its own names: a name it declares `global` or `nonlocal`,
; an item or attribute it assigns, augments or deletes. extract.py keeps those whose first
; name is not bound in the function's own scope (languages/queries/python-locals.scm).
(global_statement (identifier) @write.target) @write
(nonlocal_statement (identifier) @write.target) @write
(assignment left: [(subscript) (attribute)] @write.target) @write
(assignment left: (pattern_list [(subscript) (attribute)] @write.target)) @write
(assignment left: (tuple_pattern [(subscript) (attribute)] @write.target)) @write
(augmented_assignment left: [(subscript) (attribute)] @write.target) @write
(delete_statement [(subscript) (attribute)] @write.target) @write
(delete_statement (expression_list [(subscript) (attribute)] @write.target)) @write

; What an instance's attributes hold, where the code says so (``self.client.get()`` follows it):
; annotated in the class body (`client: Client`) or on self (`self.client: Client = ...`), or
; made by a call (`self.client = Client(...)`). Each is filed under the symbol it is written
; in (a method's, the class's); the resolver reads those of a class and of its methods.
(class_definition body: (block (expression_statement
  (assignment left: (identifier) @attribute.name type: (type) @attribute.type) @attribute)))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @attribute.name)
   type: (type) @attribute.type) @attribute
  (#eq? @_self "self"))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @attribute.name)
   right: (call function: [(identifier) (attribute)] @attribute.made)) @attribute
  (#eq? @_self "self"))
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @attribute.name)
   right: (await (call function: [(identifier) (attribute)] @attribute.made))) @attribute
  (#eq? @_self "self"))
; A name the instances hold by other means than a `def`, with nothing known of what it holds
; (the observation is the bare name): a method bound on self (`self.add = self.add_safe`, a
; lambda, one of two callables, an item of a table) or an alias in the class body (`__repr__ =
; __str__`, `get = property(_get)`). A method that went while its name lives on this way is not
; gone (``Resolver``); a literal or a parameter assigned is data, not read (the store's size).
((assignment left: (attribute object: (identifier) @_self attribute: (identifier) @attribute.name)
   right: [(attribute) (lambda) (conditional_expression) (subscript)]) @attribute
  (#eq? @_self "self"))
(class_definition body: (block (expression_statement
  (assignment left: (identifier) @attribute.name !type
    right: [(identifier) (attribute) (lambda) (call) (conditional_expression)]) @attribute)))
; A parameter handed to the instance as it is (`def __init__(self, client: Client): self.client =
; client`): its annotation, written in the body itself (one in a branch may be one of several).
(function_definition
  parameters: (parameters [
    (typed_parameter (identifier) @_parameter type: (type) @attribute.type)
    (typed_default_parameter name: (identifier) @_parameter type: (type) @attribute.type)])
  body: (block (expression_statement
    (assignment left: (attribute object: (identifier) @_self attribute: (identifier) @attribute.name)
      right: (identifier) @_given) @attribute))
  (#eq? @_self "self")
  (#eq? @_parameter @_given))

; What a function's own names hold, where the code says so (`index.add()` after `index =
; Index()` follows it): an annotation (`index: Index = ...`) or the call that made it (`index
; = Index()`, `client = await connect()`). extract.py keeps, of each function's, those of the
; names it calls a method of and binds nowhere else in its own scope (python-locals.scm).
(assignment left: (identifier) @local.name type: (type) @local.type) @local
(assignment left: (identifier) @local.name right: (call function: [(identifier) (attribute)] @local.made)) @local
(assignment left: (identifier) @local.name
  right: (await (call function: [(identifier) (attribute)] @local.made))) @local
; `with Client() as c`: `c` holds what `Client().__enter__()` returns; `async with`: `__aenter__`.
(with_item value: (as_pattern (call function: [(identifier) (attribute)] @local.made)
  alias: (as_pattern_target (identifier) @local.name)) @local.enter) @local
(with_statement "async" (with_clause (with_item value: (as_pattern
  (call function: [(identifier) (attribute)] @local.made) alias: (as_pattern_target (identifier) @local.name))
  @local.aenter) @local))

; What a pytest fixture gives the tests (and fixtures) that name it as a parameter: the value
; its body returns or yields, where a call makes it (`return CliRunner()`, `yield Client()`)
; or one of its names holds it (`app = Flask(...)` ... `return app`). Only statements of the
; body itself: one in a branch may be one of several. `yield from g()` gives what `g` yields,
; not what it returns. extract.py keeps a fixture's one value, if its statements agree.
(decorated_definition
  (decorator) @_by
  definition: (function_definition body: (block [
    (return_statement [(call function: [(identifier) (attribute)] @gives.made) (identifier) @gives.name]) @gives
    (expression_statement
      (yield [(call function: [(identifier) (attribute)] @gives.made) (identifier) @gives.name])) @gives
  ]))
  (#match? @_by "^@(pytest\\.)?fixture\\b")
  (#not-match? @gives "^yield\\s+from\\b"))
