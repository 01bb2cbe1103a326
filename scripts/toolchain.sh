#!/usr/bin/env bash
# Build or find the real toolchain for private-cloud: the Pulumi CLI, the
# Node.js language host, the providers, a Kubernetes control plane (etcd,
# kube-apiserver, controller-manager, scheduler, kubectl), kwok, and the Debian
# tools the tests use. Nothing is downloaded as a prebuilt binary: Go pieces
# are compiled from Go modules (the Go module proxy), the rest comes from
# Debian and npm.
#
# Each tool already on PATH (for example a user's official Pulumi CLI) is used
# as is. Everything else is built into a cache outside the repo, keyed by
# version, and reused by later runs:
#   ${PRIVATE_CLOUD_CACHE:-$HOME/.cache/private-cloud}/toolchain/<piece>/<version>/bin
# Afterwards `source scripts/env.sh` puts it on PATH.
#
# Usage: bash scripts/toolchain.sh            # everything + verification
#   TOOLCHAIN_SKIP_APT=1      skip the Debian packages step
#   TOOLCHAIN_SKIP_SMOKE=1    skip the `pulumi up` smoke test (version checks still run)
#   TOOLCHAIN_IGNORE_PATH=1   build every piece even if a tool is already on PATH
#   TOOLCHAIN_PIECES="pulumi kubernetes ..."  only these pieces (names below)
# The functions below are called through main, tc_step and ensure_piece; with
# the `exit` after main, shellcheck wrongly reports them unreachable (SC2317).
# shellcheck disable=SC2317
set -euo pipefail

# ---------------------------------------------------------------------------
# Chosen versions (probed against the Go module proxy on 2026-11-25). The
# wrapper modules under toolchain/ pin the same versions; the script checks
# that they agree.
#
# Pulumi CLI: newest pkg/v3 + sdk/v3 pair served (pkg v3.270.0 is not served).
#   npm @pulumi/pulumi is 3.270.0; the CLI must be >= the Node SDK.
PULUMI_VERSION=v3.274.1
PULUMI_MIN_VERSION=3.270.0
# Node.js language host: the nested module
#   github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
# is refused by the proxy (403) for every version, `latest` and commit queries.
# sdk/v3 v3.68.0 is the newest served sdk/v3 release that still carries the
# host as a package (sdk/v3/nodejs/cmd/pulumi-language-nodejs); it speaks the
# same LanguageRuntime gRPC protocol, and the CLI falls back for RPCs it lacks.
# It lacks RunPlugin, which this CLI uses to start Node.js policy packs, so a
# small front host of ours (toolchain/nodejs-host, built against sdk/v3
# $PULUMI_VERSION) forwards every call to it and implements RunPlugin.
PULUMI_LANGUAGE_NODEJS_VERSION=v3.68.0
# Kubernetes provider: the proxy serves exactly one pseudo-version of
# provider/v4 (commit f47bc2d6f199 of 2026-01-15, after release 4.24.0 and
# before 4.24.1). npm @pulumi/kubernetes is 4.34.2; the provider is an ambient
# plugin, so the engine does not check that versions match. The version string
# follows Pulumi's own dev-build format.
PULUMI_KUBERNETES_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
PULUMI_KUBERNETES_SDK_MODULE_VERSION=v4.24.0 # provider's go.mod requires it (replaced by ../sdk upstream)
PULUMI_KUBERNETES_VERSION=4.24.1-alpha.1768448096+f47bc2d6f199
# Kubernetes control plane + kubectl: v1.34.4 (newest 1.34 patch served), with
# every staging module mapped to v0.34.4. 1.34 pairs with etcd 3.6 and is
# within the supported skew of the provider's client-go (v0.33) and kwok v0.8.
K8S_VERSION=v1.34.4
# etcd: newest 3.6 patch served (Kubernetes 1.34 is validated against 3.6).
ETCD_VERSION=v3.6.16
# kwok: newest release served; its go.mod asks for go 1.26.0 (machine: 1.26.8).
KWOK_VERSION=v0.8.0
# promtool of the Prometheus release we deploy (stacks/images.ts: v3.6.0 is
# Go module github.com/prometheus/prometheus v0.306.0). Debian's promtool is
# built without Kubernetes service discovery and rejects our prometheus.yml.
PROMETHEUS_MODULE_VERSION=v0.306.0
PROMTOOL_MIN_VERSION=3.0.0
# actionlint lints the GitHub Actions workflows we ship (ci-templates/github);
# v1.7.12 is the newest release the proxy serves.
ACTIONLINT_VERSION=v1.7.12
# versitygw: an S3-compatible gateway with a posix backend, the shared Pulumi
# state backend of the simulated datacenter (as the company's Ceph or MinIO
# serves it in a real one).
VERSITYGW_VERSION=v1.8.0
# kube-score: an auditor independent of our policy pack, run over every object
# of every stack (tests/tools/kube-score.test.ts); v1.20.0 builds here.
KUBE_SCORE_VERSION=v1.20.0
# cyclonus: an independent NetworkPolicy analyzer; the tests feed it the
# platform's policies and compare its verdicts with our reachability matrix
# (tests/tools/cyclonus.test.ts). v0.5.6 is the newest release served.
CYCLONUS_VERSION=v0.5.6
# npm packages used by the smoke test.
NPM_PULUMI_VERSION=3.270.0
NPM_KUBERNETES_VERSION=4.34.2
NPM_RANDOM_VERSION=4.21.2
NPM_POLICY_VERSION=1.21.0
# Refused by the proxy at every version and commit:
# github.com/pulumi/pulumi-random/provider/v4 (plus its fork
# github.com/pulumi/terraform-provider-random) and
# github.com/pulumi/pulumi-command/provider. Used if on PATH, else built by
# scripts/lib/build-providers.sh when that file is present (see
# piece_refused_provider).
# ---------------------------------------------------------------------------

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TC_SHIMS_DIR="$REPO_ROOT/scripts/shims"
# shellcheck source=scripts/lib/toolchain-common.sh
source "$REPO_ROOT/scripts/lib/toolchain-common.sh"

