"""Hover while the server dreams: does a long dream slow down what the user asks?

    python benchmarks/bench_hover_dream.py [--store SCANNED.db]

Scans this interpreter's standard library (without site-packages) into a
fresh store (or copies ``--store``, a scan never dreamed), starts
``python -m kairos_lsp`` over stdio on that tree with the store, opens four
modules and hovers every function definition in them: before the dream,
during a full dream (``kairos.dreamNow``, the largest dream there is) and
after it. Prints p50 / p99 / max of each phase, in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

REPO = Path(__file__).resolve().parents[1]
ROOT = Path(sysconfig.get_paths()["stdlib"])
FILES = ["json/decoder.py", "textwrap.py", "shlex.py", "difflib.py"]
EXCLUDE = ["site-packages/"]


def definitions() -> list[tuple[str, int, int]]:
    out = []
    for rel in FILES:
        for row, line in enumerate((ROOT / rel).read_text().split("\n")):
            code = line.lstrip()
            if code.startswith("def "):
                out.append((rel, row, len(line) - len(code) + 5))
    return out


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def probe(store: Path) -> None:
    client = LanguageClient("bench-hover-dream", "1")
    env = {
        **os.environ,
        "KAIROS_STORE": str(store),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    await client.start_io(sys.executable, "-m", "kairos_lsp", env=env, cwd=str(REPO))
    await client.initialize_async(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(),
            root_uri=ROOT.as_uri(),
            initialization_options={"dream": {"idleSeconds": 3600}, "exclude": EXCLUDE},
        )
    )
    client.initialized(types.InitializedParams())
    for rel in FILES:
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=(ROOT / rel).as_uri(), language_id="python", version=1, text=(ROOT / rel).read_text()
                )
            )
        )
    spots = definitions()

    async def hover(rel: str, row: int, col: int) -> float:
        start = time.perf_counter()
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=(ROOT / rel).as_uri()),
                position=types.Position(line=row, character=col),
            )
        )
        return (time.perf_counter() - start) * 1000

    deadline = time.monotonic() + 60  # the server's own (unchanged) scan of the tree
    while await hover(*spots[0]) > 50 and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    await asyncio.sleep(5)
    for spot in spots:  # warm up
        await hover(*spot)
    phases = {"before": [await hover(*s) for s in spots * 3]}
    dream = asyncio.ensure_future(
        client.workspace_execute_command_async(types.ExecuteCommandParams(command="kairos.dreamNow"))
    )
    await asyncio.sleep(0.5)
    phases["during"] = []
    while not dream.done():
        for spot in spots:
            phases["during"].append(await hover(*spot))
            if dream.done():
                break
    report = dream.result()
    phases["after"] = [await hover(*s) for s in spots * 3]
    print(
        f"full dream in the server: {report.get('seconds', 0):.1f} s, "
        f"{report.get('observations', 0)} observations ({report.get('ahead', 0)} files replayed by the "
        f"helper process); {len(spots)} definitions in {len(FILES)} files"
    )
    for name, values in phases.items():
        print(
            f"hover {name:6}: n={len(values):5}  p50 {percentile(values, 0.5):6.2f}  "
            f"p99 {percentile(values, 0.99):7.2f}  max {max(values):7.2f} ms"
        )
    await client.shutdown_async(None)
    client.exit(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="a store scanned from the stdlib, never dreamed")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kairos-hover-dream-"))
    store = work / "memory.db"
    try:
        if args.store:
            shutil.copyfile(args.store, store)
        else:
            sys.path.insert(0, str(REPO))
            from kairos_lsp.config import Settings
            from kairos_lsp.scan import scan_workspace
            from kairos_lsp.store import Store

            scanned = Store(store)
            scan_workspace(ROOT, scanned, Settings(exclude=EXCLUDE))
            scanned.close()
        asyncio.run(probe(store))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
