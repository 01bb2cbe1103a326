/**
 * cpu-limit-worker-consistency. The seed's latency incident: nginx defaulted
 * to one worker per host core (24) while the container's CPU limit was 5–6
 * cores, so the workers were throttled in turn and upstream response times
 * rose to seconds. The same holds for every process that sizes its threads
 * from a core count: Elasticsearch's thread pools (`node.processors`) and the
 * JVM's GC/JIT threads (`-XX:ActiveProcessorCount`).
 *
 * The count can live in another resource than the container (a ConfigMap the
 * Deployment mounts, or the ingress-nginx ConfigMap named by `--configmap`),
 * so this is a stack policy. The bound is `maxWorkersForCpuLimit` — ceil of
 * the limit in cores — the same function the components size from.
 */
import {
  elasticsearchSizing,
  jvmActiveProcessors,
  maxWorkersForCpuLimit,
  nginxMemoryFloorMiB,
} from "../components/common/sizing";
import {
  containerStackPolicy,
  type ConfigOf,
  type EnforcementLevel,
  type StackValidationPolicy,
} from "./common";
import { subject, type ConfigMaps, type Container, type Workload } from "./k8s";
import {
  argvOf,
  cpuMillis,
  expandVars,
  flagValue,
  flatYamlSettings,
  jvmActiveProcessorCount,
  jvmContainerSupportDisabled,
  looksLikeNginxConf,
  memoryMiB,
  nginxMainDirective,
  parseImage,
  parseWorkers,
  type WorkerValue,
} from "./parsers";

export const workerSettings = {
  jvmOptionVariables: {
    default: [
      "JAVA_OPTS",
      "JAVA_TOOL_OPTIONS",
      "JDK_JAVA_OPTIONS",
      "_JAVA_OPTIONS",
      "ES_JAVA_OPTS",
      "CATALINA_OPTS",
    ],
    description: "Environment variables whose value is read as JVM options.",
  },
  nginxWorkerVariables: {
    default: ["NGINX_WORKER_PROCESSES"],
    description: "Environment variables an image turns into nginx's worker_processes.",
  },
} as const;

type Config = ConfigOf<typeof workerSettings>;

export { indexConfigMaps, type ConfigMaps } from "./k8s";

/** A value with where it came from, for the message. */
interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

/**
 * A container's environment with ConfigMap references resolved:
 * `valueFrom.configMapKeyRef` and `envFrom.configMapRef` (with its prefix).
 * Later entries win, as in the kubelet (`env` over `envFrom`).
 */
export function resolvedEnv(w: Workload, c: Container, cms: ConfigMaps): Map<string, Sourced<string>> {
  const env = new Map<string, Sourced<string>>();
  for (const from of c.envFrom ?? []) {
    const name = from.configMapRef?.name;
    const data = name ? cms.get(`${w.namespace}/${name}`) : undefined;
    for (const [k, v] of Object.entries(data ?? {}))
      env.set(`${from.prefix ?? ""}${k}`, {
        value: v,
        source: `env ${from.prefix ?? ""}${k} from ConfigMap ${w.namespace}/${name}`,
      });
  }
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env.set(e.name, { value: e.value, source: `env ${e.name}` });
    const ref = e.valueFrom?.configMapKeyRef;
    const v = ref?.name ? cms.get(`${w.namespace}/${ref.name}`)?.[ref.key] : undefined;
    if (v !== undefined)
      env.set(e.name, { value: v, source: `env ${e.name} from ConfigMap ${w.namespace}/${ref?.name}` });
  }
  return env;
}

/** Every file a container sees from ConfigMaps it mounts: `{ key, text, source }`. */
export function mountedFiles(
  w: Workload,
  c: Container,
  cms: ConfigMaps,
): { key: string; text: string; source: string }[] {
  const mounted = new Set((c.volumeMounts ?? []).map((m) => m.name));
  const out: { key: string; text: string; source: string }[] = [];
  for (const v of w.spec.volumes ?? []) {
    if (!mounted.has(v.name)) continue;
    const names = [v.configMap?.name, ...(v.projected?.sources ?? []).map((s) => s.configMap?.name)];
    for (const n of names) {
      if (!n) continue;
      for (const [key, text] of Object.entries(cms.get(`${w.namespace}/${n}`) ?? {}))
        out.push({ key, text, source: `ConfigMap ${w.namespace}/${n} key ${key}` });
    }
  }
  return out;
}

/**
 * Command and args as the kubelet runs them: `$(VAR)` expanded from literal
 * env values and the pod's own namespace/name (ingress-nginx's manifests pass
 * `--configmap=$(POD_NAMESPACE)/<name>`).
 */
export function expandedArgv(w: Workload, c: Container): string[] {
  const vars = new Map<string, string>();
  for (const e of c.env ?? []) {
    if (e.value !== undefined) vars.set(e.name, e.value);
    const f = e.valueFrom?.fieldRef?.fieldPath;
    if (f === "metadata.namespace") vars.set(e.name, w.namespace);
  }
  return argvOf(c).map((a) => expandVars(a, vars));
}