ALL_PIECES="debian pulumi language-nodejs shims kubernetes-provider command-provider random-provider kubernetes etcd kwok promtool lvs-director-agent kubelet etcdctl actionlint versitygw kube-score cyclonus"
PIECES="${TOOLCHAIN_PIECES:-$ALL_PIECES}"
want() { [[ " $PIECES " == *" $1 "* ]]; }

# Go: module and build caches live in the shared cache too, so CI on this
# machine and later runs reuse downloads and compiled packages.
export GOMODCACHE="$PRIVATE_CLOUD_CACHE/go/mod"
export GOCACHE="$PRIVATE_CLOUD_CACHE/go/build"
export GOFLAGS="-buildvcs=false"
export CGO_ENABLED=0
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
GO_BUILD=(nice -n 10 go build -trimpath)

TC_START=$(tc_now)
trap 'tc_on_exit $?' EXIT

# ---------------------------------------------------------------------------
# Debian packages the tests need (separate from the Go builds).
# ---------------------------------------------------------------------------
debian_tools() {
  # command -> Debian package
  local -a wanted=(
    "nginx:nginx"
    "promtool:prometheus"
    "amtool:prometheus-alertmanager"
    "shellcheck:shellcheck"
    "bird:bird2"
    "openssl:openssl"
    # npm run bench:nginx: the load generator and the chart it draws.
    "wrk:wrk"
    "gnuplot:gnuplot-nox"
    # The release web UI's browser tests drive Debian's Chromium through
    # playwright-core (Playwright's own browser download cannot work offline).
    "chromium:chromium"
  )
  local -a missing=()
  local entry cmd pkg
  for entry in "${wanted[@]}"; do
    cmd=${entry%%:*}
    pkg=${entry#*:}
    if command -v "$cmd" >/dev/null 2>&1 || [[ -x "/usr/sbin/$cmd" ]]; then
      tc_log "  $cmd: $(command -v "$cmd" 2>/dev/null || echo "/usr/sbin/$cmd")"
    else
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    tc_log "  all Debian tools present"
    return 0
  fi
  tc_log "  installing from Debian: ${missing[*]}"
  local -a sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null 2>&1 || {
      tc_warn "not root and no sudo: install these Debian packages by hand: ${missing[*]}"
      return 1
    }
    sudo=(sudo)
  fi
  # Don't let package scripts start daemons (nginx would bind port 80,
  # prometheus 9090): we only need the binaries for config checks.
  local policy=/usr/sbin/policy-rc.d made_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    made_policy=1
  fi
  local rc=0
  { "${sudo[@]}" apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } || rc=$?
  if ((made_policy)); then "${sudo[@]}" rm -f "$policy"; fi
  return "$rc"
}

# ---------------------------------------------------------------------------
# Go builds
# ---------------------------------------------------------------------------
check_go() {
  command -v go >/dev/null 2>&1 || tc_die "Go is not on PATH (this machine kind ships it at /usr/local/go/bin)"
  local v
  v=$(go env GOVERSION)
  tc_log "  $v, GOMODCACHE=$GOMODCACHE GOCACHE=$GOCACHE"
  case "$v" in
  go1.2[6-9]* | go1.[3-9]*) ;;
  *) tc_die "Go >= 1.26 is needed (found $v)" ;;
  esac
}

