; Call sites in an open Java document, for diagnostics and fixes (see python-sites.scm for the
; captures). A Java call passes no keywords; `T... xs` takes any number of the last arguments.
; A method call is named from its object to its name (`client.send`, `this.send`, `Util.join`):
; sites.py reads the whole invocation's callee so.
(method_invocation name: (identifier) arguments: (argument_list) @call.args) @call.callee
; `new Client(a, b)` calls Client's constructor (an anonymous class's too: `new T(a) { ... }`).
(object_creation_expression type: (_) @call.callee arguments: (argument_list) @call.args)
; A constructor's `this(...)` calls another of its class's, `super(...)` one of its superclass's.
(explicit_constructor_invocation constructor: [(this) (super)] @call.callee arguments: (argument_list) @call.args)

; An anonymous class's body: a bare call in it may be of the class it extends, whatever the
; enclosing class defines (`new TimerTask() { public void run() { cancel(); } }`).
(object_creation_expression (class_body) @unnamed.class)
(lambda_expression) @unnamed.scope

; Names a scope binds, so that `x.m()` can be judged when x's type is known: parameters, a
; local's declared type (`Client c = ...`) or what `var c = new Client()` makes, a class's fields
; (in its body: attributes, which its methods read bare or through `this`), loop and catch names.
(formal_parameter type: (_) @bind.type name: (identifier) @bind.name)
(spread_parameter (variable_declarator name: (identifier) @bind.name))
(local_variable_declaration type: (_) @bind.type declarator: (variable_declarator name: (identifier) @bind.name)
  (#not-eq? @bind.type "var"))
(local_variable_declaration type: (type_identifier) @_var declarator: (variable_declarator
  name: (identifier) @bind.name value: (_) @bind.value) (#eq? @_var "var"))
(field_declaration type: (_) @bind.type declarator: (variable_declarator name: (identifier) @bind.name))
(enhanced_for_statement type: (_) @bind.type name: (identifier) @bind.name)
(catch_formal_parameter name: (identifier) @bind.name)
(resource type: (_) @bind.type name: (identifier) @bind.name)
(lambda_expression parameters: (identifier) @bind.name)
(inferred_parameters (identifier) @bind.name)
