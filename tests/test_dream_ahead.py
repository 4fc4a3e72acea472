"""The read-ahead helper (dream/ahead.py): a dream with it stores exactly the facts a
dream without it stores, over real files, real scans and a real helper process."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from kairos_lsp.dream import ahead as ahead_module
from kairos_lsp.dream import dream, record_verdict
from kairos_lsp.dream.ahead import Ahead, Share
from kairos_lsp.scan import scan_workspace
from kairos_lsp.store import Store

MODULE = '''"""{title} helpers."""

import json
import os


class {cls}:
    """Keeps {title} settings."""

    def __init__(self, path):
        self.path = path

    def load(self):
        with open(self.path) as handle:
            return json.load(handle)

    def save(self, data):
        """Write the settings to disk."""
        with open(self.path, "w") as handle:
            json.dump(data, handle)


def parse_{name}(text, strict=False):
    """Parse {title} text."""
    if strict and not text:
        raise ValueError(text)
    return text.split()


def is_{name}(value):
    return isinstance(value, str) and value.startswith("{name}")


def shared(a, b):
    return a + b


def main():
    print(parse_{name}(os.environ.get("X", "")))


if __name__ == "__main__":
    main()
'''

TEST = """from pkg.{name} import parse_{name}, is_{name}, {cls}


def test_parse_{name}():
    assert parse_{name}("a b") == ["a", "b"]
    assert is_{name}("{name}!")


def test_settings_{name}(tmp_path):
    {cls}(tmp_path / "s.json").save({{}})