# The cache key of a wrapper-module piece: its version plus a hash of the
# wrapper's go.mod/go.sum, so a dependency bump rebuilds.
wrapper_key() {
  local version=$1 dir=$2
  printf '%s-%s' "$version" "$(cat "$dir/go.mod" "$dir/go.sum" | sha256sum | cut -c1-8)"
}

# Fail early if a wrapper module pins another version than the one above.
check_wrapper_pin() {
  local dir=$1 mod=$2 version=$3
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?${mod}[[:space:]]+${version}([[:space:]]|$)" "$dir/go.mod" ||
    tc_die "$dir/go.mod does not require $mod $version (update both together)"
}

# build_wrapper STAGE WRAPPER_DIR LDFLAGS PKG...: go build main packages of a
# wrapper module into STAGE/bin.
build_wrapper() {
  local stage=$1 dir=$2 ldflags=$3
  shift 3
  cd "$dir"
  go mod download
  "${GO_BUILD[@]}" -ldflags "$ldflags" -o "$stage/bin/" "$@"
}

# ensure_piece PIECE VERSION_KEY "TOOLS..." BUILD_FN ARGS...: use the tools if
# all are on PATH already, else reuse or build the cached version.
ensure_piece() {
  local piece=$1 key=$2 tools=$3 fn=$4
  shift 4
  local t p found=1 where=()
  if [[ "${TOOLCHAIN_IGNORE_PATH:-0}" != 1 ]]; then
    for t in $tools; do
      if p=$(tc_foreign_on_path "$t"); then where+=("$p"); else found=0; fi
    done
    if ((found)) && [[ -n "${PIECE_PATH_CHECK:-}" ]] && ! "$PIECE_PATH_CHECK" "${where[@]}"; then
      found=0
    fi
    if ((found)); then
      tc_log "  using what is on PATH: ${where[*]}"
      # shellcheck disable=SC2086
      tc_unlink $tools
      return 0
    fi
  fi
  if tc_installed "$piece" "$key"; then
    tc_log "  cached: $TC_ROOT/$piece/$key"
    tc_link "$TC_ROOT/$piece/$key"
    return 0
  fi
  tc_build_atomic "$piece" "$key" "$fn" "$@"
}

