"""The memory's WAL checkpoints stay clear of SQLite's WAL-reset bug (store/wal.py): with a
SQLite that has it, a checkpoint copies the WAL into the database file only while no other
writer can restart the WAL, never on its own after a commit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kairos_lsp.store import Store
from kairos_lsp.store.wal import Checkpoints, wal_reset_bug, warning

HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


@pytest.mark.parametrize(
    "version,has_bug",
    [
        ("3.6.23", False),  # before WAL mode
        ("3.7.0", True),
        ("3.40.1", True),
        ("3.44.5", True),
        ("3.44.6", False),  # the backports SQLite released
        ("3.50.6", True),
        ("3.50.7", False),
        ("3.51.2", True),
        ("3.51.3", False),  # the fix
        ("3.53.0", False),
    ],
)
def test_the_sqlite_releases_with_the_wal_reset_bug_are_those_sqlite_named(version, has_bug):
    assert wal_reset_bug(version) is has_bug
    assert (warning(version) is not None) is has_bug


def _pad(store: Store, megabytes: int) -> None:
    with store.transaction():
        store.db.execute("CREATE TABLE IF NOT EXISTS pad (x BLOB)")
        store.db.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO pad SELECT randomblob(1000) FROM n",
            (megabytes * 1000,),
        )


def test_a_checkpoint_never_runs_while_another_process_holds_the_write_lock(tmp_path):
    path = tmp_path / "memory.db"
    store = Store(path)
    try:
        store.db.execute("PRAGMA wal_autocheckpoint = 1000")  # SQLite's default, as a fixed SQLite keeps it
        store.checkpoints = Checkpoints(store.db.conn, store.path, guarded=True)  # whatever SQLite is here
        store.checkpoints.every = None
        before = os.path.getsize(path)
        _pad(store, 6)  # 1,500 pages
        # no checkpoint of its own after the commit: SQLite's would have run at 1,000 pages
        assert os.path.getsize(path) == before
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
            assert store.checkpoints.run() is False
            assert os.path.getsize(path) == before  # nothing copied while a writer may restart the WAL
        finally:
            holder.communicate(b"\n", timeout=30)
        assert store.checkpoints.run() is True
        assert os.path.getsize(path) >= before + 6_000_000
        store.checkpoints.every = 0.0  # the next commit checkpoints by itself
        _pad(store, 1)
        assert os.path.getsize(path) >= before + 7_000_000
    finally:
        store.close()
