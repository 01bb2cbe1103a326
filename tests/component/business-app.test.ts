/**
 * BusinessApp under Pulumi mocks: what one release registers in a
 * datacenter, under which parent and in which order.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { byType, runMocked, type Recorded } from "../helpers/pulumi";
import { BusinessApp } from "../../components/business-app";
import { resolveRelease } from "../../release/catalog/load";
import type { AppSpec } from "../../release/catalog/schema";
import { contextFromStackFile } from "../../release/render";
import { minimalEntry, tempCatalog } from "../helpers/catalog";

const dir = tempCatalog({ shop: minimalEntry("shop", { version: "2.3.4" }) });
const resolved = resolveRelease("shop", { appsDir: dir });
const spec = resolved.specs.get("sim") as AppSpec;
const context = contextFromStackFile("sim");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let records: Recorded[] = [];
let app: BusinessApp | undefined;

beforeAll(async () => {
  records = await runMocked(() => {
    app = new BusinessApp("shop", {
      spec,
      template: resolved.template,
      context,
      logWriterPassword: pulumi.secret("s3cret"),
    });
  });
});

describe("BusinessApp", () => {
  it("registers one component with the business token and every object under it, named from it", () => {
    expect(byType(records, "private-cloud:business:BusinessApp").map((r) => r.name)).toEqual(["shop"]);
    const kids = records.filter((r) => r.parent === "shop");
    expect(kids.map((r) => [r.type, r.name]).sort()).toEqual(
      [
        ["kubernetes:core/v1:ConfigMap", "shop-rack-gateways"],
        ["kubernetes:core/v1:ConfigMap", "shop-filebeat"],
        ["kubernetes:core/v1:ConfigMap", "shop-config"],
        ["kubernetes:core/v1:ConfigMap", "shop-alerts"],
        ["kubernetes:core/v1:Secret", "shop-log-writer"],
        ["kubernetes:apps/v1:Deployment", "shop-deployment"],
        ["kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "shop-hpa"],
        ["kubernetes:policy/v1:PodDisruptionBudget", "shop-pdb"],
        ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "shop-netpol-allow-shop-metrics-scrape"],
      ].sort(),
    );
  });

  it("puts everything in the namespace the platform onboarded the business into, its alert rules where the business Prometheus reads them", () => {
    for (const r of records.filter((x) => x.parent === "shop" && x.name !== "shop-alerts"))
      expect([r.name, r.inputs.metadata.namespace]).toEqual([r.name, "shop"]);
    expect(app?.namespace).toBe("shop");
    const rules = records.find((r) => r.name === "shop-alerts");
    expect([rules?.inputs.metadata.namespace, rules?.inputs.metadata.name]).toEqual([
      "monitoring",
      "prometheus-business-rules-shop",
    ]);
    expect(rules?.inputs.data["rules.yml"]).toContain("alert: BusinessJvmHeapHigh");
  });

  it("creates the Deployment after its config and the HPA after the Deployment", () => {
    const dep = byType(records, "kubernetes:apps/v1:Deployment")[0];
    const urnOf = (name: string) => records.find((r) => r.name === name)?.urn;
    expect(dep.dependsOn).toEqual(
      expect.arrayContaining(
        ["shop-rack-gateways", "shop-filebeat", "shop-config", "shop-log-writer"].map(urnOf),
      ),
    );
    expect(byType(records, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler")[0].dependsOn).toContain(
      dep.urn,
    );
  });

  it("sizes the JVM from the limits and exposes it", () => {
    expect([app?.activeProcessors, app?.heapMiB]).toEqual([2, 1228]);
    const dep = byType(records, "kubernetes:apps/v1:Deployment")[0];
    expect(dep.inputs.metadata.annotations["private-cloud.io/version"]).toBe("2.3.4");
    // From the datacenter's mirror (the sim's is its loopback registry), never a hard-coded host.
    expect(dep.inputs.spec.template.spec.containers[0].image).toBe(`${context.registry}/shop/web:2.3.4`);
    expect(context.registry).toBe("127.0.0.1:16405");
  });

  it("gives the filebeat sidecar the log writer's credentials from a Secret in the namespace", () => {
    const secret = byType(records, "kubernetes:core/v1:Secret")[0];
    expect(secret.inputs.metadata.name).toBe("log-writer");
    // The whole stringData travels as a Pulumi secret (the signature of a secret value).
    const data = secret.inputs.stringData;
    expect(data["4dabf18193072939515e22adb298388d"]).toBe("1b47061264138c4ac30d75fd1eb44270");
    expect(data.value).toEqual({ username: "log-writer", password: "s3cret" });
  });
});
