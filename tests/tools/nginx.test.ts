/**
 * The nginx configuration we generate, checked by the real nginx (Debian
 * package `nginx`): every business of every stack renders into a full
 * nginx.conf (our main/events directives, the ConfigMap's values and our
 * http snippet) that `nginx -t` accepts; and the drain-aware health server
 * really turns 503 once the preStop hook's marker exists.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { nginxTuning, renderNginxConf } from "../../components/ingress-tier/nginx";
import { describeWithTool, runTool } from "../helpers/tools";
import { fixture, modelOf } from "../helpers/config";
import { freePort } from "../../scripts/lib/free-port";

const cases = ["dc-a", "dc-b", "dc-c"].flatMap((dc) => {
  const model = modelOf(fixture(dc));
  return model.config.businesses.map((b) => [dc, b.name, nginxTuning(model, b)] as const);
});

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-nginx-"));
  made.push(dir);
  // nginx's workers run as an unprivileged user when the test runs as root;
  // they must be able to see the drain marker.
  fs.chmodSync(dir, 0o755);
  fs.mkdirSync(path.join(dir, "logs"));
  return dir;
}

function get(port: number, urlPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
  });
}

/** Polls until the server answers (no timing assertion: only a bound on waiting). */
async function waitForAnswer(port: number, urlPath: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await get(port, urlPath);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nginx did not answer on port ${port}`);
}

describeWithTool("nginx", "generated nginx configuration", () => {
  it.each(cases)("%s/%s renders a config that nginx -t accepts", (_dc, _biz, tuning) => {
    const dir = tempDir();
    const paths = {
      drainFile: path.join(dir, "draining"),
      logDir: path.join(dir, "logs"),
      lbHealthPort: 8081,
    };
    const conf = path.join(dir, "nginx.conf");
    fs.writeFileSync(conf, renderNginxConf(tuning, paths, dir));
    const r = runTool("nginx", ["-t", "-q", "-c", conf, "-p", dir]);
    expect({ status: r.status, output: r.output }).toEqual({ status: 0, output: "" });
    // Guard against a test that passes on an empty file.
    expect(fs.readFileSync(conf, "utf8")).toMatch(
      new RegExp(`^worker_processes ${tuning.workerProcesses};$`, "m"),
    );
  });

  it("nginx -t rejects a broken affinity line (the check is real)", () => {
    const dir = tempDir();
    const [, , tuning] = cases[0];
    const paths = {
      drainFile: path.join(dir, "draining"),
      logDir: path.join(dir, "logs"),
      lbHealthPort: 8081,
    };
    const conf = path.join(dir, "nginx.conf");
    fs.writeFileSync(
      conf,
      renderNginxConf(tuning, paths, dir).replace(/^worker_cpu_affinity .*$/m, "worker_cpu_affinity 0x12;"),
    );
    expect(runTool("nginx", ["-t", "-q", "-c", conf, "-p", dir]).status).not.toBe(0);
  });

  describe("the drain-aware health server, running", () => {
    let proc: ChildProcess | undefined;
    let dir = "";
    let port = 0;

    beforeAll(async () => {
      dir = tempDir();
      port = await freePort();
      const [, , tuning] = cases[cases.length - 1];
      const paths = {
        drainFile: path.join(dir, "draining"),
        logDir: path.join(dir, "logs"),
        lbHealthPort: port,
      };
      const conf = path.join(dir, "nginx.conf");
      fs.writeFileSync(conf, renderNginxConf(tuning, paths, dir));
      proc = spawn("nginx", ["-c", conf, "-p", dir, "-g", "daemon off;"], { stdio: "ignore" });
      await waitForAnswer(port, "/lb-health");
    });

    afterAll(async () => {
      const p = proc;
      if (!p?.pid || p.exitCode !== null) return;
      const exited = new Promise((resolve) => p.once("exit", resolve));
      process.kill(p.pid, "SIGQUIT");
      await exited;
    });

    it("answers 200 while serving, 503 once the preStop marker exists", async () => {
      expect(await get(port, "/lb-health")).toEqual({ status: 200, body: "ok\n" });
      fs.writeFileSync(path.join(dir, "draining"), "");
      expect(await get(port, "/lb-health")).toEqual({ status: 503, body: "draining\n" });
    });

    it("answers nothing else on the health port", async () => {
      expect((await get(port, "/")).status).toBe(404);
    });
  });
});
