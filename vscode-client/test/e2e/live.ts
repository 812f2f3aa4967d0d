/**
 * The end-to-end scenario of Run Live (docs/hot-swap.md), run inside a real VS Code extension host.
 *
 * Loaded like scenario.ts (`ZIR_LIVE_E2E_SCENARIO`), configured by `ZIR_LIVE_E2E_CONFIG`. It opens a looping
 * program, runs "ZIR Live: Run Live" (the command the "Run live" lens invokes), waits for the program's
 * lines in the pseudoterminal, edits the printed message and saves, waits for the same process to print the
 * new message with one swap counted in the status bar, then stops the program. Every wait is on an event,
 * bounded by a timeout.
 */
import { createConnection } from "node:net";
import type * as vscodeApi from "vscode";
import type { ZirLiveApi } from "../../src/extension";
import type { LiveSnapshot } from "../../src/live";
import { readConfig, resultSaver, nextEvent } from "./harness";

interface LiveConfig {
  readonly fixture: string;
  readonly editedText: string;
  /** The line ends the program prints before and after the edit. */
  readonly before: string;
  readonly after: string;
  readonly result: string;
  readonly reportPort: number;
  readonly timeoutMs: number;
}

type Stage = "activated" | "lens" | "running" | "swapped" | "stopped" | "done";

interface LiveResult {
  stage: Stage;
  ok: boolean;
  error?: string;
  lenses?: string[];
  first?: LiveSnapshot;
  swapped?: LiveSnapshot;
  stopped?: LiveSnapshot;
  terminals?: string[];
  /** The `hot` object of every `zir/buildFinished` (for the failure context). */
  hots: unknown[];
}

export async function run(vscode: typeof vscodeApi, api: ZirLiveApi): Promise<void> {
  const config = readConfig() as LiveConfig;
  const result: LiveResult = { stage: "activated", ok: false, hots: [] };
  api.manager.onLiveNotification(([method, params]) => {
    if (method === "zir/buildFinished") {
      result.hots.push((params as { hot?: unknown }).hot ?? null);
    }
  });
  const save = resultSaver(config.result, result);
  const reach = (stage: Stage): void => {
    result.stage = stage;
    save();
  };

  const next = <E, T>(event: vscodeApi.Event<E>, accept: (e: E) => T | undefined, what: string): Promise<T> =>
    nextEvent(event, accept, what, config.timeoutMs);

  /** Resolves with the first snapshot of `uri` that `accept` takes (checking the current one first). */
  function until(uri: string, accept: (s: LiveSnapshot) => boolean, what: string): Promise<LiveSnapshot> {
    return new Promise((resolve, reject) => {
      const current = api.live.snapshot(uri);
      if (current !== undefined && accept(current)) {
        resolve(current);
        return;
      }
      const subscription = api.live.onDidChange((s) => {
        if (s.uri === uri && accept(s)) {
          subscription.dispose();
          clearTimeout(timer);
          resolve(s);
        }
      });
      const timer = setTimeout(() => {
        subscription.dispose();
        reject(new Error(`timed out after ${config.timeoutMs} ms waiting for ${what}: ${JSON.stringify(api.live.snapshot(uri))}`));
      }, config.timeoutMs);
    });
  }

  try {
    await api.started;
    reach("activated");
    const uri = vscode.Uri.file(config.fixture);
    const key = uri.toString();
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const lenses = await vscode.commands.executeCommand<vscodeApi.CodeLens[]>("vscode.executeCodeLensProvider", uri, 10);
    result.lenses = lenses.map((l) => `${l.command?.title ?? ""} → ${l.command?.command ?? ""}`);
    reach("lens");
    const live = lenses.find((l) => l.command?.command === "zir.runLive");
    if (live?.command === undefined) {
      throw new Error("no Run live lens");
    }
    await vscode.commands.executeCommand(live.command.command, ...((live.command.arguments ?? []) as unknown[]));
    result.first = await until(key, (s) => s.pid !== null && s.transcript.includes(config.before), "the program's first lines");
    result.terminals = vscode.window.terminals.map((t) => t.name);
    reach("running");

    // The terminal was shown beside the editor: bring the editor back before editing and saving it.
    const focused = await vscode.window.showTextDocument(document, { viewColumn: editor.viewColumn ?? vscode.ViewColumn.One, preserveFocus: false });
    const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
    if (!(await focused.edit((edit) => { edit.replace(whole, config.editedText); }))) {
      throw new Error("the edit was not applied");
    }
    const mark = api.live.snapshot(key)?.transcript.length ?? 0;
    const saved = next(vscode.workspace.onDidSaveTextDocument, (d) => (d.uri.toString() === key ? true : undefined), "the save");
    await vscode.commands.executeCommand("workbench.action.files.save");
    await saved;
    result.swapped = await until(key, (s) => s.swaps >= 1 && s.transcript.slice(mark).includes(config.after), "the swapped program's lines");
    reach("swapped");

    await vscode.commands.executeCommand("zir.stop", uri);
    const stopped = api.live.snapshot(key);
    result.stopped = stopped ?? { uri: key, pid: null, swaps: 0, status: "", transcript: "", terminalName: "", exited: true };
    reach("stopped");
    result.ok = true;
    reach("done");
  } catch (error) {
    result.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    save();
  }
  const socket = createConnection({ host: "127.0.0.1", port: config.reportPort });
  socket.on("error", () => {
    // The test reads the result file when nothing arrives.
  });
  socket.end(JSON.stringify(result));
}
