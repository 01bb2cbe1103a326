/**
 * The slice of the Kubernetes API the policies read, as plain resolved data
 * (what a policy sees in `args.props`), and the helpers every area shares:
 * where a kind keeps its pod template, how a subject is named in a message.
 *
 * The pack matches on Pulumi type tokens instead of `validateResourceOfType`
 * with @pulumi/kubernetes classes: the pack then needs no provider SDK, and a
 * resource registered through any API version of a kind is still checked.
 */

export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly configMapKeyRef?: { readonly name?: string; readonly key: string };
    readonly fieldRef?: { readonly fieldPath?: string };
  };
}

export interface EnvFromSource {
  readonly configMapRef?: { readonly name?: string };
  readonly prefix?: string;
}

export interface ExecAction {
  readonly command?: readonly string[];
}

export interface Handler {
  readonly exec?: ExecAction;
  readonly httpGet?: { readonly path?: string; readonly port?: number | string; readonly scheme?: string };
  readonly tcpSocket?: { readonly port?: number | string };
  readonly grpc?: { readonly port?: number; readonly service?: string };
  readonly sleep?: { readonly seconds?: number };
}

export interface Probe extends Handler {
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
  readonly successThreshold?: number;
}

export interface ResourceRequirements {
  readonly limits?: Readonly<Record<string, string | number>>;
  readonly requests?: Readonly<Record<string, string | number>>;
}

export interface SecurityContext {
  readonly privileged?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
  readonly seccompProfile?: { readonly type?: string };
}

export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly EnvFromSource[];
  readonly resources?: ResourceRequirements;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { readonly preStop?: Handler; readonly postStart?: Handler };
  readonly ports?: readonly { readonly containerPort?: number; readonly hostPort?: number }[];
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: readonly {
    readonly name: string;
    readonly mountPath: string;
    readonly subPath?: string;
  }[];
  /** `Always` on an init container makes it a native sidecar (KEP-753). */
  readonly restartPolicy?: string;
}

export interface Volume {
  readonly name: string;
  readonly configMap?: { readonly name?: string };
  readonly hostPath?: { readonly path?: string };
  readonly emptyDir?: { readonly medium?: string; readonly sizeLimit?: string };
  readonly projected?: { readonly sources?: readonly { readonly configMap?: { readonly name?: string } }[] };
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

export interface PodAffinityTerm {
  readonly topologyKey?: string;
  readonly labelSelector?: LabelSelector;
}

export interface PodSpec {
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly serviceAccountName?: string;
  readonly automountServiceAccountToken?: boolean;
  readonly terminationGracePeriodSeconds?: number;
  readonly securityContext?: SecurityContext;
  readonly affinity?: {
    readonly podAntiAffinity?: {
      readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTerm[];
      readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly {
        readonly weight?: number;
        readonly podAffinityTerm?: PodAffinityTerm;
      }[];
    };
  };
  readonly topologySpreadConstraints?: readonly {
    readonly topologyKey?: string;
    readonly maxSkew?: number;
    readonly labelSelector?: LabelSelector;
  }[];
}

export interface PodTemplate {
  readonly metadata?: ObjectMeta;
  readonly spec?: PodSpec;
}

/** What a policy knows about any Kubernetes resource: its type token, props and Pulumi name. */
export interface K8sResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  // Props are whatever the resource took; each area narrows what it reads.
  readonly props: Record<string, unknown>;
}

/** The kind part of a Pulumi Kubernetes type token: `kubernetes:apps/v1:Deployment` → `Deployment`. */
export function kindOf(type: string): string | undefined {
  const m = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(type);
  return m ? m[1] : undefined;
}

const WORKLOAD_KINDS = new Set([
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "CronJob",
  "Pod",
]);

