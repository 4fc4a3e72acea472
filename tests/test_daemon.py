"""``kairos daemon`` with real parts: real processes, real files, real SQLite, a real git
checkout; and one memory shared by two servers, a daemon and the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import REPO, initialize, open_doc, progress_kinds, server_env, wait_for
from lsprotocol import types
from pytest_lsp import LanguageClient
from workspaces import kairos, lower_inotify_limit, write

from kairos_lsp import daemon, watch
from kairos_lsp.config import Settings
from kairos_lsp.scan import scan_in_child, scan_paths
from kairos_lsp.store import Store
from kairos_lsp.watch import TreeWatcher

IDLE = "1"


def env() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
    environment.update(PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
    return environment


class Running:
    """A foreground ``kairos daemon`` in a subprocess (stopped at the end of the test)."""

    def __init__(self, root: Path, *extra: str):
        self.root = root
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kairos_lsp.cli", "daemon", str(root), "--idle-seconds", IDLE, *extra],
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        until(lambda: "caught up" in self.log() or self.process.poll() is not None, what="the daemon's catch-up")
        assert self.process.poll() is None, self.process.communicate()

    def log(self) -> str:
        try:
            return (self.root / ".kairos" / "daemon.log").read_text()
        except OSError:
            return ""

    def state(self) -> dict:
        return daemon.read_state(self.root)

    def stop(self) -> tuple[int, str, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=10)
        return self.process.returncode, err, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def daemons():
    started: list[Running] = []
    roots: list[Path] = []

    def start(root: Path, *extra: str) -> Running:
        running = Running(root, *extra)
        started.append(running)
        return running

    start.detached = roots  # type: ignore[attr-defined]  (roots whose detached daemon must be stopped)
    yield start
    for running in started:
        running.kill()
    for root in roots:
        daemon.stop(root)


def until(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def known(root: Path) -> dict[str, tuple[int, int, str]]:
    store = Store(root / ".kairos" / "memory.db")
    try:
        return store.file_states()
    finally:
        store.close()


def defined(root: Path, names: set[str]) -> set[str]:
    """Which of these function names the memory currently holds (anywhere)."""
    store = Store(root / ".kairos" / "memory.db")
    try:
        return {name for name in names if store.symbols_named(name)}
    finally:
        store.close()


def signatures(root: Path, key: str) -> list[str]:
    """The signatures the memory currently holds for a symbol key."""
    store = Store(root / ".kairos" / "memory.db")
    try:
        return [r["object"] for r in store.current(key) if r["predicate"] == "signature"]
    finally:
        store.close()


# -- the pieces, called directly ------------------------------------------------------------


def test_scan_paths_follows_the_scan_rules(tmp_path):
    root = tmp_path / "ws"
    write(
        root,
        {
            ".gitignore": "build/\n*.gen.py\n",
            "src/a.py": "def a():\n    return 1\n",
            "src/b.gen.py": "def gen():\n    pass\n",
            "build/out.py": "def out():\n    pass\n",
            "notes.txt": "hello\n",
        },
    )
    (root / "src" / "blob.py").write_bytes(b"\x00\x01binary\x00" * 20)
    store = Store(":memory:")
    skipped: list[tuple[str, str]] = []
    report = scan_paths(
        root,
        store,
        ["src/a.py", "src/b.gen.py", "build/out.py", "notes.txt", "src/blob.py", str(tmp_path / "elsewhere.py")],
        source="daemon",
        on_skip=lambda path, reason: skipped.append((path, reason)),
    )
    assert (report.parsed, report.removed) == (1, 0)
    assert set(store.file_states()) == {"src/a.py"}
    assert skipped == [("src/blob.py", "binary file")]
    assert {row["source"] for row in store.current("python:src/a.py:a")} == {"daemon"}

    write(root, {"pkg/deep/c.py": "def c():\n    pass\n", "pkg/deep/d.py": "def d():\n    pass\n"})
    report = scan_paths(root, store, [str(root / "pkg")])  # a folder: every source file under it
    assert report.parsed == 2 and {"pkg/deep/c.py", "pkg/deep/d.py"} <= set(store.file_states())

    write(root, {"pkg/deep/c.py": None, "pkg/deep/d.py": None})
    (root / "pkg" / "deep").rmdir()
    report = scan_paths(root, store, ["pkg/deep"])  # a folder gone: what it held is forgotten
    assert report.removed == 2 and set(store.file_states()) == {"src/a.py"}

    report = scan_paths(root, store, ["src/a.py"], Settings(exclude=("src/",)))
    assert report.seen == 0  # excluded: not even looked at


def test_the_watch_filter_keeps_sources_and_folders_only(tmp_path):
    root = tmp_path / "ws"
    write(root, {"src/a.py": "x = 1\n", ".kairos/memory.db": "", ".git/index": "", "README.md": "hi\n"})
    watcher = TreeWatcher(root, Settings(), deliver=print)
    wanted = lambda rel, change=1: watcher.wanted(change, str(root / rel))
    assert wanted("src/a.py") and wanted(".gitignore")
    assert not wanted(".kairos/memory.db") and not wanted(".kairos/memory.db-wal") and not wanted(".git/index")
    assert not wanted("README.md")  # a file in no language kairos reads
    assert wanted("src", 1) and not wanted("src", 2)  # a folder added (its files may predate the watch), not touched
    assert wanted("gone")  # not there any more: maybe a folder, whose files the memory must forget


def test_change_sets_queued_during_a_batch_join_the_next_one(tmp_path):
    root = tmp_path / "ws"
    write(root, {f"src/m{i}.py": f"def m{i}():\n    pass\n" for i in range(3)})
    worker = daemon.Daemon(root, Settings())
    worker.folder = daemon.kairos_folder(root)
    for i in (1, 2):
        worker._changes.put({(1, str(root / f"src/m{i}.py"))})  # noqa: SLF001 - as the watchers do
    merged = worker._drain({(2, str(root / "src/m0.py"))})  # noqa: SLF001
    assert {path for _, path in merged} == {str(root / f"src/m{i}.py") for i in range(3)}
    worker._batch(merged)  # noqa: SLF001 - one batch, one transaction, the memory opened for it alone
    assert worker.counters.batches == 1 and worker.counters.files == 3
    assert set(known(root)) == {f"src/m{i}.py" for i in range(3)}
    worker._batch({(2, str(root / "src/m0.py"))})  # noqa: SLF001 - the same bytes: nothing to record
    assert worker.counters.batches == 1


def test_one_lock_per_workspace_and_running_reads_it(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    assert daemon.running(root) is None and not (root / ".kairos").exists()  # asking creates nothing
    folder = daemon.kairos_folder(root)
    first, second = daemon.WorkspaceLock(folder), daemon.WorkspaceLock(folder)
    assert first.acquire()
    try:
        assert not second.acquire(attempts=1)
        (folder / daemon.PID_FILE).write_text("4242\n")
        assert daemon.running(root)["pid"] == 4242
    finally:
        first.release()
    assert daemon.running(root) is None  # the pid file stays, the lock went: not running
    assert second.acquire()
    second.release()


def test_a_symlinked_kairos_folder_is_refused(tmp_path):
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / ".kairos").symlink_to(tmp_path / "elsewhere")
    result = kairos("daemon", str(root), cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "symbolic link" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_writer_gets_in_between_a_long_writers_commits(tmp_path):
    """A dream commits every few seconds; an edit waiting meanwhile must get in at the next
    commit, not starve until the busy timeout says 'database is locked'."""
    from kairos_lsp.extract import extract_source
    from kairos_lsp.scan import record_buffer

    long, short = Store(tmp_path / "memory.db"), Store(tmp_path / "memory.db")
    waited: list[float] = []

    def edit() -> None:
        time.sleep(0.3)
        source = b"def edited():\n    pass\n"
        started = time.monotonic()
        record_buffer(short, "a.py", "python", source, extract_source(source, "python"))
        waited.append(time.monotonic() - started)

    writer = threading.Thread(target=edit)
    writer.start()
    try:
        with long.transactions() as group:
            for _ in range(3):  # three transactions back to back, each holding the write lock 1 s
                group.begin()
                time.sleep(1.0)
                group.commit()
    finally:
        writer.join()
        long.close()
        short.close()
    assert waited and waited[0] < 1.5  # in at the first commit (0.7 s), not after the last (2.7 s)


def test_a_long_writer_leaves_its_gap_only_when_another_process_waits_for_the_lock(tmp_path):
    """A dream commits every few seconds and leaves the write lock free for a moment only
    when a writer waits for it (another process here, blocked in its busy handler): with
    nobody waiting, that moment was lost at every commit (4 % of the server's dream of the
    large tree)."""
    path = tmp_path / "memory.db"
    long = Store(path)
    script = (
        "import sys\n"
        "from kairos_lsp.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "with store.transaction():\n"
        "    store.db.conn.execute('INSERT INTO marks (name, value) VALUES (?, ?)', ('other', 'in'))\n"
        "print('written', flush=True)\n"
    )
    try:
        assert not long.waiters.anyone()
        with long.transactions() as group:
            group.begin()
            other = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
            until(long.waiters.anyone, 20, "the other writer waiting for the lock")
            group.commit()  # the gap: the other writer gets in
            assert other.communicate(timeout=20)[0].strip() == "written"
            assert not long.waiters.anyone()  # it is done: no gap at the next commit
            group.begin()
            group.commit()
    finally:
        long.close()
    check = Store(path)
    try:
        assert check.db.conn.execute("SELECT value FROM marks WHERE name = 'other'").fetchone()[0] == "in"
    finally:
        check.close()


# -- the daemon, end to end ------------------------------------------------------------------


def test_the_daemon_records_what_another_process_writes(tmp_path, daemons):
    root = tmp_path / "ws"
    write(root, {".gitignore": "generated/\n", "src/app.py": "def start():\n    return 1\n"})
    running = daemons(root)
    assert "src/app.py" in known(root)  # the catch-up scan

    # Another process writes: a new file, a new folder, an edit, an ignored file, a binary one.
    script = (
        "import pathlib, sys\n"
        "root = pathlib.Path(sys.argv[1])\n"
        "(root / 'src/extra.py').write_text('def extra():\\n    pass\\n')\n"
        "(root / 'lib/deep').mkdir(parents=True)\n"
        "(root / 'lib/deep/tool.py').write_text('def tool():\\n    pass\\n')\n"
        "(root / 'src/app.py').write_text('def start(fast):\\n    return 2\\n')\n"
        "(root / 'generated').mkdir()\n"
        "(root / 'generated/out.py').write_text('def out():\\n    pass\\n')\n"
        "(root / 'src/blob.py').write_bytes(b'\\x00\\x01' * 100)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(root)], check=True)
    until(lambda: {"extra", "tool"} <= defined(root, {"extra", "tool"}), 5, "the new files recorded")
    until(lambda: signatures(root, "python:src/app.py:start") == ["start(fast)"], 5, "the edit recorded")
    store = Store(root / ".kairos" / "memory.db")
    try:
        assert {r["source"] for r in store.current("python:src/extra.py:extra")} == {"daemon"}
    finally:
        store.close()
    files = known(root)
    assert "generated/out.py" not in files and "src/blob.py" not in files  # ignored; binary
    until(lambda: "skipped src/blob.py: binary file" in running.log(), 5, "the binary file's log line")

    (root / "src" / "extra.py").unlink()
    until(lambda: "src/extra.py" not in known(root), 5, "the deleted file forgotten")
    until(lambda: (running.state().get("last_dream") or {}).get("line"), 10, "an idle dream")
    code, err, _ = running.stop()
    assert code == 0, err
    assert "database is locked" not in err and "Traceback" not in err


def test_a_new_top_level_folder_is_read_alone_and_the_others_stay_watched(tmp_path, daemons):
    """A folder made at the top is read by itself (on a large tree, looking at every file
    again took seconds), and an edit made while the watchers change over is not lost."""
    root = tmp_path / "ws"
    write(root, {f"pkg{i}/mod.py": f"def f{i}():\n    return {i}\n" for i in range(40)})
    running = daemons(root)
    assert len(known(root)) == 40
    script = (
        "import pathlib, sys\n"
        "root = pathlib.Path(sys.argv[1])\n"
        "(root / 'fresh').mkdir()\n"
        "(root / 'fresh/new.py').write_text('def brand_new():\\n    pass\\n')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(root)], check=True)
    time.sleep(0.25)  # the watchers are changing over now
    (root / "pkg7" / "mod.py").write_text("def f7(changed):\n    return 7\n")
    until(lambda: "brand_new" in defined(root, {"brand_new"}), 10, "the new folder's file recorded")
    until(lambda: signatures(root, "python:pkg7/mod.py:f7") == ["f7(changed)"], 10, "the edit made meanwhile recorded")

    def batches() -> list[str]:
        return [line for line in running.log().splitlines() if "files read" in line and "caught up" not in line]

    until(batches, 5, "the batches' log lines")
    assert all("(full look)" not in line for line in batches()), batches()
    assert sum(int(line.split(" files read, ")[1].split(" unchanged")[0]) for line in batches()) < 40, batches()

    # A whole tree moved in at the top (more files than a batch reads in the daemon itself).
    write(tmp_path / "outside", {f"sub{i % 7}/m{i}.py": f"def moved_{i}():\n    pass\n" for i in range(90)})
    os.rename(tmp_path / "outside", root / "vendored")
    until(lambda: sum(path.startswith("vendored/") for path in known(root)) == 90, 20, "the moved tree recorded")

    # Folders made one by one, one removed and made again: what is written in each later is seen.
    for name in ("one", "two", "three", "four", "five"):
        write(root, {f"{name}/first.py": f"def first_{name}():\n    pass\n"})
        until(lambda name=name: f"{name}/first.py" in known(root), 10, f"{name}/first.py recorded")
    shutil.rmtree(root / "pkg3")
    until(lambda: "pkg3/mod.py" not in known(root), 10, "the removed folder forgotten")
    write(root, {"pkg3/again.py": "def again():\n    pass\n"})
    until(lambda: "pkg3/again.py" in known(root), 10, "the folder made again recorded")
    time.sleep(0.3)
    later = {f"{name}/later.py": "def later():\n    pass\n" for name in ("one", "five", "pkg3", "pkg8")}
    write(root, later)
    until(lambda: set(later) <= set(known(root)), 10, "later writes in each folder recorded")
    # every folder is watched (the root by itself), and status says how many watches that takes
    dirs = [top for top, _, _ in os.walk(root) if ".kairos" not in Path(top).relative_to(root).parts]
    folders = len(dirs)  # the root (watched alone) and every folder below the top-level ones
    assert running.state()["watches"] >= folders
    code, err, _ = running.stop()
    assert code == 0, err


def _packages_with_folders(root: Path, folders: int) -> None:
    """30 packages under ``src/``, each with a module and ``folders`` empty subfolders."""
    write(root, {f"src/p{i}/mod.py": f"def f{i}():\n    return {i}\n" for i in range(30)})
    for i in range(30):
        for j in range(folders):
            (root / f"src/p{i}/sub{j}").mkdir()


def _seen_by_a_watch(running, root: Path, rel: str) -> None:
    """A file written at ``rel`` reaches the memory through a watch (the daemon's ``events``
    count grows, which a look at the whole tree does not make it do)."""
    events = running.state()["events"]
    write(root, {rel: "def deeper():\n    pass\n"})
    until(lambda: rel in known(root), 5, f"{rel} recorded")
    until(lambda: running.state()["events"] > events, 5, f"... {rel} seen by a watch, not by a look")


def test_past_the_systems_limit_of_watched_folders_it_says_so_and_still_records_every_write(tmp_path, daemons):
    """On a tree with more folders than inotify may still watch, watchfiles skipped the rest
    without a word, and what was written there never reached the memory. Once the limit is
    raised (the sysctl the warning gives), the daemon watches every folder again by itself."""
    root = tmp_path / "ws"
    _packages_with_folders(root, 40)
    before = lower_inotify_limit(300)  # the tree has 1,231 folders
    try:
        running = daemons(root, "--look-seconds", "2")
        until(lambda: "fs.inotify.max_user_watches" in running.log(), 10, "the line about the limit")
        line = next(line for line in running.log().splitlines() if "max_user_watches" in line)
        assert "not every folder can be watched" in line and "sudo sysctl fs.inotify.max_user_watches=" in line
        status = kairos("daemon", "status", str(root), cwd=tmp_path).stdout
        assert "not every folder is watched" in status and "inotify watches:" in status
        later = {f"src/p{i}/sub{j}/late.py": "def late():\n    pass\n" for i, j in ((0, 0), (14, 20), (29, 39))}
        write(root, later)
        until(lambda: set(later) <= set(known(root)), 10, "every write recorded, watched or not")
    finally:
        watch.INOTIFY_LIMIT.write_text(before)
    until(lambda: "every folder is watched again" in running.log(), 10, "watching every folder once the limit rose")
    until(lambda: not running.state().get("watch_limited"), 5, "the state no longer limited")
    assert "not every folder is watched" not in kairos("daemon", "status", str(root), cwd=tmp_path).stdout
    _seen_by_a_watch(running, root, "src/p29/sub39/deeper.py")  # a folder past the old limit
    code, err, _ = running.stop()
    assert code == 0, err


def test_near_the_limit_a_watcher_that_replaced_others_watches_everything_once_they_are_gone(tmp_path, daemons):
    """A top-level folder removed: one new watcher replaces the old ones, which keep their
    watches until they have handed over their last changes. Near the limit the two did not
    fit together, and the daemon stayed limited (looking at the whole tree every 2 minutes)
    although the tree fits."""
    root = tmp_path / "ws"
    _packages_with_folders(root, 20)
    write(root, {"old/gone.py": "def gone():\n    pass\n"})
    before = lower_inotify_limit(900)  # the tree has 633 folders: once, not twice
    try:
        running = daemons(root, "--look-seconds", "2")
        assert "max_user_watches" not in running.log()
        shutil.rmtree(root / "old")
        until(lambda: "gone.py" not in known(root), 10, "the folder removed, forgotten")
        until(lambda: "every folder is watched again" in running.log(), 15, "watching every folder again")
        assert "not every folder can be watched" in running.log()  # (while both watched)
        until(lambda: not running.state().get("watch_limited"), 5, "the state no longer limited")
        _seen_by_a_watch(running, root, "src/p29/sub19/deeper.py")
    finally:
        watch.INOTIFY_LIMIT.write_text(before)
    code, err, _ = running.stop()
    assert code == 0, err


def _children(pid: int) -> list[str]:
    """The command lines of a process's children (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_an_idle_daemon_is_one_process_once_its_scan_and_dream_are_done(tmp_path, daemons):
    """Its scans and dreams run in children that exit when done: no fork server or resource
    tracker stays beside an idle daemon (they were two more processes, 28 MB, all its life)."""
    root = tmp_path / "ws"
    write(root, {f"pkg/m{i}.py": f"def f{i}(a):\n    return g(a) + {i}\n" for i in range(100)})
    running = daemons(root)
    until(lambda: (running.state().get("last_dream") or {}).get("line"), 20, "the first dream")
    assert "facts created" in running.state()["last_dream"]["line"]
    until(lambda: not _children(running.process.pid), 10, "no process left beside the idle daemon")
    write(root, {f"pkg/n{i}.py": f"def h{i}(a):\n    return a\n" for i in range(80)})  # a batch in a child
    until(lambda: {"h0", "h79"} <= defined(root, {"h0", "h79"}), 10, "the new files recorded")
    until(lambda: not _children(running.process.pid), 10, "no process left after the batch")
    code, err, _ = running.stop()
    assert code == 0, err


