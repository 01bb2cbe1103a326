/**
 * MonitoringStack under mocks (dc-a: three monitoring hosts, per-instance
 * overrides, e-mail and webhook receivers): what exists, with which fields,
 * where it schedules, and that bad contributed data stops it before anything
 * is registered.
 */
import { monitoringAlertRules } from "../../components/monitoring-stack/rules";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runMocked, byType, type Recorded } from "../helpers/pulumi";
import { loadStackFile } from "../../stacks/config";
import { imagesFor } from "../../stacks/images";
import { labelKeys } from "../../stacks/labels";
import { cpuMillis, memoryMiB } from "../../components/common/sizing";
import { probeFloors } from "../../components/common/probes";
import { controlPlaneAlertRules } from "../../components/master-ha/alerts";
import { MonitoringStack } from "../../components/monitoring-stack";
import { projectDir } from "../helpers/config";
import { allPolicies } from "../../policy/policies";
import { evaluate, fromRecorded } from "../policy/harness";

const model = loadStackFile(path.join(projectDir, "Pulumi.dc-a.yaml"));
const NAME = "dc-a-monitoring";
const COMPONENT = "private-cloud:monitoring:MonitoringStack";

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  livenessProbe?: { timeoutSeconds: number; periodSeconds: number; failureThreshold: number };
  readinessProbe?: { timeoutSeconds: number; periodSeconds: number; failureThreshold: number };
}
const KIND: Record<string, string> = {
  sts: "kubernetes:apps/v1:StatefulSet",
  deploy: "kubernetes:apps/v1:Deployment",
  ds: "kubernetes:apps/v1:DaemonSet",
  cm: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  svc: "kubernetes:core/v1:Service",
};
/** The resource of a kind with a logical name (a Service and its StatefulSet share one). */
function find(kind: keyof typeof KIND, name: string): Recorded {
  const r = records.find((x) => x.type === KIND[kind] && x.name === name);
  if (!r) throw new Error(`no ${KIND[kind]} named ${name}`);
  return r;
}
/** Pulumi's wire form of a secret value: the signature key and the secret signature. */
const SECRET_SIG = { key: "4dabf18193072939515e22adb298388d", secret: "1b47061264138c4ac30d75fd1eb44270" };
/** The value of a recorded input that must be a secret (throws when it is plain). */
function secretValue<T>(v: unknown): T {
  const env = v as Record<string, unknown>;
  if (env?.[SECRET_SIG.key] !== SECRET_SIG.secret)
    throw new Error(`not a secret: ${JSON.stringify(v).slice(0, 80)}`);
  return env.value as T;
}
/** The pod spec of a workload record (inputs are plain values under mocks). */
const podSpec = (r: Recorded) => r.inputs.spec.template.spec;
const containers = (r: Recorded): Container[] => podSpec(r).containers;
const workloads = (records: Recorded[]) =>
  records.filter((r) =>
    [
      "kubernetes:apps/v1:StatefulSet",
      "kubernetes:apps/v1:Deployment",
      "kubernetes:apps/v1:DaemonSet",
    ].includes(r.type),
  );

let records: Recorded[];
let stack: MonitoringStack;
beforeAll(async () => {
  records = await runMocked(
    () => {
      stack = new MonitoringStack(NAME, {
        model,
        contributions: { masters: { ruleGroups: { infra: controlPlaneAlertRules(model.masters.length) } } },
      });
    },
    {
      stack: "dc-a",
      // What the random provider would return, so the Secret carries it.
      outputs: (r) =>
        r.type === "random:index/randomPassword:RandomPassword" ? { result: "generated-password" } : {},
    },
  );
});

