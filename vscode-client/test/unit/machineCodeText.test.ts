// The "Show Machine Code" text (src/machineCodeText.ts): headers, changed marks, the two line maps.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBuildFinished } from "../../src/buildStatus";
import type { Disassembly } from "../../src/inspect";
import { renderMachineCode } from "../../src/machineCodeText";

const listing: Disassembly = {
  format: "zir-objdump",
  binary: "/w/zig-out/bin/app",
  source: "/w/app.zir",
  update: 4,
  decls: [
    {
      name: "f1", kind: "function", address: 0x8000010, offset: 4112, size: 9, capacity: 12,
      gotSlot: 1, gotAddress: 0x4000008, exports: [], line: 2, changed: true,
      instructions: [
        { address: 0x8000010, bytes: "55", mnemonic: "push", operands: "rbp", line: 2, changed: false },
        { address: 0x8000011, bytes: "4881c0e9030000", mnemonic: "add", operands: "rax, 0x3e9", line: 3, changed: true },
        { address: 0x8000018, bytes: "c3", mnemonic: "ret", operands: "", line: 3, changed: false },
      ],
    },
    {
      name: "msg", kind: "data", address: 0x8000020, offset: 4128, size: 3, capacity: 4,
      gotSlot: null, gotAddress: null, exports: [], data: { bytes: "68690a", text: "hi\\n" },
    },
  ],
};

describe("renderMachineCode", () => {
  const rendered = renderMachineCode(listing, ["", "@f1 = fn(@fty, {", "  %s = add(%p, %k)"]);
  const lines = rendered.text.split("\n");

  it("writes a header per decl with address, size of capacity and GOT slot", () => {
    const headers = [...rendered.headers.entries()];
    assert.deepEqual(headers.map(([, name]) => name), ["f1", "msg"]);
    assert.equal(lines[headers[0]?.[0] ?? -1], "@f1, function at 0x8000010, 9 of 12 bytes, GOT[1] at 0x4000008  (changed)");
    assert.equal(lines[headers[1]?.[0] ?? -1], "@msg, data at 0x8000020, 3 of 4 bytes");
  });

  it("marks changed instructions and maps lines both ways", () => {
    assert.equal(rendered.changed.length, 1);
    const changedLine = lines[rendered.changed[0] ?? -1] ?? "";
    assert.match(changedLine, /^ {2}\* {2}8000011: {2}48 81 c0 e9 03 00 00 +add rax, 0x3e9$/);
    const forLine3 = rendered.sourceToView.get(2) ?? [];
    assert.deepEqual(forLine3.map((n) => lines[n]?.trim().split(/\s+/).pop()), ["0x3e9", "ret"]);
    for (const view of forLine3) {
      assert.equal(rendered.viewToSource.get(view), 2);
    }
    assert.ok(lines.includes("    ; 3: %s = add(%p, %k)"));
    assert.ok(lines.includes('    "hi\\n"'));
  });
});

describe("parseBuildFinished writes", () => {
  it("keeps well-formed write ranges", () => {
    const payload = { uri: "file:///w/a.zir", ok: true, binary: "/w/a", ms: 1, bytesWritten: 3, errors: 0 };
    const writes = [{ offset: 16, size: 2, region: "ehdr" }, { offset: 9, size: "x", region: ".text" }];
    assert.deepEqual(parseBuildFinished({ ...payload, writes })?.writes, [{ offset: 16, size: 2, region: "ehdr" }]);
  });
});
