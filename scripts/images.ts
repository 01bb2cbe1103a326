/**
 * Builds the platform's own images (images/<name>/image.yaml) into OCI
 * archives without a container daemon: mmdebstrap unpacks the Debian packages
 * into a root filesystem, this script adds users, certificates, files and Go
 * binaries, umoci turns the difference to the parent image into a layer.
 *
 * Run through scripts/images.sh (`npm run images`), which installs the Debian
 * tools first. Usage:
 *   npm run images                     build what is missing, update images/images.lock.json
 *   npm run images -- base jetty       only these (and their parents)
 *   npm run images -- --push           also copy them to the simulated datacenter's registry
 *   npm run images -- --rebuild        ignore the cache (the digest check builds twice this way)
 *
 * Cache: ${PRIVATE_CLOUD_CACHE}/images/<name>/<inputs key>/ holds image.oci.tar
 * (an OCI archive), packages.txt and digest. The key covers every input but the
 * Debian archive's state, so a warm run is a few hashes.
 *
 * Reproducible: every file's time is SOURCE_DATE_EPOCH, layers are written in
 * name order, no history, fixed creation time; the same inputs and the same
 * Debian packages give the same digest (checked by building twice).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync, type SpawnSyncOptions } from "child_process";
import {
  allPackages,
  chain,
  fileHash,
  inputsKey,
  loadDefinitions,
  LOCK_FILE,
  readLock,
  REPO_ROOT,
  type ImageDefinition,
  type Lock,
} from "../images/definitions";

/** 2025-01-01T00:00:00Z: every file and the image config carry it, so the date of a build never shows in a digest. */
export const SOURCE_DATE_EPOCH = 1735689600;
const CREATED = new Date(SOURCE_DATE_EPOCH * 1000).toISOString();
const SUITE = "bookworm";
const MIRRORS = [
  `deb http://deb.debian.org/debian ${SUITE} main`,
  `deb http://deb.debian.org/debian ${SUITE}-updates main`,
  `deb http://deb.debian.org/debian-security ${SUITE}-security main`,
];
/** Unpacked by mmdebstrap but of no use in a container; removed to keep images small. */
const STRIP = [
  "/usr/share/doc",
  "/usr/share/man",
  "/usr/share/info",
  "/usr/share/locale",
  "/usr/share/lintian",
  "/usr/share/bug",
  "/var/cache/apt",
  "/var/lib/apt",
  "/var/log",
  "/etc/apt",
  "/var/cache/debconf",
  "/var/lib/dpkg",
];
/** Where each image records its Debian packages (`package version` per line). */
export const PACKAGES_FILE_IN_IMAGE = "/usr/share/private-cloud/image-packages.txt";

export const CACHE = process.env.PRIVATE_CLOUD_CACHE ?? path.join(os.homedir(), ".cache", "private-cloud");
/** Where built images live; PRIVATE_CLOUD_IMAGES_CACHE gives a build (or a test) a cache of its own. */
export const IMAGES_CACHE = process.env.PRIVATE_CLOUD_IMAGES_CACHE ?? path.join(CACHE, "images");

function log(msg: string) {
  process.stderr.write(`[images ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions & { quiet?: boolean } = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    maxBuffer: 256 * 2 ** 20,
    stdio: ["ignore", "pipe", "pipe"],
    ...opts,
    env: { ...process.env, SOURCE_DATE_EPOCH: String(SOURCE_DATE_EPOCH), ...opts.env },
  });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${r.status}\n${String(r.stdout ?? "").slice(-4000)}${String(r.stderr ?? "").slice(-4000)}`,
    );
  return String(r.stdout ?? "");
}

/** A tool on PATH, else in the toolchain's bin directory (what `source scripts/env.sh` would add). */
function which(tool: string): string | undefined {
  const r = spawnSync("bash", ["-c", `command -v -- "$1"`, "_", tool], { encoding: "utf8" });
  if (r.status === 0) return r.stdout.trim();
  const inToolchain = path.join(CACHE, "toolchain", "bin", tool);
  return fs.existsSync(inToolchain) ? inToolchain : undefined;
}

/** sha256 of the build script itself and its helpers: a change to how images are made rebuilds them. */
function builderHash(): string {
  const h = crypto.createHash("sha256");
  for (const f of [__filename, path.join(REPO_ROOT, "images", "definitions.ts")]) h.update(fileHash(f));
  return h.digest("hex").slice(0, 32);
}