export interface Workload {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly urn: string;
  readonly metadata: ObjectMeta;
  readonly template: PodTemplate;
  readonly spec: PodSpec;
  /** Desired replicas as written (`undefined` for DaemonSets, Jobs and bare Pods). */
  readonly replicas?: number;
  /** The workload's own `spec` (selector, replicas, strategy). */
  readonly workloadSpec: Readonly<Record<string, unknown>>;
}

const asRecord = (v: unknown): Readonly<Record<string, unknown>> =>
  v !== null && typeof v === "object" ? (v as Record<string, unknown>) : {};

/** The namespace a resource lands in; Pulumi's provider default is `default`. */
export function namespaceOf(meta: ObjectMeta | undefined): string {
  return meta?.namespace ?? "default";
}

export function metadataOf(r: K8sResource): ObjectMeta {
  return asRecord(r.props.metadata) as ObjectMeta;
}

/** `metadata.name`, or the Pulumi name when the object is auto-named. */
export function objectName(r: K8sResource): string {
  return metadataOf(r).name ?? r.name;
}

/** The pod template of any workload kind (CronJob nests it two levels down), or undefined. */
export function workloadOf(r: K8sResource): Workload | undefined {
  const kind = kindOf(r.type);
  if (!kind || !WORKLOAD_KINDS.has(kind)) return undefined;
  const metadata = metadataOf(r);
  const spec = asRecord(r.props.spec);
  let template: PodTemplate;
  if (kind === "Pod") template = { metadata, spec: spec as PodSpec };
  else if (kind === "CronJob")
    template = asRecord(asRecord(asRecord(spec.jobTemplate).spec).template) as PodTemplate;
  else template = asRecord(spec.template) as PodTemplate;
  const replicas =
    kind === "Deployment" || kind === "StatefulSet" || kind === "ReplicaSet"
      ? typeof spec.replicas === "number"
        ? spec.replicas
        : 1
      : undefined;
  return {
    kind,
    namespace: namespaceOf(metadata),
    name: objectName(r),
    urn: r.urn,
    metadata,
    template,
    spec: template.spec ?? {},
    replicas,
    workloadSpec: spec,
  };
}

/** `Deployment ingress-shop/nginx` — how every message names its subject. */
export function subject(w: Pick<Workload, "kind" | "namespace" | "name">, container?: string): string {
  return `${w.kind} ${w.namespace}/${w.name}${container ? ` container ${container}` : ""}`;
}

/**
 * Every container that runs alongside the app: regular containers and native
 * sidecars (init containers with `restartPolicy: Always`). Plain init
 * containers run to completion first and take no probes.
 */
export function runningContainers(spec: PodSpec): Container[] {
  return [
    ...(spec.containers ?? []),
    ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always"),
  ];
}

export function allContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
}

/** Whether a label selector selects a set of labels (matchLabels and matchExpressions). */
export function selects(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return false;
  const ml = selector.matchLabels ?? {};
  const me = selector.matchExpressions ?? [];
  if (Object.keys(ml).length === 0 && me.length === 0) return true;
  for (const [k, v] of Object.entries(ml)) if (labels[k] !== v) return false;
  for (const e of me) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const values = e.values ?? [];
    if (e.operator === "In" && !(has && values.includes(labels[e.key]))) return false;
    if (e.operator === "NotIn" && has && values.includes(labels[e.key])) return false;
    if (e.operator === "Exists" && !has) return false;
    if (e.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

/** Whether a plain `key: value` selector (Services) selects a set of labels. */
export function mapSelects(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** ConfigMaps of the stack by `namespace/name`. */
export type ConfigMaps = ReadonlyMap<string, Readonly<Record<string, string>>>;

export function indexConfigMaps(resources: readonly K8sResource[]): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const r of resources) {
    if (kindOf(r.type) !== "ConfigMap") continue;
    const data = (r.props.data ?? {}) as Record<string, string>;
    out.set(`${namespaceOf(metadataOf(r))}/${objectName(r)}`, data);
  }
  return out;
}
