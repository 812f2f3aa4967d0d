// Bundles the extension (src/extension.ts → dist/extension.js) with esbuild (lsp.md §11.4).
//   node esbuild.mjs                 development build (source maps)
//   node esbuild.mjs --production    minified, for the .vsix (vscode:prepublish)
//   node esbuild.mjs --watch         rebuild on change
//   node esbuild.mjs --unit-tests    test/unit/*.test.ts → out/test/unit/*.test.js (for node --test)
//   node esbuild.mjs --e2e           test/e2e/{scenario,views,live,trust,analysis}.ts → out/test/e2e/*.js (the code-server scenarios)
// Type checking is separate: npm run typecheck.
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";

const args = new Set(process.argv.slice(2));
const production = args.has("--production");

/** @type {import("esbuild").BuildOptions} */
const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["vscode"],
  sourcesContent: false,
  logLevel: "warning",
};

if (args.has("--unit-tests")) {
  const entryPoints = readdirSync("test/unit")
    .filter((name) => name.endsWith(".test.ts"))
    .map((name) => `test/unit/${name}`);
  await esbuild.build({ ...common, entryPoints, outdir: "out/test/unit", sourcemap: "inline" });
} else if (args.has("--e2e")) {
  const entryPoints = ["test/e2e/scenario.ts", "test/e2e/views.ts", "test/e2e/live.ts", "test/e2e/trust.ts", "test/e2e/analysis.ts"];
  await esbuild.build({ ...common, entryPoints, outdir: "out/test/e2e", sourcemap: "inline" });
} else {
  const options = {
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: "dist/extension.js",
    minify: production,
    sourcemap: !production,
  };
  if (args.has("--watch")) {
    const context = await esbuild.context(options);
    await context.watch();
  } else {
    await esbuild.build(options);
  }
}
