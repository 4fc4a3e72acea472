"""What the extractor sees in real-looking code, language by language.

Each test feeds a realistic snippet through ``extract_source`` and checks
what a user of the memory would read back: qualified names, kinds,
signatures, parameters, docstrings, decorators, calls, imports and raises.
"""

from __future__ import annotations

import json

import pytest

from kairos_lsp.extract import extract_source, observations
from kairos_lsp.languages import LANGUAGES, query


def extract(source: str, language: str):
    return extract_source(source.encode(), language)


def symbols(source: str, language: str) -> dict:
    return {s.qualname: s for s in extract(source, language).symbols}


def outline(source: str, language: str) -> list[tuple[str, str]]:
    return [(s.qualname, s.kind) for s in extract(source, language).symbols]


def imports(symbol) -> list[dict]:
    """The symbol's imports, in a stable order."""
    return canon(json.loads(i) for i in symbol.imports)


def canon(items) -> list[dict]:
    return sorted(items, key=lambda d: json.dumps(d, sort_keys=True))


# --------------------------------------------------------------------------- all


@pytest.mark.parametrize("language", [spec.name for spec in LANGUAGES])
def test_every_query_compiles_and_empty_files_yield_only_the_module(language):
    assert query(language).pattern_count > 0
    result = extract("", language)
    assert [(s.qualname, s.kind) for s in result.symbols] == [("", "module")]
    assert not result.has_errors


@pytest.mark.parametrize(
    "language, text",
    [
        ("python", "# just a note\n# and another\n"),
        ("javascript", "// TODO: write this module\n/* nothing yet */\n"),
        ("typescript", "/** Reserved. */\n// nothing here\n"),
        ("tsx", "// components go here\n"),
        ("go", "// nothing to see\n"),
        ("rust", "// nothing to see\n/// a stray doc comment\n"),
        ("java", "/* Licensed under MIT. */\n// empty\n"),
    ],
)
def test_a_file_with_only_comments_yields_only_the_module(language, text):
    result = extract(text, language)
    assert [(s.qualname, s.kind) for s in result.symbols] == [("", "module")]
    module = result.symbols[0]
    assert (module.calls, module.imports, module.raises) == ([], [], [])


# --------------------------------------------------------------------------- python

PYTHON = '''\
"""Token bucket rate limiting for the API gateway."""

import time
import logging as log
from collections import OrderedDict as ODict, deque
from . import metrics
from ..core.errors import RateLimited, ConfigError

DEFAULT_RATE = 10.0


class Bucket:
    """A refilling bucket of tokens."""

    class Stats:
        """Counters kept per bucket."""

        def reset(self):
            self.hits = 0

    def __init__(self, rate: float = DEFAULT_RATE, *, burst=5, **labels):
        if rate <= 0:
            raise ConfigError(f"rate must be positive, got {rate}")
        self.rate = rate
        self.tokens = float(burst)
        self.updated = time.monotonic()

    @property
    def full(self) -> bool:
        return self.tokens >= self.rate

    @staticmethod
    @metrics.timed("bucket.take")
    def take(bucket: "Bucket", n: int = 1, *args) -> None:
        """Take ``n`` tokens or raise."""
        if bucket.tokens < n:
            log.warning("rate limited")
            raise RateLimited
        bucket.tokens -= n
'''


def test_python_symbols_signatures_and_docstrings():
    assert outline(PYTHON, "python") == [
        ("", "module"),
        ("DEFAULT_RATE", "constant"),
        ("Bucket", "class"),
        ("Bucket.Stats", "class"),
        ("Bucket.Stats.reset", "method"),
        ("Bucket.__init__", "method"),
        ("Bucket.full", "method"),
        ("Bucket.take", "method"),
    ]
    syms = symbols(PYTHON, "python")
    assert syms[""].docstring == "Token bucket rate limiting for the API gateway."
    assert syms["Bucket"].docstring == "A refilling bucket of tokens."
    assert syms["Bucket.Stats"].docstring == "Counters kept per bucket."
    init = syms["Bucket.__init__"]
    assert init.signature == "__init__(self, rate: float = DEFAULT_RATE, *, burst=5, **labels)"
    assert init.parameters == [
        ("self", "required"),
        ("rate", "optional"),
        ("burst", "optional"),
        ("labels", "variadic"),
    ]
    take = syms["Bucket.take"]
    assert take.signature == 'take(bucket: "Bucket", n: int = 1, *args) -> None'
    assert take.docstring == "Take ``n`` tokens or raise."
    assert take.decorators == ["staticmethod", 'metrics.timed("bucket.take")']
    assert syms["Bucket.full"].decorators == ["property"]
    assert syms["Bucket.full"].signature == "full(self) -> bool"


def test_python_calls_imports_and_raises():
    syms = symbols(PYTHON, "python")
    assert syms["Bucket.__init__"].calls == ["ConfigError", "float", "time.monotonic"]
    assert syms["Bucket.__init__"].raises == ["ConfigError"]
    assert syms["Bucket.take"].calls == ["log.warning"]
    assert syms["Bucket.take"].raises == ["RateLimited"]
    assert imports(syms[""]) == canon(
        [
            {"module": "time"},
            {"module": "logging", "alias": "log"},
            {"module": "collections", "name": "OrderedDict", "alias": "ODict"},
            {"module": "collections", "name": "deque"},
            {"module": ".", "name": "metrics"},
            {"module": "..core.errors", "name": "RateLimited"},
            {"module": "..core.errors", "name": "ConfigError"},
        ]
    )
    assert ("raises", "RateLimited") in observations(syms["Bucket.take"])
    assert ("decorated_by", "staticmethod") in observations(syms["Bucket.take"])


WRITES = """\
_cache = {}
_hits = 0


def remember(key, value):
    _cache[key] = value


def count():
    global _hits
    _hits += 1


def tally(pairs):
    totals = {}
    for name, n in pairs:
        totals[name] = totals.get(name, 0) + n
    return totals


def fill(target, *rest, **options):
    target["a"] = 1
    del rest[0].b
    options["seen"] = True
    target . c = 2


def wraps(func):
    def wrapper(*args):
        return func(*args)

    wrapper.__wrapped__ = func
    return wrapper


def counter():
    seen = {"n": 0}

    def step():
        seen["n"] += 1
        return seen["n"]

    return step


def set_env(name):
    import os

    os.environ[name] = "1"


class Pool:
    size = {}
    size["max"] = 4

    def resize(self, n):
        self.n = n
        self.slots[n] = None
        Pool.resized = True

    def later(self):
        def done():
            self.closed = True

        return done


_cache["boot"] = 1
"""


def test_python_writes_beyond_a_function_s_own_scope():
    """A global, a parameter's item, an enclosing function's dict, a module's attribute;
    not a local dict, a nested function's attribute, a method's own object, nor what a
    module or class body writes (their own state)."""
    syms = symbols(WRITES, "python")
    assert syms["remember"].writes == ["_cache[…]"]
    assert syms["count"].writes == ["_hits"]
    assert syms["tally"].writes == []
    assert syms["fill"].writes == ["rest[…].b", "target.c", "target[…]"]  # not the call's own **options
    assert syms["wraps"].writes == [] and syms["wraps.wrapper"].writes == []
    assert syms["counter"].writes == [] and syms["counter.step"].writes == ["seen[…]"]
    assert syms["set_env"].writes == ["os.environ[…]"]  # an imported module is no local
    assert syms["Pool.resize"].writes == ["Pool.resized"]  # not self's
    assert syms["Pool.later"].writes == [] and syms["Pool.later.done"].writes == ["self.closed"]
    assert syms[""].writes == [] and syms["Pool"].writes == []
    assert ("writes", "_cache[…]") in observations(syms["remember"])


def test_python_file_with_a_syntax_error_keeps_what_tree_sitter_recovers():
    source = '''\
import os


def cwd(a):
    return os.getcwd()


def broken(x:
    pass


class After:
    def run(self):
        """Still found."""
        return cwd(self)
'''
    result = extract(source, "python")
    assert result.has_errors
    syms = {s.qualname: s for s in result.symbols}
    assert {"cwd", "After", "After.run"} <= set(syms)
    assert syms["cwd"].signature == "cwd(a)"
    assert syms["cwd"].calls == ["os.getcwd"]
    assert syms["After.run"].kind == "method"
    assert syms["After.run"].docstring == "Still found."


