/**
 * The one schema of a datacenter stack's configuration.
 *
 * Each top-level property is one Pulumi config key in the `private-cloud:`
 * namespace (`private-cloud:masters`, `private-cloud:network`, …), so the path of
 * a schema error is also the path a user edits in `Pulumi.<stack>.yaml`.
 * TypeBox gives both the JSON Schema (checked by ajv, which also fills the
 * defaults written here) and the TypeScript type from one definition.
 *
 * Every field says its unit and its default. `expected` is our own annotation:
 * it is what an error message tells the user to write instead.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";

export const CONFIG_NAMESPACE = "private-cloud";

/** Businesses one datacenter can hold (see `businesses` below). */
export const MAX_BUSINESSES = 100;

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

const Ipv4 = (description?: string) =>
  Type.String({ format: "ipv4", expected: "an IPv4 address such as 10.16.1.11", description });
const Cidr4 = (description?: string) =>
  Type.String({ format: "cidr4", expected: "an IPv4 CIDR such as 10.16.0.0/16", description });
/** An RFC 1123 label: the shape of names that end up in Kubernetes object names and labels. */
const DnsLabel = (description?: string) =>
  Type.String({
    pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$",
    expected: "a lower-case DNS label (a-z, 0-9, '-'; at most 63 characters)",
    description,
  });
const DnsName = (description?: string) =>
  Type.String({
    pattern: "^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
    expected: "a lower-case DNS name such as api.dc-a.example.internal",
    description,
  });
const Port = (defaultValue?: number, description?: string) =>
  Type.Integer({
    minimum: 1,
    maximum: 65535,
    expected: "a TCP/UDP port 1-65535",
    default: defaultValue,
    description,
  });
/** A 4-byte private-use or public AS number (RFC 6996 private: 64512-65534, 4200000000-4294967294). */
const AsNumber = (description?: string) =>
  Type.Integer({ minimum: 1, maximum: 4294967294, expected: "an AS number 1-4294967294", description });

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

export const DatacenterSection = Type.Object(
  {
    /** Stack/datacenter name, e.g. "dc-a". Used in resource names and labels. */
    name: DnsLabel("Datacenter name, e.g. dc-a"),
    /** DNS suffix under which platform names are published, e.g. dc-a.example.internal. */
    domain: DnsName("DNS suffix of the datacenter"),
    /** Free text shown in the stack outputs (`datacenterDescription`). Default: "". */
    description: Type.String({ default: "" }),
    /**
     * Protect the resources that hold data (etcd's encryption key, Prometheus
     * and Elasticsearch volumes) from `pulumi destroy`. Default: true. Only a
     * throwaway datacenter (the sim) turns it off; data is retained on delete
     * either way.
     */
    protectData: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

// No clusterDomain: the installer image sets the cluster DNS domain of the
// kubelets and CoreDNS, and nothing in this program could pass another one
// on. A setting nothing reads is worse than none (a user who changes it sees
// no effect), so a stack that sets it is refused as an unknown setting.
export const KubernetesSection = Type.Object(
  {
    /** Kubernetes release of the control plane and kubelets, e.g. "v1.34.4". */
    version: Type.String({
      pattern: "^v1\\.[0-9]+\\.[0-9]+$",
      expected: "a Kubernetes release such as v1.34.4",
    }),
  },
  { additionalProperties: false },
);

export const ImagesSection = Type.Object(
  {
    /** Registry mirror every image is pulled from (host[:port][/path]), e.g. registry.dc-a.example.internal. */
    registry: Type.String({
      pattern: "^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$",
      expected: "a registry host[:port][/path] without scheme, such as registry.dc-a.example.internal:5000",
    }),
    /**
     * Tag of the unified installer image (all binaries, manifests and scripts in
     * one image, seed part 1). Bumping it is how the control plane is upgraded.
     */
    installerTag: Type.String({
      pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
      not: { const: "latest" },
      expected: "an immutable image tag such as v1.34.4-pc.1, never 'latest'",
    }),
  },
  { additionalProperties: false },
);

export const MastersSection = Type.Object(
  {
    /**
     * Hostnames (from the inventory, function `master`) that run the stacked
     * control plane: etcd + apiserver + controller-manager + scheduler as static Pods.
     * An odd count of 3, 5 or 7 keeps etcd quorum through one (two, three) failures.
     */
    hostnames: Type.Array(DnsLabel(), { minItems: 1, expected: "a list of 3, 5 or 7 master hostnames" }),
    /** etcd data directory on the masters. Default: /var/lib/etcd. */
    etcdDataDir: Type.String({
      default: "/var/lib/etcd",
      pattern: "^/",
      expected: "an absolute path such as /var/lib/etcd",
    }),
    /** How long one master may take to report healthy after an upgrade before the rollout stops, seconds. Default: 600. */
    upgradeHealthTimeoutSeconds: Type.Integer({ minimum: 30, maximum: 3600, default: 600 }),
  },
  { additionalProperties: false },
);

export const ApiServerSection = Type.Object(
  {
    /**
     * How clients reach the API servers (seed part 1): `lvs` puts a VIP on the
     * FULLNAT LVS tier in front of the masters; `dns` publishes one name with an
     * A record per master.
     */
    mode: Type.Union([Type.Literal("lvs"), Type.Literal("dns")], { expected: "'lvs' or 'dns'" }),
    /** `lvs` mode: the VIP the LVS directors announce for the API. */
    vip: Type.Optional(Ipv4()),
    /** The DNS name clients use (required in `dns` mode; in `lvs` mode it is published for the VIP). */
    name: Type.Optional(DnsName()),
    /** TTL of the published records in `dns` mode, seconds. Default: 30 (short, so a dead master leaves rotation fast). */
    ttlSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 30 }),
    /** Secure port of kube-apiserver and of the VIP. Default: 6443. */
    port: Port(6443),
  },
  { additionalProperties: false },
);

