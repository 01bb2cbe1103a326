/**
 * The one schema of a business catalog entry (`apps/<business>.yaml`).
 *
 * TypeBox gives the JSON Schema and the TypeScript type from one definition;
 * ajv checks it and fills the defaults written here. The CLI validates with
 * it, `npm run release -- --schema` prints it for the web UI's form and the
 * docs, and every field says its unit and its default. `expected` is what an
 * error message tells the user to write instead (as in stacks/schema.ts).
 *
 * Order of precedence, lowest first: this schema's defaults < the template's
 * defaults < the catalog entry < the entry's per-datacenter overrides <
 * `--set path=value` on the command line (release/catalog/load.ts).
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { probeFloors } from "../../components/common/probes";

const DnsLabel = (description: string) =>
  Type.String({
    pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    expected: "a lower-case DNS label (a-z, 0-9, '-'; at most 63 characters)",
    description,
  });
const Port = (defaultValue: number | undefined, description: string) =>
  Type.Integer({
    minimum: 1024,
    maximum: 65535,
    expected: "an unprivileged port 1024-65535",
    default: defaultValue,
    description,
  });

/** A probe's timing; floors from components/common/probes.ts (the seed's avalanche). */
const ProbeTiming = (defaults: { periodSeconds: number; failureThreshold: number }, what: string) =>
  Type.Object(
    {
      /** HTTP path probed on the app port. Default: /healthz. */
      path: Type.String({
        pattern: "^/",
        default: "/healthz",
        expected: "an absolute HTTP path such as /healthz",
        description: `HTTP path of the ${what} probe on the app port. Default: /healthz.`,
      }),
      /** Seconds before one probe counts as failed. Default: 5 (the floor). */
      timeoutSeconds: Type.Integer({
        minimum: probeFloors.minTimeoutSeconds,
        maximum: 60,
        default: probeFloors.minTimeoutSeconds,
        expected: `an integer ${probeFloors.minTimeoutSeconds}-60: a timeout below ${probeFloors.minTimeoutSeconds} s restarts or ejects busy pods and snowballs into an avalanche (the seed)`,
        description: `Seconds before one ${what} probe counts as failed. Default and floor: ${probeFloors.minTimeoutSeconds}.`,
      }),
      /** Seconds between probes. */
      periodSeconds: Type.Integer({
        minimum: 1,
        maximum: 300,
        default: defaults.periodSeconds,
        description: `Seconds between ${what} probes. Default: ${defaults.periodSeconds}.`,
      }),
      /** Failures in a row before the probe acts. */
      failureThreshold: Type.Integer({
        minimum: 1,
        maximum: 100,
        default: defaults.failureThreshold,
        description: `Consecutive failures before the ${what} probe acts. Default: ${defaults.failureThreshold}.`,
      }),
    },
    { additionalProperties: false, default: {} },
  );