# --------------------------------------------------------------------------- javascript

JAVASCRIPT = """\
/**
 * HTTP client for the billing service.
 */
import axios, { AxiosError as HttpError } from 'axios';
import * as qs from 'querystring';
import './polyfills';
const { retry, sleep: wait } = require('./util');
const debug = require('debug');

export const DEFAULT_TIMEOUT = 5000;
const USER_AGENT = `billing-client/1.2`;

// Build the query string for a request.
// Empty values are dropped.
export function buildQuery(params, sort = 'asc', ...extra) {
  if (!params) throw new TypeError('params required');
  return qs.stringify({ ...params, sort });
}

/** Fetch one invoice. */
export const fetchInvoice = async ({ id }, client = axios) => {
  const res = await client.get(`/invoices/${id}`);
  return res.data;
};

export class BillingClient extends EventEmitter {
  /** Create a client bound to `baseUrl`. */
  constructor(baseUrl, options = {}) {
    super();
    this.http = axios.create({ baseURL: baseUrl });
  }

  /** Charge a customer; retries on network errors. */
  async charge(customerId, amount) {
    try {
      return await retry(() => this.http.post('/charges', { customerId, amount }));
    } catch (err) {
      debug('charge failed');
      throw new errors.ChargeFailed(customerId);
    }
  }

  static fromEnv() {
    return new BillingClient(process.env.BILLING_URL);
  }
}
"""


def test_javascript_symbols_signatures_and_docs():
    assert outline(JAVASCRIPT, "javascript") == [
        ("", "module"),
        ("DEFAULT_TIMEOUT", "constant"),
        ("USER_AGENT", "constant"),
        ("buildQuery", "function"),
        ("fetchInvoice", "function"),
        ("BillingClient", "class"),
        ("BillingClient.constructor", "constructor"),
        ("BillingClient.charge", "method"),
        ("BillingClient.fromEnv", "method"),
    ]
    syms = symbols(JAVASCRIPT, "javascript")
    assert syms[""].docstring == "HTTP client for the billing service."
    build = syms["buildQuery"]
    assert build.signature == "buildQuery(params, sort = 'asc', ...extra)"
    assert build.parameters == [("params", "required"), ("sort", "optional"), ("extra", "variadic")]
    assert build.docstring == "Build the query string for a request.\nEmpty values are dropped."
    fetch = syms["fetchInvoice"]
    assert fetch.signature == "fetchInvoice({ id }, client = axios)"
    assert fetch.parameters == [("{ id }", "required"), ("client", "optional")]
    assert fetch.docstring == "Fetch one invoice."
    ctor = syms["BillingClient.constructor"]
    assert ctor.signature == "constructor(baseUrl, options = {})"
    assert ctor.docstring == "Create a client bound to `baseUrl`."
    assert syms["BillingClient.charge"].docstring == "Charge a customer; retries on network errors."
    assert syms["BillingClient.fromEnv"].signature == "fromEnv()"


def test_javascript_calls_imports_and_throws():
    syms = symbols(JAVASCRIPT, "javascript")
    assert syms["buildQuery"].calls == ["TypeError", "qs.stringify"]
    assert syms["buildQuery"].raises == ["TypeError"]
    assert syms["fetchInvoice"].calls == ["client.get"]
    assert syms["BillingClient.constructor"].calls == ["axios.create"]
    assert syms["BillingClient.charge"].calls == ["debug", "errors.ChargeFailed", "retry", "this.http.post"]
    assert syms["BillingClient.charge"].raises == ["errors.ChargeFailed"]
    assert syms["BillingClient.fromEnv"].calls == ["BillingClient"]
    assert imports(syms[""]) == canon(
        [
            {"module": "axios", "alias": "axios"},
            {"module": "axios", "name": "AxiosError", "alias": "HttpError"},
            {"module": "querystring", "name": "*", "alias": "qs"},
            {"module": "./polyfills"},
            {"module": "./util", "name": "retry"},
            {"module": "./util", "name": "sleep", "alias": "wait"},
            {"module": "debug", "alias": "debug"},
        ]
    )
    # require() is an import, not a call.
    assert "require" not in syms[""].calls


def test_javascript_named_function_as_the_value_of_a_definition_is_one_symbol():
    """``app.listen = function listen() {}`` (express's style), ``const add = function add()``,
    ``{run: function run()}`` and ``exports.a = function b()``: one symbol each, known by
    the name its callers use, which makes the calls."""
    source = """\
var app = exports = module.exports = {};
app.listen = function listen(port) {
  var server = http.createServer(this);
  return server.listen(port);
};
const add = function add(a, b) { return sum(a, b); };
const tools = { run: function run(x) { return go(x); } };
exports.a = function b() { return c(); };
"""
    syms = symbols(source, "javascript")
    assert syms["app.listen"].calls == ["http.createServer", "server.listen"] and "app.listen.listen" not in syms
    assert syms["app.listen"].signature == "listen(port)"
    assert syms["add"].calls == ["sum"] and "add.add" not in syms
    assert syms["tools.run"].calls == ["go"] and "tools.run.run" not in syms
    assert syms["a"].calls == ["c"] and "a.b" not in syms


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_a_class_s_signature_names_its_base(language):
    """Where ``this.hasListeners()`` is looked for when the class does not define it."""
    ts = "<Listener>" if language != "javascript" else ""
    source = f"""\
export class QueryObserver extends Subscribable{ts} {{}}
class Local extends mod.Base {{}}
var Mutation = class extends Removable {{}};
class Plain {{}}
export default class extends Component {{}}
"""
    syms = symbols(source, language)
    assert [syms[q].signature for q in ("QueryObserver", "Local", "Mutation", "Plain", "default")] == [
        "QueryObserver extends Subscribable",
        "Local extends mod.Base",
        "Mutation extends Removable",
        None,
        "default extends Component",
    ]


@pytest.mark.parametrize("language", ["javascript", "typescript"])
def test_a_function_assigned_to_an_object_s_property_is_named_with_the_object(language):
    """undici's ``webidl.brandCheck = function (V, I) {}``, called as ``webidl.brandCheck(...)``
    from other modules, was the module's ``brandCheck``; express's ``req.accepts`` took the
    calls of the ``accepts`` package. A prototype's function is its constructor's; a
    module's ``exports.f`` is the module's ``f``."""
    source = """\
const webidl = {};
webidl.brandCheck = function (V, I) { return check(V, I); };
Cache.prototype.match = function match(request) { return lookup(request); };
exports.parse = (text) => split(text);
module.exports.format = function (value) { return show(value); };
"""
    syms = symbols(source, language)
    assert [q for q in syms if q] == ["webidl", "webidl.brandCheck", "Cache.match", "parse", "format"]
    assert syms["webidl.brandCheck"].calls == ["check"] and syms["webidl.brandCheck"].name == "brandCheck"
    assert syms["Cache.match"].signature == "match(request)"


def test_javascript_decorators_object_methods_and_reexports():
    source = """\
export * from './models';
export { default as Button, theme } from './ui';

@observer
class TodoView extends Component {
  @action.bound
  toggle(todo) { todo.done = !todo.done; }
}

const handlers = {
  onSave: (doc) => store.save(doc),
  onLoad: function (id, cache = true) { return store.load(id); },
};

module.exports.start = function start(port) { app.listen(port); };
"""
    syms = symbols(source, "javascript")
    assert syms["TodoView"].decorators == ["observer"]
    assert syms["TodoView.toggle"].decorators == ["action.bound"]
    assert syms["TodoView.toggle"].parameters == [("todo", "required")]
    # An object literal of handlers is a module constant holding functions.
    assert syms["handlers"].kind == "constant"
    assert syms["handlers.onSave"].signature == "onSave(doc)"
    assert syms["handlers.onSave"].calls == ["store.save"]
    assert syms["handlers.onLoad"].parameters == [("id", "required"), ("cache", "optional")]
    assert syms["start"].signature == "start(port)"
    assert imports(syms[""]) == canon(
        [
            {"module": "./models", "name": "*"},
            {"module": "./ui", "name": "default", "alias": "Button"},
            {"module": "./ui", "name": "theme"},
        ]
    )


# --------------------------------------------------------------------------- typescript

