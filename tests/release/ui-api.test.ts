/**
 * The release web UI's API without a cluster (Fastify's inject, an engine
 * stand-in that records what it was asked): who may act, CSRF, schema
 * errors with the paths the form shows them at, one release per business
 * and datacenter, and the user recorded as the releaser.
 * (The page against a real engine and simulated datacenter: tests/e2e/release-ui.test.ts.)
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import bcrypt from "bcryptjs";
import type { FastifyInstance } from "fastify";
import { buildServer } from "../../release/ui/server";
import { readHtpasswd } from "../../release/ui/auth";
import { minimalEntry, tempCatalog } from "../helpers/catalog";
import { fakeEngine, type FakeEngine } from "../helpers/fake-engine";

const dir = tempCatalog({ shop: minimalEntry("shop") });
const htpasswd = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pc-ui-")), "users");
// Cost 4: the lowest bcrypt allows, so the suite stays fast.
fs.writeFileSync(
  htpasswd,
  `alice:${bcrypt.hashSync("wonderland", 4)}\nbob:${bcrypt.hashSync("builder", 4)}\n`,
);
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(path.dirname(htpasswd), { recursive: true, force: true });
});

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;
const ALICE = basic("alice", "wonderland");
const BOB = basic("bob", "builder");

interface Answer {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any -- API answers
}
interface Request {
  method: "GET" | "POST";
  url: string;
  headers?: Record<string, string>;
  payload?: unknown;
}

/** Real HTTP on loopback (what a browser does; Fastify's inject needs an ESM-only module jest cannot load). */
async function listen(server: FastifyInstance) {
  await server.listen({ host: "127.0.0.1", port: 0 });
  const { port } = server.server.address() as { port: number };
  origin = `http://127.0.0.1:${port}`;
  return (r: Request): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const body = r.payload === undefined ? undefined : JSON.stringify(r.payload);
      const req = http.request(
        {
          host: "127.0.0.1",
          port,
          method: r.method,
          path: r.url,
          headers: { ...(body ? { "content-type": "application/json" } : {}), ...r.headers },
        },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += String(d)));
          res.on("end", () =>
            resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, json: () => JSON.parse(text) }),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
}

let server: FastifyInstance;
/** The origin of the server under test (what its own page sends). */
let origin = "";
let app: { inject: (r: Request) => Promise<Answer> };
let fake: FakeEngine;
beforeEach(async () => {
  fake = fakeEngine();
  // Releases wait until the test ends: a second request meets a held datacenter.
  fake.hold();
  server = await buildServer({
    auth: { kind: "htpasswd", file: htpasswd, users: readHtpasswd(htpasswd) },
    appsDir: dir,
    engine: fake.engine,
  });
  app = { inject: await listen(server) };
});
afterEach(async () => {
  fake.release();
  await server.close();
});

async function session(auth = ALICE): Promise<string> {
  const r = await app.inject({ method: "GET", url: "/api/session", headers: { authorization: auth } });
  expect(r.statusCode).toBe(200);
  return r.json().csrfToken as string;
}
async function post(url: string, body: unknown, auth = ALICE, extra: Record<string, string> = {}) {
  return app.inject({
    method: "POST",
    url,
    headers: { authorization: auth, "x-csrf-token": await session(auth), ...extra },
    payload: body as Record<string, unknown>,
  });
}

