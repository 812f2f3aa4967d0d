/**
 * Finding a working server command on this machine: gathers the facts and probes candidates.
 *
 * The rules live in `python.ts`; this module only runs processes and looks at the file system.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import * as vscode from "vscode";
import type { ZirSettings } from "./config";
import {
  type Candidate,
  candidateCommands,
  judgeCandidate,
  noServerMessage,
  parseProbeOutput,
  PROBE_SCRIPT,
  type ProbeResult,
  serverEnvironment,
} from "./python";

/** A server command that passed its checks. */
export interface ServerLaunch {
  readonly candidate: Candidate;
  readonly env: Record<string, string>;
  readonly cwd: string | undefined;
}

/** The outcome of resolution: a launch, or the message telling the user how to fix it. */
export type Resolution = { readonly ok: true; readonly launch: ServerLaunch } | { readonly ok: false; readonly message: string };

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function which(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "" && isExecutable(join(dir, name))) {
      return join(dir, name);
    }
  }
  return undefined;
}

/** The part of the Python extension's API (ms-python.python, `environments`) used here. */
interface PythonEnvironments {
  getActiveEnvironmentPath?: (resource?: vscode.Uri) => { path?: unknown };
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

/** The Python extension's `environments` API, activating that extension if it is installed. */
async function pythonEnvironments(log: vscode.LogOutputChannel): Promise<PythonEnvironments | undefined> {
  const extension = vscode.extensions.getExtension("ms-python.python");
  if (extension === undefined) {
    return undefined;
  }
  try {
    const api: unknown = extension.isActive ? extension.exports : await extension.activate();
    return (api as { environments?: PythonEnvironments } | undefined)?.environments;
  } catch (error) {
    log.warn(`the Python extension did not provide its API: ${String(error)}`);
    return undefined;
  }
}

/** The Python extension's active interpreter for the first workspace folder, if any. */
async function pythonExtensionInterpreter(log: vscode.LogOutputChannel): Promise<string | undefined> {
  const environments = await pythonEnvironments(log);
  const path = environments?.getActiveEnvironmentPath?.(vscode.workspace.workspaceFolders?.[0]?.uri).path;
  return typeof path === "string" && path !== "" ? path : undefined;
}

/** Calls `listener` when the Python extension's active interpreter changes (if that extension is installed). */
export async function onDidChangePythonInterpreter(
  log: vscode.LogOutputChannel,
  listener: () => void,
): Promise<vscode.Disposable | undefined> {
  const environments = await pythonEnvironments(log);
  return environments?.onDidChangeActiveEnvironmentPath?.(() => {
    listener();
  });
}

function probePython(command: string, env: Record<string, string>): Promise<{ probe?: ProbeResult; error?: string }> {
  return new Promise((resolve) => {
    execFile(command, ["-c", PROBE_SCRIPT], { env, timeout: 15000 }, (error, stdout) => {
      if (error !== null && stdout === "") {
        resolve({ error: error.message.split("\n")[0] ?? error.name });
      } else {
        resolve({ probe: parseProbeOutput(stdout) });
      }
    });
  });
}

/**
 * Finds the command that starts the server: tries the candidates of `candidateCommands` in order and
 * returns the first that passes `judgeCandidate`.
 */
export async function resolveServer(
  settings: ZirSettings,
  extensionPath: string,
  log: vscode.LogOutputChannel,
): Promise<Resolution> {
  // An untrusted workspace's .venv is code from the workspace: not a candidate.
  const trustedFolders = vscode.workspace.isTrusted ? (vscode.workspace.workspaceFolders ?? []) : [];
  const folders = trustedFolders
    .filter((f) => f.uri.scheme === "file")
    .map((f) => f.uri.fsPath);
  const candidates = candidateCommands({
    pythonPath: settings.server.pythonPath,
    serverArgs: settings.server.args,
    workspaceFolders: folders,
    pythonExtensionInterpreter: settings.server.pythonPath === "" ? await pythonExtensionInterpreter(log) : undefined,
    homeDir: homedir(),
    isExecutable,
    which,
  });
  const libs = join(extensionPath, "bundled", "libs");
  const bundledLibs = settings.server.importStrategy === "useBundled" && existsSync(libs) ? libs : undefined;
  const env = serverEnvironment(process.env, bundledLibs);
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const { probe, error } = candidate.isPython
      ? await probePython(candidate.command, env)
      : { probe: undefined, error: isExecutable(candidate.command) ? undefined : "not executable" };
    const verdict = judgeCandidate(candidate, probe, error, bundledLibs !== undefined);
    if (verdict.ok) {
      log.info(`server command (${candidate.source}): ${candidate.command} ${candidate.args.join(" ")}` +
        (bundledLibs === undefined ? "" : ` with PYTHONPATH=${bundledLibs}`));
      return { ok: true, launch: { candidate, env, cwd: folders[0] } };
    }
    log.info(`skipped server command (${candidate.source}): ${verdict.reason}`);
    reasons.push(verdict.reason);
  }
  return { ok: false, message: noServerMessage(reasons, settings.server.pythonPath !== "") };
}
