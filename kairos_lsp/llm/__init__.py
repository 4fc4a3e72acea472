"""Claude, opt-in and private: summaries, insights, argument fills and proposed fixes.

Nothing here reaches the network unless ``llm.provider`` is ``"anthropic"`` and
``ANTHROPIC_API_KEY`` is set; every use then returns the offline answer (None, or
``[]``) otherwise, and on any failure. The pieces:

- :mod:`~kairos_lsp.llm.redact`: secrets out of the text, counted by kind;
- :mod:`~kairos_lsp.llm.payload`: the contexts, what a request carries, exclusion globs, :func:`dry_run`;
- :mod:`~kairos_lsp.llm.client`: :class:`Claude`, the one door (cache, budget, limits, audit);
- :mod:`~kairos_lsp.llm.uses`: :func:`summarize`, :func:`summarize_many`, :func:`insights`,
  :func:`fill_argument`, :func:`propose_fix`.

>>> from kairos_lsp.config import Settings
>>> claude = Claude(Settings(llm_provider="anthropic"), store=None, log=lambda level, message: None, env={})
>>> summarize(claude, SymbolContext("python:a.py:f", "a.py", "python", "function", "def f(): pass"))  # no key: None
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kairos_lsp.llm.client import DEFAULT_MODEL, Claude, Log, Raw, Rejected
from kairos_lsp.llm.payload import (
    DEFAULT_EXCLUDE,
    Caller,
    CallSiteContext,
    FailureContext,
    Payload,
    SymbolContext,
    dry_run,
    excluded,
    payload_for,
    symbol_context,
)
from kairos_lsp.llm.uses import Insight, Summary, fill_argument, insights, propose_fix, summarize, summarize_many
from kairos_lsp.store import Store

__all__ = [
    "DEFAULT_EXCLUDE",
    "DEFAULT_MODEL",
    "CallSiteContext",
    "Caller",
    "Claude",
    "FailureContext",
    "Insight",
    "Log",
    "Payload",
    "Raw",
    "Rejected",
    "Summary",
    "SymbolContext",
    "audit_log",
    "dry_run",
    "excluded",
    "fill_argument",
    "insights",
    "payload_for",
    "propose_fix",
    "summarize",
    "summarize_many",
    "symbol_context",
    "status",
    "usage_today",
]


def usage_today(store: Store, daily_tokens: int) -> dict:
    """``{"day", "used", "budget", "left"}`` for ``kairos status`` (no client needed)."""
    from kairos_lsp.llm.client import today

    used = store.llm_tokens_on(today())
    return {"day": today(), "used": used, "budget": daily_tokens, "left": max(0, daily_tokens - used)}


def status(settings, store: Store | None, env: Mapping[str, str] | None = None) -> dict:
    """What Claude may do here, for ``kairos status`` and ``kairos.status``: off (nothing
    leaves the machine), opted in without a key, or on; with today's tokens against the
    budget once opted in."""
    env = os.environ if env is None else env
    provider = settings.llm_provider
    out: dict = {"provider": provider, "model": settings.llm_model or DEFAULT_MODEL}
    if provider == "none":
        out["state"] = "off: everything stays on this machine"
    elif not env.get("ANTHROPIC_API_KEY"):
        out["state"] = "opted in, but ANTHROPIC_API_KEY is not set: nothing is sent"
    else:
        out["state"] = "on: redacted snippets go to Claude (kairos privacy shows each request)"
    if store is not None and provider != "none":
        out["tokens_today"] = usage_today(store, settings.llm_daily_tokens)
    return out


def audit_log(store: Store, limit: int = 50) -> list[dict]:
    """The latest requests, newest first: ``at``, ``purpose``, ``model``, ``symbol``,
    ``tokens_in``, ``tokens_out``, ``redacted`` ({kind: count}), ``cached``, ``outcome``."""
    return store.llm_audit_log(limit)
