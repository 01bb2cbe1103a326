/**
 * Rightsizing maths and patching, as tables (no Prometheus: the real one is
 * in tests/tools/rightsize.test.ts).
 */
import { parse } from "yaml";
import { nginxWorkerProcesses, jvmActiveProcessors } from "../../components/common/sizing";
import { ingressRules } from "../../rightsize";
import { patchStackSizing, unifiedPatch } from "../../rightsize/patch";
import { evidenceFrom, stepFor } from "../../rightsize/prometheus";
import {
  boundStep,
  defaultRules,
  latencyKnee,
  quantile,
  recommend,
  type Evidence,
  type Sizing,
} from "../../rightsize/recommend";

const DAY = 86400;

/** Evidence from per-pod CPU at each step (pods × steps), with optional latency per step. */
function evidence(opts: {
  perPod: number[][];
  throttledRatio?: number;
  memoryPeakMiB?: number;
  p99?: (step: number) => number;
  stepSeconds?: number;
}): Evidence {
  const step = opts.stepSeconds ?? 300;
  const steps = opts.perPod[0].length;
  const totals = Array.from({ length: steps }, (_, i) => opts.perPod.reduce((a, pod) => a + pod[i], 0));
  return {
    stepSeconds: step,
    cpuCoresPerPod: opts.perPod.flat(),
    totalCpuCores: totals,
    loadLatency: totals.map((t, i) => ({
      coresPerPod: t / opts.perPod.length,
      p99Seconds: opts.p99?.(i) ?? 0.05,
    })),
    throttledRatio: opts.throttledRatio ?? 0,
    memoryPeakMiB: opts.memoryPeakMiB,
    peakRequestsPerSecond: undefined,
    coveredSeconds: steps * step,
  };
}

const days = (n: number, step = 300) => Math.round((n * DAY) / step);
const flat = (pods: number, cores: number, n = days(2)) =>
  Array.from({ length: pods }, () => Array.from({ length: n }, () => cores));

const current: Sizing = {
  cpuRequestMillis: 6000,
  cpuLimitMillis: 6000,
  memoryLimitMiB: 4096,
  minReplicas: 3,
  maxReplicas: 10,
  targetCpuUtilizationPercent: 60,
};

describe("quantile and boundStep", () => {
  it.each([
    [[1, 2, 3, 4, 5], 0.5, 3],
    [[1, 2, 3, 4, 5], 0, 1],
    [[1, 2, 3, 4, 5], 1, 5],
    [[1, 2, 3, 4], 0.5, 2.5],
    [[5, 1, 4, 2, 3], 0.25, 2],
    [[1, NaN, 3], 0.5, 2],
  ])("quantile(%j, %d) = %d", (xs, q, want) => expect(quantile(xs, q)).toBe(want));
  it("has no quantile of nothing", () => expect(quantile([NaN], 0.5)).toBeUndefined());
  it.each([
    [4000, 500, 2, 2000],
    [4000, 20000, 2, 8000],
    [4000, 5000, 2, 5000],
    [4000, 1000, 1.5, 4000 / 1.5],
  ])("boundStep(%d → %d, ×%d) = %d", (cur, next, f, want) =>
    expect(boundStep(cur, next, f)).toBeCloseTo(want),
  );
});

