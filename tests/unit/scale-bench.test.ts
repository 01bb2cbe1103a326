/**
 * The pure parts of `npm run bench:scale`: what it reads from /proc, from the
 * CLI's output and from the state, and what it reports. A bench that summed
 * the wrong processes, misnamed a failed resource or divided the wrong pair
 * of timings would put a wrong figure in the README. No timings here.
 */
import { parseAllDocuments } from "yaml";
import { parentPid, peakRssMiB, roleOf } from "../../scripts/lib/proc-peak";
import {
  STEP,
  codeOwner,
  daemonSetRollout,
  failedResources,
  goalMisses,
  objectsFromState,
  ratio,
  ratiosOf,
  reportTable,
  resourceCount,
  secretForKubectl,
  unwrapSecrets,
  summariseCpuProfile,
  type SizeResult,
} from "../../scripts/lib/scale-report";

describe("/proc readers", () => {
  it.each([
    ["1234 (pulumi) S 1200 1234 1200 0 -1", 1200],
    // A command name with spaces and a ")" must not shift the fields.
    ["99 (node (x) y) R 42 99 99 0 -1", 42],
    ["garbage", undefined],
  ])("parentPid(%j) = %j", (stat, want) => {
    expect(parentPid(stat)).toBe(want);
  });

  it("reads the peak resident set (VmHWM) in MiB, not the current one", () => {
    const status = "Name:\tpulumi\nVmPeak:\t 900000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n";
    expect(peakRssMiB(status)).toBe(200);
    expect(peakRssMiB("Name:\tzombie\n")).toBeUndefined();
  });

  it.each([
    ["pulumi", "pulumi up --yes", "cli"],
    ["pulumi-resource-k", "/x/bin/pulumi-resource-kubernetes", "kubernetesProvider"],
    ["node", "node /repo/policy/node_modules/@pulumi/pulumi/cmd/run-policy-pack /repo/policy", "policyPack"],
    ["pulumi-language", "pulumi-language-nodejs 127.0.0.1:1", "languageHost"],
    ["node", "node /repo/node_modules/@pulumi/pulumi/cmd/run /repo", "languageHost"],
    ["bash", "bash -c true", "other"],
  ])("roleOf(%j, %j) = %s", (comm, cmdline, role) => {
    expect(roleOf(comm, cmdline)).toBe(role);
  });
});

describe("CLI output readers", () => {
  it("counts the resources of a preview and of an up", () => {
    expect(resourceCount("Resources:\n    + 265 to create\n")).toBe(265);
    expect(resourceCount("Resources:\n    + 261 created\n    4 errored\n")).toBe(261);
    expect(resourceCount("Resources:\n    265 unchanged\n")).toBeUndefined();
  });

  it("names each failed resource once, with its first error line", () => {
    const out = [
      "Updating (sim-1k):",
      " +  kubernetes:apps/v1:DaemonSet sim-1k-calico-calico-node creating failed error: 1 error occurred",
      "Diagnostics:",
      "  kubernetes:apps/v1:DaemonSet (sim-1k-calico-calico-node):",
      "    error: 1 error occurred:",
      '    \t* the Kubernetes API server reported that "calico-system/calico-node" failed to fully initialize',
      "  pulumi:pulumi:Stack (private-cloud-sim-1k):",
      "    info: host access is off",
      "  kubernetes:apps/v1:Deployment (sim-1k-ingress-shop-nginx):",
      "    warning: something",
      "    error: resource timed out",
      "Resources:",
    ].join("\n");
    expect(failedResources(out)).toEqual([
      { resource: "kubernetes:apps/v1:DaemonSet (sim-1k-calico-calico-node)", error: "1 error occurred:" },
      { resource: "kubernetes:apps/v1:Deployment (sim-1k-ingress-shop-nginx)", error: "resource timed out" },
    ]);
    expect(failedResources("Resources:\n + 3 created\n")).toEqual([]);
  });
});

