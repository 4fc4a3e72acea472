// The Memory view (facts about the symbol at the cursor) and the Review view (what dreams changed).

import * as path from "node:path";
import * as vscode from "vscode";
import {
  Change,
  Changes,
  Evidence,
  Explained,
  Fact,
  changeDescription,
  changeLabel,
  factDescription,
  factLabel,
  groupByStatus,
  judgeable,
  valueText,
} from "./facts";
import { when } from "./status";

export type Ask = <T>(command: string, ...args: unknown[]) => Promise<T | undefined>;

/** A fact in either view; `kairos.fact.*` commands receive it. */
export class FactNode extends vscode.TreeItem {
  /** the workspace folder whose memory holds the fact (its id is that memory's) */
  folder: vscode.Uri | undefined;

  constructor(
    readonly fact: { id?: number; verdict?: string | null; judgeable?: boolean },
    label: string,
    readonly location: vscode.Location | undefined,
    collapsible: vscode.TreeItemCollapsibleState,
    readonly children: vscode.TreeItem[] = [],
  ) {
    super(label, collapsible);
    const context = [judgeable(fact) ? "kairosFact" : "", location ? "kairosCode" : ""].filter(Boolean);
    this.contextValue = context.join(" ") || "kairosItem";
  }
}

class Group extends vscode.TreeItem {
  constructor(label: string, readonly children: vscode.TreeItem[], expanded: boolean) {
    super(label, expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
  }
}

function openCommand(location: vscode.Location): vscode.Command {
  return { command: "vscode.open", title: "Open code", arguments: [location.uri, { selection: location.range }] };
}

function locate(root: vscode.Uri | undefined, rel: string | null | undefined, line: number | null | undefined, end?: number): vscode.Location | undefined {
  if (!root || !rel) return undefined;
  const uri = path.isAbsolute(rel) ? vscode.Uri.file(rel) : vscode.Uri.joinPath(root, rel);
  const start = Math.max(0, line ?? 0);
  return new vscode.Location(uri, new vscode.Range(start, 0, end ?? start, 0));
}

// -- Memory -------------------------------------------------------------------------------

export class MemoryView implements vscode.TreeDataProvider<vscode.TreeItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: vscode.TreeItem[] = [];
  private where: { uri: vscode.Uri; position: vscode.Position } | undefined;
  private timer: NodeJS.Timeout | undefined;
  view: vscode.TreeView<vscode.TreeItem> | undefined;

  constructor(private readonly ask: Ask, private readonly root: () => vscode.Uri | undefined) {}

  /** The cursor moved: ask again shortly (only while the view is visible). */
  follow(editor: vscode.TextEditor | undefined): void {
    if (!editor || editor.document.uri.scheme !== "file") return;
    this.where = { uri: editor.document.uri, position: editor.selection.active };
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), 300);
  }

  async show(uri: vscode.Uri, position: vscode.Position): Promise<Explained | undefined> {
    this.where = { uri, position };
    return this.refresh(true);
  }

  /** Ask again for the last position (only while the view is visible, unless `force`). */
  async refresh(force = false): Promise<Explained | undefined> {
    if (!this.where || (!force && this.view && !this.view.visible)) return undefined;
    const { uri, position } = this.where;
    const folder = this.root(); // (whose server is asked, now)
    const item = await this.ask<Explained | null>("kairos.explain", uri.toString(), { line: position.line, character: position.character });
    this.roots = item ? this.build(item, folder) : [];
    if (this.view) {
      this.view.description = item ? item.symbol.split(":").slice(2).join(":") || item.symbol : undefined;
      this.view.message = item ? item.summary ?? undefined : undefined;
    }
    this.changed.fire();
    return item ?? undefined;
  }

  private build(item: Explained, folder: vscode.Uri | undefined): vscode.TreeItem[] {
    const cited = item.citation
      ? locate(folder, item.citation.path, item.citation.range[0][0], item.citation.range[1][0])
      : undefined;
    const groups: vscode.TreeItem[] = [];
    for (const [status, facts] of groupByStatus(item.facts)) {
      const nodes = facts.map((fact) => this.factNode(fact, cited, folder));
      groups.push(new Group(`${status} (${facts.length})`, nodes, status === "firm" || status === "tentative"));
    }
    return groups;
  }

  private factNode(fact: Fact, cited: vscode.Location | undefined, folder: vscode.Uri | undefined): FactNode {
    const children: vscode.TreeItem[] = (fact.evidence ?? []).map((e) => this.evidenceNode(e));
    if (cited) {
      const citation = new vscode.TreeItem(
        `cites ${vscode.workspace.asRelativePath(cited.uri)}:${cited.range.start.line + 1}-${cited.range.end.line + 1}`,
      );
      citation.iconPath = new vscode.ThemeIcon("file-code");
      citation.command = openCommand(cited);
      citation.description = fact.check ?? undefined;
      children.push(citation);
    }
    const node = new FactNode(
      fact,
      factLabel(fact),
      cited,
      children.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
      children,
    );
    node.folder = folder;
    node.description = factDescription(fact);
    node.tooltip = new vscode.MarkdownString(
      `**${fact.predicate}** \`${valueText(fact.value, 200)}\`  \n${fact.status}` +
        (fact.origin ? ` · ${fact.origin}` : "") +
        (fact.valid_from ? ` · since ${fact.valid_from}` : "") +
        (fact.valid_to ? ` · until ${fact.valid_to}` : ""),
    );
    node.iconPath = new vscode.ThemeIcon(
      fact.verdict === "confirmed" ? "pass-filled" : fact.verdict === "rejected" ? "error" : fact.status === "firm" ? "circle-filled" : "circle-outline",
    );
    return node;
  }

  private evidenceNode(e: Evidence): vscode.TreeItem {
    const item = new vscode.TreeItem(`${e.source}${e.detail ? `: ${e.detail}` : ""}`);
    item.description = [e.observed_at, e.path, e.active === false ? "gone" : ""].filter(Boolean).join(" · ");
    item.iconPath = new vscode.ThemeIcon(e.active === false ? "debug-breakpoint-unverified" : "debug-breakpoint-log");
    return item;
  }

  getTreeItem(element: vscode.TreeItem): vscode.TreeItem {
    return element;
  }

  getChildren(element?: vscode.TreeItem): vscode.TreeItem[] {
    if (!element) return this.roots;
    if (element instanceof Group || element instanceof FactNode) return element.children;
    return [];
  }
}