describe("recommend", () => {
  it("says how much data it needs and recommends nothing from less", () => {
    const r = recommend("nginx", current, evidence({ perPod: flat(2, 0.3, 36) }));
    expect(r).toEqual({
      status: "insufficient-data",
      reason: "only 3 h of CPU samples in the window; at least 24 h are needed (one daily cycle)",
    });
  });

  it("shrinks an over-provisioned tier by at most one step, in whole cores, workers following", () => {
    const r = recommend(
      "nginx",
      current,
      evidence({ perPod: flat(3, 0.5), memoryPeakMiB: 300 }),
      ingressRules(),
    );
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.recommended).toEqual({
      cpuRequestMillis: 3000, // 0.5 × 1.15 = 575 m, but at most halved in one run
      cpuLimitMillis: 3000,
      memoryLimitMiB: 2048,
      minReplicas: 2, // the schema's floor
      maxReplicas: 5,
      targetCpuUtilizationPercent: 80, // scale out at 80 % of the new limit
    });
    expect(r.workers).toEqual({ current: 6, recommended: 3 });
  });

  it("converges in further runs: the second step goes to the percentile plus headroom", () => {
    const first = recommend(
      "nginx",
      current,
      evidence({ perPod: flat(3, 0.5), memoryPeakMiB: 300 }),
      ingressRules(),
    );
    if (first.status !== "ok") throw new Error(first.reason);
    const second = recommend(
      "nginx",
      first.recommended,
      evidence({ perPod: flat(3, 0.5), memoryPeakMiB: 300 }),
      ingressRules(),
    );
    if (second.status !== "ok") throw new Error(second.reason);
    expect(second.recommended.cpuLimitMillis).toBe(2000);
    expect(second.recommended.cpuRequestMillis).toBe(1500);
    const third = recommend(
      "nginx",
      second.recommended,
      evidence({ perPod: flat(3, 0.5), memoryPeakMiB: 300 }),
      ingressRules(),
    );
    if (third.status !== "ok") throw new Error(third.reason);
    expect(third.recommended.cpuLimitMillis).toBe(1000); // 0.5 × 1.25 rounded up to a whole core
    expect(third.recommended.cpuRequestMillis).toBe(750);
    expect(third.recommended.memoryLimitMiB).toBe(512); // 4096 → 2048 → 1024 → 512, one halving a run
    const fourth = recommend(
      "nginx",
      third.recommended,
      evidence({ perPod: flat(3, 0.5), memoryPeakMiB: 300 }),
      ingressRules(),
    );
    if (fourth.status !== "ok") throw new Error(fourth.reason);
    // 300 × 1.2 → 360 would do for the working set, but one worker and its
    // connections need 256 + 160 = 416 MiB, rounded up to 64 MiB.
    expect(fourth.recommended.memoryLimitMiB).toBe(448);
  });

  it("grows a throttled limit by one step whatever the capped usage says (the seed's incident)", () => {
    const tight: Sizing = { ...current, cpuRequestMillis: 2000, cpuLimitMillis: 2000 };
    const r = recommend(
      "nginx",
      tight,
      evidence({ perPod: flat(3, 1.98), throttledRatio: 0.4 }),
      ingressRules(),
    );
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.recommended.cpuLimitMillis).toBe(3000);
    expect(r.workers).toEqual({ current: 2, recommended: 3 });
    expect(r.notes[0]).toMatch(/^throttled in 40% of CFS periods \(target under 5%\)/);
  });

  it.each([
    [1000, 2000],
    [6000, 9000],
    [16000, 24000],
  ])("a throttled limit of %d m grows to %d m (×1.5, at least one core, whole cores)", (limit, want) => {
    const s: Sizing = { ...current, cpuRequestMillis: limit, cpuLimitMillis: limit };
    const r = recommend("nginx", s, evidence({ perPod: flat(2, limit / 1000), throttledRatio: 0.3 }));
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.recommended.cpuLimitMillis).toBe(want);
  });

  it("puts the HPA target below the load at which latency rose", () => {
    // Load climbs 0.5 → 2.5 cores per pod; latency is slow from 2 cores on.
    const n = days(2);
    const load = (i: number) => 0.5 + (2 * i) / n;
    const perPod = Array.from({ length: 2 }, () => Array.from({ length: n }, (_, i) => load(i)));
    const r = recommend(
      "nginx",
      { ...current, cpuRequestMillis: 3000, cpuLimitMillis: 3000 },
      evidence({ perPod, p99: (i) => (load(i) >= 2 ? 1.5 : 0.05) }),
      ingressRules(),
    );
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.evidence.latencyKneeCoresPerPod).toBeCloseTo(2.06, 1);
    // The knee × 0.8, as a share of the new request (p95 × 1.15, rounded up to 50 m).
    const want = Math.round(
      ((r.evidence.latencyKneeCoresPerPod as number) * 0.8 * 100000) / r.recommended.cpuRequestMillis,
    );
    expect(r.recommended.targetCpuUtilizationPercent).toBe(want);
    expect(want).toBeLessThan(60);
  });

  it("keeps the HPA target at or below 80 % of the limit", () => {
    const r = recommend(
      "nginx",
      { ...current, cpuRequestMillis: 1000, cpuLimitMillis: 4000, targetCpuUtilizationPercent: 95 },
      evidence({ perPod: flat(3, 0.8) }),
    );
    if (r.status !== "ok") throw new Error(r.reason);
    const req = r.recommended.cpuRequestMillis;
    expect((req * r.recommended.targetCpuUtilizationPercent) / 100).toBeLessThanOrEqual(
      r.recommended.cpuLimitMillis * 0.8 + 10,
    );
  });

  it("gives a spiky tier min replicas for its p90 load", () => {
    const n = days(2, 60);
    const perPod = Array.from({ length: 4 }, () =>
      Array.from({ length: n }, (_, i) => (i % 90 < 15 ? 2.5 : 0.5)),
    );
    const r = recommend(
      "nginx",
      {
        ...current,
        cpuRequestMillis: 4000,
        cpuLimitMillis: 4000,
        minReplicas: 4,
        maxReplicas: 8,
        targetCpuUtilizationPercent: 70,
      },
      evidence({ perPod, stepSeconds: 60 }),
      ingressRules(),
    );
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.evidence.spiky).toBe(true);
    // p90 of the tier = 10 cores; scale-out at 2.8 cores per pod (kept) → 4 pods.
    expect(r.recommended.minReplicas).toBe(4);
    expect(r.notes.some((x) => x.startsWith("spiky load"))).toBe(true);
  });

  it.each([
    ["min replicas", { ...current, minReplicas: 2 }, "minReplicas", 2],
    ["CPU request", { ...current, cpuRequestMillis: 100, cpuLimitMillis: 1000 }, "cpuRequestMillis", 100],
    ["CPU limit", { ...current, cpuRequestMillis: 100, cpuLimitMillis: 1000 }, "cpuLimitMillis", 1000],
    ["memory limit", { ...current, memoryLimitMiB: 128 }, "memoryLimitMiB", 128],
  ] as const)("never goes below the %s floor", (_, s, field, floor) => {
    // Without the workers' memory floor, to see the schema's (the next test covers the workers').
    const rules = { ...ingressRules(), memoryFloorMiB: undefined };
    const r = recommend("nginx", s, evidence({ perPod: flat(2, 0.001), memoryPeakMiB: 1 }), rules);
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.recommended[field]).toBe(floor);
  });

  it.each([
    ["nginx", 3000, nginxWorkerProcesses(3000)],
    ["jvm", 3000, jvmActiveProcessors(3000)],
  ] as const)(
    "%s workers follow the recommended limit through components/common/sizing",
    (kind, limit, want) => {
      const r = recommend(
        kind,
        { ...current, cpuLimitMillis: limit, cpuRequestMillis: limit },
        evidence({ perPod: flat(2, limit / 1000 / 1.25) }),
      );
      if (r.status !== "ok") throw new Error(r.reason);
      expect(r.recommended.cpuLimitMillis).toBe(limit);
      expect(r.workers.recommended).toBe(want);
    },
  );

  it("keeps the memory the recommended workers need, with a note", () => {
    // 6 cores of use → 8 workers; 100 MiB of working set would allow 128 MiB.
    const r = recommend(
      "nginx",
      { ...current, cpuLimitMillis: 8000, cpuRequestMillis: 8000, memoryLimitMiB: 2048 },
      evidence({ perPod: flat(3, 6), memoryPeakMiB: 100 }),
      ingressRules(),
    );
    if (r.status !== "ok") throw new Error(r.reason);
    expect(r.workers.recommended).toBe(8);
    expect(r.recommended.memoryLimitMiB).toBe(1536); // 256 + 8 × 160 = 1536
    expect(r.notes).toContain(
      "memory stays at 1536 MiB, the least 8 workers and their connections need (the peak working set alone would allow less)",
    );
  });

  it("takes its floors from the stack schema", () => {
    const r = ingressRules();
    expect([r.minReplicasFloor, r.minCpuRequestMillis, r.minMemoryLimitMiB, r.targetBoundsPercent]).toEqual([
      2,
      100,
      128,
      [10, 95],
    ]);
    expect(r.latencyObjectiveSeconds).toBe(1);
    expect(defaultRules.minCoveredSeconds).toBe(DAY);
  });
});