TYPESCRIPT = """\
import type { Request, Response } from 'express';
import { Injectable, Inject } from '@nestjs/common';
import fs = require('fs');

/** Roles a user can hold. */
export enum Role { Admin = 'admin', Member = 'member' }

export type UserId = string;

/** Storage for users. */
export interface UserRepository {
  /** Find a user by id. */
  findById(id: UserId, withDeleted?: boolean): Promise<User | null>;
  save(user: User): Promise<void>;
}

export const RETRY_DELAYS = [100, 500, 2000] as const;

@Injectable()
export class UserService {
  constructor(@Inject(REPO) private readonly repo: UserRepository, private prefix = 'user') {}

  async rename(id: UserId, name: string, ...tags: string[]): Promise<User> {
    const user = await this.repo.findById(id);
    if (!user) throw new NotFoundException(`user ${id}`);
    user.name = name;
    await this.repo.save(user);
    return user;
  }
}

/** Express handler: GET /users/:id */
export const getUser = async (req: Request, res: Response): Promise<void> => {
  res.json(await service.rename(req.params.id, 'x'));
};

export function parseId(raw: string): UserId;
export function parseId(raw: unknown): UserId {
  return String(raw);
}
"""


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_typescript_symbols_and_signatures(language):
    assert outline(TYPESCRIPT, language) == [
        ("", "module"),
        ("Role", "enum"),
        ("UserId", "type"),
        ("UserRepository", "interface"),
        ("UserRepository.findById", "method"),
        ("UserRepository.save", "method"),
        ("RETRY_DELAYS", "constant"),
        ("UserService", "class"),
        ("UserService.constructor", "constructor"),
        ("UserService.rename", "method"),
        ("getUser", "function"),
        ("parseId", "function"),
        ("parseId~2", "function"),
    ]
    syms = symbols(TYPESCRIPT, language)
    find = syms["UserRepository.findById"]
    assert find.signature == "findById(id: UserId, withDeleted?: boolean): Promise<User | null>"
    assert find.parameters == [("id", "required"), ("withDeleted", "optional")]
    assert find.docstring == "Find a user by id."
    assert syms["UserRepository"].docstring == "Storage for users."
    assert syms["Role"].docstring == "Roles a user can hold."
    ctor = syms["UserService.constructor"]
    assert ctor.parameters == [("repo", "required"), ("prefix", "optional")]
    rename = syms["UserService.rename"]
    assert rename.signature == "rename(id: UserId, name: string, ...tags: string[]): Promise<User>"
    assert rename.parameters == [("id", "required"), ("name", "required"), ("tags", "variadic")]
    get = syms["getUser"]
    assert get.signature == "getUser(req: Request, res: Response): Promise<void>"
    assert get.docstring == "Express handler: GET /users/:id"
    assert syms["parseId"].signature == "parseId(raw: string): UserId"
    assert syms["parseId~2"].signature == "parseId(raw: unknown): UserId"


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_ecmascript_writes_beyond_a_function_s_own_scope(language):
    """A closure's variable (tanstack's ``isRetryCancelled = true``), a module's object
    (mobx's ``globalState.allowStateChanges``), a parameter's property, ``window``; not a
    declared variable, a loop's counter, a method's ``this``, a parameter named again, nor
    the variable a new function is assigned to (a definition)."""
    source = """\
const globalState = { allowStateChanges: false };
export function allowStateChangesStart(allow) {
  const prev = globalState.allowStateChanges;
  globalState.allowStateChanges = allow;
  return prev;
}
export function createRetryer(config) {
  let isRetryCancelled = false;
  let attempts = 0;
  const cancelRetry = () => {
    isRetryCancelled = true;
  };
  let onFail;
  onFail = () => attempts;
  for (let i = 0; i < 3; i++) {
    attempts += i;
  }
  config.retries = attempts;
  return cancelRetry;
}
export function go(n) {
  n = n || 1;
  window.location.href = "/" + n;
  delete cache[n];
}
class Query {
  setData(data) {
    this.data = data;
    const listener = () => {
      this.updated = true;
    };
    return listener;
  }
}
"""
    syms = symbols(source, language)
    assert syms["allowStateChangesStart"].writes == ["globalState.allowStateChanges"]
    assert syms["createRetryer"].writes == ["config.retries"]
    assert syms["createRetryer.cancelRetry"].writes == ["isRetryCancelled"]
    assert syms["createRetryer.onFail"].writes == []
    assert syms["go"].writes == ["cache[…]", "window.location.href"]
    assert syms["Query.setData"].writes == [] and syms["Query.setData.listener"].writes == ["this.updated"]


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_a_typescript_namespace_merges_with_the_class_of_its_name(language):
    """apollo-client 4: `export declare namespace ApolloLink {...}` then `export class
    ApolloLink`: one name, as TypeScript merges them; a namespace alone stays a module."""
    source = """\
export declare namespace ApolloLink {
  interface Options { a: number }
}

export class ApolloLink {
  static empty(): ApolloLink { return new ApolloLink() }
}
namespace Other { export function f(a: number) {} }
"""
    assert outline(source, language)[1:] == [
        ("ApolloLink.Options", "interface"),
        ("ApolloLink", "class"),
        ("ApolloLink.empty", "method"),
        ("Other", "module"),
        ("Other.f", "function"),
    ]


