/**
 * LoggingStack under Pulumi mocks: what it registers, which objects are
 * protected and retained, what it hands to business workloads.
 */
import { byType, named, runMocked, type Recorded } from "../helpers/pulumi";
import { LoggingStack } from "../../components/logging-stack";
import { labelKeys } from "../../stacks/labels";
import { fixture, modelOf } from "../helpers/config";
import * as pulumi from "@pulumi/pulumi";

const model = modelOf(fixture("dc-b"));
let records: Recorded[] = [];
let stack: LoggingStack;

beforeAll(async () => {
  records = await runMocked(() => {
    stack = new LoggingStack("dc-b-logging", { model });
  });
});

describe("LoggingStack", () => {
  it("registers the stack under the observability token, every child under it", () => {
    expect(byType(records, "private-cloud:observability:LoggingStack").map((r) => r.name)).toEqual([
      "dc-b-logging",
    ]);
    const kids = records.filter((r) => r.parent === "dc-b-logging");
    expect(kids.length).toBe(records.length - 1);
    for (const r of kids) expect(r.name.startsWith("dc-b-logging-")).toBe(true);
  });

  it("creates masters, data and client nodes with the configured counts", () => {
    expect(named(records, "dc-b-logging-master").inputs.spec.replicas).toBe(3);
    expect(named(records, "dc-b-logging-data").inputs.spec.replicas).toBe(4);
    expect(named(records, "dc-b-logging-client").inputs.spec.replicas).toBe(2);
    expect(
      named(records, "dc-b-logging-data").inputs.spec.volumeClaimTemplates[0].spec.resources.requests.storage,
    ).toBe("2000Gi");
  });

  it("schedules every Elasticsearch node onto logging machines", () => {
    for (const n of ["dc-b-logging-master", "dc-b-logging-data", "dc-b-logging-client"]) {
      const terms = named(records, n).inputs.spec.template.spec.affinity.nodeAffinity
        .requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
      expect(terms[0].matchExpressions[0]).toEqual({
        key: labelKeys.function,
        operator: "In",
        values: ["logging"],
      });
    }
  });

  it("one PDB per role, three random passwords, transport TLS from openssl", () => {
    expect(byType(records, "kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(3);
    expect(byType(records, "random:index/randomPassword:RandomPassword")).toHaveLength(3);
    const pki = named(records, "dc-b-logging-transport-pki");
    expect(pki.type).toBe("command:local:Command");
    expect(pki.inputs.create).toContain("openssl req -x509");
  });

  it("Elasticsearch waits for its credentials, certificates and configuration", () => {
    const urn = (n: string) => named(records, n).urn;
    const data = named(records, "dc-b-logging-data");
    for (const dep of ["dc-b-logging-credentials", "dc-b-logging-transport-tls", "dc-b-logging-config-data"])
      expect(data.dependsOn).toContain(urn(dep));
  });

  it("hands business workloads the client URL and a secret writer password", async () => {
    expect(stack.clientUrls).toEqual(["https://es-client.logging.svc:9200"]);
    expect(stack.logWriterUsername).toBe("log-writer");
    expect(await pulumi.isSecret(stack.logWriterPassword)).toBe(true);
    expect(await pulumi.isSecret(stack.elasticPassword)).toBe(true);
  });

  it("contributes alert rules, the filebeat scrape job and a dashboard", () => {
    expect(stack.alertRules.map((g) => g.name)).toEqual(["elasticsearch", "filebeat"]);
    expect(stack.alertRules.flatMap((g) => g.rules.map((r) => r.alert))).toEqual(
      expect.arrayContaining(["ElasticsearchClusterRed", "ElasticsearchClusterYellow", "FilebeatLagging"]),
    );
    expect(stack.scrapeConfigs.map((s) => s.job_name)).toEqual(["filebeat"]);
    expect(stack.dashboards.map((d) => d.uid)).toEqual(["pc-log-shipping"]);
  });
});
