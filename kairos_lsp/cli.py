"""``kairos``: the memory from a terminal. A thin layer over scan, store and knowledge.

    kairos scan [PATH]                  bring the memory up to date
    kairos explain [--json] FILE::QUALNAME | FILE:LINE
    kairos dream [--log N]              consolidate observations into facts now
    kairos export --json                everything the memory holds
    kairos verify [PATH] [--json]       is the memory right? it against a fresh scan and dream (exit 1: not)
    kairos stats                        sizes and counts
    kairos check [--json] PATH...       what the memory sees wrong in files or folders (as the editor shows it)
    kairos review [--json] [--since WHEN] [--mark-seen]   what the dreams changed since you last looked
    kairos demo                         scan the bundled example, edit it, show what kairos sees

Progress bars and tables when stdout is a terminal; plain, quiet lines when piped.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TextIO, TypeVar

from kairos_lsp import __version__, ingest, shell, terminal
from kairos_lsp.config import Settings, cli_settings
from kairos_lsp.dream import current_value, dream, dream_log, pending
from kairos_lsp.export import write_export
from kairos_lsp.knowledge import Knowledge
from kairos_lsp.languages import language_for_path
from kairos_lsp.launch import main as run_command
from kairos_lsp.launch import read_handoff
from kairos_lsp.lines import as_lines, one_line
from kairos_lsp.observe import FileObservation, Skipped, observe_file
from kairos_lsp.scan import IgnoreRules, iter_source_files, scan_workspace
from kairos_lsp.store import STORE_DIR, Store, StoreError, is_corruption, move_aside, store_path

if TYPE_CHECKING:
    from rich.console import Console

T = TypeVar("T")


class Plain:
    """What a command prints when nobody is watching a terminal: plain lines, no
    colour, no progress bars, and no time spent importing rich."""

    is_terminal = False
    _MARKUP = re.compile(r"\[/?(bold|italic|dim)\]")

    def __init__(self, stream=None):
        self.stream = stream

    def print(self, text: object = "", markup: bool = True, **_: object) -> None:
        line = str(text)
        print(self._MARKUP.sub("", line) if markup else line, file=self.stream or sys.stdout)

    def print_json(self, data: object = None) -> None:
        print(json.dumps(data, indent=2), file=self.stream or sys.stdout)


def console(stream: TextIO) -> Plain | Console:
    """A rich Console on a terminal, :class:`Plain` otherwise."""
    if not stream.isatty():
        return Plain(stream)
    from rich.console import Console

    return Console(file=stream)


class UsageError(Exception):
    """A mistake in what the user asked; printed as one line, exit status 2."""


def find_root(start: Path) -> Path:
    """The workspace holding ``start``: the nearest folder with ``.kairos`` or ``.git``, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".kairos").is_dir() or (folder / ".git").exists():
            return folder
    return start


def workspace_root(args, near: Path | None = None) -> Path:
    """``--root``, else the workspace holding ``near`` (default: the current folder)."""
    if getattr(args, "root", None):
        return Path(args.root).resolve()
    return find_root(near if near is not None else Path.cwd())


@contextmanager
def memory(root: Path, override: str | None = None) -> Iterator[Store]:
    """The workspace's memory (``--store``, ``KAIROS_STORE`` or ``.kairos/memory.db``), closed on the way out."""
    path = store_path(root, override)
    store = Store(path)
    if store.recovered:
        print(f"kairos: {store.recovered}", file=sys.stderr)
    try:
        yield store
    except sqlite3.DatabaseError as exc:
        if not is_corruption(exc):
            raise
        store.close()
        moved = move_aside(path)
        raise UsageError(
            f"the memory at {path} is damaged ({exc}); it was moved to {moved.name}: "
            "run the command again to start a new memory"
        ) from None
    finally:
        store.close()


# -- scan -------------------------------------------------------------------------


def cmd_scan(args, out, err) -> int:
    root = Path(args.path).resolve()
    if not root.is_dir():
        raise UsageError(f"not a folder: {args.path}")
    settings = Settings(exclude=tuple(args.exclude or ()), store_path=args.store, max_file_bytes=args.max_bytes)
    skip = lambda path, reason: err.print(f"skipped {path}: {reason}", highlight=False, markup=False)
    with memory(root, args.store) as store:
        if args.history:
            _learn_history(root, store, settings, args, out)
        report = _with_progress(
            out,
            args.quiet,
            "scanning",
            lambda progress: scan_workspace(
                root,
                store,
                settings,
                jobs=args.jobs,
                on_skip=skip,
                progress=progress,
                indexes_after=True,
                # (workers are new interpreters: forked from this process once it held what the
                # memory knows of 19,000 files, each began at its size)
            ),
        )
    if args.json:
        out.print_json(
            data={
                "files": report.seen,
                "parsed": report.parsed,
                "unchanged": report.unchanged,
                "removed": report.removed,
                "skipped": len(report.skipped),
                "observations_added": report.added,
                "observations_negated": report.negated,
                "seconds": round(report.seconds, 3),
            }
        )
    elif not args.quiet:
        out.print(
            f"{report.seen} files: {report.parsed} parsed, {report.unchanged} unchanged, "
            f"{report.removed} removed, {len(report.skipped)} skipped; "
            f"{report.added} observations added, {report.negated} retracted "
            f"in {report.seconds:.2f}s",
            highlight=False,
        )
    return 0


