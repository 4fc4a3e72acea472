"""True alarms on real git histories: a memory speaks about change it saw.

Each test builds a git repository of a small, real-looking project, commits
an API change (a signature that grows or shrinks, a rename, a move, a
deletion, a parameter the docstring documents), replays the history commit by
commit into one memory (checkout, scan, dream, as after each pull) and checks
every source file of the workspace.

The rule under test: code as first scanned raises nothing; a diagnostic fires
only for a change the memory saw between scans, at the sites it affects. So
each test asserts that the first scan is silent, and that the last one flags
EXACTLY the affected call sites, imports and docstring lines, nothing else
anywhere in the workspace. Failures print the full expected and actual sets
(see tests/histories.py).
"""

from __future__ import annotations

import ast

from histories import Flag, History, assert_flags, assert_silent
from released import stdlib_source

from kairos_lsp.checks import apply_fix
from kairos_lsp.extract import parse
from kairos_lsp.resolve import Found

STALE, RENAMED, MISSING, DRIFT = "stale-call", "renamed-symbol", "missing-symbol", "docstring-drift"


# -- 1. a signature grows a required parameter ---------------------------------------------

PRICING_V1 = '''"""Prices for catalogue items."""

DEFAULT_RATE = 0.2


def price_with_tax(amount, rate=DEFAULT_RATE):
    # Tax is applied once, on the line total.
    return round(amount * (1 + rate), 2)


def price_list(amounts):
    return [price_with_tax(a) for a in amounts]
'''

PRICING_V2 = '''"""Prices for catalogue items."""

RATES = {"eu": 0.2, "uk": 0.2, "us": 0.07}


def price_with_tax(amount, region, rate=None):
    # Tax is applied once, on the line total; an explicit rate wins over the region's.
    rate = RATES[region] if rate is None else rate
    return round(amount * (1 + rate), 2)


def price_list(amounts, region="eu"):
    return [price_with_tax(a, region) for a in amounts]
'''

CART_V1 = """import inventory.pricing


class Cart:
    def __init__(self):
        self.lines = []

    def add(self, sku, amount, qty=1):
        self.lines.append((sku, amount, qty))

    def total(self):
        return sum(inventory.pricing.price_with_tax(amount) * qty for _, amount, qty in self.lines)

    def total_reduced(self):
        return sum(inventory.pricing.price_with_tax(amount, rate=0.05) * qty for _, amount, qty in self.lines)
"""

INVOICE_V1 = """from inventory.pricing import price_with_tax as taxed
from legacy.pricing import price_with_tax


def invoice_line(sku, amount):
    return f"{sku}: {taxed(amount)}"


def invoice_total(amounts):
    return taxed(sum(amounts), rate=0.1)


def legacy_total(amounts):
    return price_with_tax(sum(amounts))
"""


def test_a_signature_that_grows_a_required_parameter_flags_the_calls_not_yet_updated(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "inventory: prices with tax",
        {
            "inventory/__init__.py": '"""Stock and prices."""\n',
            "inventory/pricing.py": PRICING_V1,
            "shop/__init__.py": "",
            "shop/cart.py": CART_V1,
            "shop/invoice.py": INVOICE_V1,
            "legacy/__init__.py": "",
            # Another function of the same name: its callers are not the changed function's callers.
            "legacy/pricing.py": "def price_with_tax(amount):\n    return amount * 1.196\n",
        },
    )
    change = history.commit("pricing: tax depends on the region", {"inventory/pricing.py": PRICING_V2})
    history.commit(
        "invoice lines pass the region; cart preview",
        {
            "shop/invoice.py": INVOICE_V1.replace("{taxed(amount)}", '{taxed(amount, "eu")}'),
            # A call written after the change that does not fit it.
            "shop/cart.py": CART_V1 + "\n    def preview(self, amount):\n"
            "        return inventory.pricing.price_with_tax(amount)\n",
        },
    )
    first, changed, last = history.replay()

    assert_silent(history, first)
    assert_flags(
        history,
        changed,
        {
            history.site("shop/cart.py", "price_with_tax(amount) * qty", STALE, at=change),
            history.site("shop/cart.py", "price_with_tax(amount, rate=0.05)", STALE, at=change),
            history.site("shop/invoice.py", "{taxed(amount)}", STALE, at=change),
            history.site("shop/invoice.py", "taxed(sum(amounts), rate=0.1)", STALE, at=change),
        },
    )
    spans = {  # each problem covers the call's argument list, parentheses included
        history.site("shop/cart.py", "price_with_tax(amount) * qty", STALE): "(amount)",
        history.site("shop/cart.py", "price_with_tax(amount, rate=0.05)", STALE): "(amount, rate=0.05)",
        history.site("shop/cart.py", "return inventory.pricing.price_with_tax(amount)", STALE): "(amount)",
        history.site("shop/invoice.py", "taxed(sum(amounts), rate=0.1)", STALE): "(sum(amounts), rate=0.1)",
    }
    assert_flags(history, last, set(spans))
    for seen in last.seen:
        assert "`region`" in seen.problem.message and "inventory/pricing.py" in seen.problem.message, (
            f"the message should name the new parameter and the file that changed: {seen}"
        )
        assert history.span_text(seen.flag.path, seen.problem) == spans[seen.flag], (
            f"the range should be the call's argument list {spans[seen.flag]!r}: {seen}"
        )


# -- 2. a function renamed -------------------------------------------------------------------

TAX_V1 = """def compute_vat(amount, rate):
    vat = amount * rate
    return round(vat, 2)


def net_of_vat(gross, rate):
    return round(gross / (1 + rate), 2)
"""

CHECKOUT = """from billing.tax import compute_vat, net_of_vat


def summary(total):
    return {"vat": compute_vat(total, 0.2), "net": net_of_vat(total, 0.2)}


def vat_only(total, rate):
    return compute_vat(total, rate)
"""

REFUND_V1 = """from billing import tax


def refund_vat(amount):
    return tax.compute_vat(-amount, 0.2)
"""


def test_a_renamed_function_flags_its_imports_and_calls_elsewhere(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "billing: VAT helpers",
        {
            "billing/__init__.py": "",
            "billing/tax.py": TAX_V1,
            "orders/__init__.py": "",
            "orders/checkout.py": CHECKOUT,
            "orders/refund.py": REFUND_V1,
            # A local function that happens to have the old name: not a reference to it.
            "orders/export.py": 'def compute_vat(row):\n    return row["vat"]\n\n\n'
            "def export(rows):\n    return [compute_vat(r) for r in rows]\n",
        },
    )
    history.commit(
        "billing: compute_vat is now vat_for",
        {  # refund.py follows, checkout.py does not
            "billing/tax.py": TAX_V1.replace("def compute_vat", "def vat_for"),
            "orders/refund.py": REFUND_V1.replace("tax.compute_vat", "tax.vat_for"),
        },
    )
    first, last = history.replay()

    assert_silent(history, first)
    expected = {
        history.site("orders/checkout.py", "import compute_vat", RENAMED),
        history.site("orders/checkout.py", '"vat": compute_vat(total, 0.2)', RENAMED),
        history.site("orders/checkout.py", "return compute_vat(total, rate)", RENAMED),
    }
    assert_flags(history, last, expected)
    for seen in last.seen:
        assert "`vat_for`" in seen.problem.message, f"the message should give the new name: {seen}"


# -- 3. a function moved to another module ----------------------------------------------------

TEXT_V1 = """import re
import unicodedata


def slugify(title):
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")


def truncate(text, width):
    return text if len(text) <= width else text[: width - 1] + "..."
"""

TEXT_V2 = """def truncate(text, width):
    return text if len(text) <= width else text[: width - 1] + "..."
"""

SLUGS = """import re
import unicodedata


def slugify(title):
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
"""

POSTS = """from mysite.utils.text import slugify, truncate


class Post:
    def __init__(self, title, body):
        self.title = title
        self.body = body
        self.slug = slugify(title)

    def teaser(self):
        return truncate(self.body, 140)
"""


