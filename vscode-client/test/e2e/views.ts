/**
 * The end-to-end scenario of the binary views (docs/inspect.md), run inside a real VS Code extension host.
 *
 * Loaded like scenario.ts (`ZIR_LIVE_E2E_SCENARIO`), configured by `ZIR_LIVE_E2E_CONFIG`. It opens a chain
 * program, opens "ZIR: Show Machine Code" and "ZIR: Show Binary Layout", checks the decls they show and the
 * cursor synchronisation, edits one function's constant and saves, waits for both views to refresh, checks
 * that exactly that decl is marked, hovers and clicks its block in the map, and saves a screenshot of each
 * view through the browser's DevTools protocol. Every wait is on an event, bounded by a timeout.
 */
import { writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import type * as vscodeApi from "vscode";
import type { ZirLiveApi } from "../../src/extension";
import type { LayoutRendered } from "../../src/layoutView";
import type { MachineCodeSnapshot } from "../../src/machineCode";
import { readConfig, resultSaver, nextEvent } from "./harness";

interface ViewsConfig {
  readonly fixture: string;
  readonly editedText: string;
  /** The function whose constant the edit changes. */
  readonly editedDecl: string;
  readonly result: string;
  readonly reportPort: number;
  readonly timeoutMs: number;
  /** The browser's remote-debugging port and where to save the screenshots. */
  readonly cdpPort: number;
  readonly screenshotDir: string;
}

type Stage = "activated" | "machineCode" | "cursorSync" | "layout" | "edited" | "hoverClick" | "screenshots" | "done";

interface ViewsResult {
  stage: Stage;
  ok: boolean;
  error?: string;
  machineCode?: { headers: string[]; update: number; visible: boolean; languageReadOnly: boolean };
  cursor?: { sourceLine: number; viewLines: string[]; backToSource: number[] };
  layout?: LayoutRendered;
  csp?: string | undefined;
  after?: { machineUpdate: number; changedLines: string[]; headersChanged: string[]; layout: LayoutRendered; save: number };
  hover?: string;
  click?: { decl: string; line: number; expectedLine: number };
  screenshots: string[];
}

/** A minimal WebSocket as Node ≥ 22 provides it globally (the DevTools protocol client). */
interface MiniSocket {
  send(data: string): void;
  close(): void;
  addEventListener(type: "open" | "message" | "error", listener: (event: { data?: unknown }) => void): void;
}

async function screenshot(port: number, path: string): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { type: string; url: string; webSocketDebuggerUrl: string }[];
  const page = targets.find((t) => t.type === "page" && t.url.startsWith("http"));
  if (page === undefined) {
    throw new Error(`no page target among ${JSON.stringify(targets.map((t) => t.url))}`);
  }
  const Socket = (globalThis as unknown as { WebSocket: new (url: string) => MiniSocket }).WebSocket;
  const socket = new Socket(page.webSocketDebuggerUrl);
  const data = await new Promise<string>((resolve, reject) => {
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ id: 1, method: "Page.captureScreenshot", params: { format: "png" } }));
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: { data: string }; error?: unknown };
      if (message.id === 1) {
        if (message.result === undefined) {
          reject(new Error(`captureScreenshot failed: ${JSON.stringify(message.error)}`));
        } else {
          resolve(message.result.data);
        }
      }
    });
    socket.addEventListener("error", () => {
      reject(new Error("DevTools connection failed"));
    });
  });
  socket.close();
  writeFileSync(path, Buffer.from(data, "base64"));
}

