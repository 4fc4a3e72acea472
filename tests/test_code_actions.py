"""Code actions, built directly: fixes from problems, verdicts from facts, the two together
for an LSP range (kinds filtered by ``only``), on documents over a real store."""

from __future__ import annotations

import pytest
from lsprotocol import types
from workspaces import problems as problems_of
from workspaces import rewrite, workspace

from kairos_lsp.checks import Fix, Problem, TextEdit
from kairos_lsp.documents import Document
from kairos_lsp.dream import dream
from kairos_lsp.features import code_actions as ca

URI = "file:///ws/app.py"
TEXT = 'name = "😀"; total = price(1)\nprint(total)\n'.encode()


def problem(start, end, *fixes, code="stale-call") -> Problem:  # byte points
    return Problem(code, "warning", "it changed", start, end, subject="python:lib.py:price", fixes=list(fixes))


CALL = ((0, 23), (0, 31))  # `price(1)`, after an emoji (4 bytes, 2 UTF-16 units, 1 code point)
ADD_REGION = Fix("Add `region=...`", [TextEdit((0, 30), (0, 30), ", region=...")], preferred=True)
BY_NAME = Fix("Pass by name", [TextEdit((0, 29), (0, 29), "amount=")])


@pytest.mark.parametrize(
    "start, end, titles",
    [
        ((0, 25), (0, 25), ["Add `region=...`", "Pass by name"]),  # the cursor on the call
        ((0, 0), (0, 40), ["Add `region=...`", "Pass by name"]),  # a range around it
        ((0, 31), (0, 31), ["Add `region=...`", "Pass by name"]),  # the end of the problem counts
        ((0, 0), (0, 5), []),  # before it
        ((1, 0), (1, 3), []),  # after it
    ],
)
def test_fixes_of_the_problems_under_a_range(start, end, titles):
    found = [problem(*CALL, ADD_REGION, BY_NAME), problem((1, 0), (1, 5), code="no-fix")]
    actions = ca.fixes(found, TEXT, URI, start, end, "utf-16")
    assert [a.title for a in actions] == titles
    for action in actions:
        assert action.kind == types.CodeActionKind.QuickFix and URI in action.edit.changes
        assert action.diagnostics[0].code == "stale-call" and action.diagnostics[0].source == "kairos"


@pytest.mark.parametrize("encoding, column", [("utf-8", 30), ("utf-16", 28), ("utf-32", 27)])
def test_fix_edits_speak_the_negotiated_encoding(encoding, column):
    action, other = ca.fixes([problem(*CALL, ADD_REGION, BY_NAME)], TEXT, URI, (0, 25), (0, 25), encoding)
    edit = action.edit.changes[URI][0]
    assert edit.range.start == types.Position(line=0, character=column) and edit.new_text == ", region=..."
    assert action.is_preferred is True and other.is_preferred is None
    assert action.diagnostics[0].range.start == types.Position(line=0, character=column - 7)


LIB = '''import json


def load_settings(path):
    """Read the settings file and parse it."""
    with open(path) as handle:
        return json.load(handle)


def price(amount):
    return amount * 2
'''
APP = "from lib import load_settings, price\n\n\ndef main():\n    return load_settings('a.json'), price(3)\n"


@pytest.fixture
def memory(tmp_path):
    knowledge = workspace(tmp_path, {"lib.py": LIB, "app.py": APP})
    dream(knowledge.store, trigger="test")
    yield knowledge, tmp_path
    knowledge.store.close()


def test_verdicts_for_the_facts_about_the_symbol_under_the_cursor(memory):
    knowledge, _ = memory
    line = APP.splitlines()[4].encode()
    actions = ca.verdicts(knowledge, "app.py", (4, line.index(b"load_settings") + 2), line)
    assert actions and len(actions) <= 2 * ca.MAX_FACTS
    assert all(a.kind == ca.FACT_KIND for a in actions)
    assert all(a.command.command in ("kairos.confirmFact", "kairos.rejectFact") for a in actions)
    assert all(isinstance(a.command.arguments[0], int) for a in actions)
    assert all("`load_settings`" in a.title for a in actions)
    assert any(a.title.startswith("Confirm: `load_settings` handles") for a in actions)
    # On a definition's name, and nowhere near a symbol.
    assert ca.verdicts(knowledge, "lib.py", (3, 6), LIB.splitlines()[3].encode())
    assert ca.verdicts(knowledge, "app.py", (1, 0), b"") == []


def test_a_confirmed_fact_is_offered_for_rejection_only(memory):
    from kairos_lsp.dream import record_verdict

    knowledge, _ = memory
    line = LIB.splitlines()[3].encode()
    before = ca.verdicts(knowledge, "lib.py", (3, 6), line)
    fact_id = next(a.command.arguments[0] for a in before if a.title.startswith("Confirm"))
    record_verdict(knowledge.store, fact_id, True)
    dream(knowledge.store, trigger="test")
    after = ca.verdicts(knowledge, "lib.py", (3, 6), line)
    assert fact_id not in [a.command.arguments[0] for a in after]


@pytest.mark.parametrize(
    "only, kinds",
    [
        (None, {"quickfix", ca.FACT_KIND}),
        ([], {"quickfix", ca.FACT_KIND}),
        ([types.CodeActionKind.QuickFix], {"quickfix"}),
        (["quickfix"], {"quickfix"}),
        ([types.CodeActionKind.Source], {ca.FACT_KIND}),  # an enum, as a Python client builds it
        (["source.kairos"], {ca.FACT_KIND}),
        ([ca.FACT_KIND], {ca.FACT_KIND}),
        ([types.CodeActionKind.QuickFix, ca.FACT_KIND], {"quickfix", ca.FACT_KIND}),
        ([types.CodeActionKind.Refactor], set()),
        ([types.CodeActionKind.SourceOrganizeImports], set()),
    ],
)
def test_code_actions_for_a_range_filtered_by_kind(memory, only, kinds):
    knowledge, root = memory
    rewrite(knowledge, root, {"lib.py": LIB.replace("def price(amount):", "def price(amount, region):")})
    found = problems_of(knowledge, root, "app.py")
    assert [p.code for p in found] == ["stale-call"]
    doc = Document(URI, "app.py", "python", APP)
    column = APP.splitlines()[4].index("(3)") + 1  # in the argument list
    here = types.Range(start=types.Position(line=4, character=column), end=types.Position(line=4, character=column))
    actions = ca.code_actions(knowledge, doc, APP.encode(), found, here, only, "utf-16")
    assert {ca._kind(a.kind) for a in actions} == kinds
    if "quickfix" in kinds:
        fix = next(a for a in actions if a.kind == types.CodeActionKind.QuickFix)
        assert "region" in fix.title and fix.edit.changes[URI]


def test_code_actions_without_problems_or_facts(memory):
    knowledge, _ = memory
    doc = Document(URI, "app.py", "python", APP)
    empty = types.Range(start=types.Position(line=1, character=0), end=types.Position(line=1, character=0))
    assert ca.code_actions(knowledge, doc, APP.encode(), [], empty) == []
