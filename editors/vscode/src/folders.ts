// Which workspace folders get a kairos server of their own, and which one a file belongs to.
// Pure: paths in, paths out, so node's test runner can load it.
//
// Each server keeps one folder's memory (<folder>/.kairos/memory.db). A folder inside another
// of the workspace is the outer one's: its files are in the outer folder's tree, and two
// memories of the same files would disagree.

import * as path from "node:path";

/** Whether `file` is `folder` or inside it. */
export function inside(folder: string, file: string, p: path.PlatformPath = path): boolean {
  const rel = p.relative(folder, file);
  return rel === "" || (!rel.startsWith("..") && !p.isAbsolute(rel));
}

/** The folders that are not inside another of them, in the order given, each once. */
export function outermost(folders: readonly string[], p: path.PlatformPath = path): string[] {
  const kept: string[] = [];
  folders.forEach((folder, i) => {
    const within = folders.some((other, j) => j !== i && other !== folder && inside(other, folder, p));
    if (!within && !kept.includes(folder)) kept.push(folder);
  });
  return kept;
}

/** The outermost folder holding `file`, or undefined when none does. */
export function owner(folders: readonly string[], file: string, p: path.PlatformPath = path): string | undefined {
  return outermost(folders, p).find((folder) => inside(folder, file, p));
}
