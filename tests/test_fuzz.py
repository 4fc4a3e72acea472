"""The real server against what a broken or hostile client sends: every message answered or
rejected as JSON-RPC 2.0 and LSP say, one WARNING line per bad message, and the server alive
after all of it. First the known cases, then Hypothesis: random messages (valid and invalid
JSON, wrong types, unknown methods, out-of-range positions) and random incremental edits
(emoji, CJK, CRLF) whose result is checked against the client's own copy of the text."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from rawlsp import Raw, frame, start_server

from kairos_lsp.observe import content_hash

INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, PARSE_ERROR = -32600, -32601, -32602, -32700
SPEC_ERRORS = {PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS}

A_PY = 'def alpha(x, y=2):\n    """Add them — 加法 😀."""\n    return x + y\n'


def body(message) -> bytes:
    return json.dumps(message).encode()


def status(client: Raw, timeout: float = 20.0) -> dict:
    return client.request("workspace/executeCommand", {"command": "kairos.status"}, timeout)


def test_every_malformed_message_is_answered_per_spec(tmp_path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "a.py").write_text(A_PY)
    proc = start_server(cwd=tmp_path)
    client = Raw.over_stdio(proc)
    client.initialize(tmp_path)
    # (what is sent, the id its error must carry, the error's code)
    cases = [
        ({"jsonrpc": "2.0", "id": 11, "method": "nope/unknown"}, 11, METHOD_NOT_FOUND),
        ({"jsonrpc": "1.0", "id": 12, "method": "textDocument/hover"}, 12, INVALID_REQUEST),
        ({"jsonrpc": "2.0", "id": {"an": "object"}, "method": "textDocument/hover"}, None, INVALID_REQUEST),
        ({"jsonrpc": "2.0", "id": True, "method": "textDocument/hover"}, None, INVALID_REQUEST),
        ({"jsonrpc": "2.0", "id": 15, "method": 5}, 15, INVALID_REQUEST),
        ({"id": 16, "method": "textDocument/hover"}, 16, INVALID_REQUEST),  # no "jsonrpc"
        ({"jsonrpc": "2.0", "id": 17, "method": "textDocument/hover", "params": "x"}, 17, INVALID_REQUEST),
        ({"jsonrpc": "2.0", "id": 18, "method": "textDocument/hover", "params": [1]}, 18, INVALID_PARAMS),
        ({"jsonrpc": "2.0", "id": 19, "method": "initialize", "params": {"capabilities": {}}}, 19, INVALID_REQUEST),
        ({"jsonrpc": "2.0", "id": 20, "method": "textDocument/didClose", "params": {}}, 20, INVALID_REQUEST),
        (b"[]", None, INVALID_REQUEST),
        (b"1", None, INVALID_REQUEST),
        (b'{"foo": 1}', None, INVALID_REQUEST),
        (b"{not json", None, PARSE_ERROR),
        (b"\xff\xfe\x00", None, PARSE_ERROR),
    ]
    for message, _, _ in cases:
        client.send(frame(message))
    alive = status(client)
    assert "observations" in alive["result"]
    time.sleep(0.5)
    nulls = [m for m in map(json.loads, client.received) if "id" in m and m["id"] is None and "error" in m]
    for message, ident, code in cases:
        if ident is not None:
            assert client.wait_reply(ident, 5)["error"]["code"] == code, message
    expected_nulls = sorted(code for _, ident, code in cases if ident is None)
    assert sorted(m["error"]["code"] for m in nulls) == expected_nulls
    bad = len(cases)

    # frames with a wrong Content-Length: each answered with a Parse Error, and the stream finds
    # its feet again (before: the server lived on but never answered anything again)
    short = body({"jsonrpc": "2.0", "id": 31, "method": "kairos/x"})
    client.send(b"Content-Length: %d\r\n\r\n" % (len(short) - 4) + short)
    assert "observations" in status(client, 10)["result"]
    client.send(b"Content-Length: twelve\r\n\r\n" + body({"jsonrpc": "2.0", "id": 32, "method": "kairos/x"}))
    assert "observations" in status(client, 10)["result"]
    long = body({"jsonrpc": "2.0", "id": 33, "method": "kairos/x"})
    client.send(b"Content-Length: %d\r\n\r\n" % (len(long) + 200) + long)
    # the next messages are swallowed into that body until 200 bytes have come, then read again
    swallowed = [client._next + 1, client._next + 2]
    for ident in swallowed:
        client.send({"jsonrpc": "2.0", "id": ident, "method": "workspace/executeCommand", "params": {"command": "x"}})
    client._next += 2
    for ident in swallowed:
        assert client.wait_reply(ident, 10)["error"]["code"] == INVALID_PARAMS  # an unknown command
    bad += 3 + 2
    assert "observations" in status(client, 10)["result"]

    # after shutdown, requests are refused with InvalidRequest; exit without shutdown exits 1
    assert client.request("shutdown")["result"] is None
    late = client.request(
        "textDocument/hover", {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}}
    )
    assert late["error"]["code"] == INVALID_REQUEST
    bad += 1
    client.notify("exit")
    assert proc.wait(20) == 0
    err = proc.stderr.read().decode()
    lines = err.strip().splitlines()
    assert len(lines) == bad and all(" WARNING " in line for line in lines), err
    assert "Traceback" not in err

    proc = start_server(cwd=tmp_path)
    client = Raw.over_stdio(proc)
    client.initialize(tmp_path)
    client.notify("exit")
    assert proc.wait(20) == 1


# -- Hypothesis ---------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
numbers = st.one_of(st.integers(0, 12), st.integers(-5, 2**31 + 5), json_values)
positions = st.fixed_dictionaries({"line": numbers, "character": numbers}) | json_values
methods = st.sampled_from(
    [
        "textDocument/hover",
        "textDocument/codeAction",
        "workspace/executeCommand",
        "textDocument/didChange",
        "textDocument/didOpen",
        "textDocument/didSave",
        "textDocument/didClose",
        "codeAction/resolve",
        "$/cancelRequest",
        "$/setTrace",
        "workspace/didChangeConfiguration",
        "initialize",
        "nope/unknown",
        "kairos/status",
    ]
)
COMMANDS = ["kairos.status", "kairos.explain", "kairos.forget", "kairos.confirmFact", "kairos.recentChanges", "nope"]
TEXTS = st.text(alphabet=st.sampled_from(list("ab (){}:\"'#\n\r\t é世界😀\u2028\x0c\\")), max_size=30)


@st.composite
def params_for(draw, method: str, uris: list[str]):
    uri = draw(st.sampled_from(uris) | st.text(max_size=10))
    point = {"textDocument": {"uri": uri}, "position": draw(positions)}
    span = {"start": draw(positions), "end": draw(positions)}
    choices = {
        "textDocument/hover": point,
        "textDocument/codeAction": {"textDocument": {"uri": uri}, "range": span, "context": {"diagnostics": []}},
        "workspace/executeCommand": {
            "command": draw(st.sampled_from(COMMANDS)),
            "arguments": draw(st.lists(st.sampled_from(uris) | json_values | positions, max_size=3)),
        },
        "textDocument/didChange": {
            "textDocument": {"uri": uri, "version": draw(numbers)},
            "contentChanges": draw(
                st.lists(
                    st.fixed_dictionaries({"range": st.just(span), "text": TEXTS})
                    | st.fixed_dictionaries({"text": TEXTS}),
                    max_size=3,
                )
            ),
        },
        "textDocument/didOpen": {
            "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": draw(TEXTS)}
        },
    }
    return draw(st.just(choices.get(method)) | json_values) if method in choices else draw(json_values)


@st.composite
def messages(draw, uris: list[str]):
    kind = draw(st.sampled_from(["request", "request", "request", "notification", "garbage", "json"]))
    if kind == "garbage":
        return draw(st.binary(min_size=1, max_size=20).filter(lambda b: not _is_json(b)))
    if kind == "json":
        return json.dumps(draw(json_values)).encode()
    # (not the lifecycle's own: `exit` ends the server, by the spec, and `shutdown` refuses what
    # follows; they have their cases above. Hypothesis draws text from the code's own string
    # constants too, and `"exit"` is one of kairos's)
    method = draw(methods | st.text(max_size=12).filter(lambda m: m not in ("exit", "shutdown")))
    message = {"jsonrpc": "2.0", "method": method, "params": draw(params_for(method, uris))}
    if kind == "request":
        message["id"] = 0  # numbered when sent
    return message


def _is_json(data: bytes) -> bool:
    try:
        json.loads(data)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    (root / ".git").mkdir()
    (root / "a.py").write_text(A_PY)
    (root / "crlf.py").write_bytes("def beta():\r\n    '''世界 😀'''\r\n    return 1\r\n".encode())
    stderr = open(root / "stderr", "wb")  # noqa: SIM115 - closed below
    proc = start_server(cwd=root, stderr=stderr)
    client = Raw.over_stdio(proc)
    client.initialize(root, {"dream": {"idleSeconds": 1}})
    uris = [(root / "a.py").as_uri(), (root / "crlf.py").as_uri(), (root / "gone.py").as_uri(), "untitled:Untitled-1"]
    for uri, name in zip(uris[:2], ["a.py", "crlf.py"]):
        item = {"uri": uri, "languageId": "python", "version": 1, "text": (root / name).read_bytes().decode()}
        client.notify("textDocument/didOpen", {"textDocument": item})
    yield proc, client, uris, root
    assert proc.poll() is None, "the server died"
    client.request("shutdown", timeout=30)
    client.notify("exit")
    assert proc.wait(30) == 0
    stderr.close()
    log = (root / "stderr").read_bytes()
    lines = log.splitlines()
    print(f"\nfuzz: the server logged {len(lines)} lines, {log.count(b' ERROR ')} at ERROR")
    assert b"Traceback" not in log and b" ERROR " not in log  # a client's mistakes are warnings, one line each


@settings(
    max_examples=1200,
    deadline=None,
    derandomize=True,  # the same messages on every run (CI), and no shrinking: each try costs a real round trip
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_fuzzed_messages_are_answered_or_rejected_per_spec(fuzzed, data):
    proc, client, uris, _ = fuzzed
    sent = data.draw(st.lists(messages(uris), min_size=1, max_size=8))
    waiting = []
    for message in sent:
        if isinstance(message, dict) and "id" in message:
            client._next += 1
            message = {**message, "id": client._next}
            waiting.append(message)
        client.send(frame(message))
    for message in waiting:
        reply = client.wait_reply(message["id"], 15)
        assert "result" in reply or reply["error"]["code"] in SPEC_ERRORS, (message, reply)
    assert proc.poll() is None, "the server died"
    assert "observations" in status(client)["result"]


def utf16_col(line: str, index: int) -> int:
    return len(line[:index].encode("utf-16-le")) // 2


SENTINEL = 'def omega(z):\r\n    """Sentinel doc."""\r\n    return z\r\n'


@st.composite
def comment_edits(draw, count: int):
    """Edits inside a block of comment lines (each starts with '#', and each inserted line
    too), so the code after the block parses the same whatever they do."""
    piece = st.text(alphabet=st.sampled_from(list("ab é世界😀👍🏽 \t#")), max_size=6)
    texts = st.lists(piece, min_size=1, max_size=3).map(
        lambda parts: "".join(
            p if i == 0 else draw(st.sampled_from(["\n", "\r\n"])) + "#" + p for i, p in enumerate(parts)
        )
    )
    return [(draw(st.floats(0, 1)), draw(st.floats(0, 1)), draw(st.floats(0, 1)), draw(texts)) for _ in range(count)]


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(edits=st.integers(1, 12).flatmap(comment_edits))
def test_random_incremental_edits_keep_the_servers_lines_where_the_editors_are(fuzzed, edits):
    proc, client, _, root = fuzzed
    uri = (root / f"edited_{time.monotonic_ns()}.py").as_uri()
    text = "# 世界 😀 first\r\n# second é\n# third\r\n" + SENTINEL
    client.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}
    )
    version = 1
    for at, span, where, inserted in edits:
        lines = text.split("\n")
        block = [i for i, line in enumerate(lines) if line.startswith("#")]
        start_line = block[int(at * (len(block) - 1))]
        end_line = start_line + int(span * (block[-1] - start_line))
        start_content = lines[start_line].removesuffix("\r")
        end_content = lines[end_line].removesuffix("\r")
        start_index = 1 + int(where * (len(start_content) - 1))  # after the '#', on a character boundary
        end_index = len(end_content) if end_line > start_line else start_index
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        start_at, end_at = offsets[start_line] + start_index, offsets[end_line] + end_index
        change = {
            "range": {
                "start": {"line": start_line, "character": utf16_col(start_content, start_index)},
                "end": {"line": end_line, "character": utf16_col(end_content, end_index)},
            },
            "text": inserted,
        }
        text = text[:start_at] + inserted + text[end_at:]
        version += 1
        client.notify(
            "textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
        )
    row = text.split("\n").index("def omega(z):\r")
    params = {"textDocument": {"uri": uri}, "position": {"line": row, "character": 5}}
    hover = client.request("textDocument/hover", params, 30)
    assert hover["result"] is not None and "Sentinel doc." in hover["result"]["contents"]["value"], (text, hover)
    # and the buffer the memory recorded (the hover waited for it) is the editor's, byte for byte
    with sqlite3.connect(f"file:{root / '.kairos' / 'memory.db'}?mode=ro", uri=True) as db:
        row = db.execute("SELECT content_hash FROM files WHERE path = ?", [uri.rsplit("/", 1)[1]]).fetchone()
    assert row == (content_hash(text.encode()),), text
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert proc.poll() is None
