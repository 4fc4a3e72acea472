import assert from "node:assert/strict";
import { test } from "node:test";
import { changeDescription, changeLabel, factDescription, groupByStatus, judgeable } from "../src/facts";
import { clock, fromStatus, statusText, when } from "../src/status";

const now = new Date(2026, 11, 1, 15, 0, 0);

test("scanning shows the percentage, dreaming says so, idle shows the last dream's time", () => {
  assert.equal(statusText({ state: "scanning", percentage: 41.6 }, now).text, "$(sync~spin) kairos: scanning 42 %");
  assert.equal(statusText({ state: "dreaming" }, now).text, "$(loading~spin) kairos: dreaming");
  const last = new Date(2026, 11, 1, 14, 32).toISOString();
  const idle = statusText({ state: "idle", lastDream: last }, now);
  assert.equal(idle.text, "$(check) kairos: dreamt 14:32");
  assert.match(idle.tooltip, /last dream 28 min ago/);
  assert.equal(statusText({ state: "idle" }, now).text, "$(check) kairos: idle");
  assert.match(statusText({ state: "stopped" }, now).tooltip, /Click to restart/);
});

test("times: today's clock, another day's date, ages", () => {
  assert.equal(clock(new Date(2026, 10, 28, 9, 5), now), "Nov 28 09:05");
  assert.equal(when(new Date(2026, 11, 1, 14, 59, 30), now), "just now");
  assert.equal(when(new Date(2026, 11, 1, 12, 0), now), "3 h ago");
});

test("the state a kairos.status answer implies", () => {
  assert.deepEqual(fromStatus({ scanning: true, last_dream: null }), { state: "scanning", lastDream: null });
  assert.deepEqual(fromStatus({ scanning: false, last_dream: { started_at: "2026-12-01T14:00:00.000Z" } }), {
    state: "idle",
    lastDream: "2026-12-01T14:00:00.000Z",
  });
});

test("facts grouped by status in a fixed order; labels and descriptions", () => {
  const facts = [
    { id: 3, predicate: "may_handle", value: "network", status: "tentative" as const, confidence: 0.6, evidence: [{ source: "name" }] },
    { id: 1, predicate: "signature", value: "f(a)", status: "firm" as const, confidence: 0.9, evidence: [{ source: "parse" }, { source: "edit", active: false }] },
    { id: 2, predicate: "signature", value: "f()", status: "superseded" as const, verdict: "confirmed" as const },
  ];
  assert.deepEqual([...groupByStatus(facts).keys()], ["firm", "tentative", "superseded"]);
  assert.equal(factDescription(facts[1]), "0.90 · 1 evidence");
  assert.equal(factDescription(facts[2]), "confirmed by you");
  assert.equal(judgeable(facts[0]), true);
  assert.equal(judgeable(facts[2]), false);
  assert.equal(judgeable({ id: 4, verdict: null, judgeable: false }), false); // the symbol is gone
});

test("a review change reads as what happened to which symbol", () => {
  const change = {
    id: 7, subject: "python:a.py:f", qualname: "f", path: "a.py", line: 3, predicate: "signature", value: "f(a)",
    change: "superseded" as const, status: "superseded", confidence: 0.9, at: "2026-12-01T14:00:00Z", verdict: null, replaced_by: "f(a, b)",
  };
  assert.equal(changeLabel(change), "f — signature: f(a)");
  assert.equal(changeDescription(change, "1 h ago"), "superseded by f(a, b) · 1 h ago");
});
