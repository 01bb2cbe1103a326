/**
 * The two nginx configurations `npm run bench:nginx` compares, and the
 * readers of its measurements. A bench that compared two configs differing in
 * more than the worker count, or that misread cpu.stat, would teach the
 * wrong lesson.
 */
import {
  AUTO_WORKERS_ON_24_CORES,
  cpuStatDelta,
  gnuplotScript,
  medianOf,
  nginxVariants,
  parseCpuStat,
  parseWrkReport,
  type VariantResult,
} from "../../scripts/lib/nginx-bench";
import { fixture, modelOf } from "../helpers/config";

const paths = { drainFile: "/tmp/x/draining", logDir: "/tmp/x/logs", lbHealthPort: 18080 };
const model = modelOf(fixture("dc-a"));

const directive = (conf: string, name: string) =>
  conf
    .split("\n")
    .find((l) => l.trim().startsWith(`${name} `))
    ?.trim();

describe("nginxVariants", () => {
  it.each([
    [1000, 1],
    [2500, 2],
    [6000, 6],
  ])(
    "a %im limit renders %i worker(s); the other variant has 24 and is otherwise identical",
    (limit, workers) => {
      const [ours, auto] = nginxVariants(model, "shop", limit, 2, paths, "/tmp/x");
      expect(ours.workerProcesses).toBe(workers);
      expect(directive(ours.conf, "worker_processes")).toBe(`worker_processes ${workers};`);
      expect(auto.workerProcesses).toBe(AUTO_WORKERS_ON_24_CORES);
      expect(directive(auto.conf, "worker_processes")).toBe("worker_processes 24;");
      // Same connections and descriptors as rendered for the limit.
      for (const d of ["worker_connections", "worker_rlimit_nofile", "worker_shutdown_timeout"])
        expect(directive(auto.conf, d)).toBe(directive(ours.conf, d));
      const strip = (c: string) =>
        c
          .split("\n")
          .filter((l) => !/^(worker_processes|worker_cpu_affinity|# )/.test(l))
          .join("\n");
      expect(strip(auto.conf)).toBe(strip(ours.conf));
    },
  );

  it("affinity masks only name cores the bench machine has", () => {
    const [ours, auto] = nginxVariants(model, "shop", 1000, 2, paths, "/tmp/x");
    for (const v of [ours, auto]) {
      const masks = (directive(v.conf, "worker_cpu_affinity") ?? "")
        .replace(/^worker_cpu_affinity |;$/g, "")
        .split(" ");
      expect(masks).toHaveLength(v.workerProcesses);
      for (const m of masks) expect(m).toMatch(/^[01]{2}$/);
    }
  });

  it("names the businesses it knows when asked for an unknown one", () => {
    expect(() => nginxVariants(model, "nope", 1000, 2, paths, "/tmp/x")).toThrow(
      /--business: "nope" is not a business of dc-a \(expected one of shop/,
    );
  });
});

describe("parseCpuStat", () => {
  it("reads cgroup v1 (nanoseconds) and v2 (microseconds)", () => {
    expect(parseCpuStat("nr_periods 100\nnr_throttled 7\nthrottled_time 35000000\n")).toEqual({
      nrPeriods: 100,
      nrThrottled: 7,
      throttledMs: 35,
    });
    expect(
      parseCpuStat(
        "usage_usec 1\nuser_usec 1\nsystem_usec 0\nnr_periods 10\nnr_throttled 2\nthrottled_usec 4500\n",
      ),
    ).toEqual({ nrPeriods: 10, nrThrottled: 2, throttledMs: 4.5 });
  });
  it("says what is missing", () => {
    expect(() => parseCpuStat("nr_periods 1\n")).toThrow(/cpu.stat has no/);
  });
  it("subtracts", () => {
    expect(
      cpuStatDelta(
        { nrPeriods: 10, nrThrottled: 1, throttledMs: 5 },
        { nrPeriods: 40, nrThrottled: 9, throttledMs: 80.25 },
      ),
    ).toEqual({ nrPeriods: 30, nrThrottled: 8, throttledMs: 75.3 });
  });
});

describe("parseWrkReport", () => {
  it("turns wrk's microseconds into ms and counts non-2xx as errors", () => {
    const out = `Running 1s test\nWRKJSON {"requests":5000,"durationUs":2000000,"errors":1,"non2xx":2,"p50":420,"p99":23100,"max":41000}\n`;
    expect(parseWrkReport(out)).toEqual({
      requests: 5000,
      requestsPerSecond: 2500,
      errors: 3,
      p50Ms: 0.42,
      p99Ms: 23.1,
      maxMs: 41,
    });
  });
  it("fails when wrk printed no report", () => {
    expect(() => parseWrkReport("unable to connect")).toThrow(/no report line/);
  });
});

const result = (variant: "limit" | "auto24", p99Ms: number, nrThrottled: number): VariantResult => ({
  variant,
  workerProcesses: variant === "limit" ? 1 : 24,
  round: 1,
  requests: 1000,
  requestsPerSecond: 100,
  errors: 0,
  p50Ms: 0.4,
  p99Ms,
  maxMs: p99Ms * 2,
  throttle: { nrPeriods: 100, nrThrottled, throttledMs: nrThrottled * 10 },
});

describe("medianOf and the chart", () => {
  it("takes the median of each number", () => {
    const m = medianOf([result("auto24", 20, 5), result("auto24", 30, 50), result("auto24", 25, 7)]);
    expect(m.p99Ms).toBe(25);
    expect(m.throttle.nrThrottled).toBe(7);
  });
  it("plots both variants' numbers into a PNG", () => {
    const s = gnuplotScript([result("limit", 1.4, 0), result("auto24", 25, 40)], {
      cpuLimitMillis: 1000,
      title: "t",
      pngPath: "/tmp/out.png",
    });
    expect(s).toMatch(/^set terminal pngcairo/);
    expect(s).toContain('set output "/tmp/out.png"');
    expect(s).toContain("p99 1.4 25");
    expect(s).toContain('"throttled periods" 0 40');
  });
});
