/**
 * "ZIR: Show Machine Code": a read-only virtual document beside the source with the disassembly of its last
 * build, refreshed after every build, with the cursor synchronised both ways and changed instructions marked.
 */
import * as vscode from "vscode";
import type { ServerManager } from "./client";
import { requestDisassembly } from "./inspect";
import { type MachineCodeText, renderMachineCode } from "./machineCodeText";

export const MACHINE_CODE_SCHEME = "zir-machine-code";

interface View {
  readonly source: vscode.Uri;
  readonly uri: vscode.Uri;
  rendered: MachineCodeText | undefined;
  text: string;
  update: number;
  /** The lines highlighted by the last cursor sync, in the view and in the source. */
  highlightedView: number[];
  highlightedSource: number[];
}

/** What the end-to-end test reads about a machine-code view. */
export interface MachineCodeSnapshot {
  readonly uri: string;
  readonly text: string;
  readonly update: number;
  readonly changedLines: readonly number[];
  readonly highlightedView: readonly number[];
  readonly highlightedSource: readonly number[];
}

export class MachineCodeViews implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly views = new Map<string, View>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly refreshedEmitter = new vscode.EventEmitter<MachineCodeSnapshot>();
  /** Fires after a view's text was replaced (tests wait on it). */
  readonly onDidRefresh = this.refreshedEmitter.event;
  private readonly changedDecoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("diffEditor.insertedLineBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.addedForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Left,
  });
  private readonly headerDecoration = vscode.window.createTextEditorDecorationType({
    fontWeight: "bold",
    color: new vscode.ThemeColor("symbolIcon.functionForeground"),
  });
  private readonly cursorDecoration = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("editor.rangeHighlightBackground"),
    border: "1px solid",
    borderColor: new vscode.ThemeColor("editor.findMatchHighlightBorder"),
  });
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly manager: ServerManager) {
    this.subscriptions = [
      vscode.workspace.registerTextDocumentContentProvider(MACHINE_CODE_SCHEME, this),
      manager.onBuildFinished((build) => {
        const view = this.views.get(vscode.Uri.parse(build.uri).toString());
        if (view !== undefined && build.committed !== false && build.binary !== null) {
          void this.refresh(view).catch((error: unknown) => {
            manager.log.error(`Show Machine Code: ${String(error)}`);
          });
        }
      }),
      vscode.window.onDidChangeTextEditorSelection((event) => {
        this.syncCursor(event.textEditor);
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => {
        this.decorateAll();
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (document.uri.scheme === MACHINE_CODE_SCHEME) {
          this.views.delete(document.uri.query);
        }
      }),
    ];
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.views.get(uri.query)?.text ?? "; ZIR Live: no machine code yet (save the .zir file to build it)";
  }

  /** Opens (or reveals) the view of `source` beside it. */
  async show(source: vscode.Uri): Promise<vscode.TextEditor> {
    const key = source.toString();
    let view = this.views.get(key);
    if (view === undefined) {
      const uri = vscode.Uri.from({ scheme: MACHINE_CODE_SCHEME, path: `${source.path}.s`, query: key });
      view = { source, uri, rendered: undefined, text: "", update: 0, highlightedView: [], highlightedSource: [] };
      this.views.set(key, view);
    }
    await this.refresh(view);
    const document = await vscode.workspace.openTextDocument(view.uri);
    const editor = await vscode.window.showTextDocument(document, {
      viewColumn: vscode.ViewColumn.Beside,
      preserveFocus: true,
      preview: false,
    });
    this.decorate(editor, view);
    return editor;
  }

  /** The state of the view of `source` (tests). */
  snapshot(source: vscode.Uri): MachineCodeSnapshot | undefined {
    const view = this.views.get(source.toString());
    return view === undefined ? undefined : this.snapshotOf(view);
  }

  private snapshotOf(view: View): MachineCodeSnapshot {
    return {
      uri: view.uri.toString(),
      text: view.text,
      update: view.update,
      changedLines: view.rendered?.changed ?? [],
      highlightedView: view.highlightedView,
      highlightedSource: view.highlightedSource,
    };
  }

  private async refresh(view: View): Promise<void> {
    let listing;
    try {
      listing = await requestDisassembly(this.manager, view.source);
    } catch (error) {
      if (!String(error).includes("no binary has been built")) {
        throw error;
      }
      await this.manager.executeServerCommand("zir.rebuild", [view.source.toString()]);
      listing = await requestDisassembly(this.manager, view.source);
    }
    const sourceDocument = vscode.workspace.textDocuments.find((d) => d.uri.toString() === view.source.toString());
    const sourceLines = sourceDocument?.getText().split(/\r?\n/) ?? [];
    view.rendered = renderMachineCode(listing, sourceLines);
    const unchanged = view.text === view.rendered.text;
    view.text = view.rendered.text;
    view.update = listing.update;
    view.highlightedView = [];
    this.changeEmitter.fire(view.uri);
    // The editor shows the new text once VS Code has asked the provider again; decorate after that.
    await new Promise<void>((resolve) => {
      const done = vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.toString() === view.uri.toString()) {
          done.dispose();
          resolve();
        }
      });
      const open = vscode.workspace.textDocuments.some((d) => d.uri.toString() === view.uri.toString());
      if (!open || unchanged) {
        done.dispose();
        resolve();
      }
    });
    this.decorateAll();
    this.refreshedEmitter.fire(this.snapshotOf(view));
  }

  private decorateAll(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.scheme === MACHINE_CODE_SCHEME) {
        const view = this.views.get(editor.document.uri.query);
        if (view !== undefined) {
          this.decorate(editor, view);
        }
      }
    }
  }

  private decorate(editor: vscode.TextEditor, view: View): void {
    const rendered = view.rendered;
    if (rendered === undefined) {
      return;
    }
    const line = (n: number): vscode.Range => new vscode.Range(n, 0, n, 0);
    editor.setDecorations(this.changedDecoration, rendered.changed.map(line));
    editor.setDecorations(this.headerDecoration, [...rendered.headers.keys()].map((n) => editor.document.lineAt(Math.min(n, editor.document.lineCount - 1)).range));
    editor.setDecorations(this.cursorDecoration, view.highlightedView.map(line));
  }

  /** The cursor moved in `editor`: highlight and reveal the matching lines on the other side. */
  private syncCursor(editor: vscode.TextEditor): void {
    const document = editor.document;
    const line = editor.selection.active.line;
    if (document.uri.scheme === MACHINE_CODE_SCHEME) {
      const view = this.views.get(document.uri.query);
      const source = view?.rendered?.viewToSource.get(line);
      if (view === undefined || source === undefined) {
        return;
      }
      view.highlightedSource = [source];
      for (const other of vscode.window.visibleTextEditors) {
        if (other.document.uri.toString() === view.source.toString()) {
          const range = new vscode.Range(source, 0, source, 0);
          other.setDecorations(this.cursorDecoration, [range]);
          other.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        }
      }
      return;
    }
    const view = this.views.get(document.uri.toString());
    if (view?.rendered === undefined) {
      return;
    }
    const lines = view.rendered.sourceToView.get(line) ?? [];
    view.highlightedView = [...lines];
    for (const other of vscode.window.visibleTextEditors) {
      if (other.document.uri.toString() === view.uri.toString()) {
        const first = lines[0];
        other.setDecorations(this.cursorDecoration, lines.map((n) => new vscode.Range(n, 0, n, 0)));
        if (first !== undefined) {
          const last = lines[lines.length - 1] ?? first;
          other.revealRange(new vscode.Range(first, 0, last, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
        }
      }
    }
  }

  dispose(): void {
    for (const subscription of this.subscriptions) {
      subscription.dispose();
    }
    this.changeEmitter.dispose();
    this.refreshedEmitter.dispose();
    this.changedDecoration.dispose();
    this.headerDecoration.dispose();
    this.cursorDecoration.dispose();
  }
}
