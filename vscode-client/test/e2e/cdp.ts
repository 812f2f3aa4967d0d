/**
 * A minimal client of the browser's DevTools protocol (`--remote-debugging-port`): evaluate an expression in
 * the workbench page and wait for its promise. Used by the scenarios to read and click the workbench's DOM.
 */

/** A WebSocket as Node ≥ 22 provides it globally. */
interface MiniSocket {
  send(data: string): void;
  close(): void;
  addEventListener(type: "open" | "message" | "error", listener: (event: { data?: unknown }) => void): void;
}

/** Evaluates `expression` in the workbench page (awaiting a returned promise) and returns its JSON value. */
export async function evaluate(port: number, expression: string): Promise<unknown> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { type: string; url: string; webSocketDebuggerUrl: string }[];
  const page = targets.find((t) => t.type === "page" && t.url.startsWith("http"));
  if (page === undefined) {
    throw new Error(`no page target among ${JSON.stringify(targets.map((t) => t.url))}`);
  }
  const Socket = (globalThis as unknown as { WebSocket: new (url: string) => MiniSocket }).WebSocket;
  const socket = new Socket(page.webSocketDebuggerUrl);
  try {
    return await new Promise<unknown>((resolve, reject) => {
      socket.addEventListener("open", () => {
        const params = { expression, awaitPromise: true, returnByValue: true };
        socket.send(JSON.stringify({ id: 1, method: "Runtime.evaluate", params }));
      });
      socket.addEventListener("message", (event) => {
        const message = JSON.parse(String(event.data)) as {
          id?: number;
          result?: { result?: { value?: unknown }; exceptionDetails?: unknown };
          error?: unknown;
        };
        if (message.id !== 1) {
          return;
        }
        if (message.result === undefined || message.result.exceptionDetails !== undefined) {
          reject(new Error(`Runtime.evaluate failed: ${JSON.stringify(message.error ?? message.result?.exceptionDetails)}`));
        } else {
          resolve(message.result.result?.value);
        }
      });
      socket.addEventListener("error", () => {
        reject(new Error("DevTools connection failed"));
      });
    });
  } finally {
    socket.close();
  }
}

/** What `watchStatusBar` saw: the ZIR item's and VS Code's window-progress texts, each distinct state once. */
export interface StatusBarSeen {
  readonly matched: boolean;
  /** The texts when the condition held (or the last ones at the timeout). */
  readonly zir: string;
  readonly progress: string;
  /** Every distinct `zir | progress` pair observed, in order. */
  readonly states: string[];
}

/**
 * Waits, with a MutationObserver on the status bar, until the ZIR item's text matches `zirPattern` while VS
 * Code's window progress (`status.progress`) starts with `progressPrefix`; bounded by `timeoutMs`.
 */
let watchCount = 0;

/** Installs the watch in the page and resolves once it is installed (so nothing the caller does next can
 * pass unseen); `seen` resolves when the status bar matched, or with `matched: false` after `timeoutMs`. */
export async function watchStatusBar(
  port: number,
  zirPattern: string,
  progressPrefix: string,
  timeoutMs: number,
): Promise<{ seen: Promise<StatusBarSeen> }> {
  const key = `__zirStatusWatch${String(watchCount++)}`;
  const expression = `(() => { window[${JSON.stringify(key)}] = new Promise((resolve) => {
    const zirPattern = new RegExp(${JSON.stringify(zirPattern)});
    const prefix = ${JSON.stringify(progressPrefix)};
    const states = [];
    const text = (id) => (document.getElementById(id)?.textContent ?? "").trim();
    let observer, timer;
    const check = () => {
      const zir = text("zir-live.zir-live.zir.status"), progress = text("status.progress");
      const state = zir + " | " + progress;
      if (states[states.length - 1] !== state) states.push(state);
      if (zirPattern.test(zir) && progress.startsWith(prefix)) {
        observer.disconnect(); clearTimeout(timer); resolve({ matched: true, zir, progress, states });
      }
    };
    observer = new MutationObserver(check);
    observer.observe(document.querySelector(".part.statusbar"), { subtree: true, childList: true, characterData: true, attributes: true });
    timer = setTimeout(() => {
      observer.disconnect();
      resolve({ matched: false, zir: text("zir-live.zir-live.zir.status"), progress: text("status.progress"), states });
    }, ${timeoutMs});
    check();
  }); return true; })()`;
  await evaluate(port, expression);
  return { seen: evaluate(port, `window[${JSON.stringify(key)}]`) as Promise<StatusBarSeen> };
}

