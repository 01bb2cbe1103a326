/**
 * The jetty image with the sample business, run with podman under CPU and
 * memory limits: it serves HTTP, and the JVM takes its sizing from the
 * environment BusinessApp sets (JAVA_OPTS with -XX:ActiveProcessorCount and
 * the heap, from the same functions the policy pack checks).
 */
import { jvmActiveProcessors } from "../../components/common/sizing";
import { containerName, describeImage, loadImage, ok, podman, removeContainer, waitFor } from "./podman";
import { spawnSync } from "child_process";

jest.setTimeout(180_000);

// The environment contract with BusinessApp (its JVM_ENV): names it sets.
const JAVA_OPTS = "JAVA_OPTS";
const HTTP_PORT = "JETTY_HTTP_PORT";

/** Loopback ports of this helper's range (20400+), one per container. */
let nextPort = 20411;

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
    const port = nextPort++;
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
});
