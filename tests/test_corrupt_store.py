"""A damaged memory is noticed, moved aside (never deleted) with one line, and rebuilt.

Real damage to a real store of a real project: 16 KB of garbage written into
the middle of the file, garbage over the log's first page, the file truncated to
nothing, its header overwritten.
And every CLI failure is one line and an exit code, never a traceback, unless
``--debug`` asks for one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from workspaces import kairos

from kairos_lsp.store import CHECK_EVERY, Store, checked_marker

PROJECT = Path(__file__).parent / "fixtures" / "reports" / "projects"
STDLIB_JSON = Path(os.__file__).parent / "json"  # a released package, for a store of many pages


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    shutil.copytree(PROJECT, root / "projects")
    shutil.copytree(STDLIB_JSON, root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".git").mkdir()
    kairos("scan", "-q", ".", cwd=root)
    kairos("dream", cwd=root)
    return root


def damage_middle(path: Path) -> None:
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        handle.seek(size // 2)
        handle.write(os.urandom(16 * 1024))


def age(marker: Path) -> None:
    """As if the last integrity check were more than a day ago."""
    old = time.time() - CHECK_EVERY - 60
    os.utime(marker, (old, old))


def corrupt_copies(root: Path) -> list[Path]:
    return sorted((root / ".kairos").glob("memory.db.corrupt-*"))


def test_garbage_in_the_middle_is_found_moved_aside_and_the_memory_rebuilt(scanned: Path):
    db = scanned / ".kairos" / "memory.db"
    kairos("stats", cwd=scanned)  # checkpoint the WAL into the file
    size = db.stat().st_size
    assert size > 200_000
    damage_middle(db)
    age(checked_marker(db))
    done = kairos("scan", "-q", ".", cwd=scanned, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "was damaged" in lines[0] and "moved to memory.db.corrupt-" in lines[0]
    assert "Traceback" not in done.stderr
    (kept,) = corrupt_copies(scanned)
    assert kept.stat().st_size == size  # never deleted, never rewritten
    with Store(db) as store:
        assert store.file("json/decoder.py") is not None  # the scan filled the new memory


def damage_table(path: Path, table: str) -> None:
    """Garbage over the root page of ``table``: every read of it meets the damage."""
    db = sqlite3.connect(path)
    try:
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        (root,) = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    finally:
        db.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(os.urandom(page_size))


def test_damage_met_before_the_check_is_due_moves_the_memory_aside_with_one_line(scanned: Path):
    db = scanned / ".kairos" / "memory.db"
    kairos("stats", cwd=scanned)
    damage_table(db, "observation_log")  # what the export reads (the file's middle may be a table it does not)
    done = kairos("export", "--json", cwd=scanned, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "is damaged" in done.stderr
    assert corrupt_copies(scanned) and not db.exists()
    again = kairos("stats", "--json", cwd=scanned)
    assert '"observations": 0' in again.stdout


def test_a_memory_truncated_to_nothing_is_not_silently_renewed(scanned: Path):
    db = scanned / ".kairos" / "memory.db"
    kairos("stats", cwd=scanned)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"")
    done = kairos("stats", cwd=scanned, check=False)
    assert "truncated to nothing" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert corrupt_copies(scanned)


def test_a_foreign_file_at_the_store_path_is_refused_not_moved(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes, not a database\n" * 100)
    done = kairos("stats", "--store", str(notes), cwd=tmp_path, check=False)
    assert done.returncode == 2 and "not a SQLite database" in done.stderr
    assert notes.read_text() == "my notes, not a database\n" * 100 and not list(tmp_path.glob("notes.txt.*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only modes")
def test_a_read_only_workspace_is_one_line(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    tmp_path.chmod(0o500)
    try:
        done = kairos("scan", ".", cwd=tmp_path, check=False)
    finally:
        tmp_path.chmod(0o700)
    assert done.returncode in (2, 3) and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_memory_that_cannot_be_created_is_one_line_and_debug_shows_the_traceback(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.py").write_text("def f():\n    pass\n")
    nowhere = {"KAIROS_STORE": "/proc/kairos-cannot-be-here/memory.db"}  # not even root can make this folder
    done = kairos("scan", ".", cwd=tmp_path, env=nowhere, check=False)
    assert done.returncode in (2, 3) and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "/proc/kairos-cannot-be-here" in done.stderr
    debug = kairos("--debug", "scan", ".", cwd=tmp_path, env=nowhere, check=False)
    assert "Traceback" in debug.stderr


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
def test_killing_a_scan_leaves_no_worker_behind(tmp_path: Path):
    import signal
    import subprocess
    import sys

    stdlib = Path(os.__file__).parent  # 1,800 files: the scan parses them on worker processes
    scan = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kairos_lsp.cli",
            "scan",
            "-q",
            "--jobs",
            "2",
            "--store",
            str(tmp_path / "m.db"),
            str(stdlib),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while time.monotonic() < deadline and len(workers) < 2:
        workers = children_of(scan.pid)
        time.sleep(0.1)
    assert len(workers) >= 2, "the scan started no workers"
    scan.send_signal(signal.SIGKILL)
    scan.wait()
    end = time.monotonic() + 10
    while time.monotonic() < end and any(alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)]