describe("latencyKnee", () => {
  const pts = (xs: [number, number, number][]) =>
    xs.flatMap(([load, p99, count]) =>
      Array.from({ length: count }, () => ({ coresPerPod: load, p99Seconds: p99 })),
    );
  it.each([
    [
      "no slow samples",
      pts([
        [1, 0.1, 100],
        [2, 0.2, 100],
      ]),
      undefined,
    ],
    [
      "slow at the top",
      pts([
        [1, 0.1, 100],
        [2, 1.5, 100],
      ]),
      2,
    ],
    [
      "a few slow edges are not a knee",
      pts([
        [0.5, 0.05, 180],
        [0.9, 1.5, 8],
        [2.5, 1.5, 40],
      ]),
      2.5,
    ],
    [
      "mostly fast band is not a knee",
      pts([
        [1, 0.1, 60],
        [1, 1.5, 40],
        [2, 1.5, 100],
      ]),
      2,
    ],
  ])("%s", (_, samples, want) => {
    const k = latencyKnee(samples, 1, 0.8);
    if (want === undefined) expect(k).toBeUndefined();
    else expect(k).toBeCloseTo(want);
  });
});

describe("evidenceFrom", () => {
  it("pools pods, sums per step, takes the throttled share of all periods and the memory peak", () => {
    const e = evidenceFrom(60, {
      cpu: [
        {
          metric: { pod: "a" },
          points: [
            [0, 1],
            [60, 2],
          ],
        },
        {
          metric: { pod: "b" },
          points: [
            [0, 3],
            [60, 4],
          ],
        },
      ],
      throttled: [
        {
          metric: {},
          points: [
            [0, 1],
            [60, 3],
          ],
        },
      ],
      periods: [
        {
          metric: {},
          points: [
            [0, 10],
            [60, 10],
          ],
        },
      ],
      memory: [
        {
          metric: { pod: "a" },
          points: [
            [0, 2 ** 20 * 100],
            [60, 2 ** 20 * 300],
          ],
        },
      ],
      rps: [
        {
          metric: {},
          points: [
            [0, 5.4],
            [60, 7.6],
          ],
        },
      ],
      latency: [
        {
          metric: {},
          points: [
            [0, 0.2],
            [60, NaN],
          ],
        },
      ],
    });
    expect(e.cpuCoresPerPod).toEqual([1, 2, 3, 4]);
    expect(e.totalCpuCores).toEqual([4, 6]);
    expect(e.throttledRatio).toBe(0.2);
    expect(e.memoryPeakMiB).toBe(300);
    expect(e.peakRequestsPerSecond).toBe(8);
    expect(e.coveredSeconds).toBe(120);
    expect(e.loadLatency[0]).toEqual({ coresPerPod: 2, p99Seconds: 0.2 });
  });
  it.each([
    [3600, 60],
    [7 * DAY, 60],
    [30 * DAY, 240],
  ])("a %d s window is read with a %d s step (under Prometheus's 11,000 points)", (w, step) =>
    expect(stepFor(w)).toBe(step),
  );
});

