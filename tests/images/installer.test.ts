/**
 * The installer image, run with podman against temporary host roots, with
 * the mounts and environment MasterHA's host scripts give it
 * (components/common/installer-run.ts, the same functions):
 *  - `master install --init` creates the cluster PKI and writes exactly the
 *    files MasterHA renders, plus each master's certificates, kubeconfigs,
 *    kubelet unit and the kubelet binary; a second run changes nothing; a new
 *    version rewrites what changed and only that (README "Upgrades");
 *  - `master pki-bundle` + `master install --pki-bundle`: a second master with
 *    the same CAs and its own certificates;
 *  - `master leave` against a real two-member etcd (the toolchain's etcd with
 *    the certificates the installer issued): removes the member, stops the
 *    static Pods, a second run changes nothing, and nothing changes when etcd
 *    does not answer.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import type * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { masterFiles, paths } from "../../components/master-ha/manifests";
import {
  masterInstallRun,
  masterLeaveRun,
  minionJoinRun,
  podmanArgs,
  type InstallerRun,
} from "../../components/common/installer-run";
import { caCertHash } from "../../components/minion-pool";
import { parse, stringify } from "yaml";
import { CACHE } from "../../scripts/images";
import { fixture, modelOf } from "../helpers/config";
import { describeImage, loadImage, ok, podman, podmanAsync, waitFor, type Result } from "./podman";

jest.setTimeout(300_000);

// This suite's loopback ports (the 28400 range): two etcd members.
const ETCD = [
  { client: 28411, peer: 28412 },
  { client: 28413, peer: 28414 },
];

/** A toolchain binary (PATH after `source scripts/env.sh`, else the cache). */
function tool(name: string): string | undefined {
  const r = spawnSync("bash", ["-c", `command -v -- "$1"`, "_", name], { encoding: "utf8" });
  if (r.status === 0) return r.stdout.trim();
  const p = path.join(CACHE, "toolchain", "bin", name);
  return fs.existsSync(p) ? p : undefined;
}

/** Every file under a root, with its mtime: what a run changed. */
function snapshot(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(root, p)] = fs.statSync(p).mtimeMs;
    }
  };
  walk(root);
  return out;
}

