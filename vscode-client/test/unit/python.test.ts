// Interpreter resolution (src/python.ts): candidates, probe parsing, verdicts, environment.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  candidateCommands,
  expandPathSetting,
  isSupportedPython,
  judgeCandidate,
  noServerMessage,
  parseProbeOutput,
  type ResolutionInput,
  serverEnvironment,
} from "../../src/python";

function input(overrides: Partial<ResolutionInput>): ResolutionInput {
  return {
    pythonPath: "",
    serverArgs: [],
    workspaceFolders: [],
    pythonExtensionInterpreter: undefined,
    homeDir: "/home/u",
    isExecutable: () => false,
    which: () => undefined,
    ...overrides,
  };
}

describe("candidateCommands", () => {
  it("uses only the pythonPath setting when it is set", () => {
    const candidates = candidateCommands(
      input({
        pythonPath: "~/py/bin/python3",
        serverArgs: ["-v"],
        workspaceFolders: ["/ws"],
        isExecutable: () => true,
        which: (name) => `/usr/bin/${name}`,
      }),
    );
    assert.deepEqual(candidates, [
      { source: "setting", command: "/home/u/py/bin/python3", args: ["-m", "server", "-v"], isPython: true },
    ]);
  });

  it("expands ${workspaceFolder} in pythonPath with the first folder", () => {
    const [candidate] = candidateCommands(input({ pythonPath: "${workspaceFolder}/.venv/bin/python", workspaceFolders: ["/a", "/b"] }));
    assert.equal(candidate?.command, "/a/.venv/bin/python");
  });

  it("orders workspace venvs, the Python extension, zir on PATH, python3 on PATH", () => {
    const candidates = candidateCommands(
      input({
        serverArgs: ["--log-file", "/tmp/l"],
        workspaceFolders: ["/a/", "/b", "/c"],
        pythonExtensionInterpreter: "/opt/py/bin/python",
        isExecutable: (path) => path === "/a/.venv/bin/python" || path === "/c/.venv/bin/python",
        which: (name) => (name === "zir" ? "/usr/local/bin/zir" : name === "python3" ? "/usr/bin/python3" : undefined),
      }),
    );
    assert.deepEqual(
      candidates.map((c) => [c.source, c.command, c.args.join(" ")]),
      [
        ["workspaceVenv", "/a/.venv/bin/python", "-m server --log-file /tmp/l"],
        ["workspaceVenv", "/c/.venv/bin/python", "-m server --log-file /tmp/l"],
        ["pythonExtension", "/opt/py/bin/python", "-m server --log-file /tmp/l"],
        ["zirOnPath", "/usr/local/bin/zir", "lsp --log-file /tmp/l"],
        ["python3OnPath", "/usr/bin/python3", "-m server --log-file /tmp/l"],
      ],
    );
    assert.equal(candidates.find((c) => c.source === "zirOnPath")?.isPython, false);
  });

  it("drops a Python extension interpreter equal to the workspace venv", () => {
    const candidates = candidateCommands(
      input({
        workspaceFolders: ["/a"],
        pythonExtensionInterpreter: "/a/.venv/bin/python",
        isExecutable: () => true,
      }),
    );
    assert.deepEqual(candidates.map((c) => c.source), ["workspaceVenv"]);
  });

  it("returns nothing when nothing is found", () => {
    assert.deepEqual(candidateCommands(input({ workspaceFolders: ["/a"] })), []);
  });
});

describe("expandPathSetting", () => {
  it("expands ~ only at the start, and ${userHome}", () => {
    assert.equal(expandPathSetting(" ~/x ", "/h", undefined), "/h/x");
    assert.equal(expandPathSetting("/a/~/x", "/h", undefined), "/a/~/x");
    assert.equal(expandPathSetting("${userHome}/y", "/h", undefined), "/h/y");
    assert.equal(expandPathSetting("${workspaceFolder}/y", "/h", undefined), "${workspaceFolder}/y");
  });
});

