/**
 * Host scripts MasterHA runs over SSH. They drive the unified installer image
 * (seed part 1: every binary, manifest and script in one image; install is a
 * `docker run`). The installer's command-line contract is documented in the
 * README ("Installer image interface").
 *
 * The scripts are bash, pass shellcheck, and are idempotent: running one twice
 * leaves the host as running it once did. Secrets (the encryption key, the PKI
 * bundle) arrive on standard input, never in the command text, so previews and
 * logs show the manifests but not the keys.
 */
import type { Host } from "../../stacks/schema";
import type { DatacenterModel } from "../../stacks/model";
import { ENCRYPTION_KEY_PLACEHOLDER, paths, ports } from "./manifests";
import { shQuote } from "../common/shell";
import { dockerRun, masterInstallRun, masterLeaveRun } from "../common/installer-run";

const HEREDOC = "PRIVATE_CLOUD_EOF";

/** Shell lines that write `files` (path → content) under `$stage` with quoted heredocs: no expansion, readable diffs. */
export function stageFiles(files: Record<string, string>): string {
  return Object.keys(files)
    .sort()
    .map((path) => {
      const content = files[path];
      if (content.split("\n").includes(HEREDOC)) throw new Error(`${path} contains the heredoc delimiter`);
      const target = `"$stage/files${path}"`;
      return [
        `mkdir -p "$(dirname ${target})"`,
        `cat > ${target} <<'${HEREDOC}'`,
        content.replace(/\n$/, ""),
        HEREDOC,
      ].join("\n");
    })
    .join("\n");
}

export interface MasterScriptInput {
  readonly model: DatacenterModel;
  readonly host: Host;
  readonly installerImage: string;
  /** Files to install, path on the host → content (from `masterFiles`). */
  readonly files: Record<string, string>;
  /** The first master creates the cluster's PKI; the others receive it on stdin. */
  readonly first: boolean;
}

const etcdctl = (installer: string, endpoint: string) =>
  `sudo docker run --rm --network host -v ${paths.etcdPki}:/pki:ro ${shQuote(installer)} etcdctl --endpoints=${endpoint} --cacert=/pki/ca.crt --cert=/pki/healthcheck-client.crt --key=/pki/healthcheck-client.key`;

/**
 * Installs or upgrades one master, then blocks until its API server answers
 * /readyz and its etcd member is healthy (or fails after the configured
 * timeout). Pulumi runs the masters' commands one after another, so a master
 * that does not come back stops the rollout with quorum intact.
 *
 * stdin: line 1 the encryption key; the rest, on all but the first master, the
 * PKI bundle (base64 tarball) printed by `pkiBundleScript` on the first.
 */
export function masterInstallScript(input: MasterScriptInput): string {
  const { model, host, installerImage, files, first } = input;
  const timeout = model.config.masters.upgradeHealthTimeoutSeconds;
  const apiUrl = `https://${host.ip}:${model.config.apiServer.port}/readyz`;
  const etcdEndpoint = `https://${host.ip}:${ports.etcdClient}`;
  return `#!/usr/bin/env bash
# private-cloud: control plane on ${host.hostname} (${host.ip}), datacenter ${model.name}
set -euo pipefail
readonly installer=${shQuote(installerImage)}
readonly timeout_seconds=${timeout}
stage=$(mktemp -d /tmp/private-cloud-master.XXXXXX)
trap 'rm -rf "$stage"' EXIT
umask 077

IFS= read -r encryption_key
if [ -z "$encryption_key" ]; then
  echo "no encryption key on stdin" >&2
  exit 2
fi
cat > "$stage/pki.b64"

${stageFiles(files)}
sed -i "s|${ENCRYPTION_KEY_PLACEHOLDER.replace(/\$/g, "\\$")}|$encryption_key|" "$stage/files${paths.encryptionConfig}"

pki_args=()
if [ -s "$stage/pki.b64" ]; then
  base64 -d "$stage/pki.b64" > "$stage/pki.tar.gz"
  pki_args=(--pki-bundle /stage/pki.tar.gz)
fi

# Install is idempotent: unchanged files are left alone, changed static Pod
# manifests are replaced (kubelet restarts that component). The first master
# creates the cluster PKI (--init); every master gets its own certificates and
# kubeconfigs, kubelet's unit and the kubelet binary of the installer's version.
${dockerRun(masterInstallRun(model.config.masters.etcdDataDir, "$stage"))} \\
  "$installer" master install --stage /stage/files --node-name ${shQuote(host.hostname)} --advertise-address ${host.ip}${first ? " --init" : ""} "\${pki_args[@]}"

deadline=$((SECONDS + timeout_seconds))
wait_for() {
  local what=$1
  shift
  until "$@" > /dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "${host.hostname}: $what not healthy after \${timeout_seconds}s; stopping the rollout here" >&2
      exit 1
    fi
    sleep 5
  done
  echo "${host.hostname}: $what healthy"
}
wait_for kube-apiserver curl -fsk --max-time 10 ${shQuote(apiUrl)}
wait_for etcd ${etcdctl(installerImage, etcdEndpoint)} endpoint health
`;
}

/** Prints the cluster PKI (CAs and service-account keys) as a base64 tarball; run on the first master only. */
export function pkiBundleScript(installerImage: string): string {
  return `#!/usr/bin/env bash
set -euo pipefail
sudo docker run --rm -v ${paths.pki}:/pki:ro ${shQuote(installerImage)} master pki-bundle --pki /pki | base64 -w0
`;
}

/** Prints the admin kubeconfig the installer wrote on the first master. */
export function adminKubeconfigScript(): string {
  return `#!/usr/bin/env bash
set -euo pipefail
sudo cat /etc/kubernetes/admin.conf
`;
}

/**
 * Runs when a master is removed from config. It refuses to remove an etcd
 * member when the healthy members left would not be a quorum of the smaller
 * cluster, and otherwise removes the member before stopping the static Pods.
 */
export function masterRemoveScript(model: DatacenterModel, host: Host, installerImage: string): string {
  const endpoint = `https://${host.ip}:${ports.etcdClient}`;
  return `#!/usr/bin/env bash
# private-cloud: remove master ${host.hostname} (${host.ip}) from datacenter ${model.name}
set -euo pipefail
readonly installer=${shQuote(installerImage)}
members=$(${etcdctl(installerImage, endpoint)} member list | grep -c started || true)
healthy=$(${etcdctl(installerImage, endpoint)} endpoint health --cluster 2>&1 | grep -c 'is healthy' || true)
self=$(${etcdctl(installerImage, endpoint)} endpoint health 2>&1 | grep -c 'is healthy' || true)
remaining=$((healthy - self))
quorum=$(((members - 1) / 2 + 1))
if [ "$members" -le 1 ] || [ "$remaining" -lt "$quorum" ]; then
  echo "refusing to remove ${host.hostname}: $remaining healthy members would remain of $((members - 1)), quorum needs $quorum" >&2
  exit 1
fi
${dockerRun(masterLeaveRun())} \\
  "$installer" master leave --node-name ${shQuote(host.hostname)}
`;
}