export const HostAccessSection = Type.Object(
  {
    /**
     * Whether host-level work (installer runs over SSH, host checks) is done.
     * Only the simulated datacenter turns it off: it has no real hosts. Default: true.
     */
    enabled: Type.Boolean({ default: true }),
    /** Why host access is off; required when `enabled` is false, printed in the preview. */
    disabledReason: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Kubeconfig file (relative to the project) of the already running cluster,
     * used when host access is off (nothing fetches one from the masters then).
     */
    kubeconfigPath: Type.Optional(Type.String({ minLength: 1 })),
    /** SSH user on every host (needs passwordless sudo). Default: ops. */
    sshUser: Type.String({ default: "ops", pattern: "^[a-z_][a-z0-9_-]*$" }),
    /** SSH port. Default: 22. */
    sshPort: Port(22),
    /** Hosts bootstrapped in parallel within one rack batch. Default: 16. */
    parallelism: Type.Integer({ minimum: 1, maximum: 256, default: 16 }),
  },
  { additionalProperties: false, default: {} },
);

export const RackSection = Type.Object(
  {
    /** Rack name as the CMDB spells it, e.g. a1-r03. */
    name: DnsLabel(),
    /** Subnet of the hosts in this rack (one L3 subnet per rack: pure L3 fabric). */
    subnet: Cidr4(),
    /** The rack's gateway (ToR switch); pods ping it to prove their network works (seed part 3). */
    gateway: Ipv4(),
  },
  { additionalProperties: false },
);