export const isIngressNginx = (c: Container): boolean =>
  /(^|\/)ingress-nginx\/controller$/.test(parseImage(c.image ?? "").repository) ||
  argvOf(c).some((a) => a.endsWith("nginx-ingress-controller"));
export const isNginx = (c: Container): boolean =>
  /(^|\/)nginx(-unprivileged)?$/.test(parseImage(c.image ?? "").repository) || argvOf(c)[0] === "nginx";
export const isElasticsearch = (c: Container): boolean =>
  /(^|\/)elasticsearch$/.test(parseImage(c.image ?? "").repository);

/** A too-large or `auto` worker value, as the message text; undefined when it fits the bound. */
function workerProblem(
  what: string,
  v: WorkerValue,
  source: string,
  bound: number,
  why: string,
): string | undefined {
  if (v.kind === "auto") return `${what} auto (${source}) is refused: ${why} — set ${what} <= ${bound}`;
  if (v.kind === "invalid")
    return `${what} ${JSON.stringify(v.text)} (${source}) is not a worker count — set ${what} <= ${bound}`;
  if (v.count > bound)
    return `${what} ${v.count} (${source}) exceeds CPU limit ${bound} — set ${what} <= ${bound}`;
  return undefined;
}

const NGINX_AUTO =
  "nginx counts the host's cores, not the container's CPU quota (24 workers on a 5–6 core limit was the seed's latency incident)";
const INGRESS_AUTO =
  "ingress-nginx's auto reads only cgroup v1 quota files and counts every host core on cgroup v2 (kubernetes/ingress-nginx#9665)";

