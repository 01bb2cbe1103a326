/**
 * The release web UI in a real browser (Debian's Chromium driven by
 * playwright-core) against the real engine and a simulated datacenter: a
 * business team creates a release from the form, reads the preview diff,
 * watches the progress, finds it in the history, releases a new version,
 * is refused a second concurrent release, sees a failed release stop with
 * its reason, rolls back and deletes; a bad value shows its error next to
 * the field. Screenshots of every step go to .ui-artifacts/ (gitignored).
 *
 * Runs when the toolchain and Chromium are present; in CI a missing one fails it.
 * Port base of its simulated datacenter: PRIVATE_CLOUD_RELEASE_UI_E2E_PORT_BASE (default 21400).
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import bcrypt from "bcryptjs";
import type { BrowserContext, Page } from "playwright-core";
import { CHROMIUM, launch } from "../helpers/chromium";
import { explain, missingTools, projectDir, run, toolchainEnv, type Run } from "./toolchain";
import { RELEASE_NODE_ARGS } from "../../scripts/lib/release-node-args";

jest.setTimeout(20 * 60 * 1000);

const work = path.join(projectDir, ".e2e", `release-ui-${process.pid}-${Date.now()}`);
const artifacts = path.join(projectDir, ".ui-artifacts");
const simDir = path.join(work, "sim");
const portBase = process.env.PRIVATE_CLOUD_RELEASE_UI_E2E_PORT_BASE ?? "21400";
const uiPort = Number(portBase) + 80;
const state = path.join(work, "state");
const catalog = path.join(work, "apps");
const env = toolchainEnv({
  PULUMI_BACKEND_URL: `file://${state}`,
  PULUMI_CONFIG_PASSPHRASE: "private-cloud-local-only",
  PRIVATE_CLOUD_SIM_DIR: simDir,
  PRIVATE_CLOUD_SIM_PORT_BASE: portBase,
  PRIVATE_CLOUD_KUBECONFIG: path.join(simDir, "kubeconfig"),
});
const missing = [...missingTools(env), ...(fs.existsSync(CHROMIUM) ? [] : ["chromium"])];
const timings: Record<string, number> = {};

function ok(r: Run, what: string): Run {
  if (r.status !== 0) throw new Error(`${what} failed: ${explain(r)}`);
  timings[what] = r.seconds;
  return r;
}
const historyRows = (p: Page = page) => p.locator('.history [data-dc="sim"] tbody tr');
const kubectl = (args: string[]): Run =>
  run("kubectl", ["--kubeconfig", path.join(simDir, "kubeconfig"), ...args], env);
const imageInSim = (): string | undefined => {
  const r = kubectl([
    "get",
    "deployment",
    "shop",
    "-n",
    "shop",
    "-o",
    "jsonpath={.spec.template.spec.containers[0].image}",
  ]);
  return r.status === 0 ? r.stdout : undefined;
};

let server: ChildProcess | undefined;
let serverLog = "";
let browser: BrowserContext;
let page: Page;
let step = 0;

/** A screenshot of the step; the page scrolled to the top (results stay in view) unless `here`. */
async function shot(name: string, p: Page = page, here = false): Promise<void> {
  step += 1;
  if (!here) await p.evaluate("window.scrollTo(0, 0)");
  await p.screenshot({ path: path.join(artifacts, `${String(step).padStart(2, "0")}-${name}.png`) });
}

/** Waits for the progress panel of a `kind` job to end; returns "ok" or "failed". */
async function finished(kind: string, p: Page = page, seconds = 300): Promise<string> {
  const done = p.locator(`section.progress[data-job="${kind}"]:not([data-done="running"])`);
  await done.waitFor({ timeout: seconds * 1000 });
  return (await done.getAttribute("data-done")) ?? "";
}

async function openShop(p: Page = page): Promise<void> {
  await p.locator('tr[data-business="shop"] a').first().click();
  await p.locator("#release").waitFor();
}

const suite = missing.length === 0 ? describe : process.env.CI ? describe : describe.skip;

