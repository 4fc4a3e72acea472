"""The review: what the dreams promoted, superseded or retracted since the user last looked
(Knowledge.recent_changes, the user's mark, `kairos review`, and the server's
kairos.recentChanges / kairos.explain / kairos/status)."""

from __future__ import annotations

import asyncio
import json

from conftest import initialize, open_doc, scan_done
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_server_commands import command
from workspaces import kairos, rewrite, workspace

from kairos_lsp.dream import dream, record_verdict

AUTH = '''"""Users."""
import sqlite3


def load_user(db_path, name):
    """Load a user row."""
    return sqlite3.connect(db_path).execute("select 1").fetchone()


def login(db_path, name, password):
    return load_user(db_path, name) is not None
'''

NETWORK = '''

def fetch_token(url):
    """Fetch a token over HTTP from the auth service."""
    import urllib.request
    return urllib.request.urlopen(url).read()
'''


def changes(knowledge, **kwargs) -> list[tuple[str, str, str, object]]:
    return [
        (c["change"], c["qualname"], c["predicate"], c["value"]) for c in knowledge.recent_changes(**kwargs)["changes"]
    ]


def test_what_the_dreams_changed_since_the_mark(tmp_path):
    knowledge = workspace(tmp_path, {"app/auth.py": AUTH})
    assert knowledge.recent_changes() == {"since": None, "changes": [], "more": False}  # no dream yet
    dream(knowledge.store, trigger="test")
    assert changes(knowledge) == []  # the first look is the baseline, not news
    before = knowledge.consolidated_until()

    rewrite(knowledge, tmp_path, {"app/auth.py": AUTH.replace("name):", "name, timeout=5):", 1) + NETWORK})
    review = knowledge.recent_changes()
    assert review["since"] is None  # never marked: every change the memory saw
    assert [(c["change"], c["qualname"], c["predicate"]) for c in review["changes"]] == [
        ("promoted", "fetch_token", "may_handle"),
        ("superseded", "load_user", "signature"),
    ] or sorted(changes(knowledge)) == sorted(
        [
            ("promoted", "fetch_token", "may_handle", "network"),
            ("superseded", "load_user", "signature", "load_user(db_path, name)"),
        ]
    )
    superseded = next(c for c in review["changes"] if c["change"] == "superseded")
    assert superseded["replaced_by"] == "load_user(db_path, name, timeout=5)"
    assert superseded["path"] == "app/auth.py" and superseded["line"] == 4
    promoted = next(c for c in review["changes"] if c["change"] == "promoted")
    assert promoted["status"] == "firm" and promoted["confidence"] >= 0.75
    assert [c["at"] for c in review["changes"]] == sorted((c["at"] for c in review["changes"]), reverse=True)

    # marked as seen: nothing left; the mark never moves back
    mark = knowledge.consolidated_until()
    knowledge.store.mark_reviewed(mark)
    knowledge.store.mark_reviewed("2000-01-01T00:00:00.000Z")
    assert knowledge.reviewed() == mark
    assert changes(knowledge) == []
    assert len(changes(knowledge, since=before)) == 2  # --since looks further back
    # ... relative to what held then: a signature born after it is no change
    assert changes(knowledge, since="2000-01-01T00:00:00.000Z") == [
        ("promoted", "fetch_token", "may_handle", "network")
    ]

    # a value that came and went after the mark is no news: one change, from the value at the mark to the
    # last; nor are the beliefs a half-typed line (a syntax error) ended for a moment
    rewrite(knowledge, tmp_path, {"app/auth.py": AUTH.replace("name):", "name, timeout=5, re", 1) + NETWORK})
    rewrite(knowledge, tmp_path, {"app/auth.py": AUTH.replace("name):", "name, retries=3):", 1) + NETWORK})
    review = knowledge.recent_changes()
    assert review["since"] == mark
    assert [(c["change"], c["value"], c["replaced_by"]) for c in review["changes"]] == [
        ("superseded", "load_user(db_path, name, timeout=5)", "load_user(db_path, name, retries=3)")
    ]

    # a deleted function: its signature retracted; a judged fact leaves the review
    rewrite(knowledge, tmp_path, {"app/auth.py": AUTH.replace("name):", "name, retries=3):", 1)})
    found = changes(knowledge)
    assert ("retracted", "fetch_token", "signature", "fetch_token(url)") in found
    gone = [c for c in knowledge.recent_changes()["changes"] if c["qualname"] == "fetch_token"]
    assert gone and not any(c["judgeable"] for c in gone)  # nothing left to judge: the code is gone
    limited = knowledge.recent_changes(limit=1)
    assert len(limited["changes"]) == 1 and limited["more"] is True
    changed = next(c for c in knowledge.recent_changes()["changes"] if c["qualname"] == "load_user")
    assert changed["judgeable"]
    record_verdict(knowledge.store, changed["id"], confirm=False)
    assert changed["id"] not in [c["id"] for c in knowledge.recent_changes()["changes"]]


