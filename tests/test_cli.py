"""Each `kairos` command, run as a real subprocess, as a user would."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from workspaces import REPO, kairos

from kairos_lsp.export import indented_json
from kairos_lsp.store import Store

TEXT_PY = '''"""Text helpers."""

import re
from collections import Counter as Tally


def split_words(text, lower=True):
    """Split text into words."""
    words = re.findall(r"\\w+", text)
    return [w.lower() for w in words] if lower else words


class Index:
    """Word counts per document."""

    def add(self, name, text):
        """Count the words of one document."""
        if not name:
            raise ValueError("a document needs a name")
        self.counts[name] = Tally(split_words(text))
'''


def workspace(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "text.py").write_text(TEXT_PY)
    (tmp_path / "src" / "util.ts").write_text(
        "/** Clamp a number into a range. */\nexport function clamp(x: number, lo = 0, hi = 1): number {\n"
        "  return Math.min(hi, Math.max(lo, x));\n}\n"
    )
    return tmp_path


def test_scan_then_rescan_reports_counts(tmp_path):
    root = workspace(tmp_path)
    first = json.loads(kairos("scan", "--json", cwd=root).stdout)
    assert (first["files"], first["parsed"], first["skipped"]) == (2, 2, 0)
    assert first["observations_added"] > 10
    second = json.loads(kairos("scan", "--json", cwd=root).stdout)
    assert (second["parsed"], second["unchanged"], second["observations_added"]) == (0, 2, 0)
    assert (root / ".kairos" / "memory.db").is_file()


def test_scan_prints_one_line_per_skipped_file(tmp_path):
    root = workspace(tmp_path)
    (root / "src" / "image.py").write_bytes(b"\x89PNG\x00\x00binary")
    (root / "src" / "old.py").write_bytes(b"name = '\xff\xfe'\n")
    result = kairos("scan", ".", cwd=root)
    lines = result.stderr.strip().splitlines()
    assert sorted(lines) == ["skipped src/image.py: binary file", "skipped src/old.py: not UTF-8 (byte 8)"]
    assert "Traceback" not in result.stderr
    assert "2 parsed" in result.stdout


def test_explain_json_by_qualname_and_by_line(tmp_path):
    root = workspace(tmp_path)
    kairos("scan", cwd=root)
    item = json.loads(kairos("explain", "--json", "src/text.py::Index.add", cwd=root).stdout)
    assert item["symbol"] == "python:src/text.py:Index.add"
    assert item["kind"] == "method"
    assert item["summary"] == "Count the words of one document."
    facts = {
        (f["predicate"], json.dumps(f["value"]) if not isinstance(f["value"], str) else f["value"])
        for f in item["facts"]
    }
    assert ("signature", "add(self, name, text)") in facts
    assert ("raises", "ValueError") in facts
    assert ("calls", "split_words") in facts and ("calls", "Tally") in facts
    for fact in item["facts"]:
        assert {"predicate", "value", "status", "confidence", "evidence", "valid_from", "valid_to"} <= set(fact)
        assert fact["status"] in ("tentative", "firm") and fact["check"] == "current"
        assert 0 < fact["confidence"] <= 1 and fact["evidence"]
        if fact["origin"] == "observed":
            assert fact["evidence"][0]["source"] == "parse" and fact["evidence"][0]["file_hash"]
    assert item["citation"]["path"] == "src/text.py" and item["citation"]["content_hash"]

    by_line = json.loads(kairos("explain", "--json", "src/text.py:9", cwd=root).stdout)
    assert by_line["symbol"] == "python:src/text.py:split_words"
    module = json.loads(kairos("explain", "--json", "src/text.py", cwd=root).stdout)
    imports = [f["value"] for f in module["facts"] if f["predicate"] == "imports"]
    assert {"module": "collections", "name": "Counter", "alias": "Tally"} in imports


def test_explain_sees_an_edit_without_a_rescan(tmp_path):
    root = workspace(tmp_path)
    kairos("scan", cwd=root)
    path = root / "src" / "text.py"
    path.write_text(
        TEXT_PY.replace("def split_words(text, lower=True):", "def split_words(text, lower=True, sep=None):")
    )
    item = json.loads(kairos("explain", "--json", "src/text.py::split_words", cwd=root).stdout)
    signatures = {f["value"]: f for f in item["facts"] if f["predicate"] == "signature"}
    new, old = (signatures["split_words(text, lower=True, sep=None)"], signatures["split_words(text, lower=True)"])
    assert new["status"] == "firm" and new["valid_to"] is None and new["check"] == "current"
    assert old["status"] == "superseded" and old["superseded_by"] == new["id"]
    assert old["valid_to"] == new["valid_from"]
    assert ("split_words(text, lower=True)", "no longer") in [
        (h["value"], h["seen"]) for h in item["log"] if h["predicate"] == "signature"
    ]


def test_explain_mistakes_are_one_line(tmp_path):
    root = workspace(tmp_path)
    missing = kairos("explain", "src/nope.py::x", cwd=root, check=False)
    assert missing.returncode == 2 and missing.stderr.strip() == "kairos: no such file: src/nope.py"
    unknown = kairos("explain", "src/text.py::Nope", cwd=root, check=False)
    assert unknown.returncode == 2 and unknown.stderr.strip() == "kairos: nothing known at src/text.py Nope"
    (root / "README.md").write_text("# hi\n")
    other = kairos("explain", "README.md::x", cwd=root, check=False)
    assert other.returncode == 2 and "not a language kairos reads" in other.stderr


def test_human_explain_shows_the_facts(tmp_path):
    root = workspace(tmp_path)
    out = kairos("explain", "src/util.ts::clamp", cwd=root).stdout
    assert "typescript:src/util.ts:clamp" in out
    assert "Clamp a number into a range." in out
    assert "firm" in out  # what the code says


def test_export_lists_every_symbol_current_and_historical(tmp_path):
    root = workspace(tmp_path)
    kairos("scan", cwd=root)
    kairos("dream", cwd=root)
    (root / "src" / "util.ts").unlink()
    kairos("scan", cwd=root)
    kairos("dream", cwd=root)
    items = json.loads(kairos("export", "--json", cwd=root).stdout)
    by_symbol = {item["symbol"]: item for item in items}
    assert "python:src/text.py:Index.add" in by_symbol
    gone = by_symbol["typescript:src/util.ts:clamp"]  # deleted, but its history is kept
    assert gone["exists"] is False
    assert gone["facts"] and all(f["status"] in ("retracted", "superseded") for f in gone["facts"])
    assert any(f["predicate"] == "signature" and f["valid_to"] for f in gone["facts"])


def _generated(root: Path, files: int) -> Path:
    """A workspace of ``files`` modules with 250 documented functions each, scanned and dreamed."""
    (root / ".git").mkdir(parents=True)
    for i in range(files):
        functions = "".join(
            f'def f{i}_{j}(a, b=1):\n    """Add {j} to a."""\n    return helper(a) + b + {j}\n\n\n' for j in range(250)
        )
        (root / f"m{i}.py").write_text('"""A module."""\n\n\ndef helper(x):\n    return x\n\n\n' + functions)
    kairos("scan", "-q", cwd=root)
    kairos("dream", cwd=root)
    return root


def _export_peak_rss(root: Path) -> tuple[int, int]:
    """(symbols exported, peak RSS in KiB) of ``kairos export --json`` in ``root``."""
    measure = (
        "import resource, subprocess, sys\n"
        "out = subprocess.run([sys.executable, '-m', 'kairos_lsp.cli', 'export', '--json'], capture_output=True, "
        "text=True, check=True).stdout\n"
        "import json\n"
        "print(len(json.loads(out)), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", measure],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    symbols, peak = map(int, done.stdout.split())
    return symbols, peak


def test_export_of_a_memory_ten_times_larger_takes_no_more_memory(tmp_path):
    """The export writes symbol after symbol: the large tree's memory, held as one list, took
    9 GB. Here 24 modules (6,000 functions) against 2 (500): before, 54 → 227 MB at 10x."""
    small = _export_peak_rss(_generated(tmp_path / "small", 2))
    large = _export_peak_rss(_generated(tmp_path / "large", 24))
    assert large[0] > 10 * small[0] > 5000  # every symbol is there (and the modules, and helper)
    assert large[1] - small[1] < 25 * 1024, f"peak RSS {small[1] // 1024} MB → {large[1] // 1024} MB"


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
        | st.dictionaries(st.integers() | st.booleans(), inner, min_size=1, max_size=2)
    ),  # (keys json.dumps turns to text)
    max_leaves=24,
)


@given(_JSON_VALUES, st.integers(min_value=0, max_value=3))
def test_the_export_writes_each_value_as_json_dumps_with_an_indent_of_one(value, depth):
    """The export writes its own indented JSON (the standard library's is slow in Python):
    the same text as ``json.dumps(..., indent=1)``, nested at any depth, for any value
    (NaN and infinities, non-text keys, tuples, escapes, unicode, empty containers)."""
    newline = "\n" + " " * depth
    assert indented_json(value, newline) == json.dumps(value, indent=1).replace("\n", newline)


def test_stats_counts(tmp_path):
    root = workspace(tmp_path)
    kairos("scan", cwd=root)
    stats = json.loads(kairos("stats", "--json", cwd=root).stdout)
    assert stats["files"] == 2 and stats["symbols"] >= 6
    assert stats["languages"] == {"python": [1, 4], "typescript": [1, 2]}
    assert stats["schema_version"] >= 3


def test_store_override_by_environment(tmp_path):
    root = workspace(tmp_path)
    elsewhere = tmp_path / "mem" / "kairos.db"
    kairos("scan", cwd=root, env={"KAIROS_STORE": str(elsewhere)})
    assert elsewhere.is_file() and not (root / ".kairos" / "memory.db").exists()


def test_demo_runs_on_the_bundled_example(tmp_path):
    result = kairos("demo", "--into", str(tmp_path / "demo"), cwd=tmp_path)
    assert "Inventory.reserve" in result.stdout
    assert "Add tax to a net amount" in result.stdout
    assert "dream #1 (demo)" in result.stdout
    assert "may_handle" in result.stdout and "summary" in result.stdout  # the dream's own facts
    store = Store(tmp_path / "demo" / ".kairos" / "memory.db")
    languages = store.language_counts()
    assert set(languages) == {"python", "typescript"}
    # After the scripted edit: what an editor would show, with the fixes as diffs.
    after = result.stdout.split("A scripted edit", 1)[1]
    assert "inventory/stock.py:53:30: stale-call:" in after and "it leaves out `region`" in after
    assert "+        return price_with_tax(unit_price * quantity, region=...)" in after
    assert "web/cart.ts:1:10: renamed-symbol: `formatMoney` was renamed to `formatAmount`" in after
    assert '+import { formatAmount } from "./money";' in after
    assert "called by 1: Inventory.quote" in after  # the hover card


def test_check_prints_problems_and_fixes_and_exits_1_when_it_finds_some(tmp_path):
    root = workspace(tmp_path)
    (root / "src" / "text.py").write_text(TEXT_PY.replace("def split_words(text,", "def split_words(text='',"))
    (root / "app.py").write_text("from src.text import split_words\n\nsplit_words()\n")
    kairos("scan", cwd=root)
    assert kairos("check", "app.py", cwd=root).stdout == ""  # it fits
    (root / "src" / "text.py").write_text(TEXT_PY)  # text becomes required
    kairos("scan", cwd=root)
    result = kairos("check", "app.py", cwd=root, check=False)
    assert result.returncode == 1, result.stderr
    assert re.fullmatch(
        r"app\.py:3:12: stale-call: `split_words` made `text` required on "
        r"\d{4}-\d\d-\d\d \d\d:\d\d UTC \(src/text\.py\); this call predates it: "
        r"it leaves out `text`",
        result.stdout.strip(),
    ), result.stdout
    data = json.loads(kairos("check", "--json", "app.py", cwd=root, check=False).stdout)
    assert data["app.py"][0]["fixes"][0]["edits"] == [{"start": [2, 12], "end": [2, 12], "text": "text=..."}]
    (root / "app.py").write_text("from src.text import split_words\n\nsplit_words('a b')\n")
    assert kairos("check", "app.py", cwd=root).stdout == ""
    missing = kairos("check", "nope.py", cwd=root, check=False)
    assert missing.returncode == 2 and missing.stderr.startswith("kairos: cannot check nope.py")


def test_check_reads_every_source_file_of_a_folder_as_a_scan_would(tmp_path):
    root = workspace(tmp_path)
    (root / "src" / "text.py").write_text(TEXT_PY.replace("def split_words(text,", "def split_words(text='',"))
    callers = {
        "app/main.py": "from src.text import split_words\n\nsplit_words()\n",
        "app/deep/job.py": "from src.text import split_words\n\n\ndef job():\n    return split_words()\n",
        "app/build/old.py": "from src.text import split_words\n\nsplit_words()\n",  # ignored by .gitignore
        "other.py": "from src.text import split_words\n\nsplit_words()\n",  # outside the folder checked
    }
    for rel, text in callers.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / ".gitignore").write_text("build/\n")
    (root / "app" / "blob.py").write_bytes(b"\x00\x01binary" * 10)
    kairos("scan", cwd=root)
    (root / "src" / "text.py").write_text(TEXT_PY)  # `text` becomes required; no scan since
    result = kairos("check", "app", cwd=root, check=False)
    assert result.returncode == 1, result.stderr
    flagged = sorted(line.split(":")[0] for line in result.stdout.splitlines())
    assert flagged == ["app/deep/job.py", "app/main.py"]  # the change was seen by the check's own look
    assert "skipped app/blob.py" in result.stderr
    assert result.stderr.strip().endswith("checked 2 files: 2 problems in 2 of them")
    # The workspace itself, from a folder inside it: every file, the ignored one left out.
    whole = kairos("check", str(root), cwd=root / "app", check=False)
    assert sorted(line.split(":")[0] for line in whole.stdout.splitlines()) == [
        "app/deep/job.py",
        "app/main.py",
        "other.py",
    ]
    data = json.loads(kairos("check", "--json", "app/deep", "app/deep/job.py", cwd=root, check=False).stdout)
    assert list(data) == ["app/deep/job.py"]  # each file once
    (root / "app" / "main.py").write_text("from src.text import split_words\n\nsplit_words('a b')\n")
    (root / "app" / "deep" / "job.py").unlink()
    fixed = kairos("check", "app", cwd=root)
    assert fixed.stdout == "" and fixed.stderr.strip().endswith("checked 1 file: 0 problems")
    ignored = kairos("check", "app/build", cwd=root, check=False)
    assert ignored.returncode == 2 and "leaves it out (.gitignore, exclude)" in ignored.stderr
    outside = kairos("check", "app", str(tmp_path.parent), cwd=root, check=False)
    assert outside.returncode == 2 and "is outside the workspace" in outside.stderr


def test_a_memory_kept_apart_is_not_emptied_by_a_look_at_another_folder(tmp_path):
    (tmp_path / "first").mkdir()
    first = workspace(tmp_path / "first")
    other = tmp_path / "other"
    (other / "lib").mkdir(parents=True)
    (other / "lib" / "one.py").write_text("def one():\n    return 1\n")
    memory = str(tmp_path / "kept" / "memory.db")
    kairos("scan", ".", cwd=first, env={"KAIROS_STORE": memory})
    before = json.loads(kairos("stats", cwd=first, env={"KAIROS_STORE": memory}).stdout)
    assert before["files"] == 2
    # A check from a folder of another workspace with the same memory: it would have scanned
    # that workspace, and taken the first one's files for deleted.
    refused = kairos("check", "lib", cwd=other, env={"KAIROS_STORE": memory}, check=False)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert f"holds 2 files of {first.resolve()}, which" in refused.stderr
    assert kairos("scan", str(other), "--store", memory, cwd=tmp_path, check=False).returncode == 2
    assert json.loads(kairos("stats", cwd=first, env={"KAIROS_STORE": memory}).stdout)["files"] == 2
    # A copy of the first folder has its files: the memory follows it there (and back).
    subprocess.run(["cp", "-r", str(first), str(tmp_path / "twin")], check=True)
    kairos("scan", ".", cwd=tmp_path / "twin", env={"KAIROS_STORE": memory})
    kairos("scan", ".", cwd=first, env={"KAIROS_STORE": memory})
    # The first folder moved away (renamed): the memory follows the workspace to its new place.
    first.rename(tmp_path / "moved")
    kairos("scan", ".", cwd=tmp_path / "moved", env={"KAIROS_STORE": memory})
    # A memory inside its workspace is that folder's, wherever it is copied.
    kairos("scan", ".", cwd=other)
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(other), str(copy)], check=True)
    kairos("scan", ".", cwd=copy)
    assert json.loads(kairos("stats", cwd=copy).stdout)["files"] == 1


def test_a_killed_scan_leaves_a_store_that_opens_and_resumes(tmp_path):
    root = tmp_path / "big"
    for i in range(600):
        folder = root / f"pkg{i % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        body = "\n".join(f"def f{i}_{j}(a, b={j}):\n    '''Doc {j}.'''\n    return g(a, b)\n" for j in range(60))
        (folder / f"m{i}.py").write_text(body)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("KAIROS_STORE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kairos_lsp.cli", "scan", "-q", "--jobs", "1", str(root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    db = root / ".kairos" / "memory.db"
    deadline = time.time() + 60
    files = 0
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        if db.exists():
            try:
                files = Store(db).stats()["files"]
            except Exception:
                files = 0
            if files > 0:
                break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < files < 600, "the scan should have been killed part way"

    store = Store(db)
    partial = store.stats()["files"]
    assert partial < 600
    # Every stored file is complete: its symbols are all there.
    for path in [r["path"] for r in store.db.query("SELECT path FROM files LIMIT 20")]:
        assert len(store.symbols_in(path)) == 61
    store.close()
    summary = json.loads(kairos("scan", "--json", str(root), cwd=tmp_path).stdout)
    assert summary["parsed"] == 600 - partial
    assert summary["unchanged"] == partial


def test_dream_consolidates_an_edit_history_and_logs_each_run(tmp_path):
    root = workspace(tmp_path)
    kairos("scan", cwd=root)
    first = json.loads(kairos("dream", "--json", cwd=root).stdout)
    assert first["observations"] > 10 and first["created"] > 10 and not first["busy"]
    again = json.loads(kairos("dream", "--json", cwd=root).stdout)
    assert again["observations"] == 0 and again["created"] == 0  # nothing new, nothing read

    path = root / "src" / "text.py"
    path.write_text(TEXT_PY.replace("split_words", "tokenize"))  # a rename, callers included
    kairos("scan", cwd=root)
    third = json.loads(kairos("dream", "--json", "--log", "5", cwd=root).stdout)
    assert third["linked"] >= 1
    assert [row["trigger"] for row in third["log"]] == ["cli", "cli", "cli"]

    old = json.loads(kairos("explain", "--json", "--root", str(root), "src/text.py::Index.add", cwd=root).stdout)
    calls = [(f["value"], f["status"]) for f in old["facts"] if f["predicate"] == "calls"]
    assert ("tokenize", "firm") in calls and ("split_words", "retracted") in calls
    new = json.loads(kairos("explain", "--json", "src/text.py::tokenize", cwd=root).stdout)
    assert {"symbol": "python:src/text.py:split_words", "via": "renamed_from"} == {
        k: new["earlier"][0][k] for k in ("symbol", "via")
    }
    assert any(
        f["predicate"] == "signature" and f["value"] == "split_words(text, lower=True)"
        for f in new["earlier"][0]["facts"]
    )

    text = kairos("dream", "--log", "3", cwd=root).stdout.splitlines()
    assert text[0].startswith("dream #4 (cli): read 0 observations")
    assert len(text) == 4


def test_an_unusable_memory_is_one_line_for_every_command(tmp_path):
    root = workspace(tmp_path)
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database, " * 100)
    for args in (
        ("stats",),
        ("dream",),
        ("export", "--json"),
        ("check", "src/text.py"),
        ("explain", "src/text.py::split_words"),
        ("scan", "."),
    ):
        result = kairos(*args, "--store", str(bad), cwd=root, check=False)
        assert result.returncode == 2, args
        assert result.stderr.startswith("kairos: ") and result.stderr.count("\n") == 1, (args, result.stderr)
    assert bad.read_bytes().startswith(b"this is not a database")


def test_the_memory_is_closed_on_the_way_out_even_after_a_mistake(tmp_path, monkeypatch):
    from kairos_lsp.cli import UsageError, memory, workspace_root

    class Args:
        root = None

    monkeypatch.delenv("KAIROS_STORE", raising=False)
    root = workspace(tmp_path)
    assert workspace_root(Args(), root / "src") == root  # the nearest folder with .git
    Args.root = str(root / "src")
    assert workspace_root(Args(), root) == root / "src"  # --root wins
    try:
        with memory(root) as store:
            opened = store
            raise UsageError("a mistake")
    except UsageError:
        pass
    assert Path(opened.path) == root / ".kairos" / "memory.db"
    with memory(root, str(tmp_path / "other.db")) as store:
        assert Path(store.path) == tmp_path / "other.db"
    try:
        opened.db.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - closed: any use fails
        pass
    else:
        raise AssertionError("the memory was left open")
