/**
 * The release engine on the Pulumi Automation API: one stack per business per
 * datacenter (`<business>.<dc>`, project `private-cloud-release`) in the same
 * state backend as the datacenter's platform stack, one workspace per stack,
 * the policy pack on every preview and up, datacenters in order with the
 * first as canary, and a stop at the first failure.
 *
 * Typed events (ReleaseEvent) are the engine's only output: the CLI turns them
 * into a terminal progress display or JSON lines, a UI can consume the same.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  CommandError,
  LocalWorkspace,
  PulumiCommand,
  type EngineEvent,
  type OpMap,
  type Stack,
  type StackSettings,
  type StepEventMetadata,
  type UpdateSummary,
} from "@pulumi/pulumi/automation";
import type { AppSpec } from "./catalog/schema";
import { loadTemplate, type ResolvedRelease } from "./catalog/load";
import { RELEASE_PROJECT, releaseProgram, rolloutTargets, stackName } from "./program";
import { describeRollout, readRollout } from "./rollout";
import { describeLock, fileBackendDir, findLocks } from "./lock";
import { compiledPolicyPack } from "./policy-build";

export type Operation = "preview" | "up" | "destroy" | "rollback";

/** Outcome of one datacenter. */
export type DcStatus = "succeeded" | "failed" | "policy-violation" | "locked" | "not-started" | "declined";

export interface DcResult {
  readonly dc: string;
  readonly stack: string;
  readonly status: DcStatus;
  readonly version?: string;
  /** Resource operations counted by Pulumi (create, update, delete, same, …). */
  readonly changes?: Record<string, number>;
  readonly seconds: number;
  /** What went wrong, in one line a person can act on. */
  readonly error?: string;
  /** Mandatory policy violations (the policy's own messages). */
  readonly violations?: readonly string[];
}

/** What the engine reports while it works (the CLI renders these; `--json` prints them as lines). */
export type ReleaseEvent =
  | { type: "release-start"; business: string; operation: Operation; datacenters: readonly string[] }
  | {
      type: "dc-start";
      dc: string;
      stack: string;
      operation: Operation;
      version?: string;
      params?: string;
      canary: boolean;
    }
  | {
      type: "resource";
      dc: string;
      phase: "start" | "done" | "failed";
      op: string;
      resourceType: string;
      name: string;
      diffs?: readonly string[];
      /** Preview only: each changed property with its old and new value (secrets stay "[secret]"). */
      changes?: readonly PropertyChange[];
    }
  | { type: "policy"; dc: string; level: string; policy: string; message: string }
  | { type: "diagnostic"; dc: string; severity: string; message: string }
  | ({ type: "dc-done" } & DcResult)
  | {
      type: "release-done";
      business: string;
      operation: Operation;
      ok: boolean;
      results: readonly DcResult[];
    };

/** One changed property of a resource in a preview, from Pulumi's detailed diff. */
export interface PropertyChange {
  /** Property path as Pulumi prints it, e.g. spec.template.spec.containers[0].image. */
  readonly path: string;
  /** add, update, delete, or a replacing variant (add-replace, update-replace, delete-replace). */
  readonly kind: string;
  readonly old?: string;
  readonly new?: string;
}

/** At most this many properties per resource, values cut at this many characters: a preview stays readable. */
const MAX_CHANGES = 30;
const MAX_VALUE = 300;

/** Segments of a Pulumi property path: `a.b[0]["c.d"]` → a, b, 0, c.d. */
export function propertyPathSegments(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of p.matchAll(re))
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : JSON.parse(`"${m[3]}"`)));
  return out;
}