describe("what exists", () => {
  it("is one component whose children all hang under it, named after it", () => {
    const component = records.filter((r) => r.type === COMPONENT);
    expect(component.map((r) => r.name)).toEqual([NAME]);
    const children = records.filter((r) => r.type !== COMPONENT);
    expect(children.length).toBeGreaterThan(20);
    for (const r of children) {
      expect({ name: r.name, parent: r.parent }).toEqual({ name: r.name, parent: NAME });
      expect(r.name.startsWith(`${NAME}-`)).toBe(true);
    }
  });

  it("runs one Prometheus StatefulSet per instance, one node-exporter, kube-state-metrics, Alertmanager and Grafana", () => {
    expect(
      byType(records, "kubernetes:apps/v1:StatefulSet")
        .map((r) => r.inputs.metadata.name)
        .sort(),
    ).toEqual(["alertmanager", "prometheus-business", "prometheus-infra"]);
    expect(byType(records, "kubernetes:apps/v1:DaemonSet").map((r) => r.inputs.metadata.name)).toEqual([
      "node-exporter",
    ]);
    expect(
      byType(records, "kubernetes:apps/v1:Deployment")
        .map((r) => r.inputs.metadata.name)
        .sort(),
    ).toEqual(["grafana", "kube-state-metrics"]);
  });

  it("puts the stack in a restricted namespace and only node-exporter in a privileged one", () => {
    const levels = Object.fromEntries(
      byType(records, "kubernetes:core/v1:Namespace").map((r) => [
        r.inputs.metadata.name,
        r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"],
      ]),
    );
    expect(levels).toEqual({ monitoring: "restricted", "node-exporter": "privileged" });
    const ds = find("ds", `${NAME}-node-exporter`);
    expect(ds.inputs.metadata.namespace).toBe("node-exporter");
    for (const w of workloads(records).filter((r) => r !== ds))
      expect(w.inputs.metadata.namespace).toBe("monitoring");
  });
});

describe("Prometheus", () => {
  it.each([
    // dc-a: infra uses the section's 30 days / 1500 GiB, business overrides to 15 days / 1200 GiB.
    ["infra", "30d", "1275GB", "1500Gi"],
    ["business", "15d", "1020GB", "1200Gi"],
  ])("%s keeps %s and at most %s on a %s volume", (instance, time, size, volume) => {
    const sts = find("sts", `${NAME}-prometheus-${instance}`);
    const args = containers(sts)[0].args ?? [];
    expect(args).toContain(`--storage.tsdb.retention.time=${time}`);
    expect(args).toContain(`--storage.tsdb.retention.size=${size}`);
    const claim = sts.inputs.spec.volumeClaimTemplates[0].spec;
    expect(claim.resources.requests.storage).toBe(volume);
    expect(claim.storageClassName).toBe("local-retain");
    expect(sts.inputs.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: "Retain",
      whenScaled: "Retain",
    });
    expect(sts.inputs.spec.replicas).toBe(2);
  });

  it("loads its own config and rule ConfigMaps, with contributed rules in the instance that has their metrics", () => {
    const infraRules = find("cm", `${NAME}-prometheus-infra-rules`).inputs.data;
    const businessRules = find("cm", `${NAME}-prometheus-business-rules`).inputs.data;
    expect(infraRules["contributed.yml"]).toContain("NodeReadyButKubeletDown");
    expect(infraRules["platform.yml"]).toContain("NodeSwapEnabled");
    expect(businessRules["platform.yml"]).toContain("JvmHeapNearlyFull");
    expect(businessRules["contributed.yml"]).not.toContain("NodeReadyButKubeletDown");
    const config = find("cm", `${NAME}-prometheus-infra-config`).inputs.data["prometheus.yml"];
    expect(config).toContain("job_name: kube-state-metrics");
    expect(config).toContain("prometheus: infra");
    const volumes = podSpec(find("sts", `${NAME}-prometheus-infra`)).volumes;
    expect(volumes).toEqual([
      { name: "config", configMap: { name: "prometheus-infra-config" } },
      { name: "rules", configMap: { name: "prometheus-infra-rules" } },
    ]);
  });

  it("the business instance projects each onboarded business's release rules and reloads them without a restart", () => {
    const sts = find("sts", `${NAME}-prometheus-business`);
    const businesses = model.config.businesses.map((b) => b.name).sort();
    expect(businesses.length).toBeGreaterThan(0);
    const volume = podSpec(sts).volumes?.find((v: { name: string }) => v.name === "release-rules");
    expect(volume?.projected?.sources).toEqual(
      businesses.map((b) => ({
        configMap: {
          name: `prometheus-business-rules-${b}`,
          optional: true,
          items: [{ key: "rules.yml", path: `${b}.yml` }],
        },
      })),
    );
    expect(containers(sts)[0].volumeMounts).toContainEqual({
      name: "release-rules",
      mountPath: "/etc/prometheus/release-rules",
      readOnly: true,
    });
    expect(containers(sts)[0].args).toEqual(
      expect.arrayContaining(["--enable-feature=auto-reload-config", "--config.auto-reload-interval=30s"]),
    );
    const config = find("cm", `${NAME}-prometheus-business-config`).inputs.data["prometheus.yml"];
    expect(config).toContain("- /etc/prometheus/release-rules/*.yml");
    // The infra instance has no business rules to load.
    const infra = find("cm", `${NAME}-prometheus-infra-config`).inputs.data["prometheus.yml"];
    expect(infra).not.toContain("release-rules");
  });

  it("rolls its pods when config or rules change (digest annotation)", () => {
    const a = find("sts", `${NAME}-prometheus-infra`).inputs.spec.template.metadata.annotations;
    const b = find("sts", `${NAME}-prometheus-business`).inputs.spec.template.metadata.annotations;
    expect(a["private-cloud.io/config-digest"]).toMatch(/^[0-9a-f]{16}$/);
    expect(a["private-cloud.io/config-digest"]).not.toBe(b["private-cloud.io/config-digest"]);
  });
});