suite(`release web UI in Chromium${missing.length ? ` (missing: ${missing.join(", ")})` : ""}`, () => {
  beforeAll(async () => {
    if (missing.length)
      throw new Error(
        `missing ${missing.join(", ")}: run \`npm run toolchain\` (it installs Debian's chromium too)`,
      );
    fs.mkdirSync(state, { recursive: true });
    fs.mkdirSync(catalog, { recursive: true });
    fs.rmSync(artifacts, { recursive: true, force: true });
    fs.mkdirSync(artifacts, { recursive: true });
    fs.cpSync(path.join(projectDir, "apps", "templates"), path.join(catalog, "templates"), {
      recursive: true,
    });
    ok(run("bash", ["scripts/sim.sh", "up"], env), "sim up");
    ok(
      run("pulumi", ["stack", "init", "sim", "--secrets-provider", "passphrase", "--non-interactive"], env),
      "stack init",
    );
    ok(
      run("pulumi", ["up", "--yes", "--stack", "sim", "--skip-preview", "--non-interactive"], env),
      "platform up",
    );

    // Cost 4: the lowest bcrypt allows (the test's own throw-away users).
    const users = path.join(work, "users");
    fs.writeFileSync(
      users,
      `alice:${bcrypt.hashSync("wonderland", 4)}\nbob:${bcrypt.hashSync("builder", 4)}\n`,
    );
    // `npm run release:ui` as a user starts it, with the catalog of this test.
    server = spawn(
      process.execPath,
      [
        ...RELEASE_NODE_ARGS,
        "release/ui/server.ts",
        "--htpasswd",
        users,
        "--port",
        String(uiPort),
        "--apps-dir",
        catalog,
      ],
      { cwd: projectDir, env },
    );
    server.stdout?.on("data", (d) => (serverLog += String(d)));
    server.stderr?.on("data", (d) => (serverLog += String(d)));
    const t0 = Date.now();
    while (!serverLog.includes("release UI: http://")) {
      if (server.exitCode !== null || Date.now() - t0 > 60000)
        throw new Error(`release:ui did not start:\n${serverLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    timings["ui start"] = (Date.now() - t0) / 1000;

    browser = await launch("alice", "wonderland");
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("dialog", (d) => void d.accept());
    // Generous: on a loaded 2-core machine a release (policy gate, then up) can take minutes.
    page.setDefaultTimeout(240000);
    await page.goto(`http://127.0.0.1:${uiPort}/`);
  });

  afterAll(async () => {
    await browser?.close();
    server?.kill("SIGTERM");
    if (!missing.length) {
      run("bash", ["scripts/sim.sh", "down"], env);
      console.log(`release UI end-to-end wall times (s): ${JSON.stringify(timings)}`);
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  it("shows who is signed in and starts a business from a template; a bad value is refused next to its field", async () => {
    await page.getByText("signed in as alice").waitFor();
    await page.selectOption("#new-template", "jetty-web");
    await page.click("#new-business");
    await page.fill("#root_business", "shop");
    await page.fill("#root_image", "shop/web");
    await page.fill("#root_datacenters_0_name", "sim");
    await page.fill("#root_warmupSeconds", "5");
    await page.fill("#root_version", "latest");
    expect(await page.locator("#root_version__error").textContent()).toContain(
      "expected a pinned image tag such as 1.4.2 or a digest sha256:<64 hex> (never latest)",
    );
    // The template's default shows as the placeholder.
    expect(await page.getAttribute("#root_drainSeconds", "placeholder")).toBe("default: 10");
    await shot("field-error", page, true);

    // A value only the server's cross-field checks refuse: shown at its field too.
    await page.fill("#root_version", "1.0.0");
    await page.locator("details:has(#root_replicas_min) > summary").last().click();
    await page.fill("#root_replicas_min", "4");
    await page.fill("#root_replicas_max", "3");
    await page.click("#render");
    await page.locator("#root_replicas_max__error").waitFor();
    expect(await page.locator("#root_replicas_max__error").textContent()).toContain(
      "(for sim) 3 is below replicas.min 4 (expected max >= min)",
    );
    await shot("server-field-error", page, true);
    await page.fill("#root_replicas_min", "2");
    await page.fill("#root_replicas_max", "4");
  });

  it("renders the Kubernetes objects and previews the per-resource diff", async () => {
    await page.click("#render");
    const yaml = page.locator('.rendered [data-dc="sim"] pre');
    await yaml.waitFor();
    expect(await yaml.textContent()).toContain("image: 127.0.0.1:16405/shop/web:1.0.0");
    await shot("render");

    await page.click("#preview");
    expect(await finished("preview")).toBe("ok");
    const rows = page.locator('.dc-card[data-dc="sim"] .resources tr');
    const text = (await rows.allTextContents()).join("\n");
    expect(text).toMatch(/create\s*kubernetes:apps\/v1:Deployment\s*shop/);
    expect(text).toMatch(/create\s*kubernetes:autoscaling\/v2:HorizontalPodAutoscaler/);
    await shot("preview");
  });

  it("creates the release and shows its progress live, then the history", async () => {
    const t0 = Date.now();
    await page.click("#release");
    // Live: the panel shows the release running, with resources appearing, before it ends.
    await page
      .locator('section.progress[data-job="up"][data-done="running"] .dc-card[data-status="running"]')
      .waitFor();
    await page.locator('.dc-card[data-dc="sim"] .resources tr').first().waitFor();
    await shot("progress");
    expect(await finished("up")).toBe("ok");
    timings["ui up 1.0.0"] = (Date.now() - t0) / 1000;
    await shot("released");
    expect(imageInSim()).toBe("127.0.0.1:16405/shop/web:1.0.0");

    await historyRows().first().waitFor();
    expect(await historyRows().first().textContent()).toMatch(/^1up1\.0\.0alice.*succeeded/);
    const row = page.locator('tr[data-business="shop"][data-dc="sim"]', { hasText: "1.0.0" });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/shopsim1\.0\.0released.*up 1\.0\.0 succeeded by alice/);
  });

  it("previews a new version: the Deployment's image changes, old → new", async () => {
    await page.fill("#root_version", "1.0.1");
    await page.click("#preview");
    expect(await finished("preview")).toBe("ok");
    const card = page.locator('.dc-card[data-dc="sim"] .resources');
    expect(await card.textContent()).toMatch(/update\s*kubernetes:apps\/v1:Deployment/);
    const change = page.locator("tr.change", { hasText: "image" }).first();
    expect(await change.textContent()).toMatch(
      /containers\[0\]\.image\s*127\.0\.0\.1:16405\/shop\/web:1\.0\.0 → 127\.0\.0\.1:16405\/shop\/web:1\.0\.1/,
    );
    await shot("preview-update");
  });

  it("releases a new version; a second concurrent release is refused, naming who holds it", async () => {
    // Bob has the business open in his browser before Alice starts.
    const bobs = await launch("bob", "builder");
    try {
      const other = bobs.pages()[0] ?? (await bobs.newPage());
      other.setDefaultTimeout(240000);
      await other.goto(`http://127.0.0.1:${uiPort}/`);
      await openShop(other);

      const t0 = Date.now();
      await page.fill("#root_version", "1.0.1");
      await page.click("#release");
      await page.locator('section.progress[data-job="up"][data-done="running"]').waitFor();
      await other.click("#release");
      await other.locator("pre.message.error").waitFor();
      expect(await other.locator("pre.message.error").textContent()).toMatch(
        /^busy: sim is held by alice \(up since \S+\); try again when it ends$/,
      );
      await shot("busy", other);
      expect(await finished("up")).toBe("ok");
      timings["ui up 1.0.1"] = (Date.now() - t0) / 1000;
    } finally {
      await bobs.close();
    }
    expect(imageInSim()).toBe("127.0.0.1:16405/shop/web:1.0.1");
    await page.locator('.history [data-dc="sim"] tbody tr', { hasText: "1.0.1" }).waitFor();
    expect(await historyRows().count()).toBe(2);
    expect(await historyRows().first().textContent()).toMatch(/^2up1\.0\.1alice/);
    await shot("history");
  });

  it("a release that fails shows where and why it stopped, and the history keeps the attempt", async () => {
    // No node has this machine function: the pods never schedule and the
    // release times out in sim.
    await page.fill("#root_version", "1.0.2");
    // The innermost group holding the field: the datacenter's overrides.
    await page.locator("details:has(#root_datacenters_0_overrides_machineFunction) > summary").last().click();
    await page.fill("#root_datacenters_0_overrides_machineFunction", "gpu");
    await page.fill("#root_datacenters_0_overrides_rolloutTimeoutSeconds", "15");
    await page.click("#release");
    expect(await finished("up")).toBe("failed");
    const card = page.locator('.dc-card[data-dc="sim"]');
    expect(await card.getAttribute("data-status")).toBe("failed");
    // Why: the engine's own words (the rollout timed out waiting for pods that cannot schedule).
    expect(await card.locator(".stop-reason").textContent()).toMatch(/^stopped here: .+/);
    // The failed attempt is in the history, with who and the result.
    await page.locator('.history [data-dc="sim"] tbody tr', { hasText: "1.0.2" }).waitFor();
    expect(await historyRows().first().textContent()).toMatch(/^3up1\.0\.2alice.*failed/);
    await shot("failed");
    // Back to a good entry for what follows.
    await page.fill("#root_datacenters_0_overrides_machineFunction", "");
    await page.fill("#root_datacenters_0_overrides_rolloutTimeoutSeconds", "");
  });

  it("rolls back to a past version from the history", async () => {
    await page.getByRole("button", { name: "roll back to 1.0.0" }).first().click();
    expect(await finished("rollback")).toBe("ok");
    expect(imageInSim()).toBe("127.0.0.1:16405/shop/web:1.0.0");
    await page.locator('.history [data-dc="sim"] tbody tr', { hasText: "rollback" }).waitFor();
    expect(await historyRows().first().textContent()).toMatch(/rollback1\.0\.0alice.*succeeded/);
    await page
      .locator('tr[data-business="shop"][data-dc="sim"]', { hasText: "rollback 1.0.0 succeeded" })
      .waitFor();
    await shot("rolled-back");
  });

  it("deletes the release; the history stays", async () => {
    await page.click("#destroy");
    expect(await finished("destroy")).toBe("ok");
    expect(imageInSim()).toBeUndefined();
    await page.locator('tr[data-business="shop"][data-dc="sim"]', { hasText: "deleted" }).waitFor();
    await page.locator('.history [data-dc="sim"] tbody tr', { hasText: "destroy" }).waitFor();
    expect(await historyRows().first().textContent()).toMatch(/destroy.*alice.*succeeded/);
    await shot("deleted");
  });
});
