"""Who may talk to a server on a socket: the real ``kairos-lsp --tcp`` and ``--socket``, real
connections. Another local user may connect to 127.0.0.1; without the token the connection is
closed, with one log line, and nothing of the workspace (docstrings, defaults) comes back."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from rawlsp import Raw, start_server

SECRET = "hunter2-vault-secret"
AUTH_PY = f'def login(user, password="{SECRET}"):\n    """Log in with the vault key."""\n    return user\n'


def workspace(root: Path) -> Path:
    (root / "ws" / ".git").mkdir(parents=True)
    (root / "ws" / "auth.py").write_text(AUTH_PY)
    return root / "ws"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connect(address, timeout: float = 20.0) -> socket.socket:
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(family)
        try:
            sock.connect(address)
            return sock
        except OSError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def open_and_hover(client: Raw, ws: Path, ident: int = 7) -> None:
    """What an intruder sends right after its initialize: open the file, hover the function,
    ask the memory's status (sending stops where the server closed the connection)."""
    uri = (ws / "auth.py").as_uri()
    item = {"uri": uri, "languageId": "python", "version": 1, "text": AUTH_PY}
    position = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}}
    try:
        client.notify("initialized", {})
        client.notify("textDocument/didOpen", {"textDocument": item})
        client.send({"jsonrpc": "2.0", "id": ident, "method": "textDocument/hover", "params": position})
        status = {"command": "kairos.status"}
        client.send({"jsonrpc": "2.0", "id": ident + 1, "method": "workspace/executeCommand", "params": status})
    except OSError:
        pass


def initialize(ws: Path, options=None) -> dict:
    params = {"processId": None, "capabilities": {}, "rootUri": ws.as_uri()}
    if options is not None:
        params["initializationOptions"] = options
    return {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}


def refused_in_time(*clients: Raw, timeout: float = 10.0) -> None:
    """Each connection closed by the server, and nothing it got back says anything of the workspace."""
    deadline = time.monotonic() + timeout
    closed = [client.closed.wait(max(0.0, deadline - time.monotonic())) for client in clients]
    everything = b"".join(body for client in clients for body in client.received)
    assert SECRET.encode() not in everything and b"vault" not in everything, everything[:300]
    assert not any("result" in reply for client in clients for reply in client.replies.values())
    assert all(closed), "the server kept talking to a connection without the token"


def stop(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.stderr is not None
    return proc.stderr.read().decode()


def test_tcp_requires_the_token_and_a_connection_without_it_learns_nothing(tmp_path):
    ws = workspace(tmp_path)
    state = tmp_path / "state"
    port = free_port()
    proc = start_server("--tcp", f"127.0.0.1:{port}", cwd=tmp_path, XDG_STATE_HOME=str(state))
    try:
        attempts = []
        # 1. an intruder's initialize without a token, then what it would ask
        intruder = Raw.over_socket(connect(("127.0.0.1", port)))
        intruder.send(initialize(ws))
        open_and_hover(intruder, ws)
        attempts.append(intruder)
        # 2. a guessed token
        guesser = Raw.over_socket(connect(("127.0.0.1", port)))
        guesser.send(initialize(ws, {"token": "0" * 43}))
        open_and_hover(guesser, ws)
        attempts.append(guesser)
        # 3. straight to a hover, no initialize
        hasty = Raw.over_socket(connect(("127.0.0.1", port)))
        open_and_hover(hasty, ws)
        attempts.append(hasty)
        # 4. not LSP at all
        garbage = Raw.over_socket(connect(("127.0.0.1", port)))
        try:
            garbage.send(b"Content-Length: 9999999999\r\n\r\n{}" + b"x" * 100_000)
        except OSError:
            pass
        attempts.append(garbage)
        refused_in_time(*attempts)

        # the token: made on first use, 0600 in a 0700 folder
        token_file = state / "kairos-lsp" / "token"
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
        token = token_file.read_text().strip()
        assert len(token) >= 32
        # the user's editor, with the token: served, and the token is no unknown option
        editor = Raw.over_socket(connect(("127.0.0.1", port)))
        reply = editor.initialize(ws, {"token": token, "dream": {"idleSeconds": 600}})
        assert "capabilities" in reply["result"]
        uri = (ws / "auth.py").as_uri()
        editor.open(uri, AUTH_PY)
        assert "vault key" in editor.hover(uri, 0, 5)["result"]["contents"]["value"]
        # a second client, even with the token, waits its turn: one client at a time
        second = Raw.over_socket(connect(("127.0.0.1", port)))
        second.send(initialize(ws, {"token": token}))
        refused_in_time(second)
        said = " ".join(str(m.get("params")) for m in editor.notifications)
        assert "ignor" not in said and token not in said, said  # the token is no unknown option
        assert editor.shutdown(proc) == 0
    finally:
        err = stop(proc)
    refusals = [line for line in err.splitlines() if "refused" in line]
    assert len(refusals) == 5, err  # one line for each connection turned away
    assert all(" WARNING " in line for line in refusals), err
    assert any("no token" in line for line in refusals) and any("wrong token" in line for line in refusals), err
    assert "Traceback" not in err and SECRET not in err and token not in err


def test_a_token_file_others_can_read_is_refused_and_the_env_token_works(tmp_path):
    ws = workspace(tmp_path)
    loose = tmp_path / "loose-token"
    loose.write_text("x" * 40)
    loose.chmod(0o644)
    proc = start_server("--tcp", f"127.0.0.1:{free_port()}", "--token-file", str(loose), cwd=tmp_path)
    assert proc.wait(30) == 2
    err = stop(proc)
    assert "only you can read" in err and len(err.strip().splitlines()) == 1, err

    port = free_port()
    token = "an-env-token-of-some-length-1234"
    proc = start_server("--tcp", f"127.0.0.1:{port}", cwd=tmp_path, KAIROS_LSP_TOKEN=token)
    try:
        editor = Raw.over_socket(connect(("127.0.0.1", port)))
        assert "capabilities" in editor.initialize(ws, {"token": token})["result"]
        assert editor.shutdown(proc) == 0
    finally:
        stop(proc)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets")
def test_a_unix_socket_is_0600_and_serves_a_plain_connection(tmp_path):
    ws = workspace(tmp_path)
    # a folder others may traverse, so that only the socket's own mode keeps them out
    folder = Path(tempfile.mkdtemp(prefix="kairos-sock-", dir="/tmp"))
    folder.chmod(0o711)
    path = folder / "kairos.sock"
    proc = start_server("--socket", str(path), cwd=tmp_path)
    try:
        sock = connect(str(path))
        assert stat.S_ISSOCK(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600
        if os.getuid() == 0:  # CI runs as root: try as another user, for real
            child = os.fork()
            if child == 0:  # pragma: no cover - the child reports through its exit code
                code = 3
                try:
                    os.setgid(65534)
                    os.setuid(65534)
                    other = socket.socket(socket.AF_UNIX)
                    try:
                        other.connect(str(path))
                        code = 1
                    except PermissionError:
                        code = 0
                finally:
                    os._exit(code)
            assert os.waitpid(child, 0)[1] >> 8 == 0, "another user could connect to the socket"
        editor = Raw.over_socket(sock)
        assert "capabilities" in editor.initialize(ws)["result"]
        uri = (ws / "auth.py").as_uri()
        editor.open(uri, AUTH_PY)
        assert "vault key" in editor.hover(uri, 0, 5)["result"]["contents"]["value"]
        assert editor.shutdown(proc) == 0
        assert not path.exists()  # the socket goes with the server
    finally:
        stop(proc)
        shutil.rmtree(folder, ignore_errors=True)
