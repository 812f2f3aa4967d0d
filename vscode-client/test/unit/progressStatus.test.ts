// $/progress → status-bar text (src/progressStatus.ts): the newest running progress, its phase and percentage.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProgressStatus, ProgressTracker } from "../../src/progressStatus";

describe("formatProgressStatus", () => {
  it("shows the phase of the message and the percentage", () => {
    assert.deepEqual(
      formatProgressStatus({ title: "Building big.zir", message: "generate: 1200/4005 decls", percentage: 41.6 }),
      { text: "$(sync~spin) ZIR: generate 42%", tooltip: "ZIR Live: Building big.zir: generate: 1200/4005 decls" },
    );
    assert.equal(formatProgressStatus({ title: "Analysing a.zir", message: "parse", percentage: 0 }).text, "$(sync~spin) ZIR: parse 0%");
  });

  it("falls back to the title without a message, and clamps the percentage", () => {
    assert.deepEqual(formatProgressStatus({ title: "Building a.zir", message: undefined, percentage: 130 }), {
      text: "$(sync~spin) ZIR: Building a.zir 100%",
      tooltip: "ZIR Live: Building a.zir",
    });
    assert.equal(formatProgressStatus({ title: "Building a.zir", message: "write", percentage: undefined }).text, "$(sync~spin) ZIR: write");
  });
});

describe("ProgressTracker", () => {
  it("follows begin, report and end, newest progress first", () => {
    const tracker = new ProgressTracker();
    const current = () => tracker.current; // read afresh (no narrowing across applies)
    assert.equal(current(), undefined);
    assert.equal(tracker.apply("a", { kind: "begin", title: "Analysing a.zir", percentage: 0 }), true);
    assert.equal(tracker.apply("a", { kind: "report", message: "analyse: 3/10 decls", percentage: 20 }), true);
    assert.deepEqual(tracker.current, { title: "Analysing a.zir", message: "analyse: 3/10 decls", percentage: 20 });
    tracker.apply("b", { kind: "begin", title: "Building a.zir", percentage: 0 });
    assert.equal(current()?.title, "Building a.zir");
    // a report keeps the last message when it carries only a percentage
    tracker.apply("a", { kind: "report", percentage: 50 });
    assert.equal(current()?.title, "Building a.zir");
    assert.equal(tracker.apply("b", { kind: "end", message: "built" }), true);
    assert.deepEqual(current(), { title: "Analysing a.zir", message: "analyse: 3/10 decls", percentage: 50 });
    assert.equal(tracker.apply("a", { kind: "end" }), true);
    assert.equal(current(), undefined);
  });

  it("ignores reports and ends of unknown tokens, and forgets everything on clear", () => {
    const tracker = new ProgressTracker();
    assert.equal(tracker.apply("x", { kind: "report", percentage: 5 }), false);
    assert.equal(tracker.apply("x", { kind: "end" }), false);
    tracker.apply("y", { kind: "begin", title: "Building a.zir" });
    tracker.clear();
    assert.equal(tracker.current, undefined);
  });
});
