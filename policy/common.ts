/**
 * What every policy module shares: the factory shape (awsguard style: a
 * function taking the enforcement level), config with defaults, and the
 * bridge from the engine's resource view to ours.
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  indexConfigMaps,
  runningContainers,
  workloadOf,
  type ConfigMaps,
  type Container,
  type K8sResource,
  type PodSpec,
  type Workload,
} from "./k8s";

export type { EnforcementLevel, ReportViolation, ResourceValidationPolicy, StackValidationPolicy };

/** One tunable threshold: its default (shared with the components) and what it means. */
export interface Setting {
  readonly default: number | string | boolean | readonly string[];
  readonly description: string;
}

/** The policy's `configSchema` from its settings, defaults included so `pulumi policy` shows them. */
export function configSchema(settings: Readonly<Record<string, Setting>>): PolicyConfigSchema {
  const properties: PolicyConfigSchema["properties"] = {};
  for (const [key, s] of Object.entries(settings)) {
    const d = s.default;
    properties[key] = Array.isArray(d)
      ? { type: "array", items: { type: "string" }, default: [...d], description: s.description }
      : {
          type:
            typeof d === "number"
              ? Number.isInteger(d)
                ? "integer"
                : "number"
              : (typeof d as "string" | "boolean"),
          default: d as number | string | boolean,
          description: s.description,
        };
    if (typeof d === "number") properties[key] = { ...properties[key], minimum: 0 };
  }
  return { properties };
}

type SettingValue<S extends Setting> = S["default"] extends readonly string[]
  ? readonly string[]
  : S["default"] extends number
    ? number
    : S["default"] extends boolean
      ? boolean
      : string;

export type ConfigOf<T extends Readonly<Record<string, Setting>>> = {
  readonly [K in keyof T]: SettingValue<T[K]>;
};

/**
 * The policy's config: what the pack's config says, over the defaults. The
 * engine fills schema defaults itself; merging here keeps a policy correct when
 * it is called directly (tests, bench) or by an engine that passes `{}`.
 */
export function configOf<T extends Readonly<Record<string, Setting>>>(
  args: Pick<ResourceValidationArgs | StackValidationArgs, "getConfig">,
  settings: T,
): ConfigOf<T> {
  const given = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(settings)) out[k] = given[k] ?? s.default;
  return out as ConfigOf<T>;
}

/**
 * The resources a stack policy can judge. A stack policy sees each resource's
 * state, and in a preview against a cluster that is not reachable yet (a
 * datacenter's first preview: the kubeconfig is still an unknown output of
 * MasterHA) that state is empty: nothing is known, so nothing is judged —
 * rather than reporting every namespace as unlabelled. Resource policies
 * still check those resources' inputs.
 */
export function stackResources(args: Pick<StackValidationArgs, "resources">): K8sResource[] {
  return args.resources.filter((r) => Object.keys(r.props ?? {}).length > 0).map(asK8s);
}

/** The engine's resources (stack policies) and resource args both fit our view. */
export function asK8s(r: ResourceValidationArgs | PolicyResource): K8sResource {
  return { type: r.type, name: r.name, urn: r.urn, props: r.props as Record<string, unknown> };
}

/**
 * A stack policy that judges every running container of every workload, with
 * the stack's ConfigMaps at hand: what a container runs with (worker counts,
 * drain timings) is often set in a ConfigMap it mounts or points at.
 */
export function containerStackPolicy<T extends Readonly<Record<string, Setting>>>(
  policy: {
    readonly name: string;
    readonly description: string;
    readonly settings: T;
    readonly problems: (w: Workload, c: Container, cms: ConfigMaps, cfg: ConfigOf<T>) => readonly string[];
  },
  enforcementLevel: EnforcementLevel,
): StackValidationPolicy {
  return {
    name: policy.name,
    description: policy.description,
    enforcementLevel,
    configSchema: configSchema(policy.settings),
    validateStack: (args, reportViolation) => {
      const cfg = configOf(args, policy.settings);
      const resources = stackResources(args);
      const cms = indexConfigMaps(resources);
      for (const r of resources) {
        const w = workloadOf(r);
        if (!w) continue;
        for (const c of runningContainers(w.spec))
          for (const m of policy.problems(w, c, cms, cfg)) reportViolation(m, r.urn);
      }
    },
  };
}

/**
 * A resource policy that judges containers of a workload one by one, each
 * seeing only its own workload (no other resources needed).
 */
export function containerResourcePolicy<T extends Readonly<Record<string, Setting>>>(
  policy: {
    readonly name: string;
    readonly description: string;
    readonly settings: T;
    /** Which containers: the running ones (probes) or all, init containers too (resources). */
    readonly containers: (spec: PodSpec) => Container[];
    readonly problems: (w: Workload, c: Container, cfg: ConfigOf<T>) => readonly string[];
  },
  enforcementLevel: EnforcementLevel,
): ResourceValidationPolicy {
  return {
    name: policy.name,
    description: policy.description,
    enforcementLevel,
    configSchema: configSchema(policy.settings),
    validateResource: (args, reportViolation) => {
      const w = workloadOf(asK8s(args));
      if (!w) return;
      const cfg = configOf(args, policy.settings);
      for (const c of policy.containers(w.spec))
        for (const m of policy.problems(w, c, cfg)) reportViolation(m);
    },
  };
}