describe("where it schedules", () => {
  it.each(["prometheus-infra", "prometheus-business", "alertmanager", "grafana", "kube-state-metrics"])(
    "%s runs only on monitoring machines, one replica per host, spread over racks",
    (workload) => {
      const spec = podSpec(
        find(["grafana", "kube-state-metrics"].includes(workload) ? "deploy" : "sts", `${NAME}-${workload}`),
      );
      expect(
        spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
      ).toEqual([
        { matchExpressions: [{ key: labelKeys.function, operator: "In", values: ["monitoring"] }] },
      ]);
      expect(
        spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey,
      ).toBe(labelKeys.hostname);
      expect(spec.topologySpreadConstraints[0]).toMatchObject({
        topologyKey: labelKeys.rack,
        maxSkew: 1,
        whenUnsatisfiable: "DoNotSchedule",
      });
    },
  );

  it("runs node-exporter on every host in the host's network namespace, reading the host read-only", () => {
    const spec = podSpec(find("ds", `${NAME}-node-exporter`));
    expect(spec.hostNetwork).toBe(true);
    expect(spec.hostPID).toBe(true);
    expect(spec.tolerations).toEqual([{ operator: "Exists" }]);
    expect(spec.affinity).toBeUndefined();
    const mounts = spec.containers[0].volumeMounts as { readOnly?: boolean }[];
    expect(mounts.length).toBe(3);
    for (const m of mounts) expect(m.readOnly).toBe(true);
  });
});

describe("containers", () => {
  it("use only the datacenter's pinned images", () => {
    const allowed = new Set(Object.values(imagesFor(model)));
    for (const w of workloads(records))
      for (const c of containers(w)) expect(allowed.has(c.image)).toBe(true);
  });

  it("have CPU/memory requests and limits, GOMAXPROCS from the CPU limit, and probes above the floors", () => {
    for (const w of workloads(records)) {
      for (const c of containers(w)) {
        const limit = cpuMillis(c.resources.limits.cpu) as number;
        expect(limit).toBeGreaterThan(0);
        expect(cpuMillis(c.resources.requests.cpu)).toBeLessThanOrEqual(limit);
        expect(memoryMiB(c.resources.requests.memory)).toBeLessThanOrEqual(
          memoryMiB(c.resources.limits.memory) as number,
        );
        expect(c.env?.find((e) => e.name === "GOMAXPROCS")?.value).toBe(String(Math.ceil(limit / 1000)));
        for (const p of [c.livenessProbe, c.readinessProbe]) {
          expect(p).toBeDefined();
          expect(p?.timeoutSeconds).toBeGreaterThanOrEqual(probeFloors.minTimeoutSeconds);
        }
        const live = c.livenessProbe as NonNullable<Container["livenessProbe"]>;
        expect(live.periodSeconds * live.failureThreshold).toBeGreaterThanOrEqual(
          probeFloors.minLivenessWindowSeconds,
        );
      }
    }
  });
});

