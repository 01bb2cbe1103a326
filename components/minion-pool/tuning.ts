/**
 * Runtime tuning per machine class (seed part 2: interrupts, TCP backlog,
 * swap). A privileged DaemonSet per machine type applies the profile on every
 * node with that type's CMDB label, so nodes added later are covered, and it
 * re-applies after a reboot (the pod restarts with the node) and every few
 * minutes (a package upgrade or an operator's sysctl -w does not stick).
 */
import type { Host, TuningOverrides } from "../../stacks/schema";
import { ES_HOST_SYSCTLS } from "../logging-stack/elasticsearch";

export interface MachineClass {
  readonly machineType: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** Functions of the hosts of this type (a type can serve several). */
  readonly functions: readonly string[];
}

export interface TuningSetting {
  readonly key: string;
  readonly value: string;
  readonly reason: string;
}

export interface TuningProfile {
  readonly machineType: string;
  readonly sysctls: readonly TuningSetting[];
  /** Receive Packet Steering mask for every rx queue (hex, comma-grouped by 32 CPUs). */
  readonly rpsCpus: string;
  /** Spread NIC interrupts round-robin over the cores instead of leaving them all on CPU0. */
  readonly spreadIrqs: boolean;
  /** Kernel modules loaded when the kernel has them. */
  readonly modules: readonly string[];
  /** nf_conntrack hash buckets (module parameter `hashsize`). */
  readonly conntrackBuckets: number;
}

/** Groups inventory hosts into machine classes (by machine type), sorted by type. */
export function machineClasses(hosts: readonly Host[]): MachineClass[] {
  const byType = new Map<string, { cores: number; memoryGiB: number; functions: Set<string> }>();
  for (const h of hosts) {
    const c = byType.get(h.machineType) ?? {
      cores: h.cores,
      memoryGiB: h.memoryGiB,
      functions: new Set<string>(),
    };
    // A type is one hardware shape; should the CMDB disagree, size for the smallest.
    c.cores = Math.min(c.cores, h.cores);
    c.memoryGiB = Math.min(c.memoryGiB, h.memoryGiB);
    c.functions.add(h.function);
    byType.set(h.machineType, c);
  }
  return [...byType.keys()].sort().map((t) => {
    const c = byType.get(t) as { cores: number; memoryGiB: number; functions: Set<string> };
    return { machineType: t, cores: c.cores, memoryGiB: c.memoryGiB, functions: [...c.functions].sort() };
  });
}

/** A CPU mask for `cores` CPUs in the kernel's format: hex, 32 CPUs per comma-separated group. */
export function cpuMaskHex(cores: number): string {
  if (!Number.isInteger(cores) || cores < 1)
    throw new Error(`cores must be a positive integer, got ${cores}`);
  const groups: string[] = [];
  for (let left = cores; left > 0; left -= 32) {
    const bits = Math.min(32, left);
    groups.unshift(
      (bits === 32 ? 0xffffffff : 2 ** bits - 1).toString(16).padStart(bits === 32 ? 8 : 1, "0"),
    );
  }
  // Every group but the first is a full 8 hex digits, as /sys shows them.
  return groups.map((g, i) => (i === 0 ? g : g.padStart(8, "0"))).join(",");
}

/** ~1 conntrack entry per 64 KiB of RAM, capped: each entry costs ~320 bytes of unswappable kernel memory. */
export function conntrackMaxFor(memoryGiB: number): number {
  return Math.min(4_194_304, Math.max(262_144, memoryGiB * 16_384));
}

export function tuningProfile(cls: MachineClass, overrides: TuningOverrides = {}): TuningProfile {
  const proxy = cls.functions.includes("ingress") || cls.functions.includes("lvs");
  const conntrackMax = overrides.conntrackMax ?? conntrackMaxFor(cls.memoryGiB);
  const sysctls: TuningSetting[] = [
    {
      key: "net.core.somaxconn",
      value: String(overrides.somaxconn ?? (proxy ? 65535 : 32768)),
      reason:
        "accept queue per listening socket; nginx/Jetty listen backlogs are capped by it, and a full queue drops SYNs under bursts from LVS",
    },
    {
      key: "net.ipv4.tcp_max_syn_backlog",
      value: String(overrides.tcpMaxSynBacklog ?? 65535),
      reason:
        "half-open connection queue; the default 1024 overflows when LVS shifts a VIP's traffic onto a node",
    },
    {
      key: "net.core.netdev_max_backlog",
      value: String(overrides.netdevMaxBacklog ?? 16384),
      reason:
        "packets queued between the NIC interrupt and protocol processing; with RPS spreading work the default 1000 drops on 1 GbE bursts",
    },
    {
      key: "net.netfilter.nf_conntrack_max",
      value: String(conntrackMax),
      reason:
        "every forwarded pod connection is tracked (seed part 3); a full table drops new connections, so size it from RAM and alert at 75%",
    },
    {
      key: "net.netfilter.nf_conntrack_tcp_be_liberal",
      value: "1",
      reason:
        "LVS traffic to pods is untracked (Calico doNotTrack), so pod replies look out-of-window to conntrack; liberal mode keeps them valid, and kube-proxy then skips its drop-INVALID rule (kubernetes/kubernetes#120412)",
    },
    {
      key: "vm.swappiness",
      value: "0",
      reason:
        "swap stays off (kubelet's memory accounting and the seed's tuning); 0 keeps the kernel from swapping if a swap device reappears",
    },
    {
      key: "fs.nr_open",
      value: "2097152",
      reason: "per-process fd ceiling; nginx workers get worker_rlimit_nofile from their connection count",
    },
    {
      key: "net.ipv4.ip_local_port_range",
      value: "10240 65000",
      reason:
        "ephemeral ports for upstream connections from nginx to Jetty; the default range exhausts under keep-alive churn",
    },
  ];
  if (cls.functions.includes("logging")) {
    for (const [key, value] of Object.entries(ES_HOST_SYSCTLS)) {
      sysctls.push({
        key,
        value: String(value),
        reason:
          "Elasticsearch memory-maps its index files and refuses to start below 262144 map areas (its bootstrap check)",
      });
    }
  }
  return {
    machineType: cls.machineType,
    sysctls,
    rpsCpus: cpuMaskHex(cls.cores),
    spreadIrqs: true,
    // TOA carries the client address through FULLNAT in a TCP option (seed
    // part 4): without it real servers see the LVS local address.
    modules: ["toa"],
    conntrackBuckets: Math.max(16384, Math.floor(conntrackMax / 4)),
  };
}

