/**
 * The pure parts of day two (issue 14): content names, field ownership,
 * the claim-size refusal, the unlock verdict, the drift report, reading a
 * kubeconfig. The whole is tested against a simulated datacenter in
 * tests/e2e/day2.test.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { contentName } from "../../components/common/digest";
import { isOwnedKubernetesType, PATCH_FORCE_ANNOTATION, withPatchForce } from "../../stacks/ownership";
import {
  claimBindProblems,
  claimSizeProblem,
  clusterEndpoint,
  gib,
  requireReachableCluster,
} from "../../stacks/cluster";
import { freePort } from "../../scripts/lib/free-port";
import { verdict } from "../../scripts/unlock";
import { driftReport } from "../../scripts/drift";
import { pendingOperations, sharedArgs } from "../../scripts/repair";
import { s3Location } from "../../scripts/lib/s3-locks";
import { testCa } from "../helpers/kubeconfig";

const resolved = <T>(o: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => (o as pulumi.Output<T>).apply((v) => resolve(v)));

describe("contentName", () => {
  it("follows the content, not the key order", () => {
    expect(contentName("nginx-controller", { a: "1", b: "2" })).toBe(
      contentName("nginx-controller", { b: "2", a: "1" }),
    );
    expect(contentName("nginx-controller", { a: "1" })).toMatch(/^nginx-controller-[0-9a-f]{10}$/);
  });
  it("changes with any key or value", () => {
    const base = contentName("x", { a: "1" });
    expect(contentName("x", { a: "2" })).not.toBe(base);
    expect(contentName("x", { b: "1" })).not.toBe(base);
    // a key/value boundary moved is another content
    expect(contentName("x", { ab: "" })).not.toBe(contentName("x", { a: "b" }));
  });
});

describe("platform ownership", () => {
  it.each([
    ["kubernetes:core/v1:ConfigMap", true],
    ["kubernetes:apps/v1:Deployment", true],
    ["kubernetes:core/v1:Namespace", true],
    ["kubernetes:core/v1:NodePatch", false],
    ["pulumi:providers:kubernetes", false],
    ["command:local:Command", false],
    ["random:index/randomPassword:RandomPassword", false],
  ])("%s owned: %s", (type, owned) => {
    expect(isOwnedKubernetesType(type)).toBe(owned);
  });

  it("adds the force annotation and keeps the others", async () => {
    const props = withPatchForce("kubernetes:apps/v1:Deployment", {
      metadata: { name: "grafana", annotations: { keep: "me" } },
      spec: { replicas: 1 },
    });
    expect(props?.spec).toEqual({ replicas: 1 });
    const meta = props?.metadata;
    expect(meta).toEqual({ name: "grafana", annotations: { keep: "me", [PATCH_FORCE_ANNOTATION]: "true" } });
  });

  it("also annotates metadata given as an Output", async () => {
    const props = withPatchForce("kubernetes:core/v1:Secret", { metadata: pulumi.output({ name: "s" }) });
    const meta = await resolved(props?.metadata as pulumi.Output<Record<string, unknown>>);
    expect(meta).toEqual({ name: "s", annotations: { [PATCH_FORCE_ANNOTATION]: "true" } });
  });

  it("leaves patches alone: node labels are shared with other writers", () => {
    expect(withPatchForce("kubernetes:core/v1:NodePatch", { metadata: { name: "n1" } })).toBeUndefined();
  });
});

describe("claim sizes against the running StatefulSet", () => {
  const c = {
    namespace: "logging",
    statefulSet: "es-data",
    claim: "data",
    storageGiB: 30,
    configPath: "private-cloud:logging.dataStorageGiB",
    replicas: 2,
    storageClass: "local-retain",
  };
  it("accepts a first run and an unchanged size", () => {
    expect(claimSizeProblem(c, undefined)).toBeUndefined();
    expect(claimSizeProblem(c, "30Gi")).toBeUndefined();
  });
  it("refuses a resize naming the path, both sizes and what to do", () => {
    const p = claimSizeProblem(c, "20Gi") ?? "";
    expect(p).toContain("private-cloud:logging.dataStorageGiB: 30 differs from the 20Gi");
    expect(p).toContain("logging/es-data");
    expect(p).toContain("expected 20");
  });
});

describe("claims that cannot bind", () => {
  const c = {
    namespace: "logging",
    statefulSet: "es-data",
    claim: "data",
    storageGiB: 20,
    configPath: "private-cloud:logging.dataStorageGiB",
    replicas: 2,
    storageClass: "local-retain",
  };
  const vol = (name: string, phase: string, capacityGiB = 50, claimRef?: string) => ({
    name,
    phase,
    storageClass: "local-retain",
    capacityGiB,
    claimRef,
  });
  it("passes when the claims exist, or enough volumes are Available", () => {
    expect(claimBindProblems([c], new Set(["logging/data-es-data-0", "logging/data-es-data-1"]), [])).toEqual(
      [],
    );
    expect(claimBindProblems([c], new Set(), [vol("v1", "Available"), vol("v2", "Available")])).toEqual([]);
  });
  it("names a claim whose volume was Released by a deleted claim, and how to reattach it", () => {
    const p = claimBindProblems([c], new Set(["logging/data-es-data-1"]), [
      vol("v1", "Released", 50, "logging/data-es-data-0"),
      vol("v2", "Available"),
    ]);
    expect(p).toHaveLength(1);
    expect(p[0]).toContain("claim logging/data-es-data-0 cannot get its data back: volume v1");
    expect(p[0]).toContain("kubectl patch pv v1");
  });
  it("names the claim that finds no volume big enough, and counts Released ones", () => {
    const p = claimBindProblems([c], new Set(), [
      vol("v1", "Available", 20),
      vol("small", "Available", 10),
      vol("old", "Released", 50, "logging/data-es-data-9"),
    ]);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /claim logging\/data-es-data-[01] \(20Gi, StorageClass local-retain, from private-cloud:logging.dataStorageGiB\) cannot bind/,
    );
    expect(p[0]).toContain("1 of that class are Released");
  });
  it.each([
    ["20Gi", 20],
    ["512Mi", 0.5],
    ["1Ti", 1024],
    ["", 0],
  ])("reads %s as %d GiB", (q, g) => {
    expect(gib(q)).toBe(g);
  });
});

describe("unlock", () => {
  const lock = { file: "/s/l.json", pid: 4242, username: "alice", hostname: "here", timestamp: "t" };
  const base = { hostname: "here", otherHost: false };
  it("refuses while the holder runs, and names it", () => {
    const v = verdict("dc-a", lock, { ...base, live: () => "pulumi up -s dc-a" });
    expect(v.remove).toBe(false);
    expect(v.why).toContain("alice@here (pid 4242)");
    expect(v.why).toContain("still running");
  });
  it("removes when the holder is gone, or the pid now belongs to another program", () => {
    expect(verdict("dc-a", lock, { ...base, live: () => undefined }).remove).toBe(true);
    expect(verdict("dc-a", lock, { ...base, live: () => "/usr/bin/vim" }).remove).toBe(true);
  });
  it("refuses a lock from another host unless told", () => {
    const other = { ...lock, hostname: "ci-runner-7" };
    expect(verdict("dc-a", other, { ...base, live: () => undefined })).toMatchObject({ remove: false });
    expect(verdict("dc-a", other, { ...base, otherHost: true, live: () => undefined }).remove).toBe(true);
  });
});

describe("drift report", () => {
  it("says no drift", () => {
    expect(driftReport("sim", [])).toContain("no drift");
  });
  it("lists each resource with what repair does", () => {
    const r = driftReport("sim", [
      { urn: "u1", type: "kubernetes:core/v1:ConfigMap", name: "cm", change: "create", because: [] },
      {
        urn: "u2",
        type: "kubernetes:apps/v1:Deployment",
        name: "ksm",
        change: "update",
        because: ["spec.replicas"],
      },
    ]);
    expect(r).toContain("drift in 2 resource(s)");
    expect(r).toMatch(/create +kubernetes:core\/v1:ConfigMap cm: missing from the cluster/);
    expect(r).toContain("fields: spec.replicas");
  });
});

describe("reading backends and kubeconfigs", () => {
  it("parses the s3 backend URL the README documents", () => {
    const loc = s3Location(
      "s3://pulumi-state?endpoint=127.0.0.1:24470&s3ForcePathStyle=true&disableSSL=true&region=us-east-1",
      { AWS_ACCESS_KEY_ID: "k", AWS_SECRET_ACCESS_KEY: "s" },
    );
    expect(loc).toMatchObject({
      endpoint: "http://127.0.0.1:24470",
      bucket: "pulumi-state",
      prefix: "",
      region: "us-east-1",
    });
    expect(() => s3Location("s3://b", {})).toThrow(/AWS_ACCESS_KEY_ID/);
  });
  it("fails with the server, the kubeconfig and the fix when nothing answers", async () => {
    const port = await freePort();
    const kc = testCa().kubeconfig.replace("https://127.0.0.1:6443", `https://127.0.0.1:${port}`);
    await expect(requireReachableCluster(kc, ".sim/kubeconfig")).rejects.toThrow(
      new RegExp(
        `^the cluster at https://127.0.0.1:${port} \\(kubeconfig .sim/kubeconfig\\) is unreachable: connect ECONNREFUSED .*npm run sim:up`,
      ),
    );
  });

  it("finds the current context's server and credentials", () => {
    const e = clusterEndpoint(testCa().kubeconfig);
    expect(e.server).toBe("https://127.0.0.1:6443");
    expect(e.token).toBe("test");
    expect(e.ca).toContain("BEGIN CERTIFICATE");
  });
});

describe("repair", () => {
  it("passes refresh only the arguments it understands", () => {
    expect(sharedArgs(["--config-file", "c.yaml", "--policy-pack", "policy", "--parallel=4"])).toEqual([
      "--config-file",
      "c.yaml",
      "--parallel=4",
    ]);
  });
  it("reads pending operations from an exported state", () => {
    const exported = JSON.stringify({
      version: 3,
      deployment: {
        pending_operations: [{ type: "creating", resource: { urn: "urn:pulumi:sim::p::t::n" } }],
      },
    });
    expect(pendingOperations(exported)).toEqual([{ type: "creating", urn: "urn:pulumi:sim::p::t::n" }]);
    expect(pendingOperations(JSON.stringify({ version: 3, deployment: {} }))).toEqual([]);
  });
});
