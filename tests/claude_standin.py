"""A stand-in for the Anthropic Messages API on 127.0.0.1, for the real ``anthropic`` client.

``POST /v1/messages`` takes a real Messages request body (checked: model,
max_tokens, messages; tools and tool_choice when given) and answers as the API
does: a message JSON, or server-sent events (``message_start`` …
``message_stop``) when ``"stream": true``, with text or a ``tool_use`` block.
Answers are scripted in order (:meth:`ClaudeStandin.script`), else the
defaults: ``text`` for plain requests, ``tool_inputs[name]`` for a forced tool.
Failures are scripted the same way: an HTTP status with the API's error body
and headers (401, 429 with ``retry-after``, 500, 529), a slow answer (for
timeouts), a tool input that does not fit its schema, or a broken body.

Every request is kept (``requests``: path, headers, parsed body, raw bytes),
so a test can assert what was sent, and that nothing was.

>>> with ClaudeStandin() as claude:                                   # doctest: +SKIP
...     client = anthropic.Anthropic(api_key="k", base_url=claude.url)
...     client.messages.create(model="claude-haiku-5-5", max_tokens=10,
...                            messages=[{"role": "user", "content": "hi"}]).content[0].text
'A stand-in answer.'
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass
class Reply:
    """One scripted answer. ``kind``: text | tool | error | broken."""

    kind: str = "text"
    text: str = ""
    tool_input: Any = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a timeout, or requests in flight at once)
    raw: bytes = b""


def text(answer: str, delay: float = 0.0) -> Reply:
    return Reply("text", text=answer, delay=delay)


def tool(tool_input: Any, delay: float = 0.0) -> Reply:
    return Reply("tool", tool_input=tool_input, delay=delay)


def error(status: int, headers: dict[str, str] | None = None, message: str = "scripted failure") -> Reply:
    return Reply("error", status=status, headers=headers or {}, text=message)


def slow(seconds: float, reply: Reply | None = None) -> Reply:
    reply = reply or text("Too late.")
    reply.delay = seconds
    return reply


def broken() -> Reply:
    return Reply("broken", raw=b'{"id": "msg_x", "type": "mess')


def tokens(text: str) -> int:
    """The stand-in's token count: one per four characters, at least one."""
    return max(1, len(text) // 4)


class ClaudeStandin:
    """The server; a context manager. ``url`` is its base URL (for ``ANTHROPIC_BASE_URL``)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.text = "A stand-in answer."
        self.tool_inputs: dict[str, Any] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once (no 40 ms delayed-ACK stall)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                standin._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> ClaudeStandin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, *replies: Reply) -> None:
        """Answers for the next requests, in order (then the defaults)."""
        with self._lock:
            self._script.extend(replies)

    @property
    def bodies(self) -> list[dict]:
        return [r["body"] for r in self.requests]

    def received(self) -> bytes:
        """Every byte of every request body received, for "was this ever sent" checks."""
        return b"\n".join(r["raw"] for r in self.requests)

    # -- answering -------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            self.requests.append(
                {
                    "path": handler.path,
                    "headers": {k.lower(): v for k, v in handler.headers.items()},
                    "body": body,
                    "raw": raw,
                }
            )
            reply = self._script.popleft() if self._script else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if reply is not None and reply.delay:
                time.sleep(reply.delay)
            problem = self._invalid(handler, body)
            if problem:
                return self._error(handler, 404 if "path" in problem else 400, problem, {})
            if reply is None:
                choice = body.get("tool_choice") or {}
                if choice.get("type") == "tool":
                    reply = tool(self.tool_inputs.get(choice["name"], {}))
                else:
                    reply = text(self.text)
            if reply.kind == "error":
                return self._error(handler, reply.status, reply.text, reply.headers)
            if reply.kind == "broken":
                return self._send(handler, 200, reply.raw, "application/json")
            if reply.kind == "tool":
                choice = body.get("tool_choice") or {}
                name = choice.get("name") or (body.get("tools") or [{}])[0].get("name", "tool")
                block = {
                    "type": "tool_use",
                    "id": f"toolu_{next(self._ids):06d}",
                    "name": name,
                    "input": reply.tool_input,
                }
                stop = "tool_use"
            else:
                block = {"type": "text", "text": reply.text}
                stop = "end_turn"
            usage = {"input_tokens": tokens(json.dumps(body)), "output_tokens": tokens(json.dumps(block))}
            message = {
                "id": f"msg_{next(self._ids):06d}",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [block],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": usage,
            }
            if body.get("stream"):
                return self._stream(handler, message)
            return self._send(handler, 200, json.dumps(message).encode(), "application/json")
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout)
            return None
        finally:
            with self._lock:
                self.in_flight -= 1

    @staticmethod
    def _invalid(handler: BaseHTTPRequestHandler, body: Any) -> str | None:
        if handler.path.split("?")[0] != "/v1/messages":
            return f"unknown path {handler.path}"
        if not handler.headers.get("x-api-key") and not handler.headers.get("authorization"):
            return "x-api-key header is required"
        if not isinstance(body, dict):
            return "the body is not a JSON object"
        if not isinstance(body.get("model"), str) or not isinstance(body.get("max_tokens"), int):
            return "model and max_tokens are required"
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "messages: a non-empty list is required"
        for message in messages:
            if message.get("role") not in ("user", "assistant") or "content" not in message:
                return "messages: each needs a role and content"
        choice = body.get("tool_choice")
        if choice is not None:
            names = {t.get("name") for t in body.get("tools") or []}
            if choice.get("type") == "tool" and choice.get("name") not in names:
                return f"tool_choice names {choice.get('name')!r}, which tools do not define"
            for each in body.get("tools") or []:
                if not isinstance(each.get("input_schema"), dict) or each["input_schema"].get("type") != "object":
                    return "tools: input_schema must be a JSON schema object"
        return None

    def _error(self, handler: BaseHTTPRequestHandler, status: int, message: str, headers: dict[str, str]) -> None:
        body = {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": message}}
        self._send(handler, status, json.dumps(body).encode(), "application/json", headers)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        handler.send_response(status)
        handler.send_header("content-type", kind)
        handler.send_header("content-length", str(len(data)))
        handler.send_header("request-id", "req_standin")
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    @staticmethod
    def _stream(handler: BaseHTTPRequestHandler, message: dict) -> None:
        block = message["content"][0]
        start = {**message, "content": [], "stop_reason": None, "usage": {**message["usage"], "output_tokens": 1}}
        events: list[tuple[str, dict]] = [("message_start", {"type": "message_start", "message": start})]
        if block["type"] == "text":
            events.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                )
            )
            events.append(("ping", {"type": "ping"}))
            words = block["text"].split(" ")
            for i, word in enumerate(words):
                piece = word if i == len(words) - 1 else word + " "
                events.append(
                    (
                        "content_block_delta",
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                    )
                )
        else:
            events.append(
                (
                    "content_block_start",
                    {"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}},
                )
            )
            encoded = json.dumps(block["input"])
            for i in range(0, len(encoded), 16):
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "input_json_delta", "partial_json": encoded[i : i + 16]},
                        },
                    )
                )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": 0}))
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                    "usage": {"output_tokens": message["usage"]["output_tokens"]},
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        handler.send_header("cache-control", "no-cache")
        handler.send_header("connection", "close")
        handler.end_headers()
        for name, data in events:
            handler.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            handler.wfile.flush()
        handler.close_connection = True
