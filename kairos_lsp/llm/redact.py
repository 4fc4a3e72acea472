"""Secrets taken out of text before it leaves the machine, counted by kind.

Two detectors agree to disagree: ``detect-secrets`` (Yelp's maintained plugins,
run on each line through their pure ``analyze_string``: never their network
verification) and the patterns here, which cover what it misses or words
loosely (Anthropic and project-scoped OpenAI keys, ``github_pat_``, Stripe
restricted keys, passwords in URLs and in unquoted ``KEY: value`` settings,
private key blocks across lines, high-entropy tokens outside quotes). Every
match becomes ``[REDACTED:kind]``; overlapping matches count once.

>>> found = redact('API_KEY = "sk-ant-api03-' + 'x7Qm2' * 8 + '"')
>>> found.text
'API_KEY = "[REDACTED:anthropic_key]"'
>>> found.counts
{'anthropic_key': 1}
>>> redact("url = 'https://admin:" + "s3cret-Pa55" + "@db.example.com/app'").text
"url = 'https://admin:[REDACTED:url_password]@db.example.com/app'"
>>> redact("def login(self, password: str) -> bool:").counts   # code about passwords is not a secret
{}
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = "[REDACTED:{}]"
PLACEHOLDER_MARK = "[REDACTED:"

# (kind, pattern, group): the group that is the secret (0: the whole match).
_PATTERNS: list[tuple[str, re.Pattern[str], int]] = [
    (
        "private_key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)",
            re.S,
        ),
        0,
    ),
    ("anthropic_key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{20,}"), 0),
    ("openai_key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_\-]{20,}"), 0),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"), 0),
    (
        "aws_secret_key",
        re.compile(r"(?i)aws.{0,20}?(?:secret|key).{0,20}?[\"'=:\s]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"),
        1,
    ),
    ("github_token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"), 0),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), 0),
    ("slack_webhook", re.compile(r"https://hooks\.slack\.com/services/[A-Za-z0-9/_\-]+"), 0),
    ("stripe_key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"), 0),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), 0),
    # scheme://user:password@host: the password only.
    ("url_password", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@"), 1),
    # ...?access_token=...&sig=...: credentials in a query string.
    (
        "url_token",
        re.compile(
            r"(?i)[?&](?:access_token|token|api_?key|key|secret|password|sig|signature|client_secret)=([^&#\s'\"]{8,})"
        ),
        1,
    ),
]
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://\S+")

_SECRET_WORD = (
    r"[A-Za-z0-9_\-]*(?:password|passwd|passphrase|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key"
    r"|private[_\-]?key|credentials?|auth[_\-]?key)[A-Za-z0-9_\-]*"
)
# password = "...", "password": "...", PASSWORD: ..., export PASSWORD=...
_QUOTED_ASSIGNMENT = re.compile(
    rf"(?i)[\"']?\b{_SECRET_WORD}[\"']?\s*(?::=|=|:|=>)\s*[rbuf]?([\"'])((?:(?!\1)[^\\\n]|\\.){{4,}}?)\1"
)
_UPPER_ASSIGNMENT = re.compile(
    r"(?:^|(?<=[\s;{(,]))(?:export\s+)?[\"']?[A-Z0-9_]*(?:PASSWORD|PASSWD|PASSPHRASE|PWD|SECRET|TOKEN|API_?KEY|APIKEY"
    r"|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)[A-Z0-9_]*[\"']?\s*(?:=|:)[ \t]*([^\s\"'`#,;()\[\]{}]{4,})[ \t]*(?:#.*)?$",
    re.M,
)
_NOT_SECRETS = {"none", "null", "true", "false", "undefined", "required", "optional", "changeme", "string", "str"}
_TOKEN = re.compile(r"[A-Za-z0-9+/_\-]{20,}={0,2}")

# detect-secrets' plugin types -> our kinds (those not listed: lowercased, spaces to _).
_DETECT_SECRETS_KINDS = {
    "AWS Access Key": "aws_access_key",
    "GitHub Token": "github_token",
    "JSON Web Token": "jwt",
    "Private Key": "private_key",
    "Slack Token": "slack_token",
    "Stripe Access Key": "stripe_key",
    "OpenAI Token": "openai_key",
    "Secret Keyword": "password",
    "Basic Auth Credentials": "url_password",
    "Base64 High Entropy String": "high_entropy",
    "Hex High Entropy String": "high_entropy",
}
_RANK = {"private_key": 0, "password": 2, "url_password": 2, "high_entropy": 3}  # others: 1, specific
_SKIPPED_PLUGINS = {"Public IP (ipv4)"}  # an address in code is not a secret


@dataclass
class Redacted:
    """The text as it may be sent, and how many secrets of each kind were taken out."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def redact(text: str, filename: str = "snippet.py") -> Redacted:
    """``text`` with every secret found replaced by ``[REDACTED:kind]`` (``filename``
    picks detect-secrets' keyword rules for the file's language)."""
    spans = list(_pattern_spans(text)) + list(_assignment_spans(text)) + list(_detector_spans(text, filename))
    spans += list(_entropy_spans(text))
    # The most specific finding wins where two overlap (the same secret seen twice).
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(spans, key=lambda s: (_RANK.get(s[2], 1), s[0], s[0] - s[1])):
        if not any(start < e and s < end for s, e, _ in taken):
            taken.append((start, end, kind))
    chosen = sorted(taken)
    out, last = [], 0
    counts: Counter[str] = Counter()
    for start, end, kind in chosen:
        out.append(text[last:start])
        out.append(PLACEHOLDER.format(kind))
        counts[kind] += 1
        last = end
    out.append(text[last:])
    return Redacted("".join(out), dict(sorted(counts.items())))


