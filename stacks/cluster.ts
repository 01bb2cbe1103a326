/**
 * Is the cluster there? The kubernetes provider degrades a preview against an
 * unreachable API server to a plan against nothing: it exits 0 and looks
 * normal (issue 14). Before any Kubernetes resource is planned, the program
 * asks the API server's `/readyz` with the kubeconfig the provider will use,
 * and fails with what was tried and what to do when it does not answer.
 */
import * as https from "https";
import { parse } from "yaml";

/** What a kubeconfig's current context says about reaching its cluster. */
export interface ClusterEndpoint {
  /** `clusters[].cluster.server` of the current context. */
  readonly server: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

const b64 = (s: unknown) => (typeof s === "string" ? Buffer.from(s, "base64").toString("utf8") : undefined);

/** The current context's server and credentials (inline data only: the sim's and MasterHA's kubeconfigs). */
export function clusterEndpoint(kubeconfig: string): ClusterEndpoint {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a kubeconfig is read field by field below
  const kc: any = parse(kubeconfig) ?? {};
  const ctxName = kc["current-context"];
  const ctx = (kc.contexts ?? []).find((c: { name?: string }) => c.name === ctxName)?.context ?? {};
  const cluster = (kc.clusters ?? []).find((c: { name?: string }) => c.name === ctx.cluster)?.cluster;
  const user = (kc.users ?? []).find((u: { name?: string }) => u.name === ctx.user)?.user ?? {};
  if (!cluster?.server) {
    throw new Error(
      `kubeconfig: current context ${JSON.stringify(ctxName)} names no cluster with a server (expected clusters[].cluster.server)`,
    );
  }
  return {
    server: String(cluster.server),
    ca: b64(cluster["certificate-authority-data"]),
    cert: b64(user["client-certificate-data"]),
    key: b64(user["client-key-data"]),
    token: typeof user.token === "string" ? user.token : undefined,
  };
}

/** One GET against the API server with the kubeconfig's credentials: status and body. */
function get(
  endpoint: ClusterEndpoint,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      new URL(path, endpoint.server),
      {
        ca: endpoint.ca,
        cert: endpoint.cert,
        key: endpoint.key,
        headers: endpoint.token ? { Authorization: `Bearer ${endpoint.token}` } : {},
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on("error", reject);
  });
}

/**
 * Resolves with nothing when `/readyz` answers 200; rejects with the reason
 * otherwise. A timeout is asked again (up to `attempts` times): the check
 * starts while the program registers its resources synchronously, and on a
 * loaded machine that can hold the event loop longer than the timeout, so
 * the timer fires before the answer that is already waiting is read (seen in
 * CI as "no answer within 15s" from a healthy sim). A refused connection or
 * an error status fails at once.
 */
export async function readyz(endpoint: ClusterEndpoint, timeoutMs = 15_000, attempts = 3): Promise<void> {
  let r: { status: number; body: string } | undefined;
  for (let i = 1; !r; i++) {
    try {
      r = await get(endpoint, "/readyz", timeoutMs);
    } catch (e) {
      if (i >= attempts || !/^no answer within/.test((e as Error).message)) throw e;
    }
  }
  if (r.status !== 200)
    throw new Error(`/readyz answered ${r.status}: ${r.body.trim().split("\n").slice(-3).join("; ")}`);
}

/**
 * Fails with a message naming the cluster, the kubeconfig's source, the
 * reason and the fix when the API server is not ready.
 */
