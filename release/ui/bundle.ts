/**
 * The page's assets, bundled by esbuild from the npm packages in
 * node_modules (React, react-jsonschema-form, ajv) and our own
 * `release/ui/web/`: nothing comes from a CDN, nothing is fetched at run time,
 * and no minified output is committed — it is built into a gitignored
 * directory when the server starts (about a second) or by
 * `npm run release:ui:build`.
 */
import * as fs from "fs";
import * as path from "path";
import { build } from "esbuild";

export const WEB_DIR = path.join(__dirname, "web");
export const DEFAULT_BUNDLE_DIR = path.join(__dirname, "..", "..", ".ui-build");

export interface Bundle {
  readonly dir: string;
  /** Served file name → content type. */
  readonly files: ReadonlyMap<string, string>;
  readonly script: string;
  readonly style?: string;
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

export async function buildBundle(dir = DEFAULT_BUNDLE_DIR): Promise<Bundle> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const r = await build({
    entryPoints: { app: path.join(WEB_DIR, "main.tsx") },
    bundle: true,
    minify: true,
    sourcemap: false,
    format: "iife",
    target: ["es2020"],
    jsx: "automatic",
    outdir: dir,
    entryNames: "[name]-[hash]",
    define: { "process.env.NODE_ENV": '"production"' },
    metafile: true,
    logLevel: "silent",
    legalComments: "linked",
  });
  const files = new Map<string, string>();
  let script = "";
  let style: string | undefined;
  for (const out of Object.keys(r.metafile.outputs)) {
    const name = path.basename(out);
    const ext = path.extname(name);
    files.set(name, TYPES[ext] ?? "text/plain; charset=utf-8");
    if (ext === ".js") script = name;
    if (ext === ".css") style = name;
  }
  return { dir, files, script, style };
}
