/**
 * Whether a business's Deployment really rolled out, and if not, why — read
 * from the Kubernetes API with the platform stack's kubeconfig.
 *
 * Pulumi's own Deployment await decides when an update is done, but it says
 * nothing useful when pods cannot be scheduled (its pod checker reports the
 * scheduler's message at "status" level, which it then drops), and a release
 * whose pods asked for machines no node has once reported success in CI. So
 * the release program checks the rollout itself after Pulumi's wait
 * (`verifyRollout`, failing the update), and the engine explains a failed
 * datacenter with the pods' own reasons (`rolloutProblems`): "cannot be
 * scheduled: 0/22 nodes are available: 22 node(s) didn't match Pod's node
 * affinity/selector".
 */
import * as https from "https";
import { parse } from "yaml";

// ---------------------------------------------------------------------------
// The few GETs we need, with a kubeconfig's first cluster and user.
// ---------------------------------------------------------------------------

interface KubeAccess {
  readonly server: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly token?: string;
}

const b64 = (s: unknown) => (typeof s === "string" ? Buffer.from(s, "base64") : undefined);

/** Server and credentials of a kubeconfig's current context (inline data or a token; file paths are not followed). */
export function kubeAccess(kubeconfig: string): KubeAccess {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kubeconfig YAML
  const kc: any = parse(kubeconfig);
  const ctxName = kc?.["current-context"];
  const ctx =
    (kc?.contexts ?? []).find((c: { name: string }) => c.name === ctxName)?.context ??
    kc?.contexts?.[0]?.context;
  const cluster =
    (kc?.clusters ?? []).find((c: { name: string }) => c.name === ctx?.cluster)?.cluster ??
    kc?.clusters?.[0]?.cluster;
  const user =
    (kc?.users ?? []).find((u: { name: string }) => u.name === ctx?.user)?.user ?? kc?.users?.[0]?.user;
  if (!cluster?.server)
    throw new Error("kubeconfig has no cluster server (expected clusters[].cluster.server)");
  return {
    server: String(cluster.server).replace(/\/$/, ""),
    ca: b64(cluster["certificate-authority-data"]),
    cert: b64(user?.["client-certificate-data"]),
    key: b64(user?.["client-key-data"]),
    token: typeof user?.token === "string" ? user.token : undefined,
  };
}

/** GET a path of the API server as JSON; rejects with the status and body on anything but 200. */
export function kubeGet<T>(access: KubeAccess, apiPath: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${access.server}${apiPath}`,
      {
        ca: access.ca,
        cert: access.cert,
        key: access.key,
        headers: {
          Accept: "application/json",
          ...(access.token ? { Authorization: `Bearer ${access.token}` } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => {
          if (res.statusCode !== 200)
            reject(new Error(`GET ${apiPath}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
          else resolve(JSON.parse(body) as T);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

// ---------------------------------------------------------------------------
// What the objects say (pure: unit-tested on plain objects).
// ---------------------------------------------------------------------------

interface Meta {
  readonly name: string;
  readonly generation?: number;
  readonly annotations?: Record<string, string>;
  readonly ownerReferences?: readonly { readonly uid: string }[];
  readonly uid?: string;
}
interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}
export interface DeploymentObj {
  readonly metadata: Meta;
  readonly spec: {
    readonly replicas?: number;
    readonly selector: { readonly matchLabels?: Record<string, string> };
  };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly replicas?: number;
    readonly updatedReplicas?: number;
    readonly availableReplicas?: number;
    readonly unavailableReplicas?: number;
  };
}
export interface ReplicaSetObj {
  readonly metadata: Meta;
}
export interface PodObj {
  readonly metadata: Meta;
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly Condition[];
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly state?: { readonly waiting?: { readonly reason?: string; readonly message?: string } };
    }[];
  };
}

const REVISION = "deployment.kubernetes.io/revision";

