"""Re-extracting only what an edit touched gives what a full extraction gives."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest

from kairos_lsp.documents import Document, diff_edit
from kairos_lsp.extract import extract_tree
from kairos_lsp.reextract import reextract

SERVICE_PY = '''"""Orders."""

import json


class Orders:
    """Keeps orders."""

    def __init__(self, db):
        self.db = db

    def add(self, order, notify=False):
        """Store one order."""
        self.db.insert(json.dumps(order))
        if notify:
            self.notify(order)

    def notify(self, order):
        send_mail(order["email"])


def total(orders):
    return sum(o["amount"] for o in orders)


def cancel(order_id):
    raise NotImplementedError(order_id)
'''

SERVICE_TS = """import { db } from "./db";

/** Keeps orders. */
export class Orders {
  add(order: Order, notify = false): void {
    db.insert(order);
  }

  notify(order: Order) {
    sendMail(order.email);
  }
}

export function total(orders: Order[]): number {
  return orders.reduce((s, o) => s + o.amount, 0);
}
"""


def facts(extraction):
    return [
        (
            s.qualname,
            s.kind,
            s.start,
            s.end,
            s.name_start,
            s.name_end,
            s.body_hash,
            s.signature,
            s.parameters,
            s.docstring,
            s.decorators,
            s.calls,
            s.imports,
            s.raises,
            s.writes,
            s.span,
        )
        for s in extraction.symbols
    ]


def replay(text: str, language: str, edits: list[str]) -> None:
    """Apply each new text as an editor would and compare with a fresh full extraction."""
    doc = Document("file:///w/f", "f", language, text)
    extraction = extract_tree(doc.tree, doc.text, language)
    for new_text in edits:
        before = doc.text
        doc.update(new_text)
        extraction = reextract(doc.tree, doc.text, language, extraction, diff_edit(before, doc.text))
        fresh = Document("file:///w/g", "g", language, new_text)
        assert facts(extraction) == facts(extract_tree(fresh.tree, fresh.text, language))


def test_python_edits_inside_and_between_symbols():
    steps = [
        SERVICE_PY.replace("self.notify(order)", "self.notify(order, urgent=True)"),  # inside a method
        SERVICE_PY.replace("def notify(self, order):", "def notify(self, order, urgent=False):"),
        SERVICE_PY.replace("def total(orders):", "def grand_total(orders):"),  # rename a top-level function
        SERVICE_PY.replace("\n\ndef cancel", "\n\ndef refund(order_id):\n    return order_id\n\n\ndef cancel"),
        SERVICE_PY.replace('        """Store one order."""\n', ""),  # docstring removed
        SERVICE_PY.replace('send_mail(order["email"])', 'send_mail(order["email"])\n        log(order)'),
        SERVICE_PY,  # revert
    ]
    replay(SERVICE_PY, "python", steps)


COUNTER_PY = """_hits = 0


def counter():
    seen = {"n": 0}

    def step(by):
        seen["n"] += by
        return seen["n"]

    return step


def count():
    global _hits
    _hits += 1
"""


def test_python_edits_that_change_what_a_function_writes():
    """A name bound or unbound in the function itself, or in the one around it."""
    steps = [
        COUNTER_PY.replace('        seen["n"] += by', '        seen = {}\n        seen["n"] += by'),  # now its own
        COUNTER_PY.replace('    seen = {"n": 0}', '    state = {"n": 0}'),  # bound nowhere now
        COUNTER_PY.replace("    global _hits\n", ""),
        COUNTER_PY.replace("def step(by):", "def step(by, seen):"),  # a parameter's item
        COUNTER_PY,
    ]
    replay(COUNTER_PY, "python", steps)


def test_typescript_edits_that_change_what_a_function_writes():
    text = """let calls = 0;

export function counter(step: number) {
  let seen = 0;
  const bump = () => {
    seen += step;
    calls++;
  };
  return bump;
}
"""
    steps = [
        text.replace("    calls++;\n", ""),
        text.replace("  let seen = 0;\n", ""),  # now the module's, or nobody's
        text.replace("    seen += step;", "    let seen = step;"),
        text,
    ]
    replay(text, "typescript", steps)


def test_typescript_edits():
    steps = [
        SERVICE_TS.replace("db.insert(order);", "db.insert(order);\n    audit(order);"),
        SERVICE_TS.replace("notify(order: Order) {", "notify(order: Order, urgent = false) {"),
        SERVICE_TS.replace("export function total", "export function sum"),
        SERVICE_TS + "\nexport const LIMIT = 10;\n",
    ]
    replay(SERVICE_TS, "typescript", steps)


def test_typescript_edits_to_private_methods_function_fields_and_class_expressions():
    private = SERVICE_TS.replace("notify(order", "#notify(order").replace("db.insert(order);", "this.#notify(order);")
    steps = [
        private,
        private.replace("  #notify(", "  handle = (e: Event) => {\n    this.#notify(e);\n  };\n\n  #notify("),
        private.replace("class Orders {", "const Orders = class {").replace("}\n\nexport", "};\n\nexport"),
        private.replace("sendMail(order.email);", "sendMail(order.email);\n    this.#count++;"),
        SERVICE_TS,
    ]
    replay(SERVICE_TS, "typescript", steps)
    replay(SERVICE_TS, "javascript", [step.replace(": Order", "").replace(": void", "") for step in steps])


@pytest.mark.parametrize("seed", [1, 2])
def test_random_line_edits_on_tanstack_query_s_query_ts(seed):
    """A released TypeScript module with private methods and fields (TanStack Query 5.59.20)."""
    import released

    tree = released.fetched(released.Project("@tanstack/query-core", "5.59.20", "npm", "src"))
    text = (tree / "query.ts").read_text()
    rng = random.Random(seed)
    lines = text.split("\n")
    steps = []
    for _ in range(25):
        private = [i for i, line in enumerate(lines) if line.startswith("  #") and line.endswith("{")]
        statements = [i for i, line in enumerate(lines) if line.strip().startswith(("this.", "return "))]
        row = rng.choice(private if private and rng.random() < 0.3 else statements)
        line = lines[row]
        if row in private:
            lines[row] = line.replace("#", "", 1)  # a private method made public
        else:
            indent = line[: len(line) - len(line.lstrip())]
            lines.insert(row + 1, indent + "this.#trace(1)")
        steps.append("\n".join(lines))
    replay(text, "typescript", steps)


def test_multibyte_text_before_the_edit():
    text = SERVICE_PY.replace('"""Keeps orders."""', '"""Keeps orders — 注文 😀."""')
    replay(
        text,
        "python",
        [
            text.replace("return sum(", "return 2 * sum("),
            text.replace("def cancel(order_id):", "def cancel(order_id, why='é'):"),
        ],
    )


@pytest.mark.parametrize("seed, module", [(1, "difflib.py"), (2, "difflib.py"), (3, "gettext.py")])
def test_random_line_edits_on_a_real_module(seed, module):
    path = Path(sysconfig.get_paths()["stdlib"]) / module
    text = path.read_text()
    rng = random.Random(seed)
    lines = text.split("\n")
    steps = []
    for _ in range(25):
        row = rng.randrange(1, len(lines) - 1)
        line = lines[row]
        if line.strip().startswith("return "):
            lines[row] = line + "  # checked"
        elif line.strip() and not line.rstrip().endswith((":", "(", ",", "\\")):
            indent = line[: len(line) - len(line.lstrip())]
            lines.insert(row + 1, indent + "trace(1)")
        steps.append("\n".join(lines))
    replay(text, "python", steps)
