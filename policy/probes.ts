/**
 * probe-timeouts. The seed: probe timeouts that are too small restart or eject
 * busy pods; their load moves to the others, which then fail their probes too,
 * and the whole service avalanches. The floors are the ones the components
 * build their probes from (components/common/probes.ts).
 */
import { probeFloors, warmupAnnotation } from "../components/common/probes";
import {
  containerResourcePolicy,
  type ConfigOf,
  type EnforcementLevel,
  type ResourceValidationPolicy,
} from "./common";
import { runningContainers, subject, type Container, type Probe, type Workload } from "./k8s";

export const probeSettings = {
  minTimeoutSeconds: {
    default: probeFloors.minTimeoutSeconds,
    description: "No probe may time out faster than this, seconds.",
  },
  minLivenessWindowSeconds: {
    default: probeFloors.minLivenessWindowSeconds,
    description:
      "failureThreshold × periodSeconds of liveness and startup probes (how long a pod may look dead before it is restarted), seconds.",
  },
  minReadinessWindowSeconds: {
    default: probeFloors.minReadinessWindowSeconds,
    description:
      "failureThreshold × periodSeconds of readiness probes (how long before a pod leaves its Service), seconds.",
  },
  minWarmupSeconds: {
    default: probeFloors.minWarmupSeconds,
    description: `Warm-up assumed when the pod template has no ${warmupAnnotation} annotation, seconds.`,
  },
} as const;

type Config = ConfigOf<typeof probeSettings>;

/** Kubernetes' defaults for unset probe fields (core/v1 Probe). */
const DEFAULTS = {
  timeoutSeconds: 1,
  periodSeconds: 10,
  failureThreshold: 3,
  initialDelaySeconds: 0,
} as const;

const field = (p: Probe, k: keyof typeof DEFAULTS) => p[k] ?? DEFAULTS[k];
const shown = (p: Probe, k: keyof typeof DEFAULTS) =>
  `${field(p, k)}${p[k] === undefined ? " (default)" : ""}`;

/** JSON with sorted keys, so two probes written in a different key order compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** The warm-up a workload declares on its pod template, or the configured default. */
export function warmupOf(w: Workload, fallback: number): { seconds: number; declared: boolean } {
  const a = w.template.metadata?.annotations?.[warmupAnnotation];
  const n = a === undefined ? NaN : Number(a);
  return Number.isFinite(n) && n >= 0
    ? { seconds: n, declared: true }
    : { seconds: fallback, declared: false };
}

/** Every probe problem of one container, as messages. */
export function probeProblems(w: Workload, c: Container, cfg: Config): string[] {
  const out: string[] = [];
  const who = subject(w, c.name);
  const probes: [string, Probe | undefined, number][] = [
    ["livenessProbe", c.livenessProbe, cfg.minLivenessWindowSeconds],
    ["readinessProbe", c.readinessProbe, cfg.minReadinessWindowSeconds],
    ["startupProbe", c.startupProbe, cfg.minLivenessWindowSeconds],
  ];
  for (const [kind, p, minWindow] of probes) {
    if (!p) continue;
    if (field(p, "timeoutSeconds") < cfg.minTimeoutSeconds)
      out.push(
        `${who}: ${kind} timeoutSeconds ${shown(p, "timeoutSeconds")} is below the floor ${cfg.minTimeoutSeconds} — set timeoutSeconds >= ${cfg.minTimeoutSeconds} (a busy pod must not be restarted or ejected for one slow answer)`,
      );
    const window = field(p, "failureThreshold") * field(p, "periodSeconds");
    if (window < minWindow)
      out.push(
        `${who}: ${kind} failureThreshold ${shown(p, "failureThreshold")} × periodSeconds ${shown(p, "periodSeconds")} = ${window}s is below the floor ${minWindow}s — raise failureThreshold or periodSeconds so failureThreshold × periodSeconds >= ${minWindow}`,
      );
  }
  const live = c.livenessProbe;
  if (live) {
    const warm = warmupOf(w, cfg.minWarmupSeconds);
    const why = warm.declared ? `the declared warm-up (${warmupAnnotation})` : "the default warm-up";
    if (c.startupProbe) {
      const s = c.startupProbe;
      const gate = field(s, "initialDelaySeconds") + field(s, "failureThreshold") * field(s, "periodSeconds");
      if (gate < warm.seconds)
        out.push(
          `${who}: startupProbe gives ${gate}s (initialDelaySeconds + failureThreshold × periodSeconds) before liveness starts, less than ${why} ${warm.seconds}s — raise the startup probe's failureThreshold so it covers >= ${warm.seconds}s`,
        );
    } else if (field(live, "initialDelaySeconds") < warm.seconds) {
      out.push(
        `${who}: livenessProbe starts after initialDelaySeconds ${shown(live, "initialDelaySeconds")} with no startupProbe, before ${why} ${warm.seconds}s — add a startupProbe covering the warm-up or set initialDelaySeconds >= ${warm.seconds}`,
      );
    }
    if (c.readinessProbe && canonical(c.readinessProbe) === canonical(live))
      out.push(
        `${who}: readinessProbe and livenessProbe are identical — a pod that is only busy gets restarted instead of leaving rotation; make liveness more lenient (longer window) or check a different endpoint`,
      );
  }
  return out;
}

export function probeTimeouts(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return containerResourcePolicy(
    {
      name: "probe-timeouts",
      description:
        "Probes time out no faster than a floor, tolerate a window of failures, cannot restart a pod before its warm-up, and readiness differs from liveness (the seed's probe avalanche).",
      settings: probeSettings,
      containers: runningContainers,
      problems: probeProblems,
    },
    enforcementLevel,
  );
}
