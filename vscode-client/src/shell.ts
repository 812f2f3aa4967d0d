/**
 * Quoting a path for a POSIX shell command line (pure).
 */

/** `path` as one shell word: unchanged when it holds only safe characters, else single-quoted. */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
