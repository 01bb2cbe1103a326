/**
 * npm run release:ui -- [--address 127.0.0.1] [--port 8480] (--htpasswd FILE | --trust-header NAME)
 *
 * The release web UI: a Fastify server over the release engine
 * (release/engine.ts — the same functions the CLI calls), serving a page
 * bundled from npm packages. Every input is resolved by the catalog's own
 * code (resolveEntry: one schema, templates, overrides, cross-field checks)
 * before anything runs; the engine runs in-process through the Automation
 * API (argument arrays, never a shell string).
 */
import * as fs from "fs";
import * as path from "path";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { Command, Option } from "commander";
import { parse, stringify } from "yaml";
import { ConfigError, type ConfigIssue } from "../../stacks/validate";
import {
  catalogFile,
  DEFAULT_APPS_DIR,
  listBusinesses,
  resolveEntry,
  resolveRelease,
  type ResolvedRelease,
} from "../catalog/load";
import { contextFromStackFile, renderYaml } from "../render";
import type * as EngineModule from "../engine";
import { authenticator, csrfTokens, readHtpasswd, type AuthConfig } from "./auth";
import { formDescription, pruneEntry } from "./form";
import { Busy, Jobs, type JobEvent } from "./jobs";
import { buildBundle, type Bundle } from "./bundle";

/** The engine functions the server calls (the real module; tests may pass a stand-in). */
export type Engine = Pick<typeof EngineModule, "runRelease" | "rollbackRelease" | "releaseHistory">;

