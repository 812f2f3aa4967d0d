/**
 * The end-to-end scenario run inside a real VS Code extension host (lsp.md §13): error → fix → build.
 *
 * Loaded by the extension when `ZIR_LIVE_E2E_SCENARIO` names this file's bundle; configured by the
 * JSON file named by `ZIR_LIVE_E2E_CONFIG`. It opens a `.zir` fixture with an error, waits for its
 * diagnostic on `vscode.languages.onDidChangeDiagnostics`, replaces the text with a correct program,
 * saves, waits for the diagnostics to clear and for a `zir/buildFinished` with a binary, then exercises
 * the commands. It writes what it saw to a JSON file after every step (so a failure shows how far it
 * got) and sends the final result to the test over a local socket. No fixed sleeps: every wait is on an
 * event, bounded by a timeout.
 */
import { createConnection } from "node:net";
import type * as vscodeApi from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import type { BuildFinished } from "../../src/buildStatus";
import type { ZirLiveApi } from "../../src/extension";
import { readConfig, resultSaver } from "./harness";

/** The scenario's input (`ZIR_LIVE_E2E_CONFIG`). */
interface ScenarioConfig {
  /** Absolute path of the fixture, a `.zir` file with an error. */
  readonly fixture: string;
  /** The corrected text written over it. */
  readonly fixedText: string;
  /** Where to write the result JSON (after every step). */
  readonly result: string;
  /** The local TCP port the test listens on: the final result is sent there. */
  readonly reportPort: number;
  /** The bound on each wait. */
  readonly timeoutMs: number;
}

/** A diagnostic as recorded in the result (VS Code's severity: Error is 0). */
interface RecordedDiagnostic {
  readonly message: string;
  readonly severity: number;
  readonly source: string | undefined;
  readonly range: readonly [number, number, number, number];
}

/** The scenario's steps, in order; the result's `stage` is the last one reached. */
type Stage =
  | "activated"
  | "serverStarted"
  | "diagnostics"
  | "fixed"
  | "cleared"
  | "built"
  | "rebuilt"
  | "emitted"
  | "codeLens"
  | "ran"
  | "restarted"
  | "done";

interface ScenarioResult {
  stage: Stage;
  ok: boolean;
  error?: string;
  vscodeVersion: string;
  serverCommand?: string[];
  diagnosticsBefore?: RecordedDiagnostic[];
  diagnosticsAfter?: RecordedDiagnostic[];
  build?: BuildFinished;
  /** The status-bar text after the build. */
  statusText?: string;
  /** What the "Rebuild" command returned. */
  rebuild?: unknown;
  /** The text "Show Emitted ZIR" opened, and that editor's language. */
  emittedZir?: { languageId: string; isUntitled: boolean; text: string };
  /** The code lenses of the fixed document: title and command. */
  codeLenses?: { title: string; command: string; arguments: unknown[] }[];
  /** After "Run Output": the terminals' names, and whether the run terminal has a process. */
  run?: { terminals: string[]; hasProcess: boolean };
  /** After "Restart Server": whether a new client runs, whether the old one stopped, a rebuild through it. */
  restart?: { newClient: boolean; newRunning: boolean; oldStopped: boolean; rebuild: unknown };
  elapsedMs: Record<string, number>;
}