def test_an_idle_daemon_with_nothing_new_does_what_a_migration_left_the_dream(tmp_path, daemons):
    """A memory whose migration left its next dream a to-do (derive every insight again), and
    nothing new on disk: the daemon dreams for it once it is idle, not at the next change."""
    from kairos_lsp.dream import dream, rederive
    from kairos_lsp.scan import scan_workspace
    from kairos_lsp.store.migrations import m033_rederive_insights

    root = tmp_path / "ws"
    write(root, {"lexer.py": 'def get_token(stream):\n    """The next token."""\n    return stream.pop()\n'})
    store = Store(root / ".kairos" / "memory.db")
    scan_workspace(root, store, jobs=1)
    dream(store)
    with store.transaction():
        m033_rederive_insights(store.db)
    store.close()
    running = daemons(root)
    line = until(lambda: (running.state().get("last_dream") or {}).get("line"), 20, "a dream for the to-do")
    assert "read 0 observations" in line
    with contextlib.closing(Store(root / ".kairos" / "memory.db")) as after:
        assert not after.facts.has_mark(rederive.MARK)
    code, err, _ = running.stop()
    assert code == 0, err


def test_a_daemons_child_imports_kairos_and_not_the_workspaces_own_modules(tmp_path, monkeypatch):
    """The children start in the daemon's working folder (``--detach``: the workspace). A
    workspace with a ``kairos_lsp/`` or ``select.py`` of its own at the top is scanned with
    kairos' modules, not those."""
    root = tmp_path / "ws"
    shadow = "raise ImportError('the workspace's own module')\n"
    write(root, {"kairos_lsp/__init__.py": shadow, "select.py": shadow, "app.py": "def f():\n    return 1\n"})
    monkeypatch.chdir(root)
    args = (str(root), str(root / ".kairos" / "memory.db"), Settings(), None, "daemon")
    result = daemon.run_child(scan_in_child, args, threading.Event(), threading.Event(), lambda: None)
    assert getattr(result, "parsed", None) == 3, result
    assert defined(root, {"f"}) == {"f"}


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
        | {"GIT_COMMITTER_EMAIL": "t@t"},
    )