@pytest.mark.parametrize(
    "source,exports",
    [
        ('"""Doc."""\n__all__ = ["a", \'b\']\n\n\ndef a():\n    pass\n', ["a", "b"]),
        ("__all__: list[str] = (\n    'a',  # the first\n)\n", ["a"]),
        ("__all__ = []\n", []),
        ("def a():\n    pass\n", None),  # no __all__: its public names
        ("__all__ = ['a']\n__all__ += ['b']\n", None),  # grown elsewhere: not one literal
        ("__all__ = ['a']\n__all__.extend(more)\n", None),
        ("__all__ = ['a', *other.__all__]\n", None),
        ("__all__ = ['a']\nif x:\n    __all__ = ['b']\n", None),  # which one holds depends on what ran
    ],
)
def test_a_python_modules_all_is_what_its_star_imports_bring(source, exports):
    module = extract(source, "python").symbols[0]
    assert module.exports == exports
    assert [v for p, v in observations(module) if p == "exports"] == (
        [" ".join(exports)] if exports is not None else []
    )


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_a_typescript_function_in_a_value_that_declares_or_casts_its_type_has_no_parameters_of_its_own(language):
    """Callers call mobx 7's `computed` as `IComputedFactory` says, not as `function computed(arg1,
    arg2)` takes; `satisfies` checks a value without changing its type."""
    source = """\
export const computed: F = function computed(arg1, arg2) { return 1 } as any
export const paren = (function paren(a, b) { return 1 }) as F
export const flow: F = Object.assign(function flow(a, b) { return 1 }, {})
export const kept = function kept(a, b) { return 1 } satisfies F
export const wrapped = Object.assign(function wrapped(a, b) { return 1 }, {})
"""
    syms = symbols(source, language)
    assert [(q, s.kind, s.signature, s.parameters) for q, s in syms.items() if q in ("computed", "paren", "flow")] == [
        ("computed", "function", None, []),
        ("paren", "function", None, []),
        ("flow", "function", None, []),
    ]
    assert syms["kept"].parameters == syms["wrapped"].parameters == [("a", "required"), ("b", "required")]


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_typescript_overload_signatures_are_declared_and_private_calls_are_calls(language):
    """rxjs declares ``first`` three times and implements it once; tanstack's callbacks call
    ``this.#dispatch``, which the tags do not see."""
    source = """\
export function first<T>(predicate: BooleanConstructor): T;
export function first<T>(predicate?: (v: T) => boolean): T;
export function first<T>(predicate?: any): T {
  return filter(predicate);
}
declare function external(a: number): void;
class Query {
  fetch() {
    const onContinue = () => {
      this.#dispatch({ type: "continue" });
    };
  }
}
"""
    syms = symbols(source, language)
    assert [syms[k].declared for k in ("first", "first~2", "first~3", "external")] == [True, True, False, True]
    assert ("declared", "without code") in observations(syms["first"])
    assert ("declared", "without code") not in observations(syms["first~3"])
    assert syms["Query.fetch.onContinue"].calls == ["this.#dispatch"]


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_private_methods_function_fields_and_classes_bound_to_variables_are_symbols(language):
    """TanStack Query's ``#dispatch(action) {}``, a React class's ``handleClick = (e) => {}``,
    and a bundle's ``var Mutation = class extends Removable {}``: each was no symbol, so its
    calls were its class's (or its methods the module's functions) and a hover on it said
    nothing."""
    source = """\
/** A mutation. */
var Mutation = class extends Removable {
  #observers = [];
  /** Run it. */
  execute(variables) {
    return this.#dispatch({ type: "pending", variables });
  }
  /** Tell the cache. */
  #dispatch(action) {
    this.#observers.forEach((observer) => observer.onMutationUpdate(action));
  }
  get #size() { return this.#observers.length; }
  handleClick = (event, extra = 1) => { this.#dispatch(event); };
  #onUpdate = function (result) { notify(result); };
  static count = 0;
};
"""
    syms = symbols(source, language)
    assert [(q, s.kind) for q, s in syms.items()] == [
        ("", "module"),
        ("Mutation", "class"),
        ("Mutation.execute", "method"),
        ("Mutation.#dispatch", "method"),
        ("Mutation.#size", "method"),
        ("Mutation.handleClick", "method"),
        ("Mutation.#onUpdate", "method"),
    ]
    assert syms["Mutation"].docstring == "A mutation."
    assert syms["Mutation.#dispatch"].docstring == "Tell the cache."
    assert syms["Mutation.#dispatch"].calls == ["observer.onMutationUpdate", "this.#observers.forEach"]
    assert syms["Mutation.#dispatch"].parameters == [("action", "required")]
    assert syms["Mutation.execute"].calls == ["this.#dispatch"]
    assert syms["Mutation.handleClick"].parameters == [("event", "required"), ("extra", "optional")]
    assert syms["Mutation.handleClick"].signature.startswith("handleClick(event")
    assert syms["Mutation.#onUpdate"].calls == ["notify"]
    assert syms["Mutation"].calls == []  # its methods' calls are theirs


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
@pytest.mark.parametrize(
    "source, qualname, signature",
    [
        (
            "/** Doubles. */\nexport default function (n, m = 2) {\n  return twice(n) * m;\n}\n",
            "default",
            "default(n, m = 2)",
        ),
        ("export default (n) => twice(n);\n", "default", "default(n)"),
        ("export default class {\n  run(n) { twice(n); }\n}\n", "default.run", "run(n)"),
    ],
)
def test_an_anonymous_default_export_is_a_symbol_named_default(language, source, qualname, signature):
    """``import double from './double'`` reaches the module's default export: anonymous, it
    was no symbol, and its calls were the module's."""
    syms = symbols(source, language)
    assert syms[qualname].signature == signature and syms[qualname].calls == ["twice"]
    assert syms[""].calls == []
    if "Doubles" in source:
        assert syms["default"].docstring == "Doubles."
        assert syms["default"].parameters == [("n", "required"), ("m", "optional")]


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_a_named_default_export_binds_default_to_its_name(language):
    """``export default function toDate() {}`` (date-fns), ``export default Store``,
    ``export { hello as default }``: the module binds ``default`` to the name, an import
    with no module (this one), as ``export { a as b } from './x'`` binds ``b``."""
    for source, name in [
        ("export default function toDate(argument) {\n  return argument;\n}\n", "toDate"),
        ("export default class Store {}\n", "Store"),
        ("class Store {}\nexport default Store;\n", "Store"),
        ("function hello(x) { return x; }\nexport { hello as default };\n", "hello"),
    ]:
        assert imports(symbols(source, language)[""]) == [{"module": "", "name": name, "alias": "default"}], source
    assert imports(symbols("class Client {}\nmodule.exports = Client;\n", language)[""]) == [
        {"module": "", "name": "Client", "alias": "exports"}  # CommonJS: what `require` returns
    ]
    local = "function a() {}\nexport { a as b, a };\n"
    assert imports(symbols(local, language)[""]) == [{"module": "", "name": "a", "alias": "b"}]


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_typescript_decorators_calls_imports_and_throws(language):
    syms = symbols(TYPESCRIPT, language)
    assert syms["UserService"].decorators == ["Injectable()"]
    rename = syms["UserService.rename"]
    assert rename.calls == ["NotFoundException", "this.repo.findById", "this.repo.save"]
    assert rename.raises == ["NotFoundException"]
    assert syms["getUser"].calls == ["res.json", "service.rename"]
    assert imports(syms[""]) == canon(
        [
            {"module": "express", "name": "Request"},
            {"module": "express", "name": "Response"},
            {"module": "@nestjs/common", "name": "Injectable"},
            {"module": "@nestjs/common", "name": "Inject"},
            {"module": "fs", "alias": "fs"},
        ]
    )


def test_tsx_component_file():
    source = """\
import React, { useState } from 'react';

type Props = { label: string; onClick?: () => void };

/** A button that counts its clicks. */
export function CounterButton({ label, onClick }: Props) {
  const [count, setCount] = useState(0);
  return <button onClick={() => { setCount(count + 1); onClick?.(); }}>{label}: {count}</button>;
}

export default CounterButton;
"""
    syms = symbols(source, "tsx")
    assert [q for q in syms] == ["", "Props", "CounterButton"]
    button = syms["CounterButton"]
    assert button.signature == "CounterButton({ label, onClick }: Props)"
    assert button.parameters == [("{ label, onClick }", "required")]
    assert button.docstring == "A button that counts its clicks."
    assert button.calls == ["onClick", "setCount", "useState"]


# --------------------------------------------------------------------------- go

GO = """\
// Copyright 2024 The Acme Authors.

// Package cache implements an in-memory LRU cache.
package cache

import (
	"container/list"
	"errors"
	log "github.com/sirupsen/logrus"
)

// DefaultSize is used when no size is given.
const DefaultSize = 128

var (
	// ErrMiss is returned for absent keys.
	ErrMiss = errors.New("cache: miss")
)

// Store is anything that can hold values.
type Store interface {
	// Get returns the value for key.
	Get(key string) (any, error)
}

// LRU is a fixed-size cache.
type LRU struct {
	size  int
	order *list.List
}

// New returns an LRU holding up to size entries.
func New(size int, keys ...string) *LRU {
	if size <= 0 {
		panic("cache: size must be positive")
	}
	return &LRU{size: size, order: list.New()}
}

// Get looks key up.
func (c *LRU) Get(key string) (any, error) {
	log.Debugf("get %s", key)
	return nil, ErrMiss
}

func (c LRU) Len() int { return c.order.Len() }
"""


def test_go_symbols_receivers_and_signatures():
    assert outline(GO, "go") == [
        ("", "module"),
        ("DefaultSize", "constant"),
        ("ErrMiss", "constant"),
        ("Store", "interface"),
        ("Store.Get", "method"),
        ("LRU", "class"),
        ("New", "function"),
        ("LRU.Get", "method"),
        ("LRU.Len", "method"),
    ]
    syms = symbols(GO, "go")
    assert syms[""].docstring == "Package cache implements an in-memory LRU cache."
    assert syms["DefaultSize"].docstring == "DefaultSize is used when no size is given."
    assert syms["ErrMiss"].docstring == "ErrMiss is returned for absent keys."
    assert syms["Store"].docstring == "Store is anything that can hold values."
    assert syms["Store.Get"].signature == "Get(key string) (any, error)"
    assert syms["Store.Get"].docstring == "Get returns the value for key."
    assert syms["LRU"].docstring == "LRU is a fixed-size cache."
    new = syms["New"]
    assert new.signature == "New(size int, keys ...string) *LRU"
    assert new.parameters == [("size", "required"), ("keys", "variadic")]
    assert new.docstring == "New returns an LRU holding up to size entries."
    get = syms["LRU.Get"]
    assert get.signature == "Get(key string) (any, error)"
    assert get.parameters == [("key", "required")]  # the receiver is not a parameter
    assert get.docstring == "Get looks key up."
    assert syms["LRU.Len"].signature == "Len() int"