export async function run(vscode: typeof vscodeApi, api: ZirLiveApi): Promise<void> {
  const config = readConfig() as ScenarioConfig;
  const started = Date.now();
  const result: ScenarioResult = { stage: "activated", ok: false, vscodeVersion: vscode.version, elapsedMs: {} };
  const save = resultSaver(config.result, result);
  const reach = (stage: Stage): void => {
    result.stage = stage;
    result.elapsedMs[stage] = Date.now() - started;
    save();
  };
  reach("activated");

  const record = (diagnostics: readonly vscodeApi.Diagnostic[]): RecordedDiagnostic[] =>
    diagnostics.map((d) => ({
      message: d.message,
      severity: d.severity,
      source: d.source,
      range: [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
    }));

  /** Resolves with the URI's diagnostics once `predicate` holds (checked now and on every change). */
  function waitForDiagnostics(
    uri: vscodeApi.Uri,
    predicate: (d: readonly vscodeApi.Diagnostic[]) => boolean,
    what: string,
  ): Promise<readonly vscodeApi.Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const diagnostics = vscode.languages.getDiagnostics(uri);
        if (predicate(diagnostics)) {
          cleanup();
          resolve(diagnostics);
        }
      };
      const subscription = vscode.languages.onDidChangeDiagnostics((event) => {
        if (event.uris.some((u) => u.toString() === uri.toString())) {
          check();
        }
      });
      const timer = setTimeout(() => {
        cleanup();
        const last = JSON.stringify(record(vscode.languages.getDiagnostics(uri)));
        reject(new Error(`timed out after ${config.timeoutMs} ms waiting for ${what}; diagnostics: ${last}`));
      }, config.timeoutMs);
      function cleanup(): void {
        subscription.dispose();
        clearTimeout(timer);
      }
      check();
    });
  }

  /** Resolves with the first `zir/buildFinished` for `uri` that holds a binary. */
  function waitForBuild(uri: vscodeApi.Uri): Promise<BuildFinished> {
    return new Promise((resolve, reject) => {
      const seen: BuildFinished[] = [];
      const subscription = api.onBuildFinished((build) => {
        if (vscode.Uri.parse(build.uri).toString() !== uri.toString()) {
          return;
        }
        seen.push(build);
        if (build.ok && build.binary !== null) {
          subscription.dispose();
          clearTimeout(timer);
          resolve(build);
        }
      });
      const timer = setTimeout(() => {
        subscription.dispose();
        reject(new Error(`timed out after ${config.timeoutMs} ms waiting for zir/buildFinished with a binary; saw ${JSON.stringify(seen)}`));
      }, config.timeoutMs);
    });
  }

  try {
    await api.started;
    const launch = api.manager.launch;
    if (api.manager.current?.isRunning() !== true || launch === undefined) {
      throw new Error("the language server is not running (see the ZIR Live output)");
    }
    result.serverCommand = [launch.candidate.command, ...launch.candidate.args];
    reach("serverStarted");

    const uri = vscode.Uri.file(config.fixture);
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document);
    const before = await waitForDiagnostics(uri, (d) => d.length > 0, "the fixture's diagnostics");
    result.diagnosticsBefore = record(before);
    reach("diagnostics");

    const cleared = waitForDiagnostics(uri, (d) => d.length === 0, "the diagnostics to clear");
    const built = waitForBuild(uri);
    const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
    if (!(await editor.edit((edit) => { edit.replace(whole, config.fixedText); }))) {
      throw new Error("the edit was not applied");
    }
    if (!(await document.save())) {
      throw new Error("the document was not saved");
    }
    reach("fixed");
    result.diagnosticsAfter = record(await cleared);
    reach("cleared");
    result.build = await built;
    result.statusText = api.manager.statusText;
    reach("built");

    result.rebuild = await vscode.commands.executeCommand("zir.rebuild", uri);
    reach("rebuilt");

    await vscode.commands.executeCommand("zir.showEmittedZir", uri);
    const emitted = vscode.window.activeTextEditor?.document;
    if (emitted === undefined) {
      throw new Error("Show Emitted ZIR opened no editor");
    }
    result.emittedZir = { languageId: emitted.languageId, isUntitled: emitted.isUntitled, text: emitted.getText() };
    reach("emitted");

    const lenses = await vscode.commands.executeCommand<vscodeApi.CodeLens[]>("vscode.executeCodeLensProvider", uri);
    result.codeLenses = lenses.map((lens) => ({
      title: lens.command?.title ?? "",
      command: lens.command?.command ?? "",
      arguments: (lens.command?.arguments ?? []).map((a: unknown) => (a instanceof vscode.Uri ? a.toString() : a)),
    }));
    reach("codeLens");

    await vscode.commands.executeCommand("zir.run", uri.toString());
    const runTerminal = vscode.window.terminals.find((t) => t.name === "ZIR Live: Run");
    result.run = {
      terminals: vscode.window.terminals.map((t) => t.name),
      hasProcess: runTerminal !== undefined && (await runTerminal.processId) !== undefined,
    };
    reach("ran");

    // Read through a function: the client changes behind the compiler's narrowing.
    const currentClient = (): LanguageClient | undefined => api.manager.current;
    const oldClient = currentClient();
    await vscode.commands.executeCommand("zir.restartServer");
    const newClient = currentClient();
    result.restart = {
      newClient: newClient !== undefined && newClient !== oldClient,
      newRunning: newClient !== undefined && newClient.isRunning(),
      oldStopped: oldClient !== undefined && !oldClient.isRunning(),
      rebuild: await vscode.commands.executeCommand("zir.rebuild", uri),
    };
    reach("restarted");
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
