// Builds zir-live-<version>.vsix (npm run package): bundles the server's Python packages into
// bundled/libs (for zir.server.importStrategy = useBundled), then runs @vscode/vsce, which runs
// vscode:prepublish (the production esbuild bundle). vsce 4 needs Node >= 22: the running Node is
// used when it is new enough, otherwise $ZIR_NODE22, otherwise the Node 24 that
// scripts/install-e2e.sh caches.
//
//   npm run package                      # → zir-live-0.2.0.vsix
//   ZIR_PYTHON=/path/python npm run package   # take the pure-Python dependencies from that interpreter
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const repo = resolve(here, "..");
const manifest = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function nodeMajor(node) {
  const result = spawnSync(node, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" });
  return result.status === 0 ? Number(result.stdout.trim()) : 0;
}

function findNode22() {
  if (Number(process.versions.node.split(".")[0]) >= 22) {
    return process.execPath;
  }
  const cache = process.env.ZIR_E2E_CACHE ?? join(homedir(), ".cache", "zir-live-e2e");
  const candidates = [process.env.ZIR_NODE22, join(cache, "node-v24.21.0", "bin", "node")];
  for (const node of candidates) {
    if (node && existsSync(node) && nodeMajor(node) >= 22) {
      return node;
    }
  }
  return fail(
    `@vscode/vsce needs Node >= 22 (this is ${process.version}). Run bash scripts/install-e2e.sh ` +
      "(it caches Node 24), or set ZIR_NODE22 to a Node >= 22 binary.",
  );
}

// The Python packages the server imports (pyproject.toml's dependencies, transitively). capstone is
// loaded through ctypes (its libcapstone.so is inside the package), so it works from any CPython 3 on
// Linux x86-64 — the platform the compiler targets anyway.
const PYTHON_MODULES = [
  "pygls",
  "lsprotocol",
  "cattrs",
  "cattr",
  "attrs",
  "attr",
  "elftools",
  "typing_extensions",
  "capstone",
];

function bundlePython() {
  const python = process.env.ZIR_PYTHON ?? [join(repo, ".venv", "bin", "python")].find(existsSync) ?? "python3";
  const script =
    "import importlib, json, sys\n" +
    "out = {}\n" +
    `for name in ${JSON.stringify(PYTHON_MODULES)}:\n` +
    "    m = importlib.import_module(name)\n" +
    "    out[name] = m.__file__\n" +
    "print(json.dumps(out))\n";
  const result = spawnSync(python, ["-c", script], { encoding: "utf8" });
  if (result.status !== 0) {
    fail(`${python} cannot import the server's dependencies (${PYTHON_MODULES.join(", ")}):\n${result.stderr}`);
  }
  const files = JSON.parse(result.stdout);
  const libs = join(here, "bundled", "libs");
  rmSync(join(here, "bundled"), { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  const skip = (source) => !source.includes("__pycache__");
  for (const file of Object.values(files)) {
    const isPackage = basename(file) === "__init__.py";
    const source = isPackage ? dirname(file) : file;
    cpSync(source, join(libs, basename(source)), { recursive: true, filter: skip });
  }
  for (const own of ["compiler", "server"]) {
    cpSync(join(repo, own), join(libs, own), { recursive: true, filter: skip });
  }
  console.error(`package: bundled ${Object.keys(files).length} Python modules and compiler/, server/ from ${python}`);
}

bundlePython();
const out = join(here, `${manifest.name}-${manifest.version}.vsix`);
const vsce = join(here, "node_modules", "@vscode", "vsce", "vsce");
const result = spawnSync(findNode22(), [vsce, "package", "--no-dependencies", "--allow-missing-repository", "--out", out], {
  cwd: here,
  stdio: "inherit",
});
if (result.status !== 0) {
  fail(`vsce failed (exit ${result.status})`);
}
console.error(`package: wrote ${out}`);
