/**
 * The filebeat sidecar builder: the seed's budget (< 0.1 core, < 100 MB), the
 * shared log volume, per-business data streams, and a config filebeat reads.
 */
import type * as k8s from "@pulumi/kubernetes";
import { parse } from "yaml";
import {
  businessIndexName,
  FILEBEAT_CONTAINER,
  filebeatCommand,
  filebeatLimits,
  filebeatSidecar,
  withFilebeat,
  type PlainPodSpec,
} from "../../components/common/filebeat";
import { cpuMillis, memoryMiB } from "../../components/common/sizing";
import { imagesFor } from "../../stacks/images";
import { fixture, modelOf } from "../helpers/config";

const model = modelOf(fixture("dc-c"));
const shipping = { hosts: ["http://es-client.logging.svc:9200"], credentialsSecret: "log-writer" };
const plain = <T>(x: unknown): T => x as T;
type Container = k8s.types.output.core.v1.Container;

describe("filebeatSidecar", () => {
  const fb = filebeatSidecar(model, { business: "appstore", logVolume: "app-logs", shipping });
  const c = plain<Container>(fb.container);

  it("stays within the seed's budget: at most 100m CPU and 100Mi memory", () => {
    expect(filebeatLimits).toEqual({ cpuMillis: 100, memoryMiB: 100 });
    expect(cpuMillis(c.resources.limits.cpu)).toBeLessThanOrEqual(100);
    expect(memoryMiB(c.resources.limits.memory)).toBeLessThanOrEqual(100);
    expect(cpuMillis(c.resources.requests.cpu)).toBeLessThanOrEqual(
      cpuMillis(c.resources.limits.cpu) as number,
    );
    // Go's soft memory limit sits below the hard one, so GC works before the OOM killer does.
    const gomem = c.env.find((e) => e.name === "GOMEMLIMIT")?.value as string;
    expect(Number(/^(\d+)MiB$/.exec(gomem)?.[1])).toBeLessThan(100);
  });

  it("mounts the app's log volume, its config read-only and uses the datacenter's image", () => {
    expect(c.name).toBe(FILEBEAT_CONTAINER);
    expect(c.image).toBe(imagesFor(model).filebeat);
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: "app-logs", mountPath: "/var/log/app" },
        { name: "filebeat-config", mountPath: "/etc/filebeat", readOnly: true },
      ]),
    );
  });

  it("reads the writer credentials from the named Secret", () => {
    const env = Object.fromEntries(c.env.map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    expect(env.ES_USERNAME).toEqual({ name: "log-writer", key: "username" });
    expect(env.ES_PASSWORD).toEqual({ name: "log-writer", key: "password" });
  });

  it("runs unprivileged with a read-only root filesystem", () => {
    expect(c.securityContext).toEqual(
      expect.objectContaining({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      }),
    );
  });

  it("ships to the client nodes into the business's data stream, without installing templates", () => {
    const conf = parse(fb.configMap.data["filebeat.yml"]);
    expect(conf["output.elasticsearch"]).toEqual({
      hosts: shipping.hosts,
      username: "${ES_USERNAME}",
      password: "${ES_PASSWORD}",
      // HTTPS, verified against the LoggingStack's CA only.
      "ssl.certificate_authorities": ["/etc/elasticsearch-ca/ca.crt"],
      "ssl.verification_mode": "full",
      index: "biz-appstore",
    });
    expect(conf["setup.template.enabled"]).toBe(false);
    expect(conf["filebeat.inputs"][0]).toEqual(
      expect.objectContaining({ type: "filestream", id: "appstore-app-logs", paths: ["/var/log/app/*.log"] }),
    );
    expect(conf["filebeat.inputs"][0].fields).toEqual(
      expect.objectContaining({ business: "appstore", datacenter: "dc-c" }),
    );
    expect(conf.http).toEqual({ enabled: true, host: "0.0.0.0", port: 5066 });
  });

  it.each([
    ["shop", "biz-shop"],
    ["music", "biz-music"],
  ])("business %s → data stream %s", (b, index) => expect(businessIndexName(b)).toBe(index));

  it.each([
    [48, "-mmin +2880"],
    [24, "-mmin +1440"],
    [0.5, "-mmin +30"],
  ])("prunes files untouched for %s hours (%s)", (hours, flag) => {
    expect(filebeatCommand(hours)[2]).toContain(flag);
  });
});

describe("withFilebeat", () => {
  const base: PlainPodSpec = {
    containers: [{ name: "jetty", image: "x", volumeMounts: [{ name: "logs", mountPath: "/logs" }] }],
    volumes: [{ name: "logs", emptyDir: {} }],
    securityContext: { runAsNonRoot: true },
  };

  it("adds the sidecar and its volumes, keeps the app's settings, sets fsGroup for the shared files", () => {
    const { spec } = withFilebeat(model, base, { business: "appstore", logVolume: "logs", shipping });
    expect(spec.containers.map((c) => c.name)).toEqual(["jetty", "filebeat"]);
    expect(spec.volumes?.map((v) => v.name)).toEqual([
      "logs",
      "filebeat-config",
      "elasticsearch-ca",
      "filebeat-data",
    ]);
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, fsGroup: 1000 });
  });

  it("refuses a pod without the named log volume", () => {
    expect(() => withFilebeat(model, base, { business: "appstore", logVolume: "missing", shipping })).toThrow(
      /no volume "missing" \(expected the app's EmptyDir log volume\)/,
    );
  });
});
