"""Settings: the ``initializationOptions`` a client sends, declared as dataclasses.

The wire shape is :class:`InitializationOptions` (camelCase keys on the wire,
snake_case fields here), converted with cattrs as jedi-language-server does.
A bad value costs one line naming the option, and that option alone falls
back to its default (or to its environment variable); the others still apply.
:class:`Settings` is the flat view the rest of kairos reads.

>>> Settings.from_options({"dream": {"idleSeconds": 5}, "exclude": ["build/**"]}, env={}).idle_seconds
5.0
>>> Settings.from_options({"dream": {"idleSeconds": "soon"}, "maxFileBytes": 10}, env={}).unknown
("dream.idleSeconds must be a number, not 'soon'",)
"""

from __future__ import annotations

import copy
import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal

import cattrs
import pathspec
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

DEFAULT_MAX_FILE_BYTES = 1_000_000
DEFAULT_DAILY_TOKENS = 200_000
Provider = Literal["none", "anthropic"]
PROVIDERS = ("none", "anthropic")
Watcher = Literal["auto", "editor", "server", "off"]
WATCHERS = ("auto", "editor", "server", "off")


# -- the wire shape ----------------------------------------------------------------


@dataclass
class DreamOptions:
    idle_seconds: float = 30.0  # quiet time before an automatic dream


@dataclass
class LlmOptions:
    provider: Provider = "none"  # nothing leaves the machine unless this says otherwise
    model: str | None = None  # None: kairos_lsp.llm's default (a current fast Claude model)
    daily_tokens: int = DEFAULT_DAILY_TOKENS  # tokens in + out per UTC day; then the offline answers
    exclude: list[str] = field(default_factory=list)  # globs never sent, on top of .env*, *.pem, secrets/ ...
    max_concurrency: int = 2  # requests in flight at once
    timeout_seconds: float = 30.0  # per request (the SDK retries 429 and 5xx within it)


@dataclass
class EditOptions:
    debounce_ms: float = 200.0  # quiet time after the last keystroke before a buffer is re-observed


@dataclass
class DaemonOptions:
    keep_alive: bool = False  # start a `kairos daemon` for the workspace if none runs, so learning goes on


@dataclass
class FilesOptions:
    # Who tells the memory of files changed on disk while the editor is open: "auto" the
    # editor where it can, else the server; "editor" only the editor; "server" the server's
    # own watcher; "off" nobody (the next start's scan, or a daemon)
    watcher: Watcher = "auto"


@dataclass
class InitializationOptions:
    """``{"dream": {"idleSeconds"}, "llm": {"provider", "model", "dailyTokens", "exclude", "maxConcurrency",
    "timeoutSeconds"}, "storePath", "exclude",
    "maxFileBytes", "edit": {"debounceMs"}, "daemon": {"keepAlive"}, "files": {"watcher"}}``, every key optional."""

    dream: DreamOptions = field(default_factory=DreamOptions)
    llm: LlmOptions = field(default_factory=LlmOptions)
    store_path: str | None = None  # None: <workspace>/.kairos/memory.db (or KAIROS_STORE)
    exclude: list[str] = field(default_factory=list)  # gitignore-style patterns, on top of .gitignore
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    edit: EditOptions = field(default_factory=EditOptions)
    daemon: DaemonOptions = field(default_factory=DaemonOptions)
    files: FilesOptions = field(default_factory=FilesOptions)


# Environment variables that stand in for an option the client did not send.
ENVIRONMENT = {
    ("dream", "idleSeconds"): "KAIROS_DREAM_IDLE_SECONDS",
    ("maxFileBytes",): "KAIROS_MAX_FILE_BYTES",
    ("edit", "debounceMs"): "KAIROS_DEBOUNCE_MS",
    ("daemon", "keepAlive"): "KAIROS_DAEMON_KEEP_ALIVE",
    ("files", "watcher"): "KAIROS_FILES_WATCHER",
}