/** Resolves each toolchain binary an image copies; a missing one stops the build with what to run. */
function toolchainBinaries(defs: Map<string, ImageDefinition>, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const n of names)
    for (const d of chain(defs, n))
      for (const tool of Object.keys(d.toolchain)) {
        const p = which(tool);
        if (p) out[tool] = fs.realpathSync(p);
        else missing.push(`${tool} (image ${d.name})`);
      }
  if (missing.length > 0)
    throw new Error(
      `toolchain binaries not found on PATH: ${[...new Set(missing)].join(", ")}; run \`npm run toolchain\` and \`source scripts/env.sh\` first`,
    );
  return out;
}

export interface Built {
  readonly name: string;
  readonly key: string;
  readonly dir: string;
  readonly archive: string;
  readonly digest: string;
  readonly compressedBytes: number;
  readonly seconds: number;
  readonly cached: boolean;
}

function manifestInfo(layout: string, tag: string): { digest: string; compressedBytes: number } {
  const index = JSON.parse(fs.readFileSync(path.join(layout, "index.json"), "utf8")) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const m = index.manifests.find((x) => x.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!m) throw new Error(`${layout}: no manifest tagged ${tag}`);
  const blob = (d: string) => path.join(layout, "blobs", ...d.split(":"));
  const manifest = JSON.parse(fs.readFileSync(blob(m.digest), "utf8")) as { layers: { size: number }[] };
  return { digest: m.digest, compressedBytes: manifest.layers.reduce((s, l) => s + l.size, 0) };
}

/** Writes /etc/passwd and /etc/group: root, nobody, and the image chain's users (group id = user id). */
function writeAccounts(root: string, defs: ImageDefinition[]) {
  const users: [string, number][] = [];
  for (const d of defs) for (const [u, id] of Object.entries(d.users)) users.push([u, id]);
  users.sort((a, b) => a[1] - b[1]);
  const passwd = ["root:x:0:0:root:/root:/bin/sh"];
  const group = ["root:x:0:"];
  for (const [u, id] of users) {
    passwd.push(`${u}:x:${id}:${id}:${u}:/home/${u}:/usr/sbin/nologin`);
    group.push(`${u}:x:${id}:`);
    fs.mkdirSync(path.join(root, "home", u), { recursive: true });
    fs.chownSync(path.join(root, "home", u), id, id);
  }
  passwd.push("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin");
  group.push("nogroup:x:65534:");
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.writeFileSync(path.join(root, "etc/passwd"), passwd.join("\n") + "\n");
  fs.writeFileSync(path.join(root, "etc/group"), group.join("\n") + "\n");
}

/**
 * What ca-certificates' and tzdata's maintainer scripts would have done
 * (mmdebstrap's extract mode runs none): the CA bundle every TLS client reads,
 * and UTC as the local time.
 */
function finishPackages(root: string, packages: string[]) {
  if (packages.includes("ca-certificates")) {
    const share = path.join(root, "usr/share/ca-certificates");
    const certs: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs
        .readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".crt")) certs.push(fs.readFileSync(p, "utf8").trimEnd() + "\n");
      }
    };
    walk(share);
    if (certs.length === 0) throw new Error("ca-certificates is installed but no certificate was found");
    fs.mkdirSync(path.join(root, "etc/ssl/certs"), { recursive: true });
    fs.writeFileSync(path.join(root, "etc/ssl/certs/ca-certificates.crt"), certs.join(""));
  }
  if (packages.includes("tzdata")) {
    fs.rmSync(path.join(root, "etc/localtime"), { force: true });
    fs.symlinkSync("/usr/share/zoneinfo/Etc/UTC", path.join(root, "etc/localtime"));
    fs.writeFileSync(path.join(root, "etc/timezone"), "Etc/UTC\n");
  }
}

function goBuild(def: ImageDefinition, root: string) {
  for (const g of def.goBuild ?? []) {
    const mod = path.join(REPO_ROOT, g.module);
    if (!fs.existsSync(path.join(mod, "go.mod")))
      throw new Error(
        `images/${def.name}/image.yaml: /goBuild: ${g.module}/go.mod does not exist (expected a Go module of this repository)`,
      );
    const out = path.join(root, g.output);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    run(
      "nice",
      ["-n", "10", "go", "build", "-trimpath", "-ldflags", "-s -w -buildid=", "-o", out, g.package],
      {
        cwd: mod,
        env: {
          CGO_ENABLED: "0",
          GOFLAGS: "-buildvcs=false",
          GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? "local",
          GOMODCACHE: process.env.GOMODCACHE ?? path.join(CACHE, "go", "mod"),
          GOCACHE: process.env.GOCACHE ?? path.join(CACHE, "go", "build"),
        },
      },
    );
  }
}