/** Waits for a button labelled `label` inside the element matching `container` and clicks it. */
export async function clickButton(port: number, container: string, label: string, timeoutMs: number): Promise<boolean> {
  const expression = `new Promise((resolve) => {
    const find = () => [...document.querySelectorAll(${JSON.stringify(`${container} .monaco-button`)})]
      .find((b) => b.textContent.trim() === ${JSON.stringify(label)});
    let observer, timer;
    const attempt = () => {
      const button = find();
      if (button !== undefined) { observer?.disconnect(); clearTimeout(timer); button.click(); resolve(true); return true; }
      return false;
    };
    if (attempt()) return;
    observer = new MutationObserver(attempt);
    observer.observe(document.body, { subtree: true, childList: true });
    timer = setTimeout(() => { observer.disconnect(); resolve(false); }, ${timeoutMs});
  })`;
  return (await evaluate(port, expression)) === true;
}

let textWatchCount = 0;

/**
 * Installs, in the page, a watch for each of `texts` appearing in an element matching `selector` (a
 * MutationObserver; bounded by `timeoutMs`) and resolves once it is installed; `seen` resolves with the texts
 * that appeared, in `texts`' order, as soon as all did (or with those seen so far at the timeout).
 */
export async function watchTexts(
  port: number,
  selector: string,
  texts: readonly string[],
  timeoutMs: number,
): Promise<{ seen: Promise<string[]> }> {
  const key = `__zirTextWatch${String(textWatchCount++)}`;
  const expression = `(() => { window[${JSON.stringify(key)}] = new Promise((resolve) => {
    const texts = ${JSON.stringify(texts)};
    const seen = new Set();
    let observer, timer;
    const done = () => { observer.disconnect(); clearTimeout(timer); resolve(texts.filter((t) => seen.has(t))); };
    const check = () => {
      const shown = [...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent ?? "");
      for (const t of texts) if (shown.some((s) => s.includes(t))) seen.add(t);
      if (seen.size === texts.length) done();
    };
    observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    timer = setTimeout(done, ${timeoutMs});
    check();
  }); return true; })()`;
  await evaluate(port, expression);
  return { seen: evaluate(port, `window[${JSON.stringify(key)}]`) as Promise<string[]> };
}

/**
 * The labels of the open quick input's rows (the command palette), read once a row's label includes
 * `marker` — the list is then filtered and rendered, so a row that is not there is not offered — or the
 * rows at the timeout.
 */
export async function quickInputRows(port: number, marker: string, timeoutMs: number): Promise<string[]> {
  const expression = `new Promise((resolve) => {
    const rows = () => [...document.querySelectorAll(".quick-input-widget .monaco-list-row")]
      .map((r) => (r.getAttribute("aria-label") ?? r.textContent ?? "").trim());
    let observer, timer;
    const check = () => {
      const now = rows();
      if (now.some((r) => r.includes(${JSON.stringify(marker)}))) { observer?.disconnect(); clearTimeout(timer); resolve(now); return true; }
      return false;
    };
    if (check()) return;
    observer = new MutationObserver(check);
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    timer = setTimeout(() => { observer.disconnect(); resolve(rows()); }, ${timeoutMs});
  })`;
  return (await evaluate(port, expression)) as string[];
}
