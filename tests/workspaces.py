"""Small real workspaces for checks tests: files written to disk, scanned into a real SQLite store,
dreamed, and checked file by file (shared by test_checks and test_abstentions)."""

from __future__ import annotations

from pathlib import Path

from kairos_lsp.checks import check_file
from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.extract import parse
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store


def workspace(root: Path, files: dict[str, str]) -> Knowledge:
    """``files`` written under ``root`` and scanned (not dreamed) into ``root/.kairos/memory.db``."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, Settings())
    return Knowledge(store)


def rewrite(knowledge: Knowledge, root: Path, files: dict[str, str | None]) -> None:
    """Files changed (None: deleted), then a scan and a dream: the memory sees the change."""
    for rel, text in files.items():
        if text is None:
            (root / rel).unlink()
        else:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
    scan_workspace(root, knowledge.store, Settings())
    dream(knowledge.store, trigger="test")


def problems(knowledge: Knowledge, root: Path, rel: str, language: str = "python"):
    """What the checks find in ``rel`` as it is on disk."""
    source = (root / rel).read_bytes()
    return check_file(knowledge, rel, language, source, parse(source, language))
