"""A raw JSON-RPC client for the real server: frames written byte for byte, replies read by a
thread, over the process' stdio or a socket. The reliability and fuzz tests need what
pytest-lsp will not send (wrong types, broken frames, a socket, a token) and to see every
byte that comes back."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

REPO = Path(__file__).resolve().parents[1]


def frame(message: Any) -> bytes:
    body = message if isinstance(message, bytes) else json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def server_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("KAIROS_")}
    env.update({"PYTHONPATH": str(REPO), "KAIROS_DEBOUNCE_MS": "50", "PYTHONUNBUFFERED": "1", **extra})
    return env


def start_server(*args: str, cwd: Path, stderr: BinaryIO | int = subprocess.PIPE, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "kairos_lsp", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=cwd,
        env=server_env(**env),
    )


class Raw:
    """One connection: ``send`` raw bytes or messages, ``request`` and wait for its reply.

    Requests the server makes of the client (progress tokens, configuration) are answered
    with null, as a minimal client would."""

    def __init__(self, read: BinaryIO, write):
        self._read = read
        self._write = write
        self.replies: dict[Any, dict] = {}
        self.notifications: list[dict] = []
        self.received: list[bytes] = []  # every body, as it came
        self.closed = threading.Event()
        self._arrived = threading.Condition()
        self._next = 1000
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    @classmethod
    def over_stdio(cls, proc: subprocess.Popen) -> Raw:
        assert proc.stdin is not None and proc.stdout is not None
        stdin = proc.stdin

        def write(data: bytes) -> None:
            stdin.write(data)
            stdin.flush()

        return cls(proc.stdout, write)

    @classmethod
    def over_socket(cls, sock: socket.socket) -> Raw:
        return cls(sock.makefile("rb"), sock.sendall)

    def _reader(self) -> None:
        try:
            while True:
                length = None
                while True:
                    header = self._read.readline()
                    if not header:
                        return
                    if header in (b"\r\n", b"\n"):
                        break
                    name, _, value = header.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                body = self._read.read(length)
                if len(body) < length:
                    return
                self.received.append(body)
                message = json.loads(body)
                if "method" in message and "id" in message:  # the server asks: answer null
                    try:
                        self._write(frame({"jsonrpc": "2.0", "id": message["id"], "result": None}))
                    except OSError:
                        return
                with self._arrived:
                    if "method" in message:
                        self.notifications.append(message)
                    else:
                        self.replies[_hashable(message.get("id"))] = message
                    self._arrived.notify_all()
        except (OSError, ValueError):
            return
        finally:
            self.closed.set()
            with self._arrived:
                self._arrived.notify_all()

    def send(self, message: Any) -> None:
        self._write(message if isinstance(message, bytes) and message.startswith(b"Content-Length") else frame(message))

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any = None, timeout: float = 30.0) -> dict:
        self._next += 1
        ident = self._next
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        return self.wait_reply(ident, timeout)

    def wait_reply(self, ident: Any, timeout: float = 30.0) -> dict:
        key = _hashable(ident)
        deadline = time.monotonic() + timeout
        with self._arrived:
            while key not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.closed.is_set():
                    raise TimeoutError(f"no reply to {ident!r} within {timeout} s (closed: {self.closed.is_set()})")
                self._arrived.wait(min(left, 0.5))
            return self.replies[key]

    def wait_notification(self, method: str, timeout: float = 30.0, where=lambda m: True) -> dict:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for message in self.notifications:
                    if message.get("method") == method and where(message):
                        return message
                left = deadline - time.monotonic()
                if left <= 0 or self.closed.is_set():
                    raise TimeoutError(f"no {method} within {timeout} s")
                self._arrived.wait(min(left, 0.5))

    def initialize(self, root: Path | None, options: Any = None, timeout: float = 60.0) -> dict:
        params: dict[str, Any] = {"processId": None, "capabilities": {}, "rootUri": root.as_uri() if root else None}
        if options is not None:
            params["initializationOptions"] = options
        reply = self.request("initialize", params, timeout)
        self.notify("initialized", {})
        return reply

    def open(self, uri: str, text: str, language: str = "python", version: int = 1) -> None:
        item = {"uri": uri, "languageId": language, "version": version, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": item})

    def hover(self, uri: str, line: int, character: int, timeout: float = 30.0) -> dict:
        params = {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
        return self.request("textDocument/hover", params, timeout)

    def shutdown(self, proc: subprocess.Popen, timeout: float = 30.0) -> int:
        """``shutdown``, then ``exit``: the server's exit status."""
        self.request("shutdown")
        self.notify("exit")
        return proc.wait(timeout)


def kill(proc: subprocess.Popen) -> None:
    """A server a test left running (it failed half-way) is killed and reaped."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def vm_hwm_mb(pid: int) -> float:
    """The process' peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmHWM")


def descendants(pid: int) -> set[int]:
    """Every live process whose ancestry reaches ``pid`` (read from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def tagged(tag: str) -> set[int]:
    """Live processes (not zombies) whose environment holds ``KAIROS_TEST_TAG=tag``: a test's
    whole process tree, orphans included (a child re-parented to init keeps its environment)."""
    needle = f"KAIROS_TEST_TAG={tag}".encode()
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if needle not in Path(f"/proc/{entry}/environ").read_bytes().split(b"\0"):
                continue
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            found.add(int(entry))
    return found
