/**
 * What every end-to-end scenario shares: its configuration file, its result file (rewritten atomically at
 * each stage, so the Python side reads the last stage reached even if the scenario hangs), and waiting on a
 * VS Code event with the scenario's timeout.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type * as vscodeApi from "vscode";

/** The scenario's configuration, from the JSON file `ZIR_LIVE_E2E_CONFIG` names. */
export function readConfig(): unknown {
  const configPath = process.env["ZIR_LIVE_E2E_CONFIG"];
  if (configPath === undefined) {
    throw new Error("ZIR_LIVE_E2E_CONFIG is not set");
  }
  return JSON.parse(readFileSync(configPath, "utf8"));
}

/** A function that writes `result` to `path` (through a temporary file and a rename). */
export function resultSaver(path: string, result: object): () => void {
  return () => {
    writeFileSync(`${path}.tmp`, JSON.stringify(result, null, 2));
    renameSync(`${path}.tmp`, path);
  };
}

/** Resolves with the first value `event` fires that `accept` maps to something defined; rejects after
 * `timeoutMs` naming `what`. */
export function nextEvent<E, T>(
  event: vscodeApi.Event<E>,
  accept: (e: E) => T | undefined,
  what: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const subscription = event((e) => {
      const value = accept(e);
      if (value !== undefined) {
        subscription.dispose();
        clearTimeout(timer);
        resolve(value);
      }
    });
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
  });
}
