/**
 * Restricted Mode and build progress end to end (docs/reliability.md, docs/guide.md), in a real VS Code.
 *
 * Loaded like scenario.ts (`ZIR_LIVE_E2E_SCENARIO`), configured by `ZIR_LIVE_E2E_CONFIG`; code-server runs
 * with workspace trust enabled and the folder untrusted, whose `.vscode/settings.json` sets an outputPath.
 * Untrusted: the error diagnostic appears, the workspace's outputPath is ignored, a save builds nothing (the
 * server's own refusal of a rebuild is the point after which any build the save started has finished),
 * Rebuild, Run Output and Run Live refuse with a warning each, and the command palette (read from the DOM)
 * offers none of them. Then it trusts the folder through the Workspace Trust editor (a
 * click through the browser's DevTools protocol), waits for the server to restart, reads the palette again
 * (now offering Rebuild, Run Output and Run Live), and checks that a save
 * builds into the workspace's outputPath; finally it opens and saves a large file and waits, in the status
 * bar's DOM, for the ZIR item to show `ZIR: generate N%` beside VS Code's window progress of the first
 * analysis; the save's build reuses that analysis (it only commits) and the item then shows its result.
 * Every wait is on an event, bounded by a timeout.
 */
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import type * as vscodeApi from "vscode";
import type { BuildFinished } from "../../src/buildStatus";
import type { ZirLiveApi } from "../../src/extension";
import { clickButton, quickInputRows, type StatusBarSeen, watchStatusBar, watchTexts } from "./cdp";
import { readConfig, resultSaver, nextEvent } from "./harness";

/** The three refused commands and their warnings (src/commands.ts, src/live.ts). */
const REFUSALS: readonly (readonly [string, string])[] = [
  ["zir.rebuild", "ZIR Live: Rebuild is disabled in an untrusted workspace."],
  ["zir.run", "ZIR Live: Run Output is disabled in an untrusted workspace."],
  ["zir.runLive", "ZIR Live: Run Live is disabled in an untrusted workspace."],
];

interface TrustConfig {
  /** A program with one error, and its fixed text. */
  readonly fixture: string;
  readonly fixedText: string;
  /** A large program (thousands of functions) for the progress checks. */
  readonly big: string;
  /** Where the default and the workspace's outputPath put the fixture's output. */
  readonly defaultOutput: string;
  readonly workspaceOutput: string;
  readonly result: string;
  readonly reportPort: number;
  readonly timeoutMs: number;
  readonly cdpPort: number;
}

type Stage = "activated" | "diagnostics" | "untrustedSave" | "refused" | "trusted" | "built" | "analysing" | "building" | "done";

interface TrustResult {
  stage: Stage;
  ok: boolean;
  error?: string;
  untrusted?: {
    isTrusted: boolean;
    outputPath: string | undefined;
    diagnostics: string[];
    rebuildByServer: BuildFinished | undefined;
    buildsSeen: BuildFinished[];
    outputs: { default: boolean; workspace: boolean };
  };
  refused?: { rebuild: unknown; terminals: string[]; live: boolean; warnings: string[]; palette: string[] };
  trusted?: { isTrusted: boolean; outputPath: string | undefined; clicked: boolean; palette: string[] };
  /** Server starts from the trust to the end (one: the trust's restart, no other). */
  restartsAfterTrust?: number;
  build?: BuildFinished;
  analysing?: StatusBarSeen;
  bigBuild?: BuildFinished;
  statusAfter?: string;
}

