/**
 * The platform's own images: one `images/<name>/image.yaml` per image, read
 * and checked here (the build script, the lock check and the tests share it).
 *
 * An image is a glibc root filesystem made of Debian packages (mmdebstrap
 * unpacks exactly the packages named plus their non-essential dependencies),
 * the files of its directory, binaries from the toolchain or built from a Go
 * module of this repository, and an OCI config. `from` stacks it on another of
 * our images: the child's layer holds only what differs from its parent.
 */
import * as fs from "fs";
import * as path from "path";
import * as crypto from "crypto";
import { Type, type Static } from "@sinclair/typebox";
import Ajv from "ajv";
import { parse } from "yaml";

export const IMAGES_DIR = __dirname;
export const REPO_ROOT = path.resolve(__dirname, "..");
export const LOCK_FILE = path.join(IMAGES_DIR, "images.lock.json");

const Name = Type.String({ pattern: "^[a-z][a-z0-9-]*$" });
const ImageDefinitionSchema = Type.Object(
  {
    description: Type.String({ minLength: 1 }),
    from: Type.Optional(Name),
    /** Debian packages (bookworm) added to the parent's. */
    packages: Type.Array(Type.String({ pattern: "^[a-z0-9][a-z0-9+.-]+$" }), { default: [] }),
    /** Toolchain binaries (found on PATH after `source scripts/env.sh`) → path in the image. */
    toolchain: Type.Record(Type.String({ pattern: "^[a-z0-9-]+$" }), Type.String({ pattern: "^/" }), {
      default: {},
    }),
    /** Go main packages of a module of this repository, built static and copied to `output`. */
    goBuild: Type.Optional(
      Type.Array(
        Type.Object(
          {
            module: Type.String({ minLength: 1 }),
            package: Type.String({ minLength: 1 }),
            output: Type.String({ pattern: "^/" }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    /** Java sources of the image's directory compiled (javac --release 17) against jars of the image's own root. */
    javaBuild: Type.Optional(
      Type.Array(
        Type.Object(
          {
            sources: Type.String({ minLength: 1 }),
            classpath: Type.Array(Type.String({ pattern: "^/" }), { default: [] }),
            output: Type.String({ pattern: "^/" }),
          },
          { additionalProperties: false },
        ),
      ),
    ),
    /** Non-root accounts to create (name → uid; the group has the same id). */
    users: Type.Record(
      Type.String({ pattern: "^[a-z_][a-z0-9_-]*$" }),
      Type.Integer({ minimum: 1, maximum: 65534 }),
      {
        default: {},
      },
    ),
    /** Symlinks to create, link path → target. */
    symlinks: Type.Record(Type.String({ pattern: "^/" }), Type.String({ minLength: 1 }), { default: {} }),
    /** Paths to delete after the packages are unpacked (globs relative to the root are not supported: exact paths). */
    remove: Type.Array(Type.String({ pattern: "^/" }), { default: [] }),
    config: Type.Object(
      {
        user: Type.Optional(Type.String({ minLength: 1 })),
        entrypoint: Type.Optional(Type.Array(Type.String())),
        cmd: Type.Optional(Type.Array(Type.String())),
        env: Type.Optional(Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }), Type.String())),
        workdir: Type.Optional(Type.String({ pattern: "^/" })),
        stopSignal: Type.Optional(Type.String({ pattern: "^SIG[A-Z0-9]+$" })),
        exposedPorts: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }))),
      },
      { additionalProperties: false, default: {} },
    ),
    /** Where the image is pushed, under the registry: `<repository>:<tag>`. */
    repository: Type.String({ pattern: "^[a-z0-9][a-z0-9/._-]*$" }),
  },
  { additionalProperties: false },
);
export type ImageDefinition = Static<typeof ImageDefinitionSchema> & {
  readonly name: string;
  readonly dir: string;
};

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile(ImageDefinitionSchema);

