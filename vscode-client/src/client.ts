/**
 * The language client's lifecycle: start, restart and stop the server, and report its builds.
 */
import { statSync } from "node:fs";
import { basename } from "node:path";
import * as vscode from "vscode";
import {
  type DynamicFeature,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  type StaticFeature,
} from "vscode-languageclient/node";
import { BUILD_FINISHED, type BuildFinished, formatBuildStatus, parseBuildFinished } from "./buildStatus";
import { initializationOptions, readSettings, serverSettingsKey } from "./config";
import { PROGRAM_EXITED, PROGRAM_OUTPUT } from "./live";
import { resolveServer, type ServerLaunch } from "./probe";
import { formatProgressStatus, ProgressTracker, type ProgressValue } from "./progressStatus";

/** Anything that can be disposed (VS Code's and the client library's disposables). */
interface Disposable {
  dispose(): unknown;
}

/** The client id: VS Code reads `zir.trace.server` from it. */
export const CLIENT_ID = "zir";
export const CLIENT_NAME = "ZIR Live";

/**
 * A `LanguageClient` that leaves `workspace/executeCommand` to the extension: the extension registers
 * `zir.rebuild` and friends once, so a restart (new client started before the old one stops) never
 * registers a command twice.
 */
class ZirLanguageClient extends LanguageClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the library's own signature
  public override registerFeature(feature: StaticFeature | DynamicFeature<any>): void {
    if ("registrationType" in feature && feature.registrationType.method === ExecuteCommandRequest.method) {
      return;
    }
    super.registerFeature(feature);
  }
}

