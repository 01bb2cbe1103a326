/**
 * The ingress tier's builders: what each object says, checked on the values a
 * user (or the policy pack) would notice. Plain objects, no Pulumi.
 */
import type * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { probeFloors, warmupAnnotation } from "../../components/common/probes";
import { FILEBEAT_CONTAINER, filebeatLimits } from "../../components/common/filebeat";
import { NETWORK_HEALTH_CONTAINER } from "../../components/common/network-health";
import { cpuMillis, nginxConnections } from "../../components/common/sizing";
import { LVS_VIP_ANNOTATION, LVS_SERVICE_LABEL } from "../../components/fullnat-lvs/contract";
import { vipAssignments } from "../../components/fullnat-lvs/vips";
import { controllerConfigData, nginxTuning } from "../../components/ingress-tier/nginx";
import {
  clusterRole,
  controllerArgs,
  deployment,
  hpa,
  ingress,
  l4ServiceConfigMaps,
  namespaces,
  pdb,
  preStopCommand,
  tierNames,
  tlsSecret,
  upstreamService,
  vipService,
} from "../../components/ingress-tier/manifests";
import { ingressPorts } from "../../components/ingress-tier/ports";
import { labelKeys } from "../../stacks/labels";
import type { DatacenterModel } from "../../stacks/model";
import type { Business } from "../../stacks/schema";
import { fixture, modelOf } from "../helpers/config";

/** Builders return Input-typed objects; the tests read them as the plain values they are. */
const plain = <T>(x: unknown): T => x as T;
type Deployment = k8s.types.output.apps.v1.Deployment;
type Container = k8s.types.output.core.v1.Container;

const shipping = { hosts: ["http://es-client.logging.svc:9200"], credentialsSecret: "log-writer" };

function build(dc: string, business: string, mutate?: (b: Record<string, unknown>) => void) {
  const f = fixture(dc);
  const raw = (f.raw.businesses as Record<string, unknown>[]).find((b) => b.name === business);
  if (!raw) throw new Error(`no business ${business} in ${dc}`);
  mutate?.(raw);
  const model: DatacenterModel = modelOf(f);
  const biz = model.config.businesses.find((b) => b.name === business) as Business;
  const t = nginxTuning(model, biz);
  const n = tierNames(business);
  const vip = vipAssignments(model).find((a) => a.business === business)?.vip as string;
  const built = deployment(model, n, biz, t, vip, shipping);
  const d = plain<Deployment>(built.deployment);
  const containers = d.spec.template.spec.containers;
  const controller = containers.find((c) => c.name === "controller") as Container;
  return { model, biz, t, n, vip, d, containers, controller, built };
}

describe("controller ConfigMap: the values nginx runs with", () => {
  it.each([
    ["dc-a", "shop", "6"],
    ["dc-a", "push", "2"],
    ["dc-b", "music", "5"],
    ["dc-c", "appstore", "3"],
  ])(
    "%s/%s: worker-processes %s (never auto), one mask per worker, fd limit sized with the connections",
    (dc, b, w) => {
      const { t } = build(dc, b);
      const data = controllerConfigData(t);
      expect(data["worker-processes"]).toBe(w);
      expect(data["worker-cpu-affinity"].split(" ")).toHaveLength(Number(w));
      const conns = nginxConnections(Number(w));
      expect(data["max-worker-connections"]).toBe(String(conns.workerConnections));
      expect(data["max-worker-open-files"]).toBe(String(conns.workerRlimitNofile));
      expect(Number(data["max-worker-open-files"])).toBeGreaterThanOrEqual(2 * conns.workerConnections);
      expect(data["worker-shutdown-timeout"]).toBe(`${t.termination.shutdownTimeoutSeconds}s`);
    },
  );

  it("logs per day into the shared log volume and refuses snippet annotations", () => {
    const data = controllerConfigData(build("dc-c", "appstore").t);
    expect(data["http-access-log-path"]).toBe("/var/log/app/access-$pc_log_day.log");
    expect(data["http-snippet"]).toContain("map $time_iso8601 $pc_log_day");
    expect(data["allow-snippet-annotations"]).toBe("false");
    expect(data["worker-processes"]).not.toBe("auto");
  });
});