describe("daemonSetRollout", () => {
  const ds = (name: string, desired?: number, ready?: number, updated?: number) => ({
    metadata: { namespace: "ns", name },
    status: { desiredNumberScheduled: desired, numberReady: ready, updatedNumberScheduled: updated },
  });

  it("is done when the expected DaemonSets all have every pod updated and ready", () => {
    expect(daemonSetRollout([ds("a", 3, 3, 3), ds("b", 2, 2, 2)], 2)).toEqual({
      done: true,
      pods: 5,
      daemonSets: 2,
      behind: [],
    });
  });

  it.each([
    ["a pod not ready", [ds("a", 3, 2, 3)], 1, ["ns/a 2/3"]],
    ["a pod of the old template", [ds("a", 3, 3, 2)], 1, ["ns/a 3/3"]],
    ["nothing scheduled yet", [ds("a", 0, 0, 0)], 1, ["ns/a 0/0"]],
    ["no status yet", [{ metadata: { namespace: "ns", name: "a" } }], 1, ["ns/a 0/0"]],
    ["a DaemonSet not created yet", [ds("a", 3, 3, 3)], 2, []],
  ])("is not done with %s", (_what, items, expected, behind) => {
    const r = daemonSetRollout(items, expected);
    expect(r.done).toBe(false);
    expect(r.behind).toEqual(behind);
  });
});

describe("the kubectl baseline's objects", () => {
  const state = JSON.stringify({
    deployment: {
      resources: [
        { type: "pulumi:pulumi:Stack" },
        { type: "pulumi:providers:kubernetes", inputs: { kubeconfig: "x" } },
        { type: "command:local:Command", inputs: { create: "true" } },
        {
          type: "kubernetes:apps/v1:DaemonSet",
          inputs: {
            apiVersion: "apps/v1",
            kind: "DaemonSet",
            metadata: { name: "d", namespace: "n" },
            spec: {},
          },
        },
        {
          type: "kubernetes:core/v1:Secret",
          inputs: {
            apiVersion: "v1",
            kind: "Secret",
            metadata: { name: "s", namespace: "n" },
            data: { "ca.crt": "-----BEGIN CERTIFICATE-----\nMII\n", token: "dG9rZW4=" },
          },
        },
        {
          type: "kubernetes:core/v1:Namespace",
          inputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "n" } },
        },
        {
          type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
          inputs: {
            apiVersion: "apiextensions.k8s.io/v1",
            kind: "CustomResourceDefinition",
            metadata: { name: "c" },
          },
        },
      ],
    },
  });

  it("keeps only Kubernetes objects, CRDs then namespaces first", () => {
    const o = objectsFromState(state);
    expect(o.count).toBe(4);
    expect(o.daemonSets).toBe(1);
    const kinds = parseAllDocuments(o.yaml).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(["CustomResourceDefinition", "Namespace", "DaemonSet", "Secret"]);
  });

  it("sends Secret values the program gave in plain text as stringData, base64 ones as data", () => {
    const s = secretForKubectl({
      kind: "Secret",
      data: { plain: "not base64!", b64: "dG9rZW4=" },
      stringData: { keep: "me" },
    });
    expect(s.data).toEqual({ b64: "dG9rZW4=" });
    expect(s.stringData).toEqual({ keep: "me", plain: "not base64!" });
    const docs = parseAllDocuments(objectsFromState(state).yaml).map((d) => d.toJS());
    expect(docs[3].stringData["ca.crt"]).toBe("-----BEGIN CERTIFICATE-----\nMII\n");
  });
});

describe("unwrapSecrets", () => {
  const secret = (v: unknown) => ({
    "4dabf18193072939515e22adad3e2": "1b47061264138c4ac30d75fd1eb44270",
    plaintext: JSON.stringify(v),
  });

  it("gives a Secret's data as kubectl must see it, not Pulumi's secret wrapper", () => {
    const exported = JSON.stringify({
      deployment: {
        resources: [
          {
            type: "kubernetes:core/v1:Secret",
            inputs: {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name: "grafana-admin", namespace: "monitoring" },
              data: secret({ password: "s3cret!" }),
            },
          },
        ],
      },
    });
    const [doc] = parseAllDocuments(objectsFromState(exported).yaml).map((d) => d.toJS());
    expect(doc.data).toEqual({});
    expect(doc.stringData).toEqual({ password: "s3cret!" });
    expect(objectsFromState(exported).yaml).not.toContain("4dabf18193072939515e22adad3e2");
  });

  it("unwraps nested secrets and refuses an export without plaintext", () => {
    expect(unwrapSecrets({ a: [secret({ b: secret("c") })] })).toEqual({ a: [{ b: "c" }] });
    expect(() =>
      unwrapSecrets({ "4dabf18193072939515e22adad3e2": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "x" }),
    ).toThrow(/--show-secrets/);
  });
});