function valueAt(obj: unknown, p: string): string | undefined {
  let v: unknown = obj;
  for (const seg of propertyPathSegments(p)) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  if (v === undefined) return undefined;
  const text = typeof v === "string" ? v : JSON.stringify(v);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function propertyChanges(m: StepEventMetadata): PropertyChange[] | undefined {
  if (!m.detailedDiff || m.op === "create" || m.op === "delete") return undefined;
  const out = Object.entries(m.detailedDiff)
    .slice(0, MAX_CHANGES)
    .map(([p, d]) => {
      const o = valueAt(m.old?.inputs, p);
      const n = valueAt(m.new?.inputs, p);
      return {
        path: p,
        kind: String(d.diffKind),
        ...(o !== undefined ? { old: o } : {}),
        ...(n !== undefined ? { new: n } : {}),
      };
    });
  return out.length ? out : undefined;
}

export interface EngineOptions {
  /** Pulumi state backend, e.g. file:///var/lib/pulumi. Default: $PULUMI_BACKEND_URL. */
  readonly backendUrl?: string;
  /** Where the per-stack workspaces live (stack settings keep the secrets salt). Default: beside a file backend, else a temp dir. */
  readonly workRoot?: string;
  /** The policy pack directory. Default: the repository's policy/, compiled once (policy-build.ts). */
  readonly policyPack?: string;
  /** Who releases (recorded in history). Default: $RELEASE_USER or user@host. */
  readonly who?: string;
  /** Receives every event. */
  readonly emit?: (e: ReleaseEvent) => void;
  /** Asked after each datacenter but the last; false stops the rollout there. Default: always continue. */
  readonly confirmNext?: (done: string, next: string) => Promise<boolean>;
  /** Environment for the Pulumi CLI. Default: process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Stack config key holding the resolved spec of an update (history keeps it; rollback re-applies it). */
export const SPEC_CONFIG_KEY = `${RELEASE_PROJECT}:spec`;

export function defaultWho(env: NodeJS.ProcessEnv = process.env): string {
  return env.RELEASE_USER || `${os.userInfo().username}@${os.hostname()}`;
}

/** Canonical JSON (sorted keys), so equal specs have equal digests whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** sha256 of the resolved spec, first 12 hex digits: what "the same parameters" means in the history. */
export function paramsDigest(spec: AppSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 12);
}

/** The update message: machine-readable fields the history parses back. */
export function updateMessage(
  op: Operation,
  spec: AppSpec | undefined,
  who: string,
  extra: Record<string, string> = {},
): string {
  const fields: Record<string, string> = {
    op,
    ...(spec ? { version: spec.version, params: paramsDigest(spec) } : {}),
    by: who,
    ...extra,
  };
  return `private-cloud release ${Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")}`;
}

export function parseUpdateMessage(message: string): Record<string, string> | undefined {
  if (!message.startsWith("private-cloud release ")) return undefined;
  const out: Record<string, string> = {};
  for (const part of message.slice("private-cloud release ".length).split(" ")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

function backendOf(opts: EngineOptions): string {
  const url = opts.backendUrl ?? opts.env?.PULUMI_BACKEND_URL ?? process.env.PULUMI_BACKEND_URL;
  if (!url)
    throw new Error(
      "no Pulumi state backend (expected PULUMI_BACKEND_URL, e.g. file:///var/lib/private-cloud/state, the backend of the datacenters' platform stacks)",
    );
  return url;
}

function workDirFor(opts: EngineOptions, stack: string): string {
  const backend = backendOf(opts);
  const root =
    opts.workRoot ??
    (fileBackendDir(backend)
      ? path.join(fileBackendDir(backend) as string, ".release-workspaces")
      : path.join(os.tmpdir(), "private-cloud-release"));
  const dir = path.join(root, stack);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

let pulumiCommand: Promise<PulumiCommand> | undefined;

/**
 * One `pulumi version` check per process: LocalWorkspace otherwise starts
 * the CLI once more for it with every workspace, i.e. every operation of
 * every release (~0.3 s of CPU each, which parallel releases queue on).
 */
function sharedPulumiCommand(): Promise<PulumiCommand> {
  pulumiCommand ??= PulumiCommand.get().catch((e: unknown) => {
    pulumiCommand = undefined;
    throw e;
  });
  return pulumiCommand;
}

/**
 * Records the release's spec in the stack's config (where history and
 * rollback read it back), by writing the stack settings file as `pulumi
 * config set` would, without starting the CLI for it. The rest of the file
 * (the passphrase's encryption salt above all) is kept as it is.
 */
async function recordSpec(s: Stack, spec: AppSpec): Promise<void> {
  let settings: StackSettings = {};
  try {
    settings = await s.workspace.stackSettings(s.name);
  } catch (e) {
    // A stack created without a settings file; any other error (an
    // unreadable file) must not be papered over by writing a new one.
    if (!/failed to find stack settings file/.test(String(e))) throw e;
  }
  await s.workspace.saveStackSettings(s.name, {
    ...settings,
    config: { ...settings.config, [SPEC_CONFIG_KEY]: canonicalJson(spec) },
  });
}

async function workspaceStack(
  spec: AppSpec,
  resolved: ResolvedRelease,
  opts: EngineOptions,
  create: boolean,
): Promise<Stack> {
  const name = stackName(spec.business, spec.datacenter);
  // A spec from history names its own template (a rollback may predate a template change).
  const template = spec.template === resolved.template.name ? resolved.template : loadTemplate(spec.template);
  const args = { stackName: name, projectName: RELEASE_PROJECT, program: releaseProgram(spec, template) };
  const ws = {
    workDir: workDirFor(opts, name),
    projectSettings: {
      name: RELEASE_PROJECT,
      runtime: "nodejs" as const,
      backend: { url: backendOf(opts) },
      description: "One stack per business per datacenter (<business>.<dc>), released by npm run release",
    },
    secretsProvider: "passphrase",
    pulumiCommand: await sharedPulumiCommand(),
    envVars: Object.fromEntries(
      Object.entries(opts.env ?? process.env).filter((e): e is [string, string] => e[1] !== undefined),
    ),
  };
  return create ? LocalWorkspace.createOrSelectStack(args, ws) : LocalWorkspace.selectStack(args, ws);
}

const isMissingStack = (e: unknown) => /no stack named|stack .* not found|does not exist/i.test(String(e));

/** The stack itself and default providers: bookkeeping, not part of what a release changes. */
const internal = (type: string) => type === "pulumi:pulumi:Stack" || type.startsWith("pulumi:providers:");

/** Turns Pulumi engine events into our own, for one datacenter; collects mandatory violations. */
function eventBridge(dc: string, emit: (e: ReleaseEvent) => void, preview: boolean) {
  const violations: string[] = [];
  const diagnostics: string[] = [];
  const failedTypes: string[] = [];
  const nameOf = (urn: string) => urn.split("::").pop() ?? urn;
  const onEvent = (e: EngineEvent) => {
    if (e.resourcePreEvent) {
      const m = e.resourcePreEvent.metadata;
      if (internal(m.type) || m.op === "same" || m.op === "read") return;
      emit({
        type: "resource",
        dc,
        phase: preview ? "done" : "start",
        op: m.op,
        resourceType: m.type,
        name: nameOf(m.urn),
        ...(m.diffs?.length ? { diffs: m.diffs } : {}),
        ...(preview && propertyChanges(m) ? { changes: propertyChanges(m) } : {}),
      });
    } else if (e.resOutputsEvent && !preview) {
      const m = e.resOutputsEvent.metadata;
      if (internal(m.type) || m.op === "same" || m.op === "read") return;
      emit({ type: "resource", dc, phase: "done", op: m.op, resourceType: m.type, name: nameOf(m.urn) });
    } else if (e.resOpFailedEvent) {
      const m = e.resOpFailedEvent.metadata;
      failedTypes.push(m.type);
      emit({ type: "resource", dc, phase: "failed", op: m.op, resourceType: m.type, name: nameOf(m.urn) });
    } else if (e.policyEvent) {
      const p = e.policyEvent;
      // Pulumi puts the policy's description on the first line, the violation after it.
      const lines = p.message.trim().split("\n");
      const message = (lines.length > 1 ? lines.slice(1) : lines).join(" ").trim();
      if (p.enforcementLevel === "mandatory") violations.push(`${p.policyName}: ${message}`);
      emit({ type: "policy", dc, level: p.enforcementLevel, policy: p.policyName, message });
    } else if (e.diagnosticEvent) {
      const d = e.diagnosticEvent;
      // "using <plugin> from $PATH" is how the toolchain is meant to work, not news.
      // The toolchain's provider builds carry their own versions (README "Toolchain").
      if (
        /^using pulumi-[a-z-]+ from \$PATH|^resource plugin \S+ is expected to have version/.test(d.message)
      )
        return;
      if (d.severity === "error" || d.severity === "warning") {
        const message = d.message.replace(/\s+$/, "");
        if (d.severity === "error") diagnostics.push(message);
        emit({ type: "diagnostic", dc, severity: d.severity, message });
      }
    }
  };
  return { onEvent, violations, diagnostics, failedTypes };
}

function changesOf(m: OpMap | undefined): Record<string, number> | undefined {
  if (!m) return undefined;
  return Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === "number" && v > 0)) as Record<
    string,
    number
  >;
}

/** The first line that says what went wrong, from an engine error. */
function errorLine(e: unknown, diagnostics: readonly string[]): string {
  const missing = /unknown stack "organization\/[^/]+\/([^"]+)"/.exec([...diagnostics, String(e)].join("\n"));
  if (missing)
    return `the platform stack ${missing[1]} is not in this state backend (expected PULUMI_BACKEND_URL to be the backend of the datacenter's platform stack, and \`pulumi up -s ${missing[1]}\` done there)`;
  const fromDiag = diagnostics
    .flatMap((d) => d.split("\n"))
    .map((l) => l.trim())
    .find((l) => l && !/^(error: )?update failed$/i.test(l) && !/^pulumi:pulumi:Stack/.test(l));
  if (fromDiag) return fromDiag.replace(/^error: /, "");
  const text = e instanceof CommandError ? e.message : String(e);
  const line = text
    .split("\n")
    .map((l) => l.trim())
    .find((l) => /^error: /.test(l));
  return (line ?? text.split("\n")[0]).replace(/^error: /, "");
}

