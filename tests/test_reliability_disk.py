"""A full disk, for real: the memory on a small tmpfs, filled to the last byte. ``kairos scan``
and ``kairos dream`` fail with one line, the running server says one line and keeps answering,
nothing stored is lost (SQLite's integrity check ok, counts never fewer), and once space is
freed everything works again, the same server included. Mounting needs root (CI runs as root);
elsewhere the test says why it is skipped."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from rawlsp import REPO, Raw, kill, server_env

STDLIB = Path(json.__file__).parents[1]


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Every free byte of ``disk`` taken by one file."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
            while True:
                try:
                    f.write(b"\0" * chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    break
    return filler


def counts(db: Path) -> tuple[int, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return (
            conn.execute("SELECT count(*) FROM observations").fetchone()[0],
            conn.execute("SELECT count(*) FROM facts").fetchone()[0],
        )


def kairos(root: Path, store: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**server_env(KAIROS_STORE=str(store)), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "kairos_lsp.cli", *args],
        cwd=root.parent,  # (python -m puts the folder first on sys.path: the project's json is not ours)
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def grow(root: Path, n: int) -> None:
    """New functions in every file: work for the next scan and dream."""
    for path in sorted(root.rglob("*.py")):
        extra = "".join(f"\n\ndef grown_{n}_{i}(a, b={i}):\n    '''Grown {i}.'''\n    return a + b\n" for i in range(8))
        path.write_text(path.read_text() + extra)


def test_a_full_disk_loses_nothing_and_everything_works_once_space_is_freed(small_disk, tmp_path):
    root = tmp_path / "proj"
    (root / ".git").mkdir(parents=True)
    shutil.copytree(STDLIB / "json", root / "json", ignore=shutil.ignore_patterns("__pycache__"))
    store = small_disk / "memory.db"
    assert kairos(root, store, "scan", str(root)).returncode == 0
    assert kairos(root, store, "dream", "--root", str(root)).returncode == 0
    grow(root, 1)
    assert kairos(root, store, "scan", str(root)).returncode == 0  # observations the next dream reads
    stored = counts(store)

    # the server, on that memory, with a file open
    proc = subprocess.Popen(
        [sys.executable, "-m", "kairos_lsp"],
        cwd=tmp_path,
        env=server_env(KAIROS_STORE=str(store)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        client = Raw.over_stdio(proc)
        client.initialize(root, {"dream": {"idleSeconds": 600}})
        target = root / "json" / "decoder.py"
        uri, text = target.as_uri(), target.read_text()
        client.open(uri, text)
        row = text.splitlines().index("def grown_1_3(a, b=3):")
        hover = {"textDocument": {"uri": uri}, "position": {"line": row, "character": 5}}
        assert "Grown 3." in client.request("textDocument/hover", hover)["result"]["contents"]["value"]

        filler = fill(small_disk)
        grow(root, 2)
        failures = {}
        for command in (["scan", str(root)], ["dream", "--root", str(root)]):
            done = kairos(root, store, *command)
            failures[command[0]] = done
            assert done.returncode != 0, f"kairos {command[0]} on a full disk: {done.stdout}"
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
            assert "full" in lines[0] or "space" in lines[0], lines[0]
        # the server: an edit recorded and a dream asked for, both on the full disk
        text = "def typed_on_a_full_disk(x):\n    '''Typed.'''\n    return x\n\n\n" + text
        client.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text}]}
        )
        answered = client.request("workspace/executeCommand", {"command": "kairos.dreamNow"}, 60)
        assert "error" in answered["result"] or "error" in answered, answered
        assert client.request("textDocument/hover", hover | {"position": {"line": row + 5, "character": 5}})["result"]
        assert proc.poll() is None
        assert counts(store) >= stored  # nothing stored was lost

        # space freed: everything works again, the running server too
        filler.unlink()
        assert kairos(root, store, "scan", str(root)).returncode == 0
        dreamt = client.request("workspace/executeCommand", {"command": "kairos.dreamNow"}, 120)
        assert "error" not in dreamt.get("result", {}) and "error" not in dreamt, dreamt
        done = kairos(root, store, "dream", "--root", str(root))
        assert done.returncode == 0, done.stderr
        typed = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}}
        client.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": text}]}
        )
        assert "Typed." in client.request("textDocument/hover", typed)["result"]["contents"]["value"]
        after = counts(store)
        assert after[0] > stored[0] and after[1] >= stored[1]
        assert client.shutdown(proc) == 0
    finally:
        kill(proc)
    err = proc.stderr.read().decode()
    assert "Traceback" not in err, err
    print(
        f"\nfull disk: scan said {failures['scan'].stderr.strip()!r} (exit {failures['scan'].returncode}), "
        f"dream said {failures['dream'].stderr.strip()!r} (exit {failures['dream'].returncode}); "
        f"the server logged {err.strip().splitlines()}; memory {stored} before, {after} after space was freed"
    )
