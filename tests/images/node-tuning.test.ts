/**
 * The node-tuning image runs the agent exactly as the DaemonSet does
 * (components/minion-pool/daemonset.ts: bash, the ConfigMap's tune.sh and
 * profile under /etc/node-tuning, ROOT=/host) against a sandboxed host tree:
 * every tool the script calls is in the image.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { TUNING_SCRIPT, profileFile, tuningProfile } from "../../components/minion-pool/tuning";
import { tuningObjects } from "../../components/minion-pool/daemonset";
import { plain } from "../helpers/pulumi";
import { describeImage, loadImage, ok, podman } from "./podman";

jest.setTimeout(120_000);

describeImage("node-tuning")("node-tuning image", () => {
  let image: string;
  let dir: string;
  const profile = tuningProfile({ machineType: "m4", cores: 4, memoryGiB: 64, functions: ["web"] });
  const objects = tuningObjects(profile, "node-tuning", "node-tuning");

  beforeAll(() => {
    image = loadImage("node-tuning");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-tuning-"));
    const write = (p: string, content: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), content);
    };
    write("etc/tune.sh", TUNING_SCRIPT);
    write("etc/profile", profileFile(profile));
    write("host/proc/sys/net/core/somaxconn", "4096\n");
    write("host/proc/sys/vm/swappiness", "60\n");
    write("host/proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
    write("host/sys/class/net/eth0/queues/rx-0/rps_cpus", "0\n");
    write("host/proc/cpuinfo", "processor\t: 0\nprocessor\t: 1\n");
    write("host/proc/interrupts", "           CPU0 CPU1\n  24:  100 0  PCI-MSI eth0-rx-0\n");
    write("host/proc/irq/24/smp_affinity_list", "0-1\n");
    write("host/proc/modules", "nf_conntrack 1 0 - Live 0x0\n");
    write("host/proc/swaps", "Filename Type Size Used Priority\n");
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("applies a profile with the DaemonSet's command line", () => {
    const container = plain(objects.daemonSet).spec?.template?.spec?.containers?.[0];
    const command = (container?.command ?? []) as string[];
    expect(command.slice(0, 2)).toEqual(["/bin/bash", "/etc/node-tuning/tune.sh"]);
    // One pass (--interval 0) instead of the DaemonSet's loop.
    const args = command.slice(2).map((a, i, all) => (all[i - 1] === "--interval" ? "0" : a));
    const out = ok(
      podman([
        "run",
        "--rm",
        "--network",
        "none",
        "-e",
        "ROOT=/host",
        "-e",
        "READY_FILE=/tmp/tuned",
        "-v",
        `${dir}/etc:/etc/node-tuning:ro`,
        "-v",
        `${dir}/host:/host`,
        image,
        command[0],
        command[1],
        ...args,
      ]),
      "tune.sh in the image",
    );
    expect(out).toMatch(/set \/host\/proc\/sys\/net\/core\/somaxconn: '4096' -> '\d+'/);
    expect(out).toMatch(/tuning pass done: \d+ change\(s\)/);
    expect(fs.readFileSync(path.join(dir, "host/proc/sys/net/core/somaxconn"), "utf8").trim()).not.toBe(
      "4096",
    );
  });
});