async function runOne(
  op: Operation,
  spec: AppSpec,
  resolved: ResolvedRelease,
  opts: EngineOptions,
  emit: (e: ReleaseEvent) => void,
  extraMessage: Record<string, string> = {},
): Promise<DcResult> {
  const dc = spec.datacenter;
  const stack = stackName(spec.business, dc);
  const t0 = Date.now();
  const who = opts.who ?? defaultWho(opts.env);
  const seconds = () => Math.round((Date.now() - t0) / 100) / 10;
  const bridge = eventBridge(dc, emit, op === "preview");
  const base = { dc, stack, version: op === "destroy" ? undefined : spec.version };

  // Another release of this business in this datacenter holds Pulumi's stack
  // lock: name it and touch nothing (Pulumi would refuse too; we say who).
  const held = findLocks(backendOf(opts), RELEASE_PROJECT, stack);
  if (held.length > 0 && op !== "preview")
    return { ...base, status: "locked", seconds: seconds(), error: describeLock(stack, held[0]) };

  try {
    if (op === "destroy") {
      let s: Stack;
      try {
        s = await workspaceStack(spec, resolved, opts, false);
      } catch (e) {
        if (isMissingStack(e))
          return { ...base, status: "succeeded", seconds: seconds(), changes: {}, error: undefined };
        throw e;
      }
      const r = await s.destroy({
        onEvent: bridge.onEvent,
        message: updateMessage("destroy", undefined, who),
      });
      return {
        ...base,
        status: "succeeded",
        seconds: seconds(),
        changes: changesOf(r.summary.resourceChanges),
      };
    }
    const s = await workspaceStack(spec, resolved, opts, true);
    await recordSpec(s, spec);
    const common = { onEvent: bridge.onEvent, policyPacks: [opts.policyPack ?? compiledPolicyPack()] };
    if (op === "preview") {
      const r = await s.preview({ ...common, diff: false });
      return { ...base, status: "succeeded", seconds: seconds(), changes: changesOf(r.changeSummary) };
    }
    // The gate first: the Automation API's up skips its own preview, and an
    // up would apply whatever precedes a refused resource and judge the
    // stack policies only after the changes. A preview with the pack changes
    // nothing; a mandatory violation there stops this datacenter untouched.
    const gate = eventBridge(dc, (e) => (e.type === "resource" ? undefined : emit(e)), true);
    try {
      await s.preview({ onEvent: gate.onEvent, policyPacks: common.policyPacks });
    } catch (e) {
      bridge.violations.push(...gate.violations);
      bridge.diagnostics.push(...gate.diagnostics);
      throw e;
    }
    const r = await s.up({ ...common, message: updateMessage(op, spec, who, extraMessage) });
    return {
      ...base,
      status: "succeeded",
      seconds: seconds(),
      changes: changesOf(r.summary.resourceChanges),
    };
  } catch (e) {
    if (bridge.violations.length > 0)
      return {
        ...base,
        status: "policy-violation",
        seconds: seconds(),
        violations: bridge.violations,
        error: `mandatory policy violation: ${bridge.violations[0]}`,
      };
    const text = String(e);
    if (/currently locked/i.test(text)) {
      const locks = findLocks(backendOf(opts), RELEASE_PROJECT, stack);
      return {
        ...base,
        status: "locked",
        seconds: seconds(),
        error: locks.length
          ? describeLock(stack, locks[0])
          : `${stack} is locked by another release (${errorLine(e, [])})`,
      };
    }
    const error = errorLine(e, bridge.diagnostics);
    const why = bridge.failedTypes.includes(DEPLOYMENT_TYPE) ? await rolloutWhy(stack) : undefined;
    return { ...base, status: "failed", seconds: seconds(), error: why ? `${error} — ${why}` : error };
  }
}