def test_go_calls_imports_and_panics():
    syms = symbols(GO, "go")
    assert syms["New"].calls == ["list.New", "panic"]
    assert syms["New"].raises == ['"cache: size must be positive"']
    assert syms["LRU.Get"].calls == ["log.Debugf"]
    assert syms["LRU.Len"].calls == ["c.order.Len"]
    assert syms["ErrMiss"].calls == ["errors.New"]
    assert imports(syms[""]) == canon(
        [
            {"module": "container/list"},
            {"module": "errors"},
            {"module": "github.com/sirupsen/logrus", "alias": "log"},
        ]
    )


def test_go_panic_with_an_error_value_and_generic_receiver():
    source = """\
package pair

type Pair[K comparable, V any] struct{ k K; v V }

func (p *Pair[K, V]) MustKey() K {
	if p == nil {
		panic(fmt.Errorf("nil pair"))
	}
	return p.k
}
"""
    syms = symbols(source, "go")
    assert syms["Pair.MustKey"].kind == "method"
    assert syms["Pair.MustKey"].raises == ["fmt.Errorf"]


# --------------------------------------------------------------------------- rust

RUST = """\
//! Configuration loading for the daemon.

use std::collections::HashMap;
use std::io::{self, Read, Write as IoWrite};
use serde::Deserialize;
use crate::errors::*;

/// Maximum number of include levels.
pub const MAX_DEPTH: usize = 8;
static VERSION: &str = "1.0";

/// Parsed configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub values: HashMap<String, String>,
}

/// Sources a config can be read from.
pub trait Source {
    /// Read the raw text.
    fn read(&mut self) -> io::Result<String>;
}

impl Config {
    pub const EMPTY_NAME: &'static str = "";

    /// Parse `text` into a config.
    pub fn parse(text: &str, strict: bool) -> Result<Self, ConfigError> {
        let mut values = HashMap::new();
        for line in text.lines() {
            let (k, v) = line.split_once('=').ok_or(ConfigError::Syntax)?;
            values.insert(k.trim().to_owned(), v.trim().to_owned());
        }
        Ok(Config { values })
    }

    #[inline]
    pub fn get(&self, key: &str) -> Option<&String> {
        self.values.get(key)
    }
}

impl Source for std::fs::File {
    fn read(&mut self) -> io::Result<String> {
        let mut s = String::new();
        self.read_to_string(&mut s)?;
        if s.is_empty() {
            panic!("empty config");
        }
        Ok(s)
    }
}
"""


def test_rust_symbols_impls_and_signatures():
    assert outline(RUST, "rust") == [
        ("", "module"),
        ("MAX_DEPTH", "constant"),
        ("VERSION", "constant"),
        ("Config", "class"),
        ("Source", "interface"),
        ("Source.read", "method"),
        ("Config.EMPTY_NAME", "constant"),
        ("Config.parse", "method"),
        ("Config.get", "method"),
        ("File.read", "method"),
    ]
    syms = symbols(RUST, "rust")
    assert syms[""].docstring == "Configuration loading for the daemon."
    assert syms["MAX_DEPTH"].docstring == "Maximum number of include levels."
    assert syms["Config"].docstring == "Parsed configuration."
    assert syms["Config"].decorators == ["derive(Debug, Clone)"]
    assert syms["Source.read"].signature == "read(&mut self) -> io::Result<String>"
    assert syms["Source.read"].docstring == "Read the raw text."
    parse = syms["Config.parse"]
    assert parse.signature == "parse(text: &str, strict: bool) -> Result<Self, ConfigError>"
    assert parse.parameters == [("text", "required"), ("strict", "required")]
    assert parse.docstring == "Parse `text` into a config."
    get = syms["Config.get"]
    assert get.parameters == [("self", "required"), ("key", "required")]
    assert get.decorators == ["inline"]


def test_rust_calls_imports_and_panics():
    syms = symbols(RUST, "rust")
    assert syms["Config.parse"].calls == [
        "HashMap::new",
        "Ok",
        "k.trim",
        "k.trim().to_owned",
        "line.split_once",
        "line.split_once('=').ok_or",
        "text.lines",
        "v.trim",
        "v.trim().to_owned",
        "values.insert",
    ]
    assert syms["File.read"].calls == ["Ok", "String::new", "panic", "s.is_empty", "self.read_to_string"]
    assert syms["File.read"].raises == ["panic"]
    assert syms["Config.parse"].raises == []
    assert imports(syms[""]) == canon(
        [
            {"module": "std::collections", "name": "HashMap"},
            {"module": "std::io", "name": "self"},
            {"module": "std::io", "name": "Read"},
            {"module": "std::io", "name": "Write", "alias": "IoWrite"},
            {"module": "serde", "name": "Deserialize"},
            {"module": "crate::errors", "name": "*"},
        ]
    )


def test_rust_modules_macros_and_scoped_calls():
    source = """\
macro_rules! bail {
    ($msg:expr) => { return Err($msg.into()) };
}

pub mod net {
    use tokio::net::TcpListener as Listener;

    pub async fn serve(addr: &str) {
        let items = vec![1, 2].into_iter().collect::<Vec<_>>();
        tracing::info!("serving {}", addr);
        todo!()
    }
}
"""
    syms = symbols(source, "rust")
    assert syms["bail"].kind == "macro"
    assert syms["net"].kind == "module"
    serve = syms["net.serve"]
    assert serve.signature == "serve(addr: &str)"
    assert "vec![1, 2].into_iter().collect" in serve.calls
    assert "tracing::info" in serve.calls
    assert serve.raises == ["todo"]
    assert imports(syms["net"]) == [{"module": "tokio::net", "name": "TcpListener", "alias": "Listener"}]


# --------------------------------------------------------------------------- java

JAVA = """\
package com.acme.orders;

import java.util.List;
import java.util.concurrent.*;
import static java.util.Objects.requireNonNull;

/**
 * Places and cancels orders.
 */
@Service
@Transactional(readOnly = false)
public class OrderService extends BaseService implements AutoCloseable {
    /** Orders per page. */
    public static final int PAGE_SIZE = 50;
    private final OrderRepository repo;

    /** Creates the service. */
    public OrderService(OrderRepository repo, String... regions) {
        super(regions);
        this.repo = requireNonNull(repo);
    }

    /**
     * Places an order.
     * @param order the order to place
     */
    @Override
    public Receipt place(final Order order, boolean dryRun) throws InvalidOrderException, java.io.IOException {
        if (order.lines().isEmpty()) {
            throw new InvalidOrderException("no lines");
        }
        List<Line> lines = new ArrayList<>(order.lines());
        return repo.save(order).toReceipt();
    }

    public enum Status { OPEN, SHIPPED; boolean done() { return this == SHIPPED; } }

    interface Listener { int PRIORITY = 1; void placed(Order order); }

    record Summary(String id, int total) {}
}
"""


def test_java_symbols_and_signatures():
    assert outline(JAVA, "java") == [
        ("", "module"),
        ("OrderService", "class"),
        ("OrderService.PAGE_SIZE", "constant"),
        ("OrderService.OrderService", "constructor"),
        ("OrderService.place", "method"),
        ("OrderService.Status", "enum"),
        ("OrderService.Status.done", "method"),
        ("OrderService.Listener", "interface"),
        ("OrderService.Listener.PRIORITY", "constant"),
        ("OrderService.Listener.placed", "method"),
        ("OrderService.Summary", "class"),
    ]
    syms = symbols(JAVA, "java")
    service = syms["OrderService"]
    assert service.docstring == "Places and cancels orders."
    assert service.decorators == ["Service", "Transactional(readOnly = false)"]
    assert syms["OrderService.PAGE_SIZE"].docstring == "Orders per page."
    ctor = syms["OrderService.OrderService"]
    assert ctor.signature == "OrderService(OrderRepository repo, String... regions)"
    assert ctor.parameters == [("repo", "required"), ("regions", "variadic")]
    assert ctor.docstring == "Creates the service."
    place = syms["OrderService.place"]
    assert place.signature == "Receipt place(final Order order, boolean dryRun)"
    assert place.parameters == [("order", "required"), ("dryRun", "required")]
    assert place.docstring == "Places an order.\n@param order the order to place"
    assert place.decorators == ["Override"]
    assert syms["OrderService.Listener.placed"].signature == "void placed(Order order)"
    assert syms["OrderService.Summary"].signature == "Summary(String id, int total)"


