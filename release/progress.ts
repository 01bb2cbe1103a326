/**
 * Renders the engine's events: JSON lines (`--json`, for scripts and the UI),
 * a live progress display on a terminal (cli-progress: one bar per
 * datacenter, resources done of resources started, with the resource lines
 * printed above the bars), or plain lines when the output is not a terminal.
 */
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { DcResult, ReleaseEvent } from "./engine";

export type Renderer = (e: ReleaseEvent) => void;

export function jsonLines(out: NodeJS.WritableStream = process.stdout): Renderer {
  return (e) => out.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
}

const symbol: Record<string, string> = {
  create: "+",
  update: "~",
  delete: "-",
  replace: "+-",
  "create-replacement": "++",
  "delete-replaced": "--",
};

export function resultLine(r: DcResult): string {
  const changes =
    r.changes && Object.keys(r.changes).length
      ? ` (${Object.entries(r.changes)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")})`
      : "";
  const what = r.status === "succeeded" ? "ok" : r.status;
  return `${r.dc}: ${what}${r.version ? ` version ${r.version}` : ""}${changes} in ${r.seconds}s${r.error ? ` — ${r.error}` : ""}`;
}

function line(e: ReleaseEvent): string | undefined {
  switch (e.type) {
    case "release-start":
      return `${e.operation} ${e.business} → ${e.datacenters.join(", then ")}`;
    case "dc-start":
      return `${e.dc}${e.canary ? " (canary)" : ""}: ${e.operation} stack ${e.stack}${e.version ? ` version ${e.version} params ${e.params}` : ""}`;
    case "resource":
      if (e.phase === "start") return undefined;
      return `  ${e.dc} ${e.phase === "failed" ? "✗" : (symbol[e.op] ?? e.op)} ${e.resourceType} ${e.name}${e.diffs ? ` [${e.diffs.join(", ")}]` : ""}${e.phase === "failed" ? " failed" : ""}`;
    case "policy":
      return `  ${e.dc} policy ${e.level} ${e.policy}: ${e.message}`;
    case "diagnostic":
      return e.severity === "error" ? `  ${e.dc} error: ${e.message}` : `  ${e.dc} warning: ${e.message}`;
    case "dc-done":
      return resultLine(e);
    case "release-done":
      return `${e.operation} ${e.business}: ${e.ok ? "done" : "stopped"} — ${e.results.map((r) => `${r.dc} ${r.status}`).join(", ")}`;
  }
}

/** Plain lines, one per event worth a line (not a terminal: CI logs, pipes). */
export function plainLines(out: NodeJS.WritableStream = process.stderr): Renderer {
  return (e) => {
    const l = line(e);
    if (l !== undefined) out.write(`${l}\n`);
  };
}

/** A live display on a terminal: a bar per datacenter, lines above it. Call `stop` at the end. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Renderer & { stop(): void } {
  const multi = new MultiBar(
    {
      stream,
      clearOnComplete: false,
      hideCursor: true,
      format: " {dc} [{bar}] {value}/{total} resources | {status}",
      autopadding: true,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  const started = new Map<string, number>();
  const done = new Map<string, number>();
  const render: Renderer = (e) => {
    const l = line(e);
    if (e.type === "dc-start") {
      bars.set(e.dc, multi.create(1, 0, { dc: e.dc, status: e.operation }));
      started.set(e.dc, 0);
      done.set(e.dc, 0);
    } else if (e.type === "resource") {
      const bar = bars.get(e.dc);
      if (e.phase === "start") started.set(e.dc, (started.get(e.dc) ?? 0) + 1);
      else {
        done.set(e.dc, (done.get(e.dc) ?? 0) + 1);
        if (e.phase === "done" && !started.get(e.dc)) started.set(e.dc, done.get(e.dc) ?? 0);
      }
      bar?.setTotal(Math.max(1, started.get(e.dc) ?? 0));
      bar?.update(done.get(e.dc) ?? 0, { status: `${e.op} ${e.name}` });
    } else if (e.type === "dc-done") {
      bars.get(e.dc)?.update({ status: e.status });
    }
    if (l !== undefined && e.type !== "dc-start") multi.log(`${l}\n`);
  };
  return Object.assign(render, { stop: () => multi.stop() });
}