describe("patchStackSizing", () => {
  const text = `config:
  # the shop's tier
  private-cloud:businesses:
    - name: shop
      hosts: [shop.example.com]
      cpuLimitMillis: 6000 # the seed's 5–6 cores
      minReplicas: 3
    - name: news
      hosts: [news.example.com]
`;
  const sizing: Sizing = {
    cpuRequestMillis: 3000,
    cpuLimitMillis: 3000,
    memoryLimitMiB: 4096,
    minReplicas: 2,
    maxReplicas: 10,
    targetCpuUtilizationPercent: 60,
  };
  const was: Sizing = { ...sizing, cpuRequestMillis: 6000, cpuLimitMillis: 6000, minReplicas: 3 };
  const change = (recommended: Sizing) => ({ current: was, recommended });
  it("changes only what moves, keeps comments and flow style, leaves an equal request absent", () => {
    const out = patchStackSizing(text, "Pulumi.x.yaml", new Map([["shop", change(sizing)]]));
    expect(out).toContain("# the shop's tier");
    expect(out).toContain("hosts: [shop.example.com]");
    const shop = (parse(out).config["private-cloud:businesses"] as Record<string, unknown>[])[0];
    expect(shop).toEqual({
      name: "shop",
      hosts: ["shop.example.com"],
      cpuLimitMillis: 3000,
      minReplicas: 2,
    });
    expect(out).toContain("    - name: news\n      hosts: [news.example.com]\n");
  });
  it("writes a request that differs from the limit", () => {
    const out = patchStackSizing(
      text,
      "Pulumi.x.yaml",
      new Map([["news", change({ ...sizing, cpuRequestMillis: 1500 })]]),
    );
    expect(
      (parse(out).config["private-cloud:businesses"] as Record<string, unknown>[])[1].cpuRequestMillis,
    ).toBe(1500);
  });
  it("refuses a business the file does not have, naming the file and the key", () => {
    expect(() => patchStackSizing(text, "Pulumi.x.yaml", new Map([["nope", change(sizing)]]))).toThrow(
      'Pulumi.x.yaml: config.private-cloud:businesses has no business "nope"',
    );
  });
  it("prints a unified diff with repository-relative paths, and nothing when nothing changes", () => {
    const out = patchStackSizing(text, "Pulumi.x.yaml", new Map([["shop", change(sizing)]]));
    const p = unifiedPatch("Pulumi.x.yaml", text, out);
    expect(p.split("\n").slice(0, 2)).toEqual(["--- a/Pulumi.x.yaml", "+++ b/Pulumi.x.yaml"]);
    expect(p).toContain(
      "-      cpuLimitMillis: 6000 # the seed's 5–6 cores\n-      minReplicas: 3\n+      cpuLimitMillis: 3000 # the seed's 5–6 cores\n+      minReplicas: 2\n",
    );
    expect(unifiedPatch("Pulumi.x.yaml", text, text)).toBe("");
  });
});
