/**
 * The release page in Chromium against an engine stand-in (no cluster, a few
 * seconds): the form from the schema with its errors next to the fields, the
 * preview diff, live progress, a refused concurrent release, a failure shown
 * whole where it stopped, history with rollback, delete. The same walk
 * against the real engine and a simulated datacenter is tests/e2e/release-ui.test.ts.
 * Screenshots: .ui-artifacts/page/.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import bcrypt from "bcryptjs";
import type { FastifyInstance } from "fastify";
import type { BrowserContext, Page } from "playwright-core";
import { buildServer } from "../../release/ui/server";
import { buildBundle } from "../../release/ui/bundle";
import { readHtpasswd } from "../../release/ui/auth";
import { tempCatalog } from "../helpers/catalog";
import { fakeEngine } from "../helpers/fake-engine";
import { haveChromium, launch } from "../helpers/chromium";

jest.setTimeout(120000);

const artifacts = path.join(__dirname, "..", "..", ".ui-artifacts", "page");
const dir = tempCatalog({});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pc-ui-page-"));
const fake = fakeEngine(150);
let server: FastifyInstance;
let url = "";
let browser: BrowserContext;
let page: Page;
let step = 0;

/** A screenshot of the step; the page scrolled to the top (results stay in view) unless `here`. */
async function shot(name: string, p: Page = page, here = false): Promise<void> {
  step += 1;
  if (!here) await p.evaluate("window.scrollTo(0, 0)");
  await p.screenshot({ path: path.join(artifacts, `${String(step).padStart(2, "0")}-${name}.png`) });
}
async function finished(kind: string, p: Page = page): Promise<string> {
  const done = p.locator(`section.progress[data-job="${kind}"]:not([data-done="running"])`);
  await done.waitFor({ timeout: 30000 });
  return (await done.getAttribute("data-done")) ?? "";
}
const historyRows = (p: Page = page) => p.locator('.history [data-dc="sim"] tbody tr');

const suite = haveChromium() ? describe : process.env.CI ? describe : describe.skip;

