/**
 * A real Prometheus on loopback for the rightsizing tests: Debian's
 * `prometheus` with its own `promtool` (the backfill's block format must be
 * one the server reads; the toolchain's newer promtool is for config checks),
 * loaded with OpenMetrics text through `promtool tsdb create-blocks-from`.
 */
import { execFileSync, spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { freePort } from "../../scripts/lib/free-port";

export interface PrometheusServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** The Debian prometheus binary, or undefined. */
export function debianPrometheus(): string | undefined {
  return ["/usr/bin/prometheus"].find((p) => fs.existsSync(p));
}

export async function startPrometheus(openMetricsText: string): Promise<PrometheusServer> {
  const bin = debianPrometheus();
  if (!bin) throw new Error("Debian's prometheus is not installed (npm run toolchain installs it)");
  const promtool = path.join(path.dirname(bin), "promtool");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-rightsize-prom-"));
  const data = path.join(dir, "data");
  fs.writeFileSync(path.join(dir, "input.om"), openMetricsText);
  fs.writeFileSync(path.join(dir, "prometheus.yml"), "global:\n  scrape_interval: 1m\n");
  execFileSync(
    promtool,
    ["tsdb", "create-blocks-from", "openmetrics", "--quiet", path.join(dir, "input.om"), data],
    {
      stdio: "pipe",
    },
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${data}`,
      "--storage.tsdb.retention.time=3650d",
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`prometheus exited ${child.exitCode}: ${stderr.slice(-2000)}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`prometheus not ready after 60 s: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
