/**
 * The extension's entry points: activate (wire the client, commands and settings) and deactivate.
 */
import { createRequire } from "node:module";
import * as vscode from "vscode";
import type { BuildFinished } from "./buildStatus";
import { ServerManager } from "./client";
import { registerCommands } from "./commands";
import { requiresRestart } from "./config";
import { onDidChangePythonInterpreter } from "./probe";
import { type LiveRuns, registerLive } from "./live";
import { type BinaryViews, registerViews } from "./views";

/** What `activate` returns: used by the end-to-end scenario (and by other extensions). */
export interface ZirLiveApi {
  readonly manager: ServerManager;
  /** Fires for every `zir/buildFinished`. */
  readonly onBuildFinished: vscode.Event<BuildFinished>;
  /** Resolves once the first server start has been attempted. */
  readonly started: Promise<void>;
  /** The machine-code and layout views. */
  readonly views: BinaryViews;
  /** The live runs (Run Live's terminals and status item). */
  readonly live: LiveRuns;
}

/** The environment variable naming a test scenario module to run after activation (tests only, lsp.md §13). */
export const E2E_SCENARIO_ENV = "ZIR_LIVE_E2E_SCENARIO";

let manager: ServerManager | undefined;

export function activate(context: vscode.ExtensionContext): ZirLiveApi {
  const serverManager = new ServerManager(context);
  manager = serverManager;
  const views = registerViews(serverManager);
  const live = registerLive(serverManager);
  context.subscriptions.push(
    serverManager,
    ...registerCommands(serverManager),
    ...views.disposables,
    ...live.disposables,
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (requiresRestart((section) => event.affectsConfiguration(section)) && serverManager.serverSettingsChanged()) {
        serverManager.log.info("a zir.server setting changed: restarting the server");
        void serverManager.restart();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      serverManager.log.info("the workspace is now trusted: restarting the server with builds enabled");
      void serverManager.restart();
    }),
  );
  const started = serverManager.restart();
  // Follow the Python extension's interpreter when it is the one in use (no zir.server.pythonPath).
  void onDidChangePythonInterpreter(serverManager.log, () => {
    if (vscode.workspace.getConfiguration("zir").get<string>("server.pythonPath", "").trim() === "") {
      serverManager.log.info("the Python extension's interpreter changed: restarting the server");
      void serverManager.restart();
    }
  }).then((subscription) => {
    if (subscription !== undefined) {
      context.subscriptions.push(subscription);
    }
  });
  const api: ZirLiveApi = {
    manager: serverManager,
    onBuildFinished: serverManager.onBuildFinished,
    started,
    views: views.views,
    live: live.live,
  };
  const scenario = process.env[E2E_SCENARIO_ENV];
  if (scenario !== undefined && scenario !== "") {
    serverManager.log.info(`running the test scenario ${scenario}`);
    const load = createRequire(__filename);
    const module = load(scenario) as { run: (code: typeof vscode, api: ZirLiveApi) => Promise<void> };
    void module.run(vscode, api).catch((error: unknown) => {
      serverManager.log.error(`test scenario: ${String(error)}`);
    });
  }
  return api;
}

export async function deactivate(): Promise<void> {
  await manager?.stop();
  manager = undefined;
}