/** Everything about a release that a datacenter may override. */
export const releaseFields = {
  /** The container image repository inside the datacenter's registry mirror, e.g. `shop/web`. */
  image: Type.String({
    pattern: "^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$",
    expected: "an image path inside the registry mirror, without registry or tag, such as shop/web",
    description:
      "Image repository inside the datacenter's registry mirror (the registry comes from the platform stack). Required.",
  }),
  /** The release version: an image tag or a digest; never `latest`. */
  version: Type.String({
    pattern: "^((?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|sha256:[a-f0-9]{64})$",
    expected: "a pinned image tag such as 1.4.2 or a digest sha256:<64 hex> (never latest)",
    description: "Image tag or digest of this release; the release history records it. Required.",
  }),
  /** Machine function (CMDB label) the pods run on. Default: web. */
  machineFunction: Type.String({
    default: "web",
    description: "CMDB machine function the pods are scheduled on. Default: web.",
  }),
  replicas: Type.Object(
    {
      /** HPA minimum. Default: 2 (one rack failure or one drain never takes the whole business). */
      min: Type.Integer({
        minimum: 2,
        maximum: 1000,
        default: 2,
        expected: "an integer 2-1000 (one replica cannot survive a rack failure or a node drain)",
        description: "HPA minimum replicas. Default: 2.",
      }),
      /** HPA maximum. Default: 6. */
      max: Type.Integer({
        minimum: 2,
        maximum: 1000,
        default: 6,
        description: "HPA maximum replicas. Default: 6.",
      }),
      /** HPA target: average CPU use of the app container, percent of its request. Default: 70. */
      targetCpuUtilizationPercent: Type.Integer({
        minimum: 10,
        maximum: 95,
        default: 70,
        description: "HPA target CPU utilisation of the app container, percent of its request. Default: 70.",
      }),
    },
    { additionalProperties: false, default: {} },
  ),
  resources: Type.Object(
    {
      /** App container CPU request, millicores. Default: 1000. */
      cpuRequestMillis: Type.Integer({
        minimum: 100,
        maximum: 64000,
        default: 1000,
        description: "App container CPU request, millicores. Default: 1000.",
      }),
      /** App container CPU limit, millicores; the JVM's processor count follows it. Default: 2000. */
      cpuLimitMillis: Type.Integer({
        minimum: 250,
        maximum: 64000,
        default: 2000,
        description:
          "App container CPU limit, millicores; -XX:ActiveProcessorCount follows it. Default: 2000.",
      }),
      /** App container memory request, MiB. Default: the limit. */
      memoryRequestMiB: Type.Optional(
        Type.Integer({
          minimum: 128,
          maximum: 262144,
          description: "App container memory request, MiB. Default: the memory limit.",
        }),
      ),
      /** App container memory limit, MiB; the heap follows it. Default: 2048. */
      memoryLimitMiB: Type.Integer({
        minimum: 512,
        maximum: 262144,
        default: 2048,
        description: "App container memory limit, MiB; the JVM heap follows it. Default: 2048.",
      }),
    },
    { additionalProperties: false, default: {} },
  ),
  jvm: Type.Object(
    {
      /** Heap as a percentage of the memory limit (at least 256 MiB stay outside it). Default: 60. */
      heapPercent: Type.Integer({
        minimum: 20,
        maximum: 90,
        default: 60,
        description:
          "JVM heap, percent of the memory limit (256 MiB always stay outside the heap). Default: 60.",
      }),
      /** Extra JVM options, appended after the platform's sizing options. Default: none. */
      options: Type.Array(Type.String({ pattern: "^-", expected: "a JVM option starting with '-'" }), {
        default: [],
        description: "Extra JVM options after the platform's sizing options. Default: [].",
      }),
    },
    { additionalProperties: false, default: {} },
  ),
  /** Seconds the app needs after start before it can take traffic (the startup probe covers it). Default: 30. */
  warmupSeconds: Type.Integer({
    minimum: 0,
    maximum: 900,
    default: 30,
    description: "Seconds the app needs before taking traffic; the startup probe allows it. Default: 30.",
  }),
  /**
   * How long a release waits for the new pods to be ready before that
   * datacenter counts as failed (and a multi-datacenter rollout stops), seconds. Default: 600.
   */
  rolloutTimeoutSeconds: Type.Integer({
    minimum: 10,
    maximum: 3600,
    default: 600,
    description:
      "Seconds a release waits for the new pods to be ready before the datacenter counts as failed and the rollout stops. Default: 600.",
  }),
  /** Seconds a terminating pod keeps serving after it left its Service, before Jetty stops. Default: 10. */
  drainSeconds: Type.Integer({
    minimum: 0,
    maximum: 300,
    default: 10,
    description:
      "preStop wait after the pod leaves its Service, seconds (nginx re-resolves the headless upstream meanwhile). Default: 10.",
  }),
  /** Seconds Jetty's graceful stop may take after the drain. Default: 20. */
  gracefulStopSeconds: Type.Integer({
    minimum: 1,
    maximum: 600,
    default: 20,
    description: "Jetty graceful stop after the drain, seconds. Default: 20.",
  }),
  probes: Type.Object(
    {
      readiness: ProbeTiming({ periodSeconds: 5, failureThreshold: 3 }, "readiness"),
      liveness: ProbeTiming({ periodSeconds: 10, failureThreshold: 6 }, "liveness"),
    },
    { additionalProperties: false, default: {} },
  ),
  ports: Type.Object(
    {
      /** Jetty's HTTP port (the ingress tier's upstream port). Default: 8080. */
      http: Port(
        8080,
        "Jetty's HTTP port; must equal the business's upstreamPort in the platform stack for jetty-web. Default: 8080.",
      ),
      /** Prometheus metrics port (JVM, Jetty, logger counters). Default: 9404. */
      metrics: Port(9404, "Prometheus metrics port (JVM, Jetty, logger error counter). Default: 9404."),
    },
    { additionalProperties: false, default: {} },
  ),
  /** Plain environment variables for the app. Names the platform sets (JVM_ENV) are refused. Default: none. */
  env: Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }), Type.String(), {
    default: {},
    description: "Environment variables for the app container. Default: {}.",
  }),
  /** Config files mounted read-only under /etc/app: file name → content. Default: none. */
  configFiles: Type.Record(Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" }), Type.String(), {
    default: {},
    description: "Files under /etc/app (APP_CONFIG_DIR): name → content. Default: {}.",
  }),
  logs: Type.Object(
    {
      /** Globs (under /var/log/app) the filebeat sidecar ships. Default: ["*.log"]. */
      paths: Type.Array(
        Type.String({ pattern: "^[^/]", expected: "a glob relative to /var/log/app such as app-*.log" }),
        {
          minItems: 1,
          default: ["*.log"],
          description: 'Log file globs under /var/log/app shipped to Elasticsearch. Default: ["*.log"].',
        },
      ),
      /** Size limit of the log EmptyDir, GiB. Default: 10. */
      volumeLimitGiB: Type.Integer({
        minimum: 1,
        maximum: 1024,
        default: 10,
        description:
          "Size limit of the log EmptyDir under /var/log/app, GiB: past it (a stalled filebeat) the kubelet evicts this pod rather than the full partition evicting the node's pods. Default: 10.",
      }),
    },
    { additionalProperties: false, default: {} },
  ),
  alerts: Type.Object(
    {
      /** Logger ERROR lines per second (5-minute rate) that page. Default: 1. */
      loggerErrorsPerSecond: Type.Number({
        exclusiveMinimum: 0,
        default: 1,
        description: "Logger error lines per second (5 m rate) that alert. Default: 1.",
      }),
      /** Share of 5xx answers (0-1, 5-minute window) that pages. Default: 0.02. */
      http5xxRatio: Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        default: 0.02,
        description: "Share of 5xx answers (0-1) that alerts. Default: 0.02.",
      }),
      /** p99 latency that pages, seconds. Default: 1. */
      p99LatencySeconds: Type.Number({
        exclusiveMinimum: 0,
        default: 1,
        description: "p99 request latency that alerts, seconds. Default: 1.",
      }),
      /** Heap use after GC, percent of max, that warns. Default: 85. */
      heapUsedPercent: Type.Integer({
        minimum: 50,
        maximum: 99,
        default: 85,
        description: "JVM heap in use, percent of max, that alerts. Default: 85.",
      }),
      /** Share of wall time in GC that warns (0-1). Default: 0.1. */
      gcTimeRatio: Type.Number({
        exclusiveMinimum: 0,
        maximum: 1,
        default: 0.1,
        description: "Share of time spent in GC (0-1) that alerts. Default: 0.1.",
      }),
    },
    { additionalProperties: false, default: {} },
  ),
  /** multi-process template: the processes s6 supervises (name → command). Default: none. */
  processes: Type.Array(
    Type.Object(
      {
        name: DnsLabel("Process (s6 service) name."),
        /** argv; the first element is the program. */
        command: Type.Array(Type.String(), { minItems: 1, description: "argv of the process." }),
      },
      { additionalProperties: false },
    ),
    {
      default: [],
      description: "Processes supervised by s6 in the app container (multi-process template). Default: [].",
    },
  ),
};