describe("Alertmanager", () => {
  it("gets its routes from config in a Secret, and gossips between its replicas", () => {
    const secret = find("secret", `${NAME}-alertmanager-config`);
    expect(secret.type).toBe("kubernetes:core/v1:Secret");
    const text = secretValue<Record<string, string>>(secret.inputs.stringData)["alertmanager.yml"];
    expect(text).toContain("https://oncall.dc-a.cloud.internal/hooks/alertmanager");
    expect(text).toContain("smtp_smarthost: smtp.dc-a.cloud.internal:25");
    const args = containers(find("sts", `${NAME}-alertmanager`))[0].args ?? [];
    expect(args.filter((a) => a.startsWith("--cluster.peer="))).toEqual([
      "--cluster.peer=alertmanager-0.alertmanager.monitoring.svc:9094",
      "--cluster.peer=alertmanager-1.alertmanager.monitoring.svc:9094",
    ]);
  });
});

describe("Grafana", () => {
  it("takes its admin password from a RandomPassword, keeps it in a Secret and exports it as a secret", async () => {
    const pw = records.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
    expect(pw.map((r) => r.name)).toEqual([`${NAME}-grafana-admin`]);
    expect(pw[0].inputs.length).toBeGreaterThanOrEqual(32);
    const secret = find("secret", `${NAME}-grafana-admin`);
    expect(secret.type).toBe("kubernetes:core/v1:Secret");
    expect(secretValue<object>(secret.inputs.stringData)).toEqual({
      "admin-user": "admin",
      "admin-password": "generated-password",
    });
    expect(await pulumi.isSecret(stack.grafanaAdminPassword)).toBe(true);
    const env = containers(find("deploy", `${NAME}-grafana`))[0].env as {
      name: string;
      valueFrom?: { secretKeyRef: { name: string; key: string } };
    }[];
    expect(env.find((e) => e.name === "GF_SECURITY_ADMIN_PASSWORD")?.valueFrom?.secretKeyRef).toEqual({
      name: "grafana-admin",
      key: "admin-password",
    });
  });

  it("provisions a datasource per Prometheus instance and a dashboard per business", () => {
    const ds: string = find("cm", `${NAME}-grafana-datasources`).inputs.data["datasources.yaml"];
    expect(ds).toContain("url: http://prometheus-infra.monitoring.svc:9090");
    expect(ds).toContain("url: http://prometheus-business.monitoring.svc:9090");
    const business = find("cm", `${NAME}-grafana-dashboards-business`).inputs.data;
    for (const b of model.config.businesses)
      expect(Object.keys(business)).toContain(`pc-nginx-${b.name}.json`);
    const platform = find("cm", `${NAME}-grafana-dashboards-platform`).inputs.data;
    expect(Object.keys(platform).sort()).toEqual([
      "pc-control-plane.json",
      "pc-elasticsearch.json",
      "pc-nodes.json",
    ]);
  });
});

describe("the policy pack", () => {
  it("finds no mandatory violation in the stack (probes, resources, images, privileges, spread)", async () => {
    const violations = await evaluate(allPolicies(), fromRecorded(records));
    expect(violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`)).toEqual(
      [],
    );
  });
});

describe("bad contributed data", () => {
  it("stops before any resource is registered", async () => {
    // A contributed group named like one of the stack's own: Prometheus would load only one of them.
    const own = monitoringAlertRules().infra[0];
    let error: unknown;
    const recs = await runMocked(() => {
      try {
        new MonitoringStack("bad", { model, contributions: { calico: { ruleGroups: { infra: [own] } } } });
      } catch (e) {
        error = e;
      }
    });
    expect(String(error)).toContain(
      `Prometheus infra: rule group ${JSON.stringify(own.name)} appears in platform.yml and contributed.yml (expected unique group names)`,
    );
    expect(recs.filter((r) => r.custom)).toEqual([]);
  });
});
