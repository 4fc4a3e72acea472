// kairos for VS Code: starts kairos-lsp, shows what it is doing, and what the memory came to believe.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  DynamicFeature,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
  StaticFeature,
  TransportKind,
} from "vscode-languageclient/node";
import { Explained } from "./facts";
import { outermost, owner } from "./folders";
import { findServer } from "./locate";
import { initializationOptions, needsRestart } from "./settings";
import { STATUS_NOTIFICATION, ServerState, fromStatus, statusText } from "./status";
import { FactNode, MemoryView, ReviewView } from "./views";

export const LANGUAGES = ["python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java"];

let kairos: Kairos | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Kairos> {
  kairos = new Kairos(context);
  await kairos.start();
  return kairos;
}

export async function deactivate(): Promise<void> {
  await kairos?.stop();
  kairos = undefined;
}

/** A client that leaves the server's commands to the extension: with a server per folder,
 * a second client registering `kairos.dreamNow` again fails ("command already exists"), and
 * a code action's command must reach the server of the document it was offered in. */
class FolderClient extends LanguageClient {
  override registerFeature(feature: StaticFeature | DynamicFeature<any>): void {
    if ((feature as Partial<DynamicFeature<any>>).registrationType?.method === ExecuteCommandRequest.method) return;
    super.registerFeature(feature);
  }
}

/** One kairos server: one workspace folder's memory (or, in a window without folders, none). */
class Server {
  client: LanguageClient | undefined;
  state: ServerState = { state: "starting" };
  constructor(readonly folder: vscode.WorkspaceFolder | undefined) {}
}

class Kairos {
  /** by folder URI ("" for a window without folders): each workspace folder that is not inside another */
  private readonly servers = new Map<string, Server>();
  private readonly output = vscode.window.createOutputChannel("kairos", { log: true });
  private readonly trace = vscode.window.createOutputChannel("kairos (LSP trace)");
  private readonly item = vscode.window.createStatusBarItem("kairos.status", vscode.StatusBarAlignment.Left, 10);
  private readonly memory: MemoryView;
  private readonly review: ReviewView;
  private missingShown = false;
  private shown: Server | undefined; // whose state the status bar and the Review view show
  private readonly serverCommands = new Set<string>(); // registered here, see FolderClient
  private readonly stores = new Map<string, string>(); // an absolute kairos.storePath -> the folder (key) it serves

