/**
 * Host bootstrap for minions, batched per rack.
 *
 * A fleet has hundreds of hosts; one Pulumi resource per host would make every
 * preview slow and every diff noisy. Instead each rack is one local command
 * that fans out over SSH in parallel and fails naming every host that failed.
 * A rack's command text holds only that rack's hosts and labels, so a change
 * to one rack re-runs that rack alone.
 */
import type { Host } from "../../stacks/schema";
import type { DatacenterModel, Rack } from "../../stacks/model";
import { nodeLabels } from "../../stacks/model";
import { shQuote } from "../common/shell";
import { dockerRun, minionJoinRun } from "../common/installer-run";

/** Sysctls kubelet lets pods set although they are not namespaced-safe by default (the ingress tier sets both per pod). */
export const ALLOWED_UNSAFE_SYSCTLS = ["net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog"] as const;

/** `k=v,k=v` in key order: the form of kubelet's --node-labels and of `kubectl label`. */
export function labelArg(host: Host): string {
  const labels = nodeLabels(host);
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(",");
}

/**
 * Checks the seed asks for on every minion, then joins it. Runs on the host as
 * the SSH user (sudo for privileged steps). With DRY_RUN=1 it reports and
 * changes nothing. Exits non-zero listing every failed check.
 */
export function hostBootstrapScript(
  model: DatacenterModel,
  installerImage: string,
  apiEndpoint: string,
): string {
  const m = model.config.minions;
  return `#!/usr/bin/env bash
# private-cloud minion bootstrap for datacenter ${model.name}: host checks, then join.
# Expects NODE_NAME, NODE_LABELS, JOIN_TOKEN and CA_CERT_HASH in the environment.
set -euo pipefail
: "\${NODE_NAME:?}" "\${NODE_LABELS:?}" "\${JOIN_TOKEN:?}" "\${CA_CERT_HASH:?}"
readonly min_kernel=${shQuote(m.minKernel)}
readonly kubelet_root=${shQuote(m.kubeletRoot)}
readonly storage_driver=${shQuote(m.dockerStorageDriver)}
readonly installer=${shQuote(installerImage)}
dry_run=\${DRY_RUN:-0}
failed=0
problem() {
  echo "$NODE_NAME: check failed: $*" >&2
  failed=1
}

# Kernel: the FULLNAT/TOA path and cgroup accounting need a maintained kernel.
kernel=$(uname -r)
if ! printf '%s\\n%s\\n' "$min_kernel" "\${kernel%%-*}" | sort -V -C; then
  problem "kernel $kernel is older than $min_kernel"
fi

# EmptyDir log volumes live under the kubelet root: it must be its own plain
# partition, not LVM (the seed's LVM metadata incident took logging down).
mount_point=$(findmnt -n -o TARGET --target "$kubelet_root" 2>/dev/null || true)
if [ "$mount_point" != "$kubelet_root" ]; then
  problem "$kubelet_root is not a dedicated partition (it is part of \${mount_point:-an unknown mount})"
else
  source_dev=$(findmnt -n -o SOURCE --target "$kubelet_root")
  if [ "$(lsblk -n -o TYPE "$source_dev" 2>/dev/null | head -n 1)" = "lvm" ]; then
    problem "$kubelet_root is on LVM ($source_dev); it must be a plain partition"
  fi
fi

driver=$(sudo docker info --format '{{.Driver}}' 2>/dev/null || echo unknown)
if [ "$driver" != "$storage_driver" ]; then
  problem "docker storage driver is $driver (expected $storage_driver)"
fi

# Swap off now and after a reboot (kubelet refuses to run with swap on).
if [ -n "$(swapon --noheadings --show=NAME 2>/dev/null || true)" ]; then
  if [ "$dry_run" = 1 ]; then
    echo "$NODE_NAME: would turn swap off and disable it in /etc/fstab"
  else
    sudo swapoff -a
    sudo sed -i.private-cloud.bak -E 's/^([^#][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]])/#\\1/' /etc/fstab
    echo "$NODE_NAME: swap turned off"
  fi
fi

if [ "$failed" -ne 0 ]; then
  exit 1
fi
if [ "$dry_run" = 1 ]; then
  echo "$NODE_NAME: checks passed; would join ${apiEndpoint} with labels $NODE_LABELS"
  exit 0
fi

# Join is idempotent in the installer: a node already joined with the same
# settings is left alone; changed settings are rewritten and kubelet restarted.
${dockerRun(minionJoinRun(m.kubeletRoot))} \\
  "$installer" minion join --api-server ${shQuote(apiEndpoint)} \\
  --token "$JOIN_TOKEN" --discovery-token-ca-cert-hash "$CA_CERT_HASH" \\
  --node-name "$NODE_NAME" --node-labels "$NODE_LABELS" --kubelet-root "$kubelet_root" \\
  --allowed-unsafe-sysctls ${ALLOWED_UNSAFE_SYSCTLS.join(",")}
echo "$NODE_NAME: joined"
`;
}