def test_java_calls_imports_and_throws():
    syms = symbols(JAVA, "java")
    place = syms["OrderService.place"]
    assert place.calls == ["ArrayList", "InvalidOrderException", "isEmpty", "lines", "save", "toReceipt"]
    assert place.raises == ["InvalidOrderException", "java.io.IOException"]
    assert syms["OrderService.OrderService"].calls == ["requireNonNull"]
    assert imports(syms[""]) == canon(
        [
            {"module": "java.util", "name": "List"},
            {"module": "java.util.concurrent", "name": "*"},
            {"module": "java.util.Objects", "name": "requireNonNull"},
        ]
    )


# --------------------------------------------------------------------------- docs around attributes, mods


@pytest.mark.parametrize(
    "language, source, qualname, doc",
    [
        ("rust", "/// Errors.\n#[derive(Debug)]\n#[non_exhaustive]\npub enum E { A }\n", "E", "Errors."),
        ("typescript", "class S {\n  /** Find. */\n  @Log()\n  find() {}\n}\n", "S.find", "Find."),
    ],
)
def test_doc_comment_above_several_attributes(language, source, qualname, doc):
    assert symbols(source, language)[qualname].docstring == doc


def test_rust_multi_line_doc_comment():
    source = "/// Parse a file.\n/// Returns the config.\nfn parse() {}\n"
    assert symbols(source, "rust")["parse"].docstring == "Parse a file.\nReturns the config."


def test_rust_functions_in_a_mod_are_functions():
    source = "mod tests {\n    #[test]\n    fn parses() {}\n}\n"
    assert symbols(source, "rust")["tests.parses"].kind == "function"


def test_go_package_doc_keeps_every_line():
    source = "// Package cache keeps things.\n// It evicts the oldest.\npackage cache\n"
    assert symbols(source, "go")[""].docstring == "Package cache keeps things.\nIt evicts the oldest."


def test_rust_crate_doc_keeps_every_line():
    source = "//! Config loading.\n//! Reads TOML.\n\nfn main() {}\n"
    assert symbols(source, "rust")[""].docstring == "Config loading.\nReads TOML."


# --------------------------------------------------------------- what attributes hold


@pytest.mark.parametrize(
    "language,source,held",
    [
        (
            "python",
            "class Server:\n    protocol: 'Protocol'\n    limit: int = 3\n\n    def __init__(self, loop):\n"
            "        self.ws = Workspace(loop)\n        self.cache: Cache = make_cache()\n        other.x = Foo()\n"
            "        self.count = 0\n",
            {
                "Server": ["limit: int", "protocol: 'Protocol'"],
                "Server.__init__": ["cache = make_cache", "cache: Cache", "ws = Workspace"],
            },
        ),
        (
            "python",
            "class Client:\n    def __init__(self, transport: Transport, plain, pool: Optional[Pool] = None, *, "
            "t: float = 1):\n"
            "        self.transport = transport\n        self.pool = pool\n        self.plain = plain\n"
            "        self.timeout = t\n        if pool:\n            self.spare = pool\n        self.other = other\n\n"
            "    def use(self, via: Transport):\n        self.via = via\n",
            {  # a parameter handed over as it is: its annotation (not in a branch: one of several)
                "Client.__init__": ["pool: Optional[Pool]", "timeout: float", "transport: Transport"],
                "Client.use": ["via: Transport"],
            },
        ),
        (
            "typescript",
            "export class Obs {\n  #client: QueryClient\n  #cache = new Map<string, number>()\n  n = 0\n"
            "  constructor(private readonly other: m.Client, plain: Foo) { this.#made = new Made(plain) }\n}\n",
            {"Obs": ["#cache = Map", "#client: QueryClient"], "Obs.constructor": ["#made = Made", "other: m.Client"]},
        ),
        (
            "javascript",
            "class A {\n  #c = new Cache()\n  constructor() { this.d = new Dep(1); this.e = make() }\n}\n",
            {"A": ["#c = Cache"], "A.constructor": ["d = Dep", "e"]},
        ),
        (  # bound to what the code does not say: the bare name (a method may have become it)
            "python",
            "class B:\n    limit = 3\n    __repr__ = __str__\n    get = property(_get)\n\n"
            "    def __init__(self, safe, n):\n"
            "        self.add = self.add_safe if safe else self.add_unsafe\n        self.run = self.pool.run\n"
            "        self.n = n\n        self.total = 0\n        self.key = lambda x: x\n",
            {"B": ["__repr__", "get"], "B.__init__": ["add", "key", "run"]},
        ),
        (
            "typescript",
            "class C {\n  handle = this.handleSafe\n  n = 0\n  constructor(fast: boolean) {\n"
            "    this.read = fast ? this.readFast : this.readSlow\n    this.go = this.goSafe.bind(this)\n"
            "    this.count = 0\n  }\n}\n",
            {"C": ["handle"], "C.constructor": ["go", "read"]},
        ),
    ],
)
def test_what_an_instance_attribute_holds_is_observed_where_the_code_says_it(language, source, held):
    """An attribute's annotation (class body, ``self.x: T``, a TypeScript field or parameter
    property) or the class a constructor call made it (``self.x = T()``, ``new T()``), under
    the symbol it is written in; the bare name for one bound to what the code does not say as a
    method could be (another's method, one of two, a lambda, a class-body alias); literals,
    parameters as they are, and other objects' attributes are not."""
    found = {
        s.qualname: sorted(v for p, v in observations(s) if p == "attribute") for s in extract(source, language).symbols
    }
    assert {q: v for q, v in found.items() if v} == held


# --------------------------------------------------------------- what a function's own names hold


@pytest.mark.parametrize(
    "language,source,held",
    [
        (
            "python",
            "def f(a: Index, s):\n    idx = Index()\n    idx.add(1)\n    c: Client = make()\n    c.get()\n"
            "    for t in s:\n        t.run()\n    u = Foo()\n    u = Bar()\n    u.y()\n    w = m.Foo()\n"
            "    for w in s:\n        pass\n    w.z()\n    v = await connect()\n    v.send()\n"
            "    unused = Thing()\n    a.add()\n    g = Glob()\n    g.x()\n    global g\n\n"
            "    def inner():\n        idx.add(2)\n        k = K()\n        k.go()\n",
            {"f": ["c: Client", "idx = Index", "v = connect"], "f.inner": ["k = K"]},
        ),
        (
            "python",
            "app = Flask(__name__)\nlog = make()\nlog = other()\n\n\n@app.route('/')\ndef index():\n"
            "    with Session() as s, open('f') as fh:\n        s.get(fh.read())\n    app.logger.info()\n\n\n"
            "def view(app):\n    app.go()\n\n\nlog.info()\n",
            {"": ["app = Flask"], "index": ["fh = open().__enter__", "s = Session().__enter__"], "view": ["app"]},
        ),
        (
            "typescript",
            "function f(a: Index) {\n  const idx = new Index(); idx.add(1)\n"
            "  const q = client.getQueryCache(); q.find()\n"
            "  let c: Client; c.get()\n  let z = new Z(); z.go()\n  const y = new Y(); [1].forEach((y) => y.add())\n}\n"
            "class A { m() { const r = new R(); r?.run(); this.x.y() } }\n",
            {"f": ["c: Client", "idx = Index", "q = client.getQueryCache"], "A.m": ["r = R"]},
        ),
        (
            "javascript",
            "function f() {\n  const idx = new lib.Index()\n  idx\n    .add(1)\n  var v = new V(); v.go()\n}\n",
            {"f": ["idx = lib.Index"]},
        ),
    ],
)
def test_what_a_functions_own_name_holds_is_observed_for_the_names_it_calls_methods_of(language, source, held):
    """A name bound once in a function's own scope, by an annotation or by a call (``new``, a
    ``const`` in JavaScript), and whose method the function calls; not a name bound again (a
    loop, another class, a callback's parameter), a parameter, a ``global``, a ``let`` or
    ``var``, nor one no call goes through. The module's own names alike, for its statements
    and its functions; a function binding the same name otherwise has the bare name."""
    found = {
        s.qualname: sorted(v for p, v in observations(s) if p == "local") for s in extract(source, language).symbols
    }
    assert {q: v for q, v in found.items() if v} == held


# --------------------------------------------------------------- what a pytest fixture gives


