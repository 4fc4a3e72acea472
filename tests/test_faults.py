"""Faults a user meets: a full disk while taking the dream lock, a dream killed mid-way."""

from __future__ import annotations

import contextlib
import errno
import os

import pytest
from workspaces import kairos

from kairos_lsp.dream import dream
from kairos_lsp.dream import lock as dream_lock
from kairos_lsp.store import Store, now


def open_fds(memory: str) -> list[str]:
    """What this process has open, but the memory's own files: SQLite keeps a descriptor of
    a closed connection's while others of the process hold locks on the file (a checkpoint's)."""
    own = {memory, f"{memory}-wal", f"{memory}-shm"}
    opened = []
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            opened.append(os.readlink(f"/proc/self/fd/{fd}"))
    return sorted(path for path in opened if path not in own)


def no_space(fd, data):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts descriptors through /proc")
def test_a_full_disk_while_taking_the_dream_lock_leaves_it_free(tmp_path, monkeypatch):
    store = Store(str(tmp_path / "memory.db"))
    try:
        before = open_fds(store.path)
        with monkeypatch.context() as m:
            m.setattr(dream_lock.os, "write", no_space)
            with pytest.raises(OSError) as raised:
                dream(store)
            assert raised.value.errno == errno.ENOSPC
        assert open_fds(store.path) == before  # no descriptor (and so no flock) left behind
        # space freed: the next dream runs, in this process as in another
        assert not dream(store).busy
        other = dream_lock.DreamLock(store.path)
        assert other.acquire()
        other.release()
        assert open_fds(store.path) == before
    finally:
        store.close()


def test_dream_log_prints_a_dream_killed_mid_way(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.py").write_text('def f(x):\n    """Double."""\n    return 2 * x\n')
    kairos("scan", cwd=tmp_path)
    kairos("dream", "--root", str(tmp_path), cwd=tmp_path)
    # what a dream killed after its start leaves: its log row begun (committed on its
    # own), never finished, so no duration
    store = Store(str(tmp_path / ".kairos" / "memory.db"))
    try:
        with store.transaction():
            killed = store.facts.start_dream("idle", now())
    finally:
        store.close()
    result = kairos("dream", "--log", "3", "--root", str(tmp_path), cwd=tmp_path)
    lines = {line.split(" ", 1)[0]: line for line in result.stdout.splitlines() if line.startswith("#")}
    assert "interrupted" in lines[f"#{killed}"]
    assert "ms" in lines[f"#{killed - 1}"]  # the finished one still shows its duration
    kairos("dream", "--log", "3", "--json", "--root", str(tmp_path), cwd=tmp_path)


def test_malformed_messages_are_one_warning_line_each_and_answered_per_spec(tmp_path):
    import json
    import subprocess
    import sys

    def frame(message: dict) -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    data = (
        frame({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}})
        + b"Content-Length: 5\r\n\r\n{bad}"  # not JSON
        + frame({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"x": 1}})  # bad params
        + frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"})
        + frame({"jsonrpc": "2.0", "method": "exit"})
    )
    done = subprocess.run(
        [sys.executable, "-m", "kairos_lsp"], input=data, capture_output=True, timeout=60, cwd=tmp_path
    )
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 2 and all(" WARNING " in line for line in lines), lines
    assert b"Traceback" not in done.stderr
    replies = [json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in done.stdout.split(b"Content-Length")[1:]]
    by_id = {reply.get("id"): reply for reply in replies if "id" in reply}
    assert by_id[None]["error"]["code"] == -32700  # not JSON: a Parse Error, id null
    assert by_id[2]["error"]["code"] == -32602  # invalid params, answered
    assert by_id[3]["result"] is None  # and the server went on
    debug = subprocess.run(
        [sys.executable, "-m", "kairos_lsp", "--log-level", "DEBUG"], input=data, capture_output=True, timeout=60
    )
    assert b"Traceback" in debug.stderr  # the traceback is there for whoever asks


def test_frames_from_a_file_or_dev_null_on_stdin_are_answered_and_end_the_server(tmp_path):
    # Editors start the server on pipes (read by the event loop itself); a recorded session
    # replayed from a file, or /dev/null, is read by pygls' thread reader instead.
    import json
    import subprocess
    import sys

    def frame(message: dict) -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n\r\n" % len(body) + body

    recorded = tmp_path / "session.lsp"
    recorded.write_bytes(
        frame({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"capabilities": {}}})
        + frame({"jsonrpc": "2.0", "id": 1, "method": "shutdown"})
        + frame({"jsonrpc": "2.0", "method": "exit"})
    )
    with recorded.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "kairos_lsp"], stdin=stdin, capture_output=True, timeout=60, cwd=tmp_path
        )
    assert done.returncode == 0, done.stderr
    replies = [json.loads(part.split(b"\r\n\r\n", 1)[1]) for part in done.stdout.split(b"Content-Length")[1:]]
    by_id = {reply.get("id"): reply for reply in replies if "id" in reply}
    assert by_id[0]["result"]["serverInfo"]["name"] == "kairos-lsp" and by_id[1]["result"] is None
    nothing = subprocess.run(
        [sys.executable, "-m", "kairos_lsp"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60, cwd=tmp_path
    )
    assert nothing.stdout == b"" and b"Traceback" not in nothing.stderr


def test_a_pipe_line_longer_than_any_header_is_dropped_and_the_next_frame_read():
    import asyncio

    from kairos_lsp.server import PipeReader

    async def read() -> list[bytes]:
        stream = asyncio.StreamReader(limit=32)
        stream.feed_data(b"x" * 80 + b"\nContent-Length: 2\r\n\r\n{}")
        stream.feed_eof()
        reader = PipeReader(stream)
        return [await reader.readline(), await reader.readline(), await reader.readexactly(5), await reader.readline()]

    assert asyncio.run(read()) == [b"Content-Length: 2\r\n", b"\r\n", b"{}", b""]