def test_a_moved_function_flags_the_imports_that_name_its_old_module(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "mysite: posts, feeds and a cli",
        {
            "mysite/__init__.py": "",
            "mysite/utils/__init__.py": "",
            "mysite/utils/text.py": TEXT_V1,
            "mysite/blog/__init__.py": "",
            "mysite/blog/posts.py": POSTS,
            "mysite/blog/feeds.py": "from ..utils.text import slugify as slug\n\n\n"
            'def feed_id(site, title):\n    return f"{site}/{slug(title)}"\n',
            "mysite/cli.py": "from mysite.utils import text\n\n\n"
            "def main(argv):\n    for title in argv:\n        print(text.slugify(title))\n",
        },
    )
    history.commit(
        "utils: slugify moves to utils.slugs",
        {
            "mysite/utils/text.py": TEXT_V2,
            "mysite/utils/slugs.py": SLUGS,
        },
    )
    first, last = history.replay()

    assert_silent(history, first)
    # The imports name the old module; calls through an imported name are right once the import
    # is, so they are not flagged again. cli.py names the old module in the call itself.
    expected = {
        history.site("mysite/blog/posts.py", "from mysite.utils.text import slugify", RENAMED),
        history.site("mysite/blog/feeds.py", "from ..utils.text import slugify as slug", RENAMED),
        history.site("mysite/cli.py", "text.slugify(title)", RENAMED),
    }
    assert_flags(history, last, expected)
    for seen in last.seen:
        assert "moved to" in seen.problem.message and "mysite/utils/slugs.py" in seen.problem.message, (
            f"the message should say where it moved: {seen}"
        )


# -- 4. a function deleted -----------------------------------------------------------------------

CACHE_V1 = """import time

_entries = {}


def remember(key, value, ttl=60):
    _entries[key] = (value, time.monotonic() + ttl)


def recall(key):
    value, expires = _entries.get(key, (None, 0))
    return value if time.monotonic() < expires else None


def purge_expired():
    now = time.monotonic()
    for key in [k for k, (_, expires) in _entries.items() if expires <= now]:
        del _entries[key]
"""

CACHE_V2 = """import time

_entries = {}


def remember(key, value, ttl=60):
    _entries[key] = (value, time.monotonic() + ttl)


def recall(key):
    value, expires = _entries.get(key, (None, 0))
    if time.monotonic() >= expires:
        _entries.pop(key, None)  # expired entries go when they are read
        return None
    return value
"""

VIEWS = """from app.cache import recall, remember, purge_expired


def profile(user_id, load):
    cached = recall(user_id)
    if cached is None:
        cached = load(user_id)
        remember(user_id, cached)
    return cached


def housekeeping():
    purge_expired()
"""


def test_a_deleted_function_flags_its_imports_and_calls(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "app: a small cache",
        {
            "app/__init__.py": "",
            "app/cache.py": CACHE_V1,
            "app/views.py": VIEWS,
            "app/jobs.py": 'from app import cache\n\n\ndef nightly():\n    cache.purge_expired()\n    return "done"\n',
        },
    )
    history.commit("cache: expired entries go on read; purge_expired is gone", {"app/cache.py": CACHE_V2})
    first, last = history.replay()

    assert_silent(history, first)
    assert_flags(
        history,
        last,
        {
            history.site("app/views.py", "import recall, remember, purge_expired", MISSING),
            history.site("app/views.py", "    purge_expired()", MISSING),
            history.site("app/jobs.py", "cache.purge_expired()", MISSING),
        },
    )


def test_a_function_deleted_from_a_submodule_is_flagged_where_its_package_path_calls_it(tmp_path):
    """paramiko's tests `import paramiko.util` and call `paramiko.util.retry_on_signal(...)`,
    which a commit deleted: the call through the package path goes wrong as the import does."""
    util = "def retry_on_signal(function):\n    return function()\n\n\ndef safe_string(s):\n    return s\n"
    tests = (
        "import paramiko\nimport paramiko.util\n\n\n"
        "def test_retry():\n    assert paramiko.util.retry_on_signal(lambda: 1) == 1\n\n\n"
        "def test_safe():\n    assert paramiko.util.safe_string('a') == 'a'\n"
    )
    history = History(tmp_path / "repo")
    history.commit("util", {"paramiko/__init__.py": "", "paramiko/util.py": util, "tests/test_util.py": tests})
    history.commit("nuke retry_on_signal", {"paramiko/util.py": util.split("\n\n\n")[1]})
    first, last = history.replay()

    assert_silent(history, first)
    assert_flags(history, last, {history.site("tests/test_util.py", "paramiko.util.retry_on_signal(", MISSING)})


HYPERCORN_V1 = """import contextlib


@contextlib.contextmanager
def run_hypercorn_in_thread(config, app):
    yield config
"""
HYPERCORN_V2 = HYPERCORN_V1.replace("(config, app)", "(host, certs, app)").replace("yield config", "yield host")
SERVER_TESTS = """from contextlib import contextmanager

from dummyserver.hypercornserver import run_hypercorn_in_thread


@contextmanager
def served(config, app):
    with run_hypercorn_in_thread(config, app) as port:
        yield port


def test_served():
    with served({}, None), run_hypercorn_in_thread({}, app=None):
        pass
"""


def test_a_context_manager_function_that_gained_a_parameter_flags_its_callers(tmp_path):
    """urllib3's `run_hypercorn_in_thread(config, app)` became `(host, certs, app)`; the function
    is a `@contextlib.contextmanager`, which keeps what its function takes, so the calls of
    the test helpers broke. A decorator kairos does not know still abstains (the control)."""
    for decorator, flagged in (("@contextlib.contextmanager", True), ("@tenacity.retry", False)):
        history = History(tmp_path / decorator.strip("@"))
        v1, v2 = (v.replace("@contextlib.contextmanager", decorator) for v in (HYPERCORN_V1, HYPERCORN_V2))
        history.commit(
            "server",
            {"dummyserver/__init__.py": "", "dummyserver/hypercornserver.py": v1, "tests/test_server.py": SERVER_TESTS},
        )
        history.commit("factorize the config", {"dummyserver/hypercornserver.py": v2})
        first, last = history.replay()

        assert_silent(history, first)
        expected = {
            history.site("tests/test_server.py", "run_hypercorn_in_thread(config, app)", STALE),
            history.site("tests/test_server.py", "run_hypercorn_in_thread({}, app=None)", STALE),
        }
        assert_flags(history, last, expected if flagged else set())


STORE_V1 = """class Store:
    def __init__(self, directory):
        self.directory = directory

    def select_all_repos(self):
        return []

    def mark(self, path):
        return path


class Marker:
    def mark(self, path):
        return path
"""
STORE_V2 = STORE_V1.replace("    def select_all_repos(self):\n        return []\n\n", "").replace(
    "    def mark(self, path):\n        return path\n\n\nclass",
    "    def mark(self, path, used):\n        return path\n\n\nclass",
)
STORE_CONFTEST = """import os

import pytest

from pre_commit.store import Store


@pytest.fixture
def store(tempdir_factory):
    yield Store(os.path.join(tempdir_factory.get(), ".pre-commit"))
"""
STORE_TESTS = """import pytest


def test_repos(store):
    assert store.select_all_repos() == []
    assert store.mark("p") == "p"


@pytest.mark.parametrize("marker", [None])
def test_marker(marker):
    assert marker.mark("p") == "p"
"""


