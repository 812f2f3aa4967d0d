/**
 * The server's `$/progress` reports as the status-bar text `ZIR: <phase> N%` (pure).
 *
 * VS Code's own window progress (what the language client creates) shows the title and message but never the
 * percentage; the status item shows the phase and the percentage of the newest running progress.
 */

/** One running progress: its begin title and its latest message and percentage. */
export interface ProgressState {
  readonly title: string;
  readonly message: string | undefined;
  readonly percentage: number | undefined;
}

/** The `WorkDoneProgress` values the server sends (begin, report, end), as the client library types them. */
export type ProgressValue =
  | { readonly kind: "begin"; readonly title: string; readonly message?: string; readonly percentage?: number }
  | { readonly kind: "report"; readonly message?: string; readonly percentage?: number }
  | { readonly kind: "end"; readonly message?: string };

/** The running progresses by token, newest last. */
export class ProgressTracker {
  private readonly running = new Map<string, ProgressState>();

  /** Applies one value; returns whether the shown state may have changed. */
  apply(token: string, value: ProgressValue): boolean {
    switch (value.kind) {
      case "begin":
        this.running.delete(token);
        this.running.set(token, { title: value.title, message: value.message, percentage: value.percentage });
        return true;
      case "report": {
        const state = this.running.get(token);
        if (state === undefined) {
          return false;
        }
        this.running.set(token, {
          title: state.title,
          message: value.message ?? state.message,
          percentage: value.percentage ?? state.percentage,
        });
        return true;
      }
      case "end":
        return this.running.delete(token);
    }
  }

  /** Forgets every running progress (the server stopped). */
  clear(): void {
    this.running.clear();
  }

  /** The newest running progress, if any. */
  get current(): ProgressState | undefined {
    let last: ProgressState | undefined;
    for (const state of this.running.values()) {
      last = state;
    }
    return last;
  }
}

/**
 * The status text for a progress: `$(sync~spin) ZIR: generate 42%`. The phase is the message up to its first
 * `:` (the server sends `generate: 1200/4005 decls`); the tooltip is the title and the whole message.
 */
export function formatProgressStatus(state: ProgressState): { text: string; tooltip: string } {
  const message = state.message?.trim() ?? "";
  const phase = message === "" ? state.title : (message.split(":", 1)[0] ?? message).trim();
  const percent = state.percentage === undefined ? "" : ` ${Math.max(0, Math.min(100, Math.round(state.percentage)))}%`;
  return {
    text: `$(sync~spin) ZIR: ${phase}${percent}`,
    tooltip: message === "" ? `ZIR Live: ${state.title}` : `ZIR Live: ${state.title}: ${message}`,
  };
}
