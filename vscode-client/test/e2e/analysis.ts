/**
 * The end-to-end scenario of the analysis-backed editor features, run inside a real VS Code extension host.
 *
 * Loaded like scenario.ts (`ZIR_LIVE_E2E_SCENARIO`), configured by `ZIR_LIVE_E2E_CONFIG`. It opens a program
 * that names a missing decl, waits for its diagnostic (with its related "used here" location), asks VS Code for
 * the quick fixes at it (`vscode.executeCodeActionProvider`, the same provider the light bulb uses), applies
 * "Create `@name`", waits for the diagnostics to clear, then asks for the inlay hints of the whole document
 * (`vscode.executeInlayHintProvider`) and reads them. Every wait is on an event, bounded by a timeout.
 */
import { createConnection } from "node:net";
import type * as vscodeApi from "vscode";
import type { ZirLiveApi } from "../../src/extension";
import { readConfig, resultSaver } from "./harness";

interface AnalysisConfig {
  readonly fixture: string;
  /** The title of the quick fix to apply. */
  readonly fixTitle: string;
  readonly result: string;
  readonly reportPort: number;
  readonly timeoutMs: number;
}

type Stage = "activated" | "diagnostics" | "actions" | "fixed" | "hints" | "done";

interface AnalysisResult {
  stage: Stage;
  ok: boolean;
  error?: string;
  /** The diagnostics before the fix: message and the related messages with their lines. */
  before?: { message: string; line: number; related: { message: string; line: number }[] }[];
  /** The titles and kinds of the code actions VS Code offered at the diagnostic. */
  actions?: { title: string; kind: string }[];
  /** The document text after the quick fix was applied. */
  fixedText?: string;
  /** The inlay hints of the fixed document: `line:character label`. */
  hints?: string[];
}

export async function run(vscode: typeof vscodeApi, api: ZirLiveApi): Promise<void> {
  const config = readConfig() as AnalysisConfig;
  const result: AnalysisResult = { stage: "activated", ok: false };
  const save = resultSaver(config.result, result);
  const reach = (stage: Stage): void => {
    result.stage = stage;
    save();
  };

  /** Resolves with the URI's diagnostics once `predicate` holds (checked now and on every change). */
  function waitForDiagnostics(
    uri: vscodeApi.Uri,
    predicate: (d: readonly vscodeApi.Diagnostic[]) => boolean,
    what: string,
  ): Promise<readonly vscodeApi.Diagnostic[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const diagnostics = vscode.languages.getDiagnostics(uri);
        if (!predicate(diagnostics)) {
          return false;
        }
        subscription.dispose();
        clearTimeout(timer);
        resolve(diagnostics);
        return true;
      };
      const subscription = vscode.languages.onDidChangeDiagnostics((e) => {
        if (e.uris.some((u) => u.toString() === uri.toString())) {
          check();
        }
      });
      const timer = setTimeout(() => {
        subscription.dispose();
        reject(new Error(`timed out after ${config.timeoutMs} ms waiting for ${what}`));
      }, config.timeoutMs);
      check();
    });
  }

  try {
    await api.started;
    reach("activated");
    const uri = vscode.Uri.file(config.fixture);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const before = await waitForDiagnostics(uri, (d) => d.length > 0, "the missing decl's diagnostic");
    result.before = before.map((d) => ({
      message: d.message,
      line: d.range.start.line,
      related: (d.relatedInformation ?? []).map((r) => ({ message: r.message, line: r.location.range.start.line })),
    }));
    reach("diagnostics");

    const first = before[0];
    if (first === undefined) {
      throw new Error("no diagnostic");
    }
    const actions = await vscode.commands.executeCommand<vscodeApi.CodeAction[]>(
      "vscode.executeCodeActionProvider",
      uri,
      first.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    result.actions = actions.map((a) => ({ title: a.title, kind: a.kind?.value ?? "" }));
    reach("actions");
    const fix = actions.find((a) => a.title === config.fixTitle);
    if (fix?.edit === undefined) {
      throw new Error(`no quick fix titled ${config.fixTitle}`);
    }
    if (!(await vscode.workspace.applyEdit(fix.edit))) {
      throw new Error("the quick fix's edit was not applied");
    }
    result.fixedText = document.getText();
    await waitForDiagnostics(uri, (d) => d.length === 0, "the diagnostics to clear after the quick fix");
    reach("fixed");

    const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
    const hints = await vscode.commands.executeCommand<vscodeApi.InlayHint[]>("vscode.executeInlayHintProvider", uri, whole);
    result.hints = hints.map((h) => {
      const label = typeof h.label === "string" ? h.label : h.label.map((part) => part.value).join("");
      return `${h.position.line}:${h.position.character} ${label}`;
    });
    reach("hints");
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