def test_calls_on_what_a_pytest_fixture_gives_are_judged(tmp_path):
    """pre-commit's tests call `store.select_all_repos()` on the `store` a conftest fixture
    yields (`yield Store(...)`); the commit that moved garbage collection into `Store`
    deleted it. The fixture says what the test's parameter holds, as an annotation would: a
    method gone, or one that gained a parameter (`mark`, which another class defines too, so
    its name alone does not tell). A parameter no fixture gives (`marker`) says nothing."""
    history = History(tmp_path / "repo")
    history.commit(
        "store",
        {
            "pre_commit/__init__.py": "",
            "pre_commit/store.py": STORE_V1,
            "tests/conftest.py": STORE_CONFTEST,
            "tests/store_test.py": STORE_TESTS,
        },
    )
    history.commit("refactor gc into store", {"pre_commit/store.py": STORE_V2})
    first, last = history.replay()

    assert_silent(history, first)
    assert_flags(
        history,
        last,
        {
            history.site("tests/store_test.py", "store.select_all_repos()", MISSING),
            history.site("tests/store_test.py", 'store.mark("p")', STALE),
        },
    )


NODE_TS_V1 = """export class Node {
  methods: string[] = []
  constructor(method?: string, handler?: string) {
    if (method && handler) {
      this.methods.push(method)
    }
  }
  insert(method: string): void {
    this.methods.push(method)
  }
}
"""
NODE_TS_V2 = NODE_TS_V1.replace(NODE_TS_V1[NODE_TS_V1.index("  constructor") : NODE_TS_V1.index("  insert")], "")
ROUTER_TS = """import { Node } from './node'

export const root = new Node()
export const get = new Node('get', 'handler')
"""
NODE_PY_V1 = "class Node:\n    def __init__(self, method=None, handler=None):\n        self.methods = [method]\n"
NODE_PY_V2 = "class Node:\n    methods = []\n"
ROUTER_PY = "from node import Node\n\nroot = Node()\nget = Node('get', 'handler')\n"


def test_a_class_that_lost_its_constructor_flags_the_calls_that_pass_it_arguments(tmp_path):
    """hono's `class Node` dropped its `constructor(method?, handler?)`; `new Node('get',
    handler)` then passes two arguments to a class that takes none (TypeScript's TS2554;
    Python's "Node() takes no arguments"). A class with a base to take a constructor from
    says nothing (the control)."""
    cases = [
        ("ts", {"node.ts": NODE_TS_V1, "router.ts": ROUTER_TS}, {"node.ts": NODE_TS_V2}, "router.ts", "Node {"),
        ("py", {"node.py": NODE_PY_V1, "router.py": ROUTER_PY}, {"node.py": NODE_PY_V2}, "router.py", "Node:"),
    ]
    for name, before, after, caller, header in cases:
        for based in (False, True):
            history = History(tmp_path / f"{name}-{based}")
            base = (
                "Base {\n}\n\nexport class Node extends Base {"
                if name == "ts"
                else "Base:\n    pass\n\n\nclass Node(Base):"
            )
            old, new = (header, base) if based else ("", "")
            history.commit("node", {rel: text.replace(old, new, 1) for rel, text in before.items()})
            history.commit("node: no constructor", {rel: text.replace(old, new, 1) for rel, text in after.items()})
            first, last = history.replay()

            assert_silent(history, first)
            expected = set() if based else {history.site(caller, "Node('get', 'handler')", STALE)}
            assert_flags(history, last, expected)


LINK_TS = """export class ApolloLink {
  static from(links: ApolloLink[]): ApolloLink {
    return links[0]
  }

  static split(test: boolean, left: ApolloLink): ApolloLink {
    return test ? left : new ApolloLink()
  }
}
"""
CLIENT_TS = """import { ApolloLink } from './link'

const none = new ApolloLink()
export const chain = ApolloLink.from([none])
export const either = ApolloLink.split(true, none)
"""


def test_a_typescript_static_method_that_gained_a_parameter_flags_the_calls_through_its_class(tmp_path):
    """A TypeScript method called through its class is a static one (`ApolloLink.from(...)`);
    in Python the same call passes `self` by hand and stays unjudged. `split` gained an
    optional parameter: its call still binds."""
    history = History(tmp_path / "repo")
    history.commit("link", {"link.ts": LINK_TS, "client.ts": CLIENT_TS})
    changed = LINK_TS.replace("from(links: ApolloLink[])", "from(links: ApolloLink[], name: string)").replace(
        "left: ApolloLink)", "left: ApolloLink, right?: ApolloLink)"
    )
    history.commit("link: named chains", {"link.ts": changed})
    first, last = history.replay()

    assert_silent(history, first)
    assert_flags(history, last, {history.site("client.ts", "ApolloLink.from([none])", STALE)})


PROTOCOL_V1 = """class ASGIProtocol:
    def respond(self, headers):
        return self._strip_body_framing_headers(headers)

    @staticmethod
    def _strip_body_framing_headers(headers):
        return [h for h in headers if h[0] != "content-length"]
"""
PROTOCOL_V2 = PROTOCOL_V1.replace(
    "    @staticmethod\n    def _strip_body_framing_headers(headers):",
    "    @classmethod\n    def _strip_body_framing_headers(cls, headers, status):",
).replace("self._strip_body_framing_headers(headers)", "self._strip_body_framing_headers(headers, 200)")
PROTOCOL_TESTS = """def strip(headers):
    from gunicorn.asgi.protocol import ASGIProtocol

    return ASGIProtocol._strip_body_framing_headers(headers)
"""


def test_a_static_method_that_became_a_class_method_and_gained_a_parameter_flags_its_callers(tmp_path):
    """gunicorn's `@staticmethod _strip_body_framing_headers(headers)` became `@classmethod
    (cls, headers, status)`: `cls` is filled, `status` is not. The memory reads each earlier
    look as its own first parameter says (`headers` is no receiver), not by today's decorator."""
    history = History(tmp_path / "repo")
    history.commit(
        "asgi",
        {"gunicorn/__init__.py": "", "gunicorn/asgi/__init__.py": "", "gunicorn/asgi/protocol.py": PROTOCOL_V1},
    )
    history.commit("tests", {"tests/test_asgi_streaming.py": PROTOCOL_TESTS})
    history.commit("keep Content-Length on HEAD and 304 responses", {"gunicorn/asgi/protocol.py": PROTOCOL_V2})
    *_, before, last = history.replay()

    assert_silent(history, before)
    assert_flags(
        history,
        last,
        {history.site("tests/test_asgi_streaming.py", "ASGIProtocol._strip_body_framing_headers(", STALE)},
    )


MIGRATE_TS = """export const preparePgPush = async (
  schemaPath: string | string[],
  snapshot: string,
  schemaFilter: string[],
  casing: string | undefined,
) => schemaPath
"""
PUSH_TS = """export async function pgPush(schemaPath: string, schema: string, filter: string[]) {
  const { preparePgPush } = await import('./migrate')
  return await preparePgPush(schemaPath, schema, filter, undefined)
}

export async function pgPushMade(schemaPath: string, schema: string, filter: string[]) {
  const { preparePgPush } = makeCommands()
  return await preparePgPush(schemaPath, schema, filter, 'snake')
}
"""


def test_a_typescript_function_a_dynamic_import_binds_flags_its_stale_calls(tmp_path):
    """drizzle-kit loads its commands lazily, `const { preparePgPush } = await
    import('./migrate')`; `preparePgPush(schemaPath, snapshot, schemaFilter, casing)` became
    `(cur, prev)`. The name so bound is the module's; one a call's result gives is not."""
    history = History(tmp_path / "repo")
    history.commit("push", {"migrate.ts": MIGRATE_TS, "push.ts": PUSH_TS})
    after = "export const preparePgPush = async (\n  cur: string,\n  prev: string,\n) => cur\n"
    history.commit("push: snapshots made by the caller", {"migrate.ts": after})
    first, last = history.replay()

    assert_silent(history, first)
    assert_flags(
        history, last, {history.site("push.ts", "preparePgPush(schemaPath, schema, filter, undefined)", STALE)}
    )


# -- 5. a parameter dropped that the docstring documents --------------------------------------------