/** Reads and checks every definition; throws one error listing every problem with its file and path. */
export function loadDefinitions(dir = IMAGES_DIR): Map<string, ImageDefinition> {
  const problems: string[] = [];
  const defs = new Map<string, ImageDefinition>();
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, "image.yaml");
    if (!fs.existsSync(file)) continue;
    const rel = path.relative(REPO_ROOT, file);
    let raw: unknown;
    try {
      raw = parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      problems.push(`${rel}: not valid YAML (${(e as Error).message})`);
      continue;
    }
    if (!validate(raw)) {
      for (const err of validate.errors ?? []) {
        const at = err.instancePath || "/";
        const value = err.instancePath
          ? JSON.stringify(
              err.instancePath
                .split("/")
                .slice(1)
                .reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], raw),
            )
          : "";
        problems.push(
          `${rel}: ${at}${value ? ` = ${value}` : ""}: ${err.message}${err.params && "additionalProperty" in err.params ? ` (${String(err.params.additionalProperty)})` : ""}`,
        );
      }
      continue;
    }
    defs.set(name, { ...(raw as Static<typeof ImageDefinitionSchema>), name, dir: path.join(dir, name) });
  }
  for (const def of defs.values()) {
    if (def.from && !defs.has(def.from))
      problems.push(
        `images/${def.name}/image.yaml: /from = "${def.from}": no image of that name (expected one of ${[...defs.keys()].join(", ")})`,
      );
  }
  for (const def of defs.values()) {
    const seen = new Set<string>();
    for (let d: ImageDefinition | undefined = def; d; d = d.from ? defs.get(d.from) : undefined) {
      if (seen.has(d.name)) {
        problems.push(
          `images/${def.name}/image.yaml: /from: the chain ${[...seen, d.name].join(" → ")} loops`,
        );
        break;
      }
      seen.add(d.name);
    }
  }
  if (problems.length > 0)
    throw new Error(
      `invalid image definitions: ${problems.length} problem(s); nothing was built\n  - ${problems.join("\n  - ")}`,
    );
  return defs;
}

/** The image and its ancestors, root first. */
export function chain(defs: Map<string, ImageDefinition>, name: string): ImageDefinition[] {
  const out: ImageDefinition[] = [];
  for (let d = defs.get(name); d; d = d.from ? defs.get(d.from) : undefined) out.unshift(d);
  return out;
}

/** Every package of the image, ancestors' included, sorted and unique. */
export function allPackages(defs: Map<string, ImageDefinition>, name: string): string[] {
  return [...new Set(chain(defs, name).flatMap((d) => d.packages))].sort();
}

/** Files of a directory tree (paths relative to it, sorted), skipping what git ignores by convention here. */
function treeFiles(dir: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${entry.name}` : entry.name;
      if (skip(r)) continue;
      if (entry.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  if (fs.existsSync(dir)) walk("");
  return out.sort();
}

/** sha256 of a directory tree: paths, modes (executable bit) and contents. */
export function treeHash(dir: string, skip?: (rel: string) => boolean): string {
  const h = crypto.createHash("sha256");
  for (const rel of treeFiles(dir, skip)) {
    const full = path.join(dir, rel);
    const st = fs.lstatSync(full);
    h.update(`${rel}\0${st.mode & 0o111 ? "x" : "-"}\0`);
    h.update(st.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full));
    h.update("\0");
  }
  return h.digest("hex");
}

export function fileHash(file: string): string {
  return crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");
}

/**
 * The cache key of an image: everything that goes into it except the Debian
 * archive's state (the packages' versions are recorded in the image instead).
 * `binaryHashes` are the sha256 of the toolchain binaries it copies.
 */
export function inputsKey(
  defs: Map<string, ImageDefinition>,
  name: string,
  binaryHashes: Record<string, string>,
  builderHash: string,
): string {
  const h = crypto.createHash("sha256");
  h.update(`builder ${builderHash}\n`);
  for (const d of chain(defs, name)) {
    h.update(`image ${d.name} ${treeHash(d.dir)}\n`);
    for (const tool of Object.keys(d.toolchain).sort())
      h.update(`tool ${tool} ${binaryHashes[tool] ?? "?"}\n`);
    for (const g of d.goBuild ?? []) {
      const mod = path.join(REPO_ROOT, g.module);
      h.update(
        // Every file of the module but tests: go:embed can take any file into the binary.
        `go ${g.module} ${g.package} ${treeHash(mod, (r) => /(^|\/)testdata$/.test(r) || r.endsWith("_test.go"))}\n`,
      );
    }
  }
  return h.digest("hex").slice(0, 16);
}

export interface LockEntry {
  /** Manifest digest of the built image (what the platform pulls by). */
  readonly digest: string;
  /** Inputs key it was built from (see inputsKey). */
  readonly inputs: string;
  /** Repository under the registry; pushed as `<repository>:build-<inputs>`, pulled by digest. */
  readonly repository: string;
  /** Sum of the compressed layers, bytes (what a node downloads). */
  readonly compressedBytes: number;
}
export type Lock = Record<string, LockEntry>;

export function readLock(file = LOCK_FILE): Lock {
  return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Lock) : {};
}
