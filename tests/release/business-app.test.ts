/**
 * BusinessApp's pure builders: what the pods look like to the ingress tier,
 * the scheduler, the JVM and the policy pack — for every template.
 */
import * as fs from "fs";
import { allPolicies } from "../../policy/policies";
import { evaluate, type Res } from "../policy/harness";
import { appManifests, imageRef, terminationGraceSeconds } from "../../components/business-app/manifests";
import { jvmSizing, JVM_ENV } from "../../components/common/jvm";
import { upstreamService, tierNames } from "../../components/ingress-tier/manifests";
import { namespaceSpec } from "../../components/common/namespace";
import { resolveRelease } from "../../release/catalog/load";
import type { AppSpec } from "../../release/catalog/schema";
import { contextFromStackFile, renderObjects } from "../../release/render";
import { loadStackFile } from "../../stacks/config";
import { projectDir } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";
import { minimalEntry, tempCatalog } from "../helpers/catalog";
import * as path from "path";

const ctx = contextFromStackFile("sim");
const dir = tempCatalog({
  web: minimalEntry("shop"),
  worker: minimalEntry("shop", { template: "jetty-worker" }),
  multi: minimalEntry("shop", {
    template: "multi-process",
    processes: [
      { name: "jetty", command: ["/opt/jetty/bin/run-jetty"] },
      { name: "agent", command: ["/usr/bin/local-agent", "--config", "/etc/app/agent.yaml"] },
    ],
  }),
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
// One entry per template, all for the sim's onboarded business "shop".
const release = (file: string) => {
  fs.copyFileSync(path.join(dir, `${file}.yaml`), path.join(dir, "shop.yaml"));
  const r = resolveRelease("shop", { appsDir: dir });
  return { spec: r.specs.get("sim") as AppSpec, template: r.template };
};
const templates = ["web", "worker", "multi"] as const;
const built = Object.fromEntries(templates.map((t) => [t, release(t)]));
const manifests = (t: (typeof templates)[number]) => appManifests(built[t].spec, built[t].template, ctx);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain manifests
const podOf = (t: (typeof templates)[number]): any => (manifests(t).deployment as any).spec.template;

const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe("JVM sizing follows the limits", () => {
  it.each([
    [2000, 2048, 60, 2, 1228],
    [6000, 8192, 60, 6, 4915],
    [1500, 1024, 90, 2, 768], // 256 MiB always stay outside the heap
    [250, 512, 20, 1, 102],
    [24000, 65536, 50, 24, 32768],
  ])("cpu %im, memory %iMi, heap %i%% → %i processors, %i MiB heap", (cpu, mem, pct, procs, heap) => {
    const s = jvmSizing(cpu, mem, pct);
    expect([s.activeProcessors, s.heapMiB]).toEqual([procs, heap]);
    expect(s.options).toEqual(
      expect.arrayContaining([`-XX:ActiveProcessorCount=${procs}`, `-Xmx${heap}m`, `-Xms${heap}m`]),
    );
  });
});

describe("the pods", () => {
  it("jetty-web and multi-process pods are the ingress tier's upstreams; a worker is not", () => {
    const sim = loadStackFile(path.join(projectDir, "Pulumi.sim.yaml"));
    const biz = sim.config.businesses.find((b) => b.name === "shop");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain manifest
    const svc: any = upstreamService(tierNames("shop"), biz as never);
    const selector = svc.spec.selector as Record<string, string>;
    expect(templates.map((t) => [t, selects(selector, podOf(t).metadata.labels)])).toEqual([
      ["web", true],
      ["worker", false],
      ["multi", true],
    ]);
    // …in the namespace the upstream Service is in, on the port it targets.
    expect(manifests("web").names.namespace).toBe(svc.metadata.namespace);
    expect(podOf("web").spec.containers[0].ports[0].containerPort).toBe(biz?.upstreamPort);
  });

  it("the JVM gets the platform's sizing through the environment contract, the business's options last", () => {
    const env = Object.fromEntries(
      (podOf("web").spec.containers[0].env as { name: string; value: string }[]).map((e) => [
        e.name,
        e.value,
      ]),
    );
    expect(env[JVM_ENV.activeProcessors]).toBe("2");
    expect(env[JVM_ENV.heapMiB]).toBe("1228");
    expect(env[JVM_ENV.javaOpts]).toBe(
      "-XX:ActiveProcessorCount=2 -Xms1228m -Xmx1228m -XX:+AlwaysPreTouch -XX:+ExitOnOutOfMemoryError",
    );
    expect(env[JVM_ENV.httpPort]).toBe("8080");
    expect(env[JVM_ENV.datacenter]).toBe("sim");
  });

  it("runs on the machines of its function, spread over racks", () => {
    const spec = podOf("web").spec;
    expect(
      spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    ).toEqual([
      { matchExpressions: [{ key: "cmdb.private-cloud.io/function", operator: "In", values: ["web"] }] },
    ]);
    expect(spec.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: "cmdb.private-cloud.io/rack",
      whenUnsatisfiable: "DoNotSchedule",
    });
  });

  it("drains before stopping, within a grace period that covers both", () => {
    const web = podOf("web").spec;
    expect(web.containers[0].lifecycle.preStop.exec.command).toEqual(["/bin/sh", "-c", "sleep 10"]);
    expect(web.terminationGracePeriodSeconds).toBe(terminationGraceSeconds(built.web.spec));
    expect(web.terminationGracePeriodSeconds).toBeGreaterThan(
      built.web.spec.drainSeconds + built.web.spec.gracefulStopSeconds,
    );
    // Nothing routes to a worker: no drain wait.
    expect(podOf("worker").spec.containers[0].lifecycle).toBeUndefined();
  });

  it("a startup probe covers the warm-up; readiness and liveness differ", () => {
    const c = podOf("web").spec.containers[0];
    const gate =
      c.startupProbe.initialDelaySeconds + c.startupProbe.failureThreshold * c.startupProbe.periodSeconds;
    expect(gate).toBeGreaterThanOrEqual(built.web.spec.warmupSeconds);
    expect(c.readinessProbe).not.toEqual(c.livenessProbe);
    expect(podOf("web").metadata.annotations["private-cloud.io/warmup-seconds"]).toBe("30");
  });

  it("carries the filebeat and network-health sidecars, and ships the configured logs", () => {
    expect(podOf("web").spec.containers.map((c: { name: string }) => c.name)).toEqual([
      "app",
      "network-health",
      "filebeat",
    ]);
    expect(manifests("web").filebeatConfig.data).toBeDefined();
    expect(
      String((manifests("web").filebeatConfig.data as Record<string, string>)["filebeat.yml"]),
    ).toContain("/var/log/app/*.log");
  });

  it("multi-process: one executable s6 run script per process, mounted where s6 reads them", () => {
    const m = manifests("multi");
    expect(m.s6Services?.data).toEqual({
      "jetty.run":
        "#!/bin/sh\n# s6 service jetty, generated by private-cloud (BusinessApp)\nexec '/opt/jetty/bin/run-jetty'\n",
      "agent.run":
        "#!/bin/sh\n# s6 service agent, generated by private-cloud (BusinessApp)\nexec '/usr/bin/local-agent' '--config' '/etc/app/agent.yaml'\n",
    });
    const vol = podOf("multi").spec.volumes.find((v: { name: string }) => v.name === "s6-services");
    expect(vol.configMap.items).toEqual([
      { key: "jetty.run", path: "jetty/run" },
      { key: "agent.run", path: "agent/run" },
    ]);
    expect(podOf("multi").spec.containers[0].volumeMounts).toContainEqual({
      name: "s6-services",
      mountPath: "/etc/services.d",
      readOnly: true,
    });
  });

  it("pins the image by tag or digest from the datacenter's mirror", () => {
    expect(podOf("web").spec.containers[0].image).toBe("127.0.0.1:16405/shop/web:1.0.0");
    const digest = `sha256:${"a".repeat(64)}`;
    expect(imageRef("registry.sim.cloud.internal", { ...built.web.spec, version: digest })).toBe(
      `registry.sim.cloud.internal/shop/web@${digest}`,
    );
  });

  it("refuses a business the datacenter has not onboarded", () => {
    expect(() => appManifests({ ...built.web.spec, business: "bank" }, built.web.template, ctx)).toThrow(
      'business "bank" is not onboarded in datacenter sim (expected one of: shop; add it to private-cloud:businesses of the platform stack)',
    );
  });
});

const T: Record<string, string> = {
  ConfigMap: "kubernetes:core/v1:ConfigMap",
  Secret: "kubernetes:core/v1:Secret",
  Deployment: "kubernetes:apps/v1:Deployment",
  HorizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  PodDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
};
/** The release as the policy pack sees it, with the namespace the platform stack made. */
function asResources(spec: AppSpec, template: (typeof built)["web"]["template"]): Res[] {
  const objs = renderObjects(appManifests(spec, template, ctx));
  return [
    {
      type: "kubernetes:core/v1:Namespace",
      name: "shop-ns",
      props: namespaceSpec("shop", "restricted", "business") as Record<string, unknown>,
    },
    ...objs.map((o, i) => ({ type: T[o.kind], name: `${o.kind}-${i}`, props: o as Record<string, unknown> })),
  ];
}

describe("the policy pack", () => {
  it.each(templates)("passes every policy, advisories included: %s", async (t) => {
    expect(await evaluate(allPolicies(), asResources(built[t].spec, built[t].template))).toEqual([]);
  });

  it("refuses the seed's two incidents if they got past the catalog (probe timeout 1 s; 24 JVM processors on 6 cores)", async () => {
    const bad: AppSpec = {
      ...built.web.spec,
      resources: {
        ...built.web.spec.resources,
        cpuRequestMillis: 6000,
        cpuLimitMillis: 6000,
        memoryLimitMiB: 8192,
      },
      jvm: { ...built.web.spec.jvm, options: ["-XX:ActiveProcessorCount=24"] },
      probes: {
        ...built.web.spec.probes,
        readiness: { ...built.web.spec.probes.readiness, timeoutSeconds: 1 },
      },
    };
    const v = await evaluate(allPolicies(), asResources(bad, built.web.template));
    expect(v.map((x) => [x.policy, x.level])).toEqual([
      ["probe-timeouts", "mandatory"],
      ["cpu-limit-worker-consistency", "mandatory"],
    ]);
    expect(v[0].message).toMatch(/readinessProbe.*timeoutSeconds 1.*5/);
    expect(v[1].message).toMatch(/-XX:ActiveProcessorCount=24 \(env JAVA_OPTS\) exceeds CPU limit 6/);
  });
});

describeWithTool("promtool", "the business's alert rules", () => {
  it.each(templates)("%s: promtool accepts the rule file the business Prometheus gets", (t) => {
    const file = path.join(dir, `rules-${t}.yaml`);
    fs.writeFileSync(
      file,
      (manifests(t).alertRules.data as Record<string, string>)[ctx.businesses.shop.alertRules.key],
    );
    const r = runTool("promtool", ["check", "rules", file]);
    expect([r.status, r.output]).toEqual([
      0,
      expect.stringContaining(`SUCCESS: ${t === "worker" ? 4 : 5} rules found`),
    ]);
  });
});
