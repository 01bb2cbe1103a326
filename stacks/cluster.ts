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

/** Resolves with nothing when `/readyz` answers 200; rejects with the reason otherwise. */
export async function readyz(endpoint: ClusterEndpoint, timeoutMs = 15_000): Promise<void> {
  const r = await get(endpoint, "/readyz", timeoutMs);
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
  const problems = await claimSizeProblems(endpoint, claims);
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
