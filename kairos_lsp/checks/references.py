"""``renamed-symbol`` and ``missing-symbol``: references to names that went away."""

from __future__ import annotations

import posixpath

from kairos_lsp.checks.calls import through_receiver
from kairos_lsp.checks.model import MISSING_SYMBOL, RENAMED_SYMBOL, CheckedFile, Fix, Point, Problem, TextEdit
from kairos_lsp.checks.receivers import Receivers
from kairos_lsp.keys import name_of, path_of, qualname_of
from kairos_lsp.resolve import Gone
from kairos_lsp.sites import AttributeRead, CallSite, ImportedName, Span

# What a parse sees defined or not, with certainty: definitions. A module-level variable
# may live on where the parse does not look (a conditional block, a tuple assignment).
_DELETABLE = ("function", "method", "class", "interface", "constructor", "type", "macro", "module")


def references(
    file: CheckedFile,
    calls: list[CallSite],
    imports: list[ImportedName],
    reads: list[AttributeRead] | None = None,
    receivers: Receivers | None = None,
) -> list[Problem]:
    """Imports, calls and attribute reads (``reads``: :func:`kairos_lsp.sites.find_reads` of
    the names the memory saw go, :meth:`Resolver.gone_names`: a decorator ``@utils.old``, an
    ``except errors.OldError:``, a base class, a callback) of what was renamed, moved or deleted
    (read: a module's own names, not a class's members). Not a call or read through a name a
    function around it binds (``receivers``: its parameters and locals): called by itself, the
    name is what it holds (react-router 8's ``fetchAndDecode(args)`` in a function taking
    ``fetchAndDecode: FetchAndDecodeFunction``, once the module's function of that name went;
    apollo-client 4's ``const [, { updateQuery }] = await takeSnapshot()`` in a test's anonymous
    function, which binds in the module as kairos names scopes);
    with a member, when no annotation or construction names its class: effect's ``([executor])
    => executor.run()`` is its parameter's ``run``, not the imported module's (a typed one, ``def
    f(ctx: Context)``, is the resolver's)."""
    resolver = file.knowledge.resolver

    def shadowed(text: str, scope: str | None, at: Point) -> bool:
        head = text.split(".")[0]
        if receivers is None or head in ("self", "cls", "this", "super()", "super"):
            return False  # (the resolver's: the class the method is in)
        if head == text:  # (called by itself: any binding around it, the module's too, is what it calls)
            return receivers.local(head, scope, at) is not None
        if not receivers.bound_inside(head, scope, at) or receivers.class_of(head, scope, at) is not None:
            return False
        return resolver.given_by_fixture(file.path, text, scope) is None  # (what the fixture gives: known)

    gone: dict[str, tuple[Gone, list[Span], list[ImportedName]]] = {}
    callees: dict[str, list[str]] = {}  # the callee text of each call in ``gone``
    for item in imports:
        target = resolver.lookup(file.path, item.alias or item.name)
        if isinstance(target, Gone):
            gone.setdefault(target.key, (target, [], []))[2].append(item)
    for call in calls:
        scope = file.scope(call.callee_span.start)
        if shadowed(call.callee, scope, call.callee_span.start):
            continue
        target = resolver.lookup(file.path, call.callee, scope)
        if target is None and receivers is not None and file.language in ("go", "java"):
            # (Go's and Java's receivers, parameters, locals and fields the file's own code types:
            # the resolver reads Python's and TypeScript's annotations and locals from the memory,
            # these it does not)
            target = through_receiver(file, receivers, call.callee, scope, call.callee_span.start)
        if isinstance(target, Gone):
            gone.setdefault(target.key, (target, [], []))[1].append(call.name_span)
            callees.setdefault(target.key, []).append(call.callee)
    for read in reads or ():
        scope = file.scope(read.span.start)
        if shadowed(read.text, scope, read.span.start):
            continue
        target = resolver.lookup(file.path, read.text, scope)
        # (a module's own name only: a method gone may live on as an attribute its instances
        # are given, `self.size = 0`, which the memory does not see; reading it is fine)
        if isinstance(target, Gone) and "." not in qualname_of(target.key):
            gone.setdefault(target.key, (target, [], []))[1].append(read.name_span)
            callees.setdefault(target.key, []).append(read.text)
    out = []
    for key, (target, spans, imported) in gone.items():
        old, old_path = name_of(key), path_of(key)
        looks = file.knowledge.looks(key, ("kind",))
        when = f" on {looks[-1].at[:16].replace('T', ' ')} UTC" if looks and not looks[-1].values else ""
        was = next((look.values["kind"] for look in reversed(looks) if look.values), None)
        if target.successor is None and was not in _DELETABLE:
            continue  # a variable may still be bound where the parse does not look (`if TYPE_CHECKING:`)
        fix = None
        if target.successor is not None:
            new_path, new = path_of(target.successor), name_of(target.successor)
            if target.via == "renamed_to":
                code, message = RENAMED_SYMBOL, f"`{old}` was renamed to `{new}`{when} ({old_path})"
                fix = _rename_fix(old, new, spans, imported)
            else:
                code, message = RENAMED_SYMBOL, f"`{old}` moved to `{new_path}`{when} (from `{old_path}`)"
                fix = _move_fix(file, old_path, new_path, new, old, spans, imported)
        else:
            code, message = MISSING_SYMBOL, f"`{old}` no longer exists: it was deleted from `{old_path}`{when}"
            namesakes = [
                row
                for row in file.knowledge.store.symbols_named(old)
                if row["kind"] == was and row["path"] != old_path and "." not in row["qualname"]
            ]
            if len(namesakes) == 1:  # moved and changed on the way: the dream did not link them
                message += f"; a {was} `{old}` is defined in `{namesakes[0]['path']}`"
        if imported and code == RENAMED_SYMBOL and target.via != "renamed_to" and new == old:
            # Moved under the same name: the import is the one place to fix;
            # calls through the name it binds are right again once it is.
            local = {i.alias or i.name for i in imported}
            spans = [s for s, callee in zip(spans, callees.get(key, [])) if callee not in local]
        for where in [i.name_span for i in imported] + spans:
            problem = Problem(code, "warning", message, where.start, where.end, key)
            if fix is not None:
                problem.fixes.append(fix)
            out.append(problem)
    return out