function javaBuild(def: ImageDefinition, root: string) {
  for (const j of def.javaBuild ?? []) {
    const src = path.join(def.dir, j.sources);
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".java")) files.push(p);
      }
    };
    walk(src);
    if (files.length === 0)
      throw new Error(`images/${def.name}/image.yaml: /javaBuild: no .java file under ${j.sources}`);
    for (const c of j.classpath)
      if (!fs.existsSync(path.join(root, c)))
        throw new Error(
          `images/${def.name}/image.yaml: /javaBuild classpath ${c} is not in the image (expected a jar of its packages)`,
        );
    const out = path.join(root, j.output);
    fs.mkdirSync(out, { recursive: true });
    run("nice", [
      "-n",
      "10",
      "javac",
      "--release",
      "17",
      "-encoding",
      "UTF-8",
      "-Xlint:all",
      "-d",
      out,
      ...(j.classpath.length ? ["-cp", j.classpath.map((c) => path.join(root, c)).join(":")] : []),
      ...files.sort(),
    ]);
  }
}

/**
 * Copies an image's own files (images/<name>/rootfs) into its root with
 * modes that depend on git's view of them only: directories 0755, files 0755
 * when executable, else 0644, owned by root, no extended attributes. A
 * checkout's umask, an editor's file modes or xattrs would otherwise reach
 * the layer and change the digest while the inputs key stays the same (the
 * lock once held a worktree's digests that a clean clone did not build).
 * Directories that already exist in the root keep the packages' modes.
 */
export function copyTree(src: string, dest: string) {
  if (!fs.existsSync(src)) return;
  for (const entry of fs
    .readdirSync(src, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const from = path.join(src, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isDirectory()) {
      if (!fs.existsSync(to)) {
        fs.mkdirSync(to);
        fs.chmodSync(to, 0o755);
      }
      copyTree(from, to);
    } else if (entry.isSymbolicLink()) {
      fs.rmSync(to, { force: true });
      fs.symlinkSync(fs.readlinkSync(from), to);
    } else if (entry.isFile()) {
      fs.rmSync(to, { force: true });
      fs.writeFileSync(to, fs.readFileSync(from));
      fs.chmodSync(to, fs.statSync(from).mode & 0o111 ? 0o755 : 0o644);
    } else
      throw new Error(`${from}: not a file, directory or symlink (expected only those in an image's rootfs)`);
    if (!entry.isSymbolicLink()) fs.lchownSync(to, 0, 0);
  }
}

/**
 * Refuses files under images/ that git ignores: the build would use them here
 * and a clone would not have them (a root-level \`bin/\` ignore once hid the
 * images' scripts). Outside a git checkout (an exported tree) nothing to check.
 */
export function checkNotIgnored(defs: ImageDefinition[]) {
  if (spawnSync("git", ["rev-parse", "--git-dir"], { cwd: REPO_ROOT }).status !== 0) return;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(path.relative(REPO_ROOT, p));
    }
  };
  for (const d of defs) walk(d.dir);
  const r = spawnSync("git", ["check-ignore", "--no-index", "--verbose", "--stdin"], {
    cwd: REPO_ROOT,
    input: files.join("\n") + "\n",
    encoding: "utf8",
  });
  const ignored = r.stdout.trim();
  if (ignored)
    throw new Error(
      `files of an image are ignored by git, so a clone would build without them (un-ignore or remove them):\n${ignored}`,
    );
}

