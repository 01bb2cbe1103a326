/**
 * The numbers an ingress tier derives: nginx workers and their CPU masks from
 * the container's CPU limit, and the drain timing from the LVS health check.
 * Tables, no mocks. The policy pack checks with the same functions.
 */
import { gracefulTermination, nginxCpuAffinity, nginxWorkerProcesses } from "../../components/common/sizing";
import {
  controllerConfigData,
  ingressHostCores,
  lvsHealthCheck,
  nginxTuning,
  podPaths,
  renderNginxConf,
} from "../../components/ingress-tier/nginx";
import { fixture, modelOf } from "../helpers/config";

/** The cores a set of masks pins to (masks are written most significant bit first). */
const pinnedCores = (masks: readonly string[]) => masks.map((m) => m.length - 1 - m.indexOf("1"));

describe("nginx worker_processes follows the CPU limit (floor, at least 1; never auto)", () => {
  it.each([
    [500, 1],
    [1000, 1],
    [1500, 1],
    [2000, 2],
    [2500, 2],
    [4000, 4],
    [5000, 5],
    [5500, 5],
    [6000, 6],
    [8000, 8],
    [12000, 12],
    [24000, 24],
  ])("%im CPU limit → %i workers", (limit, workers) => {
    expect(nginxWorkerProcesses(limit)).toBe(workers);
  });
});

describe("worker_cpu_affinity spreads workers over a 24-core minion (offset 0)", () => {
  it.each([
    [500, [0]],
    [1000, [0]],
    [2000, [0, 12]],
    [4000, [0, 6, 12, 18]],
    [5000, [0, 4, 8, 12, 16]],
    [6000, [0, 4, 8, 12, 16, 20]],
    [8000, [0, 3, 6, 9, 12, 15, 18, 21]],
    [12000, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]],
    [24000, Array.from({ length: 24 }, (_, i) => i)],
  ])("%im → cores %j", (limit, cores) => {
    const masks = nginxCpuAffinity(nginxWorkerProcesses(limit), 24, 0);
    expect(masks).toHaveLength(cores.length);
    for (const m of masks) {
      expect(m).toMatch(/^[01]{24}$/);
      expect(m.split("").filter((c) => c === "1")).toHaveLength(1);
    }
    expect(pinnedCores(masks)).toEqual(cores);
  });

  it("writes masks most significant bit first, as nginx reads them", () => {
    expect(nginxCpuAffinity(2, 4, 0)).toEqual(["0001", "0100"]);
  });

  it("an offset moves the whole set (wrapping) instead of stacking every tier on core 0", () => {
    expect(pinnedCores(nginxCpuAffinity(4, 24, 22))).toEqual([22, 4, 10, 16]);
  });
});

describe("a business's tuning in the real stacks", () => {
  const cases = ["dc-a", "dc-b", "dc-c"].flatMap((dc) => {
    const model = modelOf(fixture(dc));
    return model.config.businesses.map((b) => [dc, b.name, model, b] as const);
  });

  it.each(cases)("%s/%s: one distinct core per worker, workers = floor(limit)", (_dc, _name, model, biz) => {
    const t = nginxTuning(model, biz);
    expect(t.workerProcesses).toBe(Math.floor(biz.cpuLimitMillis / 1000));
    expect(t.hostCores).toBe(ingressHostCores(model));
    const cores = pinnedCores(t.cpuAffinity);
    expect(new Set(cores).size).toBe(t.workerProcesses);
    expect(cores[0]).toBe(t.affinityOffset);
    expect(Math.max(...cores)).toBeLessThan(t.hostCores as number);
  });

  it("businesses sharing ingress hosts start their masks on different cores", () => {
    const model = modelOf(fixture("dc-a"));
    const offsets = model.config.businesses.map((b) => nginxTuning(model, b).affinityOffset);
    expect(new Set(offsets).size).toBe(offsets.length);
  });

  it("ingressHostCores is the core count every ingress machine has", () => {
    expect(ingressHostCores(modelOf(fixture("dc-c")))).toBe(32);
  });
});

