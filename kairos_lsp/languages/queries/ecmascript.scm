; Shared by JavaScript, TypeScript and TSX (loaded after each one's own file).

; Private methods, getters and setters: `#notify() {}` (the tags see public names only).
((comment)* @doc . (method_definition name: (private_property_identifier) @name) @definition.method)

; A class bound to a variable: `var Mutation = class extends Removable {}` (bundlers write
; classes so); its methods are its, not the module's.
((comment)* @doc . [(lexical_declaration (variable_declarator name: (identifier) @name value: (class)) @definition.class)
  (variable_declaration (variable_declarator name: (identifier) @name value: (class)) @definition.class)])

; The default export. Anonymous, it is a symbol named `default`, as importers reach it:
; `export default function (req) {}`, `export default (a) => a`, `export default class {}`.
(export_statement "default" @name value: [(function_expression !name) (arrow_function)]) @definition.function
(export_statement "default" @name value: (class !name)) @definition.class
; Named, the module binds `default` to that name (an import with no module: this one):
; `export default function greet() {}`, `export default Store`, `export { greet as default }`.
(export_statement "default" @import.alias declaration: [(function_declaration name: (_) @import.name)
  (generator_function_declaration name: (_) @import.name) (class_declaration name: (_) @import.name)]) @import
(export_statement "default" @import.alias value: (identifier) @import.name) @import
(export_statement !source (export_clause (export_specifier name: (_) @import.name alias: _ @import.alias))) @import
; CommonJS's `module.exports = Client` binds `exports` (what `require` returns) to the name.
((expression_statement (assignment_expression left: (member_expression object: (identifier) @_module
   property: (property_identifier) @import.alias) right: (identifier) @import.name)) @import
  (#eq? @_module "module") (#eq? @import.alias "exports"))

; A function assigned to an object's property is named with the object: `webidl.brandCheck =
; function () {}` (undici), `app.listen = function listen() {}` (express); on a prototype, with
; its constructor: `Cache.prototype.match = function () {}`. (Not a module's `exports.f`.)
((assignment_expression left: (member_expression object: (identifier) @qualifier property: (property_identifier))
   right: [(function_expression) (arrow_function)]) @owner
  (#not-match? @qualifier "^(exports|module)$"))
((assignment_expression left: (member_expression object: (member_expression object: (identifier) @qualifier
    property: (property_identifier) @_prototype) property: (property_identifier))
   right: [(function_expression) (arrow_function)]) @owner
  (#eq? @_prototype "prototype"))

; A function-valued property of an object literal is a method of the object (the tags call it
; a function): it binds no name where it is written. A zustand store's `fetchUser: async (id) =>
; { await fetchUser(id) }` calls the imported `fetchUser`, not itself.
(pair key: (property_identifier) @name value: [(arrow_function) (function_expression)]) @definition.method

; An object literal inside another names what is in it: `{ users: { list() {} } }` in `const api`
; defines `api.users.list`, as callers write it (not `api.list`).
(pair key: (property_identifier) @name value: (object) @scope)

; Module constants, exported or not, with their comments: a module-level `const` of any value
; (`const X = 3`, `const User = z.object({...})`, `export const useStore = create(...)`, `const
; TIMEOUT = 60 * 1000`, `export const forEach = internal.forEach`), the way Python's tags take
; `app = Flask(__name__)`; a function or class value is that definition (its kind outranks a
; constant). Not a CommonJS `const fs = require('fs')`: that is an import. (One wildcard is
; cheaper for the query than an alternation of the values: 2.9 against 4.1 s of CPU over the
; npm releases' 6,800 files.)
(program (lexical_declaration kind: "const"
  (variable_declarator name: (identifier) @name
    value: (_) @_value (#not-match? @_value "^require\\s*\\(")) @definition.constant))
(program (comment)+ @doc . (lexical_declaration kind: "const"
  (variable_declarator
    value: (_) @_value (#not-match? @_value "^require\\s*\\(")) @owner))
(program (export_statement declaration: (lexical_declaration kind: "const"
  (variable_declarator name: (identifier) @name
    value: (_) @_value (#not-match? @_value "^require\\s*\\(")) @definition.constant)))

; A function of an object literal handed to a call is named with the variable that keeps the
; call's result: effect's `const differ = make({ patch: (patch, oldValue) => ... })` defines
; `differ.patch`, not the module's `patch` (which `runtimeFlags.patch(...)` was taken to call).
(variable_declarator name: (identifier) @qualifier
  value: (call_expression arguments: (arguments (object (pair value: [(arrow_function) (function_expression)]) @owner))))

; `this.#dispatch()`: a private method's call (the tags see public names only).
(call_expression function: (member_expression property: (private_property_identifier) @name)
  arguments: (_) @reference.call)

; `new Client()` is a call to `Client` (the tags only tag it as a class reference).
(new_expression constructor: (identifier) @name @reference.call)
(new_expression constructor: (member_expression property: (property_identifier) @name) @reference.call)

; ES imports: default, named (maybe aliased), namespace, side effect only.
(import_statement (import_clause (identifier) @import.alias) source: (string) @import.module) @import
(import_statement (import_clause (named_imports (import_specifier name: (_) @import.name
  alias: (_)? @import.alias))) source: (string) @import.module) @import
(import_statement (import_clause (namespace_import "*" @import.name (identifier) @import.alias))
  source: (string) @import.module) @import
(import_statement . source: (string) @import.module) @import
; Re-exports import too: `export { a as b } from './x'`, `export * from './x'`.
(export_statement (export_clause (export_specifier name: (_) @import.name alias: (_)? @import.alias))
  source: (string) @import.module) @import
(export_statement "*" @import.name source: (string) @import.module) @import

; Dynamic `import('./x')`.
(call_expression function: (import) arguments: (arguments . (string) @import.module)) @import
; ... its names, loaded when the function runs: `const { a, b: c } = await import('./x')`
; (drizzle-kit's commands, 69 of them); `const m = await import('./x')`, the module.
(variable_declarator name: (object_pattern [
    (shorthand_property_identifier_pattern) @import.name
    (pair_pattern key: (_) @import.name value: (identifier) @import.alias)])
  value: (await_expression (call_expression function: (import) arguments: (arguments . (string) @import.module)))) @import
(variable_declarator name: (identifier) @import.alias
  value: (await_expression (call_expression function: (import) arguments: (arguments . (string) @import.module)))) @import

; CommonJS: `const x = require('x')`, `const { a, b: c } = require('x')`, bare `require('x')`.
((variable_declarator name: (identifier) @import.alias
   value: (call_expression function: (identifier) @_req arguments: (arguments . (string) @import.module))) @import
  (#eq? @_req "require"))
((variable_declarator name: (object_pattern [
    (shorthand_property_identifier_pattern) @import.name
    (pair_pattern key: (_) @import.name value: (identifier) @import.alias)])
   value: (call_expression function: (identifier) @_req arguments: (arguments . (string) @import.module))) @import
  (#eq? @_req "require"))
((expression_statement (call_expression function: (identifier) @_req
   arguments: (arguments . (string) @import.module))) @import
  (#eq? @_req "require"))

; Throws: `throw new X()`, `throw X()`, `throw err`.
(throw_statement (new_expression constructor: (_) @raise.name)) @raise
(throw_statement (call_expression function: (_) @raise.name)) @raise
(throw_statement [(identifier) (member_expression)] @raise.name) @raise

; What a function writes beyond its own scope (see python.scm): a variable assigned,
; augmented or incremented, a property or item assigned or deleted. extract.py keeps those
; whose first name the function does not bind itself (ecmascript-locals.scm).
(assignment_expression left: [(identifier) (member_expression) (subscript_expression)] @write.target) @write
(augmented_assignment_expression
  left: [(identifier) (member_expression) (subscript_expression)] @write.target) @write
(update_expression argument: [(identifier) (member_expression) (subscript_expression)] @write.target) @write
(unary_expression operator: "delete" argument: [(member_expression) (subscript_expression)] @write.target) @write

; What an instance's attributes hold (see python.scm): `this.client = new Client()`.
(assignment_expression left: (member_expression object: (this)
    property: [(property_identifier) (private_property_identifier)] @attribute.name)
  right: (new_expression constructor: [(identifier) (member_expression)] @attribute.made)) @attribute

; A module constant's object holding a function by name (SvelteKit's `export const updated_listener
; = { v: noop }`, `{ noop }`, `{ get: api.get }`): the object has the member, with what it holds
; unsaid; a method of it that went while its name lives on this way is not gone (``Resolver``).
; A literal value is data, not read (the store's size).
(program (lexical_declaration kind: "const" (variable_declarator value: (object [
  (pair key: (property_identifier) @attribute.name value: [(identifier) (member_expression)])
  (shorthand_property_identifier) @attribute.name] @attribute))))
(program (export_statement declaration: (lexical_declaration kind: "const" (variable_declarator value: (object [
  (pair key: (property_identifier) @attribute.name value: [(identifier) (member_expression)])
  (shorthand_property_identifier) @attribute.name] @attribute)))))

; A name the instances hold by other means than a method, with what it holds unsaid (see
; python.scm): bound on `this` to another's method (`this.add = this.addSafe`, `this.go =
; this.go.bind(this)`), to one of two, to an item of a table.
(assignment_expression left: (member_expression object: (this)
    property: [(property_identifier) (private_property_identifier)] @attribute.name)
  right: [(member_expression) (ternary_expression) (call_expression) (subscript_expression)]) @attribute

; What a function's own names hold (see python.scm): a `const` made by `new` or by a call
; (`const client = new Client()`, `const cache = client.getQueryCache()`); a `let` or `var`
; may be assigned again anywhere (assignments are not read as bindings: ecmascript-locals.scm).
(lexical_declaration kind: "const" (variable_declarator name: (identifier) @local.name
  value: (new_expression constructor: [(identifier) (member_expression)] @local.made)) @local)
(lexical_declaration kind: "const" (variable_declarator name: (identifier) @local.name
  value: (call_expression function: [(identifier) (member_expression)] @local.made)) @local)
