import { parse } from "yaml";
import {
  apiServerManifest,
  auditPolicy,
  authenticationConfig,
  controllerManagerManifest,
  controlPlaneLiveness,
  encryptionConfig,
  etcdInitialCluster,
  etcdManifest,
  flags,
  masterFiles,
  schedulerManifest,
} from "../../components/master-ha/manifests";
import { masterInstallScript, masterRemoveScript, stageFiles } from "../../components/master-ha/scripts";
import { controlPlaneAlertRules } from "../../components/master-ha/alerts";
import { rewriteKubeconfigServer } from "../../components/master-ha";
import { probeFloors } from "../../components/common/probes";
import { fixture, modelOf } from "../helpers/config";
import { plain } from "../helpers/pulumi";

const model = modelOf(fixture("dc-a"));
const host = model.masters[1];
const ctx = { model, host };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are plain input objects
const container = (pod: any) => pod.spec.containers[0];
const args = (pod: unknown): string[] => container(pod).command.slice(1);
const flag = (pod: unknown, name: string) =>
  args(pod)
    .find((a) => a.startsWith(`--${name}=`))
    ?.split("=")
    .slice(1)
    .join("=");

describe("flags", () => {
  it("renders sorted --k=v pairs so a flag change is a one-line diff", () => {
    expect(flags({ b: 1, a: true, c: "x" })).toEqual(["--a=true", "--b=1", "--c=x"]);
  });
});

describe("kube-apiserver static Pod (CIS control-plane settings)", () => {
  const pod = apiServerManifest(ctx);
  it.each([
    ["authorization-mode", "Node,RBAC"],
    ["enable-admission-plugins", "NodeRestriction"],
    ["profiling", "false"],
    ["audit-log-path", "/var/log/kubernetes/audit/audit.log"],
    ["audit-log-maxage", "30"],
    ["audit-log-maxbackup", "10"],
    ["audit-log-maxsize", "100"],
    ["audit-policy-file", "/etc/kubernetes/audit-policy.yaml"],
    ["encryption-provider-config", "/etc/kubernetes/encryption-config.yaml"],
    ["authentication-config", "/etc/kubernetes/authentication-config.yaml"],
    ["service-account-lookup", "true"],
    ["kubelet-certificate-authority", "/etc/kubernetes/pki/ca.crt"],
    ["tls-min-version", "VersionTLS12"],
    ["advertise-address", "10.16.1.12"],
    ["service-cluster-ip-range", "10.96.0.0/16"],
    ["secure-port", "6443"],
    ["service-account-issuer", "https://10.250.16.10:6443"],
  ])("--%s=%s", (name, value) => expect(flag(pod, name)).toBe(value));

  it("talks to every etcd member over TLS", () => {
    expect(flag(pod, "etcd-servers")).toBe(model.masters.map((m) => `https://${m.ip}:2379`).join(","));
    expect(flag(pod, "etcd-certfile")).toBeDefined();
  });

  it("does not pass --anonymous-auth (the authentication config restricts anonymous to health endpoints)", () => {
    expect(flag(pod, "anonymous-auth")).toBeUndefined();
    expect(parse(authenticationConfig()).anonymous).toEqual({
      enabled: true,
      conditions: [{ path: "/livez" }, { path: "/readyz" }, { path: "/healthz" }],
    });
  });

  it("is a node-critical host-network static Pod", () => {
    expect(pod.spec).toMatchObject({ hostNetwork: true, priorityClassName: "system-node-critical" });
    expect(pod.metadata).toMatchObject({ name: "kube-apiserver", namespace: "kube-system" });
  });

  it("probes /livez and /readyz on its own address, patiently", () => {
    expect(container(pod).livenessProbe).toMatchObject({
      httpGet: { path: "/livez", port: 6443, scheme: "HTTPS", host: "10.16.1.12" },
      timeoutSeconds: 15,
      failureThreshold: 8,
    });
    expect(container(pod).readinessProbe.httpGet.path).toBe("/readyz");
    expect(container(pod).startupProbe.failureThreshold).toBe(24);
  });
});

describe.each([
  ["kube-controller-manager", controllerManagerManifest, 10257, "/healthz"],
  ["kube-scheduler", schedulerManifest, 10259, "/livez"],
] as const)("%s static Pod", (name, build, port, path) => {
  const pod = plain(build(ctx));
  it("elects a leader among the masters", () => expect(flag(pod, "leader-elect")).toBe("true"));
  it("has profiling off and binds to the master's own address only (scrapable, not all interfaces)", () => {
    expect(flag(pod, "profiling")).toBe("false");
    expect(flag(pod, "bind-address")).toBe("10.16.1.12");
  });
  it("probes its health endpoint over HTTPS on that address", () => {
    expect(container(pod).livenessProbe.httpGet).toMatchObject({
      path,
      port,
      scheme: "HTTPS",
      host: "10.16.1.12",
    });
  });
  it("is named and prioritised", () => {
    expect(pod.metadata?.name).toBe(name);
    expect(pod.spec?.priorityClassName).toBe("system-node-critical");
  });
});

