/**
 * resources. Every container declares CPU and memory requests (what the
 * scheduler and the HPA work from — the seed tunes requests and HPA from
 * monitoring) and limits (what the worker-count policy sizes against). Log
 * shipping sidecars stay within the budget the seed measured for filebeat:
 * under 0.1 core and 100 MB (fluentd was replaced for being too heavy).
 */
import {
  containerResourcePolicy,
  type ConfigOf,
  type EnforcementLevel,
  type ResourceValidationPolicy,
} from "./common";
import { allContainers, subject, type Container, type Workload } from "./k8s";
import { cpuMillis, memoryMiB, parseImage } from "./parsers";

export const resourceSettings = {
  sidecarCpuMillis: { default: 100, description: "Largest CPU limit of a log-shipping sidecar, millicores." },
  sidecarMemoryMiB: { default: 100, description: "Largest memory limit of a log-shipping sidecar, MiB." },
  sidecarImages: {
    default: ["filebeat", "fluent-bit"],
    description:
      "Image names (last path component) that are log-shipping sidecars held to the sidecar budget.",
  },
} as const;

type Config = ConfigOf<typeof resourceSettings>;

const parse = { cpu: cpuMillis, memory: memoryMiB } as const;
const unit = { cpu: "m", memory: "Mi" } as const;

export function isSidecar(c: Container, cfg: Config): boolean {
  const last =
    parseImage(c.image ?? "")
      .repository.split("/")
      .pop() ?? "";
  return cfg.sidecarImages.includes(last);
}

/** Every requests/limits problem of one container. */
export function resourceProblems(w: Workload, c: Container, cfg: Config): string[] {
  const who = subject(w, c.name);
  const out: string[] = [];
  for (const res of ["cpu", "memory"] as const) {
    const got: Partial<Record<"requests" | "limits", number>> = {};
    for (const kind of ["requests", "limits"] as const) {
      const raw = c.resources?.[kind]?.[res];
      if (raw === undefined) {
        out.push(
          `${who}: has no ${res} ${kind === "requests" ? "request" : "limit"} — set resources.${kind}.${res}`,
        );
        continue;
      }
      const v = parse[res](raw);
      if (v === undefined)
        out.push(
          `${who}: ${res} ${kind} ${JSON.stringify(raw)} is not a quantity — set a Kubernetes quantity`,
        );
      else got[kind] = v;
    }
    if (got.requests !== undefined && got.limits !== undefined && got.requests > got.limits)
      out.push(
        `${who}: ${res} request ${c.resources?.requests?.[res]} exceeds its limit ${c.resources?.limits?.[res]} — set the request <= the limit`,
      );
  }
  if (isSidecar(c, cfg)) {
    const cpu = cpuMillis(c.resources?.limits?.cpu);
    const mem = memoryMiB(c.resources?.limits?.memory);
    if (cpu !== undefined && cpu > cfg.sidecarCpuMillis)
      out.push(
        `${who}: log sidecar CPU limit ${cpu}${unit.cpu} exceeds the sidecar budget ${cfg.sidecarCpuMillis}${unit.cpu} — set resources.limits.cpu <= ${cfg.sidecarCpuMillis}m`,
      );
    if (mem !== undefined && mem > cfg.sidecarMemoryMiB)
      out.push(
        `${who}: log sidecar memory limit ${Math.round(mem)}${unit.memory} exceeds the sidecar budget ${cfg.sidecarMemoryMiB}${unit.memory} — set resources.limits.memory <= ${cfg.sidecarMemoryMiB}Mi`,
      );
  }
  return out;
}

export function containerResources(
  enforcementLevel: EnforcementLevel = "mandatory",
): ResourceValidationPolicy {
  return containerResourcePolicy(
    {
      name: "resources",
      description:
        "Every container has CPU and memory requests and limits (request <= limit); log-shipping sidecars such as filebeat stay within 100m CPU and 100Mi memory.",
      settings: resourceSettings,
      containers: allContainers,
      problems: resourceProblems,
    },
    enforcementLevel,
  );
}