export interface ServerOptions {
  readonly auth: AuthConfig;
  /** Catalog directory. Default: the repository's apps/. */
  readonly appsDir?: string;
  /** Built page assets; without them the page answers 503 (the API works). */
  readonly bundle?: Bundle;
  /** Default: the real engine, loaded on first use. */
  readonly engine?: Engine;
  /** Environment for the Pulumi CLI. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
  readonly logger?: boolean;
}

/** Where a problem is in the form: path segments under the entry, and the datacenter it was resolved for. */
export interface FieldIssue {
  readonly path: string;
  readonly field: (string | number)[];
  readonly dc?: string;
  readonly message: string;
}

const ROOT = "entry";

/** `entry (for sim) jvm.options[1]` → { field: ["jvm","options",1], dc: "sim" }. */
export function fieldIssue(i: ConfigIssue): FieldIssue {
  // A template that does not exist is reported at its file; the form's field is `template`.
  if (/^apps\/templates\/[^ ]+\.yaml$/.test(i.path))
    return { path: "template", field: ["template"], message: i.message };
  const m = /^(?:\S+)(?: \(for ([^)]+)\))?(?: (.*))?$/.exec(i.path);
  const rest = m?.[2] ?? "";
  const field: (string | number)[] = [];
  for (const part of rest.split(".").filter(Boolean)) {
    const [name, ...idx] = part.split(/[[\]]/).filter(Boolean);
    field.push(name, ...idx.map(Number));
  }
  return { path: rest || i.path, field, ...(m?.[1] ? { dc: m[1] } : {}), message: i.message };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function entryOf(body: unknown): { business: string; entry: Record<string, unknown> } {
  const raw = isObj(body) ? body.entry : undefined;
  if (!isObj(raw))
    throw new HttpError(400, 'expected a JSON body {"entry": {…catalog entry…}}', {
      issues: [{ path: "entry", field: [], message: "is missing (expected a catalog entry object)" }],
    });
  const entry = pruneEntry(raw) as Record<string, unknown>;
  const business = typeof entry.business === "string" ? entry.business : "";
  return { business, entry };
}

/** Resolves a posted entry with the catalog's own code; a bad one is a 400 listing every field. */
function resolvePosted(business: string, entry: unknown, appsDir: string, dcs?: string[]): ResolvedRelease {
  if (!catalogFile(business, appsDir))
    throw new ConfigError(
      [
        {
          path: `${ROOT} business`,
          message: `${JSON.stringify(business)} is not valid (expected a lower-case DNS label (a-z, 0-9, '-'; at most 63 characters))`,
        },
      ],
      "catalog entry",
    );
  return resolveEntry(
    business,
    entry,
    { appsDir, datacenters: dcs },
    ROOT,
    path.join(appsDir, `${business}.yaml`),
  );
}

function dcList(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw new HttpError(400, "datacenters: expected a list of datacenter names");
  return v as string[];
}

export async function buildServer(opts: ServerOptions): Promise<FastifyInstance> {
  const appsDir = opts.appsDir ?? DEFAULT_APPS_DIR;
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 1 << 20 });
  const authenticate = authenticator(opts.auth);
  const csrf = csrfTokens();
  const jobs = new Jobs();
  let engine = opts.engine;
  const eng = async (): Promise<Engine> => (engine ??= await import("../engine"));
  const env = opts.env ?? process.env;

  app.decorateRequest("user", "");
  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    const r = await authenticate(req.headers as Record<string, unknown>);
    if (!r.ok) {
      if (opts.auth.kind === "htpasswd")
        reply.header("www-authenticate", 'Basic realm="private-cloud releases"');
      return reply.code(401).send({ error: r.message });
    }
    (req as FastifyRequest & { user: string }).user = r.user;
    if (req.method !== "GET" && req.method !== "HEAD") {
      const origin = req.headers.origin;
      if (origin && origin !== `http://${req.headers.host}` && origin !== `https://${req.headers.host}`)
        return reply.code(403).send({ error: `cross-site request refused (Origin ${origin})` });
      if (!csrf.check(r.user, req.headers["x-csrf-token"]))
        return reply.code(403).send({
          error: "missing or wrong X-CSRF-Token (reload the page: the token comes from /api/session)",
        });
    }
  });
  const userOf = (req: FastifyRequest) => (req as FastifyRequest & { user: string }).user;

  app.setErrorHandler((e: unknown, _req, reply) => {
    if (e instanceof ConfigError)
      return reply.code(400).send({ error: e.message, issues: e.issues.map(fieldIssue) });
    if (e instanceof Busy) return reply.code(409).send({ error: e.message, holders: e.holders });
    if (e instanceof HttpError) return reply.code(e.status).send({ error: e.message, ...e.body });
    const status = (e as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send({ error: (e as Error).message });
    // An engine error is shown whole: its text is what the user acts on.
    return reply.code(500).send({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  });

  // The page.
  app.get("/", async (_req, reply) => {
    const b = opts.bundle;
    if (!b) return reply.code(503).send({ error: "page assets not built (npm run release:ui builds them)" });
    // Scripts only from this server. 'unsafe-eval': ajv compiles the schema
    // into a function in the browser (the same validation as the server's);
    // no inline script is ever allowed.
    reply.header(
      "content-security-policy",
      "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
    return reply
      .type("text/html; charset=utf-8")
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>private-cloud releases</title>` +
          `<meta name="viewport" content="width=device-width, initial-scale=1">` +
          (b.style ? `<link rel="stylesheet" href="/assets/${b.style}">` : "") +
          `</head><body><div id="root"></div><script src="/assets/${b.script}"></script></body></html>`,
      );
  });
  app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());
  app.get<{ Params: { name: string } }>("/assets/:name", async (req, reply) => {
    const b = opts.bundle;
    const type = b?.files.get(req.params.name);
    if (!b || !type) return reply.code(404).send({ error: "no such asset" });
    reply.header("cache-control", "public, max-age=31536000, immutable");
    return reply.type(type).send(fs.readFileSync(path.join(b.dir, req.params.name)));
  });

  app.get("/api/session", async (req) => ({ user: userOf(req), csrfToken: csrf.tokenFor(userOf(req)) }));
  app.get("/api/form", async () => formDescription(appsDir));

  app.get("/api/businesses", async () => {
    const e = await eng();
    const out = [];
    for (const business of listBusinesses(appsDir)) {
      try {
        const r = resolveRelease(business, { appsDir });
        const hist = await e.releaseHistory(r, { env });
        out.push({
          business,
          template: r.template.name,
          datacenters: r.order.map((dc) => {
            const last = hist.get(dc)?.[0];
            const released = hist.get(dc)?.find((h) => h.kind === "update" && h.result === "succeeded");
            const holder = jobs.holder(business, dc);
            return {
              dc,
              state: !last
                ? "never released"
                : last.kind === "destroy" && last.result === "succeeded"
                  ? "deleted"
                  : "released",
              version: last?.kind === "destroy" ? undefined : released?.version,
              lastResult: last
                ? `${last.operation ?? last.kind} ${last.version ?? ""} ${last.result}`.replace(/  +/g, " ")
                : undefined,
              lastBy: last?.who,
              lastAt: last?.startTime,
              busy: holder ? `held by ${holder.who} (${holder.kind} since ${holder.since})` : undefined,
            };
          }),
        });
      } catch (err) {
        out.push({ business, datacenters: [], error: err instanceof Error ? err.message : String(err) });
      }
    }
    return out;
  });

  app.get<{ Params: { business: string } }>("/api/businesses/:business", async (req) => {
    const file = catalogFile(req.params.business, appsDir);
    if (!file || !fs.existsSync(file))
      throw new HttpError(404, `${req.params.business} is not in the catalog`);
    return { entry: parse(fs.readFileSync(file, "utf8")), jobs: jobs.of(req.params.business).map(summary) };
  });

  app.get<{ Params: { business: string } }>("/api/businesses/:business/history", async (req) => {
    const r = resolveRelease(req.params.business, { appsDir });
    const hist = await (await eng()).releaseHistory(r, { env });
    return Object.fromEntries(
      [...hist].map(([dc, entries]) => [
        dc,
        entries.map(({ spec, ...rest }) => ({ ...rest, rollback: Boolean(spec) })),
      ]),
    );
  });

  app.post("/api/render", async (req) => {
    const { business, entry } = entryOf(req.body);
    const r = resolvePosted(business, entry, appsDir);
    const out: Record<string, string> = {};
    for (const dc of r.order) {
      const ctx = contextFromStackFile(dc);
      if (!ctx.businesses[business])
        throw new HttpError(
          400,
          `${business} is not onboarded in datacenter ${dc} (expected it in private-cloud:businesses of Pulumi.${dc}.yaml)`,
        );
      out[dc] = renderYaml(r.specs.get(dc) as Parameters<typeof renderYaml>[0], r.template, ctx);
    }
    return { yaml: out };
  });

  const started = (job: ReturnType<Jobs["start"]>) => ({ job: summary(job) });

  app.post("/api/preview", async (req, reply) => {
    const { business, entry } = entryOf(req.body);
    const r = resolvePosted(
      business,
      entry,
      appsDir,
      dcList((req.body as Record<string, unknown>).datacenters),
    );
    const e = await eng();
    const job = jobs.start(business, "preview", userOf(req), r.order, (emit) =>
      e.runRelease("preview", r, { env, who: userOf(req), emit }),
    );
    return reply.code(202).send(started(job));
  });

  // Create or update: the entry becomes the catalog file (the CLI reads the
  // same file), then the engine releases it.
  app.post<{ Params: { business: string } }>("/api/businesses/:business/up", async (req, reply) => {
    const { entry } = entryOf(req.body);
    const r = resolvePosted(
      req.params.business,
      entry,
      appsDir,
      dcList((req.body as Record<string, unknown>).datacenters),
    );
    const e = await eng();
    const job = jobs.start(r.business, "up", userOf(req), r.order, (emit) => {
      fs.writeFileSync(
        catalogFile(r.business, appsDir) as string,
        `# Saved by the release web UI (${userOf(req)}).\n${stringify(entry)}`,
      );
      return e.runRelease("up", r, { env, who: userOf(req), emit });
    });
    return reply.code(202).send(started(job));
  });

  app.post<{ Params: { business: string } }>("/api/businesses/:business/destroy", async (req, reply) => {
    const r = resolveRelease(req.params.business, {
      appsDir,
      datacenters: dcList((req.body as Record<string, unknown> | undefined)?.datacenters),
    });
    const e = await eng();
    const job = jobs.start(r.business, "destroy", userOf(req), r.order, (emit) =>
      e.runRelease("destroy", r, { env, who: userOf(req), emit }),
    );
    return reply.code(202).send(started(job));
  });

  app.post<{ Params: { business: string } }>("/api/businesses/:business/rollback", async (req, reply) => {
    const body = isObj(req.body) ? req.body : {};
    const version = body.version;
    if (version !== undefined && typeof version !== "string")
      throw new HttpError(400, "version: expected a version string from the history");
    const r = resolveRelease(req.params.business, { appsDir, datacenters: dcList(body.datacenters) });
    const e = await eng();
    const job = jobs.start(r.business, "rollback", userOf(req), r.order, (emit) =>
      e.rollbackRelease(r, version, { env, who: userOf(req), emit }),
    );
    return reply.code(202).send(started(job));
  });

  app.get<{ Params: { id: string } }>("/api/jobs/:id", async (req) => {
    const job = jobs.get(req.params.id);
    if (!job) throw new HttpError(404, "no such job");
    return { ...summary(job), events: job.events };
  });

  // Live progress: Server-Sent Events (one-way, reconnect built into the
  // browser, plain HTTP through any proxy). Replays what happened so far.
  app.get<{ Params: { id: string } }>("/api/jobs/:id/events", (req, reply) => {
    const job = jobs.get(req.params.id);
    if (!job) return reply.code(404).send({ error: "no such job" });
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    const send = (e: JobEvent) => {
      res.write(`data: ${JSON.stringify(e)}\n\n`);
      if (e.type === "job-end") res.end();
    };
    const off = jobs.follow(job.id, send);
    req.raw.on("close", off);
    return undefined;
  });

  return app;
}

