"""Problems the memory can see in one file, each with the fixes it can offer.

Plain Python over a parsed file and the knowledge layer; the server turns
:class:`Problem` into LSP diagnostics and code actions, the CLI prints them.
Positions are tree-sitter points (row, UTF-8 byte column).

Codes (stable, used as the diagnostic ``code``):

``stale-call``       a call whose arguments no longer fit the callee's current signature
``renamed-symbol``   a reference to a name that was renamed (or moved)
``missing-symbol``   a reference to a symbol that was deleted
``docstring-drift``  documented parameters that no longer exist, or new ones undocumented
``recent-failure``   the function or its test failed in the last captured run
``deprecated-symbol`` a use of what the memory saw become deprecated (the code's own warning)

>>> problems = check_file(knowledge, "app.py", "python", source, tree)   # doctest: +SKIP
>>> [p.message for p in problems]                               # doctest: +SKIP
['`price` gained `currency` on 2026-12-01 14:50 UTC (shop.py); this call predates it: it leaves out `currency`']
"""

from __future__ import annotations

from tree_sitter import Tree

from kairos_lsp.checks import calls
from kairos_lsp.checks.calls import stale_calls
from kairos_lsp.checks.deprecations import deprecations
from kairos_lsp.checks.docs import docstring_drift
from kairos_lsp.checks.failures import recent_failures
from kairos_lsp.checks.model import (
    DEPRECATED_SYMBOL,
    DOCSTRING_DRIFT,
    MISSING_SYMBOL,
    RECENT_FAILURE,
    RENAMED_SYMBOL,
    STALE_CALL,
    CheckedFile,
    Fix,
    Problem,
    TextEdit,
)
from kairos_lsp.checks.receivers import Receivers
from kairos_lsp.checks.references import references
from kairos_lsp.extract import extract_tree
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.lines import LineIndex
from kairos_lsp.sites import AttributeRead, CallSite, Sites, find_reads, find_sites

__all__ = [
    "check_file",
    "unfit_calls",
    "apply_fix",
    "Problem",
    "Fix",
    "TextEdit",
    "CheckedFile",
    "STALE_CALL",
    "RENAMED_SYMBOL",
    "MISSING_SYMBOL",
    "DOCSTRING_DRIFT",
    "RECENT_FAILURE",
    "DEPRECATED_SYMBOL",
]


def check_file(knowledge: Knowledge, path: str, language: str, source: bytes, tree: Tree) -> list[Problem]:
    """Every problem the memory sees in ``source`` (the text of ``path`` as it is now)."""
    if tree is None:
        return []
    extraction = extract_tree(tree, source, language)
    file = CheckedFile(knowledge, path, language, source, extraction.symbols)
    sites = find_sites(tree, source, language)
    problems: list[Problem] = []
    with knowledge.resolver.held():  # one snapshot's answers for the whole file
        # (attribute reads are looked at only when named as something the memory saw go or deprecated)
        gone, deprecated = knowledge.resolver.gone_names(), knowledge.resolver.deprecated_names()
        reads = find_reads(tree, source, language, gone | deprecated)
        receivers = Receivers(file, sites.bindings, sites.replaced, sites.unnamed, sites.anonymous_classes)
        problems += references(
            file, sites.calls, sites.imports, [r for r in _imported(reads, sites) if r.name in gone], receivers
        )
        problems += deprecations(
            file,
            sites.calls,
            sites.imports,
            sites.expecting_warnings,
            [r for r in reads if r.name in deprecated],
            sites.bases,
        )
        problems += stale_calls(file, calls.judgeable(file, sites.calls, sites.expecting_type_errors), receivers)
        problems += docstring_drift(file)
        problems += recent_failures(file)
    problems.sort(key=lambda p: (p.start, p.code))
    return problems


def unfit_calls(
    knowledge: Knowledge, path: str, language: str, source: bytes, tree: Tree
) -> tuple[int, list[tuple[CallSite, str, str]]]:
    """How many calls in ``source`` are judged with certainty, and those that do not fit their
    callee now: ``(call, callee key, why)`` (see :func:`kairos_lsp.checks.calls.unfit_calls`)."""
    if tree is None:
        return 0, []
    file = CheckedFile(knowledge, path, language, source, extract_tree(tree, source, language).symbols)
    sites = find_sites(tree, source, language)
    with knowledge.resolver.held():
        judged = calls.judgeable(file, sites.calls, sites.expecting_type_errors)
        return calls.unfit_calls(
            file, judged, Receivers(file, sites.bindings, sites.replaced, sites.unnamed, sites.anonymous_classes)
        )


def _imported(reads: list[AttributeRead], sites: Sites) -> list[AttributeRead]:
    """The reads that may mean what the file imports: an attribute read (``ctx.old``), or a
    bare name (JavaScript, TypeScript: ``useStore.getState()``, ``<Avatar />``) that an import
    of the file binds, which a rename's fix rewrites with the import. A bare name of the file's
    own is its compiler's business, and is most often a local's: effect's stream.ts reads a
    local `const loop` as `zipRight(loop)` a dozen times, beside a module-level `loop` that went."""
    imported = {item.alias or item.name for item in sites.imports}
    return [read for read in reads if "." in read.text or read.text in imported]


def apply_fix(source: bytes, fix: Fix) -> bytes:
    """``source`` with a fix's edits applied (they never overlap).

    >>> apply_fix(b"f(a)\\n", Fix("t", [TextEdit((0, 3), (0, 3), ", b=...")]))
    b'f(a, b=...)\\n'
    """
    index = LineIndex(source)
    for edit in sorted(fix.edits, key=lambda e: e.start, reverse=True):  # offsets of the original text
        source = source[: index.offset(edit.start)] + edit.text.encode() + source[index.offset(edit.end) :]
    return source
