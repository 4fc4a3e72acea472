"""``kairos export --json``, called directly on a real memory (the running interpreter's
``json`` and ``html`` packages, scanned and dreamed): the pages a child process explains
come out in order, byte for byte what one process writes and what ``json.dumps`` writes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from workspaces import KilledChild

from kairos_lsp import export, workers
from kairos_lsp.dream import dream
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store


@pytest.fixture(scope="module")
def memory(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("export")
    for package in ("json", "html"):
        shutil.copytree(Path(json.__file__).parent.parent / package, work / "tree" / package)
    with Store(work / "memory.db") as store:
        scan_workspace(work / "tree", store, jobs=1)
        dream(store, ahead=False)
    return work / "memory.db"


@pytest.mark.parametrize("page", [7, 1000])  # pages shared with a child; one page, no child
def test_the_export_is_the_same_bytes_with_its_child_and_without(memory, monkeypatch, page):
    monkeypatch.setattr(export, "PAGE", page)
    with Store(memory) as store:
        keys = list(store.subjects())
        assert len(keys) > 7 * 4  # several pages for each process
        shared, alone = io.StringIO(), io.StringIO()
        export.write_export(store, shared)
        export.write_export(store, alone, helper=False)
        expected = json.dumps([item for item in map(Knowledge(store).explain, keys) if item], indent=1)
    assert shared.getvalue() == alone.getvalue() == expected
    items = json.loads(shared.getvalue())
    assert [item["symbol"] for item in items] == sorted(item["symbol"] for item in items)
    assert any(item["symbol"] == "python:json/decoder.py:JSONDecoder.raw_decode" for item in items)


def test_pages_of_a_child_that_dies_are_explained_by_the_command(memory, monkeypatch):
    """A child killed (as the out-of-memory killer would) after it was given a page."""

    monkeypatch.setattr(export, "PAGE", 7)
    monkeypatch.setattr(workers, "Child", KilledChild)
    with Store(memory) as store:
        shared = io.StringIO()
        export.write_export(store, shared)
        expected = json.dumps([item for item in map(Knowledge(store).explain, store.subjects()) if item], indent=1)
    assert shared.getvalue() == expected and len(json.loads(shared.getvalue())) > 7 * 4
