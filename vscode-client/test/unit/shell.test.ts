// Shell quoting (src/shell.ts) for the "Run Output" terminal.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { shellQuote } from "../../src/shell";

describe("shellQuote", () => {
  it("leaves safe paths alone", () => {
    assert.equal(shellQuote("/tmp/ws/hello"), "/tmp/ws/hello");
    assert.equal(shellQuote("./a-b_c.d"), "./a-b_c.d");
  });

  it("quotes spaces, quotes and shell syntax so sh reads back the same word", () => {
    for (const path of ["/tmp/my dir/hello", "/tmp/it's/x", "/tmp/$(rm -rf x)/`y`", "/tmp/a;b|c&d", "/tmp/ü ñ"]) {
      const quoted = shellQuote(path);
      assert.notEqual(quoted, path);
      assert.equal(execFileSync("sh", ["-c", `printf %s ${quoted}`], { encoding: "utf8" }), path);
    }
  });
});