def _learn_history(root: Path, store, settings: Settings, args, out) -> None:
    """Replay the last commits into a new memory before the scan (``--history N``)."""
    from kairos_lsp.history import HistoryError, learn_history

    try:
        report = _with_progress(
            out,
            args.quiet,
            "history",
            lambda progress: learn_history(root, store, args.history, settings, progress=progress),
        )
    except HistoryError as exc:
        raise UsageError(f"--history: {exc}") from None
    if not args.quiet and not args.json:
        out.print(
            f"history: {report.commits} commits replayed ({report.first}..{report.last}), "
            f"{report.files_read} file versions read",
            highlight=False,
        )


def _with_progress(out, quiet: bool, label: str, work: Callable[[Callable | None], T]) -> T:
    """``work(progress)`` under a progress bar on a terminal; ``progress`` is None elsewhere."""
    if not out.is_terminal or quiet:
        return work(None)
    with _progress(out) as bar:
        task = bar.add_task(label, total=None)
        return work(lambda done, total, _: bar.update(task, completed=done, total=total))


def _progress(console):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


# -- explain / export ---------------------------------------------------------------


def parse_target(target: str) -> tuple[str, str | None, int | None]:
    """``FILE::QUALNAME`` -> (file, qualname, None); ``FILE:LINE`` -> (file, None, line); ``FILE`` -> module."""
    if "::" in target:
        file, qualname = target.split("::", 1)
        return file, qualname, None
    file, _, line = target.rpartition(":")
    if file and line.isdigit():
        return file, None, int(line)
    return target, "", None


def target_file(args, target: str) -> tuple[Path, str, str | None, int | None]:
    """``FILE::QUALNAME`` / ``FILE:LINE`` / ``FILE``: (workspace root, the file relative to it,
    qualname, line), or a one-line UsageError."""
    file, qualname, line = parse_target(target)
    path = Path(file).resolve()
    if not path.is_file():
        raise UsageError(f"no such file: {file}")
    if language_for_path(path) is None:
        raise UsageError(f"not a language kairos reads: {file}")
    root = workspace_root(args, path.parent)
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{file} is outside the workspace {root}") from None
    return root, rel, qualname, line


def find_symbol(knowledge: Knowledge, rel: str, qualname: str | None, line: int | None) -> dict:
    row = knowledge.find(rel, qualname, line)
    if row is None:
        what = f"line {line}" if line is not None else (qualname or "the module")
        raise UsageError(f"nothing known at {rel} {what}")
    return row


def cmd_explain(args, out, err) -> int:
    root, rel, qualname, line = target_file(args, args.target)
    with memory(root, args.store) as store:
        refresh_file(store, root, rel)
        catch_up(store)
        knowledge = Knowledge(store)
        row = find_symbol(knowledge, rel, qualname, line)
        what = f"line {line}" if line is not None else (qualname or "the module")
        settings = cli_settings(root, args.llm)
        if settings.llm_provider == "anthropic":
            ask_claude(store, settings, root, row["key"], err)
        item = knowledge.explain(row["key"])
        claude = store.claude_summary(row["key"], store.body_hash(row["key"]))
        if item is not None and claude is not None:
            item["claude_summary"] = claude
        if item is None:  # forgotten meanwhile (by another process)
            raise UsageError(f"nothing known at {rel} {what}")
    if args.json:
        out.print_json(data=item) if out.is_terminal else print(json.dumps(item, indent=2))
    else:
        render_explain(out, item)
    return 0


EXPLAIN_DREAM_SECONDS = 5.0


def ask_claude(store: Store, settings: Settings, root: Path, key: str, err) -> None:
    """``explain --llm anthropic``: Claude is asked about this symbol alone (a summary and
    insights, as a dream would; nothing it already answered for this body), then the dream
    takes its insights in."""
    from kairos_lsp.dream.claude import consult

    store.note_attention([key], "hovered")
    done = consult(store, settings, root=root, summaries=1, insight_requests=1, keys=[key])
    for note in done.notes:
        err.print(f"kairos: {note}", highlight=False, markup=False)
    catch_up(store)


def catch_up(store: Store) -> None:
    """Consolidate what is new before answering, within a few seconds (a later
    dream resumes where this one stopped; what is left shows as raw, tentative)."""
    deadline = time.monotonic() + EXPLAIN_DREAM_SECONDS
    if pending(store):
        dream(store, trigger="explain", should_stop=lambda: time.monotonic() > deadline)


def refresh_file(store: Store, root: Path, rel: str, max_bytes: int = Settings().max_file_bytes) -> None:
    """Make sure the memory holds the file as it is on disk now (cheap when it already does)."""
    outcome = observe_file(str(root), rel, store.file_state(rel), max_bytes)
    if isinstance(outcome, FileObservation):
        store.write([outcome])
    elif isinstance(outcome, Skipped):
        raise UsageError(f"cannot read {rel}: {outcome.reason}")


