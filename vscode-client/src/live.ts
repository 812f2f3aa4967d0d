/**
 * Run live (docs/hot-swap.md): the commands "Run Live" and "Stop Live Program", the program's terminal (a
 * pseudoterminal fed by `zir/programOutput` and `zir/programExited`) and the status-bar item
 * "live: PID, N swaps" counted from the `hot` object of `zir/buildFinished`. Trusted workspaces only.
 */
import * as vscode from "vscode";
import type { ServerManager } from "./client";
import { type HotInfo, liveStatusText, parseHot, toTerminal } from "./liveStatus";

export const PROGRAM_OUTPUT = "zir/programOutput";
export const PROGRAM_EXITED = "zir/programExited";

/** What the e2e scenario can observe of one document's live run. */
export interface LiveSnapshot {
  readonly uri: string;
  readonly pid: number | null;
  readonly swaps: number;
  readonly status: string;
  /** Everything written to the terminal so far (CR LF line ends). */
  readonly transcript: string;
  readonly terminalName: string;
  readonly exited: boolean;
}

class LiveRun {
  readonly writer = new vscode.EventEmitter<string>();
  readonly terminal: vscode.Terminal;
  pid: number | null = null;
  swaps = 0;
  transcript = "";
  exited = false;

  constructor(
    readonly uri: string,
    name: string,
    onClose: () => void,
  ) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.writer.event,
      open: () => undefined,
      close: onClose,
    };
    this.terminal = vscode.window.createTerminal({ name, pty });
  }

  write(text: string): void {
    const out = toTerminal(text);
    this.transcript += out;
    this.writer.fire(out);
  }
}

/** Every live run of the window, its terminals and the status-bar item. */
export class LiveRuns implements vscode.Disposable {
  private readonly runs = new Map<string, LiveRun>();
  private readonly status: vscode.StatusBarItem;
  private readonly changed = new vscode.EventEmitter<LiveSnapshot>();
  /** Fires whenever a run's terminal text, PID or swap count changes. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly manager: ServerManager) {
    this.status = vscode.window.createStatusBarItem("zir.live", vscode.StatusBarAlignment.Left, 99);
    this.status.name = "ZIR Live: live program";
    this.status.command = "zir.stop";
  }

  dispose(): void {
    for (const run of this.runs.values()) {
      run.terminal.dispose();
      run.writer.dispose();
    }
    this.runs.clear();
    this.status.dispose();
    this.changed.dispose();
  }

  snapshot(uri: string): LiveSnapshot | undefined {
    const run = this.runs.get(uri);
    if (run === undefined) {
      return undefined;
    }
    return {
      uri,
      pid: run.pid,
      swaps: run.swaps,
      status: this.status.text,
      transcript: run.transcript,
      terminalName: run.terminal.name,
      exited: run.exited,
    };
  }

  /** A server notification (`zir/programOutput`, `zir/programExited`, `zir/buildFinished`). */
  handle(method: string, params: unknown): void {
    if (typeof params !== "object" || params === null) {
      return;
    }
    const p = params as Record<string, unknown>;
    const run = typeof p["uri"] === "string" ? this.runs.get(p["uri"]) : undefined;
    if (run === undefined) {
      return;
    }
    if (method === PROGRAM_OUTPUT && typeof p["text"] === "string") {
      run.write(p["text"]);
    } else if (method === PROGRAM_EXITED) {
      run.exited = true;
      run.write(`\n[ZIR Live: process ${String(p["pid"])} exited with ${String(p["exitCode"])}; the next save starts it again]\n`);
    } else {
      const hot = parseHot(params);
      if (hot === undefined) {
        return;
      }
      this.apply(run, hot);
    }
    this.update(run);
  }

  private apply(run: LiveRun, hot: HotInfo): void {
    if (hot.swapped) {
      run.swaps += 1;
    } else if (hot.pid !== null && hot.pid !== run.pid) {
      if (run.pid !== null) {
        run.write(`\n[ZIR Live: restarted as process ${hot.pid}${hot.reason === null ? "" : `: ${hot.reason}`}]\n`);
      }
      run.exited = false;
    } else if (hot.reason !== null) {
      run.write(`\n[ZIR Live: not swapped: ${hot.reason}]\n`);
    }
    if (hot.pid !== null) {
      run.pid = hot.pid;
    }
  }

  private update(run: LiveRun): void {
    if (run.pid !== null && !run.exited) {
      this.status.text = `$(zap) ${liveStatusText(run.pid, run.swaps)}`;
      this.status.tooltip = "ZIR Live: the program runs and every save is swapped into it (click to stop)";
      this.status.show();
    } else {
      this.status.hide();
    }
    const snapshot = this.snapshot(run.uri);
    if (snapshot !== undefined) {
      this.changed.fire(snapshot);
    }
  }

  async start(uri: vscode.Uri): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage("ZIR Live: Run Live is disabled in an untrusted workspace.");
      return;
    }
    const key = uri.toString();
    let run = this.runs.get(key);
    if (run !== undefined && run.terminal.exitStatus !== undefined) {
      this.runs.delete(key);
      run.writer.dispose();
      run = undefined;
    }
    if (run === undefined) {
      const name = `ZIR Live: ${uri.path.split("/").pop() ?? key}`;
      run = new LiveRun(key, name, () => {
        void this.stop(uri);
      });
      this.runs.set(key, run);
    }
    run.terminal.show(true);
    const result = await this.manager.executeServerCommand("zir.runLive", [key]);
    const hot = parseHot(result);
    if (hot === undefined) {
      run.write("[ZIR Live: the build has errors; the program starts at the next good save]\n");
      return;
    }
    if (hot.reason !== null && !hot.swapped) {
      run.write(`[ZIR Live: ${hot.reason}]\n`);
    }
    run.pid = hot.pid ?? run.pid;
    run.exited = false;
    this.update(run);
  }

  async stop(uri: vscode.Uri | undefined): Promise<void> {
    const key = uri?.toString() ?? [...this.runs.keys()].pop();
    if (key === undefined) {
      return;
    }
    const run = this.runs.get(key);
    await this.manager.executeServerCommand("zir.stop", [key]);
    if (run !== undefined) {
      run.write("\n[ZIR Live: stopped]\n");
      run.exited = true;
      this.update(run);
    }
    this.status.hide();
  }
}

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

/** Registers `zir.runLive` / `zir.stop` and feeds the runs from the server's notifications. */
export function registerLive(manager: ServerManager): { live: LiveRuns; disposables: vscode.Disposable[] } {
  const live = new LiveRuns(manager);
  const guarded = (name: string, body: (arg: unknown) => Promise<void>) => async (arg: unknown) => {
    try {
      await body(arg);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      manager.log.error(`${name}: ${message}`);
      void vscode.window.showErrorMessage(`ZIR Live: ${name} failed: ${message}`);
    }
  };
  return {
    live,
    disposables: [
      new vscode.Disposable(() => {
        live.dispose();
      }),
      manager.onLiveNotification(([method, params]) => {
        live.handle(method, params);
      }),
      vscode.commands.registerCommand(
        "zir.runLive",
        guarded("Run Live", async (arg) => {
          const uri = targetUri(arg);
          if (uri === undefined) {
            void vscode.window.showWarningMessage("ZIR Live: open a .zir file to run it live.");
            return;
          }
          await live.start(uri);
        }),
      ),
      vscode.commands.registerCommand(
        "zir.stop",
        guarded("Stop Live Program", (arg) => live.stop(targetUri(arg))),
      ),
    ],
  };
}
