/**
 * "ZIR: Show Binary Layout": a webview drawing the output file as a map (sections, blocks with used and spare
 * capacity, free gaps, GOT slots), outlining the ranges the last build wrote. Hovering names a block's decl,
 * clicking goes to the decl in the source. Theme colours only; no network (strict Content-Security-Policy).
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { WrittenRange } from "./buildStatus";
import type { ServerManager } from "./client";
import { type Layout, requestLayout } from "./inspect";

/** What the webview reports after drawing (read by the end-to-end test). */
export interface LayoutRendered {
  readonly update: number;
  readonly blocks: readonly string[];
  readonly changed: readonly string[];
  readonly written: readonly string[];
  readonly regions: readonly string[];
  /** The theme class VS Code put on the webview's body (`vscode-light`, `vscode-dark`, …). */
  readonly theme: string;
}

interface Panel {
  readonly source: vscode.Uri;
  readonly panel: vscode.WebviewPanel;
  writes: readonly WrittenRange[];
  rendered: LayoutRendered | undefined;
  hovered: string | undefined;
}

export class LayoutViews implements vscode.Disposable {
  private readonly panels = new Map<string, Panel>();
  private readonly renderedEmitter = new vscode.EventEmitter<{ source: string; rendered: LayoutRendered }>();
  /** Fires when a webview finished drawing a layout. */
  readonly onDidRender = this.renderedEmitter.event;
  private readonly revealedEmitter = new vscode.EventEmitter<{ source: string; decl: string; line: number }>();
  /** Fires when a click in the map revealed a decl in the source. */
  readonly onDidReveal = this.revealedEmitter.event;
  private readonly hoverEmitter = new vscode.EventEmitter<{ source: string; decl: string }>();
  /** Fires when the pointer enters a block. */
  readonly onDidHover = this.hoverEmitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly manager: ServerManager) {
    this.subscription = manager.onBuildFinished((build) => {
      const entry = this.panels.get(vscode.Uri.parse(build.uri).toString());
      if (entry !== undefined && build.committed !== false && build.binary !== null) {
        entry.writes = build.writes ?? [];
        void this.refresh(entry).catch((error: unknown) => {
          manager.log.error(`Show Binary Layout: ${String(error)}`);
        });
      }
    });
  }

  /** Opens (or reveals) the layout of `source`'s binary beside it. */
  async show(source: vscode.Uri): Promise<void> {
    const key = source.toString();
    const entry = this.panels.get(key);
    if (entry === undefined) {
      const name = source.path.split("/").pop() ?? "binary";
      const panel = vscode.window.createWebviewPanel("zirLayout", `Layout: ${name}`, {
        viewColumn: vscode.ViewColumn.Beside,
        preserveFocus: true,
      }, { enableScripts: true, localResourceRoots: [] });
      const created: Panel = { source, panel, writes: this.manager.lastBuilds.get(key)?.writes ?? [], rendered: undefined, hovered: undefined };
      this.panels.set(key, created);
      panel.webview.html = html(panel.webview.cspSource);
      panel.onDidDispose(() => this.panels.delete(key));
      // A hidden webview loses its content: draw again when it is shown.
      panel.onDidChangeViewState((event) => {
        if (event.webviewPanel.visible) {
          void this.refresh(created).catch((error: unknown) => {
            this.manager.log.error(`Show Binary Layout: ${String(error)}`);
          });
        }
      });
      panel.webview.onDidReceiveMessage((message: unknown) => {
        this.receive(created, message).catch((error: unknown) => {
          this.manager.log.error(`Show Binary Layout: ${String(error)}`);
        });
      });
      return; // the webview asks for the layout once its script runs ("ready")
    }
    entry.panel.reveal(vscode.ViewColumn.Beside, true);
    await this.refresh(entry);
  }

  /** Sends a synthetic pointer action to the map (the end-to-end test's hover and click). */
  async simulate(source: vscode.Uri, action: "hover" | "click", decl: string): Promise<boolean> {
    const entry = this.panels.get(source.toString());
    return entry === undefined ? false : entry.panel.webview.postMessage({ type: "simulate", action, decl });
  }

  /** The Content-Security-Policy of the webview of `source` (tests). */
  contentSecurityPolicy(source: vscode.Uri): string | undefined {
    const html = this.panels.get(source.toString())?.panel.webview.html;
    return html === undefined ? undefined : /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)?.[1];
  }

  rendered(source: vscode.Uri): LayoutRendered | undefined {
    return this.panels.get(source.toString())?.rendered;
  }

  private async refresh(entry: Panel): Promise<void> {
    let layout: Layout;
    try {
      layout = await requestLayout(this.manager, entry.source);
    } catch (error) {
      if (!String(error).includes("no binary has been built")) {
        throw error;
      }
      await this.manager.executeServerCommand("zir.rebuild", [entry.source.toString()]);
      layout = await requestLayout(this.manager, entry.source);
    }
    await entry.panel.webview.postMessage({ type: "layout", layout, writes: entry.writes });
  }

  private async receive(entry: Panel, message: unknown): Promise<void> {
    if (typeof message !== "object" || message === null) {
      return;
    }
    const { type } = message as { type?: unknown };
    const source = entry.source.toString();
    if (type === "ready") {
      await this.refresh(entry);
    } else if (type === "rendered") {
      entry.rendered = (message as { rendered: LayoutRendered }).rendered;
      this.renderedEmitter.fire({ source, rendered: entry.rendered });
    } else if (type === "hover") {
      const decl = String((message as { decl?: unknown }).decl);
      entry.hovered = decl;
      this.hoverEmitter.fire({ source, decl });
    } else if (type === "reveal") {
      const decl = String((message as { decl?: unknown }).decl);
      const line = await revealDecl(entry.source, decl);
      if (line !== undefined) {
        this.revealedEmitter.fire({ source, decl, line });
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
    for (const entry of this.panels.values()) {
      entry.panel.dispose();
    }
    this.renderedEmitter.dispose();
    this.revealedEmitter.dispose();
    this.hoverEmitter.dispose();
  }
}

/** Shows the source with the cursor on `@decl =` (an anonymous decl: on its owner); the line, if found. */
async function revealDecl(source: vscode.Uri, decl: string): Promise<number | undefined> {
  const document = await vscode.workspace.openTextDocument(source);
  const text = document.getText();
  const names = [decl, decl.split("__anon_")[0] ?? decl];
  for (const name of names) {
    const match = new RegExp(`^@${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*=`, "m").exec(text);
    if (match !== null) {
      const position = document.positionAt(match.index);
      const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
      editor.selection = new vscode.Selection(position, position);
      editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return position.line;
    }
  }
  return undefined;
}

function html(cspSource: string): string {
  const nonce = randomBytes(16).toString("base64");
  const csp = [
    "default-src 'none'",
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    "img-src 'none'",
    "connect-src 'none'",
    "font-src 'none'",
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header id="summary">Waiting for the layout…</header>
<div id="writes"></div>
<div id="info" aria-live="polite">Hover a block to see its decl; click it to go to the source.</div>
<h2>File</h2><div id="file" class="strip"></div>
<h2>.text blocks</h2><div id="text" class="strip wrap"></div>
<h2>GOT slots</h2><div id="got" class="strip wrap"></div>
<footer id="legend"><span class="box function"></span>function <span class="box data"></span>data
<span class="box room"></span>room <span class="box gap"></span>free <span class="box written-sample"></span>written by the last build
<span class="box changed-sample"></span>changed</footer>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}

const STYLE = `
body { color: var(--vscode-foreground); background: var(--vscode-editor-background); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); padding: 8px 12px; }
h2 { font-size: 1em; margin: 14px 0 4px; color: var(--vscode-descriptionForeground); }
#summary { font-weight: bold; margin-bottom: 4px; }
#info { min-height: 1.4em; font-family: var(--vscode-editor-font-family); color: var(--vscode-textLink-foreground); }
.strip { display: flex; gap: 1px; align-items: stretch; }
.wrap { flex-wrap: wrap; gap: 2px; }
.cell { height: 26px; box-sizing: border-box; overflow: hidden; white-space: nowrap; font-size: 10px; line-height: 26px; padding: 0 2px; cursor: default; border-radius: 2px; }
.header { background: var(--vscode-charts-purple); color: #fff; text-shadow: 0 0 2px #000; }
.section { background: var(--vscode-charts-blue); color: #fff; text-shadow: 0 0 2px #000; }
.gap, .box.gap { background: var(--vscode-editorWidget-border, #8884); opacity: 0.5; }
.block { display: flex; height: 26px; cursor: pointer; border-radius: 2px; overflow: hidden; }
.used { height: 100%; font-size: 10px; line-height: 26px; padding: 0 2px; overflow: hidden; white-space: nowrap; color: #fff; text-shadow: 0 0 2px #000; }
.function .used, .box.function { background: var(--vscode-charts-orange); }
.data .used, .box.data { background: var(--vscode-charts-green); }
.room, .box.room { height: 100%; background: var(--vscode-charts-orange); opacity: 0.3; }
.data .room { background: var(--vscode-charts-green); }
.slot { width: 12px; height: 12px; border-radius: 2px; background: var(--vscode-charts-blue); }
.slot.free { background: var(--vscode-editorWidget-border, #8884); }
.written, .box.written-sample { outline: 2px solid var(--vscode-charts-red); outline-offset: -2px; }
.written.hovered { outline-color: var(--vscode-focusBorder); box-shadow: 0 0 0 2px var(--vscode-charts-red); }
.changed .used, .box.changed-sample { box-shadow: inset 0 -4px 0 var(--vscode-charts-yellow); }
.hovered { outline: 2px solid var(--vscode-focusBorder); }
.box { display: inline-block; width: 12px; height: 12px; vertical-align: middle; margin: 0 2px 0 10px; }
.box.room { height: 12px; }
#writes { color: var(--vscode-descriptionForeground); }
footer { margin-top: 14px; color: var(--vscode-descriptionForeground); }
`;

const SCRIPT = `
(function () {
  const vscode = acquireVsCodeApi();
  const byDecl = new Map();
  const hex = (n) => "0x" + n.toString(16);
  const width = (size, scale) => Math.max(6, Math.round(scale * Math.log2(2 + size)));
  const overlaps = (a, writes) => writes.some((w) => w.offset < a.offset + a.size && a.offset < w.offset + w.size);
  function el(tag, cls, title) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (title) e.title = title;
    return e;
  }
  function draw(layout, writes) {
    byDecl.clear();
    const t = layout.totals;
    document.getElementById("summary").textContent =
      layout.binary + " (build " + layout.update + "): " + layout.fileSize + " bytes; .text " + t.textSize + " bytes, " +
      t.used + " used, " + t.slack + " slack, fragmentation " + t.fragmentation.toFixed(2) + "; GOT " + t.gotUsed + "/" + t.gotSlots;
    const total = writes.reduce((sum, w) => sum + w.size, 0);
    const where = [...new Set(writes.map((w) => w.region))].join(", ");
    document.getElementById("writes").textContent = writes.length === 0 ? "The last build wrote nothing." :
      "The last build wrote " + total + " bytes in " + writes.length + " writes (" + where + "), outlined below.";
    const file = document.getElementById("file");
    file.replaceChildren();
    const spans = layout.regions.map((r) => ({ ...r, cls: r.kind, label: r.name }))
      .concat(layout.fileGaps.map((g) => ({ ...g, cls: "gap", label: "free" })))
      .sort((a, b) => a.offset - b.offset);
    const written = [];
    for (const s of spans) {
      const c = el("div", "cell " + s.cls, s.label + ": offset " + hex(s.offset) + ", " + s.size + " bytes");
      c.style.flex = width(s.size, 1) + " 0 0";
      c.textContent = s.label;
      if (s.cls !== "gap" && overlaps(s, writes)) { c.classList.add("written"); written.push(s.label); }
      file.appendChild(c);
    }
    const text = document.getElementById("text");
    text.replaceChildren();
    const names = [], changed = [];
    for (const b of layout.text.blocks) {
      const title = "@" + b.name + " (" + b.kind + "): " + hex(b.address) + ", " + b.size + " bytes + " + b.room + " room" +
        (b.gotSlot === null ? "" : ", GOT[" + b.gotSlot + "]") + (b.changed ? ", changed in the last build" : "");
      const block = el("div", "block " + b.kind, title);
      block.dataset.decl = b.name;
      const used = el("div", "used");
      used.style.width = width(b.size, 9) + "px";
      used.textContent = b.name;
      block.appendChild(used);
      if (b.room > 0) {
        const room = el("div", "room");
        room.style.width = width(b.room, 3) + "px";
        block.appendChild(room);
      }
      if (b.changed) { block.classList.add("changed"); changed.push(b.name); }
      if (overlaps({ offset: b.offset, size: b.size + b.room }, writes)) { block.classList.add("written"); written.push("@" + b.name); }
      block.addEventListener("mouseenter", () => hover(b.name, title));
      block.addEventListener("mouseleave", () => block.classList.remove("hovered"));
      block.addEventListener("click", () => vscode.postMessage({ type: "reveal", decl: b.name }));
      byDecl.set(b.name, block);
      names.push(b.name);
      text.appendChild(block);
    }
    for (const g of layout.text.gaps) {
      const c = el("div", "cell gap", "free: " + hex(g.offset) + ", " + g.size + " bytes");
      c.style.width = width(g.size, 3) + "px";
      text.appendChild(c);
    }
    const got = document.getElementById("got");
    got.replaceChildren();
    for (const s of layout.got.slots) {
      const c = el("div", "slot" + (s.decl === null ? " free" : ""), "GOT[" + s.index + "] " + hex(s.address) + " → " + (s.decl === null ? "free" : "@" + s.decl));
      if (overlaps({ offset: layout.got.offset + 8 * s.index, size: 8 }, writes)) c.classList.add("written");
      got.appendChild(c);
    }
    vscode.postMessage({ type: "rendered", rendered: { update: layout.update, blocks: names, changed, written, regions: spans.map((s) => s.label),
      theme: [...document.body.classList].find((c) => c.startsWith("vscode-")) || "" } });
  }
  function hover(name, title) {
    for (const b of byDecl.values()) b.classList.remove("hovered");
    const block = byDecl.get(name);
    if (block) block.classList.add("hovered");
    document.getElementById("info").textContent = title;
    vscode.postMessage({ type: "hover", decl: name });
  }
  window.addEventListener("message", (event) => {
    const m = event.data;
    if (m.type === "layout") draw(m.layout, m.writes || []);
    if (m.type === "simulate") {
      const block = byDecl.get(m.decl);
      if (block) block.dispatchEvent(new MouseEvent(m.action === "click" ? "click" : "mouseenter"));
    }
  });
  vscode.postMessage({ type: "ready" });
})();
`;
