import assert from "node:assert/strict";
import { test } from "node:test";
import { Probe, findServer, installCommand } from "../src/locate";

function probe(files: string[], env: Record<string, string> = {}, platform = "linux"): Probe {
  const set = new Set(files);
  return { isExecutable: (f) => set.has(f), env, platform, home: "/home/u" };
}

test("the setting wins, ~ and ${workspaceFolder} expanded, relative to the workspace", () => {
  const p = probe(["/home/u/bin/kairos-lsp", "/w/tools/kairos-lsp", "/w/.venv/bin/kairos-lsp"], { PATH: "/usr/bin" });
  assert.deepEqual(findServer("~/bin/kairos-lsp", ["/w"], p), { command: "/home/u/bin/kairos-lsp", via: "setting" });
  assert.deepEqual(findServer("${workspaceFolder}/tools/kairos-lsp", ["/w"], p), { command: "/w/tools/kairos-lsp", via: "setting" });
  assert.deepEqual(findServer("tools/kairos-lsp", ["/w"], p), { command: "/w/tools/kairos-lsp", via: "setting" });
});

test("a setting pointing nowhere is an error, not a silent fallback", () => {
  const found = findServer("/nope/kairos-lsp", ["/w"], probe(["/w/.venv/bin/kairos-lsp"]));
  assert.equal(found.command, null);
  if (found.command === null) {
    assert.match(found.message, /kairos\.serverPath/);
    assert.deepEqual(found.tried, ["/nope/kairos-lsp"]);
  }
});

test("then the workspace's virtual environment, then $VIRTUAL_ENV, then PATH", () => {
  const env = { PATH: "/usr/local/bin:/usr/bin", VIRTUAL_ENV: "/envs/k" };
  assert.deepEqual(findServer("", ["/w"], probe(["/w/venv/bin/kairos-lsp", "/usr/bin/kairos-lsp"], env)), {
    command: "/w/venv/bin/kairos-lsp",
    via: "venv",
    venv: "/w/venv",
  });
  assert.deepEqual(findServer(undefined, ["/w"], probe(["/envs/k/bin/kairos-lsp", "/usr/bin/kairos-lsp"], env)), {
    command: "/envs/k/bin/kairos-lsp",
    via: "venv",
    venv: "/envs/k",
  });
  assert.deepEqual(findServer(null, ["/w"], probe(["/usr/bin/kairos-lsp"], env)), { command: "/usr/bin/kairos-lsp", via: "path" });
});

test("every workspace folder is searched", () => {
  const found = findServer("", ["/a", "/b"], probe(["/b/.venv/bin/kairos-lsp"]));
  assert.deepEqual(found, { command: "/b/.venv/bin/kairos-lsp", via: "venv", venv: "/b/.venv" });
});

test("missing: one message, and the pip command for the workspace's venv when there is one", () => {
  const found = findServer("", ["/w"], probe(["/w/.venv/bin/python"], { PATH: "/usr/bin" }));
  assert.equal(found.command, null);
  if (found.command === null) {
    assert.match(found.message, /kairos-lsp was not found on PATH or in \/w\/\.venv/);
    assert.equal(found.install, "/w/.venv/bin/python -m pip install kairos-lsp");
    assert.ok(found.tried.includes("/usr/bin/kairos-lsp"));
  }
  const bare = findServer("", [], probe([], { PATH: "/usr/bin" }));
  assert.equal(bare.command === null && bare.install, "python3 -m pip install kairos-lsp");
});

test("Windows: Scripts\\ and PATHEXT", () => {
  const p = probe(["C:\\w\\.venv\\Scripts\\kairos-lsp.exe"], { PATH: "C:\\Windows", PATHEXT: ".EXE;.CMD" }, "win32");
  assert.deepEqual(findServer("", ["C:\\w"], p), { command: "C:\\w\\.venv\\Scripts\\kairos-lsp.exe", via: "venv", venv: "C:\\w\\.venv" });
  assert.equal(installCommand("C:\\My Env", { platform: "win32" }), '"C:\\My Env\\Scripts\\python.exe" -m pip install kairos-lsp');
});
