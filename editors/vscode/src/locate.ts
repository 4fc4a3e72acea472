// Finding kairos-lsp. Pure: the file system and the environment are passed in.
//
// Order: the setting `kairos.serverPath`, then the workspace's virtual environment
// (.venv, venv, env, $VIRTUAL_ENV), then PATH.

import * as path from "node:path";

export const EXECUTABLE = "kairos-lsp";
export const PIP_PACKAGE = "kairos-lsp";

export interface Probe {
  /** true when `file` exists and can be run */
  isExecutable(file: string): boolean;
  env: Record<string, string | undefined>;
  platform: string; // process.platform
  home: string;
}

export type Found =
  | { command: string; via: "setting" | "venv" | "path"; venv?: string }
  | { command: null; tried: string[]; message: string; install: string };

const VENVS = [".venv", "venv", "env"];

export function findServer(setting: string | undefined | null, folders: readonly string[], probe: Probe): Found {
  const tried: string[] = [];
  const p = probe.platform === "win32" ? path.win32 : path.posix;
  const names = executableNames(probe);
  const bin = probe.platform === "win32" ? "Scripts" : "bin";

  const wanted = (setting ?? "").trim();
  if (wanted !== "") {
    const file = expand(wanted, folders, probe, p);
    if (probe.isExecutable(file)) return { command: file, via: "setting" };
    return {
      command: null,
      tried: [file],
      message: `kairos: kairos.serverPath is ${JSON.stringify(wanted)}, but ${file} is not an executable file.`,
      install: installCommand(null, probe),
    };
  }

  const venvs: string[] = [];
  for (const folder of folders) for (const name of VENVS) venvs.push(p.join(folder, name));
  if (probe.env.VIRTUAL_ENV) venvs.push(probe.env.VIRTUAL_ENV);
  let firstVenv: string | null = null;
  for (const venv of venvs) {
    for (const name of names) {
      const file = p.join(venv, bin, name);
      tried.push(file);
      if (probe.isExecutable(file)) return { command: file, via: "venv", venv };
    }
    if (firstVenv === null && probe.isExecutable(p.join(venv, bin, probe.platform === "win32" ? "python.exe" : "python"))) {
      firstVenv = venv;
    }
  }

  const sep = probe.platform === "win32" ? ";" : ":";
  for (const dir of (probe.env.PATH ?? probe.env.Path ?? "").split(sep)) {
    if (dir === "") continue;
    for (const name of names) {
      const file = p.join(dir, name);
      tried.push(file);
      if (probe.isExecutable(file)) return { command: file, via: "path" };
    }
  }

  const where = firstVenv !== null ? ` or in ${firstVenv}` : "";
  return {
    command: null,
    tried,
    message: `kairos: ${EXECUTABLE} was not found on PATH${where}. Install it, or set kairos.serverPath.`,
    install: installCommand(firstVenv, probe),
  };
}

/** The pip command that installs the server: into the workspace's venv when there is one. */
export function installCommand(venv: string | null, probe: Pick<Probe, "platform">): string {
  if (venv === null) return `python3 -m pip install ${PIP_PACKAGE}`;
  const python =
    probe.platform === "win32" ? path.win32.join(venv, "Scripts", "python.exe") : path.posix.join(venv, "bin", "python");
  return `${quote(python)} -m pip install ${PIP_PACKAGE}`;
}

function executableNames(probe: Probe): string[] {
  if (probe.platform !== "win32") return [EXECUTABLE];
  const exts = (probe.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";").filter((e) => e !== "");
  return exts.map((ext) => EXECUTABLE + ext.toLowerCase());
}

function expand(value: string, folders: readonly string[], probe: Probe, p: typeof path.posix): string {
  let file = value;
  if (folders.length > 0) file = file.replace(/\$\{workspaceFolder\}/g, folders[0]);
  file = file.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => probe.env[name] ?? "");
  if (file === "~" || file.startsWith("~/")) file = probe.home + file.slice(1);
  if (!p.isAbsolute(file) && folders.length > 0) file = p.join(folders[0], file);
  return p.normalize(file);
}

function quote(s: string): string {
  return /^[A-Za-z0-9_./:\\-]+$/.test(s) ? s : `"${s.replace(/"/g, '\\"')}"`;
}