def test_a_300_file_checkout_is_a_few_batches(tmp_path, daemons):
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "one")
    files = {f"pkg{i % 10}/mod{i}.py": f"def f{i}(a):\n    return a + {i}\n" for i in range(300)}
    write(root, files)
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "one")
    _git(root, "checkout", "-q", "-b", "two")
    write(root, {rel: text.replace("(a)", "(a, b)") for rel, text in files.items()})
    _git(root, "commit", "-q", "-am", "two")
    _git(root, "checkout", "-q", "one")

    running = daemons(root, "--idle-seconds", "600")
    assert len(known(root)) == 300
    before = running.state()
    _git(root, "checkout", "-q", "two")

    def signatures() -> int:
        store = Store(root / ".kairos" / "memory.db")
        try:
            return sum(
                1
                for i in range(300)
                if any(r["object"] == f"f{i}(a, b)" for r in store.current(f"python:pkg{i % 10}/mod{i}.py:f{i}"))
            )
        finally:
            store.close()

    until(lambda: signatures() == 300, 20, "all 300 rewritten files recorded")
    time.sleep(0.5)
    after = running.state()
    batches = after["batches"] - before["batches"]
    assert 1 <= batches <= 3, running.log()
    assert after["files"] - before["files"] == 300
    code, err, _ = running.stop()
    assert code == 0, err


