/**
 * The jetty image with the sample business, run with podman under CPU and
 * memory limits: it serves HTTP, the JVM takes its sizing from the
 * environment BusinessApp sets (JAVA_OPTS with -XX:ActiveProcessorCount and
 * the heap, from the same functions the policy pack checks), and /metrics on
 * JVM_METRICS_PORT has the series BusinessApp's alert rules read.
 */
import { jvmActiveProcessors } from "../../components/common/sizing";
import { JVM_ENV, JVM_METRICS } from "../../components/common/jvm";
import { businessAlertRules } from "../../components/business-app/alerts";
import { resolveRelease } from "../../release/catalog/load";
import { containerName, describeImage, loadImage, ok, podman, removeContainer, waitFor } from "./podman";
import { spawnSync } from "child_process";

jest.setTimeout(180_000);

// The environment contract with BusinessApp (its JVM_ENV): names it sets.
const JAVA_OPTS = JVM_ENV.javaOpts;
const HTTP_PORT = JVM_ENV.httpPort;
const METRICS_PORT = JVM_ENV.metricsPort;

/** Loopback ports of this suite (28420+: an HTTP and a metrics port per container). */
let nextPort = 28420;

function get(port: number, p: string): { status: number; body: string } | undefined {
  const r = spawnSync(
    "curl",
    ["-s", "-m", "2", "-o", "-", "-w", "\n%{http_code}", `http://127.0.0.1:${port}${p}`],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) return undefined;
  const i = r.stdout.lastIndexOf("\n");
  return { status: Number(r.stdout.slice(i + 1)), body: r.stdout.slice(0, i) };
}

describeImage("sample-app")("jetty image with the sample business", () => {
  let image: string;
  const names: string[] = [];
  beforeAll(() => {
    image = loadImage("sample-app");
  });
  afterAll(() => names.forEach(removeContainer));

  async function start(cpus: string, javaOpts: string): Promise<number> {
    const port = nextPort;
    nextPort += 2;
    const name = containerName(`jetty-${port}`);
    names.push(name);
    ok(
      podman([
        "run",
        "-d",
        "--name",
        name,
        "--network=host",
        "--cpus",
        cpus,
        "--memory",
        "768m",
        "-e",
        `${HTTP_PORT}=${port}`,
        "-e",
        `${METRICS_PORT}=${port + 1}`,
        "-e",
        `${JAVA_OPTS}=${javaOpts}`,
        image,
      ]),
      "podman run sample-app",
    );
    await waitFor(
      () => (get(port, "/health")?.status === 200 ? true : undefined),
      90_000,
      `jetty on :${port}`,
    );
    return port;
  }

  it("serves HTTP under --cpus 2 and the JVM reports 2 available processors", async () => {
    const processors = jvmActiveProcessors(2000);
    const port = await start("2", `-XX:ActiveProcessorCount=${processors} -Xms256m -Xmx256m`);
    expect(get(port, "/health")).toEqual({ status: 200, body: "ok\n" });
    const info = JSON.parse(get(port, "/info")?.body ?? "{}") as {
      availableProcessors: number;
      maxHeapBytes: number;
      business: string;
    };
    expect(info.availableProcessors).toBe(2);
    // -Xmx256m: the JVM reports the heap minus one survivor space.
    expect(info.maxHeapBytes).toBeGreaterThan(200 * 2 ** 20);
    expect(info.maxHeapBytes).toBeLessThanOrEqual(256 * 2 ** 20);
    expect(info.business).toBe("sample");
  });

  it("takes the processor count from JAVA_OPTS, not from the host (the seed's 24-core JVM in a 5-core limit)", async () => {
    // Under --cpus 2 the JVM would pick 2 by itself; the platform's flag wins.
    const port = await start("2", `-XX:ActiveProcessorCount=${jvmActiveProcessors(1000)} -Xmx128m`);
    const info = JSON.parse(get(port, "/info")?.body ?? "{}") as {
      availableProcessors: number;
      maxHeapBytes: number;
    };
    expect(info.availableProcessors).toBe(1);
    expect(info.maxHeapBytes).toBeLessThanOrEqual(128 * 2 ** 20);
  });

  it("serves /metrics with the JVM, Jetty and logger series BusinessApp's alerts read", async () => {
    const port = await start("2", `-XX:ActiveProcessorCount=2 -Xms128m -Xmx128m`);
    const metrics = () => get(port + 1, "/metrics");
    /** `name{labels} value` lines of the exposition as name{labels} → value. */
    const samples = (text: string) =>
      new Map(
        text
          .split("\n")
          .filter((l) => l && !l.startsWith("#"))
          .map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))]),
      );
    // A failing request: it logs an error and answers 500.
    expect(get(port, "/fail")?.status).toBe(500);
    const m = await waitFor(
      () => {
        const r = metrics();
        return r?.status === 200 ? samples(r.body) : undefined;
      },
      30_000,
      "/metrics",
    );
    // Every series name the business alert rules use is exposed.
    // The catalog's own business (apps/shop.yaml), as BusinessApp renders its rules.
    const shop = resolveRelease("shop");
    const spec = [...shop.specs.values()][0];
    const rules = businessAlertRules(spec, shop.template, "ingress-shop")[0].rules;
    const used = new Set(
      rules.flatMap((r) => [...r.expr.matchAll(/\b(jvm_\w+|jetty_\w+|logback_\w+)/g)].map((x) => x[1])),
    );
    expect(used.size).toBeGreaterThanOrEqual(4);
    const names = new Set([...m.keys()].map((k) => k.replace(/\{.*/, "")));
    for (const n of used) expect({ n, exposed: names.has(n) }).toEqual({ n, exposed: true });
    for (const n of Object.values(JVM_METRICS))
      expect({ n, exposed: names.has(n) || names.has(`${n}_sum`) }).toEqual({ n, exposed: true });
    // The values are the JVM's and Jetty's own.
    expect(m.get(`${JVM_METRICS.memoryMax}{area="heap"}`)).toBeLessThanOrEqual(128 * 2 ** 20);
    expect(m.get(`${JVM_METRICS.memoryUsed}{area="heap"}`)).toBeGreaterThan(0);
    expect(m.get(`${JVM_METRICS.jettyResponses}{code="5xx"}`)).toBeGreaterThanOrEqual(1);
    expect(m.get(`${JVM_METRICS.jettyResponses}{code="2xx"}`)).toBeGreaterThanOrEqual(1);
    expect(m.get(`${JVM_METRICS.loggerEvents}{level="error"}`)).toBeGreaterThanOrEqual(1);
    // One _sum per collector (which ones depends on the JVM's ergonomics: Serial under 2 GiB).
    expect(
      [...m.keys()].filter((k) => k.startsWith(`${JVM_METRICS.gcSeconds}_sum{gc="`)).length,
    ).toBeGreaterThan(0);
    expect(m.get("jvm_available_processors")).toBe(2);
  });
});
