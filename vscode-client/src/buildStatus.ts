/**
 * The `zir/buildFinished` notification: its payload type, validation, and the status-bar text (pure).
 */

/** The custom notification the server sends after every build (lsp.md §8.7). */
export const BUILD_FINISHED = "zir/buildFinished";

/** Its payload: `{uri, ok, binary, ms, bytesWritten, errors}` plus optional extras. */
export interface BuildFinished {
  readonly uri: string;
  /** No errors. */
  readonly ok: boolean;
  /** The output path when it holds this build's program, else null. */
  readonly binary: string | null;
  /** The build's duration. */
  readonly ms: number;
  /** Bytes written to the output by this build. */
  readonly bytesWritten: number;
  /** The error count. */
  readonly errors: number;
  readonly buildId?: number;
  readonly version?: number | null;
  readonly committed?: boolean;
  /** The file ranges the build's commit wrote (docs/inspect.md). */
  readonly writes?: readonly WrittenRange[];
  /** Decls the build analysed (0 when the editor tier had already analysed the saved text). */
  readonly declsAnalyzed?: number;
}

/** One write of a build's commit: `size` bytes at file `offset`, in `region` (`.text`, `ehdr`, `file`…). */
export interface WrittenRange {
  readonly offset: number;
  readonly size: number;
  readonly region: string;
}

function parseWrites(value: unknown): WrittenRange[] | undefined {
  if (!Array.isArray(value)) {
    return undefined;
  }
  const out: WrittenRange[] = [];
  for (const item of value as unknown[]) {
    if (isRecord(item)) {
      const { offset, size, region } = item;
      if (typeof offset === "number" && typeof size === "number" && typeof region === "string") {
        out.push({ offset, size, region });
      }
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks an incoming payload; undefined when it lacks a required field. */
export function parseBuildFinished(params: unknown): BuildFinished | undefined {
  if (!isRecord(params)) {
    return undefined;
  }
  const { uri, ok, binary, ms, bytesWritten, errors } = params;
  if (
    typeof uri !== "string" ||
    typeof ok !== "boolean" ||
    !(binary === null || typeof binary === "string") ||
    typeof ms !== "number" ||
    typeof bytesWritten !== "number" ||
    typeof errors !== "number"
  ) {
    return undefined;
  }
  const extras: {
    buildId?: number;
    version?: number | null;
    committed?: boolean;
    writes?: WrittenRange[];
    declsAnalyzed?: number;
  } = {};
  const { buildId, version, committed, declsAnalyzed } = params;
  const writes = parseWrites(params["writes"]);
  if (writes !== undefined) {
    extras.writes = writes;
  }
  if (typeof buildId === "number") {
    extras.buildId = buildId;
  }
  if (typeof version === "number" || version === null) {
    extras.version = version;
  }
  if (typeof committed === "boolean") {
    extras.committed = committed;
  }
  if (typeof declsAnalyzed === "number") {
    extras.declsAnalyzed = declsAnalyzed;
  }
  return { uri, ok, binary, ms, bytesWritten, errors, ...extras };
}

/** A byte count for people: `512 B`, `4.0 KiB`, `1.2 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  if (bytes < 1024 * 1024) {
    return `${(bytes / 1024).toFixed(1)} KiB`;
  }
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** A duration for people: `850 ms`, `1.25 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** What the status-bar item shows. */
export interface StatusView {
  readonly text: string;
  readonly tooltip: string;
  /** Whether to use the error background colour. */
  readonly isError: boolean;
}

/**
 * The status for a finished build: `✓ <size> <time>` (the output file's size when known) or
 * `✗ N errors`. `fileName` is the source's base name; `binarySize` the output's size on disk.
 */
export function formatBuildStatus(build: BuildFinished, fileName: string, binarySize: number | undefined): StatusView {
  if (build.ok) {
    const size = binarySize === undefined ? "" : ` ${formatBytes(binarySize)}`;
    const written = `${formatBytes(build.bytesWritten)} written`;
    const output = build.binary === null ? "no output written" : `built → ${build.binary}`;
    return {
      text: `$(check) ZIR${size} ${formatMs(build.ms)}`,
      tooltip: `${fileName}: ${output} (${written}, ${formatMs(build.ms)})`,
      isError: false,
    };
  }
  const count = build.errors === 1 ? "1 error" : `${build.errors} errors`;
  return {
    text: `$(error) ZIR ${count}`,
    tooltip: `${fileName}: ${count}; output not updated (${formatMs(build.ms)})`,
    isError: true,
  };
}
