/**
 * Run live's pure parts (docs/hot-swap.md): the `hot` object of `zir/buildFinished`, the status-bar text and
 * terminal line ends. No `vscode` import, so unit tests run them under plain Node.
 */

/** The `hot` object of `zir/buildFinished` (and of the `zir.runLive` result). */
export interface HotInfo {
  readonly pid: number | null;
  readonly swapped: boolean;
  readonly restarted: boolean;
  readonly reason: string | null;
  readonly ms: number;
}

/** The `hot` object of a buildFinished-shaped payload, if it has a valid one. */
export function parseHot(payload: unknown): HotInfo | undefined {
  if (typeof payload !== "object" || payload === null) {
    return undefined;
  }
  const hot = (payload as { hot?: unknown }).hot;
  if (typeof hot !== "object" || hot === null) {
    return undefined;
  }
  const h = hot as Record<string, unknown>;
  const pid = h["pid"];
  if (!(pid === null || typeof pid === "number") || typeof h["swapped"] !== "boolean" || typeof h["restarted"] !== "boolean") {
    return undefined;
  }
  const reason = typeof h["reason"] === "string" ? h["reason"] : null;
  const ms = typeof h["ms"] === "number" ? h["ms"] : 0;
  return { pid, swapped: h["swapped"], restarted: h["restarted"], reason, ms };
}

/** The status-bar text of a live program. */
export function liveStatusText(pid: number, swaps: number): string {
  return `live: ${pid}, ${swaps} swap${swaps === 1 ? "" : "s"}`;
}

/** Terminal text: the pseudoterminal needs CR LF. */
export function toTerminal(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}