/** Makes the root filesystem of one image (the whole chain's packages and customisations). */
function makeRootfs(
  defs: Map<string, ImageDefinition>,
  name: string,
  root: string,
  binaries: Record<string, string>,
): string[] {
  const packages = allPackages(defs, name);
  const listFile = path.join(path.dirname(root), "packages.txt");
  // extract: unpack exactly these packages and their non-Essential
  // dependencies, run no maintainer script (no dpkg, no shell needed inside).
  run("nice", [
    "-n",
    "10",
    "mmdebstrap",
    "--variant=extract",
    "--quiet",
    `--include=${packages.join(",")}`,
    `--extract-hook=for d in "$1"/var/cache/apt/archives/*.deb; do dpkg-deb --show --showformat='\${Package} \${Version}\n' "$d"; done | sort > ${listFile}`,
    SUITE,
    root,
    ...MIRRORS,
  ]);
  const installed = fs.readFileSync(listFile, "utf8").trim().split("\n").filter(Boolean);
  for (const p of STRIP) fs.rmSync(path.join(root, p), { recursive: true, force: true });
  const defsChain = chain(defs, name);
  writeAccounts(root, defsChain);
  finishPackages(root, packages);
  for (const d of defsChain) {
    copyTree(path.join(d.dir, "rootfs"), root);
    for (const [tool, dest] of Object.entries(d.toolchain)) {
      fs.mkdirSync(path.dirname(path.join(root, dest)), { recursive: true });
      fs.copyFileSync(binaries[tool], path.join(root, dest));
      fs.chmodSync(path.join(root, dest), 0o755);
    }
    goBuild(d, root);
    javaBuild(d, root);
    for (const [link, target] of Object.entries(d.symlinks)) {
      fs.mkdirSync(path.dirname(path.join(root, link)), { recursive: true });
      fs.rmSync(path.join(root, link), { force: true });
      fs.symlinkSync(target, path.join(root, link));
    }
    for (const p of d.remove) fs.rmSync(path.join(root, p), { recursive: true, force: true });
  }
  fs.mkdirSync(path.join(root, path.dirname(PACKAGES_FILE_IN_IMAGE)), { recursive: true });
  fs.writeFileSync(path.join(root, PACKAGES_FILE_IN_IMAGE), installed.join("\n") + "\n");
  for (const dir of ["tmp", "var/tmp"]) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
    fs.chmodSync(path.join(root, dir), 0o1777);
  }
  // Every file gets the same time: the layer's bytes then depend on content only.
  run("find", [root, "-exec", "touch", "--no-dereference", `--date=@${SOURCE_DATE_EPOCH}`, "{}", "+"]);
  return installed;
}

