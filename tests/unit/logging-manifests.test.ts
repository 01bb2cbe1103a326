/**
 * The logging stack's builders: where Elasticsearch runs, how its data is
 * kept, what the setup Job creates, and the transport certificates (made by
 * the real openssl when it is installed).
 */
import type * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import { businessIndexName } from "../../components/common/filebeat";
import { httpCertScript, parseTransportPki, transportCertScript } from "../../components/logging-stack/certs";
import { createPrivateKey, X509Certificate } from "crypto";
import {
  clientUrl,
  esConfigMap,
  httpDnsNames,
  readinessScript,
  esPdb,
  esServices,
  esStatefulSet,
  esClientDeployment,
  indexTemplateBody,
  ilmPolicyBody,
  setupJob,
  setupScript,
  writerRoleBody,
} from "../../components/logging-stack/elasticsearch";
import { labelKeys } from "../../stacks/labels";
import { fixture, modelOf } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const plain = <T>(x: unknown): T => x as T;
type StatefulSet = k8s.types.output.apps.v1.StatefulSet;
const model = modelOf(fixture("dc-a"));

describe("data and master StatefulSets", () => {
  const data = plain<StatefulSet>(esStatefulSet(model, "data"));
  const master = plain<StatefulSet>(esStatefulSet(model, "master"));

  it("size from config: data nodes, volume size and StorageClass", () => {
    expect(data.spec.replicas).toBe(6);
    const claim = data.spec.volumeClaimTemplates[0].spec;
    expect(claim.resources.requests.storage).toBe("3000Gi");
    expect(claim.storageClassName).toBe("local-retain");
    expect(master.spec.replicas).toBe(3);
  });

  it("keep their claims when deleted or scaled down", () => {
    for (const s of [data, master])
      expect(s.spec.persistentVolumeClaimRetentionPolicy).toEqual({
        whenDeleted: "Retain",
        whenScaled: "Retain",
      });
  });

  it("start in parallel (masters become ready only together)", () => {
    expect(master.spec.podManagementPolicy).toBe("Parallel");
  });

  it("run on logging machines, one per host, spread over racks", () => {
    const spec = data.spec.template.spec;
    expect(
      spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
        .matchExpressions,
    ).toEqual([{ key: labelKeys.function, operator: "In", values: ["logging"] }]);
    expect(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe(
      labelKeys.hostname,
    );
    expect(spec.topologySpreadConstraints[0]).toEqual(
      expect.objectContaining({
        topologyKey: labelKeys.rack,
        maxSkew: 1,
        whenUnsatisfiable: "DoNotSchedule",
      }),
    );
  });

  it("mount elasticsearch.yml from the role's ConfigMap (where the policy pack reads node.processors)", () => {
    const c = data.spec.template.spec.containers[0];
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([expect.objectContaining({ subPath: "elasticsearch.yml", name: "config" })]),
    );
    const yml = parse(
      plain<{ data: Record<string, string> }>(esConfigMap(model, "data")).data["elasticsearch.yml"],
    );
    expect(yml["node.processors"]).toBe(12); // dc-a sets logging.data.cpuLimitMillis: 12000
    expect(yml["node.roles"]).toEqual(["data", "ingest"]);
    expect(yml["xpack.security.transport.ssl.enabled"]).toBe(true);
    expect(yml["cluster.initial_master_nodes"]).toBeUndefined();
  });

  it("probes differ and respect the floors", () => {
    const c = data.spec.template.spec.containers[0];
    expect(c.livenessProbe).not.toEqual(c.readinessProbe);
    for (const p of [c.startupProbe, c.livenessProbe, c.readinessProbe])
      expect(p.timeoutSeconds).toBeGreaterThanOrEqual(5);
  });
});

describe("client nodes, Services and PDBs", () => {
  it("client nodes: a Deployment with configured replicas and no data role", () => {
    const d = plain<k8s.types.output.apps.v1.Deployment>(esClientDeployment(model));
    expect(d.spec.replicas).toBe(2);
    const yml = parse(
      plain<{ data: Record<string, string> }>(esConfigMap(model, "client")).data["elasticsearch.yml"],
    );
    expect(yml["node.roles"]).toEqual([]);
  });

  it("masters are discoverable before they are ready", () => {
    const { discovery, client } = plain<Record<string, k8s.types.output.core.v1.Service>>(esServices());
    expect(discovery.spec.publishNotReadyAddresses).toBe(true);
    expect(discovery.spec.clusterIP).toBe("None");
    expect(client.spec.ports.map((p) => p.port)).toEqual([9200]);
  });

  it.each(["master", "data", "client"] as const)("%s: one pod down at a time", (r) => {
    expect(plain<k8s.types.output.policy.v1.PodDisruptionBudget>(esPdb(r)).spec.maxUnavailable).toBe(1);
  });
});

