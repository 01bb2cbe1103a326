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

/** Resolves with nothing when `/readyz` answers 200; rejects with the reason otherwise. */
export function readyz(endpoint: ClusterEndpoint, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL("/readyz", endpoint.server);
    const req = https.get(
      url,
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
        res.on("end", () =>
          res.statusCode === 200
            ? resolve()
            : reject(
                new Error(
                  `/readyz answered ${res.statusCode}: ${body.trim().split("\n").slice(-3).join("; ")}`,
                ),
              ),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000}s`)));
    req.on("error", reject);
  });
}

/**
 * Fails with a message naming the cluster, the kubeconfig's source, the
 * reason and the fix when the API server is not ready.
 */
export async function requireReachableCluster(kubeconfig: string, source: string): Promise<void> {
  const endpoint = clusterEndpoint(kubeconfig);
  try {
    await readyz(endpoint);
  } catch (e) {
    throw new Error(
      `the cluster at ${endpoint.server} (kubeconfig ${source}) is unreachable: ${(e as Error).message} ` +
        `(expected its API server to answer /readyz; nothing was planned against it. For the simulated datacenter run \`npm run sim:up\`, or \`npm run sim:status\` to see what is down)`,
    );
  }
}