def test_kairos_review_cli(tmp_path):
    knowledge = workspace(tmp_path, {"app/auth.py": AUTH})
    dream(knowledge.store, trigger="test")
    before = knowledge.consolidated_until()
    rewrite(knowledge, tmp_path, {"app/auth.py": AUTH.replace("name):", "name, timeout=5):", 1)})
    knowledge.store.close()
    (tmp_path / ".git").mkdir()
    shown = kairos("review", cwd=tmp_path).stdout
    assert "1 changes since the memory began" in shown
    line = "superseded\tapp/auth.py:5\tload_user\tsignature: load_user(db_path, name) -> "
    assert line + "load_user(db_path, name, timeout=5)" in shown
    as_json = json.loads(kairos("review", "--json", "--since", before, cwd=tmp_path).stdout)
    assert [c["qualname"] for c in as_json["changes"]] == ["load_user"] and as_json["since"] == before
    # an age: relative to what held then (the function was born since, so its signature did not change)
    assert json.loads(kairos("review", "--json", "--since", "1d", cwd=tmp_path).stdout)["since"].endswith("Z")
    assert "marked as seen" in kairos("review", "--mark-seen", cwd=tmp_path).stdout
    assert json.loads(kairos("review", "--json", cwd=tmp_path).stdout)["changes"] == []
    bad = kairos("review", "--since", "soon", cwd=tmp_path, check=False)
    assert bad.returncode == 2 and "--since: expected an ISO time or an age like 2h" in bad.stderr


async def test_server_review_explain_and_status(client: LanguageClient, tmp_path):
    root = tmp_path / "ws"
    (root / "app").mkdir(parents=True)
    (root / "app" / "auth.py").write_text(AUTH)
    statuses: list[dict] = []
    client.feature("kairos/status")(lambda params: statuses.append(params))
    await initialize(client, root, {"storePath": str(tmp_path / "memory.db"), "dream": {"idleSeconds": 3600}})
    await scan_done(client)
    await command(client, "kairos.dreamNow")
    uri = open_doc(client, root, "app/auth.py", "python")
    await command(client, "kairos.dreamNow")

    explained = await command(client, "kairos.explain", uri, {"line": 4, "character": 6})
    assert explained["symbol"] == "python:app/auth.py:load_user"
    signature = next(f for f in explained["facts"] if f["predicate"] == "signature")
    assert signature["check"] == "current" and isinstance(signature["id"], int)
    assert explained["citation"]["path"] == "app/auth.py"
    assert await command(client, "kairos.explain", uri, {"line": 2, "character": 0}) is None  # a blank line

    text = AUTH.replace("name):", "name, timeout=5):", 1)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    (root / "app" / "auth.py").write_text(text)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await command(client, "kairos.dreamNow")
    review = await command(client, "kairos.recentChanges")
    assert [(c["change"], c["qualname"], c["replaced_by"]) for c in review["changes"]] == [
        ("superseded", "load_user", "load_user(db_path, name, timeout=5)")
    ]
    assert (await command(client, "kairos.recentChanges", {"markSeen": True}))["changes"]  # the list, then the mark
    assert (await command(client, "kairos.recentChanges"))["changes"] == []

    states = [getattr(s, "state", None) or (s.get("state") if isinstance(s, dict) else None) for s in statuses]
    await asyncio.sleep(0.2)
    assert "scanning" in states and "dreaming" in states and "idle" in states, states