"""

NAMES = ["alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "lambda_"]


def write_workspace(root: Path) -> None:
    for name in NAMES:
        cls = name.title().rstrip("_") + "Config"
        (root / "pkg").mkdir(parents=True, exist_ok=True)
        (root / "tests").mkdir(exist_ok=True)
        (root / "pkg" / f"{name}.py").write_text(MODULE.format(title=name, cls=cls, name=name))
        (root / "tests" / f"test_{name}.py").write_text(TEST.format(cls=cls, name=name))
    # read before the modules it tests: their tested_by facts exist before their first look
    (root / "a_tests").mkdir(exist_ok=True)
    (root / "a_tests" / "test_first.py").write_text(TEST.format(cls="AlphaConfig", name="alpha"))


def dump(path: Path) -> dict[str, list]:
    """Everything a dream writes, but its timings."""
    conn = sqlite3.connect(path)
    try:
        return {
            "facts": conn.execute("SELECT * FROM facts ORDER BY id").fetchall(),
            "evidence": conn.execute("SELECT * FROM fact_evidence ORDER BY 1, 2, 3, 4").fetchall(),
            "callees": conn.execute("SELECT * FROM dream_callees ORDER BY name").fetchall(),
            "cursor": conn.execute("SELECT * FROM dream_cursor").fetchall(),
            "dreams": conn.execute(
                "SELECT observations, created, merged, superseded, retracted, promoted, "
                "demoted, linked, stopped FROM dreams ORDER BY id"
            ).fetchall(),
        }
    finally:
        conn.close()


def copy_store(store: Store, to: Path) -> Path:
    """A copy of the open memory, by SQLite's backup API. Not by copying its file: closing a
    descriptor of it drops every POSIX lock this process holds on it (sqlite.org/howtocorrupt.html,
    2.2), and a dream worker that closed the memory later took itself for its last connection and
    removed the WAL this process still read from ("database disk image is malformed")."""
    with contextlib.closing(sqlite3.connect(to)) as copy:
        store.db.conn.backup(copy)
    return to


def dreamed(path: Path, batch_size: int = 5, **kwargs):
    store = Store(path)
    try:
        # by default a batch per file: a test is dealt with before the next file
        return dream(store, batch_size=batch_size, **kwargs)
    finally:
        store.close()


@pytest.fixture
def scanned(tmp_path) -> Store:
    root = tmp_path / "ws"
    write_workspace(root)
    store = Store(tmp_path / "scanned.db")
    scan_workspace(root, store, jobs=1)
    yield store
    store.close()


def test_a_first_dream_with_the_helper_stores_the_same_facts(scanned, tmp_path, monkeypatch):
    monkeypatch.setattr(Share, "WAITED", float("inf"))  # the dream never takes files back
    # and it waits for every replay the helper sends, even of a file the dream knows already
    # (it must see those and refuse them)
    take = Ahead.take
    monkeypatch.setattr(Ahead, "take", lambda self, version_id, wait=0.0: take(self, version_id, 60.0))
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")
    report_alone = dreamed(alone, ahead=False)
    report = dreamed(helped, ahead=True)
    assert report_alone.ahead == 0
    # the helper replayed every file but pkg/alpha.py, which a test read before it gave facts
    assert report.ahead == 2 * len(NAMES)
    assert "first looks replayed ahead" in report.line()
    assert dump(helped) == dump(alone)
    assert dump(alone)["facts"]  # not two empty stores


def test_a_helper_the_dream_lets_go_midway_leaves_it_the_rest_and_the_same_facts(scanned, tmp_path, monkeypatch):
    """The dream's worker beside the server lets the helper go when they hold too much
    (scheduler.py): the dream replays the rest itself, and counts what the helper did."""
    take = Ahead.take  # the dream waits for every replay the helper sends
    monkeypatch.setattr(Ahead, "take", lambda self, version_id, wait=0.0: take(self, version_id, 60.0))
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")
    dreamed(alone, ahead=False)
    asked: list[int] = []
    report = dreamed(helped, ahead=True, keep_helper=lambda: asked.append(1) or len(asked) < 4)
    assert len(asked) > 4  # the dream went on after letting the helper go
    assert 0 < report.ahead <= 4 < 2 * len(NAMES)  # a batch per file: the helper's were among the first
    assert dump(helped) == dump(alone)


def test_files_the_dream_takes_back_from_a_slow_helper_give_the_same_facts(scanned, tmp_path, monkeypatch):
    monkeypatch.setattr(Share, "WAITED", -1.0)  # as if it always waited: it takes more each batch
    monkeypatch.setattr(ahead_module, "CREDIT", 1)  # and the helper cannot be far ahead
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")
    dreamed(alone, ahead=False, batch_size=200)  # a few files per batch
    report = dreamed(helped, ahead=True, batch_size=200)
    files = 2 * len(NAMES) + 1
    assert 0 < report.ahead < files - 1  # both replayed some
    assert dump(helped) == dump(alone)


def test_a_first_dream_of_files_looked_at_twice_with_the_helper_stores_the_same_facts(scanned, tmp_path, monkeypatch):
    # Two looks at a file and a move to a file read before it, in a first dream: the helper's
    # replays of first looks are written together, so the dream must write them before it
    # loads a file again (one batch) or searches other files for a moved body (two batches).
    take = Ahead.take
    monkeypatch.setattr(Ahead, "take", lambda self, version_id, wait=0.0: take(self, version_id, 60.0))
    root = tmp_path / "ws"
    first_scan = scanned.facts.newest_observation()
    text = (root / "pkg" / "beta.py").read_text()
    start, end = text.index("def is_beta"), text.index("def shared")
    (root / "pkg" / "beta.py").write_text(text[:start] + text[end:].replace("return a + b", "return b + a"))
    (root / "pkg" / "aaa_moved.py").write_text(text[start:end])
    scan_workspace(root, scanned, jobs=1)
    for batch in (100_000, first_scan):  # one batch; the first scan's, then the second's
        alone = copy_store(scanned, tmp_path / f"alone{batch}.db")
        helped = copy_store(scanned, tmp_path / f"helped{batch}.db")
        first = dreamed(alone, ahead=False, batch_size=batch)
        report = dreamed(helped, ahead=True, batch_size=batch)
        assert first.linked >= 1 and report.ahead > 0  # the move was found; the helper replayed files
        assert dump(helped) == dump(alone)


def test_later_dreams_with_the_helper_store_the_same_facts(scanned, tmp_path):
    dreamed(Path(scanned.path), ahead=False)
    root = tmp_path / "ws"
    # a rename, a move to a new file, a deleted test file, a signature change, a new copy of a body
    text = (root / "pkg" / "alpha.py").read_text()
    (root / "pkg" / "alpha.py").write_text(text.replace("def shared(a, b):", "def combine(a, b):"))
    text = (root / "pkg" / "beta.py").read_text()
    start, end = text.index("def is_beta"), text.index("def shared")
    (root / "pkg" / "beta.py").write_text(text[:start] + text[end:])
    (root / "pkg" / "zeta.py").write_text(text[start:end])
    (root / "tests" / "test_gamma.py").unlink()
    text = (root / "pkg" / "delta.py").read_text()
    (root / "pkg" / "delta.py").write_text(
        text.replace("def parse_delta(text, strict=False):", "def parse_delta(text, strict=False, sep=None):")
    )
    (root / "pkg" / "copy.py").write_text("def shared(a, b):\n    return a + b\n")
    fact = scanned.db.execute(
        "SELECT id FROM facts WHERE predicate = 'may_handle' AND status IN ('tentative', 'firm') ORDER BY id LIMIT 1"
    ).fetchone()[0]
    record_verdict(scanned, fact, confirm=False)
    scan_workspace(root, scanned, jobs=1)
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")
    first = dreamed(alone, ahead=False)
    dreamed(helped, ahead=True)
    assert first.linked >= 2  # the rename and the move were found
    assert dump(helped) == dump(alone)


def test_a_helper_that_dies_mid_dream_leaves_the_work_to_the_dream(scanned, tmp_path, monkeypatch):
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")
    dreamed(alone, ahead=False)
    take = Ahead.take

    def take_then_kill(self, version_id, wait=0.0):
        if self.used == 3:
            self._process.kill()
        return take(self, version_id, wait)

    monkeypatch.setattr(Ahead, "take", take_then_kill)
    monkeypatch.setattr(ahead_module, "CREDIT", 2)  # it runs at most two files ahead
    report = dreamed(helped, ahead=True)
    # what it had sent before it died is used; the dream replays the rest itself
    assert 3 <= report.ahead <= 5
    assert dump(helped) == dump(alone)


def test_a_helper_starved_of_cpu_does_not_hold_the_dream_up(scanned, tmp_path, monkeypatch):
    """A helper that gets no CPU (it runs at a lower priority than everything else on a busy
    machine; here it is stopped outright with SIGSTOP) leaves the work to the dream, which
    waits a few milliseconds per file at most, not until the helper is scheduled again."""
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")
    dreamed(alone, ahead=False)
    take = Ahead.take
    helpers = []

    def take_then_stop(self, version_id, wait=0.0):
        if self.used == 3 and not helpers:
            helpers.append(self._process)
            os.kill(self._process.pid, signal.SIGSTOP)
        return take(self, version_id, wait)

    resumed = threading.Event()

    def watchdog() -> None:  # what the dream would wait for without a bound: the helper back
        time.sleep(60)
        if helpers and not resumed.is_set():
            resumed.set()
            os.kill(helpers[0].pid, signal.SIGCONT)

    threading.Thread(target=watchdog, daemon=True).start()
    monkeypatch.setattr(Ahead, "take", take_then_stop)
    monkeypatch.setattr(ahead_module, "CREDIT", 2)  # it runs at most two files ahead
    try:
        report = dreamed(helped, ahead=True)
    finally:
        stuck = resumed.is_set()
        resumed.set()
        for process in helpers:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
    assert helpers, "the helper was stopped"
    assert not stuck, "the dream waited for the stopped helper until it was resumed"
    assert 3 <= report.ahead <= 5  # what it had sent before it stopped is used
    assert dump(helped) == dump(alone)


def test_a_helper_that_ends_keeps_reading_so_a_dream_writing_to_it_is_never_stuck():
    """Both pipes full: the helper's outbox waits for the dream to read its results, and
    the dream, writing to the helper, waits for the helper to read. The helper's end must
    drain what the dream writes, or neither process moves again."""
    import threading
    from multiprocessing import Pipe

    from kairos_lsp.dream.helper import Outbox

    from_helper, to_dream = Pipe(duplex=False)
    from_dream, to_helper = Pipe(duplex=False)
    outbox = Outbox(to_dream)
    outbox.send(("batch", 0, "x" * 500_000))  # more than the pipe holds: the outbox thread waits

    def the_dream():
        for n in range(200):  # ~400 KiB, far more than the pipe holds: waits for the helper
            to_helper.send(("puts", (n, [("key", "y" * 2000)])))
        while True:
            try:
                from_helper.recv_bytes()
            except EOFError:
                return

    dreamer = threading.Thread(target=the_dream, daemon=True)
    dreamer.start()
    closing = threading.Thread(target=outbox.close, args=(from_dream,), daemon=True)
    closing.start()
    closing.join(20)
    assert not closing.is_alive(), "the helper's end and the dream are blocked on each other"
    to_dream.close()
    dreamer.join(20)
    assert not dreamer.is_alive()


def test_a_first_dream_stopped_by_an_edit_keeps_its_helper_when_it_resumes(scanned, tmp_path):
    """A server's first dream over a large workspace yields to every edit and resumes
    later. The rest of it is still a first dream (no body was retracted before it): the
    helper replays files for it as for one dream, with the same facts."""
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")
    dreamed(alone, ahead=False)
    asked: list[int] = []

    def an_edit_after_three_batches() -> bool:
        asked.append(1)
        return len(asked) > 3

    stopped = dreamed(helped, ahead=True, should_stop=an_edit_after_three_batches)
    resumed = dreamed(helped, ahead=True)
    assert stopped.stopped and resumed.observations > 0
    assert resumed.ahead > 0  # (it was 0: every file of a resumed dream was the dream's own)
    mine, theirs = dump(helped), dump(alone)
    del mine["dreams"], theirs["dreams"]  # two dreams' log rows against one
    assert mine == theirs


def test_once_a_body_is_retracted_no_helper_runs_and_the_facts_are_the_same(scanned, tmp_path, monkeypatch):
    """After a body was retracted, only the dream may search where it went, so a helper
    could replay no first look: none is started (on the large tree with a folder renamed,
    it held 126 MB for nothing), and one running ends. The facts are the same."""
    monkeypatch.setattr(ahead_module, "AHEAD_AT", 1)  # every dream here is large enough for one
    started: list[int] = []

    class Counted(Ahead):
        def __init__(self, *args, **kwargs):
            started.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(ahead_module, "Ahead", Counted)
    root = tmp_path / "ws"
    path = root / "pkg" / "alpha.py"
    alone = copy_store(scanned, tmp_path / "alone.db")
    helped = copy_store(scanned, tmp_path / "helped.db")

    def edit(old: str, new: str, stamp: str) -> None:
        path.write_text(path.read_text().replace(old, new))
        for memory in (alone, helped):  # the same look at the files in both memories
            store = Store(memory)
            scan_workspace(root, store, jobs=1, stamp=stamp)
            store.close()

    def dream_both():
        dreamed(alone, ahead=False)
        report = dreamed(helped)
        assert dump(helped) == dump(alone)
        return report

    dream_both()
    assert len(started) == 1  # a first dream: a helper to replay files
    # a body changes (superseded: not gone) and a function goes: its body is retracted in
    # this dream, and none was before it
    edit("return a + b", "return b + a", "2026-12-01T10:00:00.000Z")
    (root / "pkg" / "omega2.py").write_text((root / "pkg" / "omega.py").read_text())  # a new file after it
    edit("def is_alpha(value):", "def _unused(value):", "2026-12-01T10:01:00.000Z")
    dream_both()
    assert len(started) == 2  # (no body gone before this dream: the helper starts)
    (root / "pkg" / "omega3.py").write_text((root / "pkg" / "omega.py").read_text())
    edit("return b + a", "return a - b", "2026-12-01T10:02:00.000Z")
    report = dream_both()
    assert report.observations > 0 and report.ahead == 0
    assert len(started) == 2  # a body was retracted by a dream before: no helper now
