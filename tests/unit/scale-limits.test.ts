/**
 * The scale limits the design reaches (README "Scale limits"), computed from
 * the model and the program's own DaemonSets, and the one behaviour they
 * drive: a fleet-wide DaemonSet whose one-node-at-a-time rollout cannot
 * finish within pulumi-kubernetes' 10-minute await is applied without it,
 * so `pulumi up` does not fail every Calico or tuning change on a large site.
 */
import * as path from "path";
import { calicoNodeDaemonSet } from "../../components/calico-bgp/workloads";
import {
  PROVIDER_AWAIT_SECONDS,
  podsAtOnce,
  rolloutEstimate,
  selects,
  withRolloutAwait,
} from "../../components/common/rollout";
import { describeLimits, scaleLimits } from "../../scripts/lib/scale-limits";
import { loadStackFile } from "../../stacks/config";
import { labelKeys } from "../../stacks/labels";
import type { Host } from "../../stacks/schema";
import { projectDir } from "../helpers/config";

const sim1k = loadStackFile(path.join(projectDir, "Pulumi.sim-1k.yaml"));
const sim = loadStackFile(path.join(projectDir, "Pulumi.sim.yaml"));

const host = (fn: Host["function"], machineType = "m24c128"): Host => ({
  hostname: `h-${fn}`,
  ip: "10.0.0.11",
  function: fn,
  room: "r1",
  rack: "r1a",
  machineType,
  cores: 24,
  memoryGiB: 128,
  disks: [],
});

const ds = (pod: object, maxUnavailable?: number | string) => ({
  metadata: { name: "d", annotations: { keep: "me" } },
  spec: {
    selector: { matchLabels: { a: "b" } },
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable } },
    template: { spec: { containers: [], ...pod } },
  },
});

describe("rollout maths", () => {
  it.each([
    [undefined, 100, 1],
    [1, 1000, 1],
    ["10%", 1000, 100],
    ["10%", 5, 1],
    ["25%", 22, 5],
  ])("maxUnavailable %j over %i nodes replaces %i at once", (max, nodes, want) => {
    expect(podsAtOnce(max, nodes)).toBe(want);
  });

  it("rejects a maxUnavailable it cannot read, naming it", () => {
    expect(() => podsAtOnce("ten", 10)).toThrow('maxUnavailable "ten" (expected a count or "N%")');
  });

  it("selects nodes by nodeSelector and by In / NotIn node affinity, as the scheduler would", () => {
    const bySelector = ds({ nodeSelector: { [labelKeys.machineType]: "m48c256" } });
    expect(selects(bySelector, host("web", "m48c256"))).toBe(true);
    expect(selects(bySelector, host("web"))).toBe(false);
    expect(selects(calicoNodeDaemonSet(sim1k), host("web"))).toBe(true);
    expect(selects(calicoNodeDaemonSet(sim1k), host("lvs"))).toBe(false);
  });

  it("keeps the await for a rollout that fits in it and drops it (keeping other annotations) for one that does not", () => {
    const web = Array.from({ length: 60 }, () => host("web"));
    const one = ds({}, 1);
    expect(rolloutEstimate(one, web, 10)).toEqual({
      nodes: 60,
      atOnce: 1,
      steps: 60,
      seconds: 600,
      withinAwait: true,
    });
    expect(withRolloutAwait(one, web, 10)).toBe(one);
    const slow = withRolloutAwait(one, web, 11);
    expect(slow.metadata).toEqual({ name: "d", annotations: { keep: "me", "pulumi.com/skipAwait": "true" } });
    expect(rolloutEstimate(one, web, 11).seconds).toBeGreaterThan(PROVIDER_AWAIT_SECONDS);
  });
});

describe("scaleLimits at 1,000 nodes (sim-1k)", () => {
  const l = scaleLimits(sim1k);

  it("peers each rack with its ToR: 40 peers, no ToR carrying more than its rack's 25 hosts", () => {
    expect(l.bgp).toMatchObject({ mode: "tor", peers: 40 });
    expect(l.bgp.maxSessionsPerPeer).toBeLessThanOrEqual(25);
    expect(l.bgp.fullMeshSessions).toBeGreaterThan(400_000);
  });

  it("gives every rack pool the blocks its nodes need when full", () => {
    expect(l.ipam).toHaveLength(40);
    for (const p of l.ipam) expect(p).toMatchObject({ blocks: 64, ok: true });
  });

  it("finds the fleet-wide one-at-a-time rollouts beyond the await, and node-exporter's within it", () => {
    const by = Object.fromEntries(l.rollouts.map((r) => [r.daemonSet, r]));
    expect(by["calico-node"]).toMatchObject({ nodes: 996, atOnce: 1, withinAwait: false });
    expect(by["tune-m24c128"].withinAwait).toBe(false);
    expect(by["tune-m48c256"].withinAwait).toBe(false);
    expect(by["node-exporter"]).toMatchObject({ nodes: 1000, atOnce: 100, withinAwait: true });
    expect(by["tune-m16c64x"].withinAwait).toBe(true);
  });

  it("puts the infra Prometheus within its memory limit at 1,000 nodes, with the shard point above it", () => {
    expect(l.prometheusInfra.targets).toBeGreaterThanOrEqual(3 * 1000);
    expect(l.prometheusInfra.headGiB).toBeLessThan(l.prometheusInfra.memoryLimitGiB);
    expect(l.prometheusInfra.maxNodes).toBeGreaterThan(1000);
    expect(describeLimits(l)).toHaveLength(3 + l.rollouts.length);
  });
});

describe("scaleLimits at 22 nodes (sim)", () => {
  it("awaits every DaemonSet rollout: nothing there outlasts the provider's await", () => {
    expect(scaleLimits(sim).rollouts.every((r) => r.withinAwait)).toBe(true);
  });
});