def test_sigterm_flushes_a_pending_write_and_exits_0_within_2_s(tmp_path, daemons):
    root = tmp_path / "ws"
    write(root, {"src/app.py": "def start():\n    return 1\n"})
    running = daemons(root)
    write(root, {"src/late.py": "def late():\n    pass\n"})  # the watcher has not handed it over yet
    code, err, seconds = running.stop()
    assert code == 0, err
    assert seconds < 2.0
    assert "late" in defined(root, {"late"})
    assert "SIGTERM" in running.log() and "stopped by a signal" in running.log()
    assert not (root / ".kairos" / daemon.PID_FILE).exists()


def test_a_second_daemon_is_refused(tmp_path, daemons):
    root = tmp_path / "ws"
    write(root, {"a.py": "x = 1\n"})
    running = daemons(root)
    second = kairos("daemon", str(root), cwd=tmp_path, check=False)
    assert second.returncode == 1
    assert second.stderr.strip() == f"kairos daemon: a daemon already watches {root} (pid {running.process.pid})"


def test_detach_status_and_stop(tmp_path, daemons):
    root = tmp_path / "ws"
    write(root, {"a.py": "def a():\n    pass\n"})
    daemons.detached.append(root)
    started = kairos("daemon", "--detach", str(root), "--idle-seconds", IDLE, cwd=tmp_path)
    assert started.stdout.startswith("kairos daemon: started (pid ")
    pid = int((root / ".kairos" / "daemon.pid").read_text())
    status = kairos("daemon", "status", str(root), "--json", cwd=tmp_path)
    payload = json.loads(status.stdout)
    assert payload["running"] and payload["pid"] == pid and payload["since"]
    until(lambda: "a" in defined(root, {"a"}), 10, "the catch-up scan")

    plain = kairos("daemon", "status", cwd=root)  # PATH defaults to the current folder
    assert plain.stdout.startswith(f"kairos daemon: running (pid {pid})")

    again = kairos("daemon", "--detach", str(root), cwd=tmp_path, check=False)
    assert again.returncode == 1 and "already watches" in again.stderr

    stopped = kairos("daemon", "stop", str(root), cwd=tmp_path)
    assert stopped.stdout.strip() == f"kairos daemon: stopped (pid {pid})"
    gone = kairos("daemon", "status", str(root), cwd=tmp_path, check=False)
    assert gone.returncode == 3 and gone.stdout.startswith(f"kairos daemon: not running for {root}")
    twice = kairos("daemon", "stop", str(root), cwd=tmp_path)
    assert twice.stdout.strip() == f"kairos daemon: not running for {root}"


