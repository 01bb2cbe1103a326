/**
 * The release's own rollout check (release/rollout.ts) on the objects the API
 * server returns: complete only when every replica runs the new template and
 * is available, and otherwise the pods' reasons, counted.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import {
  describeRollout,
  kubeAccess,
  readRollout,
  rolloutState,
  verifyRollout,
  type DeploymentObj,
  type PodObj,
  type ReplicaSetObj,
} from "../../release/rollout";

const REV = "deployment.kubernetes.io/revision";
const deployment = (status: DeploymentObj["status"], generation = 4, revision = "3"): DeploymentObj => ({
  metadata: { name: "shop", uid: "d-1", generation, annotations: { [REV]: revision } },
  spec: { replicas: 2, selector: { matchLabels: { app: "jetty" } } },
  status,
});
const rs = (uid: string, revision: string): ReplicaSetObj => ({
  metadata: { name: `shop-${uid}`, uid, annotations: { [REV]: revision }, ownerReferences: [{ uid: "d-1" }] },
});
const pod = (name: string, owner: string, status: PodObj["status"]): PodObj => ({
  metadata: { name, ownerReferences: [{ uid: owner }] },
  status,
});
const unschedulable = {
  phase: "Pending",
  conditions: [
    {
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message: "0/22 nodes are available: 22 node(s) didn't match Pod's node affinity/selector. ",
    },
  ],
};
const running = { phase: "Running", conditions: [{ type: "PodScheduled", status: "True" }] };
const sets = [rs("old", "2"), rs("new", "3")];

describe("rolloutState", () => {
  it("is complete when the controller saw this generation and every replica is updated and available", () => {
    const d = deployment({ observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 2 });
    expect(rolloutState(d, sets, [pod("a", "new", running), pod("b", "new", running)])).toMatchObject({
      complete: true,
      problems: [],
    });
  });

  it.each([
    [
      "the controller has not seen the new generation",
      { observedGeneration: 3, replicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    ],
    [
      "a surge pod of the new template is still pending",
      {
        observedGeneration: 4,
        replicas: 3,
        updatedReplicas: 1,
        availableReplicas: 2,
        unavailableReplicas: 1,
      },
    ],
    ["no status yet", undefined],
  ])("is not complete when %s", (_what, status) => {
    expect(rolloutState(deployment(status), sets, []).complete).toBe(false);
  });

  it("names the scheduler's reason for the new template's pods only, counted", () => {
    // Two replicas, one surge pod of the new template that cannot be placed.
    const d = deployment({
      observedGeneration: 4,
      replicas: 3,
      updatedReplicas: 1,
      availableReplicas: 2,
      unavailableReplicas: 1,
    });
    const r = rolloutState(d, sets, [
      pod("old-a", "old", running),
      pod("old-b", "old", running),
      pod("old-c", "old", unschedulable), // an old pod's trouble is not this rollout's
      pod("new-a", "new", unschedulable),
    ]);
    expect(r.problems).toEqual([
      "1 pod cannot be scheduled: 0/22 nodes are available: 22 node(s) didn't match Pod's node affinity/selector.",
    ]);
    expect(describeRollout("shop", "shop", r)).toBe(
      "Deployment shop/shop: 1/2 pods on the new version, 2 available; 1 pod cannot be scheduled: 0/22 nodes are available: 22 node(s) didn't match Pod's node affinity/selector.",
    );
    const two = rolloutState(d, sets, [
      pod("new-a", "new", unschedulable),
      pod("new-b", "new", unschedulable),
    ]);
    expect(two.problems[0]).toMatch(/^2 pods cannot be scheduled: 0\/22 nodes/);
  });

  it("names a waiting container's reason (not the normal ContainerCreating)", () => {
    const d = deployment({ observedGeneration: 4, replicas: 2, updatedReplicas: 1 });
    const waiting = (reason: string, message?: string) => ({
      ...running,
      containerStatuses: [{ name: "app", state: { waiting: { reason, message } } }],
    });
    const r = rolloutState(d, sets, [
      pod("new-a", "new", waiting("ImagePullBackOff", "Back-off pulling image registry/shop/web:9.9.9")),
      pod("new-b", "new", waiting("ContainerCreating")),
    ]);
    expect(r.problems).toEqual([
      "1 pod container app: ImagePullBackOff: Back-off pulling image registry/shop/web:9.9.9",
    ]);
  });
});

describe("kubeAccess", () => {
  it("reads the current context's server and inline credentials", () => {
    const kc = [
      "apiVersion: v1",
      "current-context: admin@sim",
      "clusters: [{ name: sim, cluster: { server: 'https://127.0.0.1:19443/', certificate-authority-data: Y2E= } }]",
      "users: [{ name: admin, user: { client-certificate-data: Y2VydA==, client-key-data: a2V5 } }]",
      "contexts: [{ name: admin@sim, context: { cluster: sim, user: admin } }]",
    ].join("\n");
    const a = kubeAccess(kc);
    expect([a.server, a.ca?.toString(), a.cert?.toString(), a.key?.toString()]).toEqual([
      "https://127.0.0.1:19443",
      "ca",
      "cert",
      "key",
    ]);
  });

  it("refuses a kubeconfig without a server, saying what it expected", () => {
    expect(() => kubeAccess("apiVersion: v1\nclusters: []\n")).toThrow(
      "kubeconfig has no cluster server (expected clusters[].cluster.server)",
    );
  });
});

describe("readRollout over HTTPS (a stand-in API server with a throwaway certificate)", () => {
  let server: https.Server;
  let kubeconfig: string;
  const seen: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-rollout-"));

  beforeAll(async () => {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        .concat([
          "-keyout",
          `${dir}/tls.key`,
          "-out",
          `${dir}/tls.crt`,
          "-days",
          "1",
          "-subj",
          "/CN=apiserver",
        ])
        .concat(["-addext", "subjectAltName=IP:127.0.0.1"]),
      { stdio: "ignore" },
    );
    const cert = fs.readFileSync(`${dir}/tls.crt`);
    const objects: Record<string, unknown> = {
      "/apis/apps/v1/namespaces/shop/deployments/shop": deployment({
        observedGeneration: 4,
        replicas: 3,
        updatedReplicas: 1,
        availableReplicas: 2,
        unavailableReplicas: 1,
      }),
      "/apis/apps/v1/namespaces/shop/replicasets": { items: sets },
      "/api/v1/namespaces/shop/pods": { items: [pod("new-a", "new", unschedulable)] },
    };
    server = https.createServer({ key: fs.readFileSync(`${dir}/tls.key`), cert }, (req, res) => {
      const url = new URL(req.url ?? "/", "https://x");
      seen.push(
        `${req.headers.authorization} ${url.pathname}?${url.searchParams.get("labelSelector") ?? ""}`,
      );
      const body = objects[url.pathname];
      res.writeHead(body ? 200 : 404, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body ?? { kind: "Status", code: 404 }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    kubeconfig = [
      "apiVersion: v1",
      "current-context: t",
      `clusters: [{ name: t, cluster: { server: "https://127.0.0.1:${port}", certificate-authority-data: ${cert.toString("base64")} } }]`,
      "users: [{ name: t, user: { token: secret-token } }]",
      "contexts: [{ name: t, context: { cluster: t, user: t } }]",
    ].join("\n");
  });
  afterAll(() => {
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the Deployment, its ReplicaSets and pods by the Deployment's selector, verifying the server's certificate", async () => {
    const r = await readRollout(kubeconfig, "shop", "shop");
    expect(r.complete).toBe(false);
    expect(r.problems).toEqual([expect.stringMatching(/^1 pod cannot be scheduled: 0\/22 nodes/)]);
    expect(seen.sort()).toEqual([
      "Bearer secret-token /api/v1/namespaces/shop/pods?app=jetty",
      "Bearer secret-token /apis/apps/v1/namespaces/shop/deployments/shop?",
      "Bearer secret-token /apis/apps/v1/namespaces/shop/replicasets?app=jetty",
    ]);
  });

  it("gives up after its deadline with what holds the rollout back", async () => {
    await expect(verifyRollout(kubeconfig, "shop", "shop", 0)).rejects.toThrow(
      /^rollout not complete after 0 s: Deployment shop\/shop: 1\/2 pods on the new version, 2 available; 1 pod cannot be scheduled/,
    );
  });

  it("says which object was missing", async () => {
    await expect(readRollout(kubeconfig, "shop", "bank")).rejects.toThrow(
      "GET /apis/apps/v1/namespaces/shop/deployments/bank: HTTP 404",
    );
  });
});
