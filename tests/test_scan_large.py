"""A scan's memory stays bounded however large the tree: parsed files wait for the writer
in a window of a few chunks, and each write transaction holds a bounded batch (issue 13)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kairos_lsp import scan
from kairos_lsp.extract import extract_source
from kairos_lsp.observe import FileObservation, content_hash
from kairos_lsp.scan import record_buffer, scan_paths, scan_workspace
from kairos_lsp.store import Store


def _tree(root, files: int = 300) -> None:
    for i in range(files):
        folder = root / f"pkg{i % 7}"
        folder.mkdir(exist_ok=True)
        body = "".join(f"def f{j}(a, b=1):\n    '''Doc {j}.'''\n    return g(a) + h{j}(b)\n\n" for j in range(20))
        (folder / f"mod{i}.py").write_text(f'"""Module {i}."""\nimport os\n\n{body}')


class CountingChild(scan.Child):
    """A scan's real worker that counts the chunks sent to any worker and not taken back yet."""

    sent = taken = peak = 0

    def send(self, target, args):
        number = super().send(target, args)
        CountingChild.sent += 1
        CountingChild.peak = max(CountingChild.peak, CountingChild.sent - CountingChild.taken)
        return number

    def receive(self, number, *args, **kwargs):
        result = super().receive(number, *args, **kwargs)
        CountingChild.taken += 1
        return result