/** Every worker-count problem of one container. */
export function workerProblems(w: Workload, c: Container, cms: ConfigMaps, cfg: Config): string[] {
  const limit = cpuMillis(c.resources?.limits?.cpu);
  // No CPU limit: nothing to be consistent with (the resources policy asks for one).
  if (limit === undefined) return [];
  const bound = maxWorkersForCpuLimit(limit);
  const who = subject(w, c.name);
  const out: string[] = [];
  const add = (p: string | undefined) => p && out.push(`${who}: ${p}`);
  const asWorkers = (text: string): WorkerValue => parseWorkers(text) ?? { kind: "invalid", text };
  const env = resolvedEnv(w, c, cms);
  const files = mountedFiles(w, c, cms);
  const argv = expandedArgv(w, c);

  // --- nginx ---------------------------------------------------------------
  let nginxSet = false;
  if (isIngressNginx(c)) {
    const ref = flagValue(argv, "--configmap");
    const data = ref ? cms.get(ref.includes("/") ? ref : `${w.namespace}/${ref}`) : undefined;
    const v = parseWorkers(data?.["worker-processes"]);
    if (!ref || !data) {
      out.push(
        `${who}: ingress-nginx has no ${ref ? `ConfigMap ${ref} in this stack` : "--configmap"} setting worker-processes, so it runs with auto: ${INGRESS_AUTO} — point --configmap at a ConfigMap with worker-processes <= ${bound}`,
      );
    } else if (!v) {
      out.push(
        `${who}: ConfigMap ${ref} sets no worker-processes, so ingress-nginx runs with auto: ${INGRESS_AUTO} — set worker-processes <= ${bound}`,
      );
    } else add(workerProblem("worker-processes", v, `ConfigMap ${ref}`, bound, INGRESS_AUTO));
    // Memory for what the workers imply: the same floor config validation
    // applies (components/common/sizing.ts), so a hand-written tier is held to it too.
    const mem = memoryMiB(c.resources?.limits?.memory);
    if (data && v?.kind === "count" && mem !== undefined) {
      const connections = Number(data["max-worker-connections"]) || 16384;
      const floor = nginxMemoryFloorMiB(v.count, connections);
      if (mem < floor)
        out.push(
          `${who}: memory limit ${mem}Mi cannot hold ${v.count} workers × ${connections} connections (ConfigMap ${ref}) — set the memory limit >= ${floor}Mi or fewer workers/connections`,
        );
    }
    nginxSet = true;
  }
  for (const f of files) {
    if (!looksLikeNginxConf(f.text)) continue;
    const wp = nginxMainDirective(f.text, "worker_processes");
    if (wp === undefined) continue;
    nginxSet = true;
    add(workerProblem("worker_processes", asWorkers(wp), f.source, bound, NGINX_AUTO));
  }
  const g = argv.find((a, i) => argv[i - 1] === "-g" && a.includes("worker_processes"));
  if (g) {
    const wp = nginxMainDirective(g, "worker_processes") ?? "";
    nginxSet = true;
    add(workerProblem("worker_processes", asWorkers(wp), "-g", bound, NGINX_AUTO));
  }
  for (const name of cfg.nginxWorkerVariables) {
    const e = env.get(name);
    if (!e) continue;
    nginxSet = true;
    add(workerProblem(name, asWorkers(e.value), e.source, bound, NGINX_AUTO));
  }
  // The official image's entrypoint sizes worker_processes from the cgroup
  // quota (ceil) when this variable is set: that auto does see the limit.
  if (env.has("NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE")) nginxSet = true;
  if (isNginx(c) && !nginxSet)
    out.push(
      `${who}: nginx worker_processes is not set by any mounted nginx.conf, -g or env, so the image's default applies (auto in the official image): ${NGINX_AUTO} — set worker_processes <= ${bound}`,
    );

  // --- Elasticsearch ---------------------------------------------------------
  const es = new Map<string, Sourced<string>>();
  for (const f of files)
    if (/elasticsearch\.ya?ml$/.test(f.key))
      for (const [k, v] of flatYamlSettings(f.text)) es.set(k, { value: v, source: f.source });
  for (const [k, v] of env) {
    // The Docker image takes settings as env: `node.processors=4` or ES_SETTING_NODE_PROCESSORS.
    if (/^[a-z_]+(\.[a-z_]+)+$/.test(k)) es.set(k, v);
    const m = /^ES_SETTING_(.+)$/.exec(k);
    if (m) es.set(m[1].replace(/_/g, ".").replace(/\.\./g, "_").toLowerCase(), v);
  }
  const memLimit = memoryMiB(c.resources?.limits?.memory) ?? 0;
  const esBound = elasticsearchSizing(limit, memLimit).processors;
  const processors = es.get("node.processors");
  if (processors) {
    const n = Number(processors.value);
    if (!(Number.isFinite(n) && n > 0))
      out.push(
        `${who}: node.processors ${JSON.stringify(processors.value)} (${processors.source}) is not a number — set node.processors <= ${esBound}`,
      );
    else if (n > esBound)
      out.push(
        `${who}: node.processors ${processors.value} (${processors.source}) exceeds CPU limit ${esBound} — set node.processors <= ${esBound} (every thread pool is sized from it)`,
      );
  }
  if (processors || isElasticsearch(c)) {
    // Elasticsearch's own sizes for fixed pools (modules-threadpool docs): write is
    // # processors (at most +1), search and get int(p × 3 / 2) + 1.
    const p = Math.min(esBound, Number(processors?.value) || esBound);
    const pools: [string, number][] = [
      ["write", p + 1],
      ["search", Math.floor((p * 3) / 2) + 1],
      ["get", Math.floor((p * 3) / 2) + 1],
    ];
    for (const [pool, max] of pools) {
      const s = es.get(`thread_pool.${pool}.size`);
      if (s && Number(s.value) > max)
        out.push(
          `${who}: thread_pool.${pool}.size ${s.value} (${s.source}) exceeds what CPU limit ${esBound} can run — set thread_pool.${pool}.size <= ${max}`,
        );
    }
  }

  // --- JVM -----------------------------------------------------------------------
  const jvmOpts: Sourced<string>[] = [];
  for (const name of cfg.jvmOptionVariables) {
    const e = env.get(name);
    if (e) jvmOpts.push(e);
  }
  for (const f of files)
    if (/(^jvm\.options$|\.options$)/.test(f.key)) jvmOpts.push({ value: f.text, source: f.source });
  if (argv.some((a) => /(^|\/)java$/.test(a))) jvmOpts.push({ value: argv.join(" "), source: "command" });
  const jvmBound = jvmActiveProcessors(limit);
  let activeCount: Sourced<number> | undefined;
  let supportOff: Sourced<string> | undefined;
  for (const o of jvmOpts) {
    const n = jvmActiveProcessorCount(o.value);
    if (n !== undefined) activeCount = { value: n, source: o.source };
    if (jvmContainerSupportDisabled(o.value)) supportOff = o;
  }
  if (activeCount && activeCount.value > jvmBound)
    out.push(
      `${who}: -XX:ActiveProcessorCount=${activeCount.value} (${activeCount.source}) exceeds CPU limit ${jvmBound} — set -XX:ActiveProcessorCount <= ${jvmBound}`,
    );
  if (!activeCount && supportOff)
    out.push(
      `${who}: -XX:-UseContainerSupport (${supportOff.source}) without -XX:ActiveProcessorCount makes the JVM size GC and JIT threads from the host's cores, not the CPU limit — remove it or set -XX:ActiveProcessorCount <= ${jvmBound}`,
    );
  if (supportOff && !processors && isElasticsearch(c))
    out.push(
      `${who}: Elasticsearch with -XX:-UseContainerSupport (${supportOff.source}) and no node.processors sizes its thread pools from the host's cores — set node.processors <= ${esBound}`,
    );
  return out;
}

export function cpuLimitWorkerConsistency(
  enforcementLevel: EnforcementLevel = "mandatory",
): StackValidationPolicy {
  return containerStackPolicy(
    {
      name: "cpu-limit-worker-consistency",
      description:
        "nginx worker_processes, Elasticsearch node.processors/thread pools and JVM ActiveProcessorCount do not exceed the container's CPU limit (ceil), wherever they are set (ConfigMap, args, env); 'auto' is refused where the process cannot see the cgroup limit.",
      settings: workerSettings,
      problems: workerProblems,
    },
    enforcementLevel,
  );
}