FIXTURES = (
    "import pytest\n\n\n@pytest.fixture(scope='session')\ndef runner(request):\n    return CliRunner()\n\n\n"
    "@pytest.fixture\ndef app():\n    app = Flask('t')\n\n    def inner():\n        return 1\n\n    return app\n\n\n"
    "@fixture\ndef client(app):\n    c = app.test_client()\n    yield c\n    c.close()\n\n\n"
    "@pytest.fixture\ndef server(app):\n    return app\n\n\n"
    "@pytest.fixture\ndef either(request):\n    if request.param:\n        return Workspace()\n"
    "    return Server()\n\n\n"
    "@pytest.fixture\ndef early(request):\n    if request.param:\n        return\n    return Server()\n\n\n"
    "@pytest.fixture\ndef two():\n    yield Server()\n    return Workspace()\n\n\n"
    "@pytest.fixture\ndef streamed():\n    yield from serve()\n\n\n"
    "@pytest.fixture\ndef looped(items):\n    x = X()\n    for x in items:\n        pass\n    return x\n\n\n"
    "@other.decorator\ndef made():\n    return Server()\n\n\n"
    "def plain():\n    return Server()\n"
)


def test_what_a_pytest_fixture_gives_is_observed_when_all_its_returns_agree():
    """A fixture's value: a call's result (``CliRunner()``), or one of its own names, with what
    that name holds; nothing when a return in a branch, a second value, or ``yield from``
    leaves it open, nor for a function no fixture decorator marks."""
    symbols = {s.qualname: dict(observations(s)) for s in extract(FIXTURES, "python").symbols}
    gives = {q: o["gives"] for q, o in symbols.items() if "gives" in o}
    assert gives == {"runner": "CliRunner()", "app": "app", "client": "c", "server": "app", "looped": "x"}
    assert symbols["app"]["local"] == "app = Flask"  # (returned: held though no method of it is called)
    assert symbols["client"]["local"] == "c = app.test_client"
    assert "local" not in symbols["looped"]  # (bound again: the resolver follows no name without one)


DEPRECATIONS = '''"""A module whose own statement warns that it is deprecated."""
import warnings
from typing_extensions import deprecated

warnings.warn("the old module is deprecated; use new", DeprecationWarning, stacklevel=2)


def readmailcapfile(fp):
    """The standard library's mailcap.py, 3.11."""
    warnings.warn('readmailcapfile is deprecated, use getcaps instead', DeprecationWarning, 2)
    return fp


class Context:
    @property
    def protected_args(self):
        import warnings

        warnings.warn(
            "'protected_args' is deprecated and will be removed in Click 9.0."
            " 'args' will contain remaining unparsed tokens.",
            category=DeprecationWarning,
            stacklevel=2,
        )
        return self._protected_args


@deprecated("Use Session")
class Client:
    def __init__(self):
        warnings.warn(f"Client is" ' going', PendingDeprecationWarning)


@warnings.deprecated("Use g")
def f():
    pass


@deprecated("2.23.0", removal_in="3.0", alternative="di.NamedDependency")  # litestar 2.23's own decorator
def Dependency(*, default=None):
    return default


class Query:
    @util.deprecated("2.0", "The Query.get() method is considered legacy")  # SQLAlchemy's
    def get(self, ident):
        return ident


@deprecated_function(version="5.0.1", reason="Use aclose() instead", name="close")  # redis-py's
def close():
    pass


@deprecated(use_instead="other_function")  # scrapy's
def old_function():
    pass


@deprecated()
def quiet():
    pass


@deprecated_args(args_to_warn=["retry_on_timeout"])  # a parameter's deprecation, not the function's
def connect(retry_on_timeout=None):
    pass


@overload
@deprecated("Passing `config` as a keyword argument is deprecated.")  # a form of the call (pydantic 2.11)
def with_config(*, config: dict) -> None: ...
@overload
def with_config(config: dict, /) -> None: ...
def with_config(config=None, /, **kwargs):
    return config


def parse(data, charset=None, errors=None, strict=None):
    if charset is not None:
        warnings.warn("'charset' is deprecated", DeprecationWarning)  # the parameter, not the function
    if errors:
        warnings.warn("The 'errors' parameter is deprecated", DeprecationWarning)
    if not isinstance(data, str):
        warnings.warn("'data' as bytes is deprecated", DeprecationWarning)  # a kind of value
    if strict is not None:
        warnings.warn("that is deprecated", DeprecationWarning)  # (its message does not name it)
    return data


def helper(message):
    warnings.warn(message, DeprecationWarning)  # a helper handed the message


def noisy():
    warnings.warn("this is slow", RuntimeWarning)


def old_style():
    warnings.warn("old_style is deprecated; use new_style", stacklevel=2)  # no category: says so


def logs(log):
    log.warn("logs is deprecated")  # a logger's, not a deprecation


class Function:
    def __init__(self, serialize=None, func=None):
        if func:
            warnings.warn('"func" argument of fields.Function is deprecated. Use "serialize".')


def legacy_path(path):
    warnings.warn(PytestRemovedIn9Warning("legacy_path is deprecated"), stacklevel=2)  # an instance
    warnings.warn(UserWarning("and slow"))


def __getattr__(name: str) -> object:
    if name in {"OptionParser", "split_opt"}:
        warnings.warn(f"'parser.{name}' is deprecated", DeprecationWarning, stacklevel=2)
        return globals()[f"_{name}"]
    if name == "Markup":
        return _markup  # (no warning: a lazy name, not a deprecated one)
    elif name == "escape":
        import warnings

        warnings.warn("'escape' is deprecated; use markupsafe.escape", DeprecationWarning, stacklevel=2)
        return _escape
    raise AttributeError(name)
'''


def test_what_the_code_says_is_deprecated_is_observed_with_its_message():
    """A deprecation warning as a function's, a method's or the module's own statement, a PEP 702
    ``@deprecated`` or a project's own decorator of the name (litestar's, SQLAlchemy's,
    scrapy's, redis-py's ``deprecated_function``: their versions and replacements said), the
    names a module's ``__getattr__`` keeps with a warning: each observed with the message a user
    would read (`warnings.warn` without a deprecation's category too, when its message says so:
    marshmallow 2's). A warning in a branch, of another category whose message does not say so,
    a logger's, or with a message handed to a helper says nothing about the function."""
    found = {s.qualname: (s.deprecated, s.deprecates) for s in extract(DEPRECATIONS, "python").symbols}
    deprecated = {q: d for q, (d, _) in found.items() if d}
    assert deprecated == {
        "": ["the old module is deprecated; use new"],
        "readmailcapfile": ["readmailcapfile is deprecated, use getcaps instead"],
        "Context.protected_args": [
            "'protected_args' is deprecated and will be removed in Click 9.0. 'args' will contain remaining "
            "unparsed tokens."
        ],
        "Client": ["Use Session"],
        "Client.__init__": ["Client is going"],
        "f": ["Use g"],
        "Dependency": ["deprecated since 2.23.0; use di.NamedDependency instead; to be removed in 3.0"],
        "Query.get": ["The Query.get() method is considered legacy; since 2.0"],
        "close": ["Use aclose() instead; since 5.0.1"],
        "old_function": ["deprecated; use other_function instead"],
        "quiet": ["deprecated"],
        "legacy_path": ["legacy_path is deprecated"],
        "old_style": ["old_style is deprecated; use new_style"],
    }
    assert found["__getattr__"][1] == [
        "OptionParser: 'parser.OptionParser' is deprecated",
        "escape: 'escape' is deprecated; use markupsafe.escape",
        "split_opt: 'parser.split_opt' is deprecated",
    ]
    assert {q for q, (_, kept) in found.items() if kept} == {"__getattr__"}
    parameters = {s.qualname: s.deprecated_parameters for s in extract(DEPRECATIONS, "python").symbols}
    assert {q: p for q, p in parameters.items() if p} == {
        "parse": ["charset: 'charset' is deprecated", "errors: The 'errors' parameter is deprecated"],
        "Function.__init__": ['func: "func" argument of fields.Function is deprecated. Use "serialize".'],
    }
    module = dict(observations(extract(DEPRECATIONS, "python").symbols[0]))
    assert module["deprecated"] == "the old module is deprecated; use new"