DISTANCE_V1 = '''import math


def haversine(lat1, lon1, lat2, lon2, radius=6371.0):
    """Great-circle distance between two points.

    Args:
        lat1: latitude of the first point, in degrees.
        lon1: longitude of the first point, in degrees.
        lat2: latitude of the second point, in degrees.
        lon2: longitude of the second point, in degrees.
        radius: radius of the sphere, in kilometres.

    Returns:
        The distance, in the unit of ``radius``.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


def bearing(lat1, lon1, lat2, lon2, degrees=True):
    """Initial bearing from the first point to the second.

    :param lat1: latitude of the first point.
    :param lon1: longitude of the first point.
    :param lat2: latitude of the second point.
    :param lon2: longitude of the second point.
    :param degrees: return degrees rather than radians.
    :returns: the bearing.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    theta = math.atan2(x, y)
    return math.degrees(theta) if degrees else theta


def destination(lat, lon, heading, distance, radius=6371.0):
    """Where a walk of ``distance`` along ``heading`` ends.

    Args:
        lat: latitude of the start, in degrees.
        lon: longitude of the start, in degrees.
        heading: the bearing to follow, in degrees.
        distance: how far to go.
        radius: radius of the sphere.
    """
    return lat + distance / radius * math.cos(math.radians(heading)), lon


def midpoint(lat1, lon1, lat2, lon2):
    """Point halfway between two points.

    Args:
        lat1: latitude of the first point.
        lon1: longitude of the first point.
    """
    return (lat1 + lat2) / 2, (lon1 + lon2) / 2
'''

DISTANCE_V2 = (
    DISTANCE_V1
    # haversine drops `radius`; its docstring still documents it
    .replace("def haversine(lat1, lon1, lat2, lon2, radius=6371.0):", "def haversine(lat1, lon1, lat2, lon2):")
    .replace("return 2 * radius * math.asin", "return 2 * EARTH_RADIUS_KM * math.asin")
    # bearing drops `degrees` (always degrees now); its docstring still documents it
    .replace("def bearing(lat1, lon1, lat2, lon2, degrees=True):", "def bearing(lat1, lon1, lat2, lon2):")
    .replace("return math.degrees(theta) if degrees else theta", "return math.degrees(theta)")
    # destination drops `radius` and its docstring follows in the same commit
    .replace(
        "def destination(lat, lon, heading, distance, radius=6371.0):", "def destination(lat, lon, heading, distance):"
    )
    .replace("        radius: radius of the sphere.\n", "")
    .replace("distance / radius * math.cos", "distance / EARTH_RADIUS_KM * math.cos")
    # midpoint: its docstring was incomplete from the start; only its body changes
    .replace(
        "return (lat1 + lat2) / 2, (lon1 + lon2) / 2",
        "lat, lon = (lat1 + lat2) / 2, (lon1 + lon2) / 2\n    return lat, lon",
    )
    .replace("import math\n", "import math\n\nEARTH_RADIUS_KM = 6371.0\n")
)

ROUTE = """from geo.distance import bearing, destination, haversine, midpoint


def leg(a, b):
    return {
        "km": haversine(a[0], a[1], b[0], b[1]),
        "heading": bearing(a[0], a[1], b[0], b[1]),
        "via": midpoint(a[0], a[1], b[0], b[1]),
        "ahead": destination(a[0], a[1], 90.0, 1.0),
    }
"""


def test_a_dropped_parameter_flags_the_docstring_line_that_still_documents_it(tmp_path):
    history = History(tmp_path / "repo")
    history.commit("geo: distances", {"geo/__init__.py": "", "geo/distance.py": DISTANCE_V1, "geo/route.py": ROUTE})
    history.commit("geo: one earth radius", {"geo/distance.py": DISTANCE_V2})
    first, last = history.replay()

    assert DISTANCE_V2.count("radius=") == 0 and "degrees=True" not in DISTANCE_V2  # the edit took
    assert_silent(history, first)  # midpoint's incomplete docstring included
    expected = {
        history.site("geo/distance.py", "        radius: radius of the sphere, in kilometres.", DRIFT),
        history.site("geo/distance.py", ":param degrees:", DRIFT),
    }
    assert_flags(history, last, expected)
    named = {
        history.site("geo/distance.py", "radius: radius of the sphere, in", DRIFT): "`radius`",
        history.site("geo/distance.py", ":param degrees:", DRIFT): "`degrees`",
    }
    for seen in last.seen:
        assert named[seen.flag] in seen.problem.message, f"the message should name {named[seen.flag]}: {seen}"
        (r0, _), (r1, c1) = seen.problem.start, seen.problem.end
        assert r0 == r1 or (r1 == r0 + 1 and c1 == 0), (
            f"the range should be the one documented parameter's line, not the docstring: {seen}"
        )


# -- 6. a keyword dropped: the quick fix removes it ----------------------------------------------------

RUNNER_V1 = """import subprocess


def run(cmd, check=False, mix_stderr=True):
    stderr = subprocess.STDOUT if mix_stderr else subprocess.PIPE
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=stderr, check=check, text=True)
    return done.stdout
"""

RUNNER_V2 = """import subprocess


def run(cmd, check=False):
    done = subprocess.run(cmd, capture_output=True, check=check, text=True)
    return done.stdout
"""

SMOKE = """from clikit import run


def smoke():
    run(["make", "lint"])
    return run(["make", "test"], mix_stderr=False)
"""

RELEASE = """from clikit.runner import run


def tag(version):
    run(["git", "tag", version], mix_stderr=False, check=True)
    return run(["git", "push", "--tags"], check=True)
"""


def test_a_dropped_keyword_is_flagged_and_its_fix_removes_it(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "clikit: run commands",
        {
            "clikit/__init__.py": "from .runner import run\n",
            "clikit/runner.py": RUNNER_V1,
            "tools/__init__.py": "",
            "tools/smoke.py": SMOKE,
            "tools/release.py": RELEASE,
        },
    )
    history.commit("runner: stderr is always kept apart", {"clikit/runner.py": RUNNER_V2})
    first, last = history.replay()

    assert_silent(history, first)
    fixed = {
        "tools/smoke.py": SMOKE.replace(", mix_stderr=False)", ")"),
        "tools/release.py": RELEASE.replace(", mix_stderr=False, check=True)", ", check=True)"),
    }
    assert_flags(
        history,
        last,
        {
            history.site("tools/smoke.py", 'run(["make", "test"], mix_stderr=False)', STALE),
            history.site("tools/release.py", 'run(["git", "tag", version], mix_stderr=False', STALE),
        },
    )
    for seen in last.seen:
        assert "`mix_stderr`" in seen.problem.message, f"the message should name the keyword: {seen}"
        source = history.read(seen.flag.path).encode()
        results = [apply_fix(source, fix) for fix in seen.problem.fixes]
        assert fixed[seen.flag.path].encode() in results, (
            f"no fix removes the keyword: {seen}\nwanted:\n{fixed[seen.flag.path]}\ngot:\n"
            + "\n---\n".join(r.decode() for r in results)
        )
        assert not parse(fixed[seen.flag.path].encode(), "python").root_node.has_error
        (history.root / seen.flag.path).write_text(fixed[seen.flag.path])
    assert_silent(history, history.rescan("the quick fixes applied"))


# -- 7. positional arguments that shift ------------------------------------------------------------------

DOCUMENTS_V1 = """class Document:
    def __init__(self, uri, source, workspace):
        self.uri = uri
        self.source = source
        self.workspace = workspace


def make(uri, source=None):
    return Document(uri, source or "", None)


def open_document(uri, workspace, source=None):
    text = source if source is not None else workspace.read(uri)
    return Document(uri, text, workspace)
"""

DOCUMENTS_V2 = """class Document:
    def __init__(self, uri, source, workspace):
        self.uri = uri
        self.source = source
        self.workspace = workspace


def make(uri, workspace, source=None):
    return Document(uri, source or "", workspace)


def open_document(uri, source=None):
    return Document(uri, source if source is not None else "", None)
"""

