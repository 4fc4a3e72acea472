"""The memory file: round trips, append-only history, migrations, resilience."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys

import pytest
from sqlite_utils import Database

from kairos_lsp.config import Settings
from kairos_lsp.dream import dream
from kairos_lsp.scan import IgnoreRules, scan_workspace
from kairos_lsp.store import Store, StoreError, store_path
from kairos_lsp.store.migrations import SCHEMA_VERSION, migrations

AUTH_V1 = '''"""Sessions."""


class Session:
    def login(self, user, password):
        """Check the password and open a session."""
        if not verify(user, password):
            raise PermissionError(user)
        return open_session(user)
'''

AUTH_V2 = AUTH_V1.replace("def login(self, user, password):", "def login(self, user, password, otp=None):")


def write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def current(store, key):
    return {(r["predicate"], r["object"]) for r in store.current(key)}


def test_round_trip_through_a_real_file(tmp_path):
    write(tmp_path, "src/auth.py", AUTH_V1)
    store = Store.for_workspace(tmp_path)
    scan_workspace(tmp_path, store, jobs=1)
    store.close()

    reopened = Store(tmp_path / ".kairos" / "memory.db")
    facts = current(reopened, "python:src/auth.py:Session.login")
    assert ("signature", "login(self, user, password)") in facts
    assert ("docstring", "Check the password and open a session.") in facts
    assert ("raises", "PermissionError") in facts
    assert ("calls", "verify") in facts and ("calls", "open_session") in facts
    assert "defined_at" not in {predicate for predicate, _ in facts}  # the key says where
    row = reopened.symbol("python:src/auth.py:Session.login")
    assert (row["path"], row["kind"], row["start_line"], row["end_line"]) == ("src/auth.py", "method", 4, 8)
    assert (tmp_path / ".kairos" / ".gitignore").read_text() == "*\n"


def test_history_is_append_only_and_remembers_the_old_signature(tmp_path):
    path = write(tmp_path, "src/auth.py", AUTH_V1)
    store = Store.for_workspace(tmp_path)
    scan_workspace(tmp_path, store, jobs=1)
    before = store.stats()["observations"]
    path.write_text(AUTH_V2)
    report = scan_workspace(tmp_path, store, jobs=1)
    assert report.parsed == 1

    key = "python:src/auth.py:Session.login"
    history = [(h["predicate"], h["object"], h["negated"]) for h in store.history(key)]
    assert ("signature", "login(self, user, password)", 0) in history
    assert ("signature", "login(self, user, password)", 1) in history  # seen to no longer hold
    assert ("signature", "login(self, user, password, otp=None)", 0) in history
    assert ("signature", "login(self, user, password, otp=None)") in current(store, key)
    assert ("signature", "login(self, user, password)") not in current(store, key)
    # Only what changed was appended; nothing was rewritten.
    assert store.stats()["observations"] - before == report.added + report.negated
    assert report.added < 10


def test_unchanged_rescan_writes_nothing(tmp_path):
    write(tmp_path, "a.py", AUTH_V1)
    write(tmp_path, "b.py", "def f():\n    return 1\n")
    store = Store.for_workspace(tmp_path)
    scan_workspace(tmp_path, store, jobs=1)
    stats = store.stats()
    report = scan_workspace(tmp_path, store, jobs=1)
    assert (report.parsed, report.unchanged, report.added) == (0, 2, 0)
    assert store.stats() == stats
    # Same bytes with a new mtime: read and hashed, but not parsed or logged.
    (tmp_path / "a.py").write_text(AUTH_V1)
    report = scan_workspace(tmp_path, store, jobs=1)
    assert (report.parsed, report.added) == (0, 0)
    assert store.stats()["observations"] == stats["observations"]


def test_deleted_file_negates_what_it_asserted(tmp_path):
    write(tmp_path, "a.py", AUTH_V1)
    store = Store.for_workspace(tmp_path)
    scan_workspace(tmp_path, store, jobs=1)
    (tmp_path / "a.py").unlink()
    report = scan_workspace(tmp_path, store, jobs=1)
    assert report.removed == 1
    assert store.symbol("python:a.py:Session.login") is None
    assert current(store, "python:a.py:Session.login") == set()
    history = store.history("python:a.py:Session.login")
    assert history and history[-1]["negated"] == 1  # the log keeps what was believed


def test_migrates_a_store_from_an_older_schema_version(tmp_path):
    db_path = tmp_path / "old.db"
    db = Database(db_path)
    migrations.apply(db, stop_before="m002_files_has_errors")
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO files VALUES ('a.py', 'python', 'h1', 10, 1, '2026-01-01T00:00:00Z')")
    db.execute(
        "INSERT INTO versions (path, content_hash, source, observed_at) "
        "VALUES ('a.py', 'h1', 'parse', '2026-01-01T00:00:00Z')"
    )
    db.execute(
        "INSERT INTO observations (subject, predicate, object, version_id) "
        "VALUES ('python:a.py:f', 'signature', 'f(x)', 1)"
    )
    db.close()

    store = Store(db_path)
    assert store.stats()["schema_version"] == SCHEMA_VERSION
    assert store.file("a.py")["has_errors"] == 0  # the column migration 2 added
    assert [h["object"] for h in store.history("python:a.py:f")] == ["f(x)"]
    applied = [m.name for m in migrations.applied(store.db)]
    assert applied == [m.name for m in migrations._migrations]


def test_a_newer_store_is_refused_with_one_line(tmp_path):
    db_path = tmp_path / "new.db"
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer kairos") as info:
        Store(db_path)
    assert "\n" not in str(info.value)


def test_a_file_that_is_not_a_database_is_refused_cleanly(tmp_path):
    bogus = tmp_path / "memory.db"
    bogus.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a SQLite database; not touching it"):
        Store(bogus)
    assert bogus.read_bytes() == b"this is not sqlite" * 100  # never overwritten, never moved


def test_store_location_follows_env_and_option(tmp_path, monkeypatch):
    monkeypatch.delenv("KAIROS_STORE", raising=False)
    assert store_path(tmp_path) == tmp_path / ".kairos" / "memory.db"
    monkeypatch.setenv("KAIROS_STORE", str(tmp_path / "elsewhere.db"))
    assert store_path(tmp_path) == tmp_path / "elsewhere.db"
    assert store_path(tmp_path, "custom/m.db") == tmp_path / "custom" / "m.db"


def test_a_gitignore_line_that_is_no_pattern_is_passed_over_as_git_does(tmp_path):
    """black's repository keeps test data with a `.gitignore` of a lone `!`: the scan of the
    repository stopped there with pathspec's ValueError. Git passes over such a line and keeps
    the others; so does the scan (and an `exclude` setting likewise)."""
    write(tmp_path, "tests/data/invalid/.gitignore", "!\nignored.py\n")
    write(tmp_path, "tests/data/invalid/ignored.py", "def ignored():\n    pass\n")
    write(tmp_path, "tests/data/invalid/kept.py", "def kept():\n    pass\n")
    store = Store.for_workspace(tmp_path)
    scan_workspace(tmp_path, store, Settings(exclude=("!",)), jobs=1)
    names = {row["name"] for row in store.all_symbols()}
    assert "kept" in names and "ignored" not in names


def test_scan_respects_gitignore_exclude_and_skips_bad_files(tmp_path):
    write(tmp_path, ".gitignore", "build/\n*.gen.py\n")
    write(tmp_path, "src/ok.py", "def ok():\n    pass\n")
    write(tmp_path, "src/nested/.gitignore", "secret.py\n")
    write(tmp_path, "src/nested/secret.py", "def hidden():\n    pass\n")
    write(tmp_path, "src/nested/open.py", "def visible():\n    pass\n")
    write(tmp_path, "build/out.py", "def built():\n    pass\n")
    write(tmp_path, "src/x.gen.py", "def generated():\n    pass\n")
    write(tmp_path, "vendor/lib.py", "def vendored():\n    pass\n")
    write(tmp_path, "notes.txt", "not code")
    (tmp_path / "src/blob.py").write_bytes(b"\x00\x01\x02def x(): pass")
    (tmp_path / "src/latin1.py").write_bytes("s = 'caf\xe9'\n".encode("latin-1"))
    write(tmp_path, "src/huge.py", "x = 1\n" * 200_000)
    skipped = []
    store = Store.for_workspace(tmp_path)
    report = scan_workspace(
        tmp_path,
        store,
        Settings(exclude=("vendor/",)),
        jobs=1,
        on_skip=lambda path, reason: skipped.append((path, reason)),
    )
    names = {row["name"] for row in store.all_symbols()}
    assert {"ok", "visible"} <= names
    assert not names & {"hidden", "built", "generated", "vendored"}
    reasons = dict(skipped)
    assert reasons["src/blob.py"] == "binary file"
    assert reasons["src/latin1.py"].startswith("not UTF-8")
    assert reasons["src/huge.py"].startswith("larger than")
    assert all("\n" not in reason for reason in reasons.values())
    assert report.skipped == skipped
    # The server asks the same rules about single buffers.
    rules = IgnoreRules(tmp_path, ("vendor/",))
    assert [
        rules.ignored(p)
        for p in (
            "src/ok.py",
            "src/nested/secret.py",
            "build/out.py",
            "src/x.gen.py",
            "vendor/lib.py",
            "src/nested/open.py",
        )
    ] == [False, True, True, True, True, False]


def test_parallel_scan_matches_serial_scan(tmp_path):
    for i in range(40):
        write(tmp_path, f"pkg/mod{i}.py", f"def f{i}(a, b={i}):\n    return g{i}(a) + b\n")
    serial = Store(tmp_path / "serial.db")
    parallel = Store(tmp_path / "parallel.db")
    scan_workspace(tmp_path, serial, jobs=1)
    scan_workspace(tmp_path, parallel, jobs=2)
    dump = lambda s: sorted((r["key"], r["kind"], s.body_hash(r["key"])) for r in s.all_symbols())
    assert dump(serial) == dump(parallel)
    assert len(dump(parallel)) == 80
    assert current(parallel, "python:pkg/mod7.py:f7") == current(serial, "python:pkg/mod7.py:f7")


def test_a_remembering_writer_stays_right_when_another_writer_changes_the_file(tmp_path):
    path = write(tmp_path, "a.py", AUTH_V1)
    db = tmp_path / "m.db"
    editor, other = Store(db), Store(db)
    editor.remember = True
    scan_workspace(tmp_path, editor, jobs=1)
    key = "python:a.py:Session.login"
    for text in (AUTH_V2, AUTH_V1, AUTH_V2):  # the editor's writes use what it remembers
        path.write_text(text)
        scan_workspace(tmp_path, editor, jobs=1)
    assert ("signature", "login(self, user, password, otp=None)") in current(other, key)
    path.write_text(AUTH_V1)  # another process writes the file behind the editor's back ...
    scan_workspace(tmp_path, other, jobs=1)
    path.write_text(AUTH_V2.replace("open_session(user)", "open_session(user, otp)"))
    scan_workspace(tmp_path, editor, jobs=1)  # ... and the editor's next write notices
    facts = current(other, key)
    assert ("signature", "login(self, user, password, otp=None)") in facts
    assert ("signature", "login(self, user, password)") not in facts
    assert sum(1 for p, _ in facts if p == "signature") == 1
    rows = {r["key"]: r for r in other.symbols_in("a.py")}
    assert set(rows) == {"python:a.py", "python:a.py:Session", key}


def test_processes_opening_a_new_store_at_once_all_succeed(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "shared.db"
    code = "import sys; from kairos_lsp.store import Store; s = Store(sys.argv[1]); print(s.stats()['schema_version'])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    assert {out.strip() for out, _ in results} == {str(Store(db).stats()["schema_version"])}


def test_forgetting_a_symbol_in_the_middle_of_a_file_keeps_the_rest_of_it(tmp_path):
    from kairos_lsp.dream import dream

    code = "def first(a):\n    return a\n\n\ndef middle(b):\n    return b\n\n\ndef last(c):\n    return c\n"
    path = write(tmp_path, "m.py", code)
    store = Store.for_workspace(tmp_path)
    scan_workspace(tmp_path, store, jobs=1)
    dream(store, trigger="test")
    before = {key: current(store, key) for key in ("python:m.py:first", "python:m.py:last")}
    subjects, _ = store.subjects_to_forget("python:m.py:middle")
    store.forget(subjects, None, ("renamed_to", "renamed_from", "moved_to", "moved_from"))
    assert current(store, "python:m.py:middle") == set()
    assert {key: current(store, key) for key in before} == before  # its neighbours are still what m.py says
    live = {(f[1], f[2], f[3]) for f in store.facts.about("python:m.py:last", current_only=True)}
    assert ("python:m.py:last", "signature", "last(c)") in live
    assert store.facts.about("python:m.py:middle") == []
    # middle's were the log's last observations: the next ones take their ids, and belong
    # to another file; m.py goes on, an edit of last supersedes its signature
    store.close()
    store = Store.for_workspace(tmp_path)  # what it reads, not what the writer remembers
    write(tmp_path, "n.py", "def other(x, y):\n    return x\n")
    scan_workspace(tmp_path, store, jobs=1)
    dream(store, trigger="test")
    path.write_text(code.replace("def last(c):", "def last(c, d):"))
    scan_workspace(tmp_path, store, jobs=1)
    dream(store, trigger="test")
    assert ("signature", "last(c, d)") in current(store, "python:m.py:last")
    assert current(store, "python:m.py:first") == before["python:m.py:first"]
    signatures = {(f[3], f[5]) for f in store.facts.about("python:m.py:last") if f[2] == "signature"}
    assert signatures == {("last(c)", "superseded"), ("last(c, d)", "firm")}
    assert ("signature", "other(x, y)") in current(store, "python:n.py:other")
    for key in ("python:n.py", "python:n.py:other"):  # what n.py says is known, and not taken back
        facts = store.facts.about(key)
        assert {f[2] for f in facts} >= {"kind", "body_hash"}, key
        assert {f[5] for f in facts} <= {"firm", "tentative"}, key


def test_forgetting_what_no_dream_read_yet_leaves_the_next_files_alone(tmp_path):
    code = "def first(a):\n    return a\n\n\ndef middle(b):\n    return b\n"
    path = write(tmp_path, "m.py", code)
    store = Store.for_workspace(tmp_path)
    scan_workspace(tmp_path, store, jobs=1)
    subjects, _ = store.subjects_to_forget("python:m.py:middle")  # the log's newest observations
    store.forget(subjects, None, ("renamed_to", "renamed_from", "moved_to", "moved_from"))
    store.close()
    store = Store.for_workspace(tmp_path)  # what it reads, not what the writer remembers
    write(tmp_path, "n.py", "def other(x, y):\n    return x\n")
    scan_workspace(tmp_path, store, jobs=1)
    path.write_text(code.replace("def first(a):", "def first(a, b):"))
    scan_workspace(tmp_path, store, jobs=1)
    for key in ("python:n.py", "python:n.py:other"):  # a look at m.py takes back nothing n.py says
        assert not any(row["negated"] for row in store.history(key)), key
    assert ("signature", "other(x, y)") in current(store, "python:n.py:other")
    assert ("signature", "first(a, b)") in current(store, "python:m.py:first")


def test_a_symbols_body_hash_follows_its_edits_and_is_gone_with_it(tmp_path):
    from kairos_lsp.extract import extract_source

    first, second = "def f(a):\n    return a\n", "def f(a):\n    return a + 1\n"
    found = {text: extract_source(text.encode(), "python").symbols for text in (first, second)}
    hashes = {text: next(s.body_hash for s in symbols if s.name == "f") for text, symbols in found.items()}
    assert hashes[first] != hashes[second]
    store = Store(tmp_path / "memory.db")
    seen = []
    for text in (first, second, first, "x = 1\n"):  # an edit, the edit undone, f removed
        write(tmp_path, "m.py", text)
        scan_workspace(tmp_path, store, jobs=1)
        seen.append(store.body_hash("python:m.py:f"))
    assert seen == [hashes[first], hashes[second], hashes[first], None]
    # kept as 8 bytes (schema 28), shown as the 16 hex digits the extractor gave
    kept = store.db.execute(
        "SELECT typeof(l.object), length(l.object), o.object FROM observation_log l JOIN observations o "
        "ON o.id = l.id WHERE o.predicate = 'body_hash' AND o.subject = 'python:m.py:f'"
    ).fetchall()
    assert {row[:2] for row in kept} == {("blob", 8)} and {row[2] for row in kept} == set(hashes.values())


def test_the_symbols_that_appeared_with_a_body_include_those_observed_since_the_last_ask(tmp_path):
    # The dream keeps the observations of a body hundreds of symbols share (a folder renamed
    # made 14,130 functions of one body appear): what a scan wrote since is read as well.
    root = tmp_path / "proj"
    root.mkdir()
    (root / "stubs.py").write_text("".join(f"def f{n}():\n    pass\n\n\n" for n in range(400)))
    store = Store(tmp_path / "memory.db")
    scan_workspace(root, store, Settings())
    dream(store, trigger="test")  # (what a fact is, and whether it is live, a dream works out)
    (body,) = store.db.execute(
        "SELECT object FROM observations WHERE subject = 'python:stubs.py:f0' AND predicate = 'body_hash'"
    ).fetchone()

    def appeared() -> list[str]:
        before = store.facts.newest_version() + 1
        return [row[0] for row in store.facts.appeared_bodies(body, "python:stubs.py:f0", 0, before)]

    assert len(appeared()) == 399  # (not f0 itself)
    (root / "later.py").write_text("def g():\n    pass\n")
    scan_workspace(root, store, Settings())
    dream(store, trigger="test")
    assert "python:later.py:g" in appeared()
    assert [key for key in appeared() if key.endswith(":g")] == ["python:later.py:g"]
    only = store.facts.appeared_bodies(body, "python:stubs.py:f0", 0, store.facts.newest_version() + 1, "", "f7")
    assert [row[0] for row in only] == ["python:stubs.py:f7"]  # by qualname
    store.close()


_READ_ALL = """
import sys
from pathlib import Path
from kairos_lsp.store import Store