describe("release UI: authentication", () => {
  it.each([
    ["no credentials", undefined],
    ["a wrong password", basic("alice", "guess")],
    ["an unknown user", basic("mallory", "wonderland")],
  ])("refuses %s on the page and the API", async (_what, authorization) => {
    for (const url of ["/", "/api/session", "/api/businesses", "/api/form"]) {
      const r = await app.inject({ method: "GET", url, headers: authorization ? { authorization } : {} });
      expect([url, r.statusCode]).toEqual([url, 401]);
      expect(r.headers["www-authenticate"]).toBe('Basic realm="private-cloud releases"');
    }
    const r = await app.inject({ method: "POST", url: "/api/render", payload: { entry: minimalEntry() } });
    expect(r.statusCode).toBe(401);
  });

  it("names the signed-in user", async () => {
    const r = await app.inject({ method: "GET", url: "/api/session", headers: { authorization: BOB } });
    expect(r.json().user).toBe("bob");
  });

  it("trusts a proxy's header only in that mode, and refuses a request without it", async () => {
    const proxiedServer = await buildServer({
      auth: { kind: "header", header: "X-Forwarded-User" },
      appsDir: dir,
      engine: fake.engine,
    });
    const proxied = { inject: await listen(proxiedServer) };
    try {
      expect((await proxied.inject({ method: "GET", url: "/api/session" })).statusCode).toBe(401);
      const r = await proxied.inject({
        method: "GET",
        url: "/api/session",
        headers: { "x-forwarded-user": "carol" },
      });
      expect(r.json().user).toBe("carol");
      // In htpasswd mode the header means nothing.
      const ignored = await app.inject({
        method: "GET",
        url: "/api/session",
        headers: { "x-forwarded-user": "carol" },
      });
      expect(ignored.statusCode).toBe(401);
    } finally {
      await proxiedServer.close();
    }
  });

  it("refuses an htpasswd file with weak hashes, naming the line", () => {
    const weak = path.join(path.dirname(htpasswd), "weak");
    fs.writeFileSync(weak, "carol:$apr1$abc$def\n");
    expect(() => readHtpasswd(weak)).toThrow(`${weak}:1: carol's hash is not bcrypt`);
  });
});

describe("release UI: CSRF", () => {
  it("refuses a state-changing request without the token, with another user's token, or from another origin", async () => {
    const body = { entry: minimalEntry() };
    const without = await app.inject({
      method: "POST",
      url: "/api/businesses/shop/up",
      headers: { authorization: ALICE },
      payload: body,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().error).toContain("missing or wrong X-CSRF-Token");

    const bobs = await session(BOB);
    const wrong = await app.inject({
      method: "POST",
      url: "/api/businesses/shop/destroy",
      headers: { authorization: ALICE, "x-csrf-token": bobs },
      payload: {},
    });
    expect(wrong.statusCode).toBe(403);

    const foreign = await post("/api/businesses/shop/destroy", {}, ALICE, { origin: "https://evil.example" });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().error).toBe("cross-site request refused (Origin https://evil.example)");
    expect(fake.calls).toEqual([]);
  });

  it("accepts the same request with the token and a same-origin Origin", async () => {
    const r = await post("/api/preview", { entry: minimalEntry() }, ALICE, { origin });
    expect(r.statusCode).toBe(202);
  });
});

describe("release UI: input is validated on the server with the catalog's schema", () => {
  it("returns every schema error with the path of its field, and runs nothing", async () => {
    const entry = minimalEntry("shop", {
      version: "latest",
      probes: { readiness: { timeoutSeconds: 1 } },
      replicas: { min: 1 },
    });
    const r = await post("/api/businesses/shop/up", { entry });
    expect(r.statusCode).toBe(400);
    const issues = r.json().issues as { field: unknown[]; message: string }[];
    const byField = Object.fromEntries(issues.map((i) => [i.field.join("."), i.message]));
    expect(byField).toEqual({
      version: expect.stringContaining('"latest" is not valid (expected a pinned image tag'),
      "probes.readiness.timeoutSeconds": expect.stringContaining("1 is not valid (expected an integer 5-60"),
      "replicas.min": expect.stringContaining("1 is not valid (expected an integer 2-1000"),
    });
    expect(fake.calls).toEqual([]);
    // Nothing was written to the catalog either.
    expect(fs.readFileSync(path.join(dir, "shop.yaml"), "utf8")).toContain("version: 1.0.0");
  });

  it("reports a field the resolved spec needs, for the datacenter it is missing in", async () => {
    const entry = minimalEntry();
    delete entry.image;
    const r = await post("/api/preview", { entry });
    expect(r.statusCode).toBe(400);
    expect(r.json().issues).toEqual([
      expect.objectContaining({
        field: ["image"],
        dc: "sim",
        message: expect.stringContaining("is required (expected an image path inside the registry mirror"),
      }),
    ]);
  });

  it("reports the catalog's cross-field checks at their field, per datacenter (the seed's 24 processors on 6 cores)", async () => {
    const entry = minimalEntry("shop", {
      resources: { cpuLimitMillis: 6000, cpuRequestMillis: 1000 },
      jvm: { options: ["-XX:+UseG1GC", "-XX:ActiveProcessorCount=24"] },
    });
    const r = await post("/api/render", { entry });
    expect(r.statusCode).toBe(400);
    expect(r.json().issues).toEqual([
      expect.objectContaining({
        field: ["jvm", "options", 1],
        dc: "sim",
        message: expect.stringContaining("-XX:ActiveProcessorCount=24 exceeds CPU limit 6"),
      }),
    ]);
  });

  it("reports an unknown template at the template field", async () => {
    const r = await post("/api/render", { entry: minimalEntry("shop", { template: "tomcat" }) });
    expect(r.statusCode).toBe(400);
    expect(r.json().issues).toEqual([
      {
        path: "template",
        field: ["template"],
        message: 'template "tomcat" does not exist (expected one of: jetty-web, jetty-worker, multi-process)',
      },
    ]);
  });

  it("refuses a business name that is not a DNS label before it becomes a path", async () => {
    const r = await post("/api/render", { entry: minimalEntry("../etc") });
    expect(r.statusCode).toBe(400);
    expect(r.json().issues[0]).toMatchObject({ field: ["business"] });
  });

  it("refuses a body without an entry", async () => {
    const r = await post("/api/preview", { nothing: true });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toContain('expected a JSON body {"entry"');
  });

  it("renders a valid entry to the Kubernetes objects of each datacenter", async () => {
    const r = await post("/api/render", { entry: minimalEntry("shop", { replicas: {}, env: {} }) });
    expect(r.statusCode).toBe(200);
    expect(r.json().yaml.sim).toContain("kind: Deployment");
    expect(r.json().yaml.sim).toContain("image: 127.0.0.1:16405/shop/web:1.0.0");
  });
});