describe("the nginx Deployment", () => {
  const { d, t, controller, containers, biz } = build("dc-a", "shop");
  const spec = d.spec.template.spec;

  it("sizes the controller from the business config", () => {
    expect(cpuMillis(controller.resources.limits.cpu)).toBe(6000);
    expect(cpuMillis(controller.resources.requests.cpu)).toBe(6000);
    expect(controller.resources.limits.memory).toBe("4096Mi");
  });

  it("every container has requests and limits", () => {
    for (const c of containers) {
      expect(c.resources.requests).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
      expect(c.resources.limits).toEqual(
        expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
      );
    }
  });

  it("gates traffic behind the warm-up with a startup probe, and declares the warm-up", () => {
    const s = controller.startupProbe;
    expect(s.initialDelaySeconds).toBe(biz.warmupSeconds);
    expect(s.failureThreshold * s.periodSeconds).toBeGreaterThanOrEqual(biz.warmupSeconds);
    expect(d.spec.template.metadata.annotations[warmupAnnotation]).toBe(String(biz.warmupSeconds));
  });

  it("readiness and liveness differ, and no probe is below the floors", () => {
    expect(controller.readinessProbe).not.toEqual(controller.livenessProbe);
    expect(controller.readinessProbe.httpGet.port).toBe(ingressPorts.lbHealth);
    expect(controller.livenessProbe.httpGet.port).toBe(ingressPorts.controller);
    for (const p of [controller.startupProbe, controller.livenessProbe, controller.readinessProbe])
      expect(p.timeoutSeconds).toBeGreaterThanOrEqual(probeFloors.minTimeoutSeconds);
    const live = controller.livenessProbe;
    expect(live.failureThreshold * live.periodSeconds).toBeGreaterThanOrEqual(
      probeFloors.minLivenessWindowSeconds,
    );
  });

  it("preStop leaves the LB first, waits out the LVS detection, then quits nginx gracefully", () => {
    const script = controller.lifecycle.preStop.exec.command[2];
    expect(script).toMatch(/^touch \/run\/lb-drain\/draining; sleep (\d+); exec \/wait-shutdown$/);
    const wait = Number(/sleep (\d+)/.exec(script)?.[1]);
    expect(wait).toBe(t.termination.preStopWaitSeconds);
    expect(wait).toBeGreaterThan(t.lvs.intervalSeconds * t.lvs.failures);
    expect(spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(
      wait + t.termination.shutdownTimeoutSeconds,
    );
  });

  it("runs only on ingress machines, spread over racks (hard) and hosts (soft)", () => {
    const term =
      spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
    expect(term.matchExpressions).toEqual([{ key: labelKeys.function, operator: "In", values: ["ingress"] }]);
    const byKey = Object.fromEntries(spec.topologySpreadConstraints.map((c) => [c.topologyKey, c]));
    expect(byKey[labelKeys.rack].whenUnsatisfiable).toBe("DoNotSchedule");
    expect(byKey[labelKeys.rack].maxSkew).toBe(1);
    expect(byKey[labelKeys.hostname].whenUnsatisfiable).toBe("ScheduleAnyway");
  });

  it("carries the network-health and filebeat sidecars; filebeat shares the nginx log volume", () => {
    expect(containers.map((c) => c.name)).toEqual([
      "controller",
      NETWORK_HEALTH_CONTAINER,
      FILEBEAT_CONTAINER,
    ]);
    const fb = containers.find((c) => c.name === FILEBEAT_CONTAINER) as Container;
    const logMount = controller.volumeMounts.find((m) => m.mountPath === "/var/log/app");
    expect(fb.volumeMounts.map((m) => m.name)).toContain(logMount?.name);
    expect(cpuMillis(fb.resources.limits.cpu)).toBeLessThanOrEqual(filebeatLimits.cpuMillis);
    expect(spec.securityContext.sysctls).toEqual([
      { name: "net.ipv4.ping_group_range", value: "0 2147483647" },
    ]);
  });

  it("meets Pod Security restricted: non-root, no escalation, all capabilities dropped", () => {
    for (const c of containers) {
      expect(c.securityContext.allowPrivilegeEscalation).toBe(false);
      expect(c.securityContext.capabilities.drop).toEqual(["ALL"]);
    }
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    const ns = plain<Record<string, k8s.types.output.core.v1.Namespace>>(namespaces(tierNames("shop")));
    expect(Object.keys(ns)).toEqual(["tier", "app"]);
    expect(ns.tier.metadata.name).toBe("ingress-shop");
    expect(ns.app.metadata.name).toBe("shop");
    for (const n of Object.values(ns))
      expect(n.metadata.labels).toEqual(
        expect.objectContaining({ "pod-security.kubernetes.io/enforce": "restricted" }),
      );
  });

  it("leaves replicas to the HPA", () => {
    expect(d.spec.replicas).toBeUndefined();
  });

  it("ships logs to the business's own data stream", () => {
    const { built } = build("dc-a", "shop");
    const conf = parse(plain<{ data: Record<string, string> }>(built.filebeatConfigMap).data["filebeat.yml"]);
    expect(conf["output.elasticsearch"].index).toBe("biz-shop");
    expect(conf["filebeat.inputs"][0].paths).toEqual(["/var/log/app/access-*.log"]);
  });
});

describe("controller flags", () => {
  it("serves only its own class and namespace, on unprivileged ports", () => {
    const { n, biz, vip } = build("dc-a", "push");
    const args = controllerArgs(n, biz, vip);
    expect(args).toEqual(
      expect.arrayContaining([
        "--controller-class=private-cloud.io/ingress-nginx-push",
        "--ingress-class=nginx-push",
        "--watch-namespace=push",
        `--publish-status-address=${vip}`,
        "--http-port=8080",
        "--https-port=8443",
        "--udp-services-configmap=$(POD_NAMESPACE)/udp-services",
      ]),
    );
    expect(args.some((a) => a.startsWith("--tcp-services-configmap"))).toBe(false);
  });

  it("proxies the L4 ports to the upstream on the same number", () => {
    const { n, biz } = build("dc-a", "push");
    const [tcp, udp] = l4ServiceConfigMaps(n, biz);
    expect(tcp.data).toEqual({});
    expect(udp.data).toEqual({ "5228": "push/jetty:5228" });
  });

  it("preStopCommand is one shell line the policy pack can read the wait from", () => {
    const { t } = build("dc-b", "shop");
    expect(preStopCommand(t)[2]).toContain(`sleep ${t.termination.preStopWaitSeconds};`);
  });
});

describe("HPA and PDB", () => {
  it("scales on the controller container's CPU within the configured bounds, scale-in stabilized", () => {
    const { n, biz } = build("dc-a", "shop", (b) => {
      b.targetCpuUtilizationPercent = 55;
      b.scaleDownStabilizationSeconds = 600;
    });
    const h = plain<k8s.types.output.autoscaling.v2.HorizontalPodAutoscaler>(hpa(n, biz));
    expect([h.spec.minReplicas, h.spec.maxReplicas]).toEqual([6, 40]);
    expect(h.spec.metrics[0].containerResource).toEqual({
      name: "cpu",
      container: "controller",
      target: { type: "Utilization", averageUtilization: 55 },
    });
    expect(h.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(600);
    expect(h.spec.behavior.scaleDown.policies).toEqual([{ type: "Pods", value: 1, periodSeconds: 60 }]);
  });

  it("allows one pod down at a time", () => {
    const p = plain<k8s.types.output.policy.v1.PodDisruptionBudget>(pdb(tierNames("shop")));
    expect(p.spec.maxUnavailable).toBe(1);
    expect(p.spec.selector.matchLabels).toEqual(
      expect.objectContaining({ "app.kubernetes.io/instance": "shop" }),
    );
  });
});

describe("Services and routing", () => {
  it("the VIP Service is headless, carries the LVS contract and maps 80/443 onto nginx's listeners", () => {
    const { model, n, biz, vip } = build("dc-a", "shop");
    const s = plain<k8s.types.output.core.v1.Service>(vipService(model, n, biz));
    expect(s.spec.clusterIP).toBe("None");
    expect(s.metadata.labels[LVS_SERVICE_LABEL]).toBe("true");
    expect(s.metadata.annotations[LVS_VIP_ANNOTATION]).toBe(vip);
    expect(s.spec.ports.map((p) => [p.port, p.targetPort, p.protocol])).toEqual([
      [80, 8080, "TCP"],
      [443, 8443, "TCP"],
    ]);
  });

  it("the Jetty upstream is headless by default (seed: fewer iptables rules and conntrack entries)", () => {
    const { n, biz } = build("dc-a", "shop");
    const s = plain<k8s.types.output.core.v1.Service>(upstreamService(n, biz));
    expect(s.spec.clusterIP).toBe("None");
    expect(s.metadata.namespace).toBe("shop");
    expect(s.spec.ports[0]).toEqual({ name: "http", port: 8080, targetPort: 8080, protocol: "TCP" });
  });

  it("gets a ClusterIP only with a stated reason, which it records", () => {
    const reason = "a batch client resolves the Service name through a proxy";
    const { n, biz } = build("dc-a", "shop", (b) => (b.nonHeadlessReason = reason));
    const s = plain<k8s.types.output.core.v1.Service>(upstreamService(n, biz));
    expect(s.spec.clusterIP).toBeUndefined();
    expect(s.metadata.annotations["private-cloud.io/non-headless-reason"]).toBe(reason);
  });

  it("routes every configured host through the tier's own class", () => {
    const { n, biz } = build("dc-a", "shop");
    const i = plain<k8s.types.output.networking.v1.Ingress>(ingress(n, biz));
    expect(i.spec.ingressClassName).toBe("nginx-shop");
    expect(i.spec.rules.map((r) => r.host)).toEqual(["shop.example.com", "m.shop.example.com"]);
  });

  it("needs nothing cluster-wide but reading IngressClasses", () => {
    expect(clusterRole(tierNames("shop")).rules).toEqual([
      { apiGroups: ["networking.k8s.io"], resources: ["ingressclasses"], verbs: ["get", "list", "watch"] },
    ]);
  });
});

describe("business Ingress", () => {
  it("is not awaited for a load-balancer status only the running controller writes", () => {
    const biz = modelOf(fixture("dc-c")).config.businesses[0];
    const ing = plain<
      k8s.types.input.networking.v1.Ingress & { metadata: { annotations: Record<string, string> } }
    >(ingress(tierNames(biz.name), biz));
    expect(ing.metadata.annotations).toEqual({ "pulumi.com/skipAwait": "true" });
  });
});

describe("TLS: the business's certificate on the VIP", () => {
  it("the Ingress names every host under the tier's TLS Secret, which is also the default certificate", () => {
    const { biz, n, vip } = build("dc-a", "shop");
    expect(plain<{ spec: { tls: unknown } }>(ingress(n, biz)).spec.tls).toEqual([
      { hosts: ["shop.example.com", "m.shop.example.com"], secretName: "shop-tls" },
    ]);
    expect(controllerArgs(n, biz, vip)).toContain("--default-ssl-certificate=shop/shop-tls");
    const secret = plain<{ type: string; metadata: { namespace: string; name: string }; stringData: object }>(
      tlsSecret(n, { certificate: "CERT", privateKey: "KEY" }),
    );
    expect(secret).toEqual(
      expect.objectContaining({
        type: "kubernetes.io/tls",
        metadata: expect.objectContaining({ namespace: "shop", name: "shop-tls" }),
        stringData: { "tls.crt": "CERT", "tls.key": "KEY" },
      }),
    );
  });

  it("a business without 443 gets no tls and no default certificate", () => {
    const { biz, n, vip } = build("dc-a", "shop", (b) => (b.ports = [{ port: 80 }]));
    expect(plain<{ spec: { tls?: unknown } }>(ingress(n, biz)).spec.tls).toBeUndefined();
    expect(controllerArgs(n, biz, vip).filter((a) => a.startsWith("--default-ssl-certificate"))).toEqual([]);
  });

  it("the access-log EmptyDir is bounded (business config, default 20 GiB)", () => {
    const { d } = build("dc-a", "shop");
    expect(d.spec.template.spec.volumes?.find((v) => v.name === "app-logs")?.emptyDir).toEqual({
      sizeLimit: "20Gi",
    });
    const small = build("dc-a", "shop", (b) => (b.accessLogLimitGiB = 5)).d;
    expect(small.spec.template.spec.volumes?.find((v) => v.name === "app-logs")?.emptyDir).toEqual({
      sizeLimit: "5Gi",
    });
  });
});
