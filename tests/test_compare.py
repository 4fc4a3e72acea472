"""Two memories' current facts compared (what ``kairos verify`` reports), called directly.

The running interpreter's ``json`` package (real code nobody here wrote) is scanned and
dreamed into one memory; a copy with one signature changed into another, and one fact
of the first is made tentative. The comparison must name exactly those facts, with
their statuses, and give the same answer whether one memory is sorted in a child
process or both in this one.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from kairos_lsp.dream import dream
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store, compare
from kairos_lsp.verify import HISTORY_ONLY

DECODER = "python:json/decoder.py:JSONDecoder.raw_decode"


def _memory(tree: Path, path: Path) -> Path:
    with Store(path) as store:
        scan_workspace(tree, store, jobs=1)
        dream(store, ahead=False)
    return path


def _live(path: Path) -> int:
    db = sqlite3.connect(path)
    marks = ", ".join("?" * len(HISTORY_ONLY))
    [(count,)] = db.execute(
        f"SELECT count(*) FROM facts WHERE status IN ('tentative', 'firm') AND predicate NOT IN ({marks})",
        HISTORY_ONLY,
    ).fetchall()
    db.close()
    return count


@pytest.fixture(scope="module")
def memories(tmp_path_factory) -> tuple[Path, Path, str]:
    work = tmp_path_factory.mktemp("compare")
    tree = work / "tree"
    shutil.copytree(Path(json.__file__).parent, tree / "json", ignore=shutil.ignore_patterns("__pycache__"))
    before = _memory(tree, work / "before.db")
    decoder = tree / "json" / "decoder.py"
    text = decoder.read_text()
    assert text.count("def raw_decode(self, s, idx=0):") == 1
    decoder.write_text(text.replace("def raw_decode(self, s, idx=0):", "def raw_decode(self, s, idx=0, depth=0):"))
    after = _memory(tree, work / "after.db")
    db = sqlite3.connect(before)
    [(fact_id, kind)] = db.execute(
        "SELECT id, object FROM facts WHERE subject = 'python:json/encoder.py:JSONEncoder.encode' "
        "AND predicate = 'kind' AND status = 'firm'"
    ).fetchall()
    db.execute("UPDATE observed_facts SET status = 'tentative' WHERE id = ?", (fact_id,))
    db.commit()
    db.close()
    return before, after, kind


@pytest.mark.parametrize("child", [False, True], ids=["in-process", "child"])
def test_the_comparison_names_each_fact_that_differs_with_its_status_on_each_side(
    memories, tmp_path, child, monkeypatch
):
    before, after, kind = memories
    monkeypatch.setattr(compare, "CHILD_FROM", 0 if child else 1 << 40)
    here, there, rows = compare.differing_facts(before, after, HISTORY_ONLY, tmp_path)
    assert (here, there) == (_live(before), _live(after))
    signatures = [row for row in rows if row[0] == DECODER and row[1] == "signature"]
    assert [(row[3], row[4]) for row in signatures] == [("firm", None), (None, "firm")]
    assert "depth=0" not in signatures[0][2] and "depth=0" in signatures[1][2]
    assert ("python:json/encoder.py:JSONEncoder.encode", "kind", kind, "tentative", "firm") in rows
    # nothing else in the package differs: the method, and the bodies that hold it
    others = {(row[0], row[1]) for row in rows if row[0] != DECODER and row[1] != "kind"}
    assert others == {("python:json/decoder.py:JSONDecoder", "body_hash"), ("python:json/decoder.py", "body_hash")}
    assert list(tmp_path.iterdir()) == []  # the sorted copies are gone


def test_a_memory_compared_with_itself_differs_in_nothing(memories, tmp_path):
    before, _, _ = memories
    copy = tmp_path / "copy.db"
    shutil.copy(before, copy)
    here, there, rows = compare.differing_facts(before, copy, HISTORY_ONLY, tmp_path)
    assert here == there == _live(before) and rows == []
