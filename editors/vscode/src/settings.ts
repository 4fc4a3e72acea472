// Settings -> initializationOptions. Pure: no vscode import, so node's test runner can load it.
//
// Each option the server takes (kairos_lsp/config.py, InitializationOptions) is a setting
// `kairos.<its dotted name>`. Only values the user set are sent: the server's own defaults
// and its environment variables (KAIROS_DREAM_IDLE_SECONDS, ...) fill in the rest.

export type Kind = "number" | "integer" | "boolean" | "string" | "string?" | "globs" | "provider" | "watcher";

export interface Option {
  /** dotted path in initializationOptions, and the setting `kairos.<path>` */
  path: string;
  kind: Kind;
}

export const OPTIONS: readonly Option[] = [
  { path: "dream.idleSeconds", kind: "number" },
  { path: "exclude", kind: "globs" },
  { path: "llm.provider", kind: "provider" },
  { path: "llm.model", kind: "string?" },
  { path: "llm.dailyTokens", kind: "integer" },
  { path: "llm.exclude", kind: "globs" },
  { path: "llm.maxConcurrency", kind: "integer" },
  { path: "llm.timeoutSeconds", kind: "number" },
  { path: "storePath", kind: "string?" },
  { path: "maxFileBytes", kind: "integer" },
  { path: "edit.debounceMs", kind: "number" },
  { path: "daemon.keepAlive", kind: "boolean" },
  { path: "files.watcher", kind: "watcher" },
];

/** Settings of the extension itself, never sent to the server. */
export const CLIENT_SETTINGS = ["serverPath", "trace.server"] as const;

export const PROVIDERS = ["none", "anthropic"];
export const WATCHERS = ["auto", "editor", "server", "off"];

/** What the user set for `kairos.<path>`, or undefined when they left the default. */
export type Lookup = (path: string) => unknown;

export interface Built {
  options: Record<string, unknown>;
  /** one line per value not sent (the server's default applies) */
  problems: string[];
}

export function initializationOptions(lookup: Lookup): Built {
  const options: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const option of OPTIONS) {
    const value = lookup(option.path);
    if (value === undefined) continue;
    const problem = check(option.kind, value);
    if (problem !== null) {
      problems.push(`kairos.${option.path} ${problem}; using the server's default`);
      continue;
    }
    put(options, option.path, clean(option.kind, value));
  }
  return { options, problems };
}

function oneOf(values: readonly string[], value: unknown): string | null {
  if (values.includes(value as string)) return null;
  const listed = `${values.slice(0, -1).map(show).join(", ")} or ${show(values[values.length - 1])}`;
  return `must be ${listed}, not ${show(value)}`;
}

function check(kind: Kind, value: unknown): string | null {
  switch (kind) {
    case "number":
    case "integer":
      if (typeof value !== "number" || !Number.isFinite(value)) return `must be a number, not ${show(value)}`;
      if (value < 0) return "must not be negative";
      if (kind === "integer" && !Number.isInteger(value)) return `must be a whole number, not ${value}`;
      return null;
    case "boolean":
      return typeof value === "boolean" ? null : `must be true or false, not ${show(value)}`;
    case "string?":
      return value === null || typeof value === "string" ? null : `must be a string, not ${show(value)}`;
    case "string":
      return typeof value === "string" ? null : `must be a string, not ${show(value)}`;
    case "globs":
      return Array.isArray(value) && value.every((v) => typeof v === "string")
        ? null
        : "must be a list of glob strings";
    case "provider":
      return oneOf(PROVIDERS, value);
    case "watcher":
      return oneOf(WATCHERS, value);
  }
}

function clean(kind: Kind, value: unknown): unknown {
  if (kind === "string?" && typeof value === "string" && value.trim() === "") return null;
  if (kind === "globs") return (value as string[]).map((g) => g.trim()).filter((g) => g !== "");
  return value;
}

function put(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** Whether a configuration change touches something the server reads at start (so: restart). */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects("kairos.serverPath") || OPTIONS.some((o) => affects(`kairos.${o.path}`));
}
