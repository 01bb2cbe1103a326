import { cpuLimitWorkerConsistency } from "../../policy/workers";
import { messages } from "./harness";
import { container, elasticsearch, find, nginxTier, T, type Any } from "./fixtures";
import type { Res } from "./harness";

const policy = cpuLimitWorkerConsistency();
const NGINX = "Deployment ingress-shop/nginx container controller";
const ES = "StatefulSet logging/es-data container elasticsearch";

function mutated(make: () => Res[], change: (rs: Res[]) => void): Res[] {
  const rs = make();
  change(rs);
  return rs;
}

describe("cpu-limit-worker-consistency", () => {
  it("is a mandatory stack policy", () => {
    expect(policy.enforcementLevel).toBe("mandatory");
    expect("validateStack" in policy).toBe(true);
  });

  it.each<[string, () => Res[], (rs: Res[]) => void, string[]]>([
    [
      "the seed's incident: 24 workers in the ConfigMap on a 6-core limit",
      nginxTier,
      (rs) => (find(rs, "shop-nginx-config").data["worker-processes"] = "24"),
      [
        `${NGINX}: worker-processes 24 (ConfigMap ingress-shop/nginx) exceeds CPU limit 6 — set worker-processes <= 6`,
      ],
    ],
    [
      "memory that cannot hold the workers' connections (the floor config validation uses)",
      nginxTier,
      (rs) => (container(rs, "shop-nginx").resources.limits.memory = "1Gi"),
      [
        `${NGINX}: memory limit 1024Mi cannot hold 6 workers × 16384 connections (ConfigMap ingress-shop/nginx) — set the memory limit >= 1216Mi or fewer workers/connections`,
      ],
    ],
    [
      "a fractional limit rounds up: 6500m allows 7 workers, not 8",
      nginxTier,
      (rs) => {
        container(rs, "shop-nginx").resources.limits.cpu = "6500m";
        find(rs, "shop-nginx-config").data["worker-processes"] = "8";
      },
      [
        `${NGINX}: worker-processes 8 (ConfigMap ingress-shop/nginx) exceeds CPU limit 7 — set worker-processes <= 7`,
      ],
    ],
    [
      "auto in the ConfigMap",
      nginxTier,
      (rs) => (find(rs, "shop-nginx-config").data["worker-processes"] = "auto"),
      [
        `${NGINX}: worker-processes auto (ConfigMap ingress-shop/nginx) is refused: ingress-nginx's auto reads only cgroup v1 quota files and counts every host core on cgroup v2 (kubernetes/ingress-nginx#9665) — set worker-processes <= 6`,
      ],
    ],
    [
      "no worker-processes key means ingress-nginx's default, auto",
      nginxTier,
      (rs) => delete find(rs, "shop-nginx-config").data["worker-processes"],
      [
        `${NGINX}: ConfigMap ingress-shop/nginx sets no worker-processes, so ingress-nginx runs with auto: ingress-nginx's auto reads only cgroup v1 quota files and counts every host core on cgroup v2 (kubernetes/ingress-nginx#9665) — set worker-processes <= 6`,
      ],
    ],
    [
      "--configmap pointing at a ConfigMap the stack does not have",
      nginxTier,
      (rs) => (container(rs, "shop-nginx").args[1] = "--configmap=ingress-shop/missing"),
      [
        `${NGINX}: ingress-nginx has no ConfigMap ingress-shop/missing in this stack setting worker-processes, so it runs with auto: ingress-nginx's auto reads only cgroup v1 quota files and counts every host core on cgroup v2 (kubernetes/ingress-nginx#9665) — point --configmap at a ConfigMap with worker-processes <= 6`,
      ],
    ],
    [
      "NGINX_WORKER_PROCESSES env from a ConfigMap key",
      nginxTier,
      (rs) => {
        find(rs, "shop-nginx-config").data.workers = "12";
        container(rs, "shop-nginx").env = [
          {
            name: "NGINX_WORKER_PROCESSES",
            valueFrom: { configMapKeyRef: { name: "nginx", key: "workers" } },
          },
        ];
      },
      [
        `${NGINX}: NGINX_WORKER_PROCESSES 12 (env NGINX_WORKER_PROCESSES from ConfigMap ingress-shop/nginx) exceeds CPU limit 6 — set NGINX_WORKER_PROCESSES <= 6`,
      ],
    ],
    [
      "an nginx.conf in a mounted ConfigMap",
      nginxTier,
      (rs) => {
        rs.push({
          type: T.configMap,
          name: "conf",
          props: {
            metadata: { name: "conf", namespace: "ingress-shop" },
            data: { "nginx.conf": "worker_processes 24;\nevents {}\n" },
          },
        });
        const spec = find(rs, "shop-nginx").spec.template.spec;
        spec.volumes.push({ name: "conf", configMap: { name: "conf" } });
        spec.containers[0].volumeMounts.push({
          name: "conf",
          mountPath: "/etc/nginx/nginx.conf",
          subPath: "nginx.conf",
        });
      },
      [
        `${NGINX}: worker_processes 24 (ConfigMap ingress-shop/conf key nginx.conf) exceeds CPU limit 6 — set worker_processes <= 6`,
      ],
    ],
    [
      "a plain nginx image with no worker_processes anywhere",
      nginxTier,
      (rs) => {
        const c = container(rs, "shop-nginx");
        c.image = "registry.dc-a.cloud.internal/library/nginx:1.29.1";
        c.args = undefined;
      },
      [
        `${NGINX}: nginx worker_processes is not set by any mounted nginx.conf, -g or env, so the image's default applies (auto in the official image): nginx counts the host's cores, not the container's CPU quota (24 workers on a 5–6 core limit was the seed's latency incident) — set worker_processes <= 6`,
      ],
    ],
    [
      "Elasticsearch node.processors above the limit (nested YAML)",
      elasticsearch,
      (rs) => (find(rs, "es-config").data["elasticsearch.yml"] = "node:\n  processors: 8\n"),
      [
        `${ES}: node.processors 8 (ConfigMap logging/es-data key elasticsearch.yml) exceeds CPU limit 4 — set node.processors <= 4 (every thread pool is sized from it)`,
      ],
    ],
    [
      "Elasticsearch node.processors as a Docker env setting",
      elasticsearch,
      (rs) => {
        find(rs, "es-config").data["elasticsearch.yml"] = "cluster.name: logs\n";
        container(rs, "es-data").env.push({ name: "node.processors", value: "24" });
      },
      [
        `${ES}: node.processors 24 (env node.processors) exceeds CPU limit 4 — set node.processors <= 4 (every thread pool is sized from it)`,
      ],
    ],
    [
      "an Elasticsearch write pool larger than the limit allows",
      elasticsearch,
      (rs) =>
        (find(rs, "es-config").data["elasticsearch.yml"] =
          "node.processors: 4\nthread_pool.write.size: 12\n"),
      [
        `${ES}: thread_pool.write.size 12 (ConfigMap logging/es-data key elasticsearch.yml) exceeds what CPU limit 4 can run — set thread_pool.write.size <= 5`,
      ],
    ],
    [
      "JVM ActiveProcessorCount above the limit",
      elasticsearch,
      (rs) => (container(rs, "es-data").env[0].value = "-Xms8g -XX:ActiveProcessorCount=16"),
      [
        `${ES}: -XX:ActiveProcessorCount=16 (env ES_JAVA_OPTS) exceeds CPU limit 4 — set -XX:ActiveProcessorCount <= 4`,
      ],
    ],
    [
      "a JVM that cannot see the cgroup limit",
      elasticsearch,
      (rs) =>
        (container(rs, "es-data").env[0] = { name: "JAVA_TOOL_OPTIONS", value: "-XX:-UseContainerSupport" }),
      [
        `${ES}: -XX:-UseContainerSupport (env JAVA_TOOL_OPTIONS) without -XX:ActiveProcessorCount makes the JVM size GC and JIT threads from the host's cores, not the CPU limit — remove it or set -XX:ActiveProcessorCount <= 4`,
      ],
    ],
  ])("%s", async (_, make, change, want) => {
    expect(await messages(policy, mutated(make, change))).toEqual(want);
  });

  it("does not judge a container without a CPU limit (the resources policy asks for one)", async () => {
    const rs = mutated(nginxTier, (r) => {
      find(r, "shop-nginx-config").data["worker-processes"] = "24";
      delete container(r, "shop-nginx").resources.limits.cpu;
    });
    expect(await messages(policy, rs)).toEqual([]);
  });

  it("accepts the official image's cgroup-aware autotune", async () => {
    const rs = mutated(nginxTier, (r) => {
      const c: Any = container(r, "shop-nginx");
      c.image = "registry.dc-a.cloud.internal/library/nginx:1.29.1";
      c.args = undefined;
      c.env = [{ name: "NGINX_ENTRYPOINT_WORKER_PROCESSES_AUTOTUNE", value: "1" }];
    });
    expect(await messages(policy, rs)).toEqual([]);
  });
});
