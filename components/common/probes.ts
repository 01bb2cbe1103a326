/**
 * Probe floors. The seed: probe timeouts that are too small restart or eject
 * busy pods, which moves their load to the others and snowballs into an
 * avalanche. Components build probes above these floors and the policy pack
 * refuses probes below them: both read the numbers from here.
 */
import type * as k8s from "@pulumi/kubernetes";

type Probe = k8s.types.input.core.v1.Probe;

export const probeFloors = {
  /** No probe may time out faster than this, seconds. */
  minTimeoutSeconds: 5,
  /** failureThreshold × periodSeconds of a liveness probe: how long a pod may look dead before it is restarted, seconds. */
  minLivenessWindowSeconds: 30,
  /** The same window for readiness: how long before a pod is ejected from its Service, seconds. */
  minReadinessWindowSeconds: 10,
  /**
   * Warm-up assumed for a workload that does not declare its own in
   * `warmupAnnotation`: liveness may not start probing before it (through a
   * startup probe or initialDelaySeconds), seconds. The business default warm-up.
   */
  minWarmupSeconds: 10,
} as const;

/**
 * Pod template annotation carrying a workload's warm-up time in seconds (the
 * seed: some services need seconds to tens of seconds before taking traffic).
 * Components that know it set it; the policy pack checks that liveness cannot
 * fire before it.
 */
export const warmupAnnotation = "private-cloud.io/warmup-seconds";

export interface ProbeTiming {
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly failureThreshold: number;
  readonly initialDelaySeconds?: number;
}

/**
 * Liveness: slow to give up (a busy process is not a dead one), and silent for
 * the default warm-up, so a workload without a startup probe is not killed
 * while it starts.
 */
export const livenessTiming: ProbeTiming = {
  periodSeconds: 10,
  timeoutSeconds: 5,
  failureThreshold: 6,
  initialDelaySeconds: probeFloors.minWarmupSeconds,
};
/** Readiness: quick to notice, but not on a single slow answer. */
export const readinessTiming: ProbeTiming = { periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 3 };

/**
 * A startup probe that allows `warmupSeconds` (the seed: some services need
 * seconds to tens of seconds before taking traffic) before liveness starts.
 */
export function startupTiming(warmupSeconds: number): ProbeTiming {
  const periodSeconds = 5;
  return {
    periodSeconds,
    timeoutSeconds: 5,
    failureThreshold: Math.max(3, Math.ceil((warmupSeconds + 30) / periodSeconds)),
  };
}

export function httpGetProbe(
  path: string,
  port: number | string,
  timing: ProbeTiming,
  scheme: "HTTP" | "HTTPS" = "HTTP",
): Probe {
  return { httpGet: { path, port, scheme }, ...timing };
}