# version_at_least MIN ACTUAL
version_at_least() { [[ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" == "$1" ]]; }

# An official CLI on PATH is used only if it is at least the Node SDK's version.
pulumi_on_path_ok() {
  local v
  v=$("$1" version 2>/dev/null | sed 's/^v//; s/[-+].*//') || return 1
  if ! version_at_least "$PULUMI_MIN_VERSION" "$v"; then
    tc_warn "  $1 is $v, older than $PULUMI_MIN_VERSION: building $PULUMI_VERSION instead"
    return 1
  fi
}

# An etcd on PATH (Debian's etcd-server is 3.4) is used only if it is 3.5 or
# newer, the oldest etcd that Kubernetes 1.34 supports.
ETCD_MIN_VERSION=3.5.0
etcd_on_path_ok() {
  local v
  v=$("$1" --version 2>/dev/null | sed -n 's/^etcd Version: //p') || return 1
  if [[ -z "$v" ]] || ! version_at_least "$ETCD_MIN_VERSION" "$v"; then
    tc_warn "  $1 is ${v:-of unknown version}, older than $ETCD_MIN_VERSION: building $ETCD_VERSION instead"
    return 1
  fi
}

piece_pulumi() {
  local dir="$REPO_ROOT/toolchain/pulumi"
  check_wrapper_pin "$dir" github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION"
  check_wrapper_pin "$dir" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
  PIECE_PATH_CHECK=pulumi_on_path_ok ensure_piece pulumi "$(wrapper_key "$PULUMI_VERSION" "$dir")" "pulumi" \
    build_wrapper "$dir" "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

piece_language_nodejs() {
  local dir="$REPO_ROOT/toolchain/language-nodejs" front="$REPO_ROOT/toolchain/nodejs-host"
  check_wrapper_pin "$dir" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_LANGUAGE_NODEJS_VERSION"
  check_wrapper_pin "$front" github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION"
  local key
  key="$(wrapper_key "$PULUMI_LANGUAGE_NODEJS_VERSION" "$dir")-$(cat "$front"/go.mod "$front"/go.sum "$front"/*.go | sha256sum | cut -c1-8)"
  ensure_piece language-nodejs "$key" "pulumi-language-nodejs" build_language_nodejs "$dir" "$front"
}
# The upstream host (sdk/v3 v3.68.0) as pulumi-language-nodejs-upstream, and
# our front host (toolchain/nodejs-host) as pulumi-language-nodejs: it forwards
# to the upstream host and adds RunPlugin, which the current CLI uses to start
# Node.js policy packs.
build_language_nodejs() {
  local stage=$1 dir=$2 front=$3
  cd "$dir"
  go mod download
  "${GO_BUILD[@]}" -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_NODEJS_VERSION" \
    -o "$stage/bin/pulumi-language-nodejs-upstream" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
  cd "$front"
  go mod download
  "${GO_BUILD[@]}" -ldflags "-s -w" -o "$stage/bin/pulumi-language-nodejs" .
}

piece_shims() {
  local s
  for s in pulumi-analyzer-policy pulumi-resource-pulumi-nodejs; do
    [[ -x "$TC_SHIMS_DIR/$s" ]] || tc_die "missing or not executable: $TC_SHIMS_DIR/$s"
    tc_log "  $s: $TC_SHIMS_DIR/$s"
  done
  command -v node >/dev/null 2>&1 || tc_die "node is not on PATH (the shims and the language host run it)"
  tc_log "  node $(node --version)"
}

# The Kubernetes provider embeds schema-embed.json and terraform-mapping-embed.json,
# generated from schema.json by its own generator; they are not in the module
# zip. Copy the module out of the module cache, make it writable, point the
# sdk/v4 dependency (replaced by ../sdk upstream) at the published module,
# generate, then build with the version injected.
build_kubernetes_provider() {
  local stage=$1
  local mod=github.com/pulumi/pulumi-kubernetes/provider/v4
  local src
  src=$(go mod download -json "$mod@$PULUMI_KUBERNETES_MODULE_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d "$src" ]] || {
    echo "go mod download $mod@$PULUMI_KUBERNETES_MODULE_VERSION gave no directory"
    return 1
  }
  local work="$stage/src"
  cp -r "$src" "$work"
  chmod -R u+w "$work"
  cd "$work"
  go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
    -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@$PULUMI_KUBERNETES_SDK_MODULE_VERSION"
  export GOFLAGS="$GOFLAGS -mod=mod"
  (cd cmd/pulumi-resource-kubernetes && VERSION="$PULUMI_KUBERNETES_VERSION" nice -n 10 go run generate.go)
  ls -l cmd/pulumi-resource-kubernetes/schema-embed.json cmd/pulumi-resource-kubernetes/terraform-mapping-embed.json
  "${GO_BUILD[@]}" -ldflags "-s -w -X $mod/pkg/version.Version=$PULUMI_KUBERNETES_VERSION" \
    -o "$stage/bin/" ./cmd/pulumi-resource-kubernetes
  cd "$stage"
  rm -rf "$work"
}

piece_kubernetes_provider() {
  ensure_piece kubernetes-provider "$PULUMI_KUBERNETES_MODULE_VERSION" "pulumi-resource-kubernetes" \
    build_kubernetes_provider
}

# Providers whose upstream Go modules the proxy refuses (random, command):
# a tool already on PATH is used; otherwise scripts/lib/build-providers.sh,
# when present, builds this project's own replacements (build_random_provider,
# build_command_provider); otherwise the provider is reported unavailable.
# A failure here is reported but does not stop the rest of the toolchain.
if [[ -f "$REPO_ROOT/scripts/lib/build-providers.sh" ]]; then
  # shellcheck source=/dev/null
  source "$REPO_ROOT/scripts/lib/build-providers.sh"
fi
piece_refused_provider() {
  local tool=$1 builder=$2 why=$3 p
  if [[ "${TOOLCHAIN_IGNORE_PATH:-0}" != 1 ]] && p=$(tc_foreign_on_path "$tool"); then
    tc_log "  using what is on PATH: $p"
    tc_unlink "$tool"
  elif declare -F "$builder" >/dev/null; then
    if ! "$builder"; then
      tc_warn "  $tool: $builder failed (see above); continuing without it"
      TC_UNAVAILABLE+=("$tool")
    fi
  else
    tc_warn "  $tool is not on PATH and cannot be built here: $why"
    TC_UNAVAILABLE+=("$tool")
  fi
}

# The linker flags of every Kubernetes binary we build: the version variables
# Kubernetes' own build (hack/lib/version.sh) sets.
k8s_ldflags() {
  local minor=${K8S_VERSION#v1.} ld="-s -w" p
  minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  printf '%s' "$ld"
}

piece_kubernetes() {
  local dir="$REPO_ROOT/toolchain/kubernetes"
  check_wrapper_pin "$dir" k8s.io/kubernetes "$K8S_VERSION"
  local ld
  ld=$(k8s_ldflags)
  ensure_piece kubernetes "$(wrapper_key "$K8S_VERSION" "$dir")" \
    "kube-apiserver kube-controller-manager kube-scheduler kubectl" \
    build_wrapper "$dir" "$ld" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

# kubelet and etcdctl go into the installer image (images/installer), not the
# simulated datacenter. Each is a wrapper module of its own, so adding them did
# not change the cache keys of the kubernetes and etcd pieces.
piece_kubelet() {
  local dir="$REPO_ROOT/toolchain/kubelet"
  check_wrapper_pin "$dir" k8s.io/kubernetes "$K8S_VERSION"
  local ld
  ld=$(k8s_ldflags)
  ensure_piece kubelet "$(wrapper_key "$K8S_VERSION" "$dir")" "kubelet" \
    build_wrapper "$dir" "$ld" k8s.io/kubernetes/cmd/kubelet
}

piece_etcdctl() {
  local dir="$REPO_ROOT/toolchain/etcdctl"
  check_wrapper_pin "$dir" go.etcd.io/etcd/etcdctl/v3 "$ETCD_VERSION"
  ensure_piece etcdctl "$(wrapper_key "$ETCD_VERSION" "$dir")" "etcdctl" build_etcdctl "$dir"
}
build_etcdctl() {
  # A module-root main package: name the binary (it would be "v3").
  local stage=$1 dir=$2
  cd "$dir"
  go mod download
  "${GO_BUILD[@]}" -ldflags "-s -w" -o "$stage/bin/etcdctl" go.etcd.io/etcd/etcdctl/v3
}

piece_etcd() {
  local dir="$REPO_ROOT/toolchain/etcd"
  check_wrapper_pin "$dir" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  PIECE_PATH_CHECK=etcd_on_path_ok ensure_piece etcd "$(wrapper_key "$ETCD_VERSION" "$dir")" "etcd" build_etcd "$dir"
}
build_etcd() {
  # The main package is the server module root, so the binary would be named
  # "v3": build it under its real name.
  local stage=$1 dir=$2
  cd "$dir"
  go mod download
  "${GO_BUILD[@]}" -ldflags "-s -w" -o "$stage/bin/etcd" go.etcd.io/etcd/server/v3
}

piece_kwok() {
  local dir="$REPO_ROOT/toolchain/kwok"
  check_wrapper_pin "$dir" sigs.k8s.io/kwok "$KWOK_VERSION"
  ensure_piece kwok "$(wrapper_key "$KWOK_VERSION" "$dir")" "kwok" \
    build_wrapper "$dir" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" sigs.k8s.io/kwok/cmd/kwok
}

# A promtool on PATH counts only if it is Prometheus 3 (Debian's 2.x lacks
# Kubernetes service discovery).
promtool_on_path_ok() {
  local v
  v=$("$1" --version 2>&1 | sed -n 's/^promtool, version \([0-9.]*\).*/\1/p') || return 1
  if [[ -z "$v" ]] || ! version_at_least "$PROMTOOL_MIN_VERSION" "$v"; then
    tc_log "  $1 is ${v:-of unknown version} (no Kubernetes service discovery): building promtool from $PROMETHEUS_MODULE_VERSION"
    return 1
  fi
}

piece_promtool() {
  local dir="$REPO_ROOT/toolchain/promtool"
  check_wrapper_pin "$dir" github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION"
  PIECE_PATH_CHECK=promtool_on_path_ok ensure_piece promtool "$(wrapper_key "$PROMETHEUS_MODULE_VERSION" "$dir")" "promtool" \
    build_wrapper "$dir" "-s -w" github.com/prometheus/prometheus/cmd/promtool
}

# Our own FULLNAT director agent (controllers/lvs-director-agent). Never taken
# from PATH: it is this repository's program, keyed by a hash of its sources,
# so any change rebuilds it. Its k8s.io modules are the same versions as the
# Kubernetes build above, so the module cache is shared.
piece_lvs_director_agent() {
  local dir="$REPO_ROOT/controllers/lvs-director-agent" key
  key="$(cd "$dir" && find . -name '*.go' -not -name '*_test.go' -o -name go.mod -o -name go.sum -o -name '*.json' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)"
  if tc_installed lvs-director-agent "$key"; then
    tc_log "  cached: $TC_ROOT/lvs-director-agent/$key"
    tc_link "$TC_ROOT/lvs-director-agent/$key"
    return 0
  fi
  tc_build_atomic lvs-director-agent "$key" build_wrapper "$dir" "-s -w" ./cmd/lvs-director-agent
}

piece_actionlint() {
  local dir="$REPO_ROOT/toolchain/actionlint"
  check_wrapper_pin "$dir" github.com/rhysd/actionlint "$ACTIONLINT_VERSION"
  ensure_piece actionlint "$(wrapper_key "$ACTIONLINT_VERSION" "$dir")" "actionlint" \
    build_wrapper "$dir" "-s -w -X github.com/rhysd/actionlint.version=$ACTIONLINT_VERSION" github.com/rhysd/actionlint/cmd/actionlint
}

piece_versitygw() {
  local dir="$REPO_ROOT/toolchain/versitygw"
  check_wrapper_pin "$dir" github.com/versity/versitygw "$VERSITYGW_VERSION"
  ensure_piece versitygw "$(wrapper_key "$VERSITYGW_VERSION" "$dir")" "versitygw" \
    build_wrapper "$dir" "-s -w -X main.Version=$VERSITYGW_VERSION" github.com/versity/versitygw/cmd/versitygw
}

piece_kube_score() {
  local dir="$REPO_ROOT/toolchain/kube-score"
  check_wrapper_pin "$dir" github.com/zegl/kube-score "$KUBE_SCORE_VERSION"
  ensure_piece kube-score "$(wrapper_key "$KUBE_SCORE_VERSION" "$dir")" "kube-score" \
    build_wrapper "$dir" "-s -w -X main.version=${KUBE_SCORE_VERSION#v}" github.com/zegl/kube-score/cmd/kube-score
}

piece_cyclonus() {
  local dir="$REPO_ROOT/toolchain/cyclonus"
  check_wrapper_pin "$dir" github.com/mattfenwick/cyclonus "$CYCLONUS_VERSION"
  ensure_piece cyclonus "$(wrapper_key "$CYCLONUS_VERSION" "$dir")" "cyclonus" \
    build_wrapper "$dir" "-s -w" github.com/mattfenwick/cyclonus/cmd/cyclonus
}

# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------
verify_versions() {
  # shellcheck source=scripts/env.sh
  source "$REPO_ROOT/scripts/env.sh"
  local t
  for t in pulumi pulumi-language-nodejs pulumi-resource-kubernetes kube-apiserver kube-controller-manager \
    kube-scheduler kubectl etcd kwok pulumi-analyzer-policy pulumi-resource-pulumi-nodejs; do
    command -v "$t" >/dev/null 2>&1 || tc_die "$t is not on PATH after sourcing scripts/env.sh"
    tc_log "  $t -> $(command -v "$t")"
  done
  tc_log "  pulumi version: $(pulumi version)"
  tc_log "  $(kube-apiserver --version)"
  tc_log "  $(kubectl version --client 2>/dev/null | head -n1)"
  tc_log "  $(etcd --version | head -n1)"
  tc_log "  kwok $(kwok --version 2>&1 | head -n1)"
}

# A real `pulumi up` with a local file backend and a passphrase secrets
# provider: a TypeScript program through the language host, a dynamic-provider
# resource (our pulumi-resource-pulumi-nodejs shim), a policy pack (through
# the language host's RunPlugin), a Kubernetes ConfigMap
# through the ambient kubernetes provider (rendered to YAML, no cluster
# needed), and a RandomString when pulumi-resource-random is on PATH.
verify_smoke() {
  # shellcheck source=scripts/env.sh
  source "$REPO_ROOT/scripts/env.sh"
  local tmp
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/private-cloud-smoke.XXXXXX")
  local have_random=0
  if command -v pulumi-resource-random >/dev/null 2>&1; then have_random=1; fi
  local rc=0
  set +e
  (
    set -euo pipefail
    cd "$tmp"
    export PULUMI_HOME="$tmp/pulumi-home"
    export PULUMI_CONFIG_PASSPHRASE=smoke-test-only
    # Again for this PULUMI_HOME: env.sh registers the plugins in its cache.
    # shellcheck source=scripts/env.sh
    source "$REPO_ROOT/scripts/env.sh"
    mkdir -p state proj
    cd proj
    cat >Pulumi.yaml <<'EOF'
name: toolchain-smoke
runtime:
  name: nodejs
  options:
    typescript: true
description: toolchain smoke test
EOF
    cat >package.json <<'EOF'
{ "name": "toolchain-smoke", "private": true, "main": "index.ts" }
EOF
    cat >tsconfig.json <<'EOF'
{ "compilerOptions": { "strict": true, "target": "es2020", "module": "commonjs", "moduleResolution": "node", "skipLibCheck": true } }
EOF
    local -a pkgs=("@pulumi/pulumi@$NPM_PULUMI_VERSION" "@pulumi/kubernetes@$NPM_KUBERNETES_VERSION"
      "@pulumi/policy@$NPM_POLICY_VERSION" typescript@5 @types/node@20)
    if ((have_random)); then pkgs+=("@pulumi/random@$NPM_RANDOM_VERSION"); fi
    tc_log "  npm install ${pkgs[*]} (--ignore-scripts)"
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error "${pkgs[@]}" >npm.log 2>&1 || {
      cat npm.log
      exit 1
    }
    {
      cat <<'EOF'
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

// A dynamic provider runs through pulumi-resource-pulumi-nodejs.
const echo: pulumi.dynamic.ResourceProvider = {
  async create(inputs: any) {
    return { id: "echo-" + inputs.message, outs: { message: inputs.message } };
  },
};
class Echo extends pulumi.dynamic.Resource {
  public readonly message!: pulumi.Output<string>;
  constructor(name: string, message: string) {
    super(echo, name, { message }, {});
  }
}
const e = new Echo("echo", "hello");

// The ambient kubernetes provider, rendering YAML instead of applying.
const render = new k8s.Provider("render", { renderYamlToDirectory: "rendered" });
const cm = new k8s.core.v1.ConfigMap("smoke", {
  metadata: { name: "smoke" },
  data: { hello: "world" },
}, { provider: render });

export const echoed = e.message;
export const configMapName = cm.metadata.name;
EOF
      if ((have_random)); then
        cat <<'EOF'
import * as random from "@pulumi/random";
export const randomLength = new random.RandomString("smoke", { length: 12 }).result.apply(r => r.length);
EOF
      fi
    } >index.ts
    # A policy pack sharing the program's node_modules: one advisory policy
    # that reports every ConfigMap, so the output proves the pack ran.
    mkdir -p ../policy
    ln -s ../proj/node_modules ../policy/node_modules
    cp tsconfig.json ../policy/
    printf 'runtime: nodejs\ndescription: toolchain smoke policy\n' >../policy/PulumiPolicy.yaml
    printf '{ "name": "smoke-policy", "version": "0.0.1", "private": true, "main": "index.ts" }\n' >../policy/package.json
    cat >../policy/index.ts <<'EOF'
import { PolicyPack } from "@pulumi/policy";
new PolicyPack("smoke-policy", {
  policies: [{
    name: "smoke-sees-configmaps",
    description: "Reports each ConfigMap (proves the policy pack runs)",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
      if (args.type === "kubernetes:core/v1:ConfigMap") { reportViolation("smoke policy saw " + args.name); }
    },
  }],
});
EOF
    pulumi login "file://$tmp/state"
    pulumi stack init smoke --secrets-provider passphrase
    pulumi up --yes --skip-preview --non-interactive --policy-pack ../policy | tee up.log
    grep -q 'smoke policy saw smoke' up.log || {
      echo "the smoke policy pack did not report the ConfigMap" >&2
      exit 1
    }
    pulumi stack output --json
    [[ "$(pulumi stack output echoed)" == hello ]]
    grep -rq 'hello: world' rendered
    if ((have_random)); then [[ "$(pulumi stack output randomLength)" == 12 ]]; fi
    pulumi destroy --yes --skip-preview --non-interactive
  )
  rc=$?
  set -e
  if ((rc != 0)); then
    tc_warn "smoke test failed; its files are kept in $tmp"
    return 1
  fi
  rm -rf "$tmp"
}

# ---------------------------------------------------------------------------
main() {
  TC_UNAVAILABLE=()
  mkdir -p "$TC_BIN"
  # One run at a time per cache (a developer and CI on the same machine):
  # builds stage in the cache and a second run would clear the first one's.
  exec 9>"$TC_ROOT/.lock"
  if ! flock -n 9; then
    tc_log "another toolchain.sh run holds $TC_ROOT/.lock; waiting for it"
    flock 9
  fi
  tc_log "cache: $TC_ROOT"
  if want debian; then
    if [[ "${TOOLCHAIN_SKIP_APT:-0}" == 1 ]]; then
      tc_log "skipping Debian packages (TOOLCHAIN_SKIP_APT=1)"
    else
      tc_step "debian tools (nginx, promtool, amtool, shellcheck, bird, openssl)" debian_tools
    fi
  fi
  tc_step "go" check_go
  if want pulumi; then tc_step "pulumi CLI $PULUMI_VERSION" piece_pulumi; fi
  if want language-nodejs; then tc_step "pulumi-language-nodejs $PULUMI_LANGUAGE_NODEJS_VERSION" piece_language_nodejs; fi
  if want shims; then tc_step "node shims" piece_shims; fi
  if want kubernetes-provider; then tc_step "pulumi-resource-kubernetes $PULUMI_KUBERNETES_VERSION" piece_kubernetes_provider; fi
  if want command-provider; then
    tc_step "pulumi-resource-command" piece_refused_provider pulumi-resource-command build_command_provider \
      "the proxy refuses github.com/pulumi/pulumi-command/provider (403 at every version and commit)"
  fi
  if want random-provider; then
    tc_step "pulumi-resource-random" piece_refused_provider pulumi-resource-random build_random_provider \
      "the proxy refuses github.com/pulumi/pulumi-random/provider/v4 and its terraform-provider-random fork (403)"
  fi
  if want kubernetes; then tc_step "kubernetes $K8S_VERSION (apiserver, controller-manager, scheduler, kubectl)" piece_kubernetes; fi
  if want etcd; then tc_step "etcd $ETCD_VERSION" piece_etcd; fi
  if want kwok; then tc_step "kwok $KWOK_VERSION" piece_kwok; fi
  if want promtool; then tc_step "promtool (Prometheus $PROMETHEUS_MODULE_VERSION)" piece_promtool; fi
  if want lvs-director-agent; then tc_step "lvs-director-agent (controllers/lvs-director-agent)" piece_lvs_director_agent; fi
  if want kubelet; then tc_step "kubelet $K8S_VERSION (installer image)" piece_kubelet; fi
  if want etcdctl; then tc_step "etcdctl $ETCD_VERSION (installer image)" piece_etcdctl; fi
  if want actionlint; then tc_step "actionlint $ACTIONLINT_VERSION" piece_actionlint; fi
  if want versitygw; then tc_step "versitygw $VERSITYGW_VERSION" piece_versitygw; fi
  if want kube-score; then tc_step "kube-score $KUBE_SCORE_VERSION" piece_kube_score; fi
  if want cyclonus; then tc_step "cyclonus $CYCLONUS_VERSION" piece_cyclonus; fi

  if [[ "$PIECES" == "$ALL_PIECES" ]]; then
    tc_step "verify: versions" verify_versions
    if [[ "${TOOLCHAIN_SKIP_SMOKE:-0}" == 1 ]]; then
      tc_log "skipping smoke test (TOOLCHAIN_SKIP_SMOKE=1)"
    else
      tc_step "verify: pulumi up smoke test" verify_smoke
    fi
  fi

  tc_log "summary:"
  local line
  for line in "${TC_TIMINGS[@]}"; do tc_log "  $line"; done
  tc_log "  total: $(tc_fmt_secs $(($(tc_now) - TC_START)))"
  if ((${#TC_UNAVAILABLE[@]})); then
    tc_warn "not available on this machine: ${TC_UNAVAILABLE[*]} (see above)"
  fi
  tc_log "ready: run 'source scripts/env.sh' to put the toolchain on PATH"
}

# `exit` on the same line: bash reads a script as it runs, so an edit made
# while it runs must not be read after main returns.
main "$@"; exit