describe("release UI: releases", () => {
  it("records the signed-in user as the releaser and saves the entry to the catalog", async () => {
    const r = await post("/api/businesses/shop/up", { entry: minimalEntry("shop", { version: "1.0.1" }) });
    expect(r.statusCode).toBe(202);
    expect(r.json().job).toMatchObject({ kind: "up", who: "alice", datacenters: ["sim"] });
    expect(fake.calls).toEqual([{ op: "up", who: "alice", dcs: ["sim"], version: "1.0.1" }]);
    expect(fs.readFileSync(path.join(dir, "shop.yaml"), "utf8")).toContain("version: 1.0.1");
  });

  it("refuses a second release of the same business and datacenter, naming who holds it", async () => {
    expect((await post("/api/businesses/shop/up", { entry: minimalEntry() })).statusCode).toBe(202);
    const second = await post(
      "/api/businesses/shop/rollback",
      { datacenters: ["sim"], version: "1.0.0" },
      BOB,
    );
    expect(second.statusCode).toBe(409);
    expect(second.json().error).toMatch(
      /^busy: sim is held by alice \(up since \S+\); try again when it ends$/,
    );
    // A preview changes nothing and is not refused.
    expect((await post("/api/preview", { entry: minimalEntry() }, BOB)).statusCode).toBe(202);
    expect(fake.calls.map((c) => c.op)).toEqual(["up", "preview"]);
    const list = await app.inject({ method: "GET", url: "/api/businesses", headers: { authorization: BOB } });
    expect(list.json()[0].datacenters[0].busy).toMatch(/^held by alice \(up since/);
  });
});

describe("release UI: the form", () => {
  it("is the catalog's schema, with template defaults as placeholders", async () => {
    const r = await app.inject({ method: "GET", url: "/api/form", headers: { authorization: ALICE } });
    const f = r.json();
    expect(f.schema.properties.version.expected).toContain("never latest");
    expect(f.schema.properties.template.examples).toEqual(["jetty-web", "jetty-worker", "multi-process"]);
    expect(f.schema.properties.env.patternProperties).toEqual({
      "^[A-Za-z_][A-Za-z0-9_]*$": { type: "string" },
    });
    const worker = f.templates.find((t: { name: string }) => t.name === "jetty-worker");
    expect(worker.placeholders.drainSeconds).toEqual({ "ui:placeholder": "default: 0" });
    expect(worker.placeholders.resources.cpuLimitMillis).toEqual({ "ui:placeholder": "default: 2000" });
  });

  it("answers 503 for the page when the assets are not built, never a broken page", async () => {
    const r = await app.inject({ method: "GET", url: "/", headers: { authorization: ALICE } });
    expect(r.statusCode).toBe(503);
  });
});