def rss():
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS:"))
    return int(line.split()[1]) * 1024

store = Store(sys.argv[1])
conn = store.db.conn
before = rss()
conn.execute("PRAGMA quick_check").fetchall()  # reads every page of the file through the page cache
print(rss() - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_reading_the_whole_memory_keeps_little_of_it_in_the_process(tmp_path):
    """The server reads the memory through several connections (hovers, checks, the
    recorder); the system's file cache holds the file already, so each keeps a small page
    cache of its own. Reading every page of a 37 MB memory leaves the reader's resident
    memory far below the memory's size (with a 64 MiB cache per connection it grew by about
    the whole memory, and the server with 244 files of a large tree open held 400 MB)."""
    root = tmp_path / "ws"
    root.mkdir()
    for i in range(300):  # 26 MB of functions with long docstrings: a 37 MB memory
        words = " ".join(f"word{i}x{j}x{k}" for j in range(8) for k in range(10))
        body = '    """Add {j}: {words}."""\n    return g(a) + h(b)\n\n\n'
        text = "".join(f"def f{i}_{j}(a, b=1):\n" + body.format(j=j, words=words) for j in range(80))
        (root / f"m{i}.py").write_text(text)
    path = root / ".kairos" / "memory.db"
    store = Store(path)
    scan_workspace(root, store)
    store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    assert size > 30 * 2**20
    read = subprocess.run([sys.executable, "-c", _READ_ALL, str(path)], capture_output=True, text=True, check=True)
    grown = int(read.stdout)
    assert grown < size / 3, f"reading a {size >> 20} MB memory grew the reader by {grown >> 20} MB"


def test_an_upgrade_reads_again_only_the_languages_whose_extraction_changed(tmp_path, monkeypatch):
    """Extraction 2 changed what JavaScript and TypeScript give (private methods are symbols);
    a memory whose files extraction 1 read, under schema 37's callee index (which took
    ``this.#dispatch`` for a call of ``dispatch``), reads its TypeScript again at the next scan
    but not its Go, and then finds who calls the private method, through the index."""
    from kairos_lsp import store as store_module
    from kairos_lsp.knowledge import Knowledge
    from kairos_lsp.store.migrations import CALLEE_NAME, PREDICATE_ID

    write(tmp_path, "a.go", "package a\n\nfunc F() int {\n\treturn 1\n}\n")
    write(tmp_path, "q.ts", "class Query {\n  #dispatch(a: number) {}\n  setData(x: number) { this.#dispatch(x) }\n}\n")
    store = Store.for_workspace(tmp_path)
    with monkeypatch.context() as before:
        before.setattr(store_module, "EXTRACTION_VERSION", 1)
        scan_workspace(tmp_path, store, jobs=1)
    with store.transaction():  # schema 37's callee index
        store.db.execute("DROP INDEX observation_log_callee")
        old_name = CALLEE_NAME.replace("_$#", "_$")
        store.db.execute(
            f"CREATE INDEX observation_log_callee ON observation_log({old_name}) "
            f"WHERE predicate_id = {PREDICATE_ID['calls']}"
        )
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm038_private_names_are_called'")
        store.db.execute("PRAGMA user_version = 37")
    store.close()

    store = Store.for_workspace(tmp_path)  # migrates
    # (Go's files as if no extraction since the first had changed what they give: extraction 8
    # changed every language's signatures, leaving their comments out)
    from kairos_lsp import extract
    from kairos_lsp.languages import language_named

    def unchanged_go(name: str):
        spec = language_named(name)
        return dataclasses.replace(spec, extraction=1) if spec is not None and name == "go" else spec

    monkeypatch.setattr(extract, "language_named", unchanged_go)
    report = scan_workspace(tmp_path, store, jobs=1)
    assert report.parsed == 1  # q.ts; a.go reads as this extraction would
    assert scan_workspace(tmp_path, store, jobs=1).parsed == 0
    callers = Knowledge(store).callers("typescript:q.ts:Query.#dispatch")
    assert [c["qualname"] for c in callers.first] == ["Query.setData"]
    plan = " ".join(
        str(row[-1])
        for row in store.db.execute(
            f"EXPLAIN QUERY PLAN SELECT id FROM observation_log WHERE predicate_id = {PREDICATE_ID['calls']} "
            f"AND {CALLEE_NAME} = '#dispatch'"
        )
    )
    assert "SEARCH observation_log USING INDEX observation_log_callee" in plan  # not a scan of it
    store.close()