def render_explain(out, item: dict) -> None:
    out.print(f"[bold]{item['symbol']}[/bold]  ({item['kind']})", highlight=False)
    if item.get("location"):
        (start, _), (end, _) = item["location"]["range"]
        out.print(f"{item['location']['path']}:{start + 1}-{end + 1}", highlight=False)
    elif item.get("successor"):
        out.print(
            f"gone: {item['successor']['via'].replace('_', ' ')} {item['successor']['symbol']}",
            highlight=False,
            markup=False,
        )
    if item.get("summary"):
        out.print(item["summary"], highlight=False, markup=False)
    if item.get("claude_summary"):
        claude = item["claude_summary"]
        out.print(
            f"{claude['text']} (summary by Claude, {claude['model']}, {claude['at'][:10]})",
            highlight=False,
            markup=False,
        )
    rows = [_fact_row(fact) for fact in item["facts"]]
    if isinstance(out, Plain):  # one tab-separated line per fact: easy to grep
        for row in rows:
            out.print("\t".join(row), markup=False)
        return
    from rich.table import Table

    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
    for column in ("predicate", "value", "status", "conf.", "evidence", "valid from", "until"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _fact_row(fact: dict) -> list[str]:
    value = fact["value"] if isinstance(fact["value"], str) else json.dumps(fact["value"])
    status = fact["status"] + (" (stale)" if fact.get("check") == "stale" else "")
    if fact.get("verdict"):
        status += f", {fact['verdict']} by you"
    sources = sorted({e["source"] for e in fact.get("evidence", []) if e.get("active", True)})
    confidence = "" if fact.get("confidence") is None else f"{fact['confidence']:.2f}"
    return [
        fact["predicate"],
        value.split("\n")[0][:100],
        status,
        confidence,
        ",".join(sources),
        fact.get("valid_from") or "",
        fact.get("valid_to") or "",
    ]


def cmd_dream(args, out, err) -> int:
    root = workspace_root(args)
    settings = cli_settings(root, args.llm)  # .kairos/config.toml, and --llm over its [llm] provider
    for problem in settings.unknown:
        err.print(f"kairos dream: ignored: {problem}", markup=False, highlight=False)
    with memory(root, args.store) as store:
        report = dream(store, trigger="cli", llm=settings, root=root)
        log = dream_log(store, args.log) if args.log else []
    for note in report.notes:  # Claude's lines (no key, failures, budget), one each
        err.print(f"kairos: {note}", markup=False, highlight=False)
    if args.json:
        print(json.dumps({**report.as_dict(), "log": log}, indent=1))
    else:
        out.print(report.line(), markup=False, highlight=False)
        for row in log:
            # a dream killed mid-way leaves its row unfinished: no duration (counts as last committed)
            n = {k: "-" if row.get(k) is None else row[k] for k in row}
            ended = "interrupted" if row.get("duration_ms") is None else f"{row['duration_ms']:.0f} ms"
            out.print(
                f"#{n['id']} {n['started_at']} {n['trigger']}: read {n['observations']}, "
                f"created {n['created']}, merged {n['merged']}, superseded {n['superseded']}, "
                f"retracted {n['retracted']}, promoted {n['promoted']}, demoted {n['demoted']}, "
                f"{ended}" + (" (stopped)" if row.get("stopped") else ""),
                markup=False,
                highlight=False,
            )
    if report.busy:
        raise UsageError("another process is dreaming over this memory; try again when it is done")
    return 0


def cmd_export(args, out, err) -> int:
    if not args.json:
        raise UsageError("export writes JSON: pass --json")
    with memory(workspace_root(args), args.store) as store:
        write_export(store, sys.stdout)
    sys.stdout.write("\n")
    return 0


def cmd_stats(args, out, err) -> int:
    with memory(workspace_root(args), args.store) as store:
        counts = store.stats()
        languages = store.language_counts()
    if args.json or not out.is_terminal:
        print(json.dumps({"store": str(store.path), **counts, "languages": languages}, indent=1))
        return 0
    from rich.table import Table

    table = Table(title=f"kairos memory at {store.path}", box=None, header_style="bold")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, value in counts.items():
        table.add_row(name, f"{value:,}")
    for language, (files, symbols) in sorted(languages.items()):
        table.add_row(f"{language}", f"{files:,} files, {symbols:,} symbols")
    out.print(table)
    return 0


# -- verify -----------------------------------------------------------------------

VERIFY_EXAMPLES = 5  # differences shown per predicate


def cmd_verify(args, out, err) -> int:
    from kairos_lsp.verify import Busy, verify

    root = Path(args.path).resolve() if args.path else workspace_root(args)
    if not root.is_dir():
        raise UsageError(f"not a folder: {args.path}")
    settings = cli_settings(root)  # the workspace's own exclusions (.kairos/config.toml), as the daemon's
    with memory(root, args.store) as store:
        try:
            found = verify(root, store, settings, jobs=args.jobs)
        except Busy as exc:
            raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps(found.as_dict(VERIFY_EXAMPLES), indent=1))
        return 0 if found.ok else 1
    out.print(found.line(), markup=False, highlight=False)
    for predicate, counts in found.by_predicate().items():
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        out.print(f"  {predicate}: {parts}", markup=False, highlight=False)
        for diff in [d for d in found.differences if d.predicate == predicate][:VERIFY_EXAMPLES]:
            out.print(f"    {diff.describe()}", markup=False, highlight=False)
    return 0 if found.ok else 1


# -- demo -------------------------------------------------------------------------