# -- with the server ------------------------------------------------------------------------------


async def _command(client: LanguageClient, name: str) -> dict:
    return await client.workspace_execute_command_async(types.ExecuteCommandParams(command=name, arguments=[]))


async def test_a_server_leaves_watching_to_a_running_daemon(client: LanguageClient, tmp_path, daemons):
    root = tmp_path / "ws"
    write(root, {"src/app.py": "def start():\n    return 1\n"})
    running = daemons(root)
    await initialize(client, root)
    await wait_for(lambda: "end" in progress_kinds(client), 20, "the scan's progress end")
    ends = [v for values in client.progress_reports.values() for v in values if v.kind == "end"]
    assert ends[-1].message.startswith(f"a kairos daemon (pid {running.process.pid}) keeps the memory current")
    assert any("keeps the memory current; no scan" in m.message for m in client.log_messages)
    status = await _command(client, "kairos.status")
    assert status["daemon"] == {"running": True, "pid": running.process.pid}
    assert status["files"] == 1


async def test_with_a_daemon_the_server_leaves_changes_on_disk_to_it_and_follows_its_news(
    client: LanguageClient, tmp_path, daemons
):
    """The editor tells of a file changed on disk; the daemon saw it too and records it (the
    server does not read it a second time), and the server, following what the daemon records,
    warns the open caller."""
    root = tmp_path / "ws"
    write(
        root,
        {
            "src/__init__.py": "",
            "src/lib.py": "def total(a):\n    return a\n",
            "src/app.py": "from src.lib import total\n\n\ndef run():\n    return total(1)\n",
        },
    )
    daemons(root)
    await initialize(client, root, {"dream": {"idleSeconds": 1}})
    await wait_for(lambda: "end" in progress_kinds(client), 20, "the scan's progress end")
    status = await _command(client, "kairos.status")
    assert status["disk"] == "followed: the kairos daemon watches the workspace"
    app = open_doc(client, root, "src/app.py", "python")
    (root / "src/lib.py").write_text("def total(a, b):\n    return a + b\n")
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=(root / "src/lib.py").as_uri(), type=types.FileChangeType.Changed)]
        )
    )

    def stale_calls() -> list[str]:
        return [d.message for d in client.diagnostics.get(app, []) if d.code == "stale-call"]

    await wait_for(stale_calls, 30, "the open caller's stale-call")
    assert "`b`" in stale_calls()[0]
    store = Store(root / ".kairos" / "memory.db")
    try:
        sources = [row[0] for row in store.db.execute("SELECT source FROM versions WHERE path = 'src/lib.py'")]
    finally:
        store.close()
    assert sources == ["daemon", "daemon"]  # its catch-up, its look at the change: no look by the server


