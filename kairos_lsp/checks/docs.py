"""``docstring-drift``: documented parameters that no longer match the signature."""

from __future__ import annotations

from kairos_lsp import docparams
from kairos_lsp.checks.model import DOCSTRING_DRIFT, SELF_NAMES, CheckedFile, Fix, Problem, TextEdit
from kairos_lsp.store import symbol_key


def docstring_drift(file: CheckedFile) -> list[Problem]:
    out = []
    for sym in file.symbols[1:]:
        if sym.doc_span is None or not sym.parameters:
            continue
        raw = file.source[sym.doc_span[0]:sym.doc_span[1]].decode("utf-8", "replace")
        params = [name for name, _ in sym.parameters]
        if params and params[0] in SELF_NAMES and sym.kind in ("method", "constructor"):
            params = params[1:]
        drift = docparams.drift(raw, params)
        if drift is None:
            continue
        why = []
        if drift.stale:
            why.append("documents " + ", ".join(f"`{n}`" for n in drift.stale) + " which "
                       + ("is not a parameter" if len(drift.stale) == 1 else "are not parameters"))
        if drift.missing:
            why.append("leaves " + ", ".join(f"`{n}`" for n in drift.missing) + " undocumented")
        start, end = file.point(sym.doc_span[0]), file.point(sym.doc_span[1])
        key = symbol_key(file.language, file.path, sym.qualname)
        problem = Problem(DOCSTRING_DRIFT, "information",
                          f"The documentation of `{sym.qualname}` " + " and ".join(why), start, end, key)
        fixed = docparams.fix(raw, params)
        if "\n" not in raw and "\n" in fixed:  # a one-line comment grew: indent like its first line
            line_start = file.source.rfind(b"\n", 0, sym.doc_span[0]) + 1
            indent = file.source[line_start:sym.doc_span[0]].decode("utf-8", "replace")
            if not indent.strip():
                fixed = fixed.replace("\n", "\n" + indent)
        if fixed != raw:
            problem.fixes.append(Fix(f"Update the documentation of `{sym.qualname}`",
                                     [TextEdit(start, end, fixed)], preferred=True))
        out.append(problem)
    return out