# -- the flat view ------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    store_path: str | None = None  # None: <workspace>/.kairos/memory.db (or KAIROS_STORE)
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, on top of .gitignore
    idle_seconds: float = 30.0
    llm_provider: str = "none"
    llm_model: str | None = None
    llm_daily_tokens: int = DEFAULT_DAILY_TOKENS
    llm_exclude: tuple[str, ...] = ()  # globs never sent to Claude, on top of the defaults
    llm_max_concurrency: int = 2
    llm_timeout_seconds: float = 30.0
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    debounce_ms: float = 200.0  # quiet time after the last keystroke before a buffer is re-observed
    daemon_keep_alive: bool = False  # the server starts a `kairos daemon` for its workspace if none runs
    files_watcher: str = "auto"  # who tells the server of files changed on disk: auto, editor, server, off
    unknown: tuple[str, ...] = field(default=(), compare=False)  # one line per option we did not take

    @classmethod
    def from_options(cls, options: Any = None, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``initializationOptions`` (environment variables fill in what it leaves out)."""
        parsed, problems = read_options(options, os.environ if env is None else env)
        return cls.from_parsed(parsed, problems)

    @classmethod
    def from_parsed(cls, options: InitializationOptions, problems: tuple[str, ...] = ()) -> Settings:
        return cls(
            store_path=options.store_path,
            exclude=tuple(options.exclude),
            idle_seconds=options.dream.idle_seconds,
            llm_provider=options.llm.provider,
            llm_model=options.llm.model,
            llm_daily_tokens=options.llm.daily_tokens,
            llm_exclude=tuple(options.llm.exclude),
            llm_max_concurrency=options.llm.max_concurrency,
            llm_timeout_seconds=options.llm.timeout_seconds,
            max_file_bytes=options.max_file_bytes,
            debounce_ms=options.edit.debounce_ms,
            daemon_keep_alive=options.daemon.keep_alive,
            files_watcher=options.files.watcher,
            unknown=problems,
        )


CONFIG_FILE = ".kairos/config.toml"  # the CLI's and the daemon's options, same keys as initializationOptions


def read_config_file(root: str | os.PathLike | None) -> dict:
    """The options in ``<root>/.kairos/config.toml`` (the same keys as ``initializationOptions``,
    e.g. ``[llm] provider = "anthropic"``), for the CLI and the daemon; ``{}`` when there is
    none, when it does not parse, or where no TOML reader is available (``tomllib`` is in
    Python 3.11+; on 3.10, ``tomli`` if installed).

    >>> read_config_file(None)
    {}
    """
    if root is None:
        return {}
    path = os.path.join(os.fspath(root), CONFIG_FILE)
    try:
        import tomllib as toml  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # Python 3.10
        try:
            import tomli as toml  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            return {}
    try:
        with open(path, "rb") as file:
            data = toml.load(file)
    except (OSError, ValueError):  # absent, unreadable, or not TOML (TOMLDecodeError is a ValueError)
        return {}
    return data if isinstance(data, dict) else {}


def cli_settings(
    root: str | os.PathLike | None, llm: str | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """The settings of a CLI command or the daemon: ``.kairos/config.toml`` (see
    :func:`read_config_file`), the environment, and ``llm`` (``--llm``) over the file's
    ``llm.provider``."""
    options = read_config_file(root)
    if llm is not None:
        section = options.get("llm")
        options["llm"] = {**(section if isinstance(section, dict) else {}), "provider": llm}
    return Settings.from_options(options, env)


# -- conversion ----------------------------------------------------------------------


class OptionError(ValueError):
    """What is wrong with one value, worded to follow the option's name."""


def camel(name: str) -> str:
    """``idle_seconds`` -> ``idleSeconds``."""
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise OptionError(f"must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"must be a number, not {value!r}") from None
    if number < 0:
        raise OptionError("must not be negative")
    if math.isnan(number):
        raise OptionError(f"must be a number, not {value!r}")
    return number


def _whole(value: Any) -> int:
    number = _number(value)
    if math.isinf(number):
        raise OptionError(f"must be a finite number, not {value!r}")
    return int(number)


def _boolean(value: Any) -> bool:
    """true/false; from the environment also 1/0, yes/no, on/off."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[value.strip().lower()]
    raise OptionError(f"must be true or false, not {value!r}")


BOOLEAN_WORDS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise OptionError(f"must be a string, not {value!r}")
    return value


def _optional_string(value: Any) -> str | None:
    return None if value is None else _string(value)


def _globs(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise OptionError("must be a list of glob strings")
    return list(value)


def _one_of(values: tuple[str, ...]) -> Callable[[Any], str]:
    """A check that the value is one of ``values``."""

    def check(value: Any) -> str:
        if value not in values:
            raise OptionError(f"must be {', '.join(map(repr, values[:-1]))} or {values[-1]!r}, not {value!r}")
        return value

    return check


def _converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=True)
    for kind, hook in ((bool, _boolean), (float, _number), (int, _whole), (str, _string)):
        converter.register_structure_hook(kind, lambda value, _, hook=hook: hook(value))

    def exactly(form: Any, check: Callable[[Any], Any]) -> None:
        converter.register_structure_hook_func(lambda t: t == form, lambda value, _: check(value))

    exactly(str | None, _optional_string)
    exactly(list[str], _globs)
    exactly(Provider, _one_of(PROVIDERS))
    exactly(Watcher, _one_of(WATCHERS))

    def section(cls):
        structure = make_dict_structure_fn(
            cls,
            converter,
            _cattrs_forbid_extra_keys=True,
            **{f.name: override(rename=camel(f.name)) for f in fields(cls)},
        )

        def checked(value, kind):
            if not isinstance(value, dict):
                raise OptionError(f"must be an object, not {value!r}")
            return structure(value, kind)

        return checked

    converter.register_structure_hook_factory(is_dataclass, section)
    return converter


CONVERTER = _converter()


def read_options(options: Any, env: Mapping[str, str]) -> tuple[InitializationOptions, tuple[str, ...]]:
    """The options as dataclasses, and one line per value not taken (its default applies)."""
    problems: list[str] = []
    if options is not None and not isinstance(options, dict):
        problems.append(f"initializationOptions must be an object, not {type(options).__name__}")
    sent = copy.deepcopy(options) if isinstance(options, dict) else {}
    refused_env: set[tuple[str, ...]] = set()
    for _ in range(20):  # each round drops at least one bad value
        raw = _with_environment(sent, env, refused_env)
        try:
            return CONVERTER.structure(raw, InitializationOptions), tuple(problems)
        except ClassValidationError as exc:
            found = list(_errors(exc, ()))
        for path, error in found:
            if isinstance(error, ForbiddenExtraKeysError):
                names = sorted(".".join((*path, key)) for key in error.extra_fields)
                problems.append(f"unknown option{'s' if len(names) > 1 else ''}: {', '.join(names)}")
                for key in error.extra_fields:
                    _drop(sent, (*path, key))
                continue
            name = ".".join(path)
            reason = str(error) if isinstance(error, OptionError) else f"is not valid: {error}"
            if _present(sent, path):
                problems.append(f"{name} {reason}")
                _drop(sent, path)
            else:  # the value came from the environment
                variable = ENVIRONMENT.get(path, "the environment")
                problems.append(f"{variable} (for {name}) {reason}")
                refused_env.add(path)
    problems.append("initializationOptions could not be read; using the defaults")
    return InitializationOptions(), tuple(problems)


def _errors(exc: BaseException, path: tuple[str, ...]):
    """(option path, error) for every leaf of a cattrs validation error."""
    if not isinstance(exc, ClassValidationError):
        yield path, exc
        return
    with_notes, without = exc.group_exceptions()
    for error, note in with_notes:
        yield from _errors(error, (*path, camel(note.name)))
    for error in without:
        yield from _errors(error, path)


def _with_environment(sent: dict, env: Mapping[str, str], refused: set[tuple[str, ...]]) -> dict:
    raw = copy.deepcopy(sent)
    for path, variable in ENVIRONMENT.items():
        if path in refused or variable not in env:
            continue
        parent = raw
        for key in path[:-1]:
            parent = parent.setdefault(key, {})
            if not isinstance(parent, dict):
                break
        else:
            parent.setdefault(path[-1], env[variable])
    return raw


def _present(raw: dict, path: tuple[str, ...]) -> bool:
    for key in path:
        if not isinstance(raw, dict) or key not in raw:
            return False
        raw = raw[key]
    return True


def _drop(raw: dict, path: tuple[str, ...]) -> None:
    parent: object = raw
    for key in path[:-1]:
        parent = parent.get(key) if isinstance(parent, dict) else None
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def gitignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """The gitignore-style rules of ``lines`` (a ``.gitignore``, ``exclude`` settings), less any
    pattern that is no pattern, as git reads them: black's tests keep a `.gitignore` of a lone
    `!` (pathspec raises; git passes over the line).

    >>> gitignore_spec(["!", "a.py"]).match_file("a.py")
    True
    """
    lines = list(lines)
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except ValueError:
        return pathspec.GitIgnoreSpec.from_lines([line for line in lines if _is_pattern(line)])


def _is_pattern(line: str) -> bool:
    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True