export async function run(vscode: typeof vscodeApi, api: ZirLiveApi): Promise<void> {
  const config = readConfig() as TrustConfig;
  const result: TrustResult = { stage: "activated", ok: false };
  const save = resultSaver(config.result, result);
  const reach = (stage: Stage): void => {
    result.stage = stage;
    save();
  };

  const next = <E, T>(event: vscodeApi.Event<E>, accept: (e: E) => T | undefined, what: string): Promise<T> =>
    nextEvent(event, accept, what, config.timeoutMs);

  /** The command palette's rows for "ZIR Live" with the fixture's editor active (Show Output is always
   * offered: the marker that the list is filtered and drawn). */
  async function paletteRows(): Promise<string[]> {
    await vscode.commands.executeCommand("workbench.action.quickOpen", ">ZIR Live: ");
    try {
      return await quickInputRows(config.cdpPort, "ZIR Live: Show Output", config.timeoutMs);
    } finally {
      await vscode.commands.executeCommand("workbench.action.closeQuickOpen");
    }
  }

  const builds: BuildFinished[] = [];
  api.onBuildFinished((b) => builds.push(b));
  const outputPath = (): string | undefined => vscode.workspace.getConfiguration("zir").get<string>("build.outputPath");

  try {
    await api.started;
    reach("activated");
    const uri = vscode.Uri.file(config.fixture);
    const errorsOf = (u: vscodeApi.Uri): vscodeApi.Diagnostic[] => vscode.languages.getDiagnostics(u);
    const shown = next(vscode.languages.onDidChangeDiagnostics, (e) =>
      e.uris.some((u) => u.toString() === uri.toString()) && errorsOf(uri).length > 0 ? true : undefined, "the error diagnostic");
    const document = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    if (errorsOf(uri).length === 0) {
      await shown;
    }
    const diagnostics = errorsOf(uri).map((d) => `${d.range.start.line}:${d.range.start.character} ${d.message}`);
    reach("diagnostics");

    // Fix and save while untrusted: the diagnostics clear, nothing is built.
    const cleared = next(vscode.languages.onDidChangeDiagnostics, (e) =>
      e.uris.some((u) => u.toString() === uri.toString()) && errorsOf(uri).length === 0 ? true : undefined, "the diagnostics to clear");
    const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
    if (!(await editor.edit((edit) => { edit.replace(whole, config.fixedText); }))) {
      throw new Error("the edit was not applied");
    }
    if (!(await document.save())) {
      throw new Error("the document was not saved");
    }
    await cleared;
    // The server builds one document's builds in order: its answer to a rebuild comes after any build
    // the save started. (This asks the server directly; the client's Rebuild command refuses earlier.)
    const rebuildByServer = await api.manager.executeServerCommand("zir.rebuild", [uri.toString()]);
    result.untrusted = {
      isTrusted: vscode.workspace.isTrusted,
      outputPath: outputPath(),
      diagnostics,
      rebuildByServer: rebuildByServer as BuildFinished | undefined,
      buildsSeen: [...builds],
      outputs: { default: existsSync(config.defaultOutput), workspace: existsSync(config.workspaceOutput) },
    };
    reach("untrustedSave");

    // The client's build and run commands refuse, each with a warning; the palette does not offer them.
    // (One command at a time, the notifications cleared in between: VS Code shows at most three toasts.)
    const warnings: string[] = [];
    let rebuild: unknown = null;
    for (const [command, refusal] of REFUSALS) {
      await vscode.commands.executeCommand("notifications.clearAll");
      const warned = (await watchTexts(config.cdpPort, ".notification-list-item-message", [refusal], config.timeoutMs)).seen;
      const answer: unknown = await vscode.commands.executeCommand(command, uri);
      rebuild = command === "zir.rebuild" ? answer : rebuild;
      let seen = await warned;
      if (seen.length === 0) {
        // A toast can be dropped while the previous ones fade out; every notification also lands in the
        // notification center, whose rows are in the DOM while it is open.
        const listed = (await watchTexts(config.cdpPort, ".notification-list-item-message", [refusal], config.timeoutMs)).seen;
        await vscode.commands.executeCommand("notifications.showList");
        seen = await listed;
        await vscode.commands.executeCommand("notifications.hideList");
      }
      warnings.push(...seen);
    }
    await vscode.commands.executeCommand("notifications.clearAll");
    result.refused = {
      rebuild: rebuild ?? null,
      terminals: vscode.window.terminals.map((t) => t.name),
      live: api.live.snapshot(uri.toString()) !== undefined,
      warnings,
      palette: await paletteRows(),
    };
    reach("refused");

    // Trust the folder in the Workspace Trust editor; the extension restarts the server with builds on.
    const startsBefore = api.manager.starts;
    const granted = next(vscode.workspace.onDidGrantWorkspaceTrust, () => true, "the workspace trust");
    await vscode.commands.executeCommand("workbench.trust.manage");
    const clicked = await clickButton(config.cdpPort, ".workspace-trust-editor", "Trust", config.timeoutMs);
    await granted;
    await api.manager.settled();
    await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    result.trusted = { isTrusted: vscode.workspace.isTrusted, outputPath: outputPath(), clicked, palette: await paletteRows() };
    reach("trusted");

    // A save now builds, into the workspace's outputPath.
    const built = next(api.onBuildFinished, (b) => (b.uri === uri.toString() && b.ok ? b : undefined), "the build after trust");
    const end = document.positionAt(document.getText().length);
    if (!(await editor.edit((edit) => { edit.insert(end, "\n"); }))) {
      throw new Error("the edit after trust was not applied");
    }
    if (!(await document.save())) {
      throw new Error("the document was not saved after trust");
    }
    result.build = await built;
    reach("built");

    // The first analysis of a large file: the status bar shows its progress.
    const phase = "^ZIR: generate \\d+%$";
    const bigUri = vscode.Uri.file(config.big);
    const analysing = (await watchStatusBar(config.cdpPort, phase, `Analysing ${bigUri.path.split("/").pop() ?? ""}: generate: `, config.timeoutMs)).seen;
    const bigDocument = await vscode.workspace.openTextDocument(bigUri);
    const bigEditor = await vscode.window.showTextDocument(bigDocument, vscode.ViewColumn.One);
    result.analysing = await analysing;
    reach("analysing");

    // Its first build: the editor tier has analysed and generated the text, so the build only commits
    // (docs/design/lsp.md §8.3); the status item then shows the build's result.
    const bigBuilt = next(api.onBuildFinished, (b) => (b.uri === bigUri.toString() ? b : undefined), "the large file's build");
    const bigEnd = bigDocument.positionAt(bigDocument.getText().length);
    if (!(await bigEditor.edit((edit) => { edit.insert(bigEnd, "\n"); }))) {
      throw new Error("the edit of the large file was not applied");
    }
    if (!(await bigDocument.save())) {
      throw new Error("the large file was not saved");
    }
    result.bigBuild = await bigBuilt;
    result.statusAfter = api.manager.statusText;
    result.restartsAfterTrust = api.manager.starts - startsBefore;
    reach("building");
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
