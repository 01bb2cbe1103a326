/**
 * graceful-termination. The seed: scaling an nginx tier in must be graceful —
 * the pod leaves the load balancer first, its preStop hook waits while the LB
 * notices, then nginx drains; otherwise the whole service's latency jumps. So
 * for an LB-backed proxy, the preStop wait outlasts the LVS health check's
 * detection time, and terminationGracePeriodSeconds covers that wait plus the
 * server's own shutdown timeout (after the grace period the kubelet SIGKILLs
 * whatever is still draining). The numbers come from `gracefulTermination`,
 * the function the ingress tier sizes its pods with.
 */
import { gracefulTermination } from "../components/common/sizing";
import {
  containerStackPolicy,
  type ConfigOf,
  type EnforcementLevel,
  type StackValidationPolicy,
} from "./common";
import { subject, type Container, type Workload } from "./k8s";
import {
  durationSeconds,
  flagValue,
  looksLikeNginxConf,
  nginxMainDirective,
  preStopWaitSeconds,
} from "./parsers";
import { expandedArgv, isIngressNginx, isNginx, mountedFiles, type ConfigMaps } from "./workers";

/** The LVS tier's defaults (private-cloud:lvs healthCheckIntervalSeconds 2 × healthCheckFailures 3). */
const lvsDefault = gracefulTermination(2, 3);

export const terminationSettings = {
  minPreStopWaitSeconds: {
    default: lvsDefault.preStopWaitSeconds,
    description:
      "Shortest preStop wait of an LB-backed proxy: the LVS health check's detection time (interval × failures) plus the director sync margin, seconds.",
  },
  ingressNginxDefaultShutdownSeconds: {
    default: 240,
    description:
      "ingress-nginx's worker-shutdown-timeout when its ConfigMap does not set one, seconds (its documented default 240s).",
  },
} as const;

type Config = ConfigOf<typeof terminationSettings>;

/** Kubernetes' default terminationGracePeriodSeconds. */
const DEFAULT_GRACE_SECONDS = 30;

/** How long the server may take to drain after SIGQUIT/SIGTERM, and where that number came from. */
function shutdownOf(
  w: Workload,
  c: Container,
  cms: ConfigMaps,
  cfg: Config,
): { seconds: number; label: string } | { missing: string } {
  const argv = expandedArgv(w, c);
  if (isIngressNginx(c)) {
    const ref = flagValue(argv, "--configmap");
    const data = ref ? cms.get(ref.includes("/") ? ref : `${w.namespace}/${ref}`) : undefined;
    const set = data?.["worker-shutdown-timeout"];
    const timeout = set !== undefined ? durationSeconds(set) : cfg.ingressNginxDefaultShutdownSeconds;
    if (timeout === undefined)
      return { missing: `worker-shutdown-timeout ${JSON.stringify(set)} is not a duration` };
    // --shutdown-grace-period: the controller waits this long after SIGTERM before it starts the shutdown.
    const extra = durationSeconds(flagValue(argv, "--shutdown-grace-period")) ?? 0;
    return {
      seconds: timeout + extra,
      label: `worker-shutdown-timeout ${timeout}s${set === undefined ? " (default)" : ""}${extra ? ` + --shutdown-grace-period ${extra}s` : ""}`,
    };
  }
  for (const f of mountedFiles(w, c, cms)) {
    if (!looksLikeNginxConf(f.text)) continue;
    const t = nginxMainDirective(f.text, "worker_shutdown_timeout");
    if (t === undefined) continue;
    const s = durationSeconds(t);
    return s === undefined
      ? { missing: `worker_shutdown_timeout ${JSON.stringify(t)} (${f.source}) is not a duration` }
      : { seconds: s, label: `worker_shutdown_timeout ${s}s` };
  }
  return {
    missing:
      "no worker_shutdown_timeout in any mounted nginx.conf, so nginx waits for every open connection with no bound (keep-alive clients keep it alive until SIGKILL)",
  };
}

/** Every termination problem of one container of an LB-backed proxy (nginx / ingress-nginx). */
export function terminationProblems(w: Workload, c: Container, cms: ConfigMaps, cfg: Config): string[] {
  if (!isIngressNginx(c) && !isNginx(c)) return [];
  const who = subject(w, c.name);
  const out: string[] = [];
  const wait = preStopWaitSeconds(c.lifecycle?.preStop);
  if (wait === undefined)
    out.push(
      `${who}: no preStop hook, so the pod stops while the LVS tier still sends it traffic — add a preStop hook that waits >= ${cfg.minPreStopWaitSeconds}s before nginx drains`,
    );
  else if (wait < cfg.minPreStopWaitSeconds)
    out.push(
      `${who}: preStop waits ${wait}s, less than the ${cfg.minPreStopWaitSeconds}s the LVS health check needs to take the pod out — wait >= ${cfg.minPreStopWaitSeconds}s`,
    );
  const shutdown = shutdownOf(w, c, cms, cfg);
  if ("missing" in shutdown) {
    out.push(
      `${who}: ${shutdown.missing} — set worker_shutdown_timeout so the grace period can cover the drain`,
    );
    return out;
  }
  const grace = w.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const need = (wait ?? 0) + shutdown.seconds;
  if (grace < need)
    out.push(
      `${who}: terminationGracePeriodSeconds ${grace}${w.spec.terminationGracePeriodSeconds === undefined ? " (default)" : ""} is less than preStop wait ${wait ?? 0}s + ${shutdown.label} = ${need}s — set terminationGracePeriodSeconds >= ${need}`,
    );
  return out;
}

export function gracefulTerminationPolicy(
  enforcementLevel: EnforcementLevel = "mandatory",
): StackValidationPolicy {
  return containerStackPolicy(
    {
      name: "graceful-termination",
      description:
        "LB-backed proxies (nginx, ingress-nginx) wait in preStop for the LVS health check to take them out, and terminationGracePeriodSeconds >= preStop wait + the server's shutdown timeout.",
      settings: terminationSettings,
      problems: terminationProblems,
    },
    enforcementLevel,
  );
}
