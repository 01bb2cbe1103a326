/**
 * How the platform runs the unified installer image on a host (README, "The
 * installer image interface"): which host directories it mounts and which
 * environment it sets for each command. MasterHA's and MinionPool's host
 * scripts render their `docker run` from here, and the installer image's tests
 * run the image with the same mounts against a temporary host root, so what
 * the tests prove is what the hosts get.
 */
import { shQuote } from "./shell";

/** Where the host's binaries go (kubelet.service runs /usr/local/bin/kubelet). */
export const HOST_BIN_DIR = "/usr/local/bin";
/** Where the installer sees HOST_BIN_DIR (its own /usr/local/bin holds its tools). */
export const HOST_BIN_MOUNT = "/host/usr/local/bin";

export interface Mount {
  /** Path on the host; a value starting with `$` is a shell variable of the script. */
  readonly host: string;
  readonly container: string;
  readonly readOnly?: boolean;
}

export interface InstallerRun {
  /** Host paths mounted into the container, in order. */
  readonly mounts: readonly Mount[];
  /** Environment of the installer. */
  readonly env: Readonly<Record<string, string>>;
}

/** Host directories every command that writes the host needs, at their own paths. */
const kubernetesDirs = (kubeletRoot: string): Mount[] => [
  { host: "/etc/kubernetes", container: "/etc/kubernetes" },
  { host: kubeletRoot, container: kubeletRoot },
  // kubelet.service (the installer writes it; systemd on the host runs kubelet).
  { host: "/etc/systemd/system", container: "/etc/systemd/system" },
  // The kubelet binary of the installer's version.
  { host: HOST_BIN_DIR, container: HOST_BIN_MOUNT },
];

/** `master install`: the control plane's files, etcd's data directory, the kubelet unit and binary, the stage. */
export function masterInstallRun(etcdDataDir: string, stage: string): InstallerRun {
  return {
    mounts: [
      ...kubernetesDirs("/var/lib/kubelet"),
      { host: etcdDataDir, container: etcdDataDir },
      { host: stage, container: "/stage", readOnly: true },
    ],
    env: { HOST_BIN_DIR: HOST_BIN_MOUNT },
  };
}

/** `minion join`: the node's Kubernetes files, the kubelet root, unit and binary. */
export function minionJoinRun(kubeletRoot: string): InstallerRun {
  return { mounts: kubernetesDirs(kubeletRoot), env: { HOST_BIN_DIR: HOST_BIN_MOUNT } };
}

/** `master leave`: the static Pod manifests and the etcd client certificate. */
export function masterLeaveRun(): InstallerRun {
  return { mounts: [{ host: "/etc/kubernetes", container: "/etc/kubernetes" }], env: {} };
}

const hostArg = (p: string) => (p.startsWith("$") ? `"${p}"` : shQuote(p));

/**
 * `sudo docker run …` up to the image, for a host script. Host network (etcd
 * and the API server on the host's addresses), privileged and the host's PID
 * namespace (the installer restarts kubelet through nsenter).
 */
export function dockerRun(run: InstallerRun): string {
  const parts = ["sudo docker run --rm --network host --privileged --pid host"];
  for (const m of run.mounts)
    parts.push(`-v ${hostArg(m.host)}:${shQuote(m.container)}${m.readOnly ? ":ro" : ""}`);
  for (const k of Object.keys(run.env).sort()) parts.push(`-e ${shQuote(`${k}=${run.env[k]}`)}`);
  return parts.join(" \\\n  ");
}

/** podman's `-v`/`-e` arguments for the same run with every host path under `hostRoot` (the image's tests). */
export function podmanArgs(run: InstallerRun, hostRoot: string, vars: Record<string, string> = {}): string[] {
  const args: string[] = [];
  for (const m of run.mounts) {
    const host = m.host.startsWith("$") ? vars[m.host.slice(1)] : `${hostRoot}${m.host}`;
    if (host === undefined) throw new Error(`no value for ${m.host} (mount of ${m.container})`);
    args.push("-v", `${host}:${m.container}${m.readOnly ? ":ro" : ""}`);
  }
  for (const k of Object.keys(run.env).sort()) args.push("-e", `${k}=${run.env[k]}`);
  return args;
}
