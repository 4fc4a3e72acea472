"""Symbol keys, the stable text ids of what the memory knows: built and read here only.

``python:src/auth.py:Session.login`` is ``language:path:qualified.name``; a
module is ``language:path``; a redefinition carries ``~N`` (``f~2``).

>>> key = symbol_key("python", "src/auth.py", "Session.login")
>>> key, path_of(key), qualname_of(key), name_of(key), language_of(key)
('python:src/auth.py:Session.login', 'src/auth.py', 'Session.login', 'login', 'python')
>>> name_of("python:src/auth.py"), qualname_of("python:src/auth.py"), name_of("python:m.py:f~2")
('auth', '', 'f')
"""

from __future__ import annotations

import functools
import re

# Files that hold tests, by the conventions of pytest, unittest, Go, Jest/Vitest and Mocha.
TEST_FILE = re.compile(
    r"(^|/)(tests?|__tests__|spec)/|(^|/)test_[^/]*\.py$|_tests?\.(py|go|rs)$"
    r"|\.(test|spec)\.[cm]?[jt]sx?$"
)


def symbol_key(language: str, path: str, qualname: str) -> str:
    """``python:src/auth.py:Session.login``; a module is ``python:src/auth.py``."""
    return f"{language}:{path}:{qualname}" if qualname else f"{language}:{path}"


def module_of(key: str) -> str:
    """The key of the module a symbol is in: ``python:src/a.py:Cls.m`` -> ``python:src/a.py``."""
    return ":".join(key.split(":", 2)[:2])


def language_of(key: str) -> str:
    return key.split(":", 1)[0]


def path_of(key: str) -> str:
    """``python:src/a.py:Cls.m`` -> ``src/a.py``."""
    parts = key.split(":", 2)
    return parts[1] if len(parts) > 1 else ""


def qualname_of(key: str) -> str:
    """``python:src/a.py:Cls.m`` -> ``Cls.m``; ``""`` for a module."""
    parts = key.split(":", 2)
    return parts[2] if len(parts) > 2 else ""


@functools.lru_cache(maxsize=1 << 14)  # a dream asks for the same subjects' names several times (a file's, a batch's)
def name_of(key: str) -> str:
    """The short name: ``m`` for ``Cls.m``, ``f`` for ``f~2``, the file's stem for a module."""
    parts = key.split(":", 2)
    if len(parts) < 3 or not parts[2]:
        stem = parts[1].rsplit("/", 1)[-1] if len(parts) > 1 else key
        return stem.split(".", 1)[0]
    return parts[2].rsplit(".", 1)[-1].split("~", 1)[0]


# The files a Python module is, by ending: a package's ``__init__`` before a plain module.
PYTHON_MODULE_FILES = ("/__init__.pyi", "/__init__.py", ".pyi", ".py")


def module_path(path: str) -> str | None:
    """The path a Python module is imported by, without its file's ending: ``a/m`` for
    ``a/m.py`` and for ``a/m/__init__.pyi``; a Java class's file, by the class (``com/ex/Client``
    for ``src/main/java/com/ex/Client.java``, whose import is ``com.ex.Client``); None for a file
    that is neither.

    >>> module_path("src/pkg/m.py"), module_path("src/pkg/__init__.pyi"), module_path("a.js")
    ('src/pkg/m', 'src/pkg', None)
    >>> module_path("__init__.py")  # the root folder's: no name to import it by
    ''
    >>> module_path("src/com/ex/Client.java")
    'src/com/ex/Client'
    """
    for ending in PYTHON_MODULE_FILES:
        if path == ending[1:]:  # __init__.py(i) at the root
            return ""
        if path.endswith(ending):
            return path[: -len(ending)]
    if path.endswith(".java"):
        return path[: -len(".java")]
    return None
