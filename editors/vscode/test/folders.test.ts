import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { inside, outermost, owner } from "../src/folders";

test("a folder inside another is the outer one's; each folder once, in order", () => {
  assert.deepEqual(outermost(["/w/api", "/w/web", "/w/api/plugins", "/w/api"]), ["/w/api", "/w/web"]);
  assert.deepEqual(outermost(["/w/app-old", "/w/app"]), ["/w/app-old", "/w/app"]); // a prefix is not a parent
  assert.deepEqual(outermost([]), []);
});

test("a file belongs to the outermost folder holding it", () => {
  const folders = ["/w/api/plugins", "/w/api", "/w/web"];
  assert.equal(owner(folders, "/w/api/plugins/x.py"), "/w/api");
  assert.equal(owner(folders, "/w/web/src/app.ts"), "/w/web");
  assert.equal(owner(folders, "/w/webby/app.ts"), undefined);
  assert.equal(owner(folders, "/elsewhere/x.py"), undefined);
  assert.ok(inside("/w/api", "/w/api"));
});

test("Windows paths", () => {
  const p = path.win32;
  assert.deepEqual(outermost(["C:\\w\\api", "C:\\w\\api\\plugins", "D:\\w"], p), ["C:\\w\\api", "D:\\w"]);
  assert.equal(owner(["C:\\w\\api", "D:\\w"], "D:\\w\\x.py", p), "D:\\w");
});