def _pattern_spans(text: str) -> Iterator[tuple[int, int, str]]:
    for kind, pattern, group in _PATTERNS:
        for match in pattern.finditer(text):
            if match.group(group):
                yield match.start(group), match.end(group), kind


def _assignment_spans(text: str) -> Iterator[tuple[int, int, str]]:
    for match in _QUOTED_ASSIGNMENT.finditer(text):
        value, key = match.group(2), match.group(0).split("=")[0].split(":")[0].strip("\"' ").lower()
        templated = "{" in value and "}" in value
        if key.endswith("tokens") or templated or PLACEHOLDER_MARK in value:
            continue  # a count of tokens, a template, or already taken out
        if _secret_value(text, match.start(2), value):
            yield match.start(2), match.end(2), "password"
    for match in _UPPER_ASSIGNMENT.finditer(text):
        value, key = match.group(1), match.group(0).split("=")[0].split(":")[0].lower()
        if value.lower() in _NOT_SECRETS or value.startswith("$") or re.fullmatch(r"[\d._]+", value):
            continue  # a keyword, a reference to a variable, a number
        if not key.strip().endswith("tokens"):
            yield match.start(1), match.end(1), "password"


def _entropy_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Long tokens of mixed letters and digits with a high Shannon entropy, quoted or not."""
    urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if any(s <= match.start() < e for s, e in urls):
            continue  # paths and commit hashes in links; a URL's credentials are matched above
        if _high_entropy(token) and not sequential(token):
            yield match.start(), match.end(), "high_entropy"


def _high_entropy(token: str) -> bool:
    """Random-looking: letters and at least two digits, not a snake_case or CONSTANT name,
    and a Shannon entropy (bits per character) that names and words do not reach."""
    if sum(c.isdigit() for c in token) < 2 or not any(c.isalpha() for c in token):
        return False
    if re.fullmatch(r"[a-z0-9_]+|[A-Z0-9_]+", token) and "_" in token:
        return False
    entropy = shannon_entropy(token)
    if re.fullmatch(r"[0-9a-fA-F]+", token):  # hex: at most 4 bits a character
        return len(token) >= 32 and entropy >= 3.5
    # Random text switches between letters and digits often; names and versions
    # ("GStreamer-exception-2005", "cpython-310-x86_64") seldom do.
    kinds = [c.isdigit() for c in token if c.isalnum()]
    switches = sum(a != b for a, b in zip(kinds, kinds[1:]))
    return switches >= max(5, len(token) // 8) and entropy >= (3.9 if len(token) < 32 else 4.2)


_RUNS = ("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "qwertyuiop")


def sequential(token: str) -> bool:
    """An alphabet or a keyboard row (``IDENTIFIER_CHARS = "ABC...xyz0123..."``), not a secret.

    >>> sequential("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), sequential("q8ZrT4wP9x")
    (True, False)
    """
    return any(run[i : i + 8] in token for run in _RUNS for i in range(len(run) - 7))


def shannon_entropy(text: str) -> float:
    """Bits per character.

    >>> round(shannon_entropy("aaaa"), 2), round(shannon_entropy("abcd"), 2)
    (0.0, 2.0)
    """
    counts = Counter(text)
    return sum(n / len(text) * math.log2(len(text) / n) for n in counts.values())


@functools.lru_cache(maxsize=1)
def _plugins() -> tuple[tuple[Any, str, bool, float | None], ...]:
    """detect-secrets' plugins as ``(plugin, our kind, is the keyword detector, entropy
    limit)``; () when it is not installed."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
        from detect_secrets.plugins.keyword import KeywordDetector
    except ImportError:  # pragma: no cover - a dependency; the patterns here still apply
        return ()
    classes: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
    return tuple(
        (
            plugin,
            _DETECT_SECRETS_KINDS.get(kind) or _kind_name(kind),
            isinstance(plugin, KeywordDetector),
            getattr(plugin, "entropy_limit", None),
        )
        for kind, plugin in ((kind, cls()) for kind, cls in sorted(classes.items()) if kind not in _SKIPPED_PLUGINS)
    )


