/**
 * `node -r ./scripts/lib/esbuild-register.js x.ts`: runs TypeScript by
 * stripping its types with esbuild (a dependency already, for the release
 * UI's bundle), file by file, keeping CommonJS and each file's own
 * __dirname. What `ts-node --transpile-only` does, minus its cost: the
 * release CLI spent ~60% of a `render` in the TypeScript compiler
 * transpiling its own modules on every start (README "Measured").
 * No type checking here: `npm run build` (tsc --noEmit) is that gate.
 */
"use strict";
const fs = require("fs");
const { transformSync } = require("esbuild");

require.extensions[".ts"] = function compileTs(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, "utf8"), {
    loader: "ts",
    format: "cjs",
    target: "node20",
    // `await import("./engine")` becomes a require, as tsc's CommonJS output
    // has it; left as is, Node's ESM loader would look for ./engine without
    // an extension and fail (ERR_MODULE_NOT_FOUND).
    supported: { "dynamic-import": false },
    sourcefile: filename,
    sourcemap: "inline",
  });
  module._compile(code, filename);
};