def cmd_check(args, out, err) -> int:
    from kairos_lsp.folder_check import check_files

    first = Path(args.paths[0]).resolve()
    root = workspace_root(args, first if first.is_dir() else first.parent)
    settings = cli_settings(root)  # the workspace's exclusions and size limit, as its scans use
    found: dict[str, list] = {}
    with memory(root, args.store) as store:  # a StoreError is one line from main()
        targets, folders = _check_targets(root, store, settings, args.paths, err)
        catch_up(store)

        def check_all(progress) -> None:
            for done, checked in enumerate(check_files(store, root, targets), 1):
                if checked.unreadable is not None:  # gone since the walk: said, and the rest checked
                    said = f"kairos: cannot check {checked.path}: {checked.unreadable}"
                    err.print(said, highlight=False, markup=False)
                else:
                    found[checked.path] = checked.problems
                if progress:
                    progress(done, len(targets), checked.path)

        _with_progress(err, args.json or not folders, "checking", check_all)
    if args.json:
        out.print_json(data={path: [_problem_json(p) for p in problems] for path, problems in found.items()})
    else:
        for rel, problems in found.items():
            for problem in problems:
                out.print(_problem_line(rel, problem), markup=False, highlight=False)
    if folders and not args.json:
        count = sum(len(problems) for problems in found.values())
        files = sum(1 for problems in found.values() if problems)
        where = f" in {files} of them" if count else ""
        said = f"checked {_counted(len(found), 'file')}: {_counted(count, 'problem')}{where}"
        err.print(said, highlight=False, markup=False)
    return 1 if any(found.values()) else 0


