/**
 * The JSON of `zir/disassembly` and `zir/layout` (docs/inspect.md) and the requests that fetch it.
 */
import type * as vscode from "vscode";
import type { ServerManager } from "./client";

export const DISASSEMBLY = "zir/disassembly";
export const LAYOUT = "zir/layout";

export interface Instruction {
  readonly address: number;
  readonly bytes: string;
  readonly mnemonic: string;
  readonly operands: string;
  readonly line: number | null;
  readonly changed?: boolean;
}

export interface DeclListing {
  readonly name: string;
  readonly kind: "function" | "data";
  readonly address: number;
  readonly offset: number;
  readonly size: number;
  readonly capacity: number;
  readonly gotSlot: number | null;
  readonly gotAddress: number | null;
  readonly exports: readonly string[];
  readonly line?: number | null;
  readonly instructions?: readonly Instruction[];
  /** A data decl's bytes, or the data after a function's code (`offset` from the decl's first byte). */
  readonly data?: { readonly offset?: number; readonly bytes: string; readonly text: string };
  readonly changed?: boolean;
}

export interface Disassembly {
  readonly format: "zir-objdump";
  readonly binary: string;
  readonly source: string;
  readonly update: number;
  readonly decls: readonly DeclListing[];
}

export interface Span {
  readonly offset: number;
  readonly size: number;
}

export interface Region extends Span {
  readonly name: string;
  readonly kind: "header" | "section";
}

export interface Block extends Span {
  readonly name: string;
  readonly kind: "function" | "data";
  readonly address: number;
  readonly room: number;
  readonly gotSlot: number | null;
  readonly changed?: boolean;
}

export interface GotSlot {
  readonly index: number;
  readonly address: number;
  readonly value: number;
  readonly decl: string | null;
}

export interface Layout {
  readonly format: "zir-layout";
  readonly binary: string;
  readonly update: number;
  readonly fileSize: number;
  readonly regions: readonly Region[];
  readonly fileGaps: readonly Span[];
  readonly text: { readonly offset: number; readonly size: number; readonly blocks: readonly Block[]; readonly gaps: readonly Span[] };
  readonly got: { readonly offset: number; readonly slots: readonly GotSlot[] };
  readonly totals: Record<string, number>;
}

function client(manager: ServerManager) {
  const current = manager.current;
  if (current === undefined || !current.isRunning()) {
    throw new Error("the ZIR Live language server is not running (see the ZIR Live output)");
  }
  return current;
}

function hasFormat(value: unknown, format: string): boolean {
  return typeof value === "object" && value !== null && (value as { format?: unknown }).format === format;
}

/** `zir/disassembly` for the document (every decl). */
export async function requestDisassembly(manager: ServerManager, uri: vscode.Uri): Promise<Disassembly> {
  const result: unknown = await client(manager).sendRequest(DISASSEMBLY, { textDocument: { uri: uri.toString() } });
  if (!hasFormat(result, "zir-objdump")) {
    throw new Error(`${DISASSEMBLY} returned ${JSON.stringify(result)}`);
  }
  return result as Disassembly;
}

/** `zir/layout` for the document. */
export async function requestLayout(manager: ServerManager, uri: vscode.Uri): Promise<Layout> {
  const result: unknown = await client(manager).sendRequest(LAYOUT, { textDocument: { uri: uri.toString() } });
  if (!hasFormat(result, "zir-layout")) {
    throw new Error(`${LAYOUT} returned ${JSON.stringify(result)}`);
  }
  return result as Layout;
}

/** A hex address without leading zeros, as objdump prints it. */
export function hex(value: number): string {
  return value.toString(16);
}