export interface RolloutState {
  /** Every replica runs the current template and is available. */
  readonly complete: boolean;
  /** One line per distinct reason, with how many pods of the current template it holds back. */
  readonly problems: readonly string[];
  /** Counts, for the message. */
  readonly wanted: number;
  readonly updated: number;
  readonly available: number;
}

/** The rollout of a Deployment from the Deployment, its ReplicaSets and its pods. */
export function rolloutState(
  d: DeploymentObj,
  replicaSets: readonly ReplicaSetObj[],
  pods: readonly PodObj[],
): RolloutState {
  const wanted = d.spec.replicas ?? 1;
  const s = d.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  const available = s.availableReplicas ?? 0;
  const observed = (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
  const complete =
    observed &&
    updated === wanted &&
    (s.replicas ?? 0) === wanted &&
    available >= wanted &&
    !s.unavailableReplicas;
  const revision = d.metadata.annotations?.[REVISION];
  const current = replicaSets.find(
    (rs) =>
      rs.metadata.annotations?.[REVISION] === revision &&
      (rs.metadata.ownerReferences ?? []).some((o) => o.uid === d.metadata.uid),
  );
  const reasons = new Map<string, number>();
  const add = (r: string) => reasons.set(r, (reasons.get(r) ?? 0) + 1);
  for (const p of pods) {
    if (!current || !(p.metadata.ownerReferences ?? []).some((o) => o.uid === current.metadata.uid)) continue;
    const sched = p.status?.conditions?.find((c) => c.type === "PodScheduled");
    if (sched && sched.status !== "True") {
      add(`cannot be scheduled: ${(sched.message ?? sched.reason ?? "no reason given").trim()}`);
      continue;
    }
    for (const c of p.status?.containerStatuses ?? []) {
      const w = c.state?.waiting;
      if (w?.reason && w.reason !== "ContainerCreating" && w.reason !== "PodInitializing")
        add(`container ${c.name}: ${w.reason}${w.message ? `: ${w.message.trim()}` : ""}`);
    }
  }
  const problems = [...reasons].map(([r, n]) => `${n} pod${n === 1 ? "" : "s"} ${r}`);
  return { complete, problems, wanted, updated, available };
}

/** Reads the Deployment, its ReplicaSets and pods, and judges the rollout. */
export async function readRollout(
  kubeconfig: string,
  namespace: string,
  name: string,
): Promise<RolloutState> {
  const a = kubeAccess(kubeconfig);
  const d = await kubeGet<DeploymentObj>(a, `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);
  const selector = Object.entries(d.spec.selector.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const q = `?labelSelector=${encodeURIComponent(selector)}`;
  const [rs, pods] = await Promise.all([
    kubeGet<{ items: ReplicaSetObj[] }>(a, `/apis/apps/v1/namespaces/${namespace}/replicasets${q}`),
    kubeGet<{ items: PodObj[] }>(a, `/api/v1/namespaces/${namespace}/pods${q}`),
  ]);
  return rolloutState(d, rs.items, pods.items);
}

/** One line: how far the rollout got and what holds it back. */
export function describeRollout(namespace: string, name: string, r: RolloutState): string {
  const head = `Deployment ${namespace}/${name}: ${r.updated}/${r.wanted} pods on the new version, ${r.available} available`;
  return r.problems.length ? `${head}; ${r.problems.join("; ")}` : head;
}

/**
 * After Pulumi reported the Deployment updated: polls until the rollout is
 * complete, for at most `timeoutSeconds`; rejects with what holds it back.
 */
export async function verifyRollout(
  kubeconfig: string,
  namespace: string,
  name: string,
  timeoutSeconds: number,
): Promise<string> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const r = await readRollout(kubeconfig, namespace, name);
    if (r.complete)
      return `Deployment ${namespace}/${name}: ${r.wanted}/${r.wanted} pods on the new version, available`;
    if (Date.now() >= deadline)
      throw new Error(
        `rollout not complete after ${timeoutSeconds} s: ${describeRollout(namespace, name, r)}`,
      );
    await new Promise((res) => setTimeout(res, 2000));
  }
}