const DEPLOYMENT_TYPE = "kubernetes:apps/v1:Deployment";

/**
 * Why a Deployment's rollout failed, from its pods (Pulumi's own message says
 * only that it timed out): the scheduler's reason, an image that does not
 * pull, … Undefined when the cluster cannot be asked.
 */
async function rolloutWhy(stack: string): Promise<string | undefined> {
  const t = rolloutTargets.get(stack);
  if (!t) return undefined;
  try {
    return describeRollout(t.namespace, t.name, await readRollout(t.kubeconfig, t.namespace, t.name));
  } catch {
    return undefined;
  }
}

export interface ReleaseOutcome {
  readonly ok: boolean;
  readonly results: readonly DcResult[];
}

/**
 * Runs `op` over the datacenters in rollout order: the first is the canary;
 * the first failure (or a "no" at a pause) stops the rollout and leaves the
 * rest untouched. A preview runs everywhere (it changes nothing). `specs`
 * replaces the resolved specs (rollback re-applies specs from history).
 */
export async function runRelease(
  op: Operation,
  resolved: ResolvedRelease,
  opts: EngineOptions = {},
  specs: ReadonlyMap<string, AppSpec> = resolved.specs,
  extraMessage: (dc: string) => Record<string, string> = () => ({}),
): Promise<ReleaseOutcome> {
  const emit = opts.emit ?? (() => undefined);
  const order = resolved.order;
  emit({ type: "release-start", business: resolved.business, operation: op, datacenters: order });
  const results: DcResult[] = [];
  let stopped: DcStatus | undefined;
  for (const [i, dc] of order.entries()) {
    const spec = specs.get(dc) as AppSpec;
    if (stopped) {
      const r: DcResult = {
        dc,
        stack: stackName(resolved.business, dc),
        status: stopped === "declined" ? "declined" : "not-started",
        seconds: 0,
        error:
          stopped === "declined"
            ? "stopped at the pause before it"
            : `not started: ${order[i - 1]} did not succeed`,
      };
      results.push(r);
      emit({ type: "dc-done", ...r });
      continue;
    }
    emit({
      type: "dc-start",
      dc,
      stack: stackName(resolved.business, dc),
      operation: op,
      canary: i === 0 && order.length > 1,
      ...(op === "destroy" ? {} : { version: spec.version, params: paramsDigest(spec) }),
    });
    const r = await runOne(op, spec, resolved, opts, emit, extraMessage(dc));
    results.push(r);
    emit({ type: "dc-done", ...r });
    if (r.status !== "succeeded" && op !== "preview") stopped = r.status;
    else if (op !== "preview" && i < order.length - 1 && opts.confirmNext) {
      if (!(await opts.confirmNext(dc, order[i + 1]))) stopped = "declined";
    }
  }
  const ok = results.every((r) => r.status === "succeeded");
  emit({ type: "release-done", business: resolved.business, operation: op, ok, results });
  return { ok, results };
}

