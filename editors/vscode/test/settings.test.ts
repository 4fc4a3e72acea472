import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { CLIENT_SETTINGS, OPTIONS, initializationOptions, needsRestart } from "../src/settings";

const lookup = (values: Record<string, unknown>) => (path: string) => values[path];

test("only what the user set is sent, nested as the server reads it", () => {
  const { options, problems } = initializationOptions(
    lookup({ "dream.idleSeconds": 5, exclude: ["build/**", " ", "dist/"], "llm.provider": "anthropic", "daemon.keepAlive": true }),
  );
  assert.deepEqual(options, {
    dream: { idleSeconds: 5 },
    exclude: ["build/**", "dist/"],
    llm: { provider: "anthropic" },
    daemon: { keepAlive: true },
  });
  assert.deepEqual(problems, []);
});

test("nothing set: nothing sent (the server's defaults and KAIROS_* variables apply)", () => {
  assert.deepEqual(initializationOptions(lookup({})), { options: {}, problems: [] });
});

test("every option maps to its dotted path", () => {
  const values: Record<string, unknown> = {
    "dream.idleSeconds": 0.5,
    exclude: [],
    "llm.provider": "none",
    "llm.model": "claude-x",
    "llm.dailyTokens": 1000,
    "llm.exclude": ["private/**"],
    "llm.maxConcurrency": 1,
    "llm.timeoutSeconds": 10,
    storePath: ".kairos/other.db",
    maxFileBytes: 2000,
    "edit.debounceMs": 50,
    "daemon.keepAlive": false,
    "files.watcher": "server",
  };
  assert.equal(OPTIONS.length, Object.keys(values).length);
  const { options } = initializationOptions(lookup(values));
  assert.deepEqual(options, {
    dream: { idleSeconds: 0.5 },
    exclude: [],
    llm: { provider: "none", model: "claude-x", dailyTokens: 1000, exclude: ["private/**"], maxConcurrency: 1, timeoutSeconds: 10 },
    storePath: ".kairos/other.db",
    maxFileBytes: 2000,
    edit: { debounceMs: 50 },
    daemon: { keepAlive: false },
    files: { watcher: "server" },
  });
});

test("a bad value is one line naming the setting, and is not sent", () => {
  const { options, problems } = initializationOptions(
    lookup({
      "dream.idleSeconds": "soon",
      "llm.provider": "openai",
      maxFileBytes: 1.5,
      exclude: [1],
      "edit.debounceMs": -1,
      "llm.model": "m",
      "files.watcher": "polling",
    }),
  );
  assert.deepEqual(options, { llm: { model: "m" } });
  assert.deepEqual(problems, [
    `kairos.dream.idleSeconds must be a number, not "soon"; using the server's default`,
    `kairos.exclude must be a list of glob strings; using the server's default`,
    `kairos.llm.provider must be "none" or "anthropic", not "openai"; using the server's default`,
    `kairos.maxFileBytes must be a whole number, not 1.5; using the server's default`,
    `kairos.edit.debounceMs must not be negative; using the server's default`,
    `kairos.files.watcher must be "auto", "editor", "server" or "off", not "polling"; using the server's default`,
  ]);
});

test("an empty model or store path means the default", () => {
  assert.deepEqual(initializationOptions(lookup({ "llm.model": "  ", storePath: "" })).options, {
    llm: { model: null },
    storePath: null,
  });
});

test("package.json declares a setting for each option, and no other", () => {
  const manifest = JSON.parse(readFileSync("package.json", "utf8"));
  const declared = Object.keys(manifest.contributes.configuration.properties).sort();
  const expected = [...OPTIONS.map((o) => `kairos.${o.path}`), ...CLIENT_SETTINGS.map((s) => `kairos.${s}`)].sort();
  assert.deepEqual(declared, expected);
});

test("a change to an option or the server path restarts; the trace alone does not", () => {
  const affects = (changed: string[]) => (section: string) => changed.some((c) => c === section || c.startsWith(section + "."));
  assert.equal(needsRestart(affects(["kairos.dream.idleSeconds"])), true);
  assert.equal(needsRestart(affects(["kairos.serverPath"])), true);
  assert.equal(needsRestart(affects(["kairos.trace.server"])), false);
  assert.equal(needsRestart(affects(["editor.fontSize"])), false);
});
