import * as fs from "fs";
import { parseSet, resolveRelease } from "../../release/catalog/load";
import { ConfigError } from "../../stacks/validate";
import { minimalEntry, tempCatalog } from "../helpers/catalog";

const dirs: string[] = [];
const catalog = (entries: Record<string, unknown>) => {
  const d = tempCatalog(entries);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  return [];
}

describe("schema defaults", () => {
  const dir = catalog({ shop: minimalEntry() });
  const spec = resolveRelease("shop", { appsDir: dir }).specs.get("sim");
  it.each([
    ["replicas.min", 2],
    ["replicas.max", 6],
    ["replicas.targetCpuUtilizationPercent", 70],
    ["resources.cpuRequestMillis", 1000],
    ["resources.cpuLimitMillis", 2000],
    ["resources.memoryLimitMiB", 2048],
    ["jvm.heapPercent", 60],
    ["jvm.options", []],
    ["probes.readiness.timeoutSeconds", 5],
    ["probes.readiness.periodSeconds", 5],
    ["probes.liveness.failureThreshold", 6],
    ["ports.http", 8080],
    ["ports.metrics", 9404],
    ["logs.paths", ["*.log"]],
    ["alerts.http5xxRatio", 0.02],
    ["machineFunction", "web"],
    ["warmupSeconds", 30],
  ])("%s defaults to %j", (p, want) => {
    const got = p.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], spec);
    expect(got).toEqual(want);
  });
});

describe("template merging: schema < template < entry", () => {
  const dir = catalog({
    worker: minimalEntry("worker", { template: "jetty-worker" }),
    tuned: minimalEntry("tuned", { template: "jetty-worker", gracefulStopSeconds: 45 }),
  });
  it.each([
    ["worker", "drainSeconds", 0, "template over schema (10)"],
    ["worker", "gracefulStopSeconds", 30, "template over schema (20)"],
    ["worker", "warmupSeconds", 20, "template over schema (30)"],
    ["tuned", "gracefulStopSeconds", 45, "entry over template (30)"],
    ["tuned", "drainSeconds", 0, "template kept where the entry is silent"],
  ])("%s %s = %j (%s)", (biz, field, want) => {
    const spec = resolveRelease(biz, { appsDir: dir }).specs.get("sim") as unknown as Record<string, unknown>;
    expect(spec[field]).toEqual(want);
  });
});

describe("per-datacenter overrides and the command line", () => {
  const dir = catalog({
    shop: minimalEntry("shop", {
      resources: { cpuLimitMillis: 4000, memoryLimitMiB: 4096 },
      datacenters: [
        { name: "dc-a", overrides: { resources: { cpuLimitMillis: 6000 }, replicas: { max: 20 } } },
        { name: "dc-b" },
      ],
    }),
  });
  it("deep-merges an override: the fields it does not name keep the entry's values", () => {
    const r = resolveRelease("shop", { appsDir: dir });
    expect(r.order).toEqual(["dc-a", "dc-b"]);
    const a = r.specs.get("dc-a");
    const b = r.specs.get("dc-b");
    expect([
      a?.resources.cpuLimitMillis,
      a?.resources.memoryLimitMiB,
      a?.replicas.max,
      a?.replicas.min,
    ]).toEqual([6000, 4096, 20, 2]);
    expect([b?.resources.cpuLimitMillis, b?.replicas.max]).toEqual([4000, 6]);
  });
  it("--version and --set win over everything, in every datacenter", () => {
    const r = resolveRelease("shop", {
      appsDir: dir,
      version: "2.0.0",
      sets: [parseSet("resources.cpuLimitMillis=3000"), parseSet("jvm.options=[-XX:+UseZGC]")],
    });
    for (const dc of ["dc-a", "dc-b"]) {
      const s = r.specs.get(dc);
      expect([dc, s?.version, s?.resources.cpuLimitMillis, s?.jvm.options]).toEqual([
        dc,
        "2.0.0",
        3000,
        ["-XX:+UseZGC"],
      ]);
    }
  });
  it("--dc keeps the catalog's rollout order", () => {
    expect(resolveRelease("shop", { appsDir: dir, datacenters: ["dc-b", "dc-a"] }).order).toEqual([
      "dc-a",
      "dc-b",
    ]);
  });
});

