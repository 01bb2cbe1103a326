/**
 * The simulated datacenter's control plane, from MasterHA's own static Pod
 * manifests (components/master-ha/manifests.ts): etcd, kube-apiserver,
 * kube-controller-manager and kube-scheduler run as the real binaries with
 * the flags the manifests render, so every flag is accepted (or refused) by
 * the binary that will read it on a real master. The PKI comes from the same
 * plan (components/master-ha/pki.ts) and the config files (encryption,
 * authentication, audit policy) are the rendered ones.
 *
 * The sim renders the manifests of the stack's first master as if it stood
 * at 127.0.0.1, with its single-member etcd, and changes only what a
 * loopback sim on a shared machine must (SIM_CHANGES): host paths live under
 * `<sim>/root`, ports move with the sim's port base, and the API server
 * binds loopback only. The test (tests/unit/sim-control-plane.test.ts) holds
 * every other rendered flag to its rendered value.
 *
 *   npx ts-node --transpile-only scripts/sim-control-plane.ts STACK_FILE SIM_DIR \
 *     API_PORT ETCD_CLIENT_PORT ETCD_PEER_PORT ETCD_METRICS_PORT CM_PORT SCHEDULER_PORT
 *
 * writes the files and `<sim>/run/<component>.args` (the command line,
 * NUL-separated) for scripts/sim.sh to start.
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import type * as k8s from "@pulumi/kubernetes";
import { loadStackFile } from "../stacks/config";
import type { DatacenterModel } from "../stacks/model";
import {
  apiServerManifest,
  controllerManagerManifest,
  ENCRYPTION_KEY_PLACEHOLDER,
  etcdManifest,
  masterFiles,
  paths,
  ports,
  schedulerManifest,
  type MasterContext,
} from "../components/master-ha/manifests";
import { kubeconfigUsers, pkiPlan, pkiScript, type CertSpec } from "../components/master-ha/pki";

export const CONTROL_PLANE = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;
export type ControlPlaneComponent = (typeof CONTROL_PLANE)[number];

export interface SimPorts {
  readonly api: number;
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly etcdMetrics: number;
  readonly controllerManager: number;
  readonly scheduler: number;
}

/** Host directories the manifests read or write; the sim keeps each under `<sim>/root`. */
export function hostRoots(model: DatacenterModel): string[] {
  return ["/etc/kubernetes", "/var/log/kubernetes", "/var/lib/kubelet", model.config.masters.etcdDataDir];
}

/**
 * What the sim changes in the rendered command lines, flag by flag: added
 * flags (the rendered manifests leave them at the binary's default, which
 * would be the same port for every sim on the machine or every interface).
 */
export const SIM_CHANGES: Record<ControlPlaneComponent, Record<string, (p: SimPorts) => string>> = {
  etcd: {},
  // A sim on a shared machine listens on loopback only (a master binds all interfaces).
  "kube-apiserver": { "bind-address": () => "127.0.0.1" },
  // 10257 and 10259 are the binaries' defaults: one per sim on this machine.
  "kube-controller-manager": { "secure-port": (p) => String(p.controllerManager) },
  "kube-scheduler": { "secure-port": (p) => String(p.scheduler) },
};

/** The sim's model: the stack's first master alone, at 127.0.0.1, its API on the sim's port. */
export function simContext(model: DatacenterModel, apiPort: number): MasterContext {
  const host = { ...model.masters[0], ip: "127.0.0.1" };
  const sim: DatacenterModel = {
    ...model,
    masters: [host],
    api: { ...model.api, host: "127.0.0.1", port: apiPort },
    config: { ...model.config, apiServer: { ...model.config.apiServer, port: apiPort } },
  };
  return { model: sim, host };
}

/** Maps a host path under the sim's root; other values unchanged. */
export function mapPath(model: DatacenterModel, simDir: string, value: string): string {
  const root = hostRoots(model).find((r) => value === r || value.startsWith(`${r}/`));
  return root ? path.join(simDir, "root", value) : value;
}

type Pod = k8s.types.input.core.v1.Pod;
const manifestOf: Record<ControlPlaneComponent, (ctx: MasterContext) => Pod> = {
  etcd: etcdManifest,
  "kube-apiserver": apiServerManifest,
  "kube-controller-manager": controllerManagerManifest,
  "kube-scheduler": schedulerManifest,
};

/** The rendered command line of one component (binary first), exactly as the static Pod carries it. */
export function renderedCommand(ctx: MasterContext, component: ControlPlaneComponent): string[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain manifests built here
  return [...((manifestOf[component](ctx) as any).spec.containers[0].command as string[])];
}