describe("controller-manager specifics", () => {
  const pod = controllerManagerManifest(ctx);
  it.each([
    ["use-service-account-credentials", "true"],
    ["terminated-pod-gc-threshold", "12500"],
    ["allocate-node-cidrs", "false"],
    ["root-ca-file", "/etc/kubernetes/pki/ca.crt"],
  ])("--%s=%s", (n, v) => expect(flag(pod, n)).toBe(v));
});

describe("etcd static Pod", () => {
  const pod = etcdManifest(ctx);
  it.each([
    ["client-cert-auth", "true"],
    ["peer-client-cert-auth", "true"],
    ["auto-tls", "false"],
    ["peer-auto-tls", "false"],
    ["listen-peer-urls", "https://10.16.1.12:2380"],
    ["advertise-client-urls", "https://10.16.1.12:2379"],
    ["data-dir", "/var/lib/etcd"],
    ["name", "dca-a1r01-02"],
  ])("--%s=%s", (n, v) => expect(flag(pod, n)).toBe(v));

  it("lists every master in the initial cluster, in config order", () => {
    expect(flag(pod, "initial-cluster")).toBe(etcdInitialCluster(model.masters));
    expect(etcdInitialCluster(model.masters).split(",")).toHaveLength(5);
    expect(etcdInitialCluster(model.masters.slice(0, 2))).toBe(
      "dca-a1r01-01=https://10.16.1.11:2380,dca-a1r01-02=https://10.16.1.12:2380",
    );
  });
});

describe("probe timings of the control plane", () => {
  it("stay above the platform floors and restart nothing in under a minute", () => {
    for (const p of [
      etcdManifest(ctx),
      apiServerManifest(ctx),
      controllerManagerManifest(ctx),
      schedulerManifest(ctx),
    ]) {
      const live = container(p).livenessProbe;
      expect(live.timeoutSeconds).toBeGreaterThanOrEqual(probeFloors.minTimeoutSeconds);
      expect(live.periodSeconds * live.failureThreshold).toBeGreaterThanOrEqual(60);
    }
    expect(controlPlaneLiveness.timeoutSeconds).toBe(15);
  });
});

describe("host config files", () => {
  it("encrypts Secrets with secretbox and a placeholder key, identity last for reads of old data", () => {
    const doc = parse(encryptionConfig());
    expect(doc.resources[0].resources).toEqual(["secrets"]);
    expect(doc.resources[0].providers[0].secretbox.keys[0].secret).toBe("${ENCRYPTION_KEY}");
    expect(doc.resources[0].providers[1]).toEqual({ identity: {} });
  });

  it("audits changes to RBAC and workloads with bodies, and never logs Secret contents", () => {
    const rules = parse(auditPolicy()).rules;
    const secretsRule = rules.find((r: { resources?: { resources?: string[] }[] }) =>
      r.resources?.some((x) => x.resources?.includes("secrets")),
    );
    expect(secretsRule.level).toBe("Metadata");
    expect(rules.at(-1)).toEqual({ level: "Metadata" });
  });

  it("puts four static Pods, three configs and kubelet's config on each master", () => {
    expect(Object.keys(masterFiles(ctx)).sort()).toEqual([
      "/etc/kubernetes/audit-policy.yaml",
      "/etc/kubernetes/authentication-config.yaml",
      "/etc/kubernetes/encryption-config.yaml",
      "/etc/kubernetes/manifests/etcd.yaml",
      "/etc/kubernetes/manifests/kube-apiserver.yaml",
      "/etc/kubernetes/manifests/kube-controller-manager.yaml",
      "/etc/kubernetes/manifests/kube-scheduler.yaml",
      "/var/lib/kubelet/config.yaml",
    ]);
  });
});

