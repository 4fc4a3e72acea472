"""One typed settings object, from initializationOptions, environment or CLI flags.

>>> Settings.from_options({"dream": {"idleSeconds": 5}, "exclude": ["build/**"]}).idle_seconds
5.0
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_FILE_BYTES = 1_000_000
KNOWN_OPTIONS = {"dream", "llm", "storePath", "exclude", "maxFileBytes", "edit"}


@dataclass(frozen=True)
class Settings:
    store_path: str | None = None  # None: <workspace>/.kairos/memory.db (or KAIROS_STORE)
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, on top of .gitignore
    idle_seconds: float = 30.0
    llm_provider: str = "none"
    llm_model: str | None = None
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    debounce_ms: float = 200.0  # quiet time after the last keystroke before a buffer is re-observed
    unknown: tuple[str, ...] = field(default=(), compare=False)  # options we did not understand

    @classmethod
    def from_options(cls, options: Any = None, env: dict[str, str] | None = None) -> "Settings":
        """Read ``initializationOptions``; bad values fall back to defaults and are reported in ``unknown``."""
        env = os.environ if env is None else env
        problems: list[str] = []
        if options is not None and not isinstance(options, dict):
            problems.append(f"initializationOptions must be an object, not {type(options).__name__}")
        options = options if isinstance(options, dict) else {}
        unknown = sorted(set(options) - KNOWN_OPTIONS)
        if unknown:
            problems.append("unknown options: " + ", ".join(unknown))
        dream = options.get("dream") if isinstance(options.get("dream"), dict) else {}
        llm = options.get("llm") if isinstance(options.get("llm"), dict) else {}

        idle = _number(dream.get("idleSeconds", env.get("KAIROS_DREAM_IDLE_SECONDS", 30.0)),
                       30.0, "dream.idleSeconds", problems)
        max_bytes = int(_number(options.get("maxFileBytes", env.get("KAIROS_MAX_FILE_BYTES",
                                                                     DEFAULT_MAX_FILE_BYTES)),
                                DEFAULT_MAX_FILE_BYTES, "maxFileBytes", problems))
        edit = options.get("edit") if isinstance(options.get("edit"), dict) else {}
        debounce = _number(edit.get("debounceMs", env.get("KAIROS_DEBOUNCE_MS", 200.0)),
                           200.0, "edit.debounceMs", problems)
        exclude = options.get("exclude", [])
        if not isinstance(exclude, list) or not all(isinstance(p, str) for p in exclude):
            problems.append("exclude must be a list of glob strings")
            exclude = []
        provider = llm.get("provider", "none")
        if provider not in ("none", "anthropic"):
            problems.append(f"llm.provider must be 'none' or 'anthropic', not {provider!r}")
            provider = "none"
        store = options.get("storePath")
        if store is not None and not isinstance(store, str):
            problems.append("storePath must be a string")
            store = None
        return cls(store_path=store, exclude=tuple(exclude), idle_seconds=idle,
                   llm_provider=provider, llm_model=llm.get("model"), max_file_bytes=max_bytes,
                   debounce_ms=debounce, unknown=tuple(problems))


def _number(value: Any, default: float, name: str, problems: list[str]) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        problems.append(f"{name} must be a number, not {value!r}")
        return default
    if number < 0:
        problems.append(f"{name} must not be negative")
        return default
    return number
