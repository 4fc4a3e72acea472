"""Tracebacks and stacks in a block of text: Python (native and pytest's forms) and JS (node, jest, vitest).

Every pattern here is anchored and free of nested ambiguous repeats, and lines
longer than ``MAX_LINE`` are never matched, so a block parses in linear time.

>>> exc_type, message, frames = failure_of('''Traceback (most recent call last):
...   File "app.py", line 3, in <module>
...     main()
...   File "lib/core.py", line 9, in main
...     raise KeyError("k")
... KeyError: 'k'
... ''')
>>> exc_type, message, [(f.path, f.line, f.function) for f in frames]
('KeyError', "'k'", [('app.py', 3, '<module>'), ('lib/core.py', 9, 'main')])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

from kairos_lsp.terminal.model import MAX_LINE, Frame, Raised

ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,512}(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
PY_FRAME = re.compile(r'\s*File "([^"]+)", line (\d+)(?:, in (.+))?$')
EXC_LINE = re.compile(r"([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)(?:: ?(.*))?$")
PYTEST_LOC = re.compile(r"((?:[A-Za-z]:)?[^:\s][^:]*):(\d+):(?: (.*))?$")
PY_DEF = re.compile(r"[>\s]*(?:async\s+)?def\s+(\w+)")
TB_START = "Traceback (most recent call last):"
CHAINS = {
    "The above exception was the direct cause of the following exception:": "cause",
    "During handling of the above exception, another exception occurred:": "context",
}


def clean_lines(text: str) -> list[str]:
    """The lines of terminal output as a user saw them: ANSI codes gone, CRLF and ``\\r`` overwrites resolved.

    >>> clean_lines("\\x1b[31mred\\x1b[0m\\r\\n10%\\r100%\\n")
    ['red', '100%']
    """
    out = []
    for raw in text.split("\n"):
        if len(raw) > MAX_LINE * 2:  # far too long to be anything we read: keep the slot, not the text
            out.append("")
            continue
        if "\x1b" in raw:
            raw = ANSI.sub("", raw)
        if "\r" in raw:
            raw = raw.rstrip("\r")
            raw = raw.rsplit("\r", 1)[-1]
        out.append(raw if len(raw) <= MAX_LINE else "")
    if out and out[-1] == "":
        out.pop()
    return out


def uri_path(uri: str) -> str:
    """``file:///tmp/a%20b.py`` -> ``/tmp/a b.py``; ``file:///C:/x.py`` -> ``C:/x.py``; anything else unchanged."""
    if not uri.startswith("file:"):
        return uri
    rest = uri[5:]
    if rest.startswith("//"):
        rest = rest[2:]
        slash = rest.find("/")
        rest = rest[slash:] if slash > 0 else rest  # file://host/path -> /path
    path = unquote(rest)
    if len(path) > 2 and path[0] == "/" and path[2] == ":" and path[1].isalpha():
        path = path[1:]
    return path


def exception_line(line: str) -> tuple[str, str] | None:
    """``pkg.mod.Error: message`` -> (type, first line of message); None for anything else."""
    m = EXC_LINE.match(line)
    if not m:
        return None
    return m.group(1), (m.group(2) or "").strip()


def python_tracebacks(lines: Iterable[str]) -> list[Raised]:
    """Every native Python traceback in ``lines``, chained ones each as a Raised in printed order."""
    found: list[Raised] = []
    frames: list[Frame] | None = None
    chained: str | None = None
    for line in lines:
        if frames is None:
            stripped = line.strip()
            if stripped == TB_START:
                frames = []
            elif stripped in CHAINS:
                chained = CHAINS[stripped]
            elif stripped:
                chained = None
            continue
        m = PY_FRAME.match(line)
        if m:
            frames.append(Frame(m.group(1), int(m.group(2)), m.group(3)))
            continue
        if not line or line[0] in " \t":  # source, carets, "[Previous line repeated ...]"
            continue
        exc = exception_line(line)
        if exc is not None and frames:
            found.append(Raised(exc[0], exc[1], tuple(frames), chained))
        frames, chained = None, None
    return found


