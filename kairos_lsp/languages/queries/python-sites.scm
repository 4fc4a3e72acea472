; Call sites and imported names in an open document, for diagnostics and fixes.
; @call.args is the argument list; @call.keyword / @call.spread (`*xs`) /
; @call.spread_keywords (`**kw`) are read by their parent (the argument list) so
; that one call's arguments stay together.
(call function: (_) @call.callee arguments: (argument_list) @call.args)
(argument_list (keyword_argument name: (identifier) @call.keyword))
(argument_list (list_splat) @call.spread)
(argument_list (dictionary_splat) @call.spread_keywords)

(import_from_statement module_name: (_) @import.module name: (dotted_name) @import.name)
(import_from_statement module_name: (_) @import.module
  name: (aliased_import name: (dotted_name) @import.name alias: (identifier) @import.alias))

; A member assigned (`s.get_engine = Mock()` in a test): a call of it there is of what it holds.
(assignment left: (attribute) @assigned.member)

; A class's bases: making one of it makes one of each (a deprecated `__init__` warns).
(class_definition superclasses: (argument_list [(identifier) (attribute)] @class.base))

; Names a scope binds, so that `x.m()` can be judged when x's class is known:
; @bind.name a local name, @bind.attr an attribute of the enclosing class
; (`self.a = ...`, `a: T` in the class body); @bind.type an annotation,
; @bind.value what was assigned (a constructor call names the class).
; An untyped parameter binds a name to nothing known.
(parameters (identifier) @bind.name)
(parameters (default_parameter name: (identifier) @bind.name))
(typed_parameter (identifier) @bind.name type: (type) @bind.type)
(typed_default_parameter name: (identifier) @bind.name type: (type) @bind.type)
(assignment left: (identifier) @bind.name type: (type) @bind.type)
(assignment left: (identifier) @bind.name right: (_) @bind.value)
(assignment left: (attribute object: (identifier) @bind.self attribute: (identifier) @bind.attr)
  type: (type) @bind.type)
(assignment left: (attribute object: (identifier) @bind.self attribute: (identifier) @bind.attr)
  right: (_) @bind.value)
(for_statement left: (identifier) @bind.name)
(with_item value: (as_pattern alias: (as_pattern_target (identifier) @bind.name)))
(pattern_list (identifier) @bind.name)
(tuple_pattern (identifier) @bind.name)
(list_pattern (identifier) @bind.name)
(named_expression name: (identifier) @bind.name)
(lambda_parameters (identifier) @bind.name)
(lambda_parameters (default_parameter name: (identifier) @bind.name))
(for_in_clause left: (identifier) @bind.name)
(except_clause (as_pattern alias: (as_pattern_target (identifier) @bind.name)))
; `global f` in a function: its assignments rebind the module's f
(global_statement (identifier) @bind.global)

; Code that expects a warning (a test of a deprecation): a `with` block of
; `pytest.deprecated_call()`, `pytest.warns(...)`, `self.assertWarns(...)` or
; `warnings.catch_warnings()`, or of a project's own helper named for what it does (tornado's
; `ignore_deprecation()`, Django's `ignore_warnings(...)`, NumPy's `suppress_warnings()`,
; SQLAlchemy's `expect_deprecated(...)`), a
; function or class marked `@pytest.mark.filterwarnings(...)`, a test taking `recwarn`.
((with_statement (with_clause (with_item value: [
   (call function: (_) @_expects)
   (as_pattern (call function: (_) @_expects))]))) @expects.warning
  (#match? @_expects "(^|\\.)(deprecated_call|warns|assertWarns|assertWarnsRegex|catch_warnings|(ignore|suppress|silence)_(deprecations?|warnings?)|expect_(deprecated|deprecations?|warnings?)(_\\w+)?)$"))
; (the marks too: the filter's string names what it quiets, litestar's `"ignore:... 'Dependency'"`)
((decorated_definition (decorator) @_mark definition: [(function_definition) (class_definition)]) @expects.warning
  (#match? @_mark "filterwarnings"))
; ... and a test that takes pytest's `recwarn`, which records the warnings for it to look at
((function_definition parameters: (parameters (identifier) @_fixture)) @expects.warning
  (#eq? @_fixture "recwarn"))
; ... and code that never runs, `if TYPE_CHECKING:` (its imports name types for the type checker:
; nothing there warns; scrapy 2.13's http10.py imports its deprecated `ScrapyHTTPClientFactory` so).
((if_statement condition: [(identifier) (attribute)] @_checking consequence: (block) @expects.warning)
  (#match? @_checking "^(typing\\.)?TYPE_CHECKING$"))
; ... and a test module or class marked so as a whole (`pytestmark = pytest.mark.filterwarnings(...)`).
([(module (expression_statement (assignment left: (identifier) @_mark right: (_) @_marks)))
  (class_definition body: (block (expression_statement (assignment left: (identifier) @_mark right: (_) @_marks))))]
  @expects.warning
  (#eq? @_mark "pytestmark")
  (#match? @_marks "filterwarnings"))

; Code that expects a call to fail for its arguments (`with pytest.raises(TypeError):`,
; `self.assertRaises(TypeError)`): a call there that does not bind is the test's point
; (urllib3's `request("GET", url, body)` checks that `body` is keyword-only).
((with_statement (with_clause (with_item value: [
   (call function: (_) @_raises arguments: (argument_list . (_) @_error))
   (as_pattern (call function: (_) @_raises arguments: (argument_list . (_) @_error)))]))) @expects.type_error
  (#match? @_raises "(^|\\.)(raises|assertRaises|assertRaisesRegex)$")
  (#match? @_error "(^|[.(, ])TypeError\\b"))