async def test_a_server_on_another_memory_scans_for_itself(client: LanguageClient, tmp_path, daemons):
    root = tmp_path / "ws"
    write(root, {"src/app.py": "def start():\n    return 1\n"})
    daemons(root)
    await initialize(client, root, {"storePath": "elsewhere/memory.db"})
    await wait_for(lambda: "end" in progress_kinds(client), 20, "the scan's progress end")
    ends = [v for values in client.progress_reports.values() for v in values if v.kind == "end"]
    assert ends[-1].message.startswith("1 files, 1 read")
    assert any("keeps another memory" in m.message for m in client.log_messages)


async def test_keep_alive_starts_a_daemon_that_outlives_the_server(client: LanguageClient, tmp_path, daemons):
    root = tmp_path / "ws"
    write(root, {"src/app.py": "def start():\n    return 1\n"})
    daemons.detached.append(root)
    await initialize(client, root, {"daemon": {"keepAlive": True}, "dream": {"idleSeconds": 1}})
    await wait_for(lambda: "end" in progress_kinds(client), 30, "the scan's progress end")
    state = daemon.running(root)
    assert state is not None and state["pid"]
    status = await _command(client, "kairos.status")
    assert status["daemon"] == {"running": True, "pid": state["pid"]}
    await client.shutdown_session()
    client.capabilities = None  # the fixture need not shut it down again
    write(root, {"src/later.py": "def later():\n    pass\n"})  # the editor is gone; learning goes on
    until(lambda: "later" in defined(root, {"later"}), 10, "the daemon recording after the server exited")
    assert daemon.running(root)["pid"] == state["pid"]


