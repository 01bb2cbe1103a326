/**
 * A stand-in for the release engine (release/engine.ts) with its real
 * types: it emits the events a release emits, keeps a history per
 * datacenter, and can be held mid-release — for the web UI's tests that
 * need no cluster. The real engine is exercised in tests/e2e.
 */
import type { DcResult, HistoryEntry, ReleaseEvent, ReleaseOutcome } from "../../release/engine";
import type { Engine } from "../../release/ui/server";

export interface FakeEngine {
  readonly engine: Engine;
  readonly calls: { op: string; who?: string; dcs: readonly string[]; version?: string }[];
  /** While held, every up waits (a second release meets a held datacenter). */
  hold(): void;
  release(): void;
  /** The next up fails in this datacenter with this error. */
  failNext(dc: string, error: string): void;
}

const RESOURCES = [
  ["kubernetes:core/v1:ConfigMap", "shop-config"],
  ["kubernetes:apps/v1:Deployment", "shop"],
  ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "shop"],
] as const;

export function fakeEngine(stepMs = 0): FakeEngine {
  const calls: FakeEngine["calls"] = [];
  const history = new Map<string, HistoryEntry[]>();
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  let failing: { dc: string; error: string } | undefined;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const engine: Engine = {
    runRelease: async (op, resolved, opts = {}, specs = resolved.specs) => {
      const emit = opts.emit ?? (() => undefined);
      const who = opts.who ?? "?";
      calls.push({ op, who, dcs: resolved.order, version: specs.get(resolved.order[0])?.version });
      emit({
        type: "release-start",
        business: resolved.business,
        operation: op,
        datacenters: resolved.order,
      });
      const results: DcResult[] = [];
      for (const [i, dc] of resolved.order.entries()) {
        const spec = specs.get(dc);
        const stack = `${resolved.business}.${dc}`;
        if (results.some((r) => r.status !== "succeeded")) {
          const r: DcResult = {
            dc,
            stack,
            status: "not-started",
            seconds: 0,
            error: `not started: ${resolved.order[i - 1]} did not succeed`,
          };
          results.push(r);
          emit({ type: "dc-done", ...r });
          continue;
        }
        emit({
          type: "dc-start",
          dc,
          stack,
          operation: op,
          version: spec?.version,
          canary: i === 0 && resolved.order.length > 1,
        });
        if (op !== "preview") await gate;
        const fail = op !== "preview" && failing?.dc === dc ? failing : undefined;
        if (fail) failing = undefined;
        for (const [resourceType, name] of RESOURCES) {
          const o = op === "destroy" ? "delete" : (history.get(dc) ?? []).length ? "update" : "create";
          const base = { type: "resource" as const, dc, op: o, resourceType, name };
          if (op === "preview") {
            emit({
              ...base,
              phase: "done",
              ...(o === "update"
                ? {
                    diffs: ["spec"],
                    changes: [
                      {
                        path: "spec.template.spec.containers[0].image",
                        kind: "update",
                        old: "old",
                        new: `registry/shop/web:${spec?.version}`,
                      },
                    ],
                  }
                : {}),
            });
            continue;
          }
          emit({ ...base, phase: "start" });
          await sleep(stepMs);
          if (fail && name === "shop") {
            emit({ ...base, phase: "failed" });
            emit({ type: "diagnostic", dc, severity: "error", message: fail.error });
            break;
          }
          emit({ ...base, phase: "done" });
        }
        const r: DcResult = fail
          ? { dc, stack, status: "failed", version: spec?.version, seconds: 1, error: fail.error }
          : {
              dc,
              stack,
              status: "succeeded",
              version: op === "destroy" ? undefined : spec?.version,
              seconds: 1,
              changes: { create: 3 },
            };
        results.push(r);
        emit({ type: "dc-done", ...r });
        if (op !== "preview") {
          const h = history.get(dc) ?? [];
          h.unshift({
            update: h.length + 1,
            kind: op === "destroy" ? "destroy" : "update",
            operation: op,
            ...(op === "destroy" ? {} : { version: spec?.version, params: "0123456789ab", spec }),
            who,
            startTime: new Date().toISOString(),
            seconds: 1,
            result: fail ? "failed" : "succeeded",
          });
          history.set(dc, h);
        }
      }
      const ok = results.every((r) => r.status === "succeeded");
      const done: ReleaseEvent = {
        type: "release-done",
        business: resolved.business,
        operation: op,
        ok,
        results,
      };
      emit(done);
      return { ok, results } satisfies ReleaseOutcome;
    },
    rollbackRelease: async (resolved, version, opts = {}) => {
      const specs = new Map();
      for (const dc of resolved.order) {
        const hit = (history.get(dc) ?? []).find(
          (h) => h.version === version && h.result === "succeeded" && h.spec,
        );
        if (!hit)
          throw new Error(
            `rollback refused, nothing was changed:\n  - ${dc}: version "${version}" is not in the history`,
          );
        specs.set(dc, hit.spec);
      }
      return engine.runRelease("rollback", resolved, opts, specs);
    },
    releaseHistory: async (resolved) => new Map(resolved.order.map((dc) => [dc, history.get(dc) ?? []])),
  };
  return {
    engine,
    calls,
    hold: () => {
      gate = new Promise((r) => (open = r));
    },
    release: () => open(),
    failNext: (dc, error) => {
      failing = { dc, error };
    },
  };
}
