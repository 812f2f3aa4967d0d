// Settings (src/config.ts): defaults match package.json, invalid values fall back, restart rules.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  DEFAULT_SETTINGS,
  initializationOptions,
  readSettings,
  requiresRestart,
  serverSettingsKey,
  settingsSnapshot,
} from "../../src/config";

interface Property {
  default: unknown;
  scope?: string;
  enum?: string[];
}

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "..", "package.json"), "utf8")) as {
  contributes: { configuration: { properties: Record<string, Property> } };
};
const properties = manifest.contributes.configuration.properties;

function getPath(object: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], object);
}

describe("package.json settings", () => {
  it("declare exactly the settings of lsp.md §8.11, with the defaults of DEFAULT_SETTINGS", () => {
    assert.deepEqual(Object.keys(properties).sort(), [
      "zir.build.allowOutsideWorkspace",
      "zir.build.onSave",
      "zir.build.optimizeMode",
      "zir.build.outputMode",
      "zir.build.outputPath",
      "zir.diagnostics.debounceMs",
      "zir.diagnostics.onType",
      "zir.inlayHints.enabled",
      "zir.run.hot",
      "zir.run.restartWhenSwapImpossible",
      "zir.server.args",
      "zir.server.importStrategy",
      "zir.server.pythonPath",
      "zir.trace.server",
    ]);
    for (const [key, property] of Object.entries(properties)) {
      assert.deepEqual(property.default, getPath(DEFAULT_SETTINGS, key.slice("zir.".length)), key);
    }
  });

  it("scope allowOutsideWorkspace machine, so that no workspace can turn it on", () => {
    assert.equal(properties["zir.build.allowOutsideWorkspace"]?.scope, "machine");
  });

  it("declare limited support for untrusted workspaces, restricting the output path and the server command", () => {
    const untrusted = (manifest as unknown as { capabilities: { untrustedWorkspaces: Record<string, unknown> } })
      .capabilities.untrustedWorkspaces;
    assert.equal(untrusted["supported"], "limited");
    assert.deepEqual(untrusted["restrictedConfigurations"], [
      "zir.build.outputPath",
      "zir.server.pythonPath",
      "zir.server.args",
      "zir.server.importStrategy",
    ]);
  });

  it("scope pythonPath machine-overridable and trace window", () => {
    assert.equal(properties["zir.server.pythonPath"]?.scope, "machine-overridable");
    assert.equal(properties["zir.trace.server"]?.scope, "window");
  });
});

describe("readSettings", () => {
  it("takes defaults for unset values", () => {
    assert.deepEqual(readSettings(() => undefined), { settings: DEFAULT_SETTINGS, problems: [] });
  });

  it("reads valid values", () => {
    const values: Record<string, unknown> = {
      "server.pythonPath": " /usr/bin/python3 ",
      "server.args": ["-v"],
      "server.importStrategy": "fromEnvironment",
      "build.onSave": false,
      "build.outputMode": "obj",
      "build.optimizeMode": "ReleaseSmall",
      "diagnostics.debounceMs": 0,
      "trace.server": "verbose",
    };
    const { settings, problems } = readSettings((key) => values[key]);
    assert.deepEqual(problems, []);
    assert.equal(settings.server.pythonPath, "/usr/bin/python3");
    assert.deepEqual(settings.server.args, ["-v"]);
    assert.equal(settings.server.importStrategy, "fromEnvironment");
    assert.equal(settings.build.onSave, false);
    assert.equal(settings.build.outputMode, "obj");
    assert.equal(settings.build.optimizeMode, "ReleaseSmall");
    assert.equal(settings.diagnostics.debounceMs, 0);
    assert.equal(settings.trace.server, "verbose");
  });

  it("replaces invalid values by their defaults and names each", () => {
    const values: Record<string, unknown> = {
      "server.args": ["-v", 3],
      "server.importStrategy": "bundled",
      "diagnostics.debounceMs": -5,
      "diagnostics.onType": "yes",
    };
    const { settings, problems } = readSettings((key) => values[key]);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
    assert.deepEqual(
      problems.map((p) => p.key),
      ["zir.server.args", "zir.server.importStrategy", "zir.diagnostics.onType", "zir.diagnostics.debounceMs"],
    );
    assert.equal(
      problems[1]?.message,
      'zir.server.importStrategy: "bundled" is not one of useBundled, fromEnvironment; using "useBundled"',
    );
  });
});

describe("requiresRestart", () => {
  it("restarts for zir.server.* only", () => {
    assert.equal(requiresRestart((s) => s === "zir.server" || s === "zir"), true);
    assert.equal(requiresRestart((s) => s === "zir.build" || s === "zir"), false);
    assert.equal(requiresRestart((s) => s === "zir.trace" || s === "zir"), false);
  });
});

describe("serverSettingsKey", () => {
  it("changes with a zir.server.* value and with nothing else", () => {
    const read = (values: Record<string, unknown>) => serverSettingsKey(readSettings((key) => values[key]).settings);
    const base = read({});
    assert.equal(read({ "build.outputPath": "/elsewhere/x", "build.onSave": false }), base);
    assert.notEqual(read({ "server.pythonPath": "/usr/bin/python3" }), base);
    assert.notEqual(read({ "server.args": ["-v"] }), base);
    assert.notEqual(read({ "server.importStrategy": "fromEnvironment" }), base);
  });
});

describe("settingsSnapshot", () => {
  it("keeps the data and drops functions (a WorkspaceConfiguration's methods)", () => {
    const section = { build: { onSave: true }, get: () => 1, has: () => true };
    assert.deepEqual(settingsSnapshot(section), { build: { onSave: true } });
    assert.deepEqual(settingsSnapshot(undefined), {});
    assert.deepEqual(settingsSnapshot([1]), {});
  });
});

describe("initializationOptions", () => {
  it("tell the server whether the workspace is trusted", () => {
    assert.deepEqual(initializationOptions({ build: { onSave: true } }, false), {
      build: { onSave: true },
      workspaceTrusted: false,
    });
    assert.equal(initializationOptions(undefined, true)["workspaceTrusted"], true);
  });
});
