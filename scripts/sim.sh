#!/usr/bin/env bash
# The local simulated datacenter: etcd, kube-apiserver, kube-controller-manager
# and kube-scheduler with the flags of MasterHA's static Pod manifests (see
# control_plane_files), and kwok, all on loopback, with the hosts of
# inventory/sim.yaml registered as kwok nodes.
#
#   bash scripts/sim.sh up       start (or report the running one); idempotent
#   bash scripts/sim.sh up --nodes 1000   the 1,000-node datacenter (stack sim-1k)
#   bash scripts/sim.sh down     stop everything and remove all its files
#   bash scripts/sim.sh status   each component's health, asked of its API
#                                (exit 1 when one is down)
#
# `up` is also the recovery path: run after a component died or was killed
# (an API server restart), it starts what is not running and waits until each
# component answers its health endpoint again. Logs are appended, so a
# restart keeps the previous run's log (each start is marked in it).
#
# Everything lives under $PRIVATE_CLOUD_SIM_DIR (default: <repo>/.sim); the
# admin kubeconfig is $PRIVATE_CLOUD_SIM_DIR/kubeconfig.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$repo/scripts/env.sh"
# shellcheck source=scripts/lib/proc.sh
source "$repo/scripts/lib/proc.sh"
sim="${PRIVATE_CLOUD_SIM_DIR:-$repo/.sim}"
stack_file="$repo/Pulumi.sim.yaml"
# --nodes N (after `up`) picks the simulated datacenter of that size: 22 is
# `sim` (inventory/sim.yaml), 1000 is `sim-1k` (inventory/sim-1k.yaml, from
# scripts/gen-inventory.ts). PRIVATE_CLOUD_SIM_STACK names the stack directly.
sim_stack_for_nodes() {
  case "$1" in
    22) echo sim ;;
    1000) echo sim-1k ;;
    *)
      echo "[sim] error: --nodes $1 is not a simulated datacenter size (expected 22 (stack sim) or 1000 (stack sim-1k))" >&2
      return 1
      ;;
  esac
}
if [ "${1:-}" = up ] && [ "${2:-}" = --nodes ]; then
  PRIVATE_CLOUD_SIM_STACK=$(sim_stack_for_nodes "${3:-}") || exit 2
fi
if [ -n "${PRIVATE_CLOUD_SIM_STACK:-}" ]; then
  stack_file="$repo/Pulumi.$PRIVATE_CLOUD_SIM_STACK.yaml"
  [ -f "$stack_file" ] || { echo "[sim] error: PRIVATE_CLOUD_SIM_STACK=$PRIVATE_CLOUD_SIM_STACK: $stack_file does not exist" >&2; exit 2; }
fi

# Loopback ports, away from the defaults a developer's own cluster may use;
# PRIVATE_CLOUD_SIM_PORT_BASE moves them all (the end-to-end tests run their
# own simulated datacenter beside a developer's).
base=${PRIVATE_CLOUD_SIM_PORT_BASE:-16400}
readonly etcd_client_port=$((base + 1)) etcd_peer_port=$((base + 2)) etcd_metrics_port=$((base + 3))
readonly api_port=$((base + 43)) kwok_port=$((base + 50)) cm_port=$((base + 57)) scheduler_port=$((base + 59))
# The image registry (Debian's docker-registry): `npm run images -- --push` copies the platform's images here.
readonly registry_port=$((base + 5))
readonly components=(registry etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { printf '[sim %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() {
  printf '[sim] error: %s\n' "$*" >&2
  exit 1
}

# The pid of a running component: alive and not a zombie (scripts/lib/proc.sh),
# and still the component's own program (a recycled pid may belong to another).
pid_of() {
  local f="$sim/run/$1.pid" pid exe
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  alive "$pid" || return 1
  exe=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null) || return 1
  case "$exe" in *"$(component_binary "$1")"*) echo "$pid" ;; *) return 1 ;; esac
}

component_binary() {
  case "$1" in
    registry) echo docker-registry ;;
    *) echo "$1" ;;
  esac
}