@functools.lru_cache(maxsize=64)
def _keyword_rules(filename: str) -> Any:
    """detect-secrets' keyword patterns for the file's type (Python, YAML, .env, ...)."""
    try:
        from detect_secrets.plugins.keyword import QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP, REGEX_BY_FILETYPE
        from detect_secrets.util.filetype import determine_file_type
    except ImportError:  # pragma: no cover - other detect-secrets versions
        return None
    return REGEX_BY_FILETYPE.get(determine_file_type(filename), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)


_KEYWORDISH = re.compile(r"(?i)pass|pwd|secret|token|key|auth|cred")


def _detector_spans(text: str, filename: str) -> Iterator[tuple[int, int, str]]:
    """detect-secrets' findings: the keyword detector line by line (lines that name a
    keyword), the others over the whole text at once (their patterns stay within a line)."""
    for plugin, kind, keyword, limit in _plugins():
        if keyword:
            rules = _keyword_rules(filename)
            offset = 0
            for line in text.splitlines(keepends=True):
                if _KEYWORDISH.search(line):
                    for secret in set(plugin.analyze_string(line, denylist_regex_to_group=rules)):
                        yield from _occurrences(line, offset, secret, kind, limit, plugin)
                offset += len(line)
        else:
            for secret in set(plugin.analyze_string(text)):
                yield from _occurrences(text, 0, secret, kind, limit, plugin)


def _occurrences(
    text: str, offset: int, secret: str, kind: str, limit: float | None, plugin: Any
) -> Iterator[tuple[int, int, str]]:
    if not secret or len(secret) < 4 or PLACEHOLDER_MARK in secret or "\n" in secret:
        return
    if limit is not None and (
        len(secret) < 16
        or plugin.calculate_shannon_entropy(secret) <= limit  # its own limit (applied in analyze_line)
        or sequential(secret)
        or sum(c.isdigit() for c in secret) < 2  # a long CamelCase name in quotes, not a key
    ):
        return
    start = text.find(secret)
    while start >= 0:
        if kind != "password" or _secret_value(text, start, secret):
            yield offset + start, offset + start + len(secret), kind
        start = text.find(secret, start + len(secret))


_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}")
_NAME_VALUE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z]+(?:_[a-z]+)+|(?:/[\w.\-{}]+)+/?")


def _secret_value(line: str, start: int, value: str) -> bool:
    """A keyword's value that may be a secret: not a keyword constant, a colour (``Token: "#ddd"``),
    a raw string (a regular expression) or an f-string."""
    if value.strip().lower() in _NOT_SECRETS or _COLOUR.fullmatch(value) or value.count(" ") >= 2:
        return False  # (words: a message or a name, not a password)
    if _NAME_VALUE.fullmatch(value):
        return False  # "ANTHROPIC_API_KEY", "refresh_token", "/v1/oauth/token": a name or a path
    return not (start >= 2 and line[start - 1] in "\"'" and line[start - 2] in "rRfF")


def _kind_name(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", secret_type.lower()).strip("_")