def _rename_fix(old: str, new: str, calls: list[Span], imported: list[ImportedName]) -> Fix:
    """Rewrite the import, and the calls unless the import gave the name an alias."""
    edits = [TextEdit(i.name_span.start, i.name_span.end, new) for i in imported]
    aliased = any(i.alias for i in imported)
    if not aliased:
        edits += [TextEdit(s.start, s.end, new) for s in calls]
    return Fix(f"Use the new name `{new}`", sorted(set(edits), key=lambda e: e.start), preferred=True)


def _move_fix(
    file: CheckedFile, old_path: str, new_path: str, new: str, old: str, calls: list[Span], imported: list[ImportedName]
) -> Fix | None:
    """Point the import at the module the symbol moved to (and at its new name, if it changed)."""
    if not imported:
        return None
    edits = []
    for item in imported:
        module = _module_for(file, item.module, old_path, new_path)
        if module is None:
            return None
        edits.append(TextEdit(item.module_span.start, item.module_span.end, module))
        if new != old:
            edits.append(TextEdit(item.name_span.start, item.name_span.end, new))
    if new != old and not any(i.alias for i in imported):
        edits += [TextEdit(s.start, s.end, new) for s in calls]
    return Fix(f"Import `{new}` from its new place", sorted(set(edits), key=lambda e: e.start), preferred=True)


def _module_for(file: CheckedFile, written: str, old_path: str, new_path: str) -> str | None:
    """How this file should name ``new_path``, written the way it named ``old_path``."""
    here = posixpath.dirname(file.path)
    if written.startswith("."):
        if file.language == "python":
            return _python_relative(here, new_path)
        target = posixpath.relpath(_strip_ext(new_path), here or ".")
        return target if target.startswith(".") else "./" + target
    if file.language != "python":
        return None  # a package import: not a file of this workspace
    old_rel = _strip_ext(old_path).removesuffix("/__init__")
    written_rel = written.replace(".", "/")
    if not old_rel.endswith(written_rel):
        return None
    root = old_rel[: len(old_rel) - len(written_rel)]
    new_rel = _strip_ext(new_path).removesuffix("/__init__")
    if not new_rel.startswith(root):
        return None
    return new_rel[len(root) :].replace("/", ".")


def _python_relative(here: str, new_path: str) -> str:
    target = _strip_ext(new_path).removesuffix("/__init__")
    up = posixpath.relpath(posixpath.dirname(target) or ".", here or ".")
    dots = 1 if up == "." else 1 + up.count("..")
    if up != "." and not all(part == ".." for part in up.split("/")):
        tail = [p for p in up.split("/") if p != ".."]
        return "." * dots + ".".join(tail + [posixpath.basename(target)])
    return "." * dots + posixpath.basename(target)


def _strip_ext(path: str) -> str:
    stem, ext = posixpath.splitext(path)
    return stem if ext else path