function summary(j: {
  id: string;
  business: string;
  kind: string;
  who: string;
  datacenters: readonly string[];
  started: string;
  done: boolean;
  ok?: boolean;
}) {
  return {
    id: j.id,
    business: j.business,
    kind: j.kind,
    who: j.who,
    datacenters: j.datacenters,
    started: j.started,
    done: j.done,
    ok: j.ok,
  };
}

/** The command line; returns once listening. */
export async function main(argv: string[]): Promise<FastifyInstance> {
  const cmd = new Command("release:ui")
    .description("The release web UI over the release engine (the same code as npm run release).")
    .option(
      "--address <address>",
      "address to bind (a reverse proxy in front for anything but this host)",
      "127.0.0.1",
    )
    .option("--port <port>", "TCP port", "8480")
    .addOption(
      new Option(
        "--htpasswd <file>",
        "users: an htpasswd file of bcrypt entries (htpasswd -B), HTTP Basic",
      ).conflicts("trustHeader"),
    )
    .option(
      "--trust-header <name>",
      "users: trust this header set by an authenticating reverse proxy (e.g. X-Forwarded-User)",
    )
    .option("--apps-dir <dir>", "catalog directory (default: the repository's apps/)")
    .addHelpText(
      "after",
      `
Environment: PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE as for npm run release (source scripts/env.sh).
Example: npm run release:ui -- --htpasswd /etc/private-cloud/release-users --port 8480`,
    )
    .parse(argv, { from: "user" });
  const o = cmd.opts<{
    address: string;
    port: string;
    htpasswd?: string;
    trustHeader?: string;
    appsDir?: string;
  }>();
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port: ${JSON.stringify(o.port)} is not valid (expected a TCP port 0-65535)`);
  let auth: AuthConfig;
  if (o.htpasswd) auth = { kind: "htpasswd", file: o.htpasswd, users: readHtpasswd(o.htpasswd) };
  else if (o.trustHeader) {
    if (!/^[A-Za-z0-9-]+$/.test(o.trustHeader))
      throw new Error(`--trust-header: ${JSON.stringify(o.trustHeader)} is not a header name`);
    auth = { kind: "header", header: o.trustHeader };
  } else
    throw new Error(
      "no authentication configured (expected --htpasswd FILE or --trust-header NAME: the history records who released)",
    );
  const t0 = Date.now();
  const bundle = await buildBundle();
  const app = await buildServer({ auth, appsDir: o.appsDir ? path.resolve(o.appsDir) : undefined, bundle });
  const url = await app.listen({ host: o.address, port });
  process.stderr.write(`release UI: ${url} (assets built in ${Date.now() - t0} ms, auth: ${auth.kind})\n`);
  return app;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (app) => {
      const stop = () => void app.close().then(() => process.exit(0));
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    },
    (e: unknown) => {
      process.stderr.write(`release:ui: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