def _counted(n: int, noun: str) -> str:
    """``_counted(1, 'file') == '1 file'``, ``_counted(2, 'file') == '2 files'``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _check_targets(root: Path, store: Store, settings: Settings, given: list[str], err) -> tuple[list[str], bool]:
    """The files ``kairos check`` reads (workspace-relative, each once) and whether a folder was
    given, with the memory brought up to date first. A file is checked as given, and looked at
    again. A folder: every source file below it a scan reads (.gitignore, exclusions, size
    limit; what it skips is said on stderr), after a scan of the whole workspace (what changed
    elsewhere, a callee's new signature, is what its files are checked against)."""
    files: list[str] = []
    folders: list[Path] = []
    for name in given:
        path = Path(name).resolve()
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            raise UsageError(f"cannot check {name}: it is outside the workspace {root}") from None
        if path.is_dir():
            if rel != "." and IgnoreRules(root, settings.exclude).ignored(rel, True):
                raise UsageError(f"cannot check {name}: the workspace {root} leaves it out (.gitignore, exclude)")
            folders.append(path)
        elif not path.is_file():
            raise UsageError(f"cannot check {name}: no such file or folder")
        elif language_for_path(rel) is None:
            raise UsageError(f"{name}: not a language kairos reads")
        else:
            files.append(rel)
    skipped: set[str] = set()

    def skip(rel: str, reason: str) -> None:
        skipped.add(rel)
        err.print(f"kairos: skipped {rel}: {reason}", highlight=False, markup=False)

    if folders:
        scan_workspace(root, store, settings, on_skip=skip)
    targets: dict[str, None] = {}
    for path in folders:
        targets.update(dict.fromkeys(r for r in iter_source_files(root, settings.exclude, path) if r not in skipped))
    for rel in files:
        refresh_file(store, root, rel, settings.max_file_bytes)  # (the limit a folder's files had)
        targets[rel] = None
    return list(targets), bool(folders)


def _problem_line(path: str, problem) -> str:
    return f"{path}:{problem.start[0] + 1}:{problem.start[1] + 1}: {problem.code}: {problem.message}"


def _problem_json(problem) -> dict:
    return {
        "code": problem.code,
        "severity": problem.severity,
        "message": problem.message,
        "start": list(problem.start),
        "end": list(problem.end),
        "subject": problem.subject,
        "fixes": [
            {"title": f.title, "edits": [{"start": list(e.start), "end": list(e.end), "text": e.text} for e in f.edits]}
            for f in problem.fixes
        ],
    }


# The demo's scripted edit: a signature change and a rename, as a user would make them.
DEMO_EDITS = (
    (
        "inventory/pricing.py",
        "def price_with_tax(amount: float, rate: float = TAX_RATE) -> float:",
        "def price_with_tax(amount: float, region: str, rate: float = TAX_RATE) -> float:",
    ),
    ("web/money.ts", "export const formatMoney = ", "export const formatAmount = "),
)


def cmd_demo(args, out, err) -> int:
    if not out.is_terminal:  # the demo is for people: tables even when piped
        from rich.console import Console

        out = Console(file=sys.stdout, width=120)
    target = Path(args.into) if args.into else Path(tempfile.mkdtemp(prefix="kairos-demo-"))
    example = resources.files("kairos_lsp").joinpath("demo")
    with resources.as_file(example) as source:
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", ".kairos"))
    out.print(f"[bold]kairos demo[/bold]: the bundled example project, copied to {target}", highlight=False)
    with memory(target) as store:
        report = scan_workspace(target, store, Settings())
        out.print(
            f"scanned {report.seen} files in {report.seconds:.2f}s: "
            f"{store.stats()['symbols']} symbols, {report.added} observations",
            highlight=False,
        )
        dreamt = dream(store, trigger="demo")
        out.print(dreamt.line(), highlight=False, markup=False)
        knowledge = Knowledge(store)
        _demo_table(out, store, knowledge)
        out.print()
        reserve = "python:inventory/stock.py:Inventory.reserve"
        render_explain(out, _in_demo(knowledge.explain(reserve), reserve))
        _demo_edit(out, target, store, knowledge)
    out.print(f"\nTry: kairos explain {target / 'inventory' / 'pricing.py'}::price_with_tax", highlight=False)
    out.print(f"     kairos check {target / 'web' / 'cart.ts'}", highlight=False)
    return 0


def _in_demo(found: T | None, what: str) -> T:
    """Something the bundled example holds."""
    if found is None:
        raise RuntimeError(f"kairos: the demo project has no {what}")
    return found


def _demo_table(out, store: Store, knowledge: Knowledge) -> None:
    from rich.table import Table

    table = Table(title="What kairos knows", header_style="bold")
    for column in ("symbol", "kind", "signature", "what it does"):
        table.add_column(column, overflow="fold")
    for row in store.all_symbols():
        if row["qualname"]:
            card = knowledge.card(row["key"], callers=0)
            summary = current_value(store, row["key"], "summary") or ""
            table.add_row(f"{row['path']}::{row['qualname']}", row["kind"], card.signature or "", summary)
    out.print(table)


def _demo_edit(out, target: Path, store: Store, knowledge: Knowledge) -> None:
    """The scripted edit, then what an editor would show: diagnostics, fixes, a hover, the status."""
    from rich.markdown import Markdown
    from rich.panel import Panel
    from rich.syntax import Syntax

    from kairos_lsp.checks import apply_fix, check_file
    from kairos_lsp.extract import parse
    from kairos_lsp.features.hover import render

    out.print()
    out.print(
        "[bold]A scripted edit[/bold]: `price_with_tax` gains a required `region`, "
        "and `formatMoney` is renamed `formatAmount`.",
        highlight=False,
    )
    for rel, old, new in DEMO_EDITS:
        path = target / rel
        path.write_text(path.read_text().replace(old, new))
    scan_workspace(target, store, Settings())
    out.print(dream(store, trigger="demo").line(), highlight=False, markup=False)
    for rel in ("inventory/stock.py", "web/cart.ts"):
        source = as_lines((target / rel).read_bytes())
        language = _in_demo(language_for_path(rel), rel).name
        shown: set[str] = set()
        for problem in check_file(knowledge, rel, language, source, parse(source, language)):
            out.print(f"\n[yellow]{_problem_line(rel, problem)}[/yellow]", highlight=False)
            for fix in problem.fixes[:1]:
                if fix.title in shown:  # one fix serves every reference to a renamed name
                    out.print(f"  quick fix: {fix.title} (shown above)", highlight=False, markup=False)
                    continue
                shown.add(fix.title)
                diff = _diff(source, apply_fix(source, fix), rel)
                out.print(Panel(Syntax(diff, "diff", theme="ansi_dark"), title=f"quick fix: {fix.title}", expand=False))
    key = "python:inventory/pricing.py:price_with_tax"
    card = knowledge.card(key)
    out.print()
    row = _in_demo(store.symbol(key), key)
    out.print(Panel(Markdown(render(card, row, "python")), title="hover: price_with_tax", expand=False))
    status = knowledge.status()
    out.print(
        f"status: {status['files']} files, {status['symbols']} symbols, "
        f"{status['observations']} observations, facts {status['facts']}, "
        f"{status['bytes'] // 1024} KiB",
        highlight=False,
        markup=False,
    )


def _diff(before: bytes, after: bytes, name: str) -> str:
    import difflib

    return "".join(
        difflib.unified_diff(
            before.decode().splitlines(True), after.decode().splitlines(True), f"a/{name}", f"b/{name}", n=1
        )
    )


# -- entry point ------------------------------------------------------------------


def cmd_status(args, out, err) -> int:
    """``kairos status``: the memory, its last dream and run, the daemon, and Claude (with
    today's tokens against the budget)."""
    from kairos_lsp import daemon, llm

    root = workspace_root(args)
    with memory(root, args.store) as store:
        data = Knowledge(store).status()
        data["llm"] = llm.status(cli_settings(root), store)
        last = store.runs(1)
        data["last_run"] = last[0] if last else None
    watcher = daemon.running(root)
    data["daemon"] = {"running": watcher is not None, "pid": watcher.get("pid") if watcher else None}
    if args.json or not out.is_terminal:
        print(json.dumps(data, indent=2))
        return 0
    facts = data["facts"]
    lines = [
        f"memory   {data['store']}: {data['files']:,} files, {data['symbols']:,} symbols, "
        f"{data['observations']:,} observations ({data['undreamed']:,} not dreamed yet)",
        f"facts    {facts['firm']:,} firm, {facts['tentative']:,} tentative, "
        f"{facts['superseded']:,} superseded, {facts['retracted']:,} retracted",
    ]
    if data.get("last_dream"):
        dreamed = data["last_dream"]
        lines.append(f"dream    #{dreamed['id']} ({dreamed['trigger']}) at {str(dreamed['started_at'])[:16]}")
    if data["last_run"]:
        run = data["last_run"]
        lines.append(f"run      {run['command']} (exit {run['exit_code']}) at {run['started_at'][:16]}")
    lines.append("daemon   " + (f"running (pid {data['daemon']['pid']})" if watcher else "not running"))
    sqlite = data["sqlite"]
    risk = "has the WAL-reset bug: checkpoints only under the write lock" if sqlite["wal_reset_bug"] else "ok"
    lines.append(f"sqlite   {sqlite['version']}: {risk}")
    claude = data["llm"]
    used = claude.get("tokens_today")
    tokens = f"; today {used['used']:,} of {used['budget']:,} tokens" if used else ""
    lines.append(f"claude   {claude['state']}{tokens}")
    for line in lines:
        out.print(line, highlight=False, markup=False)
    return 0


# -- Claude: what leaves the machine ------------------------------------------------------


def cmd_privacy(args, out, err) -> int:
    """``kairos privacy``: every request made to Claude (the audit log), or with
    ``--dry-run FILE::QUALNAME`` exactly what a request about that symbol would send."""
    from kairos_lsp import llm

    if args.dry_run:
        root, rel, qualname, line = target_file(args, args.dry_run)
        settings = cli_settings(root)
        with memory(root, args.store) as store:
            refresh_file(store, root, rel)
            row = find_symbol(Knowledge(store), rel, qualname, line)
            text = as_lines((root / rel).read_bytes()).decode("utf-8", "replace")
            facts = store.facts
            context = llm.symbol_context(
                row, text, facts.current_value(row["key"], "signature"), facts.current_value(row["key"], "docstring")
            )
        print(llm.dry_run(context, args.purpose, settings.llm_exclude), end="")
        return 0
    root = workspace_root(args)
    settings = cli_settings(root)
    with memory(root, args.store) as store:
        rows = llm.audit_log(store, args.limit)
        usage = llm.usage_today(store, settings.llm_daily_tokens)
    if args.json:
        out.print_json({"today": usage, "requests": rows}) if out.is_terminal else print(
            json.dumps({"today": usage, "requests": rows}, indent=2)
        )
        return 0
    out.print(
        f"today ({usage['day']}): {usage['used']:,} of {usage['budget']:,} tokens; "
        f"{len(rows)} request{'s' if len(rows) != 1 else ''} shown",
        highlight=False,
        markup=False,
    )
    for item in rows:
        redacted = ", ".join(f"{kind} {n}" for kind, n in sorted((item.get("redacted") or {}).items())) or "none"
        cached = "cached" if item.get("cached") else f"{item.get('tokens_in', 0)}+{item.get('tokens_out', 0)} tokens"
        out.print(
            f"{str(item['at'])[:19].replace('T', ' ')}  {item['purpose']:<12} {item.get('outcome', ''):<8} "
            f"{cached:<18} redacted: {redacted:<16} {item.get('symbol') or ''}",
            highlight=False,
            markup=False,
        )
    return 0


# -- what runs said -------------------------------------------------------------------


def cmd_record_run(args, out, err) -> int:
    """The background half of ``kairos run``: record a finished run (see launch.py)."""
    header, output = read_handoff(args.handoff)
    cwd = Path(header["cwd"])
    root = find_root(cwd)
    command = header["command"].split("\0")
    with memory(root) as store:
        run = store.start_run(shlex.join(command), str(cwd), "run", header["started_at"], token=header["token"])
        done = store.tests_in_run(run)
        counts = ingest.Ingested()
        for report in _reports(header["reports"].split("\0") if header["reports"] else [], err):
            _add(counts, ingest.record(store, root, report, run, cwd, skip_tests=done))
        text = output.decode("utf-8", "replace")
        _add(counts, ingest.record(store, root, terminal.parse_text(text), run, cwd, skip_tests=done))
        store.finish_run(
            run,
            int(header["exit_code"]),
            int(header["duration_ms"]),
            output,
            ingest.fingerprint(root, Settings().exclude),
        )
    counts.tests += len(done)  # what the pytest plugin recorded inside the run
    out.print(f"kairos: run {run} recorded: {counts.line()}", highlight=False)
    return 0


def _reports(paths: list[str], err) -> Iterator[terminal.Report]:
    for path in paths:
        try:
            report = terminal.read_report(path)
        except (terminal.ReportError, OSError) as exc:
            err.print(f"kairos: {path}: {exc}", highlight=False, markup=False)
            continue
        if report is not None:
            yield report


def _add(total: ingest.Ingested, more: ingest.Ingested) -> None:
    for name in ("tests", "failed", "raised", "findings", "unplaced"):
        setattr(total, name, getattr(total, name) + getattr(more, name))


def cmd_ingest(args, out, err) -> int:
    """``kairos ingest FILE...``: read JUnit XML, SARIF or a saved terminal output."""
    root = workspace_root(args)
    reports = []
    for name in args.files:  # all read before anything is stored: a bad one stores nothing
        try:
            report = terminal.read_report(name)
            if report is None:
                with open(name, "rb") as handle:
                    data = handle.read(terminal.MAX_BYTES)
                if data.lstrip()[:1] in (b"<", b"{", b"["):
                    raise UsageError(f"{name}: neither JUnit XML nor SARIF, and not a terminal output")
                report = terminal.parse_text(data.decode("utf-8", "replace"))
        except (terminal.ReportError, OSError) as exc:
            raise UsageError(f"{name}: {getattr(exc, 'strerror', None) or exc}") from None
        reports.append(report)
    counts = ingest.Ingested()
    with memory(root, args.store) as store:
        cwd = Path.cwd()
        run = store.start_run(shlex.join(["kairos", "ingest", *args.files]), str(cwd), "ingest")
        for report in reports:
            _add(counts, ingest.record(store, root, report, run, cwd, base=args.base))
        store.finish_run(run, 0, 0, None, ingest.fingerprint(root, Settings().exclude))
    if args.json:
        out.print_json({"run": run, **vars(counts)})
    else:
        out.print(f"kairos: {counts.line()}", highlight=False)
    return 0


def cmd_record_command(args, out, err) -> int:
    """What ``kairos shell-init`` snippets call after each command: its line, not its output."""
    words = args.line[1:] if args.line[:1] == ["--"] else args.line
    line = " ".join(words).strip()
    if not line:
        return 0
    cwd = Path(args.cwd or ".").resolve()
    root = find_root(cwd)
    if not (root / STORE_DIR).is_dir() and not os.environ.get("KAIROS_STORE"):
        return 0  # a folder kairos does not keep a memory of: nothing to remember
    started = None
    if args.duration is not None:
        started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - args.duration)) + "Z"
    with memory(root) as store:
        store.record_run(
            line,
            str(cwd),
            args.exit,
            int(args.duration * 1000) if args.duration is not None else None,
            "shell",
            started,
        )
    return 0