describe("parseProbeOutput and isSupportedPython", () => {
  it("reads the version and whether the server is importable", () => {
    assert.deepEqual(parseProbeOutput("3.11\nserver\n"), { version: [3, 11], hasServer: true });
    assert.deepEqual(parseProbeOutput("3.9\r\nno-server\r\n"), { version: [3, 9], hasServer: false });
    assert.deepEqual(parseProbeOutput("garbage"), { version: undefined, hasServer: false });
  });

  it("needs Python 3.11 or newer", () => {
    assert.equal(isSupportedPython([3, 11]), true);
    assert.equal(isSupportedPython([3, 10]), false);
    assert.equal(isSupportedPython([3, 13]), true);
    assert.equal(isSupportedPython([4, 0]), true);
    assert.equal(isSupportedPython([3, 9]), false);
    assert.equal(isSupportedPython([2, 7]), false);
  });
});

describe("judgeCandidate", () => {
  const python = { source: "setting", command: "/p", args: ["-m", "server"], isPython: true } as const;
  const zir = { source: "zirOnPath", command: "/z", args: ["lsp"], isPython: false } as const;

  it("accepts a recent interpreter with the server installed", () => {
    assert.deepEqual(judgeCandidate(python, { version: [3, 11], hasServer: true }, undefined, false), { ok: true });
  });

  it("rejects an old interpreter, naming the minimum", () => {
    const verdict = judgeCandidate(python, { version: [3, 8], hasServer: true }, undefined, false);
    assert.deepEqual(verdict, { ok: false, reason: "/p: Python 3.8 is too old (ZIR Live needs 3.11 or newer)" });
  });

  it("rejects an interpreter without the server unless the bundled libs are used", () => {
    const verdict = judgeCandidate(python, { version: [3, 12], hasServer: false }, undefined, false);
    assert.deepEqual(verdict, {
      ok: false,
      reason: "/p: the ZIR Live server is not installed there (pip install zir-live, or pip install -e . in a checkout)",
    });
    assert.deepEqual(judgeCandidate(python, { version: [3, 12], hasServer: false }, undefined, true), { ok: true });
  });

  it("rejects what cannot be run or is not Python", () => {
    assert.deepEqual(judgeCandidate(python, undefined, "spawn /p ENOENT", false), {
      ok: false,
      reason: "/p: cannot run it (spawn /p ENOENT)",
    });
    assert.deepEqual(judgeCandidate(python, { version: undefined, hasServer: false }, undefined, true), {
      ok: false,
      reason: "/p: not a Python interpreter",
    });
  });

  it("accepts an executable zir command without probing it", () => {
    assert.deepEqual(judgeCandidate(zir, undefined, undefined, false), { ok: true });
    assert.deepEqual(judgeCandidate(zir, undefined, "not executable", false), { ok: false, reason: "/z: not executable" });
  });
});

describe("noServerMessage", () => {
  it("says what was tried and how to fix it", () => {
    assert.equal(
      noServerMessage(["/p: not a Python interpreter"], true),
      "ZIR Live: cannot start the language server: /p: not a Python interpreter. " +
        "Fix the setting zir.server.pythonPath, or clear it to search automatically.",
    );
    assert.match(noServerMessage([], false), /no Python interpreter and no `zir` command were found\. Set zir\.server\.pythonPath/);
  });
});

describe("serverEnvironment", () => {
  it("prepends the bundled libs to PYTHONPATH and keeps the rest", () => {
    const env = serverEnvironment({ PATH: "/bin", PYTHONPATH: "/x", GONE: undefined }, "/ext/bundled/libs");
    assert.deepEqual(env, { PATH: "/bin", PYTHONPATH: "/ext/bundled/libs:/x", PYTHONUNBUFFERED: "1" });
  });

  it("leaves PYTHONPATH alone for fromEnvironment", () => {
    assert.deepEqual(serverEnvironment({ PATH: "/bin" }, undefined), { PATH: "/bin", PYTHONUNBUFFERED: "1" });
    assert.deepEqual(serverEnvironment({ PYTHONPATH: "" }, "/l"), { PYTHONPATH: "/l", PYTHONUNBUFFERED: "1" });
  });
});
