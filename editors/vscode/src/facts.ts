// Shapes of what the server answers (kairos.explain, kairos.recentChanges), and how a fact reads. Pure.

export interface Evidence {
  observation?: number;
  source: string;
  detail?: string | null;
  active?: boolean;
  observed_at?: string;
  path?: string | null;
  seen_by?: string;
}

export interface Fact {
  id?: number;
  predicate: string;
  value: unknown;
  status: "tentative" | "firm" | "superseded" | "retracted";
  confidence?: number | null;
  origin?: string;
  evidence?: Evidence[];
  evidence_count?: number;
  valid_from?: string | null;
  valid_to?: string | null;
  verdict?: "confirmed" | "rejected" | null;
  check?: "current" | "stale" | null;
}

export interface Citation {
  path: string;
  range: [[number, number], [number, number]];
  content_hash?: string | null;
}

export interface Explained {
  symbol: string;
  kind?: string | null;
  summary?: string | null;
  citation?: Citation | null;
  facts: Fact[];
}

export interface Change {
  id: number;
  subject: string;
  qualname: string;
  path: string | null;
  line: number | null; // 0-based
  predicate: string;
  value: unknown;
  change: "promoted" | "superseded" | "retracted";
  status: string;
  confidence: number | null;
  at: string;
  verdict: "confirmed" | "rejected" | null;
  /** false when the symbol is gone: nothing for a verdict to stick to */
  judgeable?: boolean;
  replaced_by: unknown;
}

export interface Changes {
  since: string | null;
  changes: Change[];
  more: boolean;
}

export const STATUS_ORDER = ["firm", "tentative", "superseded", "retracted"] as const;

export function valueText(value: unknown, max = 80): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const line = (text ?? "").split("\n")[0];
  return line.length > max ? line.slice(0, max - 1) + "…" : line;
}

export function factLabel(fact: Pick<Fact, "predicate" | "value">): string {
  return `${fact.predicate.replace(/_/g, " ")}: ${valueText(fact.value)}`;
}

export function factDescription(fact: Fact): string {
  const parts: string[] = [];
  if (typeof fact.confidence === "number") parts.push(fact.confidence.toFixed(2));
  const count = fact.evidence?.filter((e) => e.active !== false).length ?? fact.evidence_count;
  if (count !== undefined) parts.push(`${count} evidence`);
  if (fact.check === "stale") parts.push("stale");
  if (fact.verdict) parts.push(`${fact.verdict} by you`);
  return parts.join(" · ");
}

export function groupByStatus(facts: readonly Fact[]): Map<string, Fact[]> {
  const groups = new Map<string, Fact[]>();
  for (const status of STATUS_ORDER) groups.set(status, []);
  for (const fact of facts) (groups.get(fact.status) ?? groups.set(fact.status, []).get(fact.status)!).push(fact);
  for (const [status, list] of groups) if (list.length === 0) groups.delete(status);
  return groups;
}

export function changeLabel(change: Change): string {
  return `${change.qualname || change.path || change.subject} — ${factLabel(change)}`;
}

export function changeDescription(change: Change, ago: string): string {
  const verb = { promoted: "promoted to firm", superseded: "superseded", retracted: "retracted" }[change.change];
  const extra = change.replaced_by !== null && change.replaced_by !== undefined ? ` by ${valueText(change.replaced_by, 40)}` : "";
  return `${verb}${extra} · ${ago}`;
}

/** Confirm/Reject make sense for a fact the user has not judged yet. */
export function judgeable(fact: { id?: number; verdict?: string | null; judgeable?: boolean }): boolean {
  return typeof fact.id === "number" && !fact.verdict && fact.judgeable !== false;
}