export const NetworkSection = Type.Object(
  {
    /** The pod address space (Calico IP pools are carved from it). */
    podCidr: Cidr4(),
    /** The Service ClusterIP range. */
    serviceCidr: Cidr4(),
    /** Every rack that holds a host, with its subnet and gateway. */
    racks: Type.Array(RackSection, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const TuningOverride = Type.Object(
  {
    /** net.core.somaxconn. */
    somaxconn: Type.Optional(Type.Integer({ minimum: 128, maximum: 1048576 })),
    /** net.ipv4.tcp_max_syn_backlog. */
    tcpMaxSynBacklog: Type.Optional(Type.Integer({ minimum: 128, maximum: 1048576 })),
    /** net.core.netdev_max_backlog. */
    netdevMaxBacklog: Type.Optional(Type.Integer({ minimum: 1000, maximum: 1048576 })),
    /** net.netfilter.nf_conntrack_max. */
    conntrackMax: Type.Optional(Type.Integer({ minimum: 65536, maximum: 16777216 })),
  },
  { additionalProperties: false },
);

export const MinionsSection = Type.Object(
  {
    /** Path (relative to the project) of this datacenter's CMDB export. */
    inventory: Type.String({
      pattern: "^[A-Za-z0-9_./-]+\\.ya?ml$",
      expected: "a path to a .yaml CMDB export",
    }),
    /** Oldest acceptable kernel, "major.minor". Default: 4.19 (cgroup and conntrack fixes the FULLNAT/TOA path needs). */
    minKernel: Type.String({ pattern: "^[0-9]+\\.[0-9]+$", default: "4.19" }),
    /** Docker storage driver the host check insists on. Default: overlay2. */
    dockerStorageDriver: Type.Union([Type.Literal("overlay2"), Type.Literal("devicemapper")], {
      default: "overlay2",
    }),
    /** kubelet root directory; EmptyDir volumes (the log volumes) live under it. Default: /var/lib/kubelet. */
    kubeletRoot: Type.String({
      default: "/var/lib/kubelet",
      pattern: "^/",
      expected: "an absolute path such as /var/lib/etcd",
    }),
    /** Per machine-type overrides of the derived tuning profile. Default: none. */
    tuning: Type.Record(Type.String(), TuningOverride, { default: {} }),
  },
  { additionalProperties: false },
);

export const BgpPeerSection = Type.Object(
  {
    /** Rack whose nodes peer with this router. */
    rack: DnsLabel(),
    /** Router address. */
    peerIp: Ipv4(),
    /** Router AS number. */
    asNumber: AsNumber(),
  },
  { additionalProperties: false },
);

export const RouteReflectorSection = Type.Object(
  {
    /** Hostname (from the inventory) of a node that acts as route reflector. */
    hostname: DnsLabel(),
    /** RR cluster ID, an IPv4-formatted 32-bit ID (RFC 4456), e.g. 224.0.0.1. */
    clusterId: Ipv4(),
  },
  { additionalProperties: false },
);

export const IpPoolSection = Type.Object(
  {
    name: DnsLabel(),
    cidr: Cidr4(),
    /** Calico IPAM block size (prefix length). Default: 26. */
    blockSize: Type.Integer({ minimum: 20, maximum: 32, default: 26 }),
    /** SNAT pod traffic leaving the pool. Default: false (pods are routable on the fabric). */
    natOutgoing: Type.Boolean({ default: false }),
    /** Restrict the pool to these racks (route aggregation per rack). Default: every rack. */
    racks: Type.Optional(Type.Array(DnsLabel(), { minItems: 1 })),
    /**
     * Carve the pool into one block of this prefix length per rack (its
     * `racks`, else every rack, in config order), so each ToR can aggregate
     * its rack's pod routes into one prefix. Rack i gets block i: append
     * racks, never reorder them (a carved pool in use cannot move). Default:
     * not carved (one pool for all its racks).
     */
    rackBlockPrefix: Type.Optional(
      Type.Integer({ minimum: 8, maximum: 32, expected: "a prefix length 8-32" }),
    ),
  },
  { additionalProperties: false },
);

export const BgpSection = Type.Object(
  {
    /** The datacenter's own AS number (the nodes' AS). */
    asNumber: AsNumber(),
    /** `tor`: every node peers with its rack's router; `routeReflector`: nodes peer with RR nodes. */
    mode: Type.Union([Type.Literal("tor"), Type.Literal("routeReflector")]),
    /** Routers, one or more per rack (tor mode) or the routers the RRs peer with. Default: none. */
    peers: Type.Array(BgpPeerSection, { default: [] }),
    /** Route reflector nodes (routeReflector mode). Default: none. */
    routeReflectors: Type.Array(RouteReflectorSection, { default: [] }),
    /** Calico IP pools. */
    ipPools: Type.Array(IpPoolSection, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const LvsSection = Type.Object(
  {
    /** Hostnames (inventory function `lvs`) of the FULLNAT directors. */
    directors: Type.Array(DnsLabel(), {
      minItems: 2,
      expected: "at least 2 director hostnames (ECMP needs two)",
    }),
    /**
     * Pools VIPs are allocated from. Business VIPs are hashed into the FIRST
     * pool only (stacks/derive/vips.ts): never resize or reorder
     * vipPools[0] — that moves every unpinned VIP; append pools instead (later
     * pools serve pins and the API VIP).
     */
    vipPools: Type.Array(Cidr4(), { minItems: 1 }),
    /**
     * Business name → VIP, for a business whose hashed VIP collides with
     * another's (config validation says so and suggests a free address) or
     * that must keep a VIP it already has. Default: none.
     */
    vipPins: Type.Record(DnsLabel(), Ipv4(), { default: {} }),
    /** Local-address (LIP) ranges FULLNAT uses as source towards real servers. */
    localAddressRanges: Type.Array(Cidr4(), { minItems: 1 }),
    /** Real-server health check interval, seconds. Default: 2. */
    healthCheckIntervalSeconds: Type.Integer({ minimum: 1, maximum: 60, default: 2 }),
    /** Failed checks before a real server is removed. Default: 3. */
    healthCheckFailures: Type.Integer({ minimum: 1, maximum: 10, default: 3 }),
    /**
     * The FULLNAT data plane on the directors and so the keepalived dialect:
     * `dpvs` (iQIYI DPVS, DPDK; its keepalived names the DPDK port of each
     * LIP) or `alibaba` (Alibaba's FULLNAT kernel LVS, the seed's choice).
     * Default: dpvs (see components/fullnat-lvs/README.md).
     */
    implementation: Type.Union([Type.Literal("dpvs"), Type.Literal("alibaba")], {
      default: "dpvs",
      expected: "'dpvs' or 'alibaba'",
    }),
    /** `dpvs`: the DPDK port the LIPs live on. Default: dpdk0. */
    lipInterface: Type.String({ pattern: "^[a-z0-9][a-z0-9.]{0,14}$", default: "dpdk0" }),
    /** AS number the directors announce VIPs from. Default: bgp.asNumber. */
    asNumber: Type.Optional(AsNumber()),
  },
  { additionalProperties: false },
);

export const BusinessSection = Type.Object(
  {
    /** Business name; its ingress tier lives in namespace ingress-<name>. */
    name: DnsLabel(),
    /** Public host names served by the tier. */
    hosts: Type.Array(DnsName(), { minItems: 1 }),
    /** Ports exposed on the business VIP. Default: [80/TCP]. */
    ports: Type.Array(
      Type.Object(
        {
          port: Port(),
          protocol: Type.Union([Type.Literal("TCP"), Type.Literal("UDP")], { default: "TCP" }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, default: [{ port: 80, protocol: "TCP" }] },
    ),
    /** nginx container CPU limit, millicores. Default: 6000 (the seed's 5–6 cores). */
    cpuLimitMillis: Type.Integer({ minimum: 250, maximum: 64000, default: 6000 }),
    /** nginx container memory limit, MiB. Default: 4096. */
    memoryLimitMiB: Type.Integer({ minimum: 128, maximum: 262144, default: 4096 }),
    /**
     * nginx container CPU request, millicores. Default: the CPU limit (no
     * overcommit: a throttled proxy adds latency to every request behind it;
     * the seed tunes requests from monitoring, so it can be lowered here).
     */
    cpuRequestMillis: Type.Optional(Type.Integer({ minimum: 100, maximum: 64000 })),
    /**
     * HPA bounds. Default: 3..10. At least 2 so one rack failure or one drain
     * never takes the whole tier (the PDB allows one pod down at a time).
     */
    minReplicas: Type.Integer({
      minimum: 2,
      maximum: 1000,
      default: 3,
      expected: "an integer 2-1000 (one replica cannot survive a rack failure or a node drain)",
    }),
    maxReplicas: Type.Integer({ minimum: 1, maximum: 1000, default: 10 }),
    /** HPA target: average CPU use of the nginx container, percent of its request. Default: 60. */
    targetCpuUtilizationPercent: Type.Integer({ minimum: 10, maximum: 95, default: 60 }),
    /**
     * How long the HPA waits for a lower recommendation to hold before it
     * scales in, seconds. Default: 300 (scale-in is the risky direction: the
     * seed's latency spikes came from removing proxies too eagerly).
     */
    scaleDownStabilizationSeconds: Type.Integer({ minimum: 0, maximum: 3600, default: 300 }),
    /** Time a new pod needs before it can take traffic, seconds. Default: 10. */
    warmupSeconds: Type.Integer({ minimum: 0, maximum: 600, default: 10 }),
    /**
     * nginx `worker_shutdown_timeout`: how long old workers may keep serving
     * in-flight requests and keep-alive connections after a graceful quit,
     * seconds. Default: 30. The pod's grace period is computed from it.
     */
    workerShutdownTimeoutSeconds: Type.Integer({ minimum: 5, maximum: 600, default: 30 }),
    /**
     * Size limit of the tier pods' access-log EmptyDir, GiB. Default: 20. The
     * filebeat sidecar prunes days nobody writes to after 48 h; past this
     * limit (a stalled filebeat or Elasticsearch) the kubelet evicts this one
     * pod instead of the full kubelet partition evicting every pod on the node.
     */
    accessLogLimitGiB: Type.Integer({ minimum: 1, maximum: 1024, default: 20 }),
    /** Jetty upstream port. Default: 8080. */
    upstreamPort: Port(8080),
    /** Reason the upstream Service may not be headless; absent means headless (seed part 3). */
    nonHeadlessReason: Type.Optional(Type.String({ minLength: 10 })),
  },
  { additionalProperties: false },
);

/**
 * One Prometheus instance (the seed splits Prometheus "by type into several
 * maps": `infra` scrapes nodes, control plane, Calico, LVS; `business` scrapes
 * nginx, Jetty, JVM and logger counters). Unset retention/storage fall back to
 * the `monitoring` section's values.
 */
export const PrometheusInstanceSection = Type.Object(
  {
    /** Retention of this instance, days. Default: monitoring.retentionDays. */
    retentionDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 400 })),
    /** Data volume per replica, GiB. Default: monitoring.storageGiB. */
    storageGiB: Type.Optional(Type.Integer({ minimum: 10, maximum: 16384 })),
    /** Replicas; each scrapes every target (an HA pair, deduplicated by Alertmanager). Default: 2. */
    replicas: Type.Integer({ minimum: 1, maximum: 5, default: 2 }),
    /** Container CPU limit, millicores. Default: 4000. */
    cpuLimitMillis: Type.Integer({ minimum: 500, maximum: 64000, default: 4000 }),
    /** Container memory limit, MiB. Default: 16384. */
    memoryLimitMiB: Type.Integer({ minimum: 1024, maximum: 262144, default: 16384 }),
    /** Scrape and rule evaluation interval, seconds. Default: 30. */
    scrapeIntervalSeconds: Type.Integer({ minimum: 5, maximum: 300, default: 30 }),
  },
  { additionalProperties: false, default: {} },
);

/** An Alertmanager matcher, e.g. `severity="critical"` or `namespace=~"ingress-.*"`. */
const AlertMatcher = Type.String({
  pattern: '^[a-zA-Z_][a-zA-Z0-9_]*(=|!=|=~|!~)"[^"]*"$',
  expected: 'a matcher label="value", label!="value", label=~"regex" or label!~"regex"',
});

export const AlertReceiverSection = Type.Object(
  {
    /** Receiver name that routes refer to. */
    name: DnsLabel("Receiver name"),
    /** Webhook endpoints (the on-call / IM gateway), http(s) URLs. Default: none. */
    webhookUrls: Type.Array(
      Type.String({ pattern: "^https?://[^\\s]+$", expected: "an http:// or https:// URL" }),
      { default: [] },
    ),
    /** E-mail recipients; needs monitoring.alertmanager.smtp. Default: none. */
    emailTo: Type.Array(
      Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$", expected: "an e-mail address such as sre@example.com" }),
      { default: [] },
    ),
    /** Also notify when an alert resolves. Default: true. */
    sendResolved: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export const AlertRouteSection = Type.Object(
  {
    /** Receiver (by name) of the alerts this route matches. */
    receiver: DnsLabel("Receiver name"),
    /** Every matcher must hold for an alert to take this route. */
    matchers: Type.Array(AlertMatcher, { minItems: 1 }),
    /** Keep looking at later routes after this one matched. Default: false. */
    continue: Type.Boolean({ default: false }),
    /** Resend a still-firing alert after this long, minutes. Default: the top-level repeat interval. */
    repeatIntervalMinutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 10080 })),
  },
  { additionalProperties: false },
);

export const AlertmanagerSection = Type.Object(
  {
    /** Replicas, gossiping so each alert is sent once. Default: 2. */
    replicas: Type.Integer({ minimum: 1, maximum: 5, default: 2 }),
    /** Receiver of every alert no route matches. */
    defaultReceiver: DnsLabel("Receiver name"),
    /** Where alerts go. At least one: an alert that reaches nobody is not monitoring. */
    receivers: Type.Array(AlertReceiverSection, {
      minItems: 1,
      expected: "at least one receiver with a webhook URL or an e-mail address",
    }),
    /** Routes, first match wins unless `continue`. Default: none (everything to defaultReceiver). */
    routes: Type.Array(AlertRouteSection, { default: [] }),
    /** Labels alerts are grouped by into one notification. Default: [alertname, datacenter, namespace]. */
    groupBy: Type.Array(Type.String({ pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$" }), {
      default: ["alertname", "datacenter", "namespace"],
    }),
    /** Resend a still-firing alert after this long, minutes. Default: 240. */
    repeatIntervalMinutes: Type.Integer({ minimum: 1, maximum: 10080, default: 240 }),
    /** SMTP relay for e-mail receivers. Default: none. */
    smtp: Type.Optional(
      Type.Object(
        {
          /** host:port of the relay. */
          smarthost: Type.String({
            pattern: "^[a-z0-9.-]+:[0-9]+$",
            expected: "host:port such as smtp.example.com:25",
          }),
          /** Sender address. */
          from: Type.String({ pattern: "^[^@\\s]+@[^@\\s]+$", expected: "an e-mail address" }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Volume for silences and the notification log, GiB. Default: 2. */
    storageGiB: Type.Integer({ minimum: 1, maximum: 100, default: 2 }),
  },
  {
    additionalProperties: false,
    expected:
      "alert routing: defaultReceiver and receivers with a webhook URL or e-mail (alerts must reach someone)",
  },
);

export const GrafanaSection = Type.Object(
  {
    /** Admin login; the password is generated (RandomPassword) and kept as a secret. Default: admin. */
    adminUser: Type.String({ pattern: "^[a-z][a-z0-9_-]{2,31}$", default: "admin" }),
    /** Host name Grafana is published under. Default: grafana.<datacenter.domain>. */
    domain: Type.Optional(DnsName("Grafana host name")),
  },
  { additionalProperties: false, default: {} },
);

export const MonitoringSection = Type.Object(
  {
    /** Prometheus retention, days (every instance unless it sets its own). Default: 15. */
    retentionDays: Type.Integer({ minimum: 1, maximum: 400, default: 15 }),
    /** Prometheus data volume per instance replica, GiB (unless the instance sets its own). Default: 200. */
    storageGiB: Type.Integer({ minimum: 10, maximum: 16384, default: 200 }),
    /** StorageClass for the data volumes. Default: local-retain. */
    storageClass: Type.String({ default: "local-retain" }),
    /**
     * Mount point of the monitoring hosts' data disk that backs local volumes
     * (a `local-*` storageClass): the volumes of one host must fit on it. Default: /data/prometheus.
     */
    dataMount: Type.String({
      pattern: "^/",
      default: "/data/prometheus",
      expected: "an absolute path such as /data/prometheus",
    }),
    /** The Prometheus instances, split by target type. Default: both with the values above. */
    prometheus: Type.Object(
      { infra: PrometheusInstanceSection, business: PrometheusInstanceSection },
      { additionalProperties: false, default: {} },
    ),
    /** Alert routing. Required: alerts must reach someone. */
    alertmanager: AlertmanagerSection,
    /** Grafana. Default: admin user `admin`, domain grafana.<datacenter.domain>. */
    grafana: GrafanaSection,
  },
  { additionalProperties: false, default: {} },
);

/** Container limits of one Elasticsearch node role; `node.processors` and the heap follow them. */
const EsNodeResources = (cpuLimitMillis: number, memoryLimitMiB: number) =>
  Type.Object(
    {
      /** Container CPU limit, millicores (node.processors = ceil(limit in cores)). */
      cpuLimitMillis: Type.Integer({ minimum: 500, maximum: 64000, default: cpuLimitMillis }),
      /** Container memory limit, MiB (heap = half of it, below 31 GiB). */
      memoryLimitMiB: Type.Integer({ minimum: 1024, maximum: 262144, default: memoryLimitMiB }),
    },
    { additionalProperties: false, default: {} },
  );

export const LoggingSection = Type.Object(
  {
    /** Elasticsearch data nodes. Default: 3. */
    dataNodes: Type.Integer({ minimum: 1, maximum: 200, default: 3 }),
    /** Data volume per data node, GiB. Default: 500. */
    dataStorageGiB: Type.Integer({ minimum: 10, maximum: 65536, default: 500 }),
    /** Log retention, days. Default: 7. */
    retentionDays: Type.Integer({ minimum: 1, maximum: 365, default: 7 }),
    /** StorageClass for data volumes. Default: local-retain. */
    storageClass: Type.String({ default: "local-retain" }),
    /** Client (coordinating-only) nodes filebeat ships to. Default: 2. */
    clientNodes: Type.Integer({ minimum: 1, maximum: 20, default: 2 }),
    /** Master-eligible node limits. Default: 2000m CPU, 4096 MiB. */
    master: EsNodeResources(2000, 4096),
    /** Data node limits. Default: 8000m CPU, 32768 MiB. */
    data: EsNodeResources(8000, 32768),
    /** Client node limits. Default: 4000m CPU, 8192 MiB. */
    client: EsNodeResources(4000, 8192),
  },
  { additionalProperties: false, default: {} },
);

/** The whole stack configuration: one property per `private-cloud:<key>` config key. */
export const StackConfigSchema = Type.Object(
  {
    datacenter: DatacenterSection,
    kubernetes: KubernetesSection,
    images: ImagesSection,
    masters: MastersSection,
    apiServer: ApiServerSection,
    hostAccess: Type.Optional(HostAccessSection),
    network: NetworkSection,
    minions: MinionsSection,
    bgp: BgpSection,
    lvs: Type.Optional(LvsSection),
    // At most MAX_BUSINESSES: every business has an nginx dashboard (~6.5
    // KiB), and a datacenter's business dashboards share one Grafana
    // ConfigMap (900 KiB, components/monitoring-stack/grafana.ts). Past about
    // 140 the program would fail in MonitoringStack, after registering
    // everything else, with no config path; 100 keeps headroom for bigger
    // dashboards (tests/unit/monitoring-grafana.test.ts checks 100 fit).
    businesses: Type.Array(BusinessSection, {
      default: [],
      maxItems: MAX_BUSINESSES,
      expected: `at most ${MAX_BUSINESSES} businesses per datacenter (their dashboards share one Grafana ConfigMap)`,
    }),
    monitoring: Type.Optional(MonitoringSection),
    logging: Type.Optional(LoggingSection),
  },
  { additionalProperties: false },
);

/** Config keys that must be Pulumi secrets and are read apart from the model. */
export const SECRET_KEYS = ["sshPrivateKey", "tls"] as const;

export type StackConfig = Static<typeof StackConfigSchema>;
export type Business = Static<typeof BusinessSection>;
export type TuningOverrides = Static<typeof TuningOverride>;
export type MonitoringConfig = Static<typeof MonitoringSection>;
export type PrometheusInstanceConfig = Static<typeof PrometheusInstanceSection>;

// ---------------------------------------------------------------------------
// Inventory (CMDB export)
// ---------------------------------------------------------------------------

export const HOST_FUNCTIONS = ["master", "web", "ingress", "monitoring", "logging", "lvs"] as const;
export type HostFunction = (typeof HOST_FUNCTIONS)[number];

export const DiskSchema = Type.Object(
  {
    /** Block device, e.g. sdb. */
    device: Type.String({ pattern: "^[a-z0-9]+$" }),
    /** Mount point, e.g. /var/lib/kubelet. */
    mount: Type.String({ pattern: "^/", expected: "an absolute path such as /var/lib/etcd" }),
    sizeGiB: Type.Integer({ minimum: 1 }),
    /** Whether the filesystem sits on LVM. */
    lvm: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const HostSchema = Type.Object(
  {
    hostname: DnsLabel(),
    ip: Ipv4(),
    function: Type.Union(
      HOST_FUNCTIONS.map((f) => Type.Literal(f)),
      { expected: `one of ${HOST_FUNCTIONS.join(", ")}` },
    ),
    room: DnsLabel(),
    rack: DnsLabel(),
    machineType: DnsLabel(),
    /** Logical CPUs (with hyper-threading), e.g. 24. */
    cores: Type.Integer({ minimum: 1, maximum: 1024 }),
    memoryGiB: Type.Integer({ minimum: 1, maximum: 65536 }),
    disks: Type.Array(DiskSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export const InventorySchema = Type.Object(
  {
    /** Datacenter the export is for; must equal `private-cloud:datacenter.name`. */
    datacenter: DnsLabel(),
    /** When the CMDB export was taken (ISO date). */
    exportedAt: Type.Optional(Type.String()),
    hosts: Type.Array(HostSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);

export type Host = Static<typeof HostSchema>;
export type Inventory = Static<typeof InventorySchema>;

/** The annotation an error message uses to say what is expected. */
export function expectedOf(schema: TSchema | undefined): string | undefined {
  const e = (schema as { expected?: unknown } | undefined)?.expected;
  return typeof e === "string" ? e : undefined;
}