describe("worker affinity on mixed ingress machine sizes", () => {
  // dc-c with half its ingress machines replaced by 64-core ones: one
  // ConfigMap per tier cannot know which machine a pod lands on.
  const mixed = () => {
    const f = fixture("dc-c");
    const ingress = f.inventory.hosts.filter((h) => h.function === "ingress");
    ingress.slice(0, 2).forEach((h) => Object.assign(h, { cores: 64, machineType: "m64c256" }));
    return modelOf(f);
  };

  it("does not pin where the machine is unknown: no masks, no worker_cpu_affinity line", () => {
    const model = mixed();
    expect(ingressHostCores(model)).toBeUndefined();
    const t = nginxTuning(model, model.config.businesses[0]);
    expect(t.workerProcesses).toBe(3);
    expect(t.cpuAffinity).toEqual([]);
    expect(controllerConfigData(t)["worker-cpu-affinity"]).toBe("");
    expect(renderNginxConf(t, podPaths, "/tmp/x")).not.toContain("worker_cpu_affinity");
  });

  it("still pins, spread over all cores, when every ingress machine has the same size", () => {
    const f = fixture("dc-c");
    f.inventory.hosts.filter((h) => h.function === "ingress").forEach((h) => (h.cores = 64));
    const model = modelOf(f);
    const t = nginxTuning(model, model.config.businesses[0]);
    expect(t.hostCores).toBe(64);
    expect(t.cpuAffinity.every((m) => m.length === 64)).toBe(true);
    const cores = pinnedCores(t.cpuAffinity);
    expect(Math.max(...cores) - Math.min(...cores)).toBeGreaterThanOrEqual(32);
  });
});

describe("drain timing from the LVS health check", () => {
  it.each([
    // interval, failures, shutdown → preStop wait, grace period
    [2, 3, 30, 11, 46],
    [3, 3, 30, 14, 49],
    [1, 1, 5, 6, 16],
    [5, 4, 60, 25, 90],
    [10, 10, 600, 105, 710],
  ])("check every %is × %i failures, shutdown %is → preStop %is, grace %is", (iv, f, sd, wait, grace) => {
    const g = gracefulTermination(iv, f, sd);
    expect(g.preStopWaitSeconds).toBe(wait);
    expect(g.terminationGracePeriodSeconds).toBe(grace);
    // The properties that matter, whatever the margins: outlast detection, cover the drain.
    expect(g.preStopWaitSeconds).toBeGreaterThan(iv * f);
    expect(g.terminationGracePeriodSeconds).toBeGreaterThan(g.preStopWaitSeconds + sd);
  });

  it("reads the stack's lvs section (dc-b checks every 3 s)", () => {
    const model = modelOf(fixture("dc-b"));
    expect(lvsHealthCheck(model)).toEqual({ intervalSeconds: 3, failures: 3, source: "config" });
    const shop = model.config.businesses[0];
    expect(nginxTuning(model, shop).termination.preStopWaitSeconds).toBe(14);
  });

  it("falls back to the schema's defaults without an lvs section", () => {
    const f = fixture("dc-b");
    // Without an LVS tier there can be no businesses (their VIPs live on it).
    delete f.raw.lvs;
    f.raw.businesses = [];
    const model = modelOf(f);
    expect(lvsHealthCheck(model)).toEqual({ intervalSeconds: 2, failures: 3, source: "default" });
  });

  it("uses the business's worker shutdown timeout", () => {
    const f = fixture("dc-c");
    (f.raw.businesses as { workerShutdownTimeoutSeconds?: number }[])[0].workerShutdownTimeoutSeconds = 120;
    const model = modelOf(f);
    const t = nginxTuning(model, model.config.businesses[0]);
    expect(t.termination.shutdownTimeoutSeconds).toBe(120);
    expect(t.termination.terminationGracePeriodSeconds).toBe(t.termination.preStopWaitSeconds + 120 + 5);
  });
});