def js_frame(line: str) -> Frame | None:
    """``at fn (path:3:7)``, ``at path:3:7`` (node, jest) or ``❯ fn path:3:7`` (vitest) -> Frame."""
    s = line.strip()
    function: str | None = None
    if s.startswith("at "):
        s = s[3:].strip()
        if s.endswith(")") and " (" in s:
            function, s = s[:-1].rsplit(" (", 1)
    elif s.startswith("❯ "):
        s = s[2:].strip()
        if " " in s:
            function, s = s.rsplit(" ", 1)
    else:
        return None
    parts = s.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or not parts[0]:
        return None
    if function is not None:
        function = function.removeprefix("async ").strip() or None
    return Frame(uri_path(parts[0]), int(parts[1]), function, int(parts[2]))


def js_stack(lines: list[str]) -> tuple[str | None, str | None, list[Frame]]:
    """The first ``Type: message`` line and the stack after it, innermost last."""
    exc_type = message = None
    frames: list[Frame] = []
    for line in lines:
        frame = js_frame(line)
        if frame is not None:
            frames.append(frame)
        elif message is None and not frames and line.strip():  # the first line says what was thrown
            exc = exception_line(line.strip())
            exc_type, message = exc if exc is not None and exc[1] else (None, line.strip())
    frames.reverse()  # JS prints the innermost frame first
    return exc_type, message, frames


def pytest_entries(lines: list[str]) -> tuple[str | None, str | None, list[Frame]]:
    """pytest's own traceback forms (``--tb=long|short|auto|line``): its ``path:line: in fn`` locations.

    The function of a long entry, printed without ``in fn``, is read from the ``def`` its source shows.
    """
    frames: list[Frame] = []
    exc_type = message = None
    last_def: str | None = None
    e_lines: list[str] = []
    for line in lines:
        if line.startswith("E ") or line == "E":
            e_lines.append(line[1:].strip())
            continue
        d = PY_DEF.match(line)
        if d:
            last_def = d.group(1)
            continue
        m = PYTEST_LOC.match(line)
        if not m:
            continue
        rest = (m.group(3) or "").strip()
        function = rest[3:].strip() if rest.startswith("in ") else last_def
        frames.append(Frame(m.group(1), int(m.group(2)), function))
        last_def = None
        if rest and not rest.startswith("in "):
            exc = exception_line(rest)
            if exc is not None and not exc[1]:
                exc_type = exc[0]  # long form's last location: "calc/parse.py:4: ValueError"
            elif message is None:
                message = rest  # --tb=line: "path:9: assert 2 == 3"
    for text in e_lines:
        if not text:
            continue
        exc = exception_line(text)
        if exc is not None and exc[1] and (exc_type is None or exc[0] == exc_type):
            exc_type, message = exc
            break
    if message is None and e_lines:
        message = next((t for t in e_lines if t), None)
    if exc_type is None and message is not None and message.startswith("assert "):
        exc_type = "AssertionError"  # pytest's rewritten assert
    return exc_type, message, frames


def failure_of(text: str) -> tuple[str | None, str | None, tuple[Frame, ...]]:
    """The exception type, first message line and frames (innermost last) of a test's failure text."""
    lines = clean_lines(text)
    if any(line.strip() == TB_START for line in lines):
        raised = python_tracebacks(lines)
        if raised:
            last = raised[-1]
            return last.exc_type, last.message, last.frames
    if any(js_frame(line) for line in lines):
        exc_type, message, frames = js_stack(lines)
        return exc_type, message, tuple(frames)
    exc_type, message, frames = pytest_entries(lines)
    if exc_type is None and message is None:
        first = next((line.strip() for line in lines if line.strip()), None)
        exc = exception_line(first) if first else None
        if exc is not None and exc[1]:
            exc_type, message = exc
        else:
            message = first
    return exc_type, message, tuple(frames)
