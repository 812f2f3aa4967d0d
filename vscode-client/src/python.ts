/**
 * Choosing how to start the language server: candidate commands, probe verdicts, environment (pure).
 *
 * Nothing here touches the file system or spawns processes: the facts (which files exist, what is on
 * PATH, what an interpreter printed when probed) are passed in, so every rule is unit-tested.
 */

/** Where a candidate server command came from, in the order they are tried. */
export type CandidateSource =
  /** `zir.server.pythonPath`: when set, the only candidate. */
  | "setting"
  /** `<workspace folder>/.venv/bin/python`. */
  | "workspaceVenv"
  /** The active interpreter of the Python extension (ms-python.python). */
  | "pythonExtension"
  /** The `zir` command on PATH, started as `zir lsp`. */
  | "zirOnPath"
  /** `python3` on PATH. */
  | "python3OnPath";

/** One way of starting the server. */
export interface Candidate {
  readonly source: CandidateSource;
  /** The executable (absolute when known). */
  readonly command: string;
  /** Its arguments, including `zir.server.args`. */
  readonly args: readonly string[];
  /** Whether `command` is a Python interpreter (probed for its version and the `server` package). */
  readonly isPython: boolean;
}

/** The facts resolution depends on; gathered by `probe.ts`. */
export interface ResolutionInput {
  /** `zir.server.pythonPath`, trimmed; `""` when unset. */
  readonly pythonPath: string;
  /** `zir.server.args`. */
  readonly serverArgs: readonly string[];
  /** File-system paths of the workspace folders, in order. */
  readonly workspaceFolders: readonly string[];
  /** The Python extension's active interpreter, if that extension is installed and has one. */
  readonly pythonExtensionInterpreter: string | undefined;
  /** The user's home directory (for `~` in `pythonPath`). */
  readonly homeDir: string;
  /** Whether a file exists and is executable. */
  readonly isExecutable: (path: string) => boolean;
  /** The absolute path of a command found on PATH, or undefined. */
  readonly which: (name: string) => string | undefined;
}

/** The oldest Python the server supports: pyproject.toml's requires-python (lsp.md §1 says 3.10; the code uses 3.11). */
export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** The script run by `python -c` to probe an interpreter; its output is read by `parseProbeOutput`. */
export const PROBE_SCRIPT =
  "import sys, importlib.util as u; " +
  "print('%d.%d' % sys.version_info[:2]); " +
  "print('server' if u.find_spec('server') and u.find_spec('pygls') else 'no-server')";

/** Replaces a leading `~` and `${workspaceFolder}`/`${userHome}` in a path setting. */
export function expandPathSetting(value: string, homeDir: string, workspaceFolder: string | undefined): string {
  let path = value.trim();
  if (path === "~" || path.startsWith("~/")) {
    path = homeDir + path.slice(1);
  }
  path = path.replaceAll("${userHome}", homeDir);
  if (workspaceFolder !== undefined) {
    path = path.replaceAll("${workspaceFolder}", workspaceFolder);
  }
  return path;
}

function pythonCandidate(source: CandidateSource, python: string, serverArgs: readonly string[]): Candidate {
  return { source, command: python, args: ["-m", "server", ...serverArgs], isPython: true };
}

/**
 * The server commands to try, best first (lsp.md §11.3): the `pythonPath` setting alone when set;
 * otherwise each workspace folder's `.venv`, the Python extension's interpreter, `zir lsp` on PATH,
 * and `python3` on PATH. Duplicate commands are dropped.
 */
export function candidateCommands(input: ResolutionInput): Candidate[] {
  if (input.pythonPath !== "") {
    const python = expandPathSetting(input.pythonPath, input.homeDir, input.workspaceFolders[0]);
    return [pythonCandidate("setting", python, input.serverArgs)];
  }
  const candidates: Candidate[] = [];
  for (const folder of input.workspaceFolders) {
    const venvPython = `${folder.replace(/\/+$/, "")}/.venv/bin/python`;
    if (input.isExecutable(venvPython)) {
      candidates.push(pythonCandidate("workspaceVenv", venvPython, input.serverArgs));
    }
  }
  if (input.pythonExtensionInterpreter !== undefined && input.pythonExtensionInterpreter !== "") {
    candidates.push(pythonCandidate("pythonExtension", input.pythonExtensionInterpreter, input.serverArgs));
  }
  const zir = input.which("zir");
  if (zir !== undefined) {
    candidates.push({ source: "zirOnPath", command: zir, args: ["lsp", ...input.serverArgs], isPython: false });
  }
  const python3 = input.which("python3");
  if (python3 !== undefined) {
    candidates.push(pythonCandidate("python3OnPath", python3, input.serverArgs));
  }
  const seen = new Set<string>();
  return candidates.filter((c) => {
    const key = `${c.command}\0${c.args.join("\0")}`;
    if (seen.has(key)) {
      return false;
    }
    seen.add(key);
    return true;
  });
}