need_tools() {
  local missing=()
  for t in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl openssl curl; do
    command -v "$t" > /dev/null || missing+=("$t")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}: run \`npm run toolchain\` first"
}

# --- Control plane: MasterHA's own static Pods -----------------------------
# scripts/sim-control-plane.ts renders the stack's first master as if it
# stood at 127.0.0.1 and writes what the static Pods read (PKI from MasterHA's
# plan, the encryption, authentication and audit files, the kubeconfigs)
# under $sim/root, plus each component's rendered command line in
# $sim/run/<component>.args: the real binaries run MasterHA's flags.
control_plane_files() {
  log "rendering MasterHA's control plane for $(basename "$stack_file") into $sim/root"
  (cd "$repo" && npx ts-node --transpile-only scripts/sim-control-plane.ts "$stack_file" "$sim" \
    "$api_port" "$etcd_client_port" "$etcd_peer_port" "$etcd_metrics_port" "$cm_port" "$scheduler_port")
}

# start_rendered NAME: start a control-plane component with its rendered command line.
start_rendered() { # component [extra flags...]: MasterHA's rendered command line, plus the sim's own flags
  local -a cmd
  mapfile -d '' -t cmd < "$sim/run/$1.args"
  start "$1" "${cmd[@]}" "${@:2}"
}

start() { # name args...
  local name=$1
  shift
  if pid_of "$name" > /dev/null; then
    log "$name already running (pid $(pid_of "$name"))"
    return 0
  fi
  # Appended, with a marker: the log of the run that died is what explains it.
  printf '\n===== [sim] %s starting %s =====\n' "$(date -u +%FT%TZ)" "$name" >> "$sim/logs/$name.log"
  nohup "$@" >> "$sim/logs/$name.log" 2>&1 &
  echo $! > "$sim/run/$name.pid"
  log "started $name (pid $!, log $sim/logs/$name.log)"
}

wait_for() { # what seconds command...
  local what=$1 seconds=$2 t0=$SECONDS
  shift 2
  until "$@" > /dev/null 2>&1; do
    if [ $((SECONDS - t0)) -ge "$seconds" ]; then
      die "$what not ready after ${seconds}s; see $sim/logs/"
    fi
    sleep 1
  done
  log "$what ready after $((SECONDS - t0))s"
}

# The simulated datacenter's registry, on loopback, storing under $sim. Optional:
# without the docker-registry package (scripts/images.sh installs it) the rest runs.
registry() {
  if ! command -v docker-registry > /dev/null; then
    log "no docker-registry here: the registry is skipped (npm run images installs it)"
    return 0
  fi
  mkdir -p "$sim/registry"
  cat > "$sim/registry/config.yml" << CONFIG
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $sim/registry/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$registry_port
CONFIG
  start registry docker-registry serve "$sim/registry/config.yml"
  wait_for registry 30 health_of registry
}

# One list instead of `kubectl wait --all`, which checks node by node and, at
# 1,000 nodes on a busy machine, cannot finish within any short timeout.
all_nodes_ready() {
  local out
  out=$(kubectl --kubeconfig "$sim/kubeconfig" get nodes --no-headers) || return 1
  [ -n "$out" ] && ! awk '$2 != "Ready" { bad = 1 } END { exit !bad }' <<< "$out"
}

# Settings of a simulated control plane that carries 1,000 nodes on a shared
# 2-core machine. Client rate limits: the controller-manager's defaults (20
# requests/s, burst 30) make its DaemonSet controller create ~3,000 pods at
# 20/s, and the scheduler binds them at 50/s, so the simulated fleet, not the
# program, would set the rollout time; a 1,000-node control plane is run with
# higher limits (the Kubernetes scalability tests raise them too). Node
# heartbeats: kwok renews one Lease per node; with 1,000 nodes and a
# 40 s lease that is a steady write stream the machine's etcd and API server
# share with the run being measured, and a lease renewed late on a saturated
# machine turns nodes NotReady, taints them and stops scheduling there.
# Longer leases and grace period keep the fleet Ready; nothing here tests
# node failure detection at 1,000 nodes.
control_plane_flags() {
  if [ "${PRIVATE_CLOUD_SIM_STACK:-sim}" = sim-1k ]; then
    cm_flags=(--kube-api-qps=200 --kube-api-burst=400 --node-monitor-grace-period=600s)
    scheduler_flags=(--kube-api-qps=200 --kube-api-burst=400)
    apiserver_flags=(--max-requests-inflight=800 --max-mutating-requests-inflight=400)
    lease_seconds=240
  else
    cm_flags=()
    scheduler_flags=()
    apiserver_flags=()
    lease_seconds=40
  fi
}

up() {
  local t0=$SECONDS cm_flags scheduler_flags apiserver_flags lease_seconds
  control_plane_flags
  need_tools
  mkdir -p "$sim/run" "$sim/logs"
  control_plane_files

  registry
  start_rendered etcd
  wait_for etcd 60 health_of etcd
  start_rendered kube-apiserver ${apiserver_flags[@]+"${apiserver_flags[@]}"}
  wait_for kube-apiserver 120 health_of kube-apiserver
  start_rendered kube-controller-manager ${cm_flags[@]+"${cm_flags[@]}"}
  start_rendered kube-scheduler ${scheduler_flags[@]+"${scheduler_flags[@]}"}
  start kwok kwok --kubeconfig="$sim/kwok.kubeconfig" --config="$repo/scripts/sim-kwok.yaml" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake --manage-nodes-with-label-selector= \
    --manage-single-node= --cidr=10.208.0.0/16 --node-ip=127.0.0.1 --node-lease-duration-seconds="$lease_seconds" \
    --server-address="127.0.0.1:$kwok_port"
  wait_for kube-controller-manager 60 health_of kube-controller-manager
  wait_for kube-scheduler 60 health_of kube-scheduler
  wait_for kwok 60 health_of kwok

  log "registering the nodes of $(basename "$stack_file")'s inventory and the local volumes"
  (cd "$repo" && npx ts-node --transpile-only scripts/sim-nodes.ts "$stack_file") |
    kubectl --kubeconfig "$sim/kubeconfig" apply --server-side --force-conflicts -f - > "$sim/logs/nodes-apply.log"
  # 1,000 kwok nodes take minutes to turn Ready on a loaded 2-core machine.
  local node_wait=120
  [ "${PRIVATE_CLOUD_SIM_STACK:-sim}" = sim-1k ] && node_wait=900
  wait_for "every node" "${PRIVATE_CLOUD_SIM_NODE_WAIT_SECONDS:-$node_wait}" all_nodes_ready
  log "up in $((SECONDS - t0))s: $(kubectl --kubeconfig "$sim/kubeconfig" get nodes --no-headers | wc -l) nodes; kubeconfig $sim/kubeconfig"
  status
}

# Health as each component's own API reports it, not a pid: a process can be
# alive and refuse every connection (starting, wedged, or its port taken).
health_of() { # component -> "ok" | a reason; exit 0 only when healthy
  local c=$1 out
  case "$c" in
    registry) out=$(curl -fsS -m 5 "http://127.0.0.1:$registry_port/v2/" 2>&1 > /dev/null) ;;
    # The client port needs a client certificate (MasterHA's etcd); health is on the metrics port.
    etcd) out=$(curl -fsS -m 5 "http://127.0.0.1:$etcd_metrics_port/health" 2>&1 > /dev/null) ;;
    kube-apiserver) out=$(kubectl --kubeconfig "$sim/kubeconfig" --request-timeout=5s get --raw /readyz 2>&1 > /dev/null) ;;
    kube-controller-manager) out=$(curl -fsSk -m 5 "https://127.0.0.1:$cm_port/healthz" 2>&1 > /dev/null) ;;
    kube-scheduler) out=$(curl -fsSk -m 5 "https://127.0.0.1:$scheduler_port/healthz" 2>&1 > /dev/null) ;;
    kwok) out=$(curl -fsS -m 5 "http://127.0.0.1:$kwok_port/healthz" 2>&1 > /dev/null) ;;
  esac
  local rc=$?
  if [ $rc -eq 0 ]; then echo ok; else echo "${out:-unhealthy}" | tail -n 1; fi
  return $rc
}

status() {
  local c pid h bad=0
  for c in "${components[@]}"; do
    if [ "$c" = registry ] && ! command -v docker-registry > /dev/null; then continue; fi
    if ! pid=$(pid_of "$c"); then
      printf '  %-24s down (not running)\n' "$c"
      bad=1
    elif h=$(health_of "$c"); then
      printf '  %-24s healthy (pid %s)\n' "$c" "$pid"
    else
      printf '  %-24s unhealthy (pid %s): %s\n' "$c" "$pid" "$h"
      bad=1
    fi
  done
  if pid_of kube-apiserver > /dev/null; then
    printf '  %-24s https://127.0.0.1:%s (kubeconfig %s)\n' "API" "$api_port" "$sim/kubeconfig"
  fi
  if pid_of registry > /dev/null; then
    printf '  %-24s 127.0.0.1:%s (npm run images -- --push)\n' "registry" "$registry_port"
  fi
  return $bad
}

down() {
  local i c pid
  for ((i = ${#components[@]} - 1; i >= 0; i--)); do
    c=${components[i]}
    if pid=$(pid_of "$c"); then
      stop_pid "$pid" 100
      log "stopped $c"
    fi
  done
  # The shared state backend (scripts/state-backend.sh) keeps its bucket in $sim too.
  if [ -f "$sim/s3/versitygw.pid" ]; then bash "$repo/scripts/state-backend.sh" down || true; fi
  rm -rf "$sim"
  log "removed $sim"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