suite("release page in Chromium (engine stand-in)", () => {
  beforeAll(async () => {
    if (!haveChromium())
      throw new Error("no Chromium: run `npm run toolchain` (it installs Debian's chromium)");
    fs.rmSync(artifacts, { recursive: true, force: true });
    fs.mkdirSync(artifacts, { recursive: true });
    const users = path.join(tmp, "users");
    // Cost 4: the lowest bcrypt allows (throw-away users).
    fs.writeFileSync(
      users,
      `alice:${bcrypt.hashSync("wonderland", 4)}\nbob:${bcrypt.hashSync("builder", 4)}\n`,
    );
    server = await buildServer({
      auth: { kind: "htpasswd", file: users, users: readHtpasswd(users) },
      appsDir: dir,
      engine: fake.engine,
      bundle: await buildBundle(path.join(tmp, "assets")),
    });
    url = await server.listen({ host: "127.0.0.1", port: 0 });
    browser = await launch("alice", "wonderland");
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("dialog", (d) => void d.accept());
    page.setDefaultTimeout(10000);
    await page.goto(url);
  });
  afterAll(async () => {
    fake.release();
    await browser?.close();
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("starts a business from a template; bad values are refused next to their fields", async () => {
    await page.getByText("signed in as alice").waitFor();
    await page.selectOption("#new-template", "jetty-worker");
    await page.click("#new-business");
    await page.fill("#root_business", "shop");
    await page.fill("#root_image", "shop/web");
    await page.fill("#root_datacenters_0_name", "sim");
    // The template's own default (a worker has nothing to drain) as the placeholder.
    expect(await page.getAttribute("#root_drainSeconds", "placeholder")).toBe("default: 0");
    await page.fill("#root_version", "latest");
    expect(await page.locator("#root_version__error").textContent()).toContain(
      "expected a pinned image tag such as 1.4.2 or a digest sha256:<64 hex> (never latest)",
    );
    await shot("field-error", page, true);

    // Only the server's cross-field checks know this one; it lands at its field too.
    await page.fill("#root_version", "1.0.0");
    await page.locator("details:has(#root_replicas_min) > summary").last().click();
    await page.fill("#root_replicas_min", "4");
    await page.fill("#root_replicas_max", "3");
    await page.click("#render");
    await page.locator("#root_replicas_max__error").waitFor();
    expect(await page.locator("#root_replicas_max__error").textContent()).toContain(
      "(for sim) 3 is below replicas.min 4 (expected max >= min)",
    );
    expect(await page.locator("pre.message.error").textContent()).toContain("nothing was created");
    await shot("server-field-error", page, true);
    await page.fill("#root_replicas_max", "6");
  });

  it("renders the objects and previews the diff", async () => {
    await page.click("#render");
    const yaml = page.locator('.rendered [data-dc="sim"] pre');
    await yaml.waitFor();
    expect(await yaml.textContent()).toContain("image: 127.0.0.1:16405/shop/web:1.0.0");
    await page.click("#preview");
    expect(await finished("preview")).toBe("ok");
    expect(await page.locator('.dc-card[data-dc="sim"] .resources').textContent()).toContain(
      "createkubernetes:apps/v1:Deploymentshop",
    );
    await shot("preview");
  });

  it("creates the release with live progress, then shows it in the list and the history", async () => {
    await page.click("#release");
    // Live: a resource in flight ("…") before the end.
    await page.locator('section.progress[data-done="running"] tr.phase-start').first().waitFor();
    await shot("progress");
    expect(await finished("up")).toBe("ok");
    expect(fake.calls.at(-1)).toMatchObject({ op: "up", who: "alice", version: "1.0.0" });
    await historyRows().first().waitFor();
    expect(await historyRows().first().textContent()).toMatch(/^1up1\.0\.0alice.*succeeded/);
    await page.locator('tr[data-business="shop"][data-dc="sim"]', { hasText: "1.0.0" }).waitFor();
    expect(await page.locator('tr[data-business="shop"][data-dc="sim"]').textContent()).toMatch(
      /shopsim1\.0\.0released.*up 1\.0\.0 succeeded by alice/,
    );
  });

  it("refuses a second release of the same business and datacenter, naming who holds it", async () => {
    // Bob has the business open in his browser before Alice starts.
    const bobs = await launch("bob", "builder");
    try {
      const other = bobs.pages()[0] ?? (await bobs.newPage());
      other.setDefaultTimeout(10000);
      await other.goto(url);
      await other.locator('tr[data-business="shop"] a').first().click();
      await other.locator("#release").waitFor();

      fake.hold();
      await page.fill("#root_version", "1.0.1");
      await page.click("#release");
      await page.locator('section.progress[data-done="running"]').waitFor();

      await other.click("#release");
      await other.locator("pre.message.error").waitFor();
      expect(await other.locator("pre.message.error").textContent()).toMatch(
        /^busy: sim is held by alice \(up since \S+\); try again when it ends$/,
      );
      // Reopened, his page follows Alice's release live, and the list says who holds it.
      await other.locator('tr[data-business="shop"] a').first().click();
      await other.locator('section.progress[data-done="running"]').waitFor();
      await other.reload();
      await other.locator('tr[data-business="shop"][data-dc="sim"]', { hasText: "busy" }).waitFor();
      expect(await other.locator('tr[data-business="shop"][data-dc="sim"]').textContent()).toContain(
        "busy, held by alice",
      );
      await shot("busy", other);
    } finally {
      fake.release();
      await bobs.close();
    }
    expect(await finished("up")).toBe("ok");
    await page.locator('.history [data-dc="sim"] tbody tr', { hasText: "1.0.1" }).waitFor();
    expect(await historyRows().count()).toBe(2);
    await shot("history");
  });

  it("a failed canary shows where and why the rollout stopped; the next datacenter is untouched", async () => {
    // A second datacenter after sim: sim becomes the canary.
    await page.click("#root_datacenters__add");
    await page.fill("#root_datacenters_1_name", "sim-b");
    fake.failNext(
      "sim",
      "shop: Deployment shop did not become ready within 15s\n  0/2 pods ready: 0/5 nodes are available: 5 node(s) didn't match Pod's node affinity",
    );
    await page.fill("#root_version", "1.0.2");
    await page.click("#release");
    expect(await finished("up")).toBe("failed");
    const canary = page.locator('.dc-card[data-dc="sim"]');
    expect(await canary.getAttribute("data-status")).toBe("failed");
    expect(await canary.locator("h4").textContent()).toContain("canary");
    expect(await canary.locator(".stop-reason").textContent()).toContain(
      "stopped here: shop: Deployment shop did not become ready",
    );
    // The engine's diagnostic, whole.
    expect(await canary.locator("pre.error").textContent()).toContain(
      "0/2 pods ready: 0/5 nodes are available: 5 node(s) didn't match Pod's node affinity",
    );
    const next = page.locator('.dc-card[data-dc="sim-b"]');
    expect(await next.getAttribute("data-status")).toBe("not-started");
    expect(await next.textContent()).toContain("not started: sim did not succeed");
    expect(fake.calls.at(-1)).toMatchObject({ op: "up", dcs: ["sim", "sim-b"] });
    await shot("failed-canary");
  });

  it("rolls back to a past version from the history", async () => {
    await page.getByRole("button", { name: "roll back to 1.0.0" }).first().click();
    expect(await finished("rollback")).toBe("ok");
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
    await page.locator('tr[data-business="shop"][data-dc="sim"]', { hasText: "deleted" }).waitFor();
    expect(await historyRows().first().textContent()).toMatch(/destroy.*alice.*succeeded/);
    await shot("deleted");
  });
});
