; What the code says is deprecated, with the message it warns with: asked by extract.py
; only around the calls of something named `warn` or `deprecated` (each pattern holds one):
; run on every node of every file, these patterns cost a fifth of the tag query's time on
; the standard library.
;
; Deprecations the code announces, with the message it warns with (a literal: a helper that
; warns with a message it is handed is not itself deprecated). extract.py keeps a warning with
; a category named as a deprecation's (`DeprecationWarning`, `PendingDeprecationWarning`,
; pytest's `PytestDeprecationWarning`, Django's `RemovedInDjango60Warning`), passed second or as
; `category=`; or with any category, or none (a `UserWarning`: werkzeug 2.3's `set_basic`,
; marshmallow 2's), from `warnings.warn` (not a logger's `warn`) whose message says "deprecated".
; A function's, a method's or the module's own statement (not one in a branch: that may
; deprecate a use, not the function):
([(function_definition body: (block (expression_statement (call
    function: [(identifier) (attribute attribute: (identifier))] @deprecated.warn
    arguments: (argument_list . [(string) (concatenated_string)] @deprecated.message (_)? @deprecated.category))
    @deprecated)))
  (module (expression_statement (call
    function: [(identifier) (attribute attribute: (identifier))] @deprecated.warn
    arguments: (argument_list . [(string) (concatenated_string)] @deprecated.message (_)? @deprecated.category))
    @deprecated))]
  (#match? @deprecated.warn "(^|\\.)warn$"))
; ... the same, warning with an instance: `warnings.warn(DeprecationWarning("..."))`.
([(function_definition body: (block (expression_statement (call
    function: [(identifier) (attribute attribute: (identifier))] @_warn
    arguments: (argument_list . (call function: [(identifier) (attribute)] @_category
      arguments: (argument_list . [(string) (concatenated_string)] @deprecated.message)))) @deprecated)))
  (module (expression_statement (call
    function: [(identifier) (attribute attribute: (identifier))] @_warn
    arguments: (argument_list . (call function: [(identifier) (attribute)] @_category
      arguments: (argument_list . [(string) (concatenated_string)] @deprecated.message)))) @deprecated))]
  (#match? @_warn "(^|\\.)warn$")
  (#match? @_category "^([A-Za-z_][A-Za-z0-9_]*\\.)*[A-Za-z0-9_]*(DeprecationWarning|RemovedIn[A-Za-z0-9_]*Warning)$"))
; PEP 702: `@deprecated("...")` (`warnings`, `typing_extensions`) on a function or a class, and a
; project's own decorator of the name, whose arguments say more than a message (litestar's
; `@deprecated("2.23.0", removal_in="3.0", alternative="di.NamedDependency")`, SQLAlchemy's
; `@util.deprecated("2.0", "message")`, redis-py's `@deprecated_function(version=, reason=)`):
; extract.py reads the arguments. (Not `deprecated_args`, `deprecated_params`: a parameter's.)
(decorated_definition
  (decorator (call function: [(identifier) (attribute attribute: (identifier))] @_by
    arguments: (argument_list) @deprecated.arguments))
  definition: (_ name: (identifier) @deprecated)
  (#match? @_by "^([A-Za-z_][A-Za-z0-9_]*\\.)*deprecated(_function|_method|_class)?$"))
; ... but not on an overload: PEP 702 deprecates then the calls that match that signature, not
; the function (pydantic 2.11's `@overload @deprecated(...) def with_config(*, config)` beside
; `with_config(config, /)`: every `@with_config(...)` was flagged).
(decorated_definition
  (decorator [(identifier) (attribute)] @_overload)
  definition: (_ name: (identifier) @deprecated.not)
  (#match? @_overload "^((typing|typing_extensions)\\.)?overload$"))
; A name a module no longer defines that its `__getattr__` (PEP 562) answers for with a
; deprecation warning: `if name == "old":` or `if name in {"old", ...}:` then a warning.
(function_definition
  name: (identifier) @_getattr
  parameters: (parameters . [(identifier) @deprecates.parameter (typed_parameter . (identifier) @deprecates.parameter)])
  body: (block [
    (if_statement
      condition: (comparison_operator [(string) (set (string)) (tuple (string)) (list (string))] @deprecates.name)
      consequence: (block (expression_statement (call
        function: [(identifier) (attribute attribute: (identifier))] @_warn
        arguments: (argument_list . [(string) (concatenated_string)] @deprecates.message (_) @_category)))))
    (if_statement (elif_clause
      condition: (comparison_operator [(string) (set (string)) (tuple (string)) (list (string))] @deprecates.name)
      consequence: (block (expression_statement (call
        function: [(identifier) (attribute attribute: (identifier))] @_warn
        arguments: (argument_list . [(string) (concatenated_string)] @deprecates.message (_) @_category))))))
  ] @deprecates)
  (#eq? @_getattr "__getattr__")
  (#match? @_warn "(^|\\.)warn$")
  (#match? @_category "^(category\\s*=\\s*)?([A-Za-z_][A-Za-z0-9_]*\\.)*[A-Za-z0-9_]*(DeprecationWarning|RemovedIn[A-Za-z0-9_]*Warning)$"))
; A parameter a function deprecates: a branch taken when it is given (`if charset is not None:`,
; `if charset:`) whose own statement warns, naming it (werkzeug 2.3's `charset` and `errors`;
; marshmallow 2.1's `if func: warnings.warn('"func" argument of fields.Function is deprecated.
; Use the "serialize" argument instead.')`), a deprecation as above. extract.py keeps those
; whose test is the parameter alone and whose message names it.
(function_definition
  parameters: (parameters)
  body: (block (if_statement
    condition: [(comparison_operator . (identifier) @deprecated_parameter.name) (identifier) @deprecated_parameter.name]
      @deprecated_parameter.test
    consequence: (block (expression_statement (call
      function: [(identifier) (attribute attribute: (identifier))] @deprecated_parameter.warn
      arguments: (argument_list
        . [(string) (concatenated_string)] @deprecated_parameter.message (_)? @deprecated_parameter.category)))))
    @deprecated_parameter)
  (#match? @deprecated_parameter.warn "(^|\\.)warn$"))
