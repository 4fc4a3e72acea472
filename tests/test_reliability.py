"""Reliability of the real server process: a buffer far over maxFileBytes costs neither a parse
nor gigabytes, and the editor keeps its answers meanwhile."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest
from rawlsp import REPO, Raw, kill, start_server, vm_hwm_mb

SMALL = 'def small(a, b=1):\n    """Small one."""\n    return a + b\n'
UNIT = 'def f{i}(a, b=2):\n    """Doc {i}."""\n    return a + b\n\n'


def point_range(line: int, character: int) -> dict:
    return {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's peak memory from /proc")
def test_a_50_mb_buffer_is_neither_parsed_nor_copied(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "small.py").write_text(SMALL)
    with open(tmp_path / "stderr", "wb") as stderr:
        proc = start_server(cwd=tmp_path, stderr=stderr)
        try:
            client = Raw.over_stdio(proc)
            client.initialize(tmp_path)
            small, big = (tmp_path / "small.py").as_uri(), (tmp_path / "big.py").as_uri()
            client.open(small, SMALL)
            assert "Small one." in client.hover(small, 0, 5)["result"]["contents"]["value"]
            before = vm_hwm_mb(proc.pid)
            text = "".join(UNIT.format(i=i) for i in range(850_000))  # 52 MB, maxFileBytes is 1 MB
            assert len(text) > 50_000_000
            started = time.monotonic()
            client.open(big, text)
            del text
            answer = client.hover(small, 0, 5)  # another file: answered meanwhile
            waited = time.monotonic() - started
            assert "Small one." in answer["result"]["contents"]["value"]
            # the big buffer itself: edits (incremental and whole) taken without a reply, hovers answer nothing
            client.notify(
                "textDocument/didChange",
                {
                    "textDocument": {"uri": big, "version": 2},
                    "contentChanges": [{"range": point_range(0, 0), "text": "#"}],
                },
            )
            assert client.hover(big, 0, 5)["result"] is None
            assert client.hover(big, 400_000, 5)["result"] is None
            peak = vm_hwm_mb(proc.pid)
            print(f"\n50 MB didOpen: hover on another file after {waited:.1f} s; VmHWM {before:.0f} -> {peak:.0f} MB")
            assert waited < 5.0
            assert peak < 600, f"the server's peak RSS reached {peak:.0f} MB"
            # once it fits again (a whole-text change), it is read as any buffer
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": big, "version": 3}, "contentChanges": [{"text": SMALL.replace("sm", "t")}]},
            )
            assert "Small one." in client.hover(big, 0, 5)["result"]["contents"]["value"]
            assert proc.poll() is None
            assert client.shutdown(proc) == 0
        finally:
            kill(proc)
    assert b"Traceback" not in (tmp_path / "stderr").read_bytes()


def test_an_oversize_buffer_comes_back_when_it_fits_again(tmp_path):
    """In process: edit by edit over the limit it is dropped; saved once it fits, it is read from disk."""
    from kairos_lsp.documents import Documents

    docs = Documents(tmp_path, max_bytes=200)
    path = tmp_path / "grow.py"
    doc = docs.open(path.as_uri(), SMALL, "python", 1)
    assert not doc.oversize and doc.tree is not None
    for line in range(3, 12):  # typed at the end, 30 bytes at a time
        doc.apply_change((line, 0), (line, 0), "def g(a, b, c, d, e, f, g):\n")
    assert doc.oversize and doc.tree is None and doc.text == b"" and doc.line(0) is None
    assert doc.apply_change((0, 0), (0, 0), "x") is None  # its changes are dropped now
    path.write_text(SMALL)  # the user deleted most of it and saved
    assert docs.reload(doc) and doc.language == "python" and doc.text == SMALL.encode()
    assert doc.tree is not None and not doc.tree.root_node.has_error
    path.write_text(SMALL * 10)
    doc.update(SMALL * 10)
    assert doc.oversize and not docs.reload(doc)  # still too big on disk


def test_a_server_whose_code_changed_on_disk_says_to_restart_it(tmp_path):
    """``pip install -U kairos-lsp`` while the editor is open: the server goes on with the code it
    started with, but each child it starts (a dream's worker, a scan) is a new interpreter that
    imports what is on disk, whose calls and answers the server's code may not read. The child
    ends at once and the dream asked for fails with one line saying to restart."""
    site = tmp_path / "site"  # an installed kairos the test may upgrade
    shutil.copytree(REPO / "kairos_lsp", site / "kairos_lsp", ignore=shutil.ignore_patterns("__pycache__"))
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.py").write_text(SMALL)
    proc = start_server(cwd=tmp_path, stderr=subprocess.DEVNULL, PYTHONPATH=str(site))
    raw = Raw.over_stdio(proc)
    try:
        raw.initialize(root, {"storePath": str(tmp_path / "memory.db")})
        deadline = time.monotonic() + 60
        while not any("kairos: scan" in str(n.get("params")) for n in raw.notifications):  # its scan, in a child
            assert time.monotonic() < deadline, raw.notifications
            time.sleep(0.05)
        upgraded = site / "kairos_lsp" / "observe.py"
        upgraded.write_text(upgraded.read_text() + "\n# the next release\n")
        refused = raw.request("workspace/executeCommand", {"command": "kairos.dreamNow"}, timeout=60)
        assert "changed on disk" in refused["result"]["error"] and "restart" in refused["result"]["error"], refused
        logged = [n["params"]["message"] for n in raw.notifications if n["method"] == "window/logMessage"]
        assert any("restart it to use the new version" in line for line in logged), logged
        assert raw.shutdown(proc) == 0
    finally:
        kill(proc)