  constructor(private readonly context: vscode.ExtensionContext) {
    const ask = <T>(command: string, ...args: unknown[]) => this.execute<T>(this.active(), command, ...args);
    const root = () => this.active()?.folder?.uri;
    this.memory = new MemoryView(ask, root);
    this.review = new ReviewView(ask, root);
    this.memory.view = vscode.window.createTreeView("kairos.memory", { treeDataProvider: this.memory, showCollapseAll: true });
    this.review.view = vscode.window.createTreeView("kairos.review", { treeDataProvider: this.review });
    this.item.name = "kairos";
    this.item.command = "kairos.showStatus";
    this.render();
    this.item.show();

    const command = (id: string, fn: (...args: any[]) => unknown) =>
      context.subscriptions.push(vscode.commands.registerCommand(id, fn));
    command("kairos.dream", () => this.dream());
    command("kairos.showMemory", () => this.showMemory());
    command("kairos.forgetFile", (uri?: vscode.Uri) => this.forgetFile(uri));
    command("kairos.showStatus", () => this.showStatus());
    command("kairos.restartServer", () => this.restart());
    command("kairos.showLog", () => this.output.show());
    command("kairos.review.refresh", () => this.review.refresh());
    command("kairos.review.markSeen", () => this.review.refresh(true));
    command("kairos.memory.refresh", () => this.memory.refresh());
    command("kairos.fact.confirm", (node?: FactNode) => this.judge(node, true));
    command("kairos.fact.reject", (node?: FactNode) => this.judge(node, false));
    command("kairos.fact.open", (node?: FactNode) => this.open(node));

    context.subscriptions.push(
      this.output,
      this.trace,
      this.item,
      this.memory.view,
      this.review.view,
      vscode.window.onDidChangeTextEditorSelection((e) => this.memory.follow(e.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((e) => {
        this.memory.follow(e);
        this.render();
        if (this.active() !== this.shown) void this.review.refresh(); // another folder's memory
      }),
      this.memory.view.onDidChangeVisibility((e) => e.visible && this.memory.follow(vscode.window.activeTextEditor)),
      this.review.view.onDidChangeVisibility((e) => e.visible && void this.review.refresh()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (needsRestart((section) => e.affectsConfiguration(section))) {
          this.output.info("kairos: settings changed; restarting the server");
          void this.restart();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.follow()),
    );
  }

  // -- the servers --------------------------------------------------------------------------

  /** The folders that get a server: those not inside another (see folders.ts), by URI. */
  private wanted(): Map<string, vscode.WorkspaceFolder | undefined> {
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file");
    if (!folders.length) return new Map([["", undefined]]);
    const kept = outermost(folders.map((f) => f.uri.fsPath));
    return new Map(folders.filter((f) => kept.includes(f.uri.fsPath)).map((f) => [f.uri.toString(), f]));
  }

  /** The server a file belongs to (its outermost folder's), if any. */
  private serverFor(uri: vscode.Uri | undefined): Server | undefined {
    if (!uri) return undefined;
    const folders = [...this.servers.values()].flatMap((s) => (s.folder ? [s.folder.uri.fsPath] : []));
    const folder = owner(folders, uri.fsPath);
    return folder !== undefined ? [...this.servers.values()].find((s) => s.folder?.uri.fsPath === folder) : this.servers.get("");
  }

  /** The active editor's server, else the first one. */
  private active(): Server | undefined {
    return this.serverFor(vscode.window.activeTextEditor?.document.uri) ?? this.servers.values().next().value;
  }

  async start(): Promise<void> {
    await Promise.all([...this.wanted()].map(([key, folder]) => this.startServer(key, folder)));
    void this.review.refresh();
  }

  /** The workspace's folders changed: a server for each new outermost folder, none for those gone. */
  private async follow(): Promise<void> {
    const wanted = this.wanted();
    const gone = [...this.servers.keys()].filter((key) => !wanted.has(key));
    await Promise.all(gone.map((key) => this.stopServer(key)));
    await Promise.all([...wanted].filter(([key]) => !this.servers.has(key)).map(([key, folder]) => this.startServer(key, folder)));
    this.render();
    void this.review.refresh();
  }

  private async startServer(key: string, folder: vscode.WorkspaceFolder | undefined): Promise<void> {
    const server = new Server(folder);
    this.servers.set(key, server);
    const others = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath).filter((f) => f !== folder?.uri.fsPath);
    const config = vscode.workspace.getConfiguration("kairos", folder?.uri);
    const found = findServer(config.get<string>("serverPath"), folder ? [folder.uri.fsPath, ...others] : others, {
      isExecutable: (file) => {
        try {
          fs.accessSync(file, fs.constants.X_OK);
          return fs.statSync(file).isFile();
        } catch {
          return false;
        }
      },
      env: process.env,
      platform: process.platform,
      home: os.homedir(),
    });
    if (found.command === null) {
      this.output.warn(`${found.message} Looked in: ${found.tried.join(", ")}`);
      this.update(server, { state: "stopped", message: found.message });
      if (!this.missingShown) {
        this.missingShown = true;
        void this.offerInstall(found.message, found.install);
      }
      return;
    }
    const where = folder ? ` for ${folder.name}` : "";
    this.output.info(`kairos: starting ${found.command}${where} (found via ${found.via})`);

    const lookup = (name: string) => {
      const seen = config.inspect(name);
      return seen?.workspaceFolderValue ?? seen?.workspaceValue ?? seen?.globalValue;
    };
    const { options, problems } = initializationOptions(lookup);
    // One memory per folder: an absolute kairos.storePath two folders share would mix their
    // files (each keeps paths relative to its own folder); the second keeps its own.
    const store = typeof options.storePath === "string" && path.isAbsolute(options.storePath) ? options.storePath : undefined;
    const holder = store !== undefined ? this.stores.get(store) : undefined;
    if (store !== undefined && holder !== undefined && holder !== key) {
      delete options.storePath;
      problems.push(`kairos.storePath ${store} is ${this.servers.get(holder)?.folder?.name ?? "another folder"}'s memory; ${folder?.name ?? "this folder"} keeps its own in .kairos/`);
    } else if (store !== undefined) {
      this.stores.set(store, key);
    }
    for (const problem of problems) this.output.warn(problem);
    if (problems.length) void vscode.window.showWarningMessage(`kairos: ${problems.join("; ")}`);

    const serverOptions: ServerOptions = {
      command: found.command,
      args: [],
      transport: TransportKind.stdio,
      options: { env: { ...process.env, KAIROS_LOG_LEVEL: process.env.KAIROS_LOG_LEVEL ?? "INFO" } },
    };
    // A folder's server gets that folder's files only (and the folder as its workspace). A
    // RelativePattern, not a glob of the folder's path: a path may hold glob characters. (The
    // client hands it to VS Code as it is; the protocol's own type has a string baseUri.)
    const pattern = folder ? (new vscode.RelativePattern(folder, "**/*") as unknown as string) : undefined;
    const clientOptions: LanguageClientOptions = {
      documentSelector: LANGUAGES.map((language) => (pattern ? { scheme: "file", language, pattern } : { scheme: "file", language })),
      workspaceFolder: folder,
      initializationOptions: options,
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
    };
    const client = new FolderClient("kairos", folder ? `kairos (${folder.name})` : "kairos", serverOptions, clientOptions);
    server.client = client;
    client.onDidChangeState((e) => {
      if (e.newState === State.Stopped && server.client === client) this.update(server, { state: "stopped" });
    });
    this.update(server, { state: "starting" });
    try {
      await client.start();
    } catch (error) {
      this.output.error(`kairos: the server${where} did not start: ${error}`);
      this.update(server, { state: "error", message: `the server did not start: ${error}` });
      return;
    }
    // The server's commands (a code action's Confirm / Reject...) go to the active editor's server.
    for (const id of client.initializeResult?.capabilities.executeCommandProvider?.commands ?? []) {
      if (this.serverCommands.has(id)) continue;
      this.serverCommands.add(id);
      this.context.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => this.execute(this.active(), id, ...args)));
    }
    client.onNotification(STATUS_NOTIFICATION, (state: ServerState) => {
      const wasBusy = server.state.state === "dreaming" || server.state.state === "scanning";
      this.update(server, { ...state, lastDream: state.lastDream ?? server.state.lastDream });
      if (wasBusy && state.state === "idle" && server === this.active()) {
        void this.review.refresh();
        void this.memory.refresh();
      }
    });
    const status = await this.execute<Record<string, unknown>>(server, "kairos.status");
    if (status && !("error" in status) && server.state.state === "starting") this.update(server, fromStatus(status));
  }

