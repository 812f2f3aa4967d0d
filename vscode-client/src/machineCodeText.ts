/**
 * The text of the "ZIR: Show Machine Code" view and its line maps (pure: no VS Code API).
 */
import { type Disassembly, hex } from "./inspect";

export interface MachineCodeText {
  readonly text: string;
  /** Source line (0-based) → view lines (0-based) of its instructions. */
  readonly sourceToView: ReadonlyMap<number, readonly number[]>;
  /** View line → source line (0-based), for instruction and line-marker lines. */
  readonly viewToSource: ReadonlyMap<number, number>;
  /** View lines of instructions that changed in the last build. */
  readonly changed: readonly number[];
  /** View lines of decl headers, and the decl each names. */
  readonly headers: ReadonlyMap<number, string>;
}

function spaced(bytes: string): string {
  return bytes.replace(/(..)(?!$)/g, "$1 ");
}

/** One decl's header: name, kind, address, size of capacity, GOT slot, exports. */
export function headerText(decl: Disassembly["decls"][number]): string {
  const parts = [`@${decl.name}`, `${decl.kind} at 0x${hex(decl.address)}`, `${decl.size} of ${decl.capacity} bytes`];
  if (decl.gotSlot !== null && decl.gotAddress !== null) {
    parts.push(`GOT[${decl.gotSlot}] at 0x${hex(decl.gotAddress)}`);
  }
  if (decl.exports.length > 0) {
    parts.push(`export ${decl.exports.join(", ")}`);
  }
  return parts.join(", ") + (decl.changed === true ? "  (changed)" : "");
}

/** Renders the listing; `sourceLines` (the .zir text split in lines) adds each line's text as a marker. */
export function renderMachineCode(listing: Disassembly, sourceLines: readonly string[]): MachineCodeText {
  const lines: string[] = [
    `; ZIR Live machine code: build ${listing.update} of ${listing.binary}`,
    "; * marks instructions that changed in the last build",
    "",
  ];
  const sourceToView = new Map<number, number[]>();
  const viewToSource = new Map<number, number>();
  const changed: number[] = [];
  const headers = new Map<number, string>();
  for (const decl of listing.decls) {
    headers.set(lines.length, decl.name);
    if (decl.line !== undefined && decl.line !== null) {
      viewToSource.set(lines.length, decl.line - 1);
    }
    lines.push(headerText(decl));
    if (decl.instructions !== undefined) {
      let current: number | null = null;
      for (const inst of decl.instructions) {
        if (inst.line !== null && inst.line !== current) {
          current = inst.line;
          const text = (sourceLines[current - 1] ?? "").trim();
          viewToSource.set(lines.length, current - 1);
          lines.push(`    ; ${current}: ${text}`);
        }
        const view = lines.length;
        if (inst.line !== null) {
          const source = inst.line - 1;
          viewToSource.set(view, source);
          const list = sourceToView.get(source) ?? [];
          list.push(view);
          sourceToView.set(source, list);
        }
        if (inst.changed === true) {
          changed.push(view);
        }
        const mark = inst.changed === true ? "*" : " ";
        lines.push(`  ${mark} ${hex(inst.address).padStart(8)}:  ${spaced(inst.bytes).padEnd(21)} ${inst.mnemonic} ${inst.operands}`.trimEnd());
      }
    }
    if (decl.data !== undefined) {
      const base = decl.address + (decl.data.offset ?? 0);
      for (let at = 0; at < decl.data.bytes.length; at += 32) {
        lines.push(`    ${hex(base + at / 2).padStart(8)}:  ${spaced(decl.data.bytes.slice(at, at + 32))}`);
      }
      lines.push(`    "${decl.data.text}"`);
    }
    lines.push("");
  }
  return { text: lines.join("\n"), sourceToView, viewToSource, changed, headers };
}