function result(nodes: number, seconds: Record<string, number>): SizeResult {
  return {
    nodes,
    stack: nodes === 1000 ? "sim-1k" : "sim",
    resources: 265,
    kubernetesObjects: 250,
    daemonSets: 8,
    daemonSetPods: 2990,
    seconds,
    load: Object.fromEntries(Object.keys(seconds).map((k) => [k, "3.0"])),
    peaksMiB: {},
    ratios: ratiosOf(seconds),
  };
}

describe("ratios, goals and the report", () => {
  it("divides pulumi by the kubectl step doing the same work", () => {
    const r = ratiosOf({
      [STEP.noopPreview]: 24,
      [STEP.preview]: 30,
      [STEP.kubectlDryRun]: 8,
      [STEP.noopUp]: 18,
      [STEP.kubectlApply]: 9,
    });
    expect(r).toEqual({
      "no-op preview --policy-pack / kubectl dry-run": 3,
      "preview from empty / kubectl dry-run": 3.8,
      "no-op up / kubectl apply": 2,
    });
    expect(ratio(1, 0)).toBeUndefined();
    expect(ratio(undefined, 2)).toBeUndefined();
  });

  it("reports each goal missed at 1,000 nodes, and a step never measured as missed", () => {
    const ok = result(1000, {
      [STEP.noopPreview]: 24,
      [STEP.kubectlDryRun]: 10,
      [STEP.noopUp]: 18,
      [STEP.kubectlApply]: 9,
    });
    expect(goalMisses(ok)).toEqual([]);
    const slow = result(1000, {
      [STEP.noopPreview]: 40,
      [STEP.kubectlDryRun]: 10,
      [STEP.noopUp]: 18,
    });
    expect(goalMisses(slow)).toEqual([
      "no-op preview 40 s > 30 s",
      "no-op preview --policy-pack / kubectl dry-run 4× > 3×",
      "no-op up / kubectl apply: not measured",
    ]);
  });

  it("writes one row per step and ratio, one column per size, a dash where a size lacks the step", () => {
    const t = reportTable([
      result(22, { [STEP.noopUp]: 5, [STEP.kubectlApply]: 2.5 }),
      result(1000, { [STEP.noopUp]: 18, [STEP.kubectlApply]: 9, [STEP.rollout]: 300 }),
    ]);
    const rows = t.trim().split("\n");
    expect(rows[0]).toBe(
      "| seconds (1-min load average at start) | 22 nodes (`sim`) | 1000 nodes (`sim-1k`) |",
    );
    expect(rows).toContain("| no-op up | 5 (3.0) | 18 (3.0) |");
    expect(rows).toContain(`| ${STEP.rollout} | — | 300 (3.0) |`);
    expect(rows).toContain("| ratio: no-op up / kubectl apply | 2× | 2× |");
    expect(rows.every((r) => r.split("|").length === 5)).toBe(true);
  });
});

describe("summariseCpuProfile", () => {
  it.each([
    ["/repo/node_modules/@pulumi/pulumi/runtime/rpc.js", "fn", "@pulumi/pulumi"],
    ["/repo/node_modules/yaml/dist/index.js", "fn", "yaml"],
    ["file:///repo/components/calico-bgp/index.ts", "fn", "program: components"],
    ["node:internal/streams", "fn", "node:internal"],
    ["", "(garbage collector)", "(garbage collector)"],
  ])("codeOwner(%j) = %j", (url, fn, owner) => {
    expect(codeOwner(url, fn)).toBe(owner);
  });

  it("adds each sample's time to the function it landed in and to that function's owner", () => {
    const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });
    const s = summariseCpuProfile({
      nodes: [
        { id: 1, callFrame: frame("(root)", "") },
        { id: 2, callFrame: frame("serialize", "/r/node_modules/@pulumi/pulumi/runtime/rpc.js") },
        { id: 3, callFrame: frame("build", "/r/components/x.ts") },
      ],
      samples: [2, 2, 3, 1],
      timeDeltas: [1000, 3000, 2000, 500],
    });
    expect(s.totalMs).toBe(7);
    expect(s.byOwner[0]).toEqual({ owner: "@pulumi/pulumi", ms: 4 });
    expect(s.byOwner[1]).toEqual({ owner: "program: components", ms: 2 });
    expect(s.byFunction[0]).toEqual({ fn: "serialize @pulumi/pulumi/runtime/rpc.js:10", ms: 4 });
  });
});
