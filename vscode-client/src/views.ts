/**
 * Registers "ZIR: Show Machine Code" and "ZIR: Show Binary Layout" (docs/inspect.md).
 */
import * as vscode from "vscode";
import type { ServerManager } from "./client";
import { LayoutViews } from "./layoutView";
import { MachineCodeViews } from "./machineCode";

export interface BinaryViews {
  readonly machineCode: MachineCodeViews;
  readonly layout: LayoutViews;
}

function sourceUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  if (typeof arg === "string" && arg !== "") {
    return vscode.Uri.parse(arg);
  }
  const editor = vscode.window.activeTextEditor;
  return editor !== undefined && editor.document.languageId === "zir" ? editor.document.uri : undefined;
}

function command(manager: ServerManager, name: string, body: (uri: vscode.Uri) => Promise<unknown>) {
  return async (arg: unknown): Promise<void> => {
    const uri = sourceUri(arg);
    if (uri === undefined) {
      void vscode.window.showWarningMessage(`ZIR Live: open a .zir file to use ${name}.`);
      return;
    }
    try {
      await body(uri);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      manager.log.error(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`ZIR Live: ${name} failed: ${message}`);
    }
  };
}

export function registerViews(manager: ServerManager): { views: BinaryViews; disposables: vscode.Disposable[] } {
  const machineCode = new MachineCodeViews(manager);
  const layout = new LayoutViews(manager);
  return {
    views: { machineCode, layout },
    disposables: [
      new vscode.Disposable(() => {
        machineCode.dispose();
        layout.dispose();
      }),
      vscode.commands.registerCommand(
        "zir.showMachineCode",
        command(manager, "Show Machine Code", (uri) => machineCode.show(uri)),
      ),
      vscode.commands.registerCommand("zir.showLayout", command(manager, "Show Binary Layout", (uri) => layout.show(uri))),
    ],
  };
}