/**
 * The per-rack command, run where Pulumi runs. Environment: SSH_PRIVATE_KEY,
 * JOIN_TOKEN, CA_CERT_HASH, KUBECONFIG_CONTENT (all secrets, never in the text).
 * Bootstraps the rack's hosts with `parallelism` at a time, then sets their
 * CMDB labels through the API (kubelet only sets labels when a node first
 * registers, so a CMDB change would otherwise never reach the Node object).
 */
export function rackBootstrapScript(model: DatacenterModel, rack: Rack, hostScript: string): string {
  const access = model.config.hostAccess;
  const hosts = [...rack.hosts]
    .filter((h) => !model.config.masters.hostnames.includes(h.hostname))
    .sort((a, b) => a.hostname.localeCompare(b.hostname));
  const hostLines = hosts.map((h) => `${h.hostname} ${h.ip} ${labelArg(h)}`).join("\n");
  return `#!/usr/bin/env bash
# private-cloud: bootstrap rack ${rack.name} (${hosts.length} hosts) of datacenter ${model.name}
set -euo pipefail
: "\${SSH_PRIVATE_KEY:?}" "\${JOIN_TOKEN:?}" "\${CA_CERT_HASH:?}" "\${KUBECONFIG_CONTENT:?}"
command -v ssh > /dev/null || { echo "ssh is not installed where pulumi runs" >&2; exit 2; }
command -v kubectl > /dev/null || { echo "kubectl is not installed where pulumi runs" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
printf '%s\\n' "$SSH_PRIVATE_KEY" > "$work/key"
printf '%s\\n' "$KUBECONFIG_CONTENT" > "$work/kubeconfig"
{
  printf 'export JOIN_TOKEN=%q CA_CERT_HASH=%q\\n' "$JOIN_TOKEN" "$CA_CERT_HASH"
  cat <<'PRIVATE_CLOUD_EOF'
${hostScript.replace(/\n$/, "")}
PRIVATE_CLOUD_EOF
} > "$work/bootstrap.sh"
cat > "$work/hosts" <<'PRIVATE_CLOUD_EOF'
${hostLines}
PRIVATE_CLOUD_EOF

run_host() {
  local name=$1 ip=$2 labels=$3
  if ssh -i "$work/key" -p ${access.sshPort} -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=10 \\
    ${shQuote(access.sshUser)}@"$ip" "NODE_NAME=$name NODE_LABELS=$labels DRY_RUN=\${DRY_RUN:-0} bash -s" \\
    < "$work/bootstrap.sh" > "$work/$name.log" 2>&1; then
    echo ok > "$work/$name.rc"
  else
    echo failed > "$work/$name.rc"
  fi
}
export -f run_host
export work
xargs -P ${access.parallelism} -L 1 bash -c 'run_host "$@"' _ < "$work/hosts"

failed=()
while read -r name ip labels; do
  if [ "$(cat "$work/$name.rc" 2>/dev/null)" != ok ]; then
    failed+=("$name")
    echo "--- $name ($ip) failed:" >&2
    tail -n 5 "$work/$name.log" >&2 || true
    continue
  fi
  if [ "\${DRY_RUN:-0}" != 1 ]; then
    IFS=, read -r -a label_list <<< "$labels"
    kubectl --kubeconfig "$work/kubeconfig" label node "$name" "\${label_list[@]}" --overwrite > /dev/null
  fi
done < "$work/hosts"
if [ "\${#failed[@]}" -gt 0 ]; then
  echo "rack ${rack.name}: \${#failed[@]} of ${hosts.length} hosts failed: \${failed[*]}" >&2
  exit 1
fi
echo "rack ${rack.name}: ${hosts.length} hosts bootstrapped"
`;
}
