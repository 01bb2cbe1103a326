/**
 * Releases started from the page: each runs the engine (release/engine.ts)
 * in this process, keeps its events for late subscribers (a page reload
 * replays them) and streams new ones to every subscriber.
 *
 * One release per business and datacenter at a time: a second one is refused
 * before the engine starts, naming who holds it. Pulumi's stack lock still
 * guards against releases from elsewhere (the CLI, another server); the
 * engine names that holder from the lock file.
 */
import { randomUUID } from "crypto";
import type { ReleaseEvent, ReleaseOutcome } from "../engine";

export type JobKind = "preview" | "up" | "destroy" | "rollback";

/** What the page receives: the engine's events, plus how the job itself ended. */
export type JobEvent =
  | (ReleaseEvent & { time: string })
  | { type: "job-error"; time: string; message: string }
  | { type: "job-end"; time: string; ok: boolean };

export interface Job {
  readonly id: string;
  readonly business: string;
  readonly kind: JobKind;
  readonly who: string;
  readonly datacenters: readonly string[];
  readonly started: string;
  readonly events: JobEvent[];
  done: boolean;
  ok?: boolean;
}

interface Holder {
  readonly who: string;
  readonly job: string;
  readonly kind: JobKind;
  readonly since: string;
}

export class Busy extends Error {
  constructor(readonly holders: { dc: string; who: string; kind: string; since: string }[]) {
    super(
      holders
        .map((h) => `busy: ${h.dc} is held by ${h.who} (${h.kind} since ${h.since}); try again when it ends`)
        .join("\n"),
    );
  }
}

export class Jobs {
  private readonly jobs = new Map<string, Job>();
  private readonly listeners = new Map<string, Set<(e: JobEvent) => void>>();
  private readonly holders = new Map<string, Holder>();
  /** Finished jobs kept for replay. */
  private readonly keep = 50;

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  /** Who holds business+dc, if anyone. */
  holder(business: string, dc: string): Holder | undefined {
    return this.holders.get(`${business}/${dc}`);
  }

  /**
   * Starts `run` as a job; throws Busy if a state-changing job holds any of
   * the datacenters (a preview changes nothing and holds nothing).
   */
  start(
    business: string,
    kind: JobKind,
    who: string,
    datacenters: readonly string[],
    run: (emit: (e: ReleaseEvent) => void) => Promise<ReleaseOutcome>,
  ): Job {
    const held = (kind === "preview" ? [] : datacenters)
      .map((dc) => ({ dc, h: this.holder(business, dc) }))
      .filter((x): x is { dc: string; h: Holder } => x.h !== undefined);
    if (held.length)
      throw new Busy(held.map(({ dc, h }) => ({ dc, who: h.who, kind: h.kind, since: h.since })));
    const job: Job = {
      id: randomUUID(),
      business,
      kind,
      who,
      datacenters,
      started: new Date().toISOString(),
      events: [],
      done: false,
    };
    this.jobs.set(job.id, job);
    const holds = kind === "preview" ? [] : datacenters.map((dc) => `${business}/${dc}`);
    for (const k of holds) this.holders.set(k, { who, job: job.id, kind, since: job.started });
    const push = (e: JobEvent) => {
      job.events.push(e);
      for (const l of this.listeners.get(job.id) ?? []) l(e);
    };
    const now = () => new Date().toISOString();
    run((e) => push({ ...e, time: now() }))
      .then(
        (outcome) => {
          job.ok = outcome.ok;
        },
        (e: unknown) => {
          job.ok = false;
          // Shown whole on the page: the engine's message is what to act on.
          push({ type: "job-error", time: now(), message: e instanceof Error ? e.message : String(e) });
        },
      )
      .finally(() => {
        for (const k of holds) this.holders.delete(k);
        job.done = true;
        push({ type: "job-end", time: now(), ok: job.ok ?? false });
        this.listeners.delete(job.id);
        this.trim();
      });
    return job;
  }

  /** Replays a job's events, then follows it; returns the unsubscribe function. */
  follow(id: string, listener: (e: JobEvent) => void): () => void {
    const job = this.jobs.get(id);
    if (!job) return () => undefined;
    for (const e of job.events) listener(e);
    if (job.done) return () => undefined;
    const set = this.listeners.get(id) ?? new Set();
    set.add(listener);
    this.listeners.set(id, set);
    return () => set.delete(listener);
  }

  /** Running and recent jobs of a business, newest first. */
  of(business: string): Job[] {
    return [...this.jobs.values()].filter((j) => j.business === business).reverse();
  }

  private trim(): void {
    const finished = [...this.jobs.values()].filter((j) => j.done);
    for (const j of finished.slice(0, Math.max(0, finished.length - this.keep))) this.jobs.delete(j.id);
  }
}