def cmd_shell_init(args, out, err) -> int:
    try:
        text = shell.snippet(args.shell)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    print(text)
    return 0


def cmd_runs(args, out, err) -> int:
    """``kairos runs``: the latest runs the memory holds."""
    root = workspace_root(args)
    with memory(root, args.store) as store:
        runs = store.runs(args.limit)
    if args.json:
        out.print_json(runs)
        return 0
    for run in runs:
        code = "running" if run["exit_code"] is None else f"exit {run['exit_code']}"
        took = f"{run['duration_ms'] / 1000:.1f} s" if run["duration_ms"] is not None else "?"
        out.print(
            f"{run['id']:>5}  {run['started_at'][:16].replace('T', ' ')}  {code:<8} {took:>8}  {run['command']}",
            highlight=False,
            markup=False,
        )
    return 0


def cmd_review(args, out, err) -> int:
    """``kairos review``: what the dreams promoted, superseded or retracted since you last looked."""
    since = parse_since(args.since) if args.since else None
    with memory(workspace_root(args), args.store) as store:
        catch_up(store)
        knowledge = Knowledge(store)
        review = knowledge.recent_changes(since, args.limit)
        if args.mark_seen and (seen := knowledge.consolidated_until()):
            store.mark_reviewed(seen)
    if args.json:
        print(json.dumps(review, indent=1))
        return 0
    changes = review["changes"]
    head = f"since {review['since']}" if review["since"] else "since the memory began (never marked seen)"
    out.print(f"{len(changes)}{'+' if review['more'] else ''} changes {head}", highlight=False, markup=False)
    for c in changes:
        value = c["value"] if isinstance(c["value"], str) else json.dumps(c["value"])
        where = f"{c['path']}:{c['line'] + 1}" if c["line"] is not None else c["path"] or ""
        replaced = f" -> {c['replaced_by']}" if c["replaced_by"] is not None else ""
        confidence = f" ({c['confidence']:.2f})" if c["change"] == "promoted" and c["confidence"] is not None else ""
        out.print(
            f"#{c['id']}\t{c['at'][:16].replace('T', ' ')}\t{c['change']}\t{where}\t{c['qualname'] or '(module)'}\t"
            f"{c['predicate']}: {value.splitlines()[0] if value else ''}{replaced}{confidence}",
            highlight=False,
            markup=False,
        )
    if args.mark_seen:
        out.print("marked as seen", highlight=False, markup=False)
    return 0