/**
 * A copy of a schema without `default` keywords. Overrides and template
 * defaults are partial on purpose: were ajv to fill defaults into them, an
 * override of one field would silently reset every other field.
 */
export function withoutDefaults<T extends TSchema>(schema: T): T {
  // `required` goes too: a partial layer may set one nested field alone.
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === "object") {
      const out: Record<string | symbol, unknown> = {};
      for (const k of Object.keys(v))
        if (k !== "default" && !(k === "required" && Array.isArray((v as Record<string, unknown>)[k])))
          out[k] = strip((v as Record<string, unknown>)[k]);
      for (const sym of Object.getOwnPropertySymbols(v)) out[sym] = (v as Record<symbol, unknown>)[sym];
      return out;
    }
    return v;
  };
  return strip(schema) as T;
}

/** Release fields as a partial object without defaults: what an override, a template or an entry may set. */
const PartialRelease = () =>
  withoutDefaults(Type.Partial(Type.Object(releaseFields, { additionalProperties: false })));

export const DatacenterTarget = Type.Object(
  {
    /** Datacenter (platform stack) name, e.g. dc-a. */
    name: DnsLabel("Datacenter: the name of its platform stack, e.g. dc-a."),
    /** Per-datacenter overrides of any release field (deep-merged over the entry). Default: none. */
    overrides: Type.Optional(PartialRelease()),
  },
  { additionalProperties: false },
);