describe("master scripts", () => {
  const files = masterFiles(ctx);
  const script = masterInstallScript({
    model,
    host,
    installerImage: "reg/private-cloud/installer:v1",
    files,
    first: false,
  });

  it("carries the manifests in readable quoted heredocs", () => {
    expect(script).toContain(
      "cat > \"$stage/files/etc/kubernetes/manifests/kube-apiserver.yaml\" <<'PRIVATE_CLOUD_EOF'",
    );
    expect(script).toContain("--authorization-mode=Node,RBAC");
  });

  it("never puts the encryption key in the command text", () => {
    expect(script).toContain("IFS= read -r encryption_key");
    expect(script).not.toMatch(/secretbox[\s\S]*secret: [A-Za-z0-9+/]{40,}/);
  });

  it("waits for this master's API server and etcd member before finishing", () => {
    expect(script).toContain(
      "wait_for kube-apiserver curl -fsk --max-time 10 'https://10.16.1.12:6443/readyz'",
    );
    expect(script).toContain("wait_for etcd");
    expect(script).toContain("readonly timeout_seconds=600");
  });

  it("initialises the PKI only on the first master", () => {
    expect(script).not.toContain(" --init ");
    expect(masterInstallScript({ model, host, installerImage: "i", files, first: true })).toContain(
      " --init ",
    );
  });

  it("refuses to remove a member when the rest would lose quorum", () => {
    const rm = masterRemoveScript(model, host, "i");
    expect(rm).toContain("quorum=$(((members - 1) / 2 + 1))");
    expect(rm).toContain('if [ "$members" -le 1 ] || [ "$remaining" -lt "$quorum" ]; then');
  });

  it("rejects a file that contains the heredoc delimiter", () => {
    expect(() => stageFiles({ "/x": "a\nPRIVATE_CLOUD_EOF\nb" })).toThrow(
      "/x contains the heredoc delimiter",
    );
  });
});

describe("admin kubeconfig", () => {
  it("points every cluster at the HA endpoint", () => {
    const text = "apiVersion: v1\nclusters:\n- name: c\n  cluster:\n    server: https://10.16.1.11:6443\n";
    expect(parse(rewriteKubeconfigServer(text, "https://10.250.16.10:6443")).clusters[0].cluster.server).toBe(
      "https://10.250.16.10:6443",
    );
  });
  it("fails loudly on a kubeconfig without clusters", () => {
    expect(() => rewriteKubeconfigServer("apiVersion: v1\n", "https://x")).toThrow("has no clusters");
  });
});

describe("control-plane alert rules", () => {
  it.each([
    [3, 2],
    [5, 3],
    [7, 4],
  ])("with %i masters, alert when fewer than %i etcd members are up", (masters, quorum) => {
    const rule = controlPlaneAlertRules(masters)
      .flatMap((g) => g.rules)
      .find((r) => r.alert === "EtcdInsufficientMembers");
    expect(rule?.expr).toBe(`sum(up{job="etcd"}) < ${quorum}`);
  });

  it("covers Node-status drift in both directions (the seed's controller-manager restart)", () => {
    const drift = controlPlaneAlertRules(3).find((g) => g.name === "node-status-drift");
    expect(drift?.rules.map((r) => r.alert)).toEqual([
      "NodeReadyButKubeletDown",
      "NodeNotReadyButKubeletUp",
      "KubeControllerManagerRestarted",
    ]);
  });

  it("alerts on leader flapping and on components being down", () => {
    const names = controlPlaneAlertRules(3).flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(
      expect.arrayContaining([
        "ControlPlaneLeaderFlapping",
        "EtcdLeaderFlapping",
        "KubeAPIServerDown",
        "KubeSchedulerDown",
        "KubeControllerManagerDown",
      ]),
    );
  });
});

describe("upgrade is bumping the version", () => {
  const scripts = (f: ReturnType<typeof fixture>) => {
    const m = modelOf(f);
    return m.masters.map((h, i) =>
      masterInstallScript({
        model: m,
        host: h,
        installerImage: `reg/installer:${m.config.images.installerTag}`,
        files: masterFiles({ model: m, host: h }),
        first: i === 0,
      }),
    );
  };
  const before = scripts(fixture("dc-c"));

  it("a new installer tag changes every master's command (so each re-runs, in order)", () => {
    const f = fixture("dc-c");
    (f.raw.images as { installerTag: string }).installerTag = "v1.34.5-pc.1";
    scripts(f).forEach((s, i) => expect(s).not.toBe(before[i]));
  });

  it("a new Kubernetes version changes the manifests every master installs", () => {
    const f = fixture("dc-c");
    (f.raw.kubernetes as { version: string }).version = "v1.34.5";
    scripts(f).forEach((s, i) => {
      expect(s).not.toBe(before[i]);
      expect(s).toContain("k8s/kube-apiserver:v1.34.5");
    });
  });

  it("a change elsewhere (a business) leaves the masters alone", () => {
    const f = fixture("dc-c");
    (f.raw.businesses as { maxReplicas: number }[])[0].maxReplicas = 5;
    expect(scripts(f)).toEqual(before);
  });
});
