"""How a process that copies the memory while it holds a connection to it loses writes.

    python benchmarks/wal_lock_loss.py

Not a benchmark: the reproduction of what corrupted the large tree's memory in
sessions 20 and 21 of ``bench_large.py`` (README, "SQLite's WAL-reset bug").
A process P holds a connection to a WAL-mode database, then copies the file in
one of four ways. Another process then opens, writes and closes it; after that
P and a third process write 2,000 rows each, by turns, and the rows are counted.

  * ``none``: no copy;
  * ``cp``: ``cp -p`` in another process (what bench_large.py does now);
  * ``closed``: P closes its connection first, copies with ``shutil.copy2`` and
    opens a new one;
  * ``copy2``: ``shutil.copy2`` in P with its connection open (what
    bench_large.py did).

Opening and closing a file drops every POSIX lock the process holds on it
("How To Corrupt An SQLite Database File", 2.2). With ``copy2``, P's shared
lock on the database is gone, so the other process's close believes it is the
last connection: it checkpoints and deletes the WAL and the shared-memory
index while P still writes to them. From then on P and the third process write
two different WALs, and what one of them wrote is lost (or, with indexes and
interleaved pages, the file is corrupt). kairos opens its memory only through
SQLite, and its pytest plugin opens it only at the end of a session; so this
is a rule for tools around the memory: copy it from another process, or with
no connection open in your own.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

ROWS = 2000  # per writer and step
TURNS = 40

_WRITE_AND_CLOSE = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.executemany("INSERT INTO t (v) VALUES (?)", [("b%06d" % i * 20,) for i in range(int(sys.argv[2]))])
c.close()
"""

_WRITE_BY_TURNS = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
turns, rows = int(sys.argv[2]), int(sys.argv[3])
for turn in range(turns):
    with c:
        c.executemany("INSERT INTO t (v) VALUES (?)", [("d%02d%04d" % (turn, i) * 20,) for i in range(rows)])
    time.sleep(0.02)
c.close()
"""


def run(mode: str, folder: str) -> tuple[int | None, bool, str]:
    """Rows found of 4 × ROWS, whether the WAL survived the other process's close, and
    SQLite's integrity check."""
    db = os.path.join(folder, f"{mode}.db")
    mine = sqlite3.connect(db, isolation_level=None)
    mine.execute("PRAGMA journal_mode = wal")
    mine.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    mine.execute("CREATE INDEX t_v ON t (v)")
    mine.executemany("INSERT INTO t (v) VALUES (?)", [(f"a{i:06d}" * 20,) for i in range(ROWS)])
    if mode == "cp":
        subprocess.run(["cp", "-p", db, db + ".copy"], check=True)
    elif mode == "closed":
        mine.close()
        shutil.copy2(db, db + ".copy")
        mine = sqlite3.connect(db, isolation_level=None)
        mine.execute("SELECT count(*) FROM t").fetchone()
    elif mode == "copy2":
        shutil.copy2(db, db + ".copy")
    subprocess.run([sys.executable, "-c", _WRITE_AND_CLOSE, db, str(ROWS)], check=True)
    wal_kept = os.path.exists(db + "-wal")
    per_turn = ROWS // TURNS
    other = subprocess.Popen([sys.executable, "-c", _WRITE_BY_TURNS, db, str(TURNS), str(per_turn)])
    for turn in range(TURNS):
        with mine:
            mine.executemany("INSERT INTO t (v) VALUES (?)", [(f"c{turn:02d}{i:04d}" * 20,) for i in range(per_turn)])
        time.sleep(0.02)
    other.wait()
    mine.close()
    check = sqlite3.connect(db)
    try:
        problems = check.execute("PRAGMA integrity_check").fetchall()
        rows = check.execute("SELECT count(*) FROM t").fetchone()[0]
        verdict = problems[0][0] if len(problems) == 1 else f"{len(problems)} problems, first: {problems[0][0]}"
    except sqlite3.DatabaseError as exc:
        rows, verdict = None, str(exc)
    finally:
        check.close()
    return rows, wal_kept, verdict


def main() -> None:
    folder = tempfile.mkdtemp(prefix="kairos-wal-lock-")
    print(f"SQLite {sqlite3.sqlite_version}; {4 * ROWS:,} rows written in each case")
    print(f"{'copy':8} {'rows found':>10}  {'WAL after the other close':26} integrity")
    for mode in ("none", "cp", "closed", "copy2"):
        rows, wal_kept, verdict = run(mode, folder)
        found = "error" if rows is None else f"{rows:,}"
        print(f"{mode:8} {found:>10}  {'kept' if wal_kept else 'DELETED':26} {verdict}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