function ociConfig(defs: Map<string, ImageDefinition>, name: string): string[] {
  // The nearest definition that sets a field wins (a child overrides its parent).
  const cfg: ImageDefinition["config"] = {};
  for (const d of chain(defs, name)) Object.assign(cfg, d.config, { env: { ...cfg.env, ...d.config.env } });
  const args = [
    "--no-history",
    `--created=${CREATED}`,
    "--author=private-cloud",
    "--os=linux",
    "--architecture=amd64",
  ];
  args.push(
    "--clear=config.env",
    "--clear=config.entrypoint",
    "--clear=config.cmd",
    "--clear=config.exposedports",
  );
  args.push(`--config.user=${cfg.user ?? "0:0"}`, `--config.workingdir=${cfg.workdir ?? "/"}`);
  for (const [k, v] of Object.entries(cfg.env ?? {}).sort()) args.push(`--config.env=${k}=${v}`);
  args.push("--config.env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  for (const e of cfg.entrypoint ?? []) args.push(`--config.entrypoint=${e}`);
  for (const c of cfg.cmd ?? []) args.push(`--config.cmd=${c}`);
  for (const p of cfg.exposedPorts ?? []) args.push(`--config.exposedports=${p}/tcp`);
  if (cfg.stopSignal) args.push(`--config.stopsignal=${cfg.stopSignal}`);
  return args;
}

function buildOne(
  defs: Map<string, ImageDefinition>,
  name: string,
  key: string,
  parent: Built | undefined,
  binaries: Record<string, string>,
): Built {
  const t0 = Date.now();
  const final = path.join(IMAGES_CACHE, name, key);
  fs.mkdirSync(path.join(IMAGES_CACHE, "tmp"), { recursive: true });
  const work = fs.mkdtempSync(path.join(IMAGES_CACHE, "tmp", `${name}-`));
  try {
    const root = path.join(work, "rootfs");
    log(`${name}: root filesystem (${allPackages(defs, name).join(" ")})`);
    makeRootfs(defs, name, root, binaries);
    const layout = path.join(work, "oci");
    const bundle = path.join(work, "bundle");
    if (parent) {
      run("umoci", ["init", "--layout", layout]);
      // The parent's blobs and manifest, so the new layer is only the difference.
      run("skopeo", ["copy", "--quiet", `oci-archive:${parent.archive}`, `oci:${layout}:${name}`]);
    } else {
      run("umoci", ["init", "--layout", layout]);
      run("umoci", ["new", "--image", `${layout}:${name}`]);
    }
    run("umoci", ["unpack", "--image", `${layout}:${name}`, bundle]);
    // Replace the bundle's root by ours; umoci repack compares it with the
    // parent's as unpacked and writes what changed (plus whiteouts) as one layer.
    fs.rmSync(path.join(bundle, "rootfs"), { recursive: true, force: true });
    fs.renameSync(root, path.join(bundle, "rootfs"));
    run("umoci", ["repack", "--no-history", "--refresh-bundle", "--image", `${layout}:${name}`, bundle]);
    run("umoci", ["config", "--image", `${layout}:${name}`, ...ociConfig(defs, name)]);
    run("umoci", ["gc", "--layout", layout]);
    fs.rmSync(bundle, { recursive: true, force: true });
    const info = manifestInfo(layout, name);
    // The archive is the layout as a tar in name order with fixed owners and times.
    run("tar", [
      "--sort=name",
      `--mtime=@${SOURCE_DATE_EPOCH}`,
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-C",
      layout,
      "-cf",
      path.join(work, "image.oci.tar"),
      ".",
    ]);
    fs.rmSync(layout, { recursive: true, force: true });
    fs.writeFileSync(path.join(work, "digest"), info.digest + "\n");
    fs.writeFileSync(path.join(work, "size"), `${info.compressedBytes}\n`);
    // Only the current build of each image is kept (the cache would grow by
    // one image per change otherwise).
    fs.mkdirSync(path.dirname(final), { recursive: true });
    for (const old of fs.readdirSync(path.dirname(final)))
      fs.rmSync(path.join(path.dirname(final), old), { recursive: true, force: true });
    fs.renameSync(work, final);
    const seconds = (Date.now() - t0) / 1000;
    log(
      `${name}: ${info.digest} (${(info.compressedBytes / 2 ** 20).toFixed(1)} MiB compressed) in ${seconds.toFixed(0)} s`,
    );
    return {
      name,
      key,
      dir: final,
      archive: path.join(final, "image.oci.tar"),
      ...info,
      seconds,
      cached: false,
    };
  } catch (e) {
    fs.rmSync(work, { recursive: true, force: true });
    throw e;
  }
}

function cached(name: string, key: string): Built | undefined {
  const dir = path.join(IMAGES_CACHE, name, key);
  const archive = path.join(dir, "image.oci.tar");
  if (!fs.existsSync(archive) || !fs.existsSync(path.join(dir, "digest"))) return undefined;
  return {
    name,
    key,
    dir,
    archive,
    digest: fs.readFileSync(path.join(dir, "digest"), "utf8").trim(),
    compressedBytes: Number(fs.readFileSync(path.join(dir, "size"), "utf8").trim()),
    seconds: 0,
    cached: true,
  };
}

/** Keys of every image, parents first (a parent's key is part of its child's through the chain). */
export function currentKeys(defs = loadDefinitions()): Map<string, string> {
  const binaries: Record<string, string> = {};
  for (const d of defs.values())
    for (const tool of Object.keys(d.toolchain)) {
      const p = which(tool);
      if (p) binaries[tool] = fileHash(fs.realpathSync(p));
    }
  const keys = new Map<string, string>();
  for (const n of defs.keys()) keys.set(n, inputsKey(defs, n, binaries, builderHash()));
  return keys;
}

/** Where an image built from the current inputs would be, and whether it is. */
export function currentBuild(name: string, keys = currentKeys()): Built | undefined {
  const key = keys.get(name);
  return key ? cached(name, key) : undefined;
}

export interface BuildReport {
  readonly built: Built[];
  /** Images that could not be built (and their children), with why. */
  readonly failed: { name: string; error: string }[];
}

/**
 * Builds the named images (all when none) and their parents. One image's
 * failure does not stop the others: its children are skipped, the rest are
 * built and reported, and the caller fails at the end.
 */
export function build(names: string[], opts: { rebuild?: boolean } = {}): BuildReport {
  const defs = loadDefinitions();
  for (const n of names)
    if (!defs.has(n)) throw new Error(`no image named ${n} (expected one of ${[...defs.keys()].join(", ")})`);
  const wanted = new Set<string>();
  for (const n of names.length ? names : [...defs.keys()]) for (const d of chain(defs, n)) wanted.add(d.name);
  // Parents before children.
  const order = [...defs.keys()]
    .filter((n) => wanted.has(n))
    .sort((a, b) => chain(defs, a).length - chain(defs, b).length);
  // Files the build writes (accounts, javac and go output, mmdebstrap's
  // directories) must not take their modes from the caller's umask.
  process.umask(0o022);
  checkNotIgnored(order.map((n) => must(defs.get(n), n)));
  const bh = builderHash();
  const built = new Map<string, Built>();
  const failed: { name: string; error: string }[] = [];
  for (const n of order) {
    const from = defs.get(n)?.from;
    const parent = from ? built.get(from) : undefined;
    if (from && !parent) {
      failed.push({ name: n, error: `its parent ${from} was not built` });
      continue;
    }
    try {
      const binaryPaths = toolchainBinaries(defs, [n]);
      const binaryHashes = Object.fromEntries(Object.entries(binaryPaths).map(([t, p]) => [t, fileHash(p)]));
      const key = inputsKey(defs, n, binaryHashes, bh);
      const hit = opts.rebuild ? undefined : cached(n, key);
      if (hit) log(`${n}: cached ${hit.digest}`);
      built.set(n, hit ?? buildOne(defs, n, key, parent, binaryPaths));
    } catch (e) {
      const error = (e as Error).message;
      log(`${n}: FAILED: ${error}`);
      failed.push({ name: n, error });
    }
  }
  return { built: order.filter((n) => built.has(n)).map((n) => must(built.get(n), n)), failed };
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`internal: ${what} missing`);
  return v;
}

