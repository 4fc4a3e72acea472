"""The one door to Claude: opt-in, cached, budgeted, audited, and never an exception.

:class:`Claude` is used only when ``llm.provider`` is ``"anthropic"`` and
``ANTHROPIC_API_KEY`` is set; otherwise :meth:`Claude.ask` returns None at
once, without importing the SDK or touching the network. When it is on, a
request goes: payload (already redacted) -> the cache, by (purpose, model, hash
of the payload) -> the daily budget -> a slot under the concurrency limit ->
the ``anthropic`` SDK (its own timeout, and retries with backoff on 429 and
5xx, honouring ``retry-after``) -> the answer checked by the caller's parser
-> cached and audited. Every failure is one log line and the offline answer
(None); a connection failure, a timeout, a 5xx or a 429 after the SDK's retries
also pauses requests for a while (no line per symbol while the network is
down), and a refused key (401/403) switches Claude off for the session.

>>> from kairos_lsp.config import Settings
>>> claude = Claude(Settings(), store=None, log=lambda level, message: None, env={})
>>> claude.enabled, claude.ask(None, lambda raw: raw)   # not opted in: nothing happens
(False, None)
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

from kairos_lsp.config import Settings
from kairos_lsp.llm.payload import Payload
from kairos_lsp.store import Store

DEFAULT_MODEL = "claude-haiku-5-5"  # the newest fast model the SDK's types list (anthropic 2.15)
MAX_RETRIES = 2  # the SDK's own retries (429, 5xx, connection errors), with exponential backoff
PAUSE_SECONDS = 60.0  # after the network, the service or the rate limit failed: no requests for this long
PAUSE_LIMIT = 600.0  # a retry-after longer than this is capped

Log = Callable[[str, str], None]  # log(level, message): level is "info", "warning" or "error"
T = TypeVar("T")


class Rejected(ValueError):
    """An answer that does not validate (a parser raises it): dropped, never cached."""


@dataclass(frozen=True)
class Raw:
    """What came back: the text blocks joined, the first tool call's input, and the model."""

    text: str = ""
    tool_input: Any = None
    model: str = ""

    def as_json(self) -> str:
        return json.dumps({"text": self.text, "tool_input": self.tool_input, "model": self.model}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Raw:
        data = json.loads(text)
        return cls(data.get("text", ""), data.get("tool_input"), data.get("model", ""))


def today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


def estimate_tokens(payload: Payload) -> int:
    """A cautious guess of what a request costs before it is sent: about 3.5 characters
    a token in, and its ``max_tokens`` out."""
    chars = len(payload.system) + len(payload.user) + (len(json.dumps(payload.tool)) if payload.tool else 0)
    return int(chars / 3.5) + 16 + payload.max_tokens


class Claude:
    """Claude for one workspace: settings, the store that keeps its cache and audit, a log.

    ``env`` stands in for ``os.environ`` (``ANTHROPIC_API_KEY``, ``ANTHROPIC_BASE_URL``).
    Thread-safe: the dream may ask from a pool of threads (``max_concurrency`` at once).
    The store's writes are serialised here; do not ask while the same connection holds a
    transaction open (a dream's ``store.transactions()`` group): give Claude a store of its
    own on the same file (``Store(path)``) when asking from inside one.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store | None,
        log: Log,
        env: Mapping[str, str] | None = None,
    ):
        self.settings = settings
        self.store = store
        self.log = log
        self.env = os.environ if env is None else env
        self.model = settings.llm_model or DEFAULT_MODEL
        self.exclude = tuple(settings.llm_exclude)
        self.daily_tokens = int(settings.llm_daily_tokens)
        self.opted_in = settings.llm_provider == "anthropic"
        self.enabled = self.opted_in and bool(self.env.get("ANTHROPIC_API_KEY"))
        self.off_reason: str | None = None  # why Claude stopped for this session (a refused key)
        self._client: Any = None
        self._slots = threading.BoundedSemaphore(max(1, int(settings.llm_max_concurrency)))
        self._lock = threading.Lock()  # the store, the reservations, the pause
        self._reserved = 0  # tokens of requests in flight (estimated), against the budget
        self._paused_until = 0.0
        self._said: set[str] = set()  # once-only lines already logged (no key, budget spent on a day)

    # -- the door ----------------------------------------------------------

    def ask(self, payload: Payload | None, parse: Callable[[Raw], T], stream: bool = False) -> T | None:
        """The parsed answer to ``payload``, or None (the offline answer) when Claude is off,
        the payload is None (an excluded file), the budget is spent, the request fails or
        the answer does not validate (``parse`` raises :class:`Rejected`)."""
        if not self.opted_in or payload is None:
            return None
        if not self.enabled:
            self._once(
                "no-key", "warning", "llm.provider is anthropic but ANTHROPIC_API_KEY is not set: Claude stays off"
            )
            return None
        try:
            return self._ask(payload, parse, stream)
        except Exception as exc:  # never an exception to the caller
            self.log("error", f"Claude: {payload.purpose} for {payload.symbol} failed unexpectedly: {exc!r}")
            return None

    def _ask(self, payload: Payload, parse: Callable[[Raw], T], stream: bool) -> T | None:
        digest = payload.digest
        cached = self._store_call(lambda s: s.llm_cached(payload.purpose, self.model, digest))
        if cached is not None:
            try:
                value = parse(Raw.from_json(cached["answer"]))
            except (Rejected, ValueError, KeyError, TypeError):
                value = None  # a cache written by an older parser: ask again
            if value is not None:
                self._audit(payload, outcome="cached", cached=True)
                return value
        if self.off_reason is not None or time.monotonic() < self._paused_until:
            return None  # (answers already cached are still served: nothing is sent for them)
        cost = estimate_tokens(payload)
        with self._lock:
            used = self._used_today()
            if used + self._reserved + cost > self.daily_tokens:
                spent = True
            else:
                spent = False
                self._reserved += cost
        if spent:
            self._once(
                f"budget-{today()}",
                "warning",
                f"Claude's daily budget is spent ({used:,} of {self.daily_tokens:,} tokens, llm.dailyTokens): "
                "offline answers until 00:00 UTC",
            )
            return None
        try:
            with self._slots:
                if time.monotonic() < self._paused_until:
                    return None
                raw, tokens_in, tokens_out = self._request(payload, stream)
        except Exception as exc:
            self._failed(payload, exc)
            return None
        finally:
            with self._lock:
                self._reserved -= cost
        try:
            value = parse(raw)
        except (Rejected, ValueError, KeyError, TypeError) as exc:
            self.log("warning", f"Claude: the {payload.purpose} answer for {payload.symbol} was dropped: {exc}")
            self._audit(payload, outcome="rejected", tokens_in=tokens_in, tokens_out=tokens_out)
            return None
        self._audit(payload, outcome="ok", tokens_in=tokens_in, tokens_out=tokens_out, answer=raw.as_json())
        return value

    # -- the SDK -----------------------------------------------------------

    def client(self) -> Any:
        """The ``anthropic.Anthropic`` client, made on first use (only when enabled)."""
        with self._lock:
            if self._client is None:
                import anthropic  # only here: without opting in the SDK is never imported

                self._client = anthropic.Anthropic(
                    api_key=self.env.get("ANTHROPIC_API_KEY"),
                    base_url=self.env.get("ANTHROPIC_BASE_URL") or None,  # None: the SDK's own default
                    timeout=float(self.settings.llm_timeout_seconds),
                    max_retries=MAX_RETRIES,
                )
            return self._client

    def _request(self, payload: Payload, stream: bool) -> tuple[Raw, int, int]:
        arguments: dict[str, Any] = {
            "model": self.model,
            "max_tokens": payload.max_tokens,
            "system": payload.system,
            "messages": [{"role": "user", "content": payload.user}],
        }
        if payload.tool is not None:
            arguments["tools"] = [payload.tool]
            arguments["tool_choice"] = {"type": "tool", "name": payload.tool["name"]}
        client = self.client()
        if stream:
            with client.messages.stream(**arguments) as events:
                message = events.get_final_message()
        else:
            message = client.messages.create(**arguments)
        text = "".join(getattr(block, "text", "") for block in message.content if block.type == "text")
        tool_input = next((block.input for block in message.content if block.type == "tool_use"), None)
        usage = message.usage
        return Raw(text, tool_input, message.model), int(usage.input_tokens or 0), int(usage.output_tokens or 0)

    def _failed(self, payload: Payload, exc: Exception) -> None:
        """One line per failure, an audit row, and a pause or a stop where asking again is futile."""
        import anthropic

        what = f"Claude: {payload.purpose} for {payload.symbol}"
        pause = 0.0
        if isinstance(exc, anthropic.APITimeoutError):
            kind, pause = "timeout", PAUSE_SECONDS
            line = f"{what} timed out after {self.settings.llm_timeout_seconds:g} s ({MAX_RETRIES} retries)"
        elif isinstance(exc, anthropic.APIConnectionError):
            kind, pause = "network", PAUSE_SECONDS
            line = f"{what}: cannot reach the API ({exc.__cause__ or exc})"
        elif isinstance(exc, (anthropic.AuthenticationError, anthropic.PermissionDeniedError)):
            kind = f"http {exc.status_code}"
            self.off_reason = f"the API refused the key ({exc.status_code})"
            line = f"{what}: the API refused ANTHROPIC_API_KEY ({exc.status_code}); Claude is off for this session"
        elif isinstance(exc, anthropic.RateLimitError):
            kind, pause = "http 429", _retry_after(exc) or PAUSE_SECONDS
            line = f"{what}: rate limited (429) after {MAX_RETRIES} retries; pausing Claude for {pause:g} s"
        elif isinstance(exc, anthropic.APIStatusError):
            kind = f"http {exc.status_code}"
            if exc.status_code >= 500:
                pause = PAUSE_SECONDS
            line = f"{what}: the API answered {exc.status_code} ({_message(exc)})"
        else:
            kind = type(exc).__name__
            line = f"{what} failed: {exc!r}"
        if pause:
            with self._lock:
                self._paused_until = max(self._paused_until, time.monotonic() + min(pause, PAUSE_LIMIT))
            line += "" if "pausing" in line else f"; pausing Claude for {pause:g} s"
        self.log("warning", line + "; the offline answer stands")
        self._audit(payload, outcome=kind)

    # -- the store ---------------------------------------------------------

    def _store_call(self, call: Callable[[Store], T]) -> T | None:
        if self.store is None:
            return None
        with self._lock:
            return call(self.store)

    def _used_today(self) -> int:
        """(Called under the lock.)"""
        return self.store.llm_tokens_on(today()) if self.store is not None else 0

    def _audit(
        self, payload: Payload, outcome: str, cached: bool = False, tokens_in=0, tokens_out=0, answer=None
    ) -> None:
        self._store_call(
            lambda s: s.record_llm_request(
                payload.purpose,
                self.model,
                payload.symbol,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                redacted=payload.redacted,
                cached=cached,
                outcome=outcome,
                payload_hash=payload.digest,
                answer=answer,
            )
        )

    def _once(self, key: str, level: str, message: str) -> None:
        with self._lock:
            if key in self._said:
                return
            self._said.add(key)
        self.log(level, message)

    # -- for kairos status and kairos privacy ------------------------------

    def usage_today(self) -> dict:
        """``{"day", "used", "budget", "left"}``: tokens sent today (UTC) against ``llm.dailyTokens``."""
        with self._lock:
            used = self._used_today()
        return {"day": today(), "used": used, "budget": self.daily_tokens, "left": max(0, self.daily_tokens - used)}

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _retry_after(exc: Any) -> float | None:
    try:
        value = exc.response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, TypeError, ValueError):
        return None


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:200]
    return str(getattr(exc, "message", exc))[:200]