// -- Review -------------------------------------------------------------------------------

export class ReviewView implements vscode.TreeDataProvider<vscode.TreeItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private items: vscode.TreeItem[] = [];
  private last: Changes | undefined;
  view: vscode.TreeView<vscode.TreeItem> | undefined;

  constructor(private readonly ask: Ask, private readonly root: () => vscode.Uri | undefined) {}

  get count(): number {
    return this.last?.changes.length ?? 0;
  }

  async refresh(markSeen = false): Promise<Changes | undefined> {
    const folder = this.root(); // (whose server is asked, now)
    const answer = await this.ask<Changes>("kairos.recentChanges", { markSeen });
    if (!answer || !Array.isArray(answer.changes)) return undefined;
    this.last = markSeen ? { ...answer, changes: [] } : answer;
    const now = new Date();
    this.items = this.last.changes.map((change) => this.node(change, now, folder));
    if (this.view) {
      this.view.badge = this.count ? { value: this.count, tooltip: `${this.count} changes to review` } : undefined;
      // (in a workspace of several folders, whose memory this is)
      const several = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
      const name = folder && several ? vscode.workspace.getWorkspaceFolder(folder)?.name : undefined;
      const since = answer.since ? `since ${new Date(answer.since).toLocaleString()}` : undefined;
      this.view.description = [name, since].filter(Boolean).join(" · ") || undefined;
    }
    this.changed.fire();
    return answer;
  }

  private node(change: Change, now: Date, folder: vscode.Uri | undefined): FactNode {
    const location = locate(folder, change.path, change.line);
    const node = new FactNode(change, changeLabel(change), location, vscode.TreeItemCollapsibleState.None);
    node.folder = folder;
    node.id = `${change.id}:${change.change}`;
    node.description = changeDescription(change, when(new Date(change.at), now));
    node.tooltip = new vscode.MarkdownString(
      `**${change.subject}**  \n${change.predicate}: \`${valueText(change.value, 200)}\`  \n` +
        `${change.change} ${change.at}` +
        (change.confidence !== null ? ` · confidence ${change.confidence.toFixed(2)}` : "") +
        (change.verdict ? `  \n${change.verdict} by you` : ""),
    );
    node.iconPath = new vscode.ThemeIcon(
      change.change === "promoted" ? "arrow-up" : change.change === "superseded" ? "history" : "trash",
    );
    if (location) node.command = openCommand(location);
    return node;
  }

  getTreeItem(element: vscode.TreeItem): vscode.TreeItem {
    return element;
  }

  getChildren(element?: vscode.TreeItem): vscode.TreeItem[] {
    return element ? [] : this.items;
  }
}
