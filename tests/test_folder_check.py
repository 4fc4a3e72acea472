"""`kairos check FOLDER`'s checks of many files: the same problems whichever process checks a
page of them, and whether or not a child process lives to the end."""

from __future__ import annotations

import pytest
from workspaces import KilledChild, problems, rewrite, workspace

from kairos_lsp import folder_check, workers
from kairos_lsp.dream import dream

CALLERS = 30  # files calling the function that changes: several pages of files at PAGE = 4


@pytest.fixture
def changed(tmp_path):
    """A workspace where `price` gained a required parameter after every caller was written."""
    files = {"shop.py": "def price(amount):\n    return amount * 2\n"}
    for n in range(CALLERS):
        calls = "".join(f"    price({k})\n" for k in range(n % 3 + 1))  # 1 to 3 calls a file
        files[f"app/m{n:02}.py"] = f"from shop import price\n\n\ndef use{n}():\n{calls}"
    knowledge = workspace(tmp_path, files)
    dream(knowledge.store, trigger="test")
    rewrite(knowledge, tmp_path, {"shop.py": "def price(amount, region):\n    return amount * 2\n"})
    return knowledge, tmp_path, sorted(files)


def _codes(checked):
    return [(c.path, [(p.code, p.start) for p in c.problems], c.unreadable) for c in checked]


def test_every_page_has_the_problems_one_process_finds_file_by_file(changed, monkeypatch):
    knowledge, root, paths = changed
    monkeypatch.setattr(folder_check, "PAGE", 4)
    expected = [(rel, [(p.code, p.start) for p in problems(knowledge, root, rel)], None) for rel in paths]
    assert sum(len(found) for _, found, _ in expected) == sum(n % 3 + 1 for n in range(CALLERS))
    assert _codes(folder_check.check_files(knowledge.store, root, paths)) == expected
    assert _codes(folder_check.check_files(knowledge.store, root, paths, helper=False)) == expected


def test_pages_of_a_child_that_dies_are_checked_here(changed, monkeypatch):
    """A child killed (as the out-of-memory killer would) after it was given a page."""
    knowledge, root, paths = changed

    monkeypatch.setattr(folder_check, "PAGE", 4)
    monkeypatch.setattr(workers, "Child", KilledChild)
    (root / paths[5]).unlink()  # gone since the walk: said, not checked
    checked = _codes(folder_check.check_files(knowledge.store, root, paths))
    assert checked == _codes(folder_check.check_files(knowledge.store, root, paths, helper=False))
    assert [c for c in checked if c[2]] == [(paths[5], [], "No such file or directory")]
    assert sum(len(found) for _, found, _ in checked) > CALLERS