SERVER = """from lsp.documents import make, open_document


class Server:
    def __init__(self, workspace):
        self.workspace = workspace
        self.docs = {}

    def did_open(self, uri, text):
        self.docs[uri] = make(uri, text)

    def did_create(self, uri):
        self.docs[uri] = make(uri)

    def restore(self, uri, text):
        self.docs[uri] = make(uri, source=text)

    def reopen(self, uri):
        self.docs[uri] = open_document(uri, self.workspace)

    def reload(self, uri, text):
        self.docs[uri] = open_document(uri, self.workspace, source=text)
"""


def test_a_parameter_inserted_or_removed_ahead_of_positional_arguments_flags_calls_that_still_bind(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "lsp: documents",
        {
            "lsp/__init__.py": "",
            "lsp/documents.py": DOCUMENTS_V1,
            "lsp/server.py": SERVER,
            "lsp/cli.py": "from lsp import documents\n\n\ndef preview(path, text):\n"
            "    return documents.make(path, text)\n",
        },
    )
    history.commit(
        "documents: make takes the workspace, open_document no longer does",
        {
            "lsp/documents.py": DOCUMENTS_V2,
            # updated with the change, and a call written after it: both fit
            "lsp/cli.py": "from lsp import documents\n\n\ndef preview(path, text):\n"
            "    return documents.make(path, None, text)\n\n\n"
            'def scratch(text):\n    return documents.open_document("untitled:1", text)\n',
        },
    )
    first, last = history.replay()

    assert_silent(history, first)
    assert_flags(
        history,
        last,
        {
            history.site("lsp/server.py", "make(uri, text)", STALE),  # text lands on `workspace`
            history.site("lsp/server.py", "make(uri)", STALE),  # `workspace` missing
            history.site("lsp/server.py", "make(uri, source=text)", STALE),  # `workspace` missing
            history.site("lsp/server.py", "open_document(uri, self.workspace)", STALE),  # workspace lands on `source`
            history.site("lsp/server.py", "open_document(uri, self.workspace, source=text)", STALE),  # `source` twice
        },
    )


# -- 8. method calls on instances of a known class -------------------------------------------------------

CLIENT_V1 = """import json


class Client:
    def __init__(self, base_url):
        self.base_url = base_url

    def send(self, request):
        return json.dumps({"url": self.base_url, "body": request})

    def retry(self, request, attempts):
        for _ in range(attempts):
            return self.send(request)

    def close(self):
        self.base_url = None
"""

CLIENT_V2 = """import json


class Client:
    def __init__(self, base_url):
        self.base_url = base_url

    def send(self, request, *, timeout):
        return json.dumps({"url": self.base_url, "body": request, "timeout": timeout})

    def retry(self, request, attempts, backoff):
        for attempt in range(attempts):
            return self.send(request, timeout=backoff * (attempt + 1))

    def close(self):
        self.base_url = None
"""

BATCH_V1 = """from net.client import Client


def flush(requests):
    c = Client("https://api.example.com")
    out = [c.send(r) for r in requests]
    c.close()
    return out
"""

SERVICE = """import socket

from net.client import Client
from net.mail import Mailer


class Service:
    def __init__(self, client, mailer: Mailer):
        self.client: Client = client
        self.mailer = mailer

    def ping(self, request):
        return self.client.send(request)

    def notify(self, message):
        return self.mailer.send(message)


def relay(client: Client, request):
    return client.send(request)


def again(conn, request):
    return conn.retry(request, 3)


def raw(host, data):
    sock = socket.create_connection((host, 80))
    sock.send(data)
    return sock
"""


def test_method_calls_on_instances_of_a_changed_class_are_flagged(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "net: a client and a mailer",
        {
            "net/__init__.py": "",
            "net/client.py": CLIENT_V1,
            "net/mail.py": "class Mailer:\n    def __init__(self, host):\n        self.host = host\n\n"
            '    def send(self, message):\n        return f"{self.host}: {message}"\n',
            "net/batch.py": BATCH_V1,
            "net/service.py": SERVICE,
        },
    )
    change = history.commit("client: every request has a timeout; retries back off", {"net/client.py": CLIENT_V2})
    history.commit("batch: five seconds", {"net/batch.py": BATCH_V1.replace("c.send(r)", "c.send(r, timeout=5)")})
    first, changed, last = history.replay()

    assert_silent(history, first)
    after = {
        history.site("net/service.py", "self.client.send(request)", STALE, at=change),  # self.client: Client
        history.site("net/service.py", "return client.send(request)", STALE, at=change),  # client: Client
        history.site("net/service.py", "conn.retry(request, 3)", STALE, at=change),  # only Client has retry
    }
    assert_flags(history, changed, after | {history.site("net/batch.py", "c.send(r)", STALE, at=change)})
    assert_flags(history, last, after)


# -- 9. TypeScript ---------------------------------------------------------------------------------------------

FORMAT_V1 = """export function formatPrice(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

export function formatDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
"""

FORMAT_V2 = """export function formatPrice(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

export function formatDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}
"""

CART_TS = """import { formatPrice } from './format';
import { Logger } from './logger';
import { Repository } from './repository';

export interface Line {
  sku: string;
  amount: number;
}

export function describe(lines: Line[]): string[] {
  return lines.map((line) => `${line.sku}: ${formatPrice(line.amount)}`);
}

export function lookup(logger: Logger, id: number, name: string): string {
  const repo = new Repository(logger, 'items');
  const byId = repo.find(id);
  const byName = repo.find(name);
  return `${byId?.name ?? '?'} / ${byName?.name ?? '?'}`;
}
"""

RECEIPT_TS = """import { formatDate, formatPrice as fmt } from './format';
import * as format from './format';

export function header(date: Date, total: number): string {
  return `${formatDate(date)} ${fmt(total)}`;
}

export function footer(tip: number): string {
  return `tip ${format.formatPrice(tip)}`;
}
"""

LOGGER_TS = """export class Logger {
  constructor(private readonly prefix: string, public verbose: boolean = false) {}

  log(message: string): void {
    if (this.verbose) {
      console.log(`${this.prefix} ${message}`);
    }
  }
}
"""

REPOSITORY_TS = """import { Logger } from './logger';

export interface Item {
  id: number;
  name: string;
}

export class Repository {
  private items: Item[] = [];

  constructor(private readonly logger: Logger, public readonly name: string) {}

  find(id: number): Item | undefined;
  find(name: string): Item | undefined;
  find(key: number | string): Item | undefined {
    this.logger.log(`find ${key} in ${this.name}`);
    return this.items.find((item) => item.id === key || item.name === key);
  }

  add(item: Item): void {
    this.items.push(item);
  }
}

export function parseItem(text: string): Item;
export function parseItem(text: string, strict: boolean): Item;
export function parseItem(text: string, strict?: boolean): Item {
  const [id, name] = text.split(':');
  if (strict && !name) {
    throw new Error(`bad item: ${text}`);
  }
  return { id: Number(id), name: name ?? '' };
}
"""

MAIN_TS = """import { Logger } from './logger';
import { Repository, parseItem } from './repository';

const logger = new Logger('[shop]', true);
const repo = new Repository(logger, 'main');
repo.add(parseItem('1:apple'));
repo.add(parseItem('2:pear', true));
repo.find(1);
repo.find('pear');
logger.log('ready');
"""


