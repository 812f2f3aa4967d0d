// zir/buildFinished (src/buildStatus.ts): payload validation and the status-bar text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatBuildStatus, formatBytes, formatMs, parseBuildFinished } from "../../src/buildStatus";

const ok = { uri: "file:///w/hello.zir", ok: true, binary: "/w/hello", ms: 12.4, bytesWritten: 300, errors: 0 };

describe("parseBuildFinished", () => {
  it("accepts the required fields and the optional ones", () => {
    assert.deepEqual(parseBuildFinished(ok), ok);
    assert.deepEqual(
      parseBuildFinished({ ...ok, buildId: 3, version: null, committed: true, declsAnalyzed: 0, other: 1 }),
      { ...ok, buildId: 3, version: null, committed: true, declsAnalyzed: 0 },
    );
    assert.equal(parseBuildFinished({ ...ok, declsAnalyzed: "0" })?.declsAnalyzed, undefined);
  });

  it("rejects payloads missing or mistyping a required field", () => {
    assert.equal(parseBuildFinished(null), undefined);
    assert.equal(parseBuildFinished({ ...ok, binary: undefined }), undefined);
    assert.equal(parseBuildFinished({ ...ok, errors: "0" }), undefined);
    const { ms: _ms, ...noMs } = ok;
    assert.equal(parseBuildFinished(noMs), undefined);
  });
});

describe("formatting", () => {
  it("formats sizes and durations", () => {
    assert.equal(formatBytes(512), "512 B");
    assert.equal(formatBytes(4096), "4.0 KiB");
    assert.equal(formatBytes(1536 * 1024), "1.5 MiB");
    assert.equal(formatMs(12.4), "12 ms");
    assert.equal(formatMs(1250), "1.25 s");
  });

  it("shows ✓ with the output size and time for a good build", () => {
    assert.deepEqual(formatBuildStatus(ok, "hello.zir", 4096), {
      text: "$(check) ZIR 4.0 KiB 12 ms",
      tooltip: "hello.zir: built → /w/hello (300 B written, 12 ms)",
      isError: false,
    });
  });

  it("shows ✗ with the error count for a failed build", () => {
    const failed = { ...ok, ok: false, binary: null, errors: 3 };
    assert.deepEqual(formatBuildStatus(failed, "hello.zir", undefined), {
      text: "$(error) ZIR 3 errors",
      tooltip: "hello.zir: 3 errors; output not updated (12 ms)",
      isError: true,
    });
    assert.equal(formatBuildStatus({ ...failed, errors: 1 }, "a.zir", undefined).text, "$(error) ZIR 1 error");
  });
});
