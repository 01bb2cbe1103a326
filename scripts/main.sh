#!/usr/bin/env bash
# The main job, on the local simulated datacenter:
#   1. build or find the toolchain (Pulumi CLI, language host, providers,
#      Kubernetes control plane, kwok, Debian checkers),
#   2. start the simulated datacenter (npm run sim:up),
#   3. build the platform's own images and push them to its registry,
#   4. `pulumi up` the sim stack with the policy pack as a gate,
#   5. print the stack outputs.
# Each step says what it does and how long it took; a failure names the step.
# Pulumi state for the sim lives in .sim/state (npm run sim:down removes it).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
started=$SECONDS
current="start"
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    printf '\n[main] FAILED in step "%s" after %ss (exit %s)\n' "$current" "$((SECONDS - started))" "$rc" >&2
  fi
}
trap on_exit EXIT
step() {
  current=$*
  printf '\n[main %s] == %s\n' "$(date +%H:%M:%S)" "$*"
}

step "npm dependencies"
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -d policy/node_modules ] || (cd policy && npm ci --no-audit --no-fund)

step "toolchain"
bash scripts/toolchain.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

step "simulated datacenter"
bash scripts/sim.sh up

step "platform images into the simulated datacenter's registry (npm run images -- --push)"
bash scripts/images.sh --push

step "pulumi up (stack sim, policy pack policy/)"
export PULUMI_BACKEND_URL="file://$repo/.sim/state"
mkdir -p "$repo/.sim/state"
pulumi stack select sim 2> /dev/null || pulumi stack init sim --secrets-provider passphrase
t0=$SECONDS
# Through scripts/pulumi.sh: a Ctrl-C or kill of `npm start` ends the plugins too.
bash scripts/pulumi.sh up --stack sim --yes --policy-pack policy --skip-preview=false
echo "pulumi up took $((SECONDS - t0))s"

step "stack outputs"
pulumi stack output --stack sim
printf '\n[main] done in %ss. The cluster: kubectl --kubeconfig .sim/kubeconfig get pods -A; stop it: npm run sim:down\n' "$((SECONDS - started))"