def test_parsed_results_wait_in_a_bounded_window(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.setattr(scan, "Child", CountingChild)
    store = Store(":memory:")
    report = scan_workspace(tmp_path, store, jobs=2)
    assert report.parsed == 300
    assert CountingChild.sent >= 4 * 2 * scan.IN_FLIGHT  # the tree is many windows long
    assert CountingChild.taken == CountingChild.sent
    assert CountingChild.peak <= 2 * scan.IN_FLIGHT
    serial = Store(":memory:")
    scan_workspace(tmp_path, serial, jobs=1)
    query = "SELECT subject, predicate, object, negated FROM observations ORDER BY 1, 2, 3, 4"
    assert store.db.execute(query).fetchall() == serial.db.execute(query).fetchall()


def test_each_write_holds_a_bounded_batch(tmp_path, monkeypatch):
    _tree(tmp_path)
    monkeypatch.setattr(scan, "BATCH", 40)
    monkeypatch.setattr(scan, "BATCH_TRIPLES", 2000)
    batches: list[tuple[int, int]] = []
    store = Store(":memory:")
    write = store.write

    def counted(batch, **kwargs):
        batch = list(batch)
        batches.append((len(batch), sum(len(item.triples or ()) for item in batch)))
        return write(batch, **kwargs)

    monkeypatch.setattr(store, "write", counted)
    report = scan_workspace(tmp_path, store, jobs=1)
    assert report.parsed == 300 and sum(files for files, _ in batches) == 300
    assert all(files <= 40 for files, _ in batches)
    per_file = store.db.execute("SELECT count(*) FROM observations").fetchone()[0] // 300
    # A batch is written as soon as it reaches the limit: one file past it at most.
    assert all(triples < 2000 + per_file for _, triples in batches)
    assert len(batches) > 300 // 40


_SAME = "SELECT subject, predicate, object, negated FROM observations ORDER BY 1, 2, 3, 4"
_SYMBOLS = "SELECT key, kind, start_line, end_line FROM symbols ORDER BY 1"
_INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"


def _scanned_as_before(tree, path) -> Store:
    """The same tree scanned with every index kept up row by row (how the server scans)."""
    store = Store(path)
    scan_workspace(tree, store, jobs=1)
    return store


def test_a_first_scan_from_the_command_line_builds_the_indexes_at_its_end(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    _tree(tree, files=60)
    done = subprocess.run(
        [sys.executable, "-m", "kairos_lsp.cli", "scan", "-q", "--store", str(tmp_path / "cli.db"), str(tree)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    cli, before = Store(tmp_path / "cli.db"), _scanned_as_before(tree, tmp_path / "before.db")
    # the same memory, with the same indexes (by name and definition), and nothing left to build
    assert cli.db.execute(_SAME).fetchall() == before.db.execute(_SAME).fetchall()
    assert cli.db.execute(_SYMBOLS).fetchall() == before.db.execute(_SYMBOLS).fetchall()
    assert cli.db.execute(_INDEXES).fetchall() == before.db.execute(_INDEXES).fetchall()
    assert cli.db.execute("SELECT count(*) FROM marks WHERE name LIKE 'index later: %'").fetchone()[0] == 0
    plan = cli.db.execute("EXPLAIN QUERY PLAN SELECT * FROM observation_log WHERE subject_id = 5").fetchall()
    assert "observation_log_subject" in str(plan)


def test_only_a_first_scan_leaves_the_indexes_for_later(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    _tree(tree, files=30)
    store = Store(tmp_path / "memory.db")
    seen: list[int] = []

    def count_log_indexes(*_) -> None:
        seen.append(len(store.db["observation_log"].indexes))

    scan_workspace(tree, store, jobs=1, indexes_after=True, progress=count_log_indexes)
    assert seen and max(seen) == 0  # none while the empty memory filled
    full = len(store.db["observation_log"].indexes)
    assert full >= 2
    (tree / "pkg0" / "mod0.py").write_text("def changed():\n    return 2\n")
    seen.clear()
    scan_workspace(tree, store, jobs=1, indexes_after=True, progress=count_log_indexes)
    assert seen and set(seen) == {full}  # a memory with a log keeps its indexes up as it writes
    assert store.symbol("python:pkg0/mod0.py:changed") is not None


def test_a_first_scan_killed_before_building_its_indexes_leaves_them_to_the_next_opening(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    _tree(tree, files=40)
    path = tmp_path / "memory.db"
    # a scan that dies (no finally, no atexit: as under kill -9) after its last write
    script = (
        "import os, sys\n"
        "from kairos_lsp.scan import scan_workspace\n"
        "from kairos_lsp.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "later = store.indexes_built_after()\n"
        "later.__enter__()\n"
        "scan_workspace(sys.argv[2], store, jobs=1)\n"
        "os._exit(9)\n"
    )
    died = subprocess.run([sys.executable, "-c", script, str(path), str(tree)], capture_output=True, timeout=120)
    assert died.returncode == 9, died.stderr
    raw = sqlite3.connect(path)
    assert (
        raw.execute(
            "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'observation_log' AND type = 'index'"
        ).fetchone()[0]
        == 0
    )
    assert raw.execute("SELECT count(*) FROM marks WHERE name LIKE 'index later: %'").fetchone()[0] > 0
    raw.close()
    reopened, before = Store(path), _scanned_as_before(tree, tmp_path / "before.db")
    assert reopened.db.execute(_INDEXES).fetchall() == before.db.execute(_INDEXES).fetchall()
    assert reopened.db.execute(_SAME).fetchall() == before.db.execute(_SAME).fetchall()
    assert reopened.db.execute("SELECT count(*) FROM marks WHERE name LIKE 'index later: %'").fetchone()[0] == 0


def test_a_memory_opens_for_reading_while_a_writer_holds_it(tmp_path):
    """Opening looks for indexes a killed first scan left to build, without taking the write
    lock: the dream's helper opens the memory while the dream writes (it waited, then
    gave up, and the dream ran alone at half its speed)."""
    path = tmp_path / "memory.db"
    writer = Store(path)
    writer.db.execute("BEGIN IMMEDIATE")
    try:
        reader = Store(path)  # raised "database is locked" after the busy timeout
        assert reader.stats()["observations"] == 0
    finally:
        writer.db.execute("ROLLBACK")


def test_a_file_changed_after_the_scan_read_it_is_left_to_the_next_look(tmp_path):
    """A look older than the file is not written: another writer (the daemon, a server) may
    have recorded the newer content already, and this look would undo it for good."""
    tree = tmp_path / "tree"
    tree.mkdir()
    _tree(tree, files=12)
    target = tree / "pkg0" / "mod0.py"
    store = Store(tmp_path / "memory.db")

    def edit_once(done, total, rel) -> None:
        if rel == "pkg0/mod0.py" and "newer" not in target.read_text():
            target.write_text(target.read_text() + "\n\ndef newer():\n    return 1\n")  # after it was read

    report = scan_workspace(tree, store, jobs=1, progress=edit_once)
    assert report.stale == 1 and report.parsed == 12
    assert store.file("pkg0/mod0.py") is None and store.file("pkg1/mod1.py") is not None
    again = scan_workspace(tree, store, jobs=1)
    assert again.parsed == 1 and again.stale == 0
    assert store.symbol("python:pkg0/mod0.py:newer") is not None


def test_a_look_that_found_its_bytes_held_does_not_stamp_another_writers_newer_record(tmp_path):
    """A look that found the file's bytes held refreshes the file's stat only; when another
    writer recorded other bytes in between, that stat on their row would tell every later
    look that the disk holds them: the save would never be read."""
    root = tmp_path / "ws"
    root.mkdir()
    first, saved = "def old():\n    return 0\n", "def old():\n    return 0\n\n\ndef newer():\n    return 1\n"
    (root / "a.py").write_text(first)
    server, daemon = Store(tmp_path / "memory.db"), Store(tmp_path / "memory.db")
    scan_paths(root, daemon, ["a.py"], source="daemon")
    record_buffer(server, "a.py", "python", saved.encode(), extract_source(saved.encode(), "python"))  # an edit
    seen = server.file("a.py")  # the save compares: its bytes are held ...
    assert seen is not None and seen["content_hash"] == content_hash(saved.encode())
    assert scan_paths(root, daemon, ["a.py"], source="daemon").parsed == 1  # ... the daemon records the older disk
    (root / "a.py").write_text(saved)
    st = (root / "a.py").stat()
    look = FileObservation("a.py", "python", seen["content_hash"], st.st_size, st.st_mtime_ns, None)
    assert server.write([look], source="parse").stale == 1  # ... and the save's stat is not put on it
    scan_paths(root, daemon, ["a.py"], source="daemon")  # the daemon's look at the save
    assert daemon.symbol("python:a.py:newer") is not None
    server.close()
    daemon.close()


class StartedChild(scan.Child):
    """A scan's real worker that counts the workers started and those alive at once."""

    started = alive = most_alive = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        StartedChild.started += 1
        StartedChild.alive += 1
        StartedChild.most_alive = max(StartedChild.most_alive, StartedChild.alive)

    def close(self, wait: float = 5.0) -> None:
        super().close(wait)
        StartedChild.alive -= 1


def test_a_worker_grown_past_its_bound_is_replaced_and_nothing_is_lost(tmp_path, monkeypatch):
    """A worker's heap keeps what its biggest files needed: one past ``WORKER_RSS`` hands over
    the chunks it has and ends, and a new one takes the next chunks. Here every worker is past
    it (a bound of 0), on the interpreter's own ``email`` and ``json`` packages."""
    tree = tmp_path / "tree"
    for package in ("email", "json"):
        shutil.copytree(Path(json.__file__).parent.parent / package, tree / package)
    monkeypatch.setattr(scan, "Child", StartedChild)
    monkeypatch.setattr(scan, "WORKER_RSS", 0)
    store = Store(":memory:")
    report = scan_workspace(tree, store, jobs=2)
    assert StartedChild.started > 2 and StartedChild.most_alive == 2 and StartedChild.alive == 0
    serial = Store(":memory:")
    scan_workspace(tree, serial, jobs=1)
    query = "SELECT subject, predicate, object, negated FROM observations ORDER BY 1, 2, 3, 4"
    assert store.db.execute(query).fetchall() == serial.db.execute(query).fetchall()
    assert report.parsed == len(serial.file_states()) > 24


def test_a_worker_starts_without_the_memory_s_libraries(tmp_path):
    """A scan's worker runs ``observe.observe_chunk`` in a new interpreter: what it imports is
    memory every worker holds for the scan (34 MB when it imported the scan with SQLite,
    sqlite-utils, cattrs and asyncio; 19 MB with extraction alone). A worker that parsed a
    file has none of those loaded."""
    (tmp_path / "app.py").write_text("def f(x):\n    return x + 1\n")
    heavy = ("sqlite3", "sqlite_utils", "cattrs", "asyncio", "pathspec", "kairos_lsp.store", "kairos_lsp.scan")
    probe = (
        "import sys\n"
        "from kairos_lsp.observe import observe_chunk\n"
        f"done = observe_chunk({str(tmp_path)!r}, [('app.py', None)], 1 << 20, lambda: False)\n"
        "assert done[0][1].triples, done\n"
        f"print(' '.join(sorted(m for m in sys.modules if m in {heavy!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


@pytest.mark.parametrize("look", ["scan", "paths"])
def test_a_file_rewritten_within_its_clock_s_tick_is_read_again(tmp_path, look):
    """A file system whose clock ticks coarsely (1 s on ext3, 2 s on FAT, a jiffy on Linux
    before 6.13) gives a file rewritten within one tick of a look the same mtime; with the
    same size its stat matches what the memory knows. The look right after a change keeps no
    mtime, so the next look reads the file again; a file that had settled is trusted."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "settled.py").write_text("def a(x):\n    return x\n")
    old = time.time_ns() - 3600 * 10**9
    os.utime(root / "settled.py", ns=(old, old))
    fresh = root / "fresh.py"
    fresh.write_text("def f(x):\n    return x\n")
    store = Store(tmp_path / "memory.db")

    def look_at_the_tree():
        if look == "scan":
            scan_workspace(root, store, jobs=1)
        else:
            scan_paths(root, store, ["settled.py", "fresh.py"])

    look_at_the_tree()
    assert store.symbol("python:fresh.py:f") is not None
    st = fresh.stat()
    fresh.write_text("def g(x):\n    return x\n")  # the same size, within the same tick:
    os.utime(fresh, ns=(st.st_atime_ns, st.st_mtime_ns))  # the same mtime
    look_at_the_tree()
    assert store.symbol("python:fresh.py:g") is not None and store.symbol("python:fresh.py:f") is None
    assert store.file("settled.py")["mtime_ns"] == old  # its stat is trusted: not read again
    store.close()


def test_a_save_right_after_a_change_keeps_no_mtime(tmp_path):
    """The server records a saved buffer with the file's mtime, read right after the save."""
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    data = (tmp_path / "a.py").read_bytes()
    store = Store(":memory:")
    record_buffer(
        store, "a.py", "python", data, extract_source(data, "python"), "parse", (tmp_path / "a.py").stat().st_mtime_ns
    )
    assert store.file("a.py")["mtime_ns"] == 0
    assert scan_paths(tmp_path, store, ["a.py"]).unchanged == 1  # read again, the same bytes