# Effect 3.11's style (and zod 4's variance): tree-sitter-typescript 0.23.2 reads `<in out A>` and a
# generic call signature after another member without a semicolon as errors, and lost the class
# after them; kairos repairs the bytes the parser is given, each byte in its place.
EFFECT_STYLE = """/**
 * Pipes values, in order, through the functions.
 */
export interface Pipe<in out A> {
  (a: A): A
  <B>(a: A, ab: (a: A) => B): B
  /** with two */
  <B, C>(a: A, ab: (a: A) => B, bc: (b: B) => C): C
}

export class Box<out T> {
  handler: {
    (a: number): number
    <U>(a: U): U
  }
  constructor(readonly value: T) {}
  map<U>(f: (t: T) => U): Box<U> {
    return new Box(f(this.value))
  }
}
"""


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_variance_and_generic_call_signatures_without_semicolons_are_read_with_the_files_own_text(language):
    found = extract_source(EFFECT_STYLE.encode(), language)
    assert not found.has_errors
    symbols = {s.qualname: s for s in found.symbols}
    assert {"Pipe", "Box", "Box.constructor", "Box.map"} <= set(symbols)
    assert symbols["Box.map"].signature == "map(f: (t: T) => U): Box<U>"
    # (where the file has it: no byte moved)
    assert symbols["Box.map"].start == (EFFECT_STYLE.split("\n").index("  map<U>(f: (t: T) => U): Box<U> {"), 2)
    assert symbols["Pipe"].docstring == "Pipes values, in order, through the functions."
    # (the text the parser was given has a `;` before `<U>`: the memory keeps the file's)
    assert symbols["Box"].attributes == ["handler: { (a: number): number <U>(a: U): U }"]


@pytest.mark.parametrize("language", ["typescript", "tsx"])
def test_a_type_only_star_export_re_exports_its_module(language):
    # type-fest's barrel (TypeScript 5.0): the wheel read each statement as an error, and the
    # file re-exported nothing
    found = extract_source(b"export type * from './array';\nexport type * from './characters';\n", language)
    assert not found.has_errors
    assert imports(found.symbols[0]) == canon(
        [{"module": "./array", "name": "*"}, {"module": "./characters", "name": "*"}]
    )


def test_a_typescript_variable_that_declares_a_functions_type_is_that_function():
    found = symbols(
        "export const zoneMakeOffset: (offset: number, name?: string) => Offset = Internal.zoneMakeOffset\n"
        "export const map: {\n  <A, B>(f: (a: A) => B): (self: A) => B\n  <A, B>(self: A, f: (a: A) => B): B\n}"
        " = dual(2, (self: any, f: any) => f(self))\n"
        "export const limit: number = 3\n",
        "typescript",
    )
    assert found["zoneMakeOffset"].kind == "function"
    assert found["zoneMakeOffset"].parameters == [("offset", "required"), ("name", "optional")]
    assert found["zoneMakeOffset"].signature == "zoneMakeOffset(offset: number, name?: string): Offset"
    # (overloads: which one a call meets is not said, so no parameters to hold calls to)
    assert found["map"].kind == "function" and found["map"].parameters == []
    assert found["limit"].kind == "constant"  # (as before: a value, not a function)
    # (no code of their own here: a re-export, what a call makes; the dream does not call them pure)
    assert found["zoneMakeOffset"].declared and found["map"].declared
    written = symbols("export const inc: (a: number) => number = (a) => a + 1\n", "typescript")
    assert written["inc"].kind == "function" and not written["inc"].declared


def test_a_typescript_parameter_typed_void_may_be_left_out():
    # effect's `FiberId.unsafeMake = (_: void): Runtime => ...`, called `FiberId.unsafeMake()`
    found = symbols(
        "export const unsafeMake = (_: void): number => 1\n"
        "export function scoped(a: number, b: void, ...rest: Array<string>) {}\n",
        "typescript",
    )
    assert found["unsafeMake"].parameters == [("_", "optional")]
    assert found["scoped"].parameters == [("a", "required"), ("b", "optional"), ("rest", "variadic")]


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_a_module_constant_is_also_what_an_expression_makes(language):
    # zod schemas, zustand stores, clients: hovered and called from other files, they were no
    # symbols at all (only a literal's `const X = 3` was), and their functions module-level ones
    found = symbols(
        "const fs = require('fs')\n"
        "/** The users' schema. */\n"
        "export const User = z.object({ name: z.string() })\n"
        "export const useStore = create((set) => ({ count: 0, inc: () => set(1) }))\n"
        "const differ = make({ patch: (a) => a })\n"
        "export const TIMEOUT = 60 * 1000\n"
        "const client = new Client()\n"
        "let counter = make({ next: () => 1 })\n"
        "function f() { const inner = g() }\n",
        language,
    )
    assert found["User"].kind == "constant" and found["User"].docstring == "The users' schema."
    assert found["User"].calls == ["z.object", "z.string"]
    assert found["useStore"].calls == ["create"] and "useStore.inc" in found and "inc" not in found
    assert "differ.patch" in found and found["differ"].kind == "constant"  # (named once with it)
    assert found["TIMEOUT"].kind == found["client"].kind == "constant"
    assert found["client"].calls == ["Client"]
    # an import, a variable that may change, a function's own name: none is a module constant
    assert "fs" not in found and "counter" not in found and "counter.next" in found
    assert "f.inner" not in found and "inner" not in found


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_a_constant_named_by_what_its_value_defines_is_that_definition(language):
    # mobx's flow, React's forwardRef: callers call the function of that name (as before)
    found = symbols(
        "export const flow = Object.assign(function flow(a) { return a }, annotation)\n"
        "export const Button = forwardRef(function Button(props, ref) { return null })\n"
        "export const Failure = (function () { class Failure { constructor(cause) {} } return Failure })()\n"
        "export const Other = forwardRef(function Inner(props, ref) { return null })\n",
        language,
    )
    assert found["flow"].kind == found["Button"].kind == "function" and found["Failure"].kind == "class"
    assert found["flow"].parameters == [("a", "required")] and "flow~2" not in found
    assert found["Other"].kind == "constant" and "Other.Inner" in found


def test_a_typescript_constant_beside_its_type_is_the_type():
    # zod 4's companions: `export interface ZodType {...}`, then `export const ZodType = ...`:
    # not a second `ZodType~2` (whose functions' calls are never judged); its functions as before
    found = symbols(
        "export interface ZodType { parse(): void }\n"
        "export const ZodType = core.$constructor('ZodType', (inst) => {\n"
        "  const runChecks = () => 1\n  inst.parse = () => runChecks()\n})\n"
        "export const Schema = z.object({})\nexport type Schema = z.infer<typeof Schema>\n",
        "typescript",
    )
    assert found["ZodType"].kind == "interface" and "ZodType~2" not in found
    assert "runChecks" in found and "inst.parse" in found
    # (a type after the constant: the constant keeps the name, the type is the second)
    assert found["Schema"].kind == "constant" and found["Schema~2"].kind == "type"


@pytest.mark.parametrize("language", ["javascript", "typescript", "tsx"])
def test_an_object_inside_another_names_what_is_in_it(language):
    # as callers write it: `api.users.list()`; redux's `createSlice({ reducers: { increment } })`
    # no longer defines module-level `increment`, `increment~2`... in a test of many slices
    found = outline(
        "export const api = { users: { list() { return 1 }, get: (id) => id }, top() {} }\n"
        "function f() { return { a: { g() {} } } }\n"
        "createSlice({ reducers: { increment: (state) => state } })\n",
        language,
    )
    assert found == [
        ("", "module"),
        ("api", "constant"),
        ("api.users.list", "method"),
        ("api.users.get", "method"),  # (a property of an object: it binds no name)
        ("api.top", "method"),
        ("f", "function"),
        ("f.a.g", "method"),
        ("reducers.increment", "method"),
    ]


def test_a_typescript_constant_of_a_functions_type_is_that_function_whatever_makes_it():
    found = symbols(
        "export const map: { <A>(f: A): A; <A>(self: A, f: A): A } = dual(2, (s: any, f: any) => f)\n"
        "export const retry: (n: number) => void = (() => undefined) as any\n"
        "export const store: Store = configureStore({ reducer })\n",
        "typescript",
    )
    assert found["map"].kind == found["retry"].kind == "function"
    assert found["retry"].parameters == [("n", "required")]
    assert found["store"].kind == "constant" and found["store"].calls == ["configureStore"]