export async function requireReachableCluster(
  kubeconfig: string,
  source: string,
  claims: readonly ClaimSize[] = [],
): Promise<void> {
  const endpoint = clusterEndpoint(kubeconfig);
  try {
    await readyz(endpoint);
  } catch (e) {
    throw new Error(
      `the cluster at ${endpoint.server} (kubeconfig ${source}) is unreachable: ${(e as Error).message} ` +
        `(expected its API server to answer /readyz; nothing was planned against it. For the simulated datacenter run \`npm run sim:up\`, or \`npm run sim:status\` to see what is down)`,
    );
  }
  const problems = [
    ...(await claimSizeProblems(endpoint, claims)),
    ...(await bindProblems(endpoint, claims)),
  ];
  if (problems.length > 0) {
    throw new Error(
      `invalid configuration: ${problems.length} problem(s) against the running cluster; nothing was changed\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}

/** GET a path of the API server as JSON; undefined on 404. */
export async function getJson(endpoint: ClusterEndpoint, path: string, timeoutMs = 15_000): Promise<unknown> {
  const r = await get(endpoint, path, timeoutMs);
  if (r.status === 404) return undefined;
  if (r.status !== 200) throw new Error(`GET ${path} answered ${r.status}`);
  return JSON.parse(r.body);
}

/** A StatefulSet claim whose size comes from config. */
export interface ClaimSize {
  readonly namespace: string;
  readonly statefulSet: string;
  /** The volumeClaimTemplate's name. */
  readonly claim: string;
  readonly storageGiB: number;
  /** The config key the size comes from, for the message. */
  readonly configPath: string;
  /** Pods of the StatefulSet: one claim each, `<claim>-<statefulSet>-<ordinal>`. */
  readonly replicas: number;
  readonly storageClass: string;
}

/** What the bind check reads of a PersistentVolume. */
export interface VolumeView {
  readonly name: string;
  readonly phase: string;
  readonly storageClass: string;
  readonly capacityGiB: number;
  /** `namespace/name` of the claim it is (or was) bound to. */
  readonly claimRef?: string;
}

/** "20Gi" / "512Mi" / "1Ti" → GiB (0 when unreadable: such a volume fits nothing). */
export function gib(quantity: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(Mi|Gi|Ti)?$/.exec(quantity ?? "");
  if (!m) return 0;
  const n = Number(m[1]);
  return m[2] === "Mi" ? n / 1024 : m[2] === "Ti" ? n * 1024 : m[2] === "Gi" ? n : n / 2 ** 30;
}

/**
 * Claims that cannot bind, before any is created: a claim whose volume is
 * Released (its claim was deleted — by a destroy that took the namespace —
 * so a new claim of that name starts on another, empty volume or on none),
 * and claims of a StorageClass with fewer Available volumes big enough than
 * the missing claims of that class (a sound bound: other workloads only
 * take more). `existing` holds the claims already there (`namespace/name`).
 * Before, such an `up` waited ten minutes and timed out with a message that
 * did not mention storage (issue 14).
 */
export function claimBindProblems(
  claims: readonly ClaimSize[],
  existing: ReadonlySet<string>,
  volumes: readonly VolumeView[],
): string[] {
  const problems: string[] = [];
  const missing = new Map<string, { claim: string; c: ClaimSize }[]>();
  for (const c of claims) {
    for (let i = 0; i < c.replicas; i++) {
      const claim = `${c.namespace}/${c.claim}-${c.statefulSet}-${i}`;
      if (existing.has(claim)) continue;
      const released = volumes.find((v) => v.phase === "Released" && v.claimRef === claim);
      if (released) {
        problems.push(
          `claim ${claim} cannot get its data back: volume ${released.name} still holds it but is Released (the claim was deleted), ` +
            `so a new claim would start empty on another volume (expected the claim kept, see README "What destroy keeps"; ` +
            `to reattach: kubectl patch pv ${released.name} --type=json -p '[{"op":"remove","path":"/spec/claimRef/uid"}]', then run again)`,
        );
        continue;
      }
      const list = missing.get(c.storageClass) ?? [];
      list.push({ claim, c });
      missing.set(c.storageClass, list);
    }
  }
  for (const [cls, wanted] of missing) {
    const free = volumes
      .filter((v) => v.phase === "Available" && v.storageClass === cls && !v.claimRef)
      .map((v) => v.capacityGiB)
      .sort((a, b) => a - b);
    // Largest claims first, each on the smallest free volume that fits.
    for (const w of [...wanted].sort((a, b) => b.c.storageGiB - a.c.storageGiB)) {
      const i = free.findIndex((g) => g >= w.c.storageGiB);
      if (i >= 0) {
        free.splice(i, 1);
        continue;
      }
      const released = volumes.filter((v) => v.phase === "Released" && v.storageClass === cls).length;
      problems.push(
        `claim ${w.claim} (${w.c.storageGiB}Gi, StorageClass ${cls}, from ${w.c.configPath}) cannot bind: no Available PersistentVolume of that class has ${w.c.storageGiB}Gi left` +
          `${released ? ` (${released} of that class are Released: their claims were deleted and they keep the data)` : ""} ` +
          `(expected enough volumes of class ${cls}: add volumes, or free Released ones)`,
      );
    }
  }
  return problems;
}

/**
 * A StatefulSet's claim templates cannot change: Kubernetes refuses the
 * update, and replacing the StatefulSet (it has a fixed name, so the
 * provider would delete it first) would start the tier on empty volumes.
 * So a size in config that differs from the running StatefulSet's is refused
 * before anything is planned. `live` is the running size ("20Gi"), or
 * undefined when the StatefulSet does not exist yet.
 */
export function claimSizeProblem(c: ClaimSize, live: string | undefined): string | undefined {
  if (live === undefined || live === `${c.storageGiB}Gi`) return undefined;
  return (
    `${c.configPath}: ${c.storageGiB} differs from the ${live} the running StatefulSet ${c.namespace}/${c.statefulSet} made its "${c.claim}" claims with ` +
    `(expected ${live.replace(/Gi$/, "")}: claim templates cannot change in place, and replacing the StatefulSet would start it on empty volumes; ` +
    `to grow, add replicas, or expand each claim where the StorageClass allows it and then set the new size)`
  );
}

/** Every claim-size problem against the running cluster, as messages. */
export async function claimSizeProblems(
  endpoint: ClusterEndpoint,
  claims: readonly ClaimSize[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const c of claims) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read field by field
    const sts: any = await getJson(
      endpoint,
      `/apis/apps/v1/namespaces/${c.namespace}/statefulsets/${c.statefulSet}`,
    );
    const template = (sts?.spec?.volumeClaimTemplates ?? []).find(
      (t: { metadata?: { name?: string } }) => t.metadata?.name === c.claim,
    );
    const p = claimSizeProblem(c, template?.spec?.resources?.requests?.storage);
    if (p) problems.push(p);
  }
  return problems;
}

async function bindProblems(endpoint: ClusterEndpoint, claims: readonly ClaimSize[]): Promise<string[]> {
  if (claims.length === 0) return [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read field by field
  const pvs: any = await getJson(endpoint, "/api/v1/persistentvolumes");
  const volumes: VolumeView[] = (pvs?.items ?? []).map(
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a PersistentVolume
    (v: any): VolumeView => ({
      name: v.metadata.name,
      phase: v.status?.phase ?? "",
      storageClass: v.spec?.storageClassName ?? "",
      capacityGiB: gib(v.spec?.capacity?.storage),
      claimRef: v.spec?.claimRef ? `${v.spec.claimRef.namespace}/${v.spec.claimRef.name}` : undefined,
    }),
  );
  const existing = new Set<string>();
  for (const ns of new Set(claims.map((c) => c.namespace))) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a PersistentVolumeClaimList
    const list: any = await getJson(endpoint, `/api/v1/namespaces/${ns}/persistentvolumeclaims`);
    for (const c of list?.items ?? []) existing.add(`${ns}/${c.metadata.name}`);
  }
  return claimBindProblems(claims, existing, volumes);
}