export async function run(vscode: typeof vscodeApi, api: ZirLiveApi): Promise<void> {
  const config = readConfig() as ViewsConfig;
  const result: ViewsResult = { stage: "activated", ok: false, screenshots: [] };
  const save = resultSaver(config.result, result);
  const reach = (stage: Stage): void => {
    result.stage = stage;
    save();
  };

  const next = <E, T>(event: vscodeApi.Event<E>, accept: (e: E) => T | undefined, what: string): Promise<T> =>
    nextEvent(event, accept, what, config.timeoutMs);

  const headersOf = (text: string): string[] => text.split("\n").filter((line) => line.startsWith("@"));

  try {
    await api.started;
    reach("activated");
    const uri = vscode.Uri.file(config.fixture);
    const document = await vscode.workspace.openTextDocument(uri);
    const source = await vscode.window.showTextDocument(document, vscode.ViewColumn.One);
    const views = api.views;

    // Show Machine Code (it builds the file first when there is no binary yet).
    await vscode.commands.executeCommand("zir.showMachineCode", uri);
    const snapshot = views.machineCode.snapshot(uri);
    if (snapshot === undefined) {
      throw new Error("Show Machine Code opened no view");
    }
    const machineEditor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === snapshot.uri);
    result.machineCode = {
      headers: headersOf(snapshot.text),
      update: snapshot.update,
      visible: machineEditor !== undefined,
      languageReadOnly: machineEditor !== undefined && machineEditor.document.uri.scheme !== "file",
    };
    reach("machineCode");

    // Cursor sync: source → machine code, then machine code → source.
    const addLine = document.getText().split("\n").findIndex((line, i, all) =>
      line.includes("%s = add(%p, %k)") && all.slice(0, i).some((l) => l.startsWith(`@${config.editedDecl} =`)));
    const synced = next(vscode.window.onDidChangeTextEditorSelection, (e) => (e.textEditor === source ? true : undefined), "the source selection");
    source.selection = new vscode.Selection(addLine, 2, addLine, 2);
    await synced;
    const afterSource = views.machineCode.snapshot(uri) as MachineCodeSnapshot;
    const viewLines = afterSource.highlightedView.map((n) => afterSource.text.split("\n")[n] ?? "");
    let backToSource: number[] = [];
    if (machineEditor !== undefined && afterSource.highlightedView[0] !== undefined) {
      const target = afterSource.highlightedView[0];
      const back = next(vscode.window.onDidChangeTextEditorSelection, (e) => (e.textEditor === machineEditor ? true : undefined), "the machine-code selection");
      machineEditor.selection = new vscode.Selection(target, 0, target, 0);
      await back;
      backToSource = [...(views.machineCode.snapshot(uri)?.highlightedSource ?? [])];
    }
    result.cursor = { sourceLine: addLine, viewLines, backToSource };
    reach("cursorSync");

    // Show Binary Layout.
    const firstRender = next(views.layout.onDidRender, (e) => (e.source === uri.toString() ? e.rendered : undefined), "the layout map");
    await vscode.commands.executeCommand("zir.showLayout", uri);
    result.layout = await firstRender;
    result.csp = views.layout.contentSecurityPolicy(uri);
    reach("layout");

    // Edit one function's constant and save: both views refresh and mark exactly that decl.
    const firstUpdate = result.machineCode.update;
    const refreshed = next(views.machineCode.onDidRefresh, (s) => (s.update > firstUpdate ? s : undefined), "the machine code to refresh");
    const rerendered = next(views.layout.onDidRender, (e) => (e.source === uri.toString() && e.rendered.update > firstUpdate ? e.rendered : undefined), "the layout to refresh");
    const build = next(api.onBuildFinished, (b) => (b.uri === uri.toString() && b.ok ? b : undefined), "the build");
    const whole = new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length));
    if (!(await source.edit((edit) => { edit.replace(whole, config.editedText); }))) {
      throw new Error("the edit was not applied");
    }
    if (!(await document.save())) {
      throw new Error("the document was not saved");
    }
    const built = await build;
    const after = await refreshed;
    const lines = after.text.split("\n");
    result.after = {
      machineUpdate: after.update,
      changedLines: after.changedLines.map((n) => lines[n] ?? ""),
      headersChanged: headersOf(after.text).filter((h) => h.endsWith("(changed)")),
      layout: await rerendered,
      save: built.buildId ?? -1,
    };
    reach("edited");

    // Hover and click the edited decl's block.
    const hovered = next(views.layout.onDidHover, (e) => e.decl, "the hover message");
    await views.layout.simulate(uri, "hover", config.editedDecl);
    result.hover = await hovered;
    const revealed = next(views.layout.onDidReveal, (e) => e, "the click to reveal the decl");
    await views.layout.simulate(uri, "click", config.editedDecl);
    const click = await revealed;
    const expectedLine = document.getText().split("\n").findIndex((line) => line.startsWith(`@${config.editedDecl} =`));
    result.click = { decl: click.decl, line: click.line, expectedLine };
    reach("hoverClick");

    // Screenshots: the machine code (with the change marked), then the layout map.
    await vscode.commands.executeCommand("workbench.action.closeSidebar");
    await vscode.commands.executeCommand("workbench.action.closeAuxiliaryBar");
    const machineDocument = vscode.workspace.textDocuments.find((d) => d.uri.toString() === after.uri);
    if (machineDocument !== undefined) {
      const shown = await vscode.window.showTextDocument(machineDocument, { viewColumn: vscode.ViewColumn.Two, preserveFocus: true });
      const first = after.changedLines[0];
      if (first !== undefined) {
        shown.revealRange(new vscode.Range(first, 0, first, 0), vscode.TextEditorRevealType.InCenter);
      }
    }
    const machinePath = `${config.screenshotDir}/machine-code.png`;
    await screenshot(config.cdpPort, machinePath);
    result.screenshots.push(machinePath);
    const shownAgain = next(views.layout.onDidRender, (e) => (e.source === uri.toString() ? e.rendered : undefined), "the layout map to show again");
    await vscode.commands.executeCommand("zir.showLayout", uri);
    await shownAgain;
    await views.layout.simulate(uri, "hover", config.editedDecl);
    await next(views.layout.onDidHover, (e) => e.decl, "the hover for the screenshot");
    const layoutPath = `${config.screenshotDir}/layout.png`;
    await screenshot(config.cdpPort, layoutPath);
    result.screenshots.push(layoutPath);
    reach("screenshots");
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