/** The sim's command line: rendered flags with host paths mapped and etcd's ports moved, plus SIM_CHANGES. */
export function simCommand(
  model: DatacenterModel,
  simDir: string,
  p: SimPorts,
  component: ControlPlaneComponent,
): string[] {
  const ctx = simContext(model, p.api);
  const [binary, ...args] = renderedCommand(ctx, component);
  const etcdPorts: Record<number, number> = {
    [ports.etcdClient]: p.etcdClient,
    [ports.etcdPeer]: p.etcdPeer,
    [ports.etcdMetrics]: p.etcdMetrics,
  };
  const mapped = args.map((a) => {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (!m) throw new Error(`${component}: rendered argument ${JSON.stringify(a)} is not --flag=value`);
    const parts = m[2].split(",").map((v) =>
      mapPath(
        model,
        simDir,
        // URLs naming etcd's ports (listen, advertise, cluster, servers) move with the port base.
        v.replace(
          /(https?:\/\/127\.0\.0\.1:)(\d+)$/,
          (_, pre: string, port: string) => `${pre}${etcdPorts[Number(port)] ?? port}`,
        ),
      ),
    );
    // On 127.0.0.1 "loopback and the master's address" is one URL twice; etcd would bind it twice.
    return `--${m[1]}=${[...new Set(parts)].join(",")}`;
  });
  const added = Object.entries(SIM_CHANGES[component]).map(([flag, value]) => `--${flag}=${value(p)}`);
  return [binary, ...mapped, ...added];
}

/** A kubeconfig with the certificate and key embedded (what the installer's admin.conf and the components' files hold). */
function kubeconfig(server: string, pki: string, cert: string, user: string): string {
  const b64 = (f: string) => fs.readFileSync(path.join(pki, f)).toString("base64");
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "sim", cluster: { server, "certificate-authority-data": b64("ca.crt") } }],
    users: [
      {
        name: user,
        user: { "client-certificate-data": b64(`${cert}.crt`), "client-key-data": b64(`${cert}.key`) },
      },
    ],
    contexts: [{ name: "sim", context: { cluster: "sim", user } }],
    "current-context": "sim",
  });
}

/** The sim's own client: kwok, as a cluster admin (it writes every Node's and Pod's status). */
const KWOK_CERT: CertSpec = { name: "kwok", ca: "ca", subject: "/O=system:masters/CN=kwok", usage: "client" };

function write(file: string, content: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, content, { mode });
}

export function prepare(stackFile: string, simDir: string, p: SimPorts): void {
  const model = loadStackFile(stackFile);
  const ctx = simContext(model, p.api);
  const pki = mapPath(model, simDir, paths.pki);
  const plan = [...pkiPlan(ctx.model, ctx.host, ["DNS:localhost"]), KWOK_CERT];
  write(path.join(simDir, "run", "pki.sh"), pkiScript(plan, 30), 0o700);
  execFileSync("bash", [path.join(simDir, "run", "pki.sh"), pki], { stdio: "inherit" });

  // The rendered config files; the encryption key is made once (a new one would make every stored Secret unreadable).
  const files = masterFiles(ctx);
  for (const [hostPath, content] of Object.entries(files)) {
    if (hostPath.startsWith(`${paths.manifests}/`)) continue; // the static Pods themselves: their commands are run below
    const file = mapPath(model, simDir, hostPath);
    if (hostPath === paths.encryptionConfig) {
      if (fs.existsSync(file)) continue;
      write(file, content.replace(ENCRYPTION_KEY_PLACEHOLDER, crypto.randomBytes(32).toString("base64")));
    } else write(file, content);
  }
  for (const dir of [path.dirname(paths.auditLog), model.config.masters.etcdDataDir]) {
    fs.mkdirSync(mapPath(model, simDir, dir), { recursive: true, mode: 0o700 });
  }

  const server = `https://127.0.0.1:${p.api}`;
  const kc = (cert: string, user: string) => kubeconfig(server, pki, cert, user);
  const u = kubeconfigUsers;
  write(
    mapPath(model, simDir, u.controllerManager.path),
    kc(u.controllerManager.cert, "system:kube-controller-manager"),
  );
  write(mapPath(model, simDir, u.scheduler.path), kc(u.scheduler.cert, "system:kube-scheduler"));
  write(mapPath(model, simDir, u.admin.path), kc(u.admin.cert, "kubernetes-admin"));
  write(path.join(simDir, "kubeconfig"), kc(u.admin.cert, "kubernetes-admin"));
  write(path.join(simDir, "kwok.kubeconfig"), kc(KWOK_CERT.name, "kwok"));

  for (const c of CONTROL_PLANE) {
    write(path.join(simDir, "run", `${c}.args`), `${simCommand(model, simDir, p, c).join("\0")}\0`);
  }
}

if (require.main === module) {
  const [stackFile, simDir, ...nums] = process.argv.slice(2);
  const n = nums.map(Number);
  if (!stackFile || !simDir || n.length !== 6 || n.some((x) => !Number.isInteger(x) || x <= 0 || x > 65535)) {
    console.error(
      `usage: sim-control-plane.ts STACK_FILE SIM_DIR API_PORT ETCD_CLIENT_PORT ETCD_PEER_PORT ETCD_METRICS_PORT CM_PORT SCHEDULER_PORT (got ${JSON.stringify(process.argv.slice(2))}; ports are integers 1-65535)`,
    );
    process.exit(2);
  }
  const [api, etcdClient, etcdPeer, etcdMetrics, controllerManager, scheduler] = n;
  prepare(stackFile, simDir, { api, etcdClient, etcdPeer, etcdMetrics, controllerManager, scheduler });
}