  private async stopServer(key: string): Promise<void> {
    const server = this.servers.get(key);
    this.servers.delete(key);
    for (const [store, holder] of this.stores) if (holder === key) this.stores.delete(store);
    const client = server?.client;
    if (server) server.client = undefined;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.warn(`kairos: stopping the server${server?.folder ? ` for ${server.folder.name}` : ""}: ${error}`);
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((key) => this.stopServer(key)));
    this.render();
  }

  async restart(): Promise<void> {
    await this.stop();
    this.missingShown = false;
    await this.start();
  }

  private async execute<T>(server: Server | undefined, command: string, ...args: unknown[]): Promise<T | undefined> {
    const client = server?.client;
    if (!client || !client.isRunning()) return undefined;
    try {
      const result = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
      if (result && typeof result === "object" && "error" in result && typeof (result as any).error === "string") {
        this.output.error((result as any).error);
        void vscode.window.showErrorMessage((result as any).error);
        return undefined;
      }
      return result as T;
    } catch (error) {
      this.output.error(`kairos: ${command} failed: ${error}`);
      return undefined;
    }
  }

  private async offerInstall(message: string, install: string): Promise<void> {
    const copy = "Copy pip command";
    const settings = "Open settings";
    const choice = await vscode.window.showErrorMessage(`${message} ${install}`, copy, settings);
    if (choice === copy) {
      await vscode.env.clipboard.writeText(install);
      void vscode.window.showInformationMessage(`Copied: ${install}. Run it, then "Kairos: Restart server".`);
    } else if (choice === settings) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "kairos.serverPath");
    }
  }

  private update(server: Server, state: ServerState): void {
    server.state = state;
    if (server === this.active()) this.render();
  }

  /** The status bar: the active editor's server (with its folder's name when there are several). */
  private render(): void {
    const server = this.active();
    this.shown = server;
    const state = server?.state ?? { state: "stopped" };
    const shown = statusText(state);
    const name = this.servers.size > 1 ? server?.folder?.name : undefined;
    this.item.text = name ? `${shown.text} (${name})` : shown.text;
    this.item.tooltip = name ? `${name}: ${shown.tooltip}` : shown.tooltip;
    this.item.command = state.state === "stopped" ? "kairos.restartServer" : state.state === "error" ? "kairos.showLog" : "kairos.showStatus";
    this.item.backgroundColor = state.state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  // -- commands ----------------------------------------------------------------------------

  private async dream(): Promise<void> {
    const server = this.active();
    if (!server) return;
    this.update(server, { ...server.state, state: "dreaming" });
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "kairos: dreaming" },
      () => this.execute<Record<string, number>>(server, "kairos.dreamNow"),
    );
    this.update(server, { ...server.state, state: "idle", lastDream: new Date().toISOString() });
    if (report) {
      const counts = ["created", "superseded", "retracted", "promoted", "demoted"]
        .filter((k) => typeof report[k] === "number")
        .map((k) => `${report[k]} ${k}`)
        .join(", ");
      void vscode.window.showInformationMessage(`kairos: dream done: ${counts || "nothing new"}`);
    }
    await Promise.all([this.review.refresh(), this.memory.refresh()]);
  }

  private async showMemory(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage("kairos: put the cursor on a symbol first");
      return;
    }
    await vscode.commands.executeCommand("kairos.memory.focus");
    const item: Explained | undefined = await this.memory.show(editor.document.uri, editor.selection.active);
    if (!item) void vscode.window.showInformationMessage("kairos: the memory holds nothing about the symbol at the cursor");
  }

  private async forgetFile(uri?: vscode.Uri): Promise<void> {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    if (!target) return;
    const name = vscode.workspace.asRelativePath(target);
    const sure = await vscode.window.showWarningMessage(
      `Forget everything kairos remembers about ${name}? It is learned again when the file is read again (use kairos.exclude to stop that).`,
      { modal: true },
      "Forget",
    );
    if (sure !== "Forget") return;
    const result = await this.execute<Record<string, unknown>>(this.serverFor(target), "kairos.forget", target.toString());
    if (result) {
      const counts = Object.entries(result)
        .filter(([, v]) => typeof v === "number")
        .map(([k, v]) => `${v} ${k}`)
        .join(", ");
      void vscode.window.showInformationMessage(`kairos: forgot ${name}${counts ? `: ${counts}` : ""}`);
      await Promise.all([this.review.refresh(), this.memory.refresh()]);
    }
  }

  private async showStatus(): Promise<void> {
    const server = this.active();
    const status = await this.execute<Record<string, unknown>>(server, "kairos.status");
    if (!server || !status) {
      this.output.show(true);
      return;
    }
    this.output.info(`kairos.status ${JSON.stringify(status)}`);
    const facts = (status.facts ?? {}) as Record<string, number>;
    const last = status.last_dream as Record<string, unknown> | null;
    const llm = status.llm as { provider?: string; state?: string } | undefined;
    const daemon = status.daemon as { running?: boolean; pid?: number } | undefined;
    const lines = [
      `${status.files} files, ${status.symbols} symbols, ${status.observations} observations (${status.undreamed} not yet dreamt)`,
      `facts: ${facts.firm ?? 0} firm, ${facts.tentative ?? 0} tentative, ${facts.superseded ?? 0} superseded, ${facts.retracted ?? 0} retracted`,
      last ? `last dream: ${last.started_at} (${last.trigger}, ${Math.round(Number(last.duration_ms ?? 0))} ms)` : "no dream yet",
      `LLM: ${llm?.provider ?? "none"} — ${llm?.state ?? ""}`,
      daemon?.running ? `daemon: running (pid ${daemon.pid})` : "daemon: not running",
      `disk: ${status.disk ?? "unknown"}`,
      `memory: ${status.store}`,
    ];
    const log = "Show log";
    const title = this.servers.size > 1 && server.folder ? `kairos (${server.folder.name})` : "kairos";
    const choice = await vscode.window.showInformationMessage(`${title}: ${server.state.state}`, { modal: true, detail: lines.join("\n") }, log);
    if (choice === log) this.output.show(true);
  }

  private async judge(node: FactNode | undefined, confirm: boolean): Promise<void> {
    if (!node || typeof node.fact.id !== "number") return;
    // (a fact's id is its own memory's: the server of the folder the view asked)
    const server = node.folder ? this.serverFor(node.folder) : this.active();
    const result = await this.execute<Record<string, unknown>>(server, confirm ? "kairos.confirmFact" : "kairos.rejectFact", node.fact.id);
    if (result) {
      this.output.info(`kairos: fact ${node.fact.id} ${confirm ? "confirmed" : "rejected"}: ${JSON.stringify(result)}`);
      await Promise.all([this.review.refresh(), this.memory.refresh()]);
    }
  }

  private async open(node: FactNode | undefined): Promise<void> {
    if (!node?.location) return;
    await vscode.window.showTextDocument(node.location.uri, { selection: node.location.range });
  }
}