def parse_since(text: str) -> str:
    """``--since``: an ISO date or time (UTC unless it says), or an age: ``30m``, ``2h``, ``3d``."""
    from datetime import datetime, timedelta, timezone

    age = re.fullmatch(r"(\d+)\s*([smhdw])", text.strip())
    if age:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[age.group(2)]
        at = datetime.now(timezone.utc) - timedelta(**{unit: int(age.group(1))})
    else:
        try:
            at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(f"--since: expected an ISO time or an age like 2h, not {text!r}") from None
        at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kairos", description="The memory of kairos-lsp, from a terminal.")
    parser.add_argument("--version", action="version", version=f"kairos {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks (also KAIROS_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, root=True):
        p.add_argument(
            "--store",
            help="memory file, a relative path taken from the workspace folder "
            "(default: <workspace>/.kairos/memory.db or $KAIROS_STORE)",
        )
        if root:
            p.add_argument("--root", help="workspace folder (default: nearest folder with .kairos or .git)")

    p = sub.add_parser("scan", help="bring the memory up to date with the files under PATH")
    p.add_argument("path", nargs="?", default=".")
    p.add_argument("--exclude", action="append", metavar="GLOB", help="gitignore-style pattern to skip (repeatable)")
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    p.add_argument("--max-bytes", type=int, default=Settings().max_file_bytes, help="skip larger files")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="into a new memory, first replay the last N git commits, so that their changes count as seen",
    )
    p.add_argument("-q", "--quiet", action="store_true")
    common(p, root=False)
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("check", help="what the memory sees wrong in files or folders (exit 1 when it sees something)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="a file, or a folder: every source file below it")
    p.add_argument("--json", action="store_true", help="problems and their fixes as JSON")
    common(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("explain", help="what the memory holds about one symbol")
    p.add_argument("target", help="FILE::QUALNAME, FILE:LINE or FILE")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--llm", choices=["none", "anthropic"], default=None, help="ask Claude about it first (needs ANTHROPIC_API_KEY)"
    )
    common(p)
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("dream", help="consolidate new observations into facts now, and print the log")
    p.add_argument("--json", action="store_true")
    p.add_argument("--log", type=int, default=0, metavar="N", help="also print the last N dreams")
    p.add_argument(
        "--llm",
        choices=("none", "anthropic"),
        help="ask Claude for summaries and insights in this dream (needs ANTHROPIC_API_KEY); "
        "default: llm.provider in .kairos/config.toml, else none",
    )
    common(p)
    p.set_defaults(func=cmd_dream)

    p = sub.add_parser("export", help="the whole memory, one object per symbol")
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("stats", help="sizes and counts of the memory")
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser(
        "verify", help="compare the memory, fact by fact, with a fresh scan and dream of the tree (exit 1: they differ)"
    )
    p.add_argument("path", nargs="?", default=None, metavar="PATH", help="the workspace (default: this one)")
    p.add_argument("--json", action="store_true", help="the differences by predicate, with examples, as JSON")
    p.add_argument("--jobs", type=int, default=None, help="worker processes for the scans")
    common(p, root=False)
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("run", help="run a command with the terminal untouched, and learn from what it said")
    p.add_argument("--wait", action="store_true", help="record before exiting (default: in the background)")
    p.add_argument("cmd", nargs=argparse.REMAINDER, metavar="-- CMD ARGS")

    p = sub.add_parser("record-run", help=argparse.SUPPRESS)
    p.add_argument("handoff")
    p.set_defaults(func=cmd_record_run)

    p = sub.add_parser("ingest", help="learn from a JUnit XML or SARIF report, or a saved terminal output")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--base", metavar="DIR", help="the folder the tool ran in, when the report was made elsewhere")
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("review", help="what the dreams promoted, superseded or retracted since you last looked")
    p.add_argument("--since", metavar="WHEN", help="an ISO time or an age (30m, 2h, 3d) instead of your last look")
    p.add_argument("--limit", type=int, default=100, help="at most this many, newest first (default 100)")
    p.add_argument("--mark-seen", action="store_true", help="then mark everything dreamt so far as seen")
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=cmd_review)

    p = sub.add_parser("runs", help="the latest runs the memory holds")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=cmd_runs)

    p = sub.add_parser("status", help="the memory, its last dream and run, the daemon, and Claude's tokens today")
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("privacy", help="what was sent to Claude (the audit log), or what would be (--dry-run)")
    p.add_argument("--dry-run", metavar="FILE::QUALNAME", help="print exactly what a request about it would send")
    p.add_argument(
        "--purpose", choices=["summary", "insights"], default=None, help="which request (default: the summary)"
    )
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    common(p)
    p.set_defaults(func=cmd_privacy)

    p = sub.add_parser("shell-init", help="an opt-in snippet that records each command line you run (not its output)")
    p.add_argument("shell", choices=["bash", "zsh", "fish"])
    p.set_defaults(func=cmd_shell_init)

    p = sub.add_parser("record-command", help=argparse.SUPPRESS)
    p.add_argument("--exit", type=int, default=None)
    p.add_argument("--duration", type=float, default=None)
    p.add_argument("--cwd", default=None)
    p.add_argument("line", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_record_command)

    from kairos_lsp import daemon

    p = sub.add_parser("daemon", help="watch a workspace and keep its memory current: [status|stop] [PATH]")
    daemon.add_arguments(p)
    p.set_defaults(func=lambda args, out, err: daemon.main(args, sys.stdout, sys.stderr))

    p = sub.add_parser("demo", help="scan the bundled example project and show what is known")
    p.add_argument("--into", help="copy the example here instead of a temporary folder")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["run"]:  # the command alone, then a background recorder: nothing more to load
        return run_command(argv[1:])
    args = build_parser().parse_args(argv)
    out = console(sys.stdout)
    err = console(sys.stderr)
    debug = args.debug or os.environ.get("KAIROS_DEBUG") == "1"
    try:
        return args.func(args, out, err)
    except (UsageError, StoreError) as exc:
        if debug:
            raise
        err.print(f"kairos: {exc}", highlight=False, markup=False)
        return 2
    except sqlite3.Error as exc:  # read-only, locked past the timeout, full...: the memory, one line
        if debug:
            raise
        err.print(f"kairos: the memory could not be used: {one_line(exc)}", highlight=False, markup=False)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # a read-only folder, a full disk: what and where, one line
        if debug:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"kairos: {exc.strerror or one_line(exc)}{where}", highlight=False, markup=False)
        return 3
    except KeyboardInterrupt:
        err.print("kairos: interrupted; what was stored so far is kept", highlight=False)
        return 130


if __name__ == "__main__":
    sys.exit(main())