/** Owns the running client, the output channel and the status-bar item. */
export class ServerManager implements vscode.Disposable {
  /** The one output channel: the client's log and its protocol trace. */
  readonly log: vscode.LogOutputChannel;
  /** The last `zir/buildFinished` per document URI (string form, as the server sent it). */
  readonly lastBuilds = new Map<string, BuildFinished>();
  private readonly buildFinishedEmitter = new vscode.EventEmitter<BuildFinished>();
  /** Fires for every `zir/buildFinished`. */
  readonly onBuildFinished = this.buildFinishedEmitter.event;
  private readonly liveEmitter = new vscode.EventEmitter<[string, unknown]>();
  /** `[method, params]` of `zir/programOutput`, `zir/programExited` and (raw) `zir/buildFinished` (live.ts). */
  readonly onLiveNotification = this.liveEmitter.event;
  private readonly status: vscode.StatusBarItem;
  private client: LanguageClient | undefined;
  private clientDisposables: Disposable[] = [];
  /** The launch the current client was started with (for the log and the e2e result). */
  launch: ServerLaunch | undefined;
  /** How many clients were started (the e2e test counts restarts). */
  starts = 0;
  /** `serverSettingsKey` of the last launch's settings. */
  private launchedWith: string | undefined;
  /** Serialises start/restart/stop. */
  private queue: Promise<void> = Promise.resolve();
  /** The server's running `$/progress` reports: while one runs, the status item shows it. */
  private readonly progress = new ProgressTracker();
  /** What the status item shows when no progress runs (the server's state or the last build). */
  private baseStatus: { text: string; tooltip: string; isError: boolean } = { text: "", tooltip: "", isError: false };

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
    this.status = vscode.window.createStatusBarItem("zir.status", vscode.StatusBarAlignment.Left, 0);
    this.status.name = CLIENT_NAME;
    this.status.command = "zir.showOutput";
    this.setStatus("$(sync~spin) ZIR", "ZIR Live: starting the language server", false);
  }

  /** The status-bar item's current text (shown to the user; read by the end-to-end test). */
  get statusText(): string {
    return this.status.text;
  }

  /** Whether the `zir.server.*` settings differ from those the running server was launched with. */
  serverSettingsChanged(): boolean {
    const configuration = vscode.workspace.getConfiguration("zir");
    return serverSettingsKey(readSettings((key) => configuration.get(key)).settings) !== this.launchedWith;
  }

  /** Resolves once every queued start, restart and stop has finished. */
  settled(): Promise<void> {
    return this.queue;
  }

  /** The running client, if any. */
  get current(): LanguageClient | undefined {
    return this.client;
  }

  /** Starts a client, or replaces the running one (start the new one, then stop the old). */
  restart(): Promise<void> {
    this.queue = this.queue.then(() => this.replaceClient()).catch((error: unknown) => {
      this.log.error(`restart failed: ${String(error)}`);
    });
    return this.queue;
  }

  /** Stops the client (shutdown + exit). */
  stop(): Promise<void> {
    this.queue = this.queue.then(async () => {
      const old = this.client;
      this.client = undefined;
      await this.stopClient(old, this.clientDisposables);
      this.clientDisposables = [];
    });
    return this.queue;
  }

  /** Sends `workspace/executeCommand` to the server. */
  async executeServerCommand(command: string, args: unknown[]): Promise<unknown> {
    const client = this.client;
    if (client === undefined || !client.isRunning()) {
      throw new Error("the ZIR Live language server is not running (see the ZIR Live output)");
    }
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  dispose(): void {
    void this.stop();
    this.status.dispose();
    this.buildFinishedEmitter.dispose();
    this.liveEmitter.dispose();
    this.log.dispose();
  }

  private setStatus(text: string, tooltip: string, isError: boolean): void {
    this.baseStatus = { text, tooltip, isError };
    this.render();
  }

  /** Shows the newest running progress (`ZIR: <phase> N%`), else the base status. */
  private render(): void {
    const running = this.progress.current;
    const view = running === undefined ? this.baseStatus : { ...formatProgressStatus(running), isError: false };
    this.status.text = view.text;
    this.status.tooltip = view.tooltip;
    this.status.backgroundColor = view.isError ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.status.show();
  }

  /** A `$/progress` value of the current client (the client library still shows its window progress). */
  private handleProgress(client: LanguageClient, token: string | number, value: ProgressValue): void {
    if (this.client === client && this.progress.apply(String(token), value)) {
      this.render();
    }
  }

  private async replaceClient(): Promise<void> {
    const configuration = vscode.workspace.getConfiguration("zir");
    const { settings, problems } = readSettings((key) => configuration.get(key));
    this.launchedWith = serverSettingsKey(settings);
    for (const problem of problems) {
      this.log.warn(problem.message);
    }
    const clientProblems = problems.filter((p) => p.key.startsWith("zir.server."));
    if (clientProblems.length > 0) {
      void vscode.window.showWarningMessage(`ZIR Live: ${clientProblems.map((p) => p.message).join("; ")}`);
    }
    const resolution = await resolveServer(settings, this.context.extensionPath, this.log);
    if (!resolution.ok) {
      this.log.error(resolution.message);
      this.setStatus("$(error) ZIR: no server", resolution.message, true);
      void vscode.window.showErrorMessage(resolution.message, "Open Settings", "Show Output").then((choice) => {
        if (choice === "Open Settings") {
          void vscode.commands.executeCommand("workbench.action.openSettings", "zir.server");
        } else if (choice === "Show Output") {
          this.log.show();
        }
      });
      return;
    }
    const launch = resolution.launch;
    const watcher = vscode.workspace.createFileSystemWatcher("**/*.zir");
    const serverOptions: ServerOptions = {
      command: launch.candidate.command,
      args: [...launch.candidate.args],
      options: launch.cwd === undefined ? { env: launch.env } : { cwd: launch.cwd, env: launch.env },
      // No `transport`: stdio is the default, and TransportKind.stdio would append `--stdio`,
      // which `python -m server` does not accept (lsp.md §8.1).
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "zir" },
        { scheme: "untitled", language: "zir" },
      ],
      synchronize: { fileEvents: watcher },
      initializationOptions: initializationOptions(configuration, vscode.workspace.isTrusted),
      outputChannel: this.log,
      traceOutputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      middleware: {
        handleWorkDoneProgress: (token, value, next) => {
          this.handleProgress(client, token, value);
          next(token, value);
        },
      },
    };
    const client = new ZirLanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    const disposables: Disposable[] = [
      watcher,
      client.onNotification(BUILD_FINISHED, (params: unknown) => {
        this.handleBuildFinished(params);
        this.liveEmitter.fire([BUILD_FINISHED, params]);
      }),
      ...[PROGRAM_OUTPUT, PROGRAM_EXITED].map((method) =>
        client.onNotification(method, (params: unknown) => {
          this.liveEmitter.fire([method, params]);
        }),
      ),
      client.onDidChangeState((event) => {
        if (event.newState === State.Stopped && this.client === client) {
          this.setStatus("$(debug-disconnect) ZIR", "ZIR Live: the language server stopped (run “ZIR Live: Restart Server”)", true);
        }
      }),
    ];
    const old = this.client;
    const oldDisposables = this.clientDisposables;
    this.client = client;
    this.clientDisposables = disposables;
    this.launch = launch;
    this.starts += 1;
    this.progress.clear();  // the old server's progress ends with it
    try {
      await client.start();
      this.setStatus("$(check) ZIR", `ZIR Live: server running (${launch.candidate.command} ${launch.candidate.args.join(" ")})`, false);
    } catch (error) {
      this.log.error(`the language server did not start: ${String(error)}`);
      this.setStatus("$(error) ZIR", "ZIR Live: the language server did not start (see the output)", true);
    }
    await this.stopClient(old, oldDisposables);
  }

  private async stopClient(client: LanguageClient | undefined, disposables: Disposable[]): Promise<void> {
    if (client !== undefined) {
      try {
        if (client.needsStop()) {
          await client.stop(2000);
        }
      } catch (error) {
        this.log.warn(`stopping the previous server: ${String(error)}`);
      }
    }
    for (const d of disposables) {
      d.dispose();
    }
  }

  private handleBuildFinished(params: unknown): void {
    const build = parseBuildFinished(params);
    if (build === undefined) {
      this.log.warn(`ignored a malformed ${BUILD_FINISHED}: ${JSON.stringify(params)}`);
      return;
    }
    this.lastBuilds.set(build.uri, build);
    let size: number | undefined;
    if (build.binary !== null) {
      try {
        size = statSync(build.binary).size;
      } catch {
        size = undefined;
      }
    }
    const view = formatBuildStatus(build, basename(vscode.Uri.parse(build.uri).path), size);
    this.setStatus(view.text, view.tooltip, view.isError);
    this.buildFinishedEmitter.fire(build);
  }
}