const identity = {
  /** The business; it must be onboarded in the platform stack of every target datacenter (ingress tier, VIP, namespace). */
  business: DnsLabel(
    "The business, as onboarded in each target datacenter's platform stack (private-cloud:businesses). Required.",
  ),
  /** Template name: a file apps/templates/<template>.yaml. */
  template: DnsLabel(
    "Template: a file apps/templates/<template>.yaml (jetty-web, jetty-worker, multi-process). Required.",
  ),
};

/**
 * A catalog file as written: identity, rollout order, and any release field
 * (the rest comes from the template and the schema defaults).
 */
export const CatalogEntrySchema = Type.Composite(
  [
    Type.Object({
      ...identity,
      /** Rollout order: the first datacenter is the canary. */
      datacenters: Type.Array(DatacenterTarget, {
        minItems: 1,
        description:
          "Target datacenters in rollout order (the first is the canary), each with optional overrides. Required.",
      }),
    }),
    PartialRelease(),
  ],
  { additionalProperties: false },
);
export type CatalogEntry = Static<typeof CatalogEntrySchema>;

/**
 * One business's release in one datacenter, every default filled in: what
 * BusinessApp builds from and what the release history records (digested).
 */
export const AppSpecSchema = Type.Object(
  {
    ...identity,
    /** The datacenter this spec is resolved for. */
    datacenter: DnsLabel("The datacenter this spec is resolved for."),
    ...releaseFields,
  },
  { additionalProperties: false, $id: "https://private-cloud.internal/schemas/business-app.json" },
);
export type AppSpec = Static<typeof AppSpecSchema>;

/** What a template file holds: defaults and which parts are on. */
export const TemplateSchema = Type.Object(
  {
    name: DnsLabel("Template name (the file name without .yaml)."),
    description: Type.String({ description: "What the template is for." }),
    parts: Type.Object(
      {
        /** Pods carry the labels the business's ingress tier selects (behind the VIP). */
        ingress: Type.Boolean({
          description: "Pods are the ingress tier's upstreams (behind the business VIP).",
        }),
        /** Several processes under s6 in the app container. */
        s6: Type.Boolean({ description: "Several processes under s6 in one container (spec.processes)." }),
      },
      { additionalProperties: false },
    ),
    defaults: PartialRelease(),
  },
  { additionalProperties: false },
);
export type Template = Static<typeof TemplateSchema>;