/** The profile as the file the tuning script reads: one directive per line, reasons as comments. */
export function profileFile(p: TuningProfile): string {
  const lines = [`# node tuning profile for machine type ${p.machineType}`];
  for (const s of p.sysctls) lines.push(`# ${s.reason}`, `sysctl ${s.key} ${s.value}`);
  lines.push(
    "# spread receive processing over every core (1 GbE NICs have one rx queue)",
    `rps ${p.rpsCpus}`,
  );
  if (p.spreadIrqs)
    lines.push("# NIC interrupts round-robin over the cores instead of all on CPU0", "irq spread");
  lines.push(`# conntrack hash buckets: max/4 keeps chains short`, `conntrack-buckets ${p.conntrackBuckets}`);
  for (const m of p.modules) lines.push(`module ${m}`);
  lines.push("swap off");
  return `${lines.join("\n")}\n`;
}

/**
 * The tuning agent. Reads a profile file and makes the host match it; prints
 * each change; `--dry-run` prints what it would change and changes nothing.
 * ROOT (default empty) prefixes /proc and /sys, so tests run it against a
 * sandboxed tree. Host-namespace actions (modprobe, swapoff) go through
 * `nsenter -t 1` when the pod shares the host PID namespace.
 */
export const TUNING_SCRIPT = `#!/usr/bin/env bash
# private-cloud node tuning agent: applies /etc/node-tuning/profile (see tuning.ts).
set -euo pipefail

profile=/etc/node-tuning/profile
interval=0
dry_run=0
root=\${ROOT:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile=$2; shift 2 ;;
    --interval) interval=$2; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

changes=0
host() {
  if [ -n "\${HOST_EXEC:-}" ]; then
    # shellcheck disable=SC2086 # HOST_EXEC is a command prefix such as "nsenter -t 1 -m --"
    $HOST_EXEC "$@"
  else
    "$@"
  fi
}

set_file() {
  local file=$1 want=$2 have
  [ -e "$file" ] || return 0
  have=$(tr -s '[:space:]' ' ' < "$file" | sed 's/ $//')
  if [ "$have" != "$want" ]; then
    changes=$((changes + 1))
    if [ "$dry_run" -eq 1 ]; then
      echo "would set $file: '$have' -> '$want'"
    else
      printf '%s\\n' "$want" > "$file"
      echo "set $file: '$have' -> '$want'"
    fi
  fi
}

apply_once() {
  changes=0
  local kind a b
  while read -r kind a b; do
    case "$kind" in
      ''|'#'*) ;;
      sysctl) set_file "$root/proc/sys/\${a//.//}" "$b" ;;
      rps)
        for q in "$root"/sys/class/net/*/queues/rx-*/rps_cpus; do
          [ -e "$q" ] || continue
          case "$q" in */lo/*|*/cali*|*/tunl*|*/docker*) continue ;; esac
          set_file "$q" "$a"
        done ;;
      irq)
        local n=0 cores irq
        cores=$(grep -c '^processor' "$root/proc/cpuinfo" || echo 1)
        while read -r irq; do
          set_file "$root/proc/irq/$irq/smp_affinity_list" "$((n % cores))"
          n=$((n + 1))
        done < <(grep -E '(eth|ens|enp|eno|bond)[0-9]' "$root/proc/interrupts" | cut -d: -f1 | tr -d ' ')
        ;;
      conntrack-buckets) set_file "$root/sys/module/nf_conntrack/parameters/hashsize" "$a" ;;
      module)
        if ! grep -q "^$a " "$root/proc/modules" 2>/dev/null; then
          if [ "$dry_run" -eq 1 ]; then
            echo "would load module $a (if the kernel has it)"
          elif host modprobe "$a" 2>/dev/null; then
            changes=$((changes + 1)); echo "loaded module $a"
          else
            echo "module $a not available in this kernel; skipped"
          fi
        fi ;;
      swap)
        if [ "$(grep -vc '^Filename' "$root/proc/swaps" 2>/dev/null || true)" != "0" ]; then
          changes=$((changes + 1))
          if [ "$dry_run" -eq 1 ]; then echo "would turn swap off"; else host swapoff -a; echo "turned swap off"; fi
        fi ;;
      *) echo "unknown profile directive: $kind" >&2; exit 2 ;;
    esac
  done < "$profile"
  echo "tuning pass done: $changes change(s)"
}

apply_once
touch "\${READY_FILE:-/tmp/tuned}" 2>/dev/null || true
if [ "$interval" -gt 0 ]; then
  while sleep "$interval"; do apply_once; done
fi
`;