# -- many writers --------------------------------------------------------------------------------


class Server:
    """A ``kairos-lsp`` over stdio, driven with raw JSON-RPC from a thread (stderr kept)."""

    def __init__(self, root: Path, stderr: Path):
        self._stderr = open(stderr, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kairos_lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**server_env(), "KAIROS_DREAM_IDLE_SECONDS": IDLE},
        )
        self._id = 0
        self.messages: list[str] = []  # errors and warnings the server showed or logged
        self._answers: dict[int, dict] = {}
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {}})
        self.notify("initialized", {})

    def _send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        with self._write_lock:
            assert self.process.stdin is not None
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:  # a request from the server: say yes
                self._send({"id": message["id"], "result": None})
            elif message.get("method") in ("window/showMessage", "window/logMessage"):
                if message["params"]["type"] <= 2:  # Error, Warning
                    self.messages.append(message["params"]["message"])
            elif "id" in message:
                with self._cond:
                    self._answers[message["id"]] = message
                    self._cond.notify_all()

    def request(self, method: str, params: object, timeout: float = 30.0):
        with self._cond:
            self._id += 1
            ident = self._id
        self._send({"id": ident, "method": method, "params": params})
        with self._cond:
            assert self._cond.wait_for(lambda: ident in self._answers, timeout), f"{method}: no answer"
            answer = self._answers.pop(ident)
        assert "error" not in answer, answer
        return answer.get("result")

    def notify(self, method: str, params: object) -> None:
        self._send({"method": method, "params": params})

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.process.wait(10)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self._stderr.close()


WRITERS_SECONDS = float(os.environ.get("KAIROS_TEST_WRITERS_SECONDS", "60"))


def _states(root: Path, names: set[str]) -> dict:
    """What the memory holds of the files these names were written in (the editors' and disk's)."""
    paths = {
        f"editor{name[1]}/buffer.py" if name.startswith("e") else f"disk/d{int(name[1:]) % 40}.py" for name in names
    }
    store = Store(root / ".kairos" / "memory.db")
    try:
        versions = {
            path: store.db.execute(
                "SELECT id, content_hash, source, observed_at FROM versions WHERE path = ? ORDER BY id DESC LIMIT 4",
                (path,),
            ).fetchall()
            for path in paths
        }
        return {path: (store.file(path), versions[path]) for path in paths}
    finally:
        store.close()