def test_typescript_callers_of_an_exported_function_that_gained_a_parameter_are_flagged(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "web: prices, receipts, a repository",
        {
            "web/src/format.ts": FORMAT_V1,
            "web/src/cart.ts": CART_TS,
            "web/src/receipt.ts": RECEIPT_TS,
            "web/src/logger.ts": LOGGER_TS,
            "web/src/repository.ts": REPOSITORY_TS,
            "web/src/main.ts": MAIN_TS,
        },
    )
    change = history.commit(
        "format: prices carry a currency; quieter lookups",
        {
            "web/src/format.ts": FORMAT_V2,
            # the class's body changes, not its overloads or its constructor
            "web/src/repository.ts": REPOSITORY_TS.replace("`find ${key} in ${this.name}`", "`lookup ${key}`"),
        },
    )
    history.commit(
        "receipt header in euros; cart subtotal",
        {
            "web/src/receipt.ts": RECEIPT_TS.replace("fmt(total)", "fmt(total, 'EUR')"),
            "web/src/cart.ts": CART_TS + "\nexport function subtotal(n: number): string {\n"
            "  return formatPrice(n);\n}\n",
        },
    )
    first, changed, last = history.replay()

    assert_silent(history, first)
    assert_flags(
        history,
        changed,
        {
            history.site("web/src/cart.ts", "formatPrice(line.amount)", STALE, at=change),
            history.site("web/src/receipt.ts", "fmt(total)", STALE, at=change),
            history.site("web/src/receipt.ts", "format.formatPrice(tip)", STALE, at=change),
        },
    )
    assert_flags(
        history,
        last,
        {
            history.site("web/src/cart.ts", "formatPrice(line.amount)", STALE),
            history.site("web/src/cart.ts", "return formatPrice(n);", STALE),
            history.site("web/src/receipt.ts", "format.formatPrice(tip)", STALE),
        },
    )
    for seen in last.seen:
        assert "`currency`" in seen.problem.message and "web/src/format.ts" in seen.problem.message, (
            f"the message should name the new parameter and the file that changed: {seen}"
        )


def test_calls_of_a_private_method_that_gained_a_parameter_are_flagged(tmp_path):
    """TanStack Query 5.59.20's ``query.ts``, as released: ``Query.#dispatch(action)`` gains a
    required ``reason`` and one of its eight calls is updated; the seven others are flagged
    (a private method was no symbol, so none was)."""
    import released

    tree = released.fetched(released.Project("@tanstack/query-core", "5.59.20", "npm", "src"))
    v1 = (tree / "query.ts").read_text()
    header = "  #dispatch(action: Action<TData, TError>): void {"
    updated = "this.#dispatch({ type: 'invalidate' })"
    v2 = v1.replace(header, header.replace("): void", ", reason: string): void")).replace(
        updated, updated.replace("})", "}, 'stale')")
    )
    assert v2.count("reason: string") == 1 and v2.count("'stale'") == 1
    history = History(tmp_path / "repo")
    history.commit("query-core 5.59.20", {"src/query.ts": v1, "src/utils.ts": (tree / "utils.ts").read_text()})
    history.commit("dispatch says why", {"src/query.ts": v2})
    first, changed = history.replay()

    assert_silent(history, first)
    calls = [n for n, line in enumerate(v2.split("\n"), 1) if "this.#dispatch(" in line and "'stale'" not in line]
    assert len(calls) == 7
    assert_flags(history, changed, {Flag("src/query.ts", n, STALE) for n in calls})


def test_typescript_calls_through_default_imports_are_flagged_when_the_default_export_changes(tmp_path):
    """A default export imported under another name: named (``export default function
    formatPrice``), anonymous (``export default (n: number) => ...``), or bound by ``export {
    hello as default }``. Each gains a required parameter; the calls through the imports are
    flagged (a default import reached no symbol, so none was)."""
    files = {
        "web/format.ts": "export default function formatPrice(cents: number): string {\n  return `${cents}`;\n}\n",
        "web/double.ts": "export default (n: number): number => n * 2;\n",
        "web/hello.ts": "function hello(name: string): string {\n  return name;\n}\nexport { hello as default };\n",
        "web/use.ts": "import fmt from './format';\nimport twice from './double';\nimport greet from './hello';\n\n"
        "export function page(n: number): string {\n  const label = greet('shop');\n"
        "  return label + fmt(twice(n));\n}\n",
    }
    history = History(tmp_path / "repo")
    history.commit("web", files)
    history.commit(
        "each takes one more",
        {
            "web/format.ts": files["web/format.ts"].replace("(cents: number)", "(cents: number, currency: string)"),
            "web/double.ts": files["web/double.ts"].replace("(n: number)", "(n: number, by: number)"),
            "web/hello.ts": files["web/hello.ts"].replace("(name: string)", "(name: string, lang: string)"),
        },
    )
    first, changed = history.replay()

    assert_silent(history, first)
    assert_flags(
        history,
        changed,
        {
            history.site("web/use.ts", "greet('shop')", STALE),
            history.site("web/use.ts", "fmt(twice(n))", STALE),  # fmt and twice, one line
        },
    )
    assert {seen.problem.message.split("`")[1] for seen in changed.seen} == {"hello", "formatPrice", "default"}


def test_javascript_calls_through_default_imports_are_followed_but_their_arity_is_not_judged(tmp_path):
    """date-fns 2.30.0 (its ES modules, as released): every function is its module's default
    export (``export default function toDate(argument)``), imported as ``import toDate from
    "../toDate/index.js"``. The memory follows those calls now; when ``toDate`` gains
    ``options``, the calls that leave it out are fine in JavaScript (it is undefined: date-fns
    calls its own functions so), and only the JSDoc that does not document it is flagged."""
    import released

    tree = released.fetched(released.Project("date-fns", "2.30.0", "npm", "esm"))
    modules = ["toDate", "addDays", "addWeeks", "isWeekend", "startOfDay", "endOfDay", "getDay", "getMonth", "isValid"]
    files = {f"{m}/index.js": (tree / m / "index.js").read_text() for m in modules}
    files.update(
        {f"_lib/{m}/index.js": (tree / "_lib" / m / "index.js").read_text() for m in ("toInteger", "requiredArgs")}
    )
    header = "export default function toDate(argument) {"
    history = History(tmp_path / "repo")
    history.commit("date-fns 2.30.0", files)
    history.commit(
        "toDate takes options",
        {"toDate/index.js": files["toDate/index.js"].replace(header, header.replace("argument", "argument, options"))},
    )
    first, changed = history.replay()

    assert_silent(history, first)
    assert history.knowledge is not None
    importers = [m for m in modules if "import toDate from" in files[f"{m}/index.js"]]
    assert len(importers) >= 6
    for module in importers:
        assert history.knowledge.resolver.lookup(f"{module}/index.js", "toDate") == Found(
            "javascript:toDate/index.js:toDate"
        ), module
    assert_flags(history, changed, {history.site("toDate/index.js", "@param {Date|Number} argument", DRIFT)})


def test_a_renamed_method_is_flagged_where_a_typed_receiver_calls_it(tmp_path):
    """TanStack Query 5.59.20's sources, as released: ``QueryClient.getQueryCache()`` is
    renamed. Its seven calls are all through receivers whose class the code declares: a field
    (``#client: QueryClient``, then ``this.#client.getQueryCache()``, once broken over two
    lines) and a parameter (``client: QueryClient``). Each is flagged with the new name; the
    memory followed none of them before."""
    import released

    tree = released.fetched(released.Project("@tanstack/query-core", "5.59.20", "npm", "src"))
    files = {f"src/{p.name}": p.read_text() for p in sorted(tree.glob("*.ts"))}
    header = "  getQueryCache(): QueryCache {"
    assert files["src/queryClient.ts"].count(header) == 1
    history = History(tmp_path / "repo")
    history.commit("query-core 5.59.20", files)
    history.commit(
        "getQueryCache is now queryCache",
        {"src/queryClient.ts": files["src/queryClient.ts"].replace(header, "  queryCache(): QueryCache {")},
    )
    first, renamed = history.replay()

    assert_silent(history, first)
    calls = {
        Flag(path, number, RENAMED)
        for path, text in files.items()
        for number, line in enumerate(text.split("\n"), 1)
        if ".getQueryCache()" in line
    }
    assert len(calls) == 7 and len({flag.path for flag in calls}) == 2
    assert_flags(history, renamed, calls)
    for seen in renamed.seen:
        assert "`queryCache`" in seen.problem.message, seen