/** One line of a business's history in one datacenter. */
export interface HistoryEntry {
  /** Pulumi's update number in this stack. */
  readonly update: number;
  readonly kind: string;
  readonly operation?: string;
  readonly version?: string;
  readonly params?: string;
  readonly who?: string;
  readonly startTime: string;
  readonly seconds?: number;
  readonly result: string;
  readonly changes?: Record<string, number>;
  /** The spec that update applied (what a rollback re-applies). */
  readonly spec?: AppSpec;
}

function entryOf(u: UpdateSummary, update: number): HistoryEntry {
  const fields = parseUpdateMessage(u.message ?? "") ?? {};
  const raw = u.config?.[SPEC_CONFIG_KEY]?.value;
  let spec: AppSpec | undefined;
  try {
    spec = raw ? (JSON.parse(raw) as AppSpec) : undefined;
  } catch {
    spec = undefined;
  }
  const start = new Date(u.startTime);
  const end = u.endTime ? new Date(u.endTime) : undefined;
  return {
    update,
    kind: u.kind,
    ...(fields.op ? { operation: fields.op } : {}),
    ...(fields.version ? { version: fields.version } : {}),
    ...(fields.params ? { params: fields.params } : {}),
    ...(fields.by ? { who: fields.by } : {}),
    startTime: start.toISOString(),
    ...(end ? { seconds: Math.round((end.getTime() - start.getTime()) / 100) / 10 } : {}),
    result: u.result ?? "unknown",
    ...(changesOf(u.resourceChanges) ? { changes: changesOf(u.resourceChanges) } : {}),
    ...(spec && u.kind === "update" ? { spec } : {}),
  };
}