function openssl(args: string[]): string {
  const r = spawnSync("openssl", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describeImage("installer")("installer image: masters", () => {
  let image: string;
  let work: string;
  const model = modelOf(fixture("dc-a"));
  const [hostA, hostB] = model.masters;
  const etcdDataDir = model.config.masters.etcdDataDir;
  const rootOf = (name: string) => path.join(work, name);

  /** Creates the host paths the run mounts (a real host has them; podman needs them to exist). */
  function hostRoot(name: string, run: InstallerRun): string {
    const root = rootOf(name);
    for (const m of run.mounts)
      if (!m.host.startsWith("$")) fs.mkdirSync(path.join(root, m.host), { recursive: true });
    return root;
  }

  function runInstaller(
    run: InstallerRun,
    root: string,
    args: string[],
    opts: { vars?: Record<string, string>; env?: string[]; network?: string } = {},
  ): Result {
    return podman([
      "run",
      "--rm",
      "--network",
      opts.network ?? "none",
      ...podmanArgs(run, root, opts.vars),
      ...(opts.env ?? []).flatMap((e) => ["-e", e]),
      image,
      ...args,
    ]);
  }

  /** Stages the rendered files as masterInstallScript does (stage/files/<host path>) and installs them. */
  function install(
    rootName: string,
    host: typeof hostA,
    files: Record<string, string>,
    extra: string[] = [],
    bundle?: string,
  ): Result {
    const stage = fs.mkdtempSync(path.join(work, "stage-"));
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.join(stage, "files", path.dirname(p)), { recursive: true });
      fs.writeFileSync(path.join(stage, "files", p), content);
    }
    if (bundle) fs.copyFileSync(bundle, path.join(stage, "pki.tar.gz"));
    fs.chmodSync(stage, 0o755);
    const run = masterInstallRun(etcdDataDir, "$stage");
    const r = runInstaller(
      run,
      hostRoot(rootName, run),
      [
        "master",
        "install",
        "--stage",
        "/stage/files",
        "--node-name",
        host.hostname,
        "--advertise-address",
        host.ip,
        ...extra,
        ...(bundle ? ["--pki-bundle", "/stage/pki.tar.gz"] : []),
      ],
      { vars: { stage } },
    );
    fs.rmSync(stage, { recursive: true, force: true });
    return r;
  }

  beforeAll(() => {
    image = loadImage("installer");
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pc-installer-"));
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const onA = (p: string) => path.join(rootOf("a"), p);
  let first: Record<string, string>;
  let firstSnapshot: Record<string, number>;

  it("first master (--init): the cluster PKI, the rendered files, its certificates, kubeconfigs, kubelet unit and binary", () => {
    first = masterFiles({ model, host: hostA });
    const out = ok(install("a", hostA, first, ["--init"]), "master install --init");
    for (const [p, content] of Object.entries(first))
      expect({ p, content: fs.readFileSync(onA(p), "utf8") }).toEqual({ p, content });
    for (const m of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"])
      expect(Object.keys(first)).toContain(`${paths.manifests}/${m}.yaml`);
    expect(Object.keys(first)).toContain(paths.kubeletConfig);
    expect(out).toMatch(/: \d+ updated, 0 unchanged/);

    // Every certificate the rendered manifests name exists and chains to its CA.
    const pki = onA(paths.pki);
    const manifestsText = Object.values(first).join("\n");
    const named = [...manifestsText.matchAll(/\/etc\/kubernetes\/pki\/([\w./-]+\.(?:crt|key|pub))/g)].map(
      (m) => m[1],
    );
    expect(named.length).toBeGreaterThan(10);
    for (const f of new Set(named))
      expect({ f, exists: fs.existsSync(path.join(pki, f)) }).toEqual({ f, exists: true });
    for (const [crt, ca] of [
      ["apiserver.crt", "ca.crt"],
      ["apiserver-kubelet-client.crt", "ca.crt"],
      ["front-proxy-client.crt", "front-proxy-ca.crt"],
      ["apiserver-etcd-client.crt", "etcd/ca.crt"],
      ["etcd/server.crt", "etcd/ca.crt"],
      ["etcd/peer.crt", "etcd/ca.crt"],
      ["etcd/healthcheck-client.crt", "etcd/ca.crt"],
    ])
      expect(openssl(["verify", "-CAfile", path.join(pki, ca), path.join(pki, crt)])).toContain(": OK");
    const sans = openssl([
      "x509",
      "-in",
      path.join(pki, "apiserver.crt"),
      "-noout",
      "-ext",
      "subjectAltName",
    ]);
    const apiSan = /^[\d.]+$/.test(model.api.host) ? `IP Address:${model.api.host}` : `DNS:${model.api.host}`;
    for (const want of [
      `IP Address:${hostA.ip}`,
      apiSan,
      "DNS:kubernetes.default.svc",
      "IP Address:127.0.0.1",
    ])
      expect(sans).toContain(want);
    // Keys and tokens owner-only, like kubeadm's.
    expect(fs.statSync(path.join(pki, "ca.key")).mode & 0o777).toBe(0o600);
    expect(fs.statSync(onA(paths.encryptionConfig)).mode & 0o777).toBe(0o600);

    // Kubeconfigs the control plane and kubelet read, pointing at this master.
    for (const f of [
      "admin.conf",
      paths.controllerManagerKubeconfig,
      paths.schedulerKubeconfig,
      paths.kubeletKubeconfig,
    ]) {
      const text = fs.readFileSync(onA(f.startsWith("/") ? f : `/etc/kubernetes/${f}`), "utf8");
      expect(text).toContain(`server: https://${hostA.ip}:${model.config.apiServer.port}`);
    }
    // kubelet on the host: the binary of the image's version, its unit and arguments.
    const kubelet = onA("/usr/local/bin/kubelet");
    expect(fs.statSync(kubelet).mode & 0o777).toBe(0o755);
    expect(fs.statSync(kubelet).size).toBeGreaterThan(10 * 2 ** 20);
    expect(fs.readFileSync(onA("/etc/systemd/system/kubelet.service"), "utf8")).toContain(
      "ExecStart=/usr/local/bin/kubelet $KUBELET_ARGS",
    );
    expect(fs.readFileSync(onA("/etc/kubernetes/kubelet.env"), "utf8")).toContain(
      `--config=${paths.kubeletConfig} --kubeconfig=${paths.kubeletKubeconfig} --hostname-override=${hostA.hostname} --node-ip=${hostA.ip}`,
    );
    firstSnapshot = snapshot(rootOf("a"));
  });

  it("changes nothing when run again (with --init too)", () => {
    const out = ok(install("a", hostA, first, ["--init"]), "second master install");
    expect(out).toMatch(/: 0 updated, \d+ unchanged/);
    expect(snapshot(rootOf("a"))).toEqual(firstSnapshot);
  });

  it("rewrites what a new version changes, and only that", () => {
    const f = fixture("dc-a");
    (f.raw.kubernetes as { version: string }).version = "v1.34.5";
    const next = masterFiles({ model: modelOf(f), host: hostA });
    const changed = Object.keys(next).filter((p) => next[p] !== first[p]);
    expect(changed).toEqual(
      expect.arrayContaining([
        `${paths.manifests}/kube-apiserver.yaml`,
        `${paths.manifests}/kube-controller-manager.yaml`,
        `${paths.manifests}/kube-scheduler.yaml`,
      ]),
    );
    const out = ok(install("a", hostA, next), "master install of the new version");
    for (const p of changed) expect(out).toContain(`updated ${p}`);
    expect(out).toMatch(new RegExp(`: ${changed.length} updated, \\d+ unchanged`));
    const after = snapshot(rootOf("a"));
    const touched = Object.keys(after).filter((p) => after[p] !== firstSnapshot[p]);
    expect(touched.sort()).toEqual(changed.map((p) => p.slice(1)).sort());
    expect(fs.readFileSync(onA(`${paths.manifests}/kube-apiserver.yaml`), "utf8")).toContain(":v1.34.5");
  });

  it("refuses a master with no PKI (neither --init nor --pki-bundle), naming what to do", () => {
    const r = install("no-pki", hostB, masterFiles({ model, host: hostB }));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      "no /etc/kubernetes/pki/ca.crt on this host (the first master runs with --init",
    );
    expect(Object.keys(snapshot(rootOf("no-pki")))).toEqual([]);
  });

  it("second master: the first's CAs from `master pki-bundle`, its own certificates", () => {
    // As pkiBundleScript: the first master's pki directory read-only at /pki.
    ok(
      podman([
        "run",
        "--rm",
        "--network",
        "none",
        "-v",
        `${onA(paths.pki)}:/pki:ro`,
        "-v",
        `${work}:/out`,
        "--entrypoint",
        "/bin/bash",
        image,
        "-c",
        "installer master pki-bundle --pki /pki > /out/pki.tar.gz",
      ]),
      "master pki-bundle",
    );
    ok(
      install("b", hostB, masterFiles({ model, host: hostB }), [], path.join(work, "pki.tar.gz")),
      "install b",
    );
    const pkiA = onA(paths.pki);
    const pkiB = path.join(rootOf("b"), paths.pki);
    for (const f of [
      "ca.crt",
      "ca.key",
      "sa.key",
      "sa.pub",
      "front-proxy-ca.crt",
      "etcd/ca.crt",
      "etcd/ca.key",
    ])
      expect({
        f,
        same: fs.readFileSync(path.join(pkiB, f)).equals(fs.readFileSync(path.join(pkiA, f))),
      }).toEqual({
        f,
        same: true,
      });
    expect(
      fs
        .readFileSync(path.join(pkiB, "apiserver.crt"))
        .equals(fs.readFileSync(path.join(pkiA, "apiserver.crt"))),
    ).toBe(false);
    expect(
      openssl(["x509", "-in", path.join(pkiB, "apiserver.crt"), "-noout", "-ext", "subjectAltName"]),
    ).toContain(`IP Address:${hostB.ip}`);
    expect(
      openssl(["verify", "-CAfile", path.join(pkiA, "etcd/ca.crt"), path.join(pkiB, "etcd/peer.crt")]),
    ).toContain(": OK");
  });

  describe("master leave, against a real two-member etcd", () => {
    const etcdBin = tool("etcd");
    const etcdctlBin = tool("etcdctl");
    const procs: ChildProcess[] = [];
    const endpoints = ETCD.map((e) => `https://127.0.0.1:${e.client}`).join(",");
    const names = () => [hostA.hostname, hostB.hostname];

    function memberNames(): string[] | undefined {
      const pki = onA(paths.etcdPki);
      const r = spawnSync(
        etcdctlBin ?? "etcdctl",
        [
          `--endpoints=https://127.0.0.1:${ETCD[0].client}`,
          `--cacert=${pki}/ca.crt`,
          `--cert=${pki}/healthcheck-client.crt`,
          `--key=${pki}/healthcheck-client.key`,
          "--command-timeout=5s",
          "member",
          "list",
        ],
        { encoding: "utf8" },
      );
      if (r.status !== 0) return undefined;
      return r.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(", ")[2])
        .sort();
    }

    beforeAll(async () => {
      if (!etcdBin || !etcdctlBin)
        throw new Error("etcd/etcdctl not found: run `npm run toolchain` and `source scripts/env.sh`");
      const cluster = names()
        .map((n, i) => `${n}=https://127.0.0.1:${ETCD[i].peer}`)
        .join(",");
      ["a", "b"].forEach((r, i) => {
        const pki = path.join(rootOf(r), paths.etcdPki);
        const log = fs.openSync(path.join(work, `etcd-${r}.log`), "w");
        procs.push(
          spawn(
            etcdBin,
            [
              `--name=${names()[i]}`,
              `--data-dir=${path.join(work, `etcd-data-${r}`)}`,
              `--listen-client-urls=https://127.0.0.1:${ETCD[i].client}`,
              `--advertise-client-urls=https://127.0.0.1:${ETCD[i].client}`,
              `--listen-peer-urls=https://127.0.0.1:${ETCD[i].peer}`,
              `--initial-advertise-peer-urls=https://127.0.0.1:${ETCD[i].peer}`,
              `--initial-cluster=${cluster}`,
              "--initial-cluster-state=new",
              "--client-cert-auth",
              `--trusted-ca-file=${pki}/ca.crt`,
              `--cert-file=${pki}/server.crt`,
              `--key-file=${pki}/server.key`,
              "--peer-client-cert-auth",
              `--peer-trusted-ca-file=${pki}/ca.crt`,
              `--peer-cert-file=${pki}/peer.crt`,
              `--peer-key-file=${pki}/peer.key`,
            ],
            { stdio: ["ignore", log, log] },
          ),
        );
      });
      await waitFor(
        () => (memberNames()?.length === 2 ? true : undefined),
        90_000,
        `a two-member etcd on 127.0.0.1:${ETCD[0].client} (logs in ${work}/etcd-*.log)`,
      );
    });
    afterAll(() => procs.forEach((p) => p.kill("SIGKILL")));

    const leave = (root: string, host: typeof hostA, etcdEndpoints = endpoints) =>
      runInstaller(masterLeaveRun(), rootOf(root), ["master", "leave", "--node-name", host.hostname], {
        network: "host",
        env: [`ETCD_ENDPOINTS=${etcdEndpoints}`],
      });

    it("refuses when etcd does not answer, and changes nothing", () => {
      const before = snapshot(rootOf("a"));
      const r = leave("a", hostA, "https://127.0.0.1:28419");
      expect(r.status).toBe(2);
      expect(r.stderr).toContain("does not answer; nothing was changed");
      expect(snapshot(rootOf("a"))).toEqual(before);
      expect(memberNames()).toEqual(names().sort());
    });

    it("removes this master's etcd member and stops its static Pods", () => {
      const out = ok(leave("b", hostB), "master leave");
      expect(out).toMatch(new RegExp(`removed etcd member ${hostB.hostname} \\([0-9a-f]+\\)`));
      for (const m of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
        expect(out).toContain(`stopped ${m}`);
        expect(fs.existsSync(path.join(rootOf("b"), paths.manifests, `${m}.yaml`))).toBe(false);
      }
      expect(memberNames()).toEqual([hostA.hostname]);
      // The other master keeps everything.
      expect(fs.existsSync(onA(`${paths.manifests}/etcd.yaml`))).toBe(true);
    });

    it("changes nothing when run again", () => {
      const before = snapshot(rootOf("b"));
      const out = ok(leave("b", hostB), "second master leave");
      expect(out).toContain(`etcd has no member ${hostB.hostname} (already removed)`);
      expect(out).not.toContain("stopped");
      expect(snapshot(rootOf("b"))).toEqual(before);
      expect(memberNames()).toEqual([hostA.hostname]);
    });
  });

  it("refuses a stage that is not a directory, naming it", () => {
    const r = podman([
      "run",
      "--rm",
      image,
      "master",
      "install",
      "--stage",
      "/nope",
      "--node-name",
      "x",
      "--advertise-address",
      "10.0.0.1",
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--stage /nope is not a directory");
  });

  it("runs etcdctl of the image's version", () => {
    const out = ok(podman(["run", "--rm", image, "etcdctl", "version"]), "etcdctl version");
    expect(out).toMatch(/etcdctl version: 3\.6\./);
  });
});

/**
 * `minion join` against an HTTPS endpoint that answers the one request the
 * installer makes of the API server (discovery, then the public cluster-info
 * ConfigMap, bearer token checked): the CA pin is checked, the node's files,
 * kubelet unit and binary land in the host root, a second run changes
 * nothing, a label change rewrites only kubelet's arguments.
 */
describeImage("installer")("installer image: minion join", () => {
  const model = modelOf(fixture("dc-a"));
  const kubeletRoot = model.config.minions.kubeletRoot;
  const token = "abcdef.0123456789abcdef";
  const port = 28430;
  let image: string;
  let work: string;
  let server: https.Server;
  let caHash: string;
  const root = () => path.join(work, "node");

  beforeAll(async () => {
    image = loadImage("installer");
    work = fs.mkdtempSync(path.join(os.tmpdir(), "pc-join-"));
    const f = (n: string) => path.join(work, n);
    openssl([
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=kubernetes",
      "-keyout",
      f("ca.key"),
      "-out",
      f("ca.crt"),
    ]);
    openssl([
      "req",
      "-new",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=kube-apiserver",
      "-keyout",
      f("tls.key"),
      "-out",
      f("tls.csr"),
    ]);
    fs.writeFileSync(f("ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl([
      "x509",
      "-req",
      "-in",
      f("tls.csr"),
      "-CA",
      f("ca.crt"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      f("ext"),
      "-out",
      f("tls.crt"),
    ]);
    const ca = fs.readFileSync(f("ca.crt"));
    const clusterInfo = stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "",
          cluster: {
            server: `https://127.0.0.1:${port}`,
            "certificate-authority-data": ca.toString("base64"),
          },
        },
      ],
    });
    caHash = caCertHash(clusterInfo);
    const json = (res: http.ServerResponse, status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    server = https.createServer(
      { key: fs.readFileSync(f("tls.key")), cert: fs.readFileSync(f("tls.crt")) },
      (req, res) => {
        const url = (req.url ?? "").split("?")[0];
        if (req.headers.authorization !== `Bearer ${token}`)
          return json(res, 401, { kind: "Status", code: 401 });
        if (url === "/api")
          return json(res, 200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
        if (url === "/apis") return json(res, 200, { kind: "APIGroupList", apiVersion: "v1", groups: [] });
        if (url === "/api/v1")
          return json(res, 200, {
            kind: "APIResourceList",
            groupVersion: "v1",
            resources: [
              {
                name: "configmaps",
                singularName: "configmap",
                namespaced: true,
                kind: "ConfigMap",
                verbs: ["get"],
                shortNames: ["cm"],
              },
            ],
          });
        if (url === "/api/v1/namespaces/kube-public/configmaps/cluster-info")
          return json(res, 200, {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "cluster-info", namespace: "kube-public" },
            data: { kubeconfig: clusterInfo },
          });
        return json(res, 404, { kind: "Status", code: 404 });
      },
    );
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  });
  afterAll(() => {
    server?.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  function join(labels: string, hash = caHash): Promise<Result> {
    const run = minionJoinRun(kubeletRoot);
    for (const m of run.mounts) fs.mkdirSync(path.join(root(), m.host), { recursive: true });
    // Async: the API server answering the container runs in this process.
    return podmanAsync([
      "run",
      "--rm",
      "--network",
      "host",
      ...podmanArgs(run, root()),
      image,
      "minion",
      "join",
      "--api-server",
      `https://127.0.0.1:${port}`,
      "--token",
      token,
      "--discovery-token-ca-cert-hash",
      hash,
      "--node-name",
      "dca-a1r02-07",
      "--node-labels",
      labels,
      "--kubelet-root",
      kubeletRoot,
      "--allowed-unsafe-sysctls",
      "net.core.somaxconn,net.ipv4.tcp_max_syn_backlog",
    ]);
  }
  const onNode = (p: string) => path.join(root(), p);
  let joined: Record<string, number>;

  it("refuses an API server whose CA does not match the pin, writing nothing", async () => {
    const r = await join("rack=r02", `sha256:${"0".repeat(64)}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("does not match --discovery-token-ca-cert-hash");
    expect(Object.keys(snapshot(root()))).toEqual([]);
  });

  it("joins: the cluster CA, bootstrap kubeconfig, kubelet config, unit and binary", async () => {
    const out = ok(await join("rack=r02,zone=a"), "minion join");
    expect(out).toMatch(/minion join of dca-a1r02-07: \d+ updated, 0 unchanged/);
    expect(fs.readFileSync(onNode("/etc/kubernetes/pki/ca.crt"), "utf8")).toBe(
      fs.readFileSync(path.join(work, "ca.crt"), "utf8"),
    );
    const boot = fs.readFileSync(onNode("/etc/kubernetes/bootstrap-kubelet.conf"), "utf8");
    expect(boot).toContain(`token: ${token}`);
    expect(boot).toContain(`server: https://127.0.0.1:${port}`);
    expect(fs.statSync(onNode("/etc/kubernetes/bootstrap-kubelet.conf")).mode & 0o777).toBe(0o600);
    const cfg = parse(fs.readFileSync(onNode(`${kubeletRoot}/config.yaml`), "utf8")) as Record<
      string,
      unknown
    >;
    expect(cfg.kind).toBe("KubeletConfiguration");
    expect(cfg.allowedUnsafeSysctls).toEqual(["net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog"]);
    expect(fs.readFileSync(onNode("/etc/kubernetes/kubelet.env"), "utf8")).toContain(
      `--root-dir=${kubeletRoot} --hostname-override=dca-a1r02-07 --node-labels=rack=r02,zone=a`,
    );
    expect(fs.readFileSync(onNode("/etc/systemd/system/kubelet.service"), "utf8")).toContain(
      "ExecStart=/usr/local/bin/kubelet",
    );
    expect(fs.statSync(onNode("/usr/local/bin/kubelet")).mode & 0o777).toBe(0o755);
    joined = snapshot(root());
  });

  it("changes nothing when run again", async () => {
    const out = ok(await join("rack=r02,zone=a"), "second minion join");
    expect(out).toMatch(/: 0 updated, \d+ unchanged/);
    expect(out).not.toContain("kubelet restarted");
    expect(snapshot(root())).toEqual(joined);
  });

  it("re-configures a changed label, and only kubelet's arguments", async () => {
    const out = ok(await join("rack=r02,zone=b"), "minion join with new labels");
    expect(out).toContain("updated /etc/kubernetes/kubelet.env");
    const after = snapshot(root());
    expect(Object.keys(after).filter((p) => after[p] !== joined[p])).toEqual(["etc/kubernetes/kubelet.env"]);
  });
});