def _calls_through_parameters(source: str, cls: str, method: str) -> set[int]:
    """Lines of ``p.method(...)`` where ``p`` is a parameter annotated with ``cls`` (bare,
    quoted, optional, through its module) of the function the call is in or of one enclosing it, and of
    ``self.method(...)`` in ``cls``'s own methods: read with ``ast``, apart from the memory."""
    found: set[int] = set()

    def names(annotation: ast.expr | None) -> bool:
        text = ast.unparse(annotation) if annotation is not None else ""
        for wrapper in ("'", '"', "t.Optional[", "]", " | None"):
            text = text.replace(wrapper, "")
        return text.rpartition(".")[2] == cls  # (``click.Context`` in a file that imports click)

    def walk(node: ast.AST, typed: frozenset[str], in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            here, inside = typed, in_class and not isinstance(child, ast.ClassDef)
            if isinstance(child, ast.ClassDef):
                inside = child.name == cls
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                arguments = [*child.args.posonlyargs, *child.args.args, *child.args.kwonlyargs]
                here = (typed - {a.arg for a in arguments}) | {a.arg for a in arguments if names(a.annotation)}
                if in_class:
                    here |= {"self"}
            call = child.func if isinstance(child, ast.Call) else None
            if isinstance(call, ast.Attribute) and call.attr == method and isinstance(call.value, ast.Name):
                if call.value.id in typed:
                    found.add(call.end_lineno or call.lineno)
            walk(child, here, inside)

    walk(ast.parse(source), frozenset(), False)
    return found


def test_a_renamed_method_is_flagged_where_an_annotated_parameter_calls_it(tmp_path):
    """click 8.1.7, as released (sources, tests, examples): ``Context.fail`` is renamed. The
    calls flagged are those through a parameter annotated ``Context`` (``ctx: Context``,
    ``ctx: click.Context`` in a typing test) and ``self.fail`` in ``Context``: where the code says which class it is.
    ``ParamType.fail``, called as ``self.fail`` in every parameter type, is another method
    and stays silent, as do calls on a ``ctx`` nothing annotates (the memory cannot know)."""
    import released

    tree = released.fetched(released.Project("click", "8.1.7", "pypi"))
    files = {str(p.relative_to(tree)): p.read_text() for p in sorted(tree.rglob("*.py"))}
    header = '    def fail(self, message: str) -> "te.NoReturn":'
    assert files["src/click/core.py"].count(header) == 1
    history = History(tmp_path / "repo")
    history.commit("click 8.1.7", files)
    history.commit(
        "Context.fail is now Context.usage_error",
        {"src/click/core.py": files["src/click/core.py"].replace(header, header.replace("fail", "usage_error"))},
    )
    first, renamed = history.replay()

    assert_silent(history, first)
    calls = {
        Flag(path, line, RENAMED)
        for path, source in files.items()
        for line in _calls_through_parameters(source, "Context", "fail")
    }
    assert len(calls) >= 4 and len({flag.path for flag in calls}) >= 2
    assert_flags(history, renamed, calls)
    for seen in renamed.seen:
        assert "`usage_error`" in seen.problem.message, seen


# -- 10. a history with no API change -------------------------------------------------------------------------

NOTES_V1 = '''"""Notes kept in a JSON file."""

import json
from pathlib import Path


class NoteStore:
    def __init__(self, path):
        self.path = Path(path)

    def load(self):
        if not self.path.exists():
            return []
        return json.loads(self.path.read_text())

    def save(self, notes):
        self.path.write_text(json.dumps(notes, indent=2))

    def add(self, title, body="", tags=()):
        """Add a note and return it.

        Args:
            title: the note's title.
            body: its text.
            tags: labels to file it under.
        """
        notes = self.load()
        note = {"title": title, "body": body, "tags": list(tags)}
        notes.append(note)
        self.save(notes)
        return note


def search(store, word):
    return [n for n in store.load() if word in n["title"] or word in n["body"]]
'''

NOTES_BODIES = (
    NOTES_V1.replace(  # bodies and comments
        "        return json.loads(self.path.read_text())",
        "        # An empty file is an empty list, not an error.\n"
        "        text = self.path.read_text()\n        return json.loads(text) if text.strip() else []",
    )
    .replace("indent=2)", "indent=2, ensure_ascii=False)")
    .replace(
        '    return [n for n in store.load() if word in n["title"] or word in n["body"]]',
        "    word = word.lower()\n"
        '    return [n for n in store.load() if word in n["title"].lower() or word in n["body"].lower()]',
    )
)

NOTES_FORMATTED = NOTES_BODIES.replace(  # a signature reflowed, quotes changed, the summary reworded
    '    def add(self, title, body="", tags=()):',
    "    def add(\n        self,\n        title,\n        body='',\n        tags=(),\n    ):",
).replace("Add a note and return it.", "Append a note to the file and return it.")

CLI_V1 = """import sys

from notes.store import NoteStore, search


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    store = NoteStore("notes.json")
    if argv and argv[0] == "add":
        store.add(argv[1], " ".join(argv[2:]), tags=("cli",))
    elif argv and argv[0] == "find":
        for note in search(store, argv[1]):
            print(note["title"])
"""

RENDER_V1 = """export function renderNote(title: string, body: string): string {
  return `<h2>${title}</h2><p>${body}</p>`;
}
"""

PAGE_V1 = """import { renderNote } from './render';

export function page(notes: { title: string; body: string }[]): string {
  return notes.map((n) => renderNote(n.title, n.body)).join('\\n');
}
"""


def test_calls_of_a_name_a_star_import_brings_are_flagged_when_it_gains_a_parameter(tmp_path):
    # Real code: the standard library's contextlib, and its tests, which ``from contextlib import *``
    # and call ``closing(x)``. Until the resolver followed a file's own star imports, nothing was
    # flagged here.
    lib, tests = stdlib_source("contextlib.py"), stdlib_source("test/test_contextlib.py")
    start = lib.index("class closing(")
    end = lib.index("\nclass ", start)
    changed = lib[:start] + lib[start:end].replace("def __init__(self, thing):", "def __init__(self, thing, label):", 1)
    assert changed != lib
    calls = {  # every ``closing(...)`` the tests write, as Python's own parser finds them
        node.lineno
        for node in ast.walk(ast.parse(tests))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "closing"
    }
    assert calls, "test_contextlib.py should call closing()"
    history = History(tmp_path / "repo")
    history.commit("contextlib and its tests", {"contextlib.py": lib, "test/test_contextlib.py": tests})
    history.commit("closing: a label", {"contextlib.py": changed})
    first, last = history.replay()

    assert_silent(history, first)
    assert_flags(history, last, {Flag("test/test_contextlib.py", line, STALE) for line in calls})
    assert all("`label`" in seen.problem.message for seen in last.seen)


def test_a_history_without_api_changes_flags_nothing(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "notes: a store and a cli",
        {
            "notes/__init__.py": "",
            "notes/store.py": NOTES_V1,
            "notes/cli.py": CLI_V1,
            "web/render.ts": RENDER_V1,
            "web/page.ts": PAGE_V1,
        },
    )
    history.commit(
        "notes: empty files load; search ignores case",
        {
            "notes/store.py": NOTES_BODIES,
            "web/render.ts": RENDER_V1.replace(
                "return `<h2>", '// Titles are plain text.\n  return `<h2 class="note">'
            ),
        },
    )
    history.commit(
        "style: reflow",
        {
            "notes/store.py": NOTES_FORMATTED,
            "notes/cli.py": CLI_V1.replace('store = NoteStore("notes.json")', "store = NoteStore('notes.json')"),
            "web/render.ts": "export function renderNote(\n  title: string,\n  body: string,\n): string {\n"
            '  // Titles are plain text.\n  return `<h2 class="note">${title}</h2><p>${body}</p>`;\n}\n',
        },
    )
    history.commit(
        "notes: remove and retag; a list view",
        {
            "notes/store.py": NOTES_FORMATTED
            + """

def remove(store, title):
    notes = [n for n in store.load() if n["title"] != title]
    store.save(notes)
    return len(notes)
""",
            "notes/tags.py": """from notes.store import NoteStore, remove, search


def retag(store: NoteStore, old, new):
    notes = store.load()
    for note in notes:
        note["tags"] = [new if t == old else t for t in note["tags"]]
    store.save(notes)


def prune(path, word):
    store = NoteStore(path)
    for note in search(store, word):
        remove(store, note["title"])
    store.add("pruned", word, tags=("log",))
""",
            "web/list.ts": "import { renderNote } from './render';\n\n"
            "export function renderList(titles: string[]): string {\n"
            "  return titles.map((t) => renderNote(t, '')).join('');\n}\n",
        },
    )
    snapshots = history.replay()

    assert len(snapshots) == 4
    for snapshot in snapshots:
        assert_silent(history, snapshot)


# -- TypeScript in effect's style ---------------------------------------------------------------

# Variance annotations and generic call signatures without semicolons, as effect 3.11 and zod 4
# write them: tree-sitter-typescript 0.23.2 reads both as errors, and a file it cannot read is not
# judged (what the memory read of it may be a piece of a declaration). Read as TypeScript reads it
# (languages/repairs.py), the functions declared after them are the memory's like any other.
FUNCTION_TS = """/**
 * A value computed when asked.
 *
 * @since 2.0.0
 */
export interface LazyArg<out A> {
  (): A
}

/**
 * Applies a function to a value, data-last or data-first.
 */
export const apply: {
  <A>(a: A): <B>(self: (a: A) => B) => B
  /** data first */
  <A, B>(self: (a: A) => B, a: A): B
} = (...args: Array<any>) => (args.length === 1 ? (self: any) => self(args[0]) : args[0](args[1]))

export function constant<A>(value: A): LazyArg<A> {
  return () => value
}

export function flow<A, B, C>(ab: (a: A) => B, bc: (b: B) => C): (a: A) => C {
  return (a) => bc(ab(a))
}
"""

USE_FUNCTION_TS = """import { constant, flow } from "./Function"

export const zero = constant(0)
export const twiceAndOne = flow((n: number) => n * 2, (n: number) => n + 1)
"""


def test_typescript_in_effects_style_is_judged_and_its_changed_function_flags_its_callers(tmp_path):
    history = History(tmp_path / "repo")
    history.commit(
        "Function: lazy values, apply, flow", {"src/Function.ts": FUNCTION_TS, "src/use.ts": USE_FUNCTION_TS}
    )
    change = history.commit(
        "constant: a label for traces",
        {
            "src/Function.ts": FUNCTION_TS.replace(
                "constant<A>(value: A): LazyArg<A> {", "constant<A>(value: A, label: string): LazyArg<A> {"
            )
        },
    )
    first, changed = history.replay()

    assert_silent(history, first)
    assert_flags(history, changed, {history.site("src/use.ts", "constant(0)", STALE, at=change)})


# effect 3.11's DateTime.ts: a function moved to an internal module and re-exported as a variable
# of its function type. It was no symbol, so the memory took it for deleted and its callers in the
# same file for calls of nothing (2 `missing-symbol` on released code); it is the same function.
DATETIME_V1 = """export interface Offset {
  readonly offset: number
}

export const zoneMakeOffset = (offset: number): Offset => ({ offset })

export const withOffset = (at: number, offset: number) => [at, zoneMakeOffset(offset)] as const
"""

DATETIME_V2 = """import * as Internal from "./internal/dateTime"

export interface Offset {
  readonly offset: number
}

export const zoneMakeOffset: (offset: number) => Offset = Internal.zoneMakeOffset

export const withOffset = (at: number, offset: number) => [at, zoneMakeOffset(offset)] as const
"""

INTERNAL_DATETIME = """import type { Offset } from "../DateTime"

export const zoneMakeOffset = (offset: number): Offset => ({ offset })
"""

CLOCK_TS = """import { zoneMakeOffset } from "./DateTime"

export const utc = zoneMakeOffset(0)
"""


def test_a_typescript_function_re_exported_as_a_variable_of_its_type_is_the_same_function(tmp_path):
    history = History(tmp_path / "repo")
    history.commit("DateTime: offsets", {"src/DateTime.ts": DATETIME_V1, "src/clock.ts": CLOCK_TS})
    history.commit(
        "DateTime: implementations in internal/",
        {"src/DateTime.ts": DATETIME_V2, "src/internal/dateTime.ts": INTERNAL_DATETIME},
    )
    change = history.commit(
        "zoneMakeOffset: a name for each offset",
        {
            "src/DateTime.ts": DATETIME_V2.replace(
                "(offset: number) => Offset", "(offset: number, name: string) => Offset"
            )
        },
    )
    first, moved, changed = history.replay()

    assert_silent(history, first)
    assert_silent(history, moved)
    # (the declared type is what callers are held to)
    assert_flags(
        history,
        changed,
        {
            history.site("src/clock.ts", "zoneMakeOffset(0)", STALE, at=change),
            history.site("src/DateTime.ts", "zoneMakeOffset(offset)]", STALE, at=change),
        },
    )


# -- a TypeScript constant renamed: a zod schema ---------------------------------------------

SCHEMAS_TS = """import { z } from 'zod';

/** A user as the API sends it. */
export const UserSchema = z.object({ id: z.number(), name: z.string() });

export const parseUser = (data: unknown) => UserSchema.parse(data);
"""

PROFILE_TS = """import { UserSchema } from './schemas';

export function profile(data: unknown) {
  return UserSchema.parse(data).name;
}
"""


CARD_TSX = """import { UserSchema } from './schemas';
import { Avatar } from './avatar';

export function Card(props: { data: unknown }) {
  const user = UserSchema.parse(props.data);
  return <div><Avatar name={user.name} /></div>;
}
"""


def test_a_renamed_typescript_constant_flags_its_imports_and_uses_elsewhere(tmp_path):
    """A module constant made by a call (a zod schema) is a symbol: renamed, the files that
    still import it by its old name are told its new one (before, it was no symbol at all, and
    the memory saw nothing change), at the import and where it is read (`UserSchema.parse`), as
    is a component renamed where JSX names it (`<Avatar />`); the fix rewrites them all, so the
    code it leaves names what it imports. The file that followed, and the schemas' own file,
    are quiet."""
    history = History(tmp_path / "repo")
    history.commit(
        "schemas",
        {
            "src/schemas.ts": SCHEMAS_TS,
            "src/avatar.tsx": "export function Avatar(props: { name: string }) {\n"
            "  return <img alt={props.name} />;\n}\n",
            "src/profile.ts": PROFILE_TS,
            "src/admin.ts": PROFILE_TS.replace("profile", "admin"),
            "src/card.tsx": CARD_TSX,
        },
    )
    history.commit(
        "schemas: UserSchema is User; Avatar is UserAvatar",
        {
            "src/schemas.ts": SCHEMAS_TS.replace("UserSchema", "User"),
            "src/avatar.tsx": "export function UserAvatar(props: { name: string }) {\n"
            "  return <img alt={props.name} />;\n}\n",
            "src/admin.ts": PROFILE_TS.replace("profile", "admin").replace("UserSchema", "User"),
        },
    )
    first, last = history.replay()

    assert_silent(history, first)
    expected = {
        history.site("src/profile.ts", "import { UserSchema }", RENAMED),
        history.site("src/profile.ts", "return UserSchema.parse", RENAMED),
        history.site("src/card.tsx", "import { UserSchema }", RENAMED),
        history.site("src/card.tsx", "import { Avatar }", RENAMED),
        history.site("src/card.tsx", "const user = UserSchema.parse", RENAMED),
        history.site("src/card.tsx", "<Avatar name", RENAMED),
    }
    assert_flags(history, last, expected)
    for rel, old, new in (("src/profile.ts", "UserSchema", "User"), ("src/card.tsx", "Avatar", "UserAvatar")):
        source = history.read(rel).encode()
        seen = next(s for s in last.seen if s.flag.path == rel and f"`{old}`" in s.problem.message)
        assert f"`{new}`" in seen.problem.message
        fixed = apply_fix(source, seen.problem.fixes[0]).decode()
        assert old not in fixed.replace(f"User{old}", ""), fixed  # (every use renamed with the import)
