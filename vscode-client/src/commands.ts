/**
 * The extension's commands: restart, rebuild, run, show output, show emitted ZIR.
 */
import { dirname } from "node:path";
import * as vscode from "vscode";
import { type BuildFinished, parseBuildFinished } from "./buildStatus";
import type { ServerManager } from "./client";
import { shellQuote } from "./shell";

/** The document a command applies to: its argument (a Uri or a URI string) or the active ZIR editor. */
function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === "string" && arg !== "") {
    return vscode.Uri.parse(arg);
  }
  const editor = vscode.window.activeTextEditor;
  return editor !== undefined && editor.document.languageId === "zir" ? editor.document.uri : undefined;
}

/** Builds and runs need a trusted workspace (`capabilities.untrustedWorkspaces: limited`). */
function trusted(what: string): boolean {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(`ZIR Live: ${what} is disabled in an untrusted workspace.`);
  }
  return vscode.workspace.isTrusted;
}

async function rebuild(manager: ServerManager, arg: unknown): Promise<BuildFinished | undefined> {
  if (!trusted("Rebuild")) {
    return undefined;
  }
  const uri = targetUri(arg);
  const result = await manager.executeServerCommand("zir.rebuild", uri === undefined ? [] : [uri.toString()]);
  return parseBuildFinished(result);
}

let runTerminal: vscode.Terminal | undefined;

async function run(manager: ServerManager, arg: unknown): Promise<void> {
  if (!trusted("Run Output")) {
    return;
  }
  const uri = targetUri(arg);
  if (uri === undefined) {
    void vscode.window.showWarningMessage("ZIR Live: open a .zir file to run its output.");
    return;
  }
  let build = manager.lastBuilds.get(uri.toString());
  if (build?.binary === null || build === undefined) {
    build = await rebuild(manager, uri);
  }
  if (build?.binary === null || build === undefined) {
    const count = build?.errors ?? 0;
    void vscode.window.showErrorMessage(`ZIR Live: nothing to run: the build has ${count} error${count === 1 ? "" : "s"}.`);
    return;
  }
  if (runTerminal === undefined || runTerminal.exitStatus !== undefined) {
    runTerminal = vscode.window.createTerminal({ name: "ZIR Live: Run", cwd: dirname(build.binary) });
  }
  runTerminal.show(true);
  runTerminal.sendText(shellQuote(build.binary));
}

async function showEmittedZir(manager: ServerManager, arg: unknown): Promise<void> {
  const uri = targetUri(arg);
  if (uri === undefined) {
    void vscode.window.showWarningMessage("ZIR Live: open a .zir file to see its emitted ZIR.");
    return;
  }
  const text = await manager.executeServerCommand("zir.emitZir", [uri.toString()]);
  if (typeof text !== "string") {
    throw new Error(`zir.emitZir returned ${JSON.stringify(text)}`);
  }
  const document = await vscode.workspace.openTextDocument({ language: "zir", content: text });
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
}

/** Runs a command body, turning a failure into one error message and a log entry. */
function guarded<T>(manager: ServerManager, name: string, body: (arg: unknown) => Promise<T>) {
  return async (arg: unknown): Promise<T | undefined> => {
    try {
      return await body(arg);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      manager.log.error(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`ZIR Live: ${name} failed: ${message}`);
      return undefined;
    }
  };
}

/** Registers every contributed command. */
export function registerCommands(manager: ServerManager): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand("zir.restartServer", guarded(manager, "Restart Server", () => manager.restart())),
    vscode.commands.registerCommand("zir.rebuild", guarded(manager, "Rebuild", (arg) => rebuild(manager, arg))),
    vscode.commands.registerCommand("zir.run", guarded(manager, "Run Output", (arg) => run(manager, arg))),
    vscode.commands.registerCommand("zir.showOutput", () => {
      manager.log.show();
    }),
    vscode.commands.registerCommand(
      "zir.showEmittedZir",
      guarded(manager, "Show Emitted ZIR", (arg) => showEmittedZir(manager, arg)),
    ),
  ];
}
