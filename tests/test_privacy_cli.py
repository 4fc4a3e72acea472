"""``kairos privacy``: what left the machine, and what would, from a terminal.

The dry run prints exactly the text a request would carry, with its secrets
redacted, and a file under an exclusion glob sends nothing; the audit log shows
each request a dream or a code action made, with tokens and redactions.
"""

from __future__ import annotations

import json
from pathlib import Path

from claude_standin import ClaudeStandin
from workspaces import kairos

from kairos_lsp.config import Settings
from kairos_lsp.llm import Claude, summarize, symbol_context
from kairos_lsp.store import Store

AUTH = '''"""Sign-in."""

API_KEY = "sk-ant-api03-hK9vQz2LmP4xR7tW1yB8nC3dF6gJ0sA5eU2iO9pL4kM7qZ1xV8bN3cT6yR2wE5uI0oP-Yq2Zw3AA"


def login(user, password):
    """Check the password and return a session token."""
    db_password = "hunter2-Sup3rSecret!"
    return connect(API_KEY, user, password, db_password)
'''


def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)
    (root / "auth.py").write_text(AUTH)
    (root / ".env.py").write_text("def secret():\n    return 'x'\n")
    kairos("scan", "-q", ".", cwd=root)
    kairos("dream", cwd=root)
    return root


def test_the_dry_run_is_the_request_with_its_secrets_redacted(tmp_path: Path):
    root = project(tmp_path)
    shown = kairos("privacy", "--dry-run", "auth.py::login", cwd=root).stdout
    assert "--- system ---" in shown and "--- user ---" in shown
    assert "def login(user, password):" in shown and "Check the password" in shown
    assert "hunter2-Sup3rSecret!" not in shown and "[REDACTED:" in shown
    assert "secrets redacted: " in shown.splitlines()[0] and "none" not in shown.splitlines()[0]
    assert "Sign-in." not in shown  # the symbol and its context, not the whole file
    excluded = kairos("privacy", "--dry-run", ".env.py::secret", cwd=root).stdout
    assert excluded.startswith("# nothing would be sent")


def test_the_audit_log_shows_each_request_with_tokens_and_redactions(tmp_path: Path, monkeypatch):
    root = project(tmp_path)
    with ClaudeStandin() as standin, Store(root / ".kairos" / "memory.db") as store:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.url)
        claude = Claude(
            Settings(llm_provider="anthropic"),
            store,
            lambda level, message: None,
            env={"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": standin.url},
        )
        row = store.symbol("python:auth.py:login")
        context = symbol_context(row, AUTH, "login(user, password)", "Check the password and return a session token.")
        assert summarize(claude, context) is not None
        assert summarize(claude, context) is not None  # the second time from the cache
        claude.close()
        assert b"hunter2-Sup3rSecret!" not in standin.received()
    listed = json.loads(kairos("privacy", "--json", cwd=root).stdout)
    requests = listed["requests"]
    assert [r["cached"] for r in requests] == [1, 0] or [bool(r["cached"]) for r in requests] == [True, False]
    first = requests[-1]
    assert first["purpose"] == "summary" and first["symbol"] == "python:auth.py:login" and first["tokens_in"] > 0
    assert sum(first["redacted"].values()) >= 1
    assert listed["today"]["used"] >= first["tokens_in"] + first["tokens_out"]
    text = kairos("privacy", cwd=root).stdout
    assert "summary" in text and "python:auth.py:login" in text and "cached" in text


def test_status_says_what_claude_may_do_and_what_the_memory_holds(tmp_path: Path):
    root = project(tmp_path)
    data = json.loads(kairos("status", "--json", cwd=root).stdout)
    assert data["files"] == 2 and data["symbols"] >= 2 and data["last_dream"] is not None
    assert data["llm"]["state"] == "off: everything stays on this machine" and "tokens_today" not in data["llm"]
    assert data["daemon"] == {"running": False, "pid": None}


def test_explain_asks_claude_only_when_told_to(tmp_path: Path):
    root = project(tmp_path)
    with ClaudeStandin() as standin:
        standin.text = "Checks a user's password and opens a session."
        env = {"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_BASE_URL": standin.url}
        plain = kairos("explain", "auth.py::login", cwd=root, env=env).stdout
        assert standin.requests == [] and "Claude" not in plain  # a key alone is not consent
        asked = kairos("explain", "--llm", "anthropic", "auth.py::login", cwd=root, env=env).stdout
        assert "Checks a user's password and opens a session. (summary by Claude" in asked
        assert standin.requests and all(b"hunter2-Sup3rSecret!" not in r["raw"] for r in standin.requests)
        sent = len(standin.requests)
        again = kairos("explain", "--llm", "anthropic", "auth.py::login", cwd=root, env=env).stdout
        assert "(summary by Claude" in again and len(standin.requests) == sent  # the same body: not asked again