describe("bad input is refused with path, value and what is expected", () => {
  const dir = catalog({
    shop: minimalEntry(),
    typo: minimalEntry("typo", { replica: { min: 2 } }),
    latest: minimalEntry("latest", { version: "latest" }),
    notemplate: minimalEntry("notemplate", { template: "tomcat" }),
    small: minimalEntry("small", {
      resources: { cpuRequestMillis: 3000, cpuLimitMillis: 2000 },
      replicas: { min: 5, max: 3 },
    }),
    envclash: minimalEntry("envclash", { env: { JAVA_OPTS: "-Xmx1g" } }),
    s6: minimalEntry("s6", { template: "multi-process" }),
  });
  it.each([
    [
      "unknown business",
      () => resolveRelease("nope", { appsDir: dir }),
      [
        'business: "nope" is not in the catalog (expected one of: envclash, latest, notemplate, s6, shop, small, typo; add apps/nope.yaml)',
      ],
    ],
    [
      "unknown datacenter",
      () => resolveRelease("shop", { appsDir: dir, datacenters: ["dc-z"] }),
      ['--dc: "dc-z" is not a target of shop (expected some of: sim; targets are listed in apps/shop.yaml)'],
    ],
    [
      "unknown template",
      () => resolveRelease("notemplate", { appsDir: dir }),
      [
        'apps/templates/tomcat.yaml: template "tomcat" does not exist (expected one of: jetty-web, jetty-worker, multi-process)',
      ],
    ],
    [
      "a typo in a field name",
      () => resolveRelease("typo", { appsDir: dir }),
      [
        expect.stringMatching(
          /^apps\/typo.yaml replica: unknown setting \(expected one of: business, template, datacenters, image, version, /,
        ),
      ],
    ],
    [
      "latest",
      () => resolveRelease("latest", { appsDir: dir }),
      [
        'apps/latest.yaml version: "latest" is not valid (expected a pinned image tag such as 1.4.2 or a digest sha256:<64 hex> (never latest))',
      ],
    ],
    [
      "request above limit, min above max",
      () => resolveRelease("small", { appsDir: dir }),
      [
        "apps/small.yaml (for sim) resources.cpuRequestMillis: 3000 exceeds the CPU limit 2000 (expected request <= limit)",
        "apps/small.yaml (for sim) replicas.max: 3 is below replicas.min 5 (expected max >= min)",
      ],
    ],
    [
      "a variable the platform owns",
      () => resolveRelease("envclash", { appsDir: dir }),
      [
        "apps/envclash.yaml (for sim) env.JAVA_OPTS: is set by the platform (expected another name; JVM options go in jvm.options)",
      ],
    ],
    [
      "multi-process without processes",
      () => resolveRelease("s6", { appsDir: dir }),
      [
        "apps/s6.yaml (for sim) processes: is empty (expected at least one process for s6 to supervise: template multi-process)",
      ],
    ],
    [
      "a --set that is not path=value",
      () => parseSet("=3"),
      ['--set: "=3" is not valid (expected path=value, such as resources.cpuLimitMillis=4000)'],
    ],
    [
      "a --set of a wrong type",
      () => resolveRelease("shop", { appsDir: dir, sets: [parseSet("replicas.min=lots")] }),
      [
        'apps/shop.yaml (for sim) replicas.min: "lots" is not valid (expected an integer 2-1000 (one replica cannot survive a rack failure or a node drain))',
      ],
    ],
  ])("%s", (_, fn, want) => {
    expect(problems(fn)).toEqual(want);
  });
});

describe("the seed's two incidents in one catalog entry", () => {
  const dir = catalog({
    incident: minimalEntry("incident", {
      resources: { cpuRequestMillis: 6000, cpuLimitMillis: 6000, memoryLimitMiB: 8192 },
      jvm: { options: ["-XX:+UseG1GC", "-XX:ActiveProcessorCount=24"] },
      probes: { readiness: { timeoutSeconds: 1 } },
    }),
  });
  it("is refused with both messages, before anything is created", () => {
    expect(problems(() => resolveRelease("incident", { appsDir: dir }))).toEqual([
      "apps/incident.yaml probes.readiness.timeoutSeconds: 1 is not valid (expected an integer 5-60: a timeout below 5 s restarts or ejects busy pods and snowballs into an avalanche (the seed))",
      "apps/incident.yaml (for sim) jvm.options[1]: -XX:ActiveProcessorCount=24 exceeds CPU limit 6 (resources.cpuLimitMillis 6000; the seed: 24 threads on a 6-core limit gave seconds of latency) — remove it (the platform sets 6) or set <= 6",
    ]);
  });
});
