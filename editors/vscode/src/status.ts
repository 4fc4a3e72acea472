// What the status bar item says. Pure.
//
// The server sends `kairos/status` ({state, percentage, message, lastDream}) when it starts or
// ends a scan or a dream, and as a scan goes on.

export const STATUS_NOTIFICATION = "kairos/status";

export interface ServerState {
  state: "starting" | "scanning" | "dreaming" | "idle" | "stopped" | "error";
  percentage?: number | null;
  message?: string | null;
  /** ISO 8601 (UTC) start of the last dream, or null when there has been none */
  lastDream?: string | null;
}

export interface Shown {
  text: string;
  tooltip: string;
}

export function statusText(s: ServerState, now: Date = new Date()): Shown {
  const last = s.lastDream ? `last dream ${when(new Date(s.lastDream), now)}` : "no dream yet";
  const detail = s.message ? `\n${s.message}` : "";
  switch (s.state) {
    case "starting":
      return { text: "$(loading~spin) kairos", tooltip: `kairos: starting${detail}` };
    case "scanning": {
      const pct = typeof s.percentage === "number" ? ` ${Math.max(0, Math.min(100, Math.round(s.percentage)))} %` : "";
      return { text: `$(sync~spin) kairos: scanning${pct}`, tooltip: `kairos: reading the workspace${detail}\nClick for the memory's status` };
    }
    case "dreaming":
      return { text: "$(loading~spin) kairos: dreaming", tooltip: `kairos: consolidating what is new; ${last}\nClick for the memory's status` };
    case "idle":
      return {
        text: s.lastDream ? `$(check) kairos: dreamt ${clock(new Date(s.lastDream), now)}` : "$(check) kairos: idle",
        tooltip: `kairos: idle; ${last}${detail}\nClick for the memory's status`,
      };
    case "stopped":
      return { text: "$(circle-slash) kairos", tooltip: `kairos: the server is not running${detail}\nClick to restart` };
    case "error":
      return { text: "$(error) kairos", tooltip: `kairos: ${s.message ?? "the server failed"}\nClick for the log` };
  }
}

/** "14:32" today, "Mar 3 14:32" another day (local time). */
export function clock(at: Date, now: Date): string {
  if (Number.isNaN(at.getTime())) return "?";
  const hm = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
  if (at.toDateString() === now.toDateString()) return hm;
  const month = at.toLocaleString("en", { month: "short" });
  return `${month} ${at.getDate()} ${hm}`;
}

/** "just now", "5 min ago", "3 h ago", else the clock. */
export function when(at: Date, now: Date): string {
  const seconds = (now.getTime() - at.getTime()) / 1000;
  if (Number.isNaN(seconds)) return "?";
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return clock(at, now);
}

/** The state a `kairos.status` answer implies (before any notification arrived). */
export function fromStatus(status: Record<string, unknown>): ServerState {
  const last = status.last_dream as { started_at?: string } | null | undefined;
  return {
    state: status.scanning ? "scanning" : "idle",
    lastDream: last?.started_at ?? null,
  };
}