describe("retention, template and users", () => {
  it.each([
    [7, "7d"],
    [14, "14d"],
  ])("deletes business logs after %i days", (days, minAge) => {
    expect(ilmPolicyBody(days)).toEqual(
      expect.objectContaining({
        policy: expect.objectContaining({
          phases: expect.objectContaining({ delete: { min_age: minAge, actions: { delete: {} } } }),
        }),
      }),
    );
  });

  it("the template covers every business data stream", () => {
    const t = indexTemplateBody(6) as {
      index_patterns: string[];
      template: { settings: Record<string, number> };
    };
    const pattern = new RegExp(`^${t.index_patterns[0].replace("*", ".*")}$`);
    for (const b of model.config.businesses) expect(businessIndexName(b.name)).toMatch(pattern);
    expect(t.template.settings["index.number_of_replicas"]).toBe(1);
    expect((indexTemplateBody(1) as typeof t).template.settings["index.number_of_replicas"]).toBe(0);
  });

  it("the writer may only append to business data streams", () => {
    expect(writerRoleBody()).toEqual({
      cluster: ["monitor"],
      indices: [{ names: ["biz-*"], privileges: ["create_doc", "auto_configure", "view_index_metadata"] }],
    });
  });

  it("the setup script waits for the cluster and PUTs each object, retention from config", () => {
    const s = setupScript(model);
    expect(s).toContain("until curl");
    for (const p of [
      "/_ilm/policy/private-cloud-logs",
      "/_index_template/private-cloud-business-logs",
      "/_security/user/log-writer",
    ])
      expect(s).toContain(`put '${p}'`);
    expect(s).toContain('"min_age":"14d"');
    expect(s).not.toMatch(/password":"[A-Za-z0-9]{8,}/); // passwords come from env, never the script
  });

  it("the setup Job does not block pulumi up on the cluster forming", () => {
    const j = plain<k8s.types.output.batch.v1.Job>(setupJob(model));
    expect(j.metadata.annotations["pulumi.com/skipAwait"]).toBe("true");
  });
});

describe("transport certificates", () => {
  it("parseTransportPki refuses incomplete openssl output", () => {
    expect(() => parseTransportPki("nothing")).toThrow(/expected 2 certificates and 1 private key/);
  });
});

describeWithTool("openssl", "transport PKI script", () => {
  it("makes a CA and a node certificate that verifies against it", () => {
    const r = runTool("sh", ["-c", transportCertScript("dc-a-logs", 30)]);
    expect(r.status).toBe(0);
    const pki = parseTransportPki(r.output);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-pki-"));
    fs.writeFileSync(path.join(dir, "ca.crt"), pki.caCert);
    fs.writeFileSync(path.join(dir, "node.crt"), pki.nodeCert);
    fs.writeFileSync(path.join(dir, "node.key"), pki.nodeKey);
    expect(
      runTool("openssl", ["verify", "-CAfile", path.join(dir, "ca.crt"), path.join(dir, "node.crt")]).output,
    ).toContain(": OK");
    // The key belongs to the certificate.
    const pub = (args: string[]) => runTool("openssl", args).output;
    expect(pub(["pkey", "-in", path.join(dir, "node.key"), "-pubout"])).toBe(
      pub(["x509", "-in", path.join(dir, "node.crt"), "-noout", "-pubkey"]),
    );
    fs.rmSync(dir, { recursive: true });
  });
});

describe("HTTPS", () => {
  const model = modelOf(fixture("dc-c"));

  it("every node serves HTTPS with the HTTP certificate; clients verify it with the CA", () => {
    const settings = parse(
      plain<{ data: Record<string, string> }>(esConfigMap(model, "data")).data["elasticsearch.yml"],
    );
    expect(settings).toEqual(
      expect.objectContaining({
        "xpack.security.http.ssl.enabled": true,
        "xpack.security.http.ssl.certificate": "http-certs/tls.crt",
        "xpack.security.http.ssl.key": "http-certs/tls.key",
      }),
    );
    expect(clientUrl()).toBe("https://es-client.logging.svc:9200");
    expect(readinessScript).toContain("--cacert /usr/share/elasticsearch/config/http-certs/ca.crt");
    expect(readinessScript).toContain("https://127.0.0.1:9200/");
    const setup = setupScript(model);
    expect(setup.match(/curl /g)?.length).toBe(
      setup.match(/--cacert \/etc\/elasticsearch-ca\/ca\.crt/g)?.length,
    );
  });

  it("Elasticsearch and the setup Job mount no service-account token", () => {
    const pod = plain<StatefulSet>(esStatefulSet(model, "data")).spec?.template.spec;
    expect(pod?.automountServiceAccountToken).toBe(false);
    expect(
      plain<{ spec: { template: { spec: { automountServiceAccountToken: boolean } } } }>(setupJob(model)).spec
        .template.spec.automountServiceAccountToken,
    ).toBe(false);
  });
});

describeWithTool("openssl", "HTTP PKI script", () => {
  it("makes a certificate for the client Service, the nodes and the pod's own loopback, issued by its CA", () => {
    const r = runTool("sh", ["-c", httpCertScript("dc-a-logs", httpDnsNames(), 30)]);
    expect(r.status).toBe(0);
    const pki = parseTransportPki(r.output);
    const cert = new X509Certificate(pki.nodeCert);
    expect(cert.verify(new X509Certificate(pki.caCert).publicKey)).toBe(true);
    for (const host of [
      "es-client.logging.svc",
      "es-client.logging.svc.cluster.local",
      "es-data-0.es-data.logging.svc",
      "localhost",
    ])
      expect(cert.checkHost(host, { subject: "never" })).toBeDefined();
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkPrivateKey(createPrivateKey(pki.nodeKey))).toBe(true);
  });
});
