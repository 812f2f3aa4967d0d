/**
 * The `zir.*` settings: their types and defaults, reading them safely, and which need a restart.
 *
 * Pure: settings are read through a `get(key)` function, so the rules are unit-tested without VS Code.
 * The server validates the settings it owns itself (lsp.md §8.11); the client reads the client-side ones.
 */

/** Where the interpreter finds the server's packages (lsp.md §11.3). */
export type ImportStrategy = "useBundled" | "fromEnvironment";
/** Protocol tracing level (`zir.trace.server`). */
export type TraceLevel = "off" | "messages" | "verbose";
export type OutputMode = "exe" | "obj";
export type OptimizeMode = "Debug" | "ReleaseSafe" | "ReleaseFast" | "ReleaseSmall";

/** Every `zir.*` setting, typed (lsp.md §8.11). */
export interface ZirSettings {
  readonly server: {
    readonly pythonPath: string;
    readonly args: readonly string[];
    readonly importStrategy: ImportStrategy;
  };
  readonly build: {
    readonly onSave: boolean;
    readonly outputPath: string;
    readonly outputMode: OutputMode;
    readonly optimizeMode: OptimizeMode;
    readonly allowOutsideWorkspace: boolean;
  };
  readonly diagnostics: {
    readonly onType: boolean;
    readonly debounceMs: number;
  };
  readonly trace: {
    readonly server: TraceLevel;
  };
  /** The live run (docs/hot-swap.md). */
  readonly run: {
    readonly hot: boolean;
    readonly restartWhenSwapImpossible: boolean;
  };
  /** Inlay hints of `%` locals (server-side; lsp.md §9). */
  readonly inlayHints: {
    readonly enabled: boolean;
  };
}

/** The defaults; equal to `contributes.configuration` in package.json (a unit test checks). */
export const DEFAULT_SETTINGS: ZirSettings = {
  server: { pythonPath: "", args: [], importStrategy: "useBundled" },
  build: {
    onSave: true,
    outputPath: "${workspaceFolder}/zig-out/bin/${fileBasenameNoExtension}",
    outputMode: "exe",
    optimizeMode: "Debug",
    allowOutsideWorkspace: false,
  },
  diagnostics: { onType: true, debounceMs: 200 },
  trace: { server: "off" },
  run: { hot: true, restartWhenSwapImpossible: true },
  inlayHints: { enabled: true },
};

/** Settings whose change needs a new server process (the client-side ones). */
export const RESTART_SECTIONS: readonly string[] = ["zir.server"];

/** Whether a configuration change needs a server restart; `affects` is `event.affectsConfiguration`. */
export function requiresRestart(affects: (section: string) => boolean): boolean {
  return RESTART_SECTIONS.some((section) => affects(section));
}

/**
 * What a server launch depends on among the settings (`zir.server.*`), as a comparable string: a
 * configuration event that names `zir.server` restarts the server only when this changed (granting
 * workspace trust fires such an event for every restricted setting, changed or not).
 */
export function serverSettingsKey(settings: ZirSettings): string {
  return JSON.stringify(settings.server);
}

/** A problem found while reading settings: the value is replaced by its default. */
export interface SettingProblem {
  readonly key: string;
  readonly message: string;
}

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T | undefined {
  if (value === undefined) {
    return fallback;
  }
  return typeof value === "string" && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/**
 * Reads every setting through `get` (keys relative to `zir`, e.g. `"build.onSave"`). An unset value
 * takes its default; an invalid one takes its default and is reported in `problems`.
 */
export function readSettings(get: (key: string) => unknown): { settings: ZirSettings; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  function bad<T>(key: string, value: unknown, fallback: T, expected: string): T {
    problems.push({ key: `zir.${key}`, message: `zir.${key}: ${JSON.stringify(value)} is not ${expected}; using ${JSON.stringify(fallback)}` });
    return fallback;
  }
  function str(key: string, fallback: string): string {
    const value = get(key);
    if (value === undefined) {
      return fallback;
    }
    return typeof value === "string" ? value : bad(key, value, fallback, "a string");
  }
  function bool(key: string, fallback: boolean): boolean {
    const value = get(key);
    if (value === undefined) {
      return fallback;
    }
    return typeof value === "boolean" ? value : bad(key, value, fallback, "true or false");
  }
  function oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = get(key);
    return pick(value, allowed, fallback) ?? bad(key, value, fallback, `one of ${allowed.join(", ")}`);
  }
  function strings(key: string, fallback: readonly string[]): readonly string[] {
    const value = get(key);
    if (value === undefined) {
      return fallback;
    }
    if (Array.isArray(value) && value.every((v): v is string => typeof v === "string")) {
      return value;
    }
    return bad(key, value, fallback, "a list of strings");
  }
  function milliseconds(key: string, fallback: number): number {
    const value = get(key);
    if (value === undefined) {
      return fallback;
    }
    return typeof value === "number" && Number.isFinite(value) && value >= 0
      ? value
      : bad(key, value, fallback, "a number ≥ 0");
  }
  const d = DEFAULT_SETTINGS;
  const settings: ZirSettings = {
    server: {
      pythonPath: str("server.pythonPath", d.server.pythonPath).trim(),
      args: strings("server.args", d.server.args),
      importStrategy: oneOf("server.importStrategy", ["useBundled", "fromEnvironment"], d.server.importStrategy),
    },
    build: {
      onSave: bool("build.onSave", d.build.onSave),
      outputPath: str("build.outputPath", d.build.outputPath),
      outputMode: oneOf("build.outputMode", ["exe", "obj"], d.build.outputMode),
      optimizeMode: oneOf(
        "build.optimizeMode",
        ["Debug", "ReleaseSafe", "ReleaseFast", "ReleaseSmall"],
        d.build.optimizeMode,
      ),
      allowOutsideWorkspace: bool("build.allowOutsideWorkspace", d.build.allowOutsideWorkspace),
    },
    diagnostics: {
      onType: bool("diagnostics.onType", d.diagnostics.onType),
      debounceMs: milliseconds("diagnostics.debounceMs", d.diagnostics.debounceMs),
    },
    trace: { server: oneOf("trace.server", ["off", "messages", "verbose"], d.trace.server) },
    run: {
      hot: bool("run.hot", d.run.hot),
      restartWhenSwapImpossible: bool("run.restartWhenSwapImpossible", d.run.restartWhenSwapImpossible),
    },
    inlayHints: { enabled: bool("inlayHints.enabled", d.inlayHints.enabled) },
  };
  return { settings, problems };
}

/**
 * The `initializationOptions` sent to the server: a snapshot of the raw `zir` section as JSON (the
 * same shape `workspace/configuration` answers with), so the server validates its own settings.
 */
export function settingsSnapshot(section: unknown): Record<string, unknown> {
  const json: unknown = JSON.parse(JSON.stringify(section ?? {}));
  return typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
}

/**
 * The `initializationOptions`: the settings snapshot plus `workspaceTrusted`. In an untrusted workspace the
 * server builds nothing (docs/reliability.md), so no workspace-provided output path is ever written.
 */
export function initializationOptions(section: unknown, trusted: boolean): Record<string, unknown> {
  return { ...settingsSnapshot(section), workspaceTrusted: trusted };
}