export function writeLock(results: Built[]) {
  const defs = loadDefinitions();
  const lock: Lock = { ...readLock() };
  for (const r of results)
    lock[r.name] = {
      digest: r.digest,
      inputs: r.key,
      repository: must(defs.get(r.name), r.name).repository,
      compressedBytes: r.compressedBytes,
    };
  const sorted = Object.fromEntries(
    Object.keys(lock)
      .filter((n) => defs.has(n))
      .sort()
      .map((n) => [n, lock[n]]),
  );
  const text = JSON.stringify(sorted, null, 2) + "\n";
  if (!fs.existsSync(LOCK_FILE) || fs.readFileSync(LOCK_FILE, "utf8") !== text) {
    fs.writeFileSync(LOCK_FILE, text);
    log(`wrote ${path.relative(REPO_ROOT, LOCK_FILE)} (commit it: stacks/images.ts pins these digests)`);
  }
}

function push(results: Built[], registry: string) {
  for (const r of results) {
    const ref = `${registry}/${must(loadDefinitions().get(r.name), r.name).repository}:build-${r.key}`;
    run("skopeo", [
      "copy",
      "--quiet",
      "--preserve-digests",
      "--dest-tls-verify=false",
      `oci-archive:${r.archive}`,
      `docker://${ref}`,
    ]);
    log(`${r.name}: pushed ${ref} (${r.digest})`);
  }
}

function main(argv: string[]) {
  const flags = new Set(argv.filter((a) => a.startsWith("--")));
  const names = argv.filter((a) => !a.startsWith("--"));
  for (const f of flags)
    if (!["--push", "--rebuild", "--no-lock"].includes(f))
      throw new Error(`unknown flag ${f} (expected --push, --rebuild, --no-lock)`);
  const t0 = Date.now();
  const { built: results, failed } = build(names, { rebuild: flags.has("--rebuild") });
  if (!flags.has("--no-lock")) writeLock(results);
  if (flags.has("--push")) {
    const registry = process.env.PRIVATE_CLOUD_REGISTRY;
    if (!registry)
      throw new Error(
        "--push needs PRIVATE_CLOUD_REGISTRY (scripts/images.sh sets it to the simulated datacenter's registry)",
      );
    push(results, registry);
  }
  for (const r of results)
    process.stdout.write(
      `${r.name.padEnd(18)} ${r.digest}  ${(r.compressedBytes / 2 ** 20).toFixed(1).padStart(6)} MiB  ${r.cached ? "cached" : `built in ${r.seconds.toFixed(0)} s`}\n`,
    );
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (failed.length > 0)
    throw new Error(
      `${failed.length} image(s) not built:\n${failed.map((f) => `  - ${f.name}: ${f.error.split("\n")[0]}`).join("\n")}`,
    );
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`[images] error: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
