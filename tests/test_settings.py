"""Initialization options, read directly: every option, environment overrides, bad values."""

from __future__ import annotations

import doctest

import pytest

from kairos_lsp import config
from kairos_lsp.config import DEFAULT_MAX_FILE_BYTES, InitializationOptions, Settings

DEFAULTS = Settings()


def read(options, env=None) -> Settings:
    return Settings.from_options(options, env=env or {})


def test_no_options_give_the_defaults():
    for options in (None, {}):
        settings = read(options)
        assert settings == DEFAULTS and settings.unknown == ()
    assert DEFAULTS.store_path is None and DEFAULTS.exclude == () and DEFAULTS.idle_seconds == 30.0
    assert DEFAULTS.llm_provider == "none" and DEFAULTS.llm_model is None
    assert DEFAULTS.max_file_bytes == DEFAULT_MAX_FILE_BYTES and DEFAULTS.debounce_ms == 200.0


@pytest.mark.parametrize(
    "options, field, value",
    [
        ({"dream": {"idleSeconds": 5}}, "idle_seconds", 5.0),
        ({"dream": {"idleSeconds": 0.25}}, "idle_seconds", 0.25),
        ({"dream": {"idleSeconds": "7"}}, "idle_seconds", 7.0),  # a number in a string, as env gives it
        ({"llm": {"provider": "anthropic"}}, "llm_provider", "anthropic"),
        ({"llm": {"provider": "none"}}, "llm_provider", "none"),
        ({"llm": {"model": "claude-x"}}, "llm_model", "claude-x"),
        ({"llm": {"model": None}}, "llm_model", None),
        ({"llm": {"dailyTokens": 5000}}, "llm_daily_tokens", 5000),
        ({"llm": {"dailyTokens": 0}}, "llm_daily_tokens", 0),
        ({"llm": {"exclude": ["vault/**", "*.secret"]}}, "llm_exclude", ("vault/**", "*.secret")),
        ({"llm": {"maxConcurrency": 4}}, "llm_max_concurrency", 4),
        ({"llm": {"timeoutSeconds": 2.5}}, "llm_timeout_seconds", 2.5),
        ({"storePath": "/tmp/m.db"}, "store_path", "/tmp/m.db"),
        ({"storePath": None}, "store_path", None),
        ({"exclude": ["build/**", "*.min.js"]}, "exclude", ("build/**", "*.min.js")),
        ({"exclude": []}, "exclude", ()),
        ({"maxFileBytes": 2048}, "max_file_bytes", 2048),
        ({"maxFileBytes": 1e6}, "max_file_bytes", 1_000_000),
        ({"edit": {"debounceMs": 50}}, "debounce_ms", 50.0),
        ({"edit": {"debounceMs": 0}}, "debounce_ms", 0.0),
    ],
)
def test_every_option_is_read(options, field, value):
    settings = read(options)
    assert getattr(settings, field) == value
    assert settings.unknown == ()
    others = {f: getattr(DEFAULTS, f) for f in DEFAULTS.__dataclass_fields__ if f not in (field, "unknown")}
    assert {f: getattr(settings, f) for f in others} == others


def test_all_options_at_once():
    settings = read(
        {
            "dream": {"idleSeconds": 1},
            "llm": {"provider": "anthropic", "model": "m"},
            "storePath": "s.db",
            "exclude": ["x/"],
            "maxFileBytes": 10,
            "edit": {"debounceMs": 5},
        }
    )
    assert settings == Settings(
        store_path="s.db",
        exclude=("x/",),
        idle_seconds=1.0,
        llm_provider="anthropic",
        llm_model="m",
        max_file_bytes=10,
        debounce_ms=5.0,
    )
    assert settings.unknown == ()


@pytest.mark.parametrize(
    "options, field, message",
    [
        ({"dream": {"idleSeconds": "soon"}}, "idle_seconds", "dream.idleSeconds must be a number, not 'soon'"),
        ({"dream": {"idleSeconds": -1}}, "idle_seconds", "dream.idleSeconds must not be negative"),
        ({"dream": {"idleSeconds": True}}, "idle_seconds", "dream.idleSeconds must be a number, not True"),
        ({"dream": {"idleSeconds": None}}, "idle_seconds", "dream.idleSeconds must be a number, not None"),
        ({"dream": 5}, "idle_seconds", "dream must be an object, not 5"),
        ({"llm": {"provider": "openai"}}, "llm_provider", "llm.provider must be 'none' or 'anthropic', not 'openai'"),
        ({"llm": {"model": 4}}, "llm_model", "llm.model must be a string, not 4"),
        (
            {"files": {"watcher": "polling"}},
            "files_watcher",
            "files.watcher must be 'auto', 'editor', 'server' or 'off', not 'polling'",
        ),
        ({"llm": "anthropic"}, "llm_provider", "llm must be an object, not 'anthropic'"),
        ({"llm": {"dailyTokens": "lots"}}, "llm_daily_tokens", "llm.dailyTokens must be a number, not 'lots'"),
        ({"llm": {"exclude": ".env"}}, "llm_exclude", "llm.exclude must be a list of glob strings"),
        ({"llm": {"maxConcurrency": -2}}, "llm_max_concurrency", "llm.maxConcurrency must not be negative"),
        ({"llm": {"timeoutSeconds": "slow"}}, "llm_timeout_seconds", "llm.timeoutSeconds must be a number, not 'slow'"),
        ({"storePath": 3}, "store_path", "storePath must be a string, not 3"),
        ({"exclude": "build/"}, "exclude", "exclude must be a list of glob strings"),
        ({"exclude": ["a", 1]}, "exclude", "exclude must be a list of glob strings"),
        ({"maxFileBytes": "big"}, "max_file_bytes", "maxFileBytes must be a number, not 'big'"),
        ({"maxFileBytes": -5}, "max_file_bytes", "maxFileBytes must not be negative"),
        ({"maxFileBytes": "inf"}, "max_file_bytes", "maxFileBytes must be a finite number, not 'inf'"),
        ({"edit": {"debounceMs": "fast"}}, "debounce_ms", "edit.debounceMs must be a number, not 'fast'"),
        ({"edit": {"debounceMs": -1}}, "debounce_ms", "edit.debounceMs must not be negative"),
    ],
)
def test_a_bad_value_is_one_line_and_its_default_applies(options, field, message):
    good = {"storePath": "kept.db"} if field != "store_path" else {"maxFileBytes": 77}
    settings = read({**options, **good})
    assert settings.unknown == (message,)
    assert getattr(settings, field) == getattr(DEFAULTS, field)
    if field != "store_path":
        assert settings.store_path == "kept.db"  # the others still apply
    else:
        assert settings.max_file_bytes == 77


