import { stringify } from "yaml";
import { controlPlaneFlags, heredocs, staticPodsOf } from "../../policy/controlplane";
import { messages, type Res } from "./harness";
import { REGISTRY, T } from "./fixtures";

const policy = controlPlaneFlags();
const timing = { periodSeconds: 10, timeoutSeconds: 15, failureThreshold: 8, initialDelaySeconds: 10 };

function staticPod(component: string, flags: string[]): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: component, namespace: "kube-system", labels: { component, tier: "control-plane" } },
    spec: {
      hostNetwork: true,
      containers: [
        {
          name: component,
          image: `${REGISTRY}/k8s/${component}:v1.34.4`,
          command: [component, ...flags],
          livenessProbe: { httpGet: { path: "/livez", port: 10259, scheme: "HTTPS" }, ...timing },
        },
      ],
    },
  };
}

const good: Record<string, string[]> = {
  "kube-apiserver": [
    "--authentication-config=/etc/kubernetes/authentication-config.yaml",
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    "--profiling=false",
    "--audit-log-path=/var/log/kubernetes/audit/audit.log",
    "--audit-log-maxage=30",
    "--audit-log-maxbackup=10",
    "--audit-log-maxsize=100",
    "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
    "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
    "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
    "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
    "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
    "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
    "--client-ca-file=/etc/kubernetes/pki/ca.crt",
    "--encryption-provider-config=/etc/kubernetes/encryption-config.yaml",
  ],
  "kube-controller-manager": [
    "--terminated-pod-gc-threshold=12500",
    "--profiling=false",
    "--use-service-account-credentials=true",
    "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
    "--root-ca-file=/etc/kubernetes/pki/ca.crt",
    "--bind-address=127.0.0.1",
    "--leader-elect=true",
  ],
  "kube-scheduler": ["--profiling=false", "--bind-address=127.0.0.1", "--leader-elect=true"],
  etcd: [
    "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
    "--client-cert-auth=true",
    "--auto-tls=false",
    "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
    "--peer-client-cert-auth=true",
    "--peer-auto-tls=false",
  ],
};

/** An install command like MasterHA's: every manifest in a quoted heredoc. */
function installCommand(
  flags: Record<string, string[]> = good,
  extra: (pod: { spec: { containers: { livenessProbe: object }[] } }) => void = () => {},
): Res {
  const files = Object.entries(flags).map(([component, f]) => {
    const pod = staticPod(component, f) as { spec: { containers: { livenessProbe: object }[] } };
    extra(pod);
    return `cat > "$stage/files/etc/kubernetes/manifests/${component}.yaml" <<'PRIVATE_CLOUD_EOF'\n${stringify(pod).trimEnd()}\nPRIVATE_CLOUD_EOF`;
  });
  return {
    type: T.command,
    name: "master-1-install",
    props: { create: `#!/usr/bin/env bash\nset -euo pipefail\n${files.join("\n")}\necho done\n` },
  };
}

const src = (c: string) => `(command master-1-install file /etc/kubernetes/manifests/${c}.yaml)`;
const without = (component: string, flag: string) => ({
  ...good,
  [component]: good[component].filter((f) => !f.startsWith(flag)),
});
const replaced = (component: string, flag: string, value: string) => ({
  ...good,
  [component]: [...good[component].filter((f) => !f.startsWith(`${flag}=`)), `${flag}=${value}`],
});

describe("control-plane-flags", () => {
  it("finds the four static Pods in the install script", () => {
    expect(staticPodsOf({ ...installCommand(), urn: "u" }).map((p) => p.name)).toEqual([
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "etcd",
    ]);
    expect(heredocs(installCommand().props.create as string)).toHaveLength(4);
  });

  it("passes the compliant manifests", async () =>
    expect(await messages(policy, [installCommand()])).toEqual([]));

  it.each<[string, Record<string, string[]>, string]>([
    [
      "apiserver profiling on",
      replaced("kube-apiserver", "--profiling", "true"),
      `static Pod kube-system/kube-apiserver container kube-apiserver ${src("kube-apiserver")}: --profiling is true — set --profiling=false (CIS 1.2.16)`,
    ],
    [
      "anonymous auth on",
      replaced("kube-apiserver", "--anonymous-auth", "true"),
      `static Pod kube-system/kube-apiserver container kube-apiserver ${src("kube-apiserver")}: --anonymous-auth is true — set --anonymous-auth=false or restrict anonymous to health paths with --authentication-config (CIS 1.2.1)`,
    ],
    [
      "AlwaysAllow authorization",
      replaced("kube-apiserver", "--authorization-mode", "AlwaysAllow"),
      `static Pod kube-system/kube-apiserver container kube-apiserver ${src("kube-apiserver")}: --authorization-mode is AlwaysAllow — include Node, RBAC and remove AlwaysAllow (CIS 1.2.6-1.2.8)`,
    ],
    [
      "no NodeRestriction",
      replaced("kube-apiserver", "--enable-admission-plugins", "PodSecurity"),
      `static Pod kube-system/kube-apiserver container kube-apiserver ${src("kube-apiserver")}: --enable-admission-plugins is PodSecurity — include NodeRestriction (CIS 1.2.9, 1.2.15)`,
    ],
    [
      "short audit retention",
      replaced("kube-apiserver", "--audit-log-maxage", "7"),
      `static Pod kube-system/kube-apiserver container kube-apiserver ${src("kube-apiserver")}: --audit-log-maxage is 7 — set --audit-log-maxage >= 30 (CIS 1.2.18)`,
    ],
    [
      "no encryption at rest",
      without("kube-apiserver", "--encryption-provider-config"),
      `static Pod kube-system/kube-apiserver container kube-apiserver ${src("kube-apiserver")}: --encryption-provider-config is unset — set it (CIS 1.2.28)`,
    ],
    [
      "controller-manager without leader election",
      replaced("kube-controller-manager", "--leader-elect", "false"),
      `static Pod kube-system/kube-controller-manager container kube-controller-manager ${src("kube-controller-manager")}: --leader-elect is false — every master runs one; without leader election they all act (seed part 1)`,
    ],
    [
      "scheduler on every address",
      replaced("kube-scheduler", "--bind-address", "0.0.0.0"),
      `static Pod kube-system/kube-scheduler container kube-scheduler ${src("kube-scheduler")}: --bind-address is 0.0.0.0 — bind to 127.0.0.1 or the master's own address (CIS 1.4.2)`,
    ],
    [
      "etcd auto TLS",
      replaced("etcd", "--auto-tls", "true"),
      `static Pod kube-system/etcd container etcd ${src("etcd")}: --auto-tls is true — set --auto-tls=false (CIS 2.3)`,
    ],
  ])("%s", async (_, flags, want) => expect(await messages(policy, [installCommand(flags)])).toEqual([want]));

  it("applies the probe floors to the control plane (kubelet restarts it on liveness failure)", async () => {
    const cmd = installCommand({ "kube-scheduler": good["kube-scheduler"] }, (pod) =>
      Object.assign(pod.spec.containers[0].livenessProbe, { timeoutSeconds: 1 }),
    );
    expect(await messages(policy, [cmd])).toEqual([
      `static Pod kube-system/kube-scheduler container kube-scheduler ${src("kube-scheduler")}: livenessProbe timeoutSeconds 1 is below the floor 5 — set timeoutSeconds >= 5 (a busy pod must not be restarted or ejected for one slow answer)`,
    ]);
  });
});
