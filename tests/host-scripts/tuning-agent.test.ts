/**
 * The node-tuning agent run for real against a sandboxed /proc and /sys.
 */
import { TUNING_SCRIPT, profileFile, tuningProfile } from "../../components/minion-pool/tuning";
import { Sandbox } from "../helpers/sandbox";

const profile = profileFile(
  tuningProfile({ machineType: "m4", cores: 4, memoryGiB: 64, functions: ["web"] }),
);

function hostTree(sb: Sandbox, opts: { swap?: boolean } = {}) {
  sb.write("root/proc/sys/net/core/somaxconn", "4096\n");
  sb.write("root/proc/sys/net/ipv4/tcp_max_syn_backlog", "1024\n");
  sb.write("root/proc/sys/net/core/netdev_max_backlog", "1000\n");
  sb.write("root/proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
  sb.write("root/proc/sys/vm/swappiness", "60\n");
  sb.write("root/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal", "0\n");
  sb.write("root/proc/sys/fs/nr_open", "1048576\n");
  sb.write("root/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
  sb.write("root/sys/class/net/eth0/queues/rx-0/rps_cpus", "0\n");
  sb.write("root/sys/class/net/lo/queues/rx-0/rps_cpus", "0\n");
  sb.write("root/sys/module/nf_conntrack/parameters/hashsize", "65536\n");
  sb.write("root/proc/cpuinfo", "processor\t: 0\nprocessor\t: 1\nprocessor\t: 2\nprocessor\t: 3\n");
  sb.write(
    "root/proc/interrupts",
    "           CPU0 CPU1\n  24:  100 0  PCI-MSI eth0-rx-0\n  25:  100 0  PCI-MSI eth0-tx-0\n  30: 5 0 PCI-MSI ahci\n",
  );
  sb.write("root/proc/irq/24/smp_affinity_list", "0-3\n");
  sb.write("root/proc/irq/25/smp_affinity_list", "0-3\n");
  sb.write("root/proc/modules", "nf_conntrack 1 0 - Live 0x0\n");
  sb.write(
    "root/proc/swaps",
    `Filename Type Size Used Priority\n${opts.swap ? "/dev/sda2 partition 8388604 0 -2\n" : ""}`,
  );
  sb.write("profile", profile);
}

describe("node tuning agent", () => {
  let sb: Sandbox;
  beforeEach(() => {
    sb = new Sandbox();
    sb.fake("modprobe", "exit 1");
    sb.fake("swapoff", "exit 0");
  });
  afterEach(() => sb.cleanup());
  const run = (...args: string[]) =>
    sb.run(TUNING_SCRIPT, { ROOT: `${sb.dir}/root`, READY_FILE: `${sb.dir}/ready` }, [
      "--profile",
      `${sb.dir}/profile`,
      ...args,
    ]);

  it("in dry-run mode prints what it would change and changes nothing", () => {
    hostTree(sb);
    const r = run("--dry-run");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`would set ${sb.dir}/root/proc/sys/net/core/somaxconn: '4096' -> '32768'`);
    expect(r.stdout).toContain(
      `would set ${sb.dir}/root/proc/sys/net/ipv4/ip_local_port_range: '32768 60999' -> '10240 65000'`,
    );
    expect(r.stdout).toContain("would load module toa (if the kernel has it)");
    expect(sb.read("root/proc/sys/net/core/somaxconn")).toBe("4096\n");
    expect(sb.calls()).toEqual([]);
  });

  it("applies the profile: sysctls, RPS on real NICs only, IRQs round-robin, conntrack buckets", () => {
    hostTree(sb);
    const r = run();
    expect(r.status).toBe(0);
    expect(sb.read("root/proc/sys/net/core/somaxconn")).toBe("32768\n");
    expect(sb.read("root/proc/sys/vm/swappiness")).toBe("0\n");
    expect(sb.read("root/proc/sys/net/ipv4/ip_local_port_range")).toBe("10240 65000\n");
    expect(sb.read("root/sys/class/net/eth0/queues/rx-0/rps_cpus")).toBe("f\n");
    expect(sb.read("root/sys/class/net/lo/queues/rx-0/rps_cpus")).toBe("0\n");
    expect(sb.read("root/proc/irq/24/smp_affinity_list")).toBe("0\n");
    expect(sb.read("root/proc/irq/25/smp_affinity_list")).toBe("1\n");
    expect(sb.read("root/sys/module/nf_conntrack/parameters/hashsize")).toBe("262144\n");
    expect(r.stdout).toContain("module toa not available in this kernel; skipped");
    expect(r.stdout).toMatch(/tuning pass done: 12 change\(s\)/);
  });

  it("is idempotent: a second pass changes nothing", () => {
    hostTree(sb);
    run();
    const again = run();
    expect(again.stdout).not.toContain("set ");
    expect(again.stdout).toContain("tuning pass done: 0 change(s)");
  });

  it("turns swap off through the host when a swap device is active", () => {
    hostTree(sb, { swap: true });
    const r = sb.run(
      TUNING_SCRIPT,
      { ROOT: `${sb.dir}/root`, READY_FILE: `${sb.dir}/ready`, HOST_EXEC: "env" },
      ["--profile", `${sb.dir}/profile`],
    );
    expect(r.stdout).toContain("turned swap off");
    expect(sb.calls()).toContain("swapoff -a");
  });

  it("refuses an unknown profile directive", () => {
    hostTree(sb);
    sb.write("profile", "frobnicate 1\n");
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown profile directive: frobnicate");
  });
});