def test_several_bad_values_give_one_line_each_and_the_rest_applies():
    settings = read(
        {
            "dream": {"idleSeconds": "soon"},
            "exclude": "build/",
            "storePath": 3,
            "edit": {"debounceMs": 10},
            "llm": {"provider": "anthropic", "model": 1},
        }
    )
    assert sorted(settings.unknown) == sorted(
        [
            "dream.idleSeconds must be a number, not 'soon'",
            "exclude must be a list of glob strings",
            "storePath must be a string, not 3",
            "llm.model must be a string, not 1",
        ]
    )
    assert all("\n" not in line for line in settings.unknown)
    assert settings.debounce_ms == 10.0 and settings.llm_provider == "anthropic"
    assert settings.idle_seconds == 30.0 and settings.exclude == () and settings.store_path is None


def test_unknown_options_are_named_and_ignored():
    settings = read({"colour": "blue", "banana": 1, "dream": {"idleSeconds": 2, "deep": True}})
    assert set(settings.unknown) == {"unknown options: banana, colour", "unknown option: dream.deep"}
    assert settings.idle_seconds == 2.0


@pytest.mark.parametrize("options", [[1, 2], "dream", 42])
def test_options_that_are_not_an_object(options):
    settings = read(options)
    assert settings.unknown == (f"initializationOptions must be an object, not {type(options).__name__}",)
    assert settings == DEFAULTS


@pytest.mark.parametrize(
    "variable, field, text, value",
    [
        ("KAIROS_DREAM_IDLE_SECONDS", "idle_seconds", "2.5", 2.5),
        ("KAIROS_MAX_FILE_BYTES", "max_file_bytes", "4096", 4096),
        ("KAIROS_DEBOUNCE_MS", "debounce_ms", "50", 50.0),
        ("KAIROS_FILES_WATCHER", "files_watcher", "off", "off"),
    ],
)
def test_environment_fills_in_what_the_options_leave_out(variable, field, text, value):
    assert getattr(read({}, {variable: text}), field) == value
    assert getattr(read(None, {variable: text}), field) == value
    option = {
        "idle_seconds": {"dream": {"idleSeconds": 9}},
        "max_file_bytes": {"maxFileBytes": 9},
        "debounce_ms": {"edit": {"debounceMs": 9}},
        "files_watcher": {"files": {"watcher": "server"}},
    }[field]
    wins = "server" if field == "files_watcher" else 9
    assert getattr(read(option, {variable: text}), field) == wins  # the client's option wins


def test_a_bad_environment_value_names_its_variable_and_the_default_applies():
    settings = read({"storePath": "s.db"}, {"KAIROS_MAX_FILE_BYTES": "lots", "KAIROS_DEBOUNCE_MS": "10"})
    assert settings.unknown == ("KAIROS_MAX_FILE_BYTES (for maxFileBytes) must be a number, not 'lots'",)
    assert settings.max_file_bytes == DEFAULT_MAX_FILE_BYTES
    assert settings.debounce_ms == 10.0 and settings.store_path == "s.db"


def test_a_bad_section_falls_back_to_the_environment():
    settings = read({"dream": "later"}, {"KAIROS_DREAM_IDLE_SECONDS": "3"})
    assert settings.unknown == ("dream must be an object, not 'later'",)
    assert settings.idle_seconds == 3.0


def test_the_process_environment_is_read_by_default(monkeypatch):
    monkeypatch.setenv("KAIROS_DEBOUNCE_MS", "75")
    assert Settings.from_options({}).debounce_ms == 75.0


def test_the_wire_shape_is_declared_once():
    parsed, problems = config.read_options({"edit": {"debounceMs": 1}}, {})
    assert isinstance(parsed, InitializationOptions) and problems == ()
    assert parsed.edit.debounce_ms == 1.0 and parsed.dream.idle_seconds == 30.0
    assert Settings.from_parsed(parsed).debounce_ms == 1.0
    assert [config.camel(n) for n in ("store_path", "max_file_bytes", "idle_seconds", "exclude")] == [
        "storePath",
        "maxFileBytes",
        "idleSeconds",
        "exclude",
    ]


def test_settings_stay_hashable_and_comparable():
    assert hash(Settings()) == hash(Settings())
    assert read({"dream": {"idleSeconds": "x"}}) == DEFAULTS  # problems are not part of equality


def test_module_examples():
    assert doctest.testmod(config).failed == 0