/** History of each target datacenter, newest first (empty when the business was never released there). */
export async function releaseHistory(
  resolved: ResolvedRelease,
  opts: EngineOptions = {},
): Promise<Map<string, HistoryEntry[]>> {
  const out = new Map<string, HistoryEntry[]>();
  for (const dc of resolved.order) {
    const spec = resolved.specs.get(dc) as AppSpec;
    try {
      const s = await workspaceStack(spec, resolved, opts, false);
      // Newest first; a file backend leaves `version` at 0, so number them here (1 = the first update).
      const all = await s.history();
      out.set(
        dc,
        all.map((u, i) => entryOf(u, all.length - i)),
      );
    } catch (e) {
      if (isMissingStack(e)) out.set(dc, []);
      else throw e;
    }
  }
  return out;
}

export class UnknownVersionError extends Error {}

/**
 * Rollback: re-apply, in each datacenter, the spec of the newest successful
 * update that released `version` there. Every datacenter is checked before
 * anything runs: a version missing anywhere is refused, nothing changes.
 * Without a version: the newest successful version before the current one.
 */
export async function rollbackRelease(
  resolved: ResolvedRelease,
  version: string | undefined,
  opts: EngineOptions = {},
): Promise<ReleaseOutcome> {
  const hist = await releaseHistory(resolved, opts);
  const specs = new Map<string, AppSpec>();
  const problems: string[] = [];
  const from = new Map<string, string>();
  for (const dc of resolved.order) {
    const ok = (hist.get(dc) ?? []).filter((h) => h.kind === "update" && h.result === "succeeded" && h.spec);
    const current = ok[0]?.version;
    const target = version ?? ok.find((h) => h.version !== current)?.version;
    const hit = ok.find((h) => h.version === target);
    if (!hit?.spec) {
      const known = [...new Set(ok.map((h) => h.version))].join(", ") || "(never released)";
      problems.push(
        version
          ? `${dc}: version ${JSON.stringify(version)} is not in the history of ${stackName(resolved.business, dc)} (expected one of: ${known})`
          : `${dc}: no earlier successful version to roll back to (history: ${known})`,
      );
      continue;
    }
    specs.set(dc, hit.spec);
    if (current) from.set(dc, current);
  }
  if (problems.length)
    throw new UnknownVersionError(`rollback refused, nothing was changed:\n  - ${problems.join("\n  - ")}`);
  return runRelease("rollback", resolved, opts, specs, (dc): Record<string, string> => {
    const f = from.get(dc);
    return f ? { from: f } : {};
  });
}