def test_two_servers_a_daemon_and_the_cli_share_one_memory(tmp_path, daemons):
    """For a minute, on one store: two servers record edits and saves, the daemon records
    files written to disk, the CLI scans and dreams. Nothing is lost; nobody sees a lock."""
    root = tmp_path / "ws"
    write(root, {"src/base.py": "def base():\n    return 0\n"})
    running = daemons(root)
    servers = [Server(root, tmp_path / f"server{i}.err") for i in range(2)]
    expected: set[str] = {"base"}
    problems: list[str] = []
    stop_at = time.monotonic() + WRITERS_SECONDS
    guard = threading.Lock()

    def expect(name: str) -> None:
        with guard:
            expected.add(name)

    def editor(n: int, server: Server) -> None:
        """Edit a buffer (a new function each time), save it to disk as an editor does."""
        rel = f"editor{n}/buffer.py"
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"def e{n}_0():\n    return 0\n"
        path.write_text(text)
        uri = path.as_uri()
        server.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
        )
        version = 1
        while time.monotonic() < stop_at:
            version += 1
            text += f"\n\ndef e{n}_{version}(x):\n    return x * {version}\n"
            server.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]},
            )
            if version % 3 == 0:
                path.write_text(text)
                server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
            expect(f"e{n}_{version}")
            time.sleep(0.15)
        path.write_text(text)
        server.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        server.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 4}})
        status = server.request("workspace/executeCommand", {"command": "kairos.status", "arguments": []})
        if not (status.get("daemon") or {}).get("running"):
            problems.append(f"server {n} does not see the daemon: {status}")
        problems.extend(f"server {n}: {message}" for message in server.messages)

    def disk() -> None:
        """Files written by something else (a build, git, another editor): the daemon's. Each
        write adds a function to one of 40 files; every one must end up in the memory."""
        texts = [""] * 40
        k = 0
        while time.monotonic() < stop_at:
            texts[k % 40] += f"def d{k}():\n    return {k}\n\n\n"
            write(root, {f"disk/d{k % 40}.py": texts[k % 40]})
            expect(f"d{k}")
            k += 1
            time.sleep(0.1)

    def cli() -> None:
        while time.monotonic() < stop_at:
            for args in (("scan", "-q", str(root)), ("dream",)):
                result = kairos(*args, cwd=root, check=False)
                busy = args[0] == "dream" and "another process is dreaming" in result.stderr
                if result.returncode != 0 and not busy:
                    problems.append(f"kairos {' '.join(args)}: exit {result.returncode}: {result.stderr.strip()}")
                if "locked" in result.stderr:
                    problems.append(f"kairos {' '.join(args)}: {result.stderr.strip()}")

    threads = [threading.Thread(target=editor, args=(n, s)) for n, s in enumerate(servers)]
    threads += [threading.Thread(target=disk), threading.Thread(target=cli)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WRITERS_SECONDS + 120)
    try:
        assert not problems, problems
        # Every function written is in the memory's log, and the current state matches the disk.
        try:
            until(lambda: defined(root, expected) == expected, 20, "every write recorded")
        except AssertionError:  # which ones, whose (d: the daemon's, e: a server's), lost or late
            missing = expected - defined(root, expected)
            started = time.monotonic()
            while time.monotonic() - started < 60 and missing - defined(root, missing) == missing:
                time.sleep(0.5)
            late = missing & defined(root, missing)
            logs = [(tmp_path / f"server{i}.err").read_text()[-2000:] for i in range(2)]
            raise AssertionError(
                f"not in the memory 20 s after the writers stopped: {sorted(missing)}; "
                + (f"{sorted(late)} came {time.monotonic() - started + 20:.0f} s after" if late else "lost (80 s)")
                + f"; known of their files: {_states(root, missing)}; the servers' logs: {logs}"
            ) from None
        store = Store(root / ".kairos" / "memory.db")
        try:
            logged = {row[0] for row in store.db.execute("SELECT DISTINCT subject FROM observations")}
        finally:
            store.close()
        names = {key.rsplit(":", 1)[1] for key in logged}
        edits = {name for name in expected if name.startswith("e")}
        assert edits <= names
        assert len(edits) > 2 * WRITERS_SECONDS  # (about 6 a second from the two editors)
    finally:
        for server in servers:
            server.close()
    code, err, _ = running.stop()
    assert code == 0, err
    outputs = [(tmp_path / f"server{i}.err").read_text() for i in range(2)] + [err, running.log()]
    assert not [text for text in outputs if "locked" in text or "Traceback" in text], outputs
    state = running.state()
    assert state["batches"] >= WRITERS_SECONDS / 5 and state["events"] > 100, state  # (a burst: <= 2 s)