/** What probing an interpreter with `PROBE_SCRIPT` found. */
export interface ProbeResult {
  /** `[major, minor]`, or undefined when the output did not start with a version. */
  readonly version: readonly [number, number] | undefined;
  /** Whether `server` and `pygls` are importable. */
  readonly hasServer: boolean;
}

/** Reads the two lines printed by `PROBE_SCRIPT`. */
export function parseProbeOutput(stdout: string): ProbeResult {
  const lines = stdout.split(/\r?\n/).map((l) => l.trim());
  const match = /^(\d+)\.(\d+)$/.exec(lines[0] ?? "");
  const version: [number, number] | undefined =
    match === null ? undefined : [Number(match[1]), Number(match[2])];
  return { version, hasServer: lines[1] === "server" };
}

/** Whether `version` is at least `MIN_PYTHON`. */
export function isSupportedPython(version: readonly [number, number]): boolean {
  return version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1]);
}

/** The outcome of checking one candidate. */
export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Judges a probed candidate. `probe` is undefined when the command could not be run (`spawnError`
 * says why). `bundled` says whether the server packages come from the extension's `bundled/libs`
 * (then the interpreter only has to be recent enough).
 */
export function judgeCandidate(
  candidate: Candidate,
  probe: ProbeResult | undefined,
  spawnError: string | undefined,
  bundled: boolean,
): Verdict {
  if (!candidate.isPython) {
    return spawnError === undefined ? { ok: true } : { ok: false, reason: `${candidate.command}: ${spawnError}` };
  }
  if (probe === undefined || spawnError !== undefined) {
    return { ok: false, reason: `${candidate.command}: cannot run it (${spawnError ?? "no output"})` };
  }
  if (probe.version === undefined) {
    return { ok: false, reason: `${candidate.command}: not a Python interpreter` };
  }
  if (!isSupportedPython(probe.version)) {
    const [major, minor] = probe.version;
    return {
      ok: false,
      reason: `${candidate.command}: Python ${major}.${minor} is too old (ZIR Live needs ${MIN_PYTHON.join(".")} or newer)`,
    };
  }
  if (!bundled && !probe.hasServer) {
    return {
      ok: false,
      reason: `${candidate.command}: the ZIR Live server is not installed there (pip install zir-live, or pip install -e . in a checkout)`,
    };
  }
  return { ok: true };
}

/** The message shown when no candidate works, with how to fix it. */
export function noServerMessage(reasons: readonly string[], pythonPathSet: boolean): string {
  const tried = reasons.length === 0 ? "no Python interpreter and no `zir` command were found" : reasons.join("; ");
  const fix = pythonPathSet
    ? "Fix the setting zir.server.pythonPath, or clear it to search automatically."
    : "Set zir.server.pythonPath to a Python ≥ 3.11 with ZIR Live installed, create a .venv in the workspace, or put `zir` on PATH.";
  return `ZIR Live: cannot start the language server: ${tried}. ${fix}`;
}

/**
 * The server's environment: the extension host's, plus `PYTHONUNBUFFERED`, plus — for the
 * `useBundled` strategy when the extension ships `bundled/libs` — that directory first on PYTHONPATH.
 */
export function serverEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  bundledLibs: string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value !== undefined) {
      env[key] = value;
    }
  }
  env["PYTHONUNBUFFERED"] = "1";
  if (bundledLibs !== undefined) {
    const previous = env["PYTHONPATH"];
    env["PYTHONPATH"] = previous === undefined || previous === "" ? bundledLibs : `${bundledLibs}:${previous}`;
  }
  return env;
}
