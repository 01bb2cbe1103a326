/**
 * The minion bootstrap and the rack fan-out, run for real with fake host
 * commands (uname, findmnt, lsblk, docker, swapon, ssh, kubectl) on PATH.
 */
import { hostBootstrapScript, rackBootstrapScript } from "../../components/minion-pool/bootstrap";
import { fixture, modelOf } from "../helpers/config";
import { Sandbox } from "../helpers/sandbox";

const model = modelOf(fixture("dc-c"));
const script = hostBootstrapScript(model, "reg/installer:v1", "https://172.19.250.10:6443");
const env = {
  NODE_NAME: "dcc-c1r01-05",
  NODE_LABELS: "a=b,c=d",
  JOIN_TOKEN: "abcdef.0123456789abcdef",
  CA_CERT_HASH: "sha256:00",
};

interface HostFacts {
  kernel?: string;
  kubeletMount?: string;
  blockType?: string;
  driver?: string;
  swap?: string;
}

function fakeHost(sb: Sandbox, facts: HostFacts = {}) {
  sb.fake("uname", `echo ${facts.kernel ?? "5.10.0-28-amd64"}`);
  sb.fake(
    "findmnt",
    `case "$*" in *TARGET*) echo ${facts.kubeletMount ?? "/var/lib/kubelet"} ;; *SOURCE*) echo /dev/sdb1 ;; esac`,
  );
  sb.fake("lsblk", `echo ${facts.blockType ?? "part"}`);
  sb.fake("docker", `case "$1" in info) echo ${facts.driver ?? "overlay2"} ;; *) exit 0 ;; esac`);
  sb.fake("swapon", `echo ${facts.swap ?? ""}`);
  sb.fake("sudo", `exec "$@"`);
  sb.fake("swapoff", "exit 0");
  sb.fake("sed", "exit 0");
}

describe("minion host bootstrap", () => {
  let sb: Sandbox;
  beforeEach(() => (sb = new Sandbox()));
  afterEach(() => sb.cleanup());

  it("passes a healthy host in dry-run mode and joins nothing", () => {
    fakeHost(sb);
    const r = sb.run(script, { ...env, DRY_RUN: "1" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(
      "dcc-c1r01-05: checks passed; would join https://172.19.250.10:6443 with labels a=b,c=d\n",
    );
    expect(sb.calls().filter((c) => c.startsWith("docker run"))).toEqual([]);
  });

  it("joins with the CMDB labels, the pinned CA and the unsafe sysctls the ingress tier needs", () => {
    fakeHost(sb);
    const r = sb.run(script, env);
    expect(r.status).toBe(0);
    const join = sb.calls().find((c) => c.startsWith("docker run"));
    expect(join).toContain("reg/installer:v1 minion join --api-server https://172.19.250.10:6443");
    expect(join).toContain("--token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00");
    expect(join).toContain("--node-name dcc-c1r01-05 --node-labels a=b,c=d --kubelet-root /var/lib/kubelet");
    expect(join).toContain("--allowed-unsafe-sysctls net.core.somaxconn,net.ipv4.tcp_max_syn_backlog");
  });

  it.each([
    [{ kernel: "3.10.0-1160.el7.x86_64" }, "check failed: kernel 3.10.0-1160.el7.x86_64 is older than 4.19"],
    [{ kubeletMount: "/" }, "check failed: /var/lib/kubelet is not a dedicated partition (it is part of /)"],
    [
      { blockType: "lvm" },
      "check failed: /var/lib/kubelet is on LVM (/dev/sdb1); it must be a plain partition",
    ],
    [{ driver: "devicemapper" }, "check failed: docker storage driver is devicemapper (expected overlay2)"],
  ] as [HostFacts, string][])("fails a host with %j, joining nothing", (facts, message) => {
    fakeHost(sb, facts);
    const r = sb.run(script, env);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`dcc-c1r01-05: ${message}\n`);
    expect(sb.calls().filter((c) => c.startsWith("docker run"))).toEqual([]);
  });

  it("reports every failed check at once", () => {
    fakeHost(sb, { kernel: "3.16.0", blockType: "lvm", driver: "devicemapper" });
    const r = sb.run(script, env);
    expect(r.stderr.trim().split("\n")).toHaveLength(3);
  });

  it("turns swap off (and keeps it off) only when swap is on", () => {
    fakeHost(sb, { swap: "/dev/sda2" });
    expect(sb.run(script, { ...env, DRY_RUN: "1" }).stdout).toContain(
      "would turn swap off and disable it in /etc/fstab",
    );
    const r = sb.run(script, env);
    expect(r.stdout).toContain("swap turned off");
    expect(sb.calls()).toContain("swapoff -a");
  });

  it("refuses to run without its inputs", () => {
    fakeHost(sb);
    const r = sb.run(script, { NODE_NAME: "x" });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("NODE_LABELS");
  });
});

describe("rack fan-out", () => {
  let sb: Sandbox;
  beforeEach(() => (sb = new Sandbox()));
  afterEach(() => sb.cleanup());
  const rack = model.racks.find((r) => r.name === "c1r02");
  if (!rack) throw new Error("fixture lost rack c1r02");
  const fanout = rackBootstrapScript(model, rack, script);
  const secrets = {
    SSH_PRIVATE_KEY: "KEY",
    JOIN_TOKEN: "t.t",
    CA_CERT_HASH: "sha256:1",
    KUBECONFIG_CONTENT: "apiVersion: v1",
  };

  function fakes(failIps: string[]) {
    // ssh <opts> user@ip "<env> bash -s" < script: fail for the listed hosts.
    sb.fake(
      "ssh",
      `cat > /dev/null; for a in "$@"; do case "$a" in *@*) ip=\${a#*@} ;; esac; done; case " ${failIps.join(" ")} " in *" $ip "*) echo "ssh: connect to host $ip port 2222: No route to host" >&2; exit 255 ;; esac`,
    );
    sb.fake("kubectl", "exit 0");
  }

  it("bootstraps every host of the rack and syncs their labels", () => {
    fakes([]);
    const r = sb.run(fanout, secrets);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("rack c1r02: 9 hosts bootstrapped\n");
    expect(sb.calls().filter((c) => c.startsWith("ssh"))).toHaveLength(9);
    const labels = sb.calls().filter((c) => c.startsWith("kubectl"));
    expect(labels).toHaveLength(9);
    expect(labels[0]).toMatch(
      /label node dcc-c1r02-01 cmdb.private-cloud.io\/function=ingress .* topology.kubernetes.io\/zone=c1 --overwrite$/,
    );
  });

  it("fails naming every host that failed, and labels only the others", () => {
    fakes(["172.18.1.75", "172.18.1.77"]);
    const r = sb.run(fanout, secrets);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("--- dcc-c1r02-01 (172.18.1.75) failed:");
    expect(r.stderr).toContain("No route to host");
    expect(r.stderr).toContain("rack c1r02: 2 of 9 hosts failed: dcc-c1r02-01 dcc-c1r02-03\n");
    expect(sb.calls().filter((c) => c.startsWith("kubectl"))).toHaveLength(7);
  });

  it("refuses to start without its secrets", () => {
    fakes([]);
    const r = sb.run(fanout, { SSH_PRIVATE_KEY: "KEY" });
    expect(r.status).not.toBe(0);
    expect(sb.calls()).toEqual([]);
  });
});
