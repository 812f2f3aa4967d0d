// Run live (src/liveStatus.ts): the hot object of zir/buildFinished, the status-bar text, terminal line ends.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { liveStatusText, parseHot, toTerminal } from "../../src/liveStatus";

const hot = { pid: 42, swapped: true, restarted: false, reason: null, ms: 0.12 };

describe("parseHot", () => {
  it("reads the hot object of a buildFinished payload", () => {
    assert.deepEqual(parseHot({ uri: "file:///w/a.zir", hot }), hot);
    assert.deepEqual(parseHot({ hot: { ...hot, pid: null, swapped: false, reason: "the program exited" } }), {
      ...hot,
      pid: null,
      swapped: false,
      reason: "the program exited",
    });
  });

  it("rejects a missing or malformed hot object", () => {
    assert.equal(parseHot({ uri: "file:///w/a.zir", hot: null }), undefined);
    assert.equal(parseHot({ uri: "file:///w/a.zir" }), undefined);
    assert.equal(parseHot({ hot: { ...hot, pid: "42" } }), undefined);
    assert.equal(parseHot({ hot: { ...hot, swapped: 1 } }), undefined);
    assert.equal(parseHot(null), undefined);
  });
});

describe("liveStatusText", () => {
  it("says the PID and the swap count", () => {
    assert.equal(liveStatusText(42, 0), "live: 42, 0 swaps");
    assert.equal(liveStatusText(42, 1), "live: 42, 1 swap");
    assert.equal(liveStatusText(7, 12), "live: 7, 12 swaps");
  });
});

describe("toTerminal", () => {
  it("ends every line with CR LF once", () => {
    assert.equal(toTerminal("a\nb\r\nc"), "a\r\nb\r\nc");
  });
});
