# shellcheck shell=bash
# Build the random and command resource providers from Go modules, into the
# toolchain cache, and check them with a real `pulumi up`. Sourced, not run.
#
#   build_random_provider    pulumi-resource-random  (toolchain/random-provider)
#   build_command_provider   pulumi-resource-command (toolchain/command-provider)
#   providers_smoke_test     up / up again (no changes) / destroy of a tiny
#                            Node.js program using both providers
#
# The Go module proxy refuses github.com/pulumi/pulumi-random/provider/v4, its
# fork github.com/pulumi/terraform-provider-random and
# github.com/pulumi/pulumi-command/provider at every version, and
# github.com/pulumi/pulumi-go-provider too. So:
# - random is the real Terraform random provider (a Plugin Framework provider,
#   module github.com/terraform-providers/terraform-provider-random at the
#   pseudo-version pulumi-terraform-bridge v3.120.0 itself requires) served
#   through github.com/pulumi/pulumi-terraform-bridge/v3 v3.120.0 (pkg/pf),
#   with our own token mapping and our own shim module (its code is under
#   internal/). Its schema and bridge metadata are generated at build time
#   by our pulumi-tfgen-random.
# - command is our own provider, written on the provider gRPC protocol of
#   github.com/pulumi/pulumi/sdk/v3 (the CLI's version) and golang.org/x/crypto/ssh.
#
# Versions: the Node SDKs ask for plugin versions 4.21.2 (@pulumi/random) and
# v4.5.0 (@pulumi/command); ambient plugins on PATH are not version-checked.
# The binaries report the SDK version they serve plus build metadata saying
# they are this project's builds, not upstream's binaries (semver ignores
# build metadata for precedence, so they still compare equal to 4.21.2/4.5.0).
#
# Layout (as scripts/lib/toolchain-common.sh):
#   $PRIVATE_CLOUD_CACHE/toolchain/<piece>/<version>-<source hash>/bin/<binary>
# with a symlink in $PRIVATE_CLOUD_CACHE/toolchain/bin. The source hash
# rebuilds after any change to the wrapper module; otherwise a warm call
# only re-links (instant).
#
# Environment:
#   PRIVATE_CLOUD_CACHE   cache root (default $HOME/.cache/private-cloud)
#   GOTOOLCHAIN           default local (Go >= 1.26 on PATH)
#   GOPROXY etc.          as in the caller's environment
#   TOOLCHAIN_IGNORE_PATH=1 build ours even if the binary is already on PATH
#                           (outside the cache), as scripts/toolchain.sh
#   PROVIDERS_SMOKE_KEEP=1  keep the smoke test's temp dir

RANDOM_PROVIDER_VERSION="4.21.2+private-cloud.1"
COMMAND_PROVIDER_VERSION="4.5.0+private-cloud.1"

_BP_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if ! declare -F tc_build_atomic >/dev/null; then
  # shellcheck source=scripts/lib/toolchain-common.sh
  source "$_BP_REPO/scripts/lib/toolchain-common.sh"
fi
# tc_foreign_on_path skips this dir (scripts/toolchain.sh sets it too).
TC_SHIMS_DIR="${TC_SHIMS_DIR:-$_BP_REPO/scripts/shims}"

# The Go environment of scripts/toolchain.sh, for the build subshells.
_bp_go_env() {
  export GOMODCACHE="$PRIVATE_CLOUD_CACHE/go/mod"
  export GOCACHE="$PRIVATE_CLOUD_CACHE/go/build"
  export GOFLAGS="-buildvcs=false"
  export CGO_ENABLED=0
  export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
}

# _bp_source_key VERSION DIR: VERSION-<hash of the module's sources>.
_bp_source_key() {
  local version=$1 dir=$2
  local hash
  hash=$(cd "$dir" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) ! -name '*_test.go' -print |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-8)
  printf '%s-%s' "$version" "$hash"
}

# _bp_ensure PIECE KEY BINARY LABEL BUILD_FN [ARGS...]: reuse the cached build or make
# it (atomically, under a per-piece lock), then link it into $TC_BIN.
_bp_ensure() {
  local piece=$1 key=$2 binary=$3 label=$4 fn=$5
  shift 5
  local dir="$TC_ROOT/$piece/$key" p
  # As scripts/toolchain.sh does for every piece: a provider a user installed
  # on PATH (e.g. the official plugin) wins, unless TOOLCHAIN_IGNORE_PATH=1.
  if [[ "${TOOLCHAIN_IGNORE_PATH:-0}" != 1 ]] && p=$(tc_foreign_on_path "$binary"); then
    tc_unlink "$binary"
    tc_log "  $label: using what is on PATH: $p (TOOLCHAIN_IGNORE_PATH=1 builds ours)"
    return 0
  fi
  if [[ -x "$dir/bin/$binary" ]]; then
    tc_link "$dir"
    tc_log "  $label: cached $dir/bin/$binary"
    return 0
  fi
  command -v go >/dev/null 2>&1 || {
    tc_warn "$label: Go is not on PATH; cannot build $binary"
    return 1
  }
  mkdir -p "$TC_ROOT/$piece"
  local lock_fd rc=0 t0
  exec {lock_fd}>"$TC_ROOT/$piece/.lock"
  if command -v flock >/dev/null 2>&1 && ! flock -n "$lock_fd"; then
    tc_log "  $label: another build holds $TC_ROOT/$piece/.lock; waiting"
    flock "$lock_fd"
  fi
  if [[ -x "$dir/bin/$binary" ]]; then # built meanwhile by the lock holder
    tc_link "$dir"
    tc_log "  $label: cached $dir/bin/$binary"
  else
    t0=$(tc_now)
    tc_build_atomic "$piece" "$key" "$fn" "$@" || rc=$?
    if ((rc == 0)); then
      tc_log "  $label: built $dir/bin/$binary in $(tc_fmt_secs $(($(tc_now) - t0)))"
    else
      tc_warn "$label: build FAILED after $(tc_fmt_secs $(($(tc_now) - t0))) (log: $TC_LOG_DIR/$piece-$key.log)"
    fi
  fi
  exec {lock_fd}>&-
  return "$rc"
}

# _bp_step LABEL CMD...: one timed, logged step of a build (in the build log).
# Every step checks its own status: a caller's `build_x || ...` switches
# `set -e` off even inside tc_build_atomic's subshell.
_bp_step() {
  local label=$1 t0 rc=0
  shift
  t0=$(date +%s)
  echo "==> $label"
  "$@" || rc=$?
  if ((rc != 0)); then
    echo "FAILED: $label (exit $rc)"
    return "$rc"
  fi
  echo "<== $label ($(($(date +%s) - t0))s)"
}

# ---------------------------------------------------------------------------
# random

build_random_provider() {
  local src="$_BP_REPO/toolchain/random-provider"
  [[ -f "$src/go.mod" ]] || {
    tc_warn "random provider: $src/go.mod is missing"
    return 1
  }
  _bp_ensure random-provider "$(_bp_source_key "$RANDOM_PROVIDER_VERSION" "$src")" \
    pulumi-resource-random "random provider $RANDOM_PROVIDER_VERSION" _bp_build_random "$src"
}

# Runs in tc_build_atomic's subshell (set -e, output to the build log).
_bp_build_random() {
  local stage=$1 src=$2
  _bp_go_env
  local work="$stage/src" gen="$stage/src/cmd/pulumi-resource-random"
  # A private copy: the generated schema.json/bridge-metadata.json are
  # embedded in the binary and must not land in the shared work tree.
  mkdir -p "$work" && cp -r "$src/." "$work/" && cd "$work" || return 1
  rm -f "$gen/schema.json" "$gen/bridge-metadata.json"
  _bp_step "go mod download" nice -n 10 go mod download || return 1
  # The upstream provider's module dir: tfgen reads its docs/ for descriptions.
  local upstream
  upstream=$(go list -m -f '{{.Dir}}' github.com/terraform-providers/terraform-provider-random) || return 1
  _bp_step "build pulumi-tfgen-random" \
    nice -n 10 go build -trimpath -o "$stage/tfgen/" ./cmd/pulumi-tfgen-random || return 1
  # PULUMI_CONVERT=false: examples are converted in-process (the default
  # shells out to `pulumi convert` and a Terraform converter plugin that is
  # not available here); an example that fails to convert is left out.
  _bp_step "generate schema.json + bridge-metadata.json" \
    env RANDOM_UPSTREAM_DIR="$upstream" PULUMI_CONVERT=false \
    "$stage/tfgen/pulumi-tfgen-random" schema --out "$gen" || return 1
  [[ -s "$gen/schema.json" && -s "$gen/bridge-metadata.json" ]] || {
    echo "pulumi-tfgen-random wrote no schema.json/bridge-metadata.json in $gen"
    return 1
  }
  _bp_step "build pulumi-resource-random" nice -n 10 go build -trimpath \
    -ldflags "-s -w -X private-cloud/toolchain/random-provider/provider.Version=$RANDOM_PROVIDER_VERSION" \
    -o "$stage/bin/" ./cmd/pulumi-resource-random || return 1
  mkdir -p "$stage/share" && cp "$gen/schema.json" "$stage/share/random-schema.json" || return 1
  local v
  v=$("$stage/bin/pulumi-resource-random" -version) || return 1
  [[ "$v" == "$RANDOM_PROVIDER_VERSION" ]] || {
    echo "pulumi-resource-random -version says '$v', expected '$RANDOM_PROVIDER_VERSION'"
    return 1
  }
  cd "$stage" && rm -rf "$work" "$stage/tfgen"
}

# ---------------------------------------------------------------------------
# command

build_command_provider() {
  local src="$_BP_REPO/toolchain/command-provider"
  [[ -f "$src/go.mod" ]] || {
    tc_warn "command provider: $src/go.mod is missing"
    return 1
  }
  _bp_ensure command-provider "$(_bp_source_key "$COMMAND_PROVIDER_VERSION" "$src")" \
    pulumi-resource-command "command provider $COMMAND_PROVIDER_VERSION" _bp_build_command "$src"
}

_bp_build_command() {
  local stage=$1 src=$2
  _bp_go_env
  cd "$src" || return 1
  _bp_step "go mod download" nice -n 10 go mod download || return 1
  _bp_step "build pulumi-resource-command" nice -n 10 go build -trimpath \
    -ldflags "-s -w -X main.Version=$COMMAND_PROVIDER_VERSION" \
    -o "$stage/bin/pulumi-resource-command" . || return 1
  local v
  v=$("$stage/bin/pulumi-resource-command" -version) || return 1
  [[ "$v" == "$COMMAND_PROVIDER_VERSION" ]] || {
    echo "pulumi-resource-command -version says '$v', expected '$COMMAND_PROVIDER_VERSION'"
    return 1
  }
}

# ---------------------------------------------------------------------------
# Smoke test

# providers_smoke_test: in a temp dir, with a local file backend, a Node.js
# program creates a RandomPassword, a RandomBytes and a local Command
# (`echo hi`); `pulumi up`, checks the outputs, `pulumi up` again expecting
# no changes, `pulumi refresh` expecting none either, `pulumi destroy`. Uses the providers first on PATH after
# sourcing scripts/env.sh (normally the cache's), and the repo's node_modules
# (@pulumi/pulumi, @pulumi/random, @pulumi/command: run `npm ci` first).
providers_smoke_test() {
  local t0 rc=0 tmp
  t0=$(tc_now)
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/providers-smoke.XXXXXX")
  tc_log "providers smoke test in $tmp"
  (
    set -euo pipefail
    # shellcheck source=scripts/env.sh
    source "$_BP_REPO/scripts/env.sh"
    local t p
    for t in pulumi node pulumi-language-nodejs pulumi-resource-random pulumi-resource-command; do
      p=$(command -v "$t") || {
        echo "providers smoke test: $t is not on PATH (build it first)" >&2
        exit 1
      }
      tc_log "  $t -> $p"
    done
    local nm="$_BP_REPO/node_modules" pkg
    for pkg in @pulumi/pulumi @pulumi/random @pulumi/command; do
      [[ -f "$nm/$pkg/package.json" ]] || {
        echo "providers smoke test: $nm/$pkg is missing (run npm ci in $_BP_REPO)" >&2
        exit 1
      }
    done
    export PULUMI_HOME="$tmp/pulumi-home"
    # Again for this PULUMI_HOME: env.sh registers the plugins in its cache.
    # shellcheck source=scripts/env.sh
    source "$_BP_REPO/scripts/env.sh"
    export PULUMI_BACKEND_URL="file://$tmp/state"
    export PULUMI_CONFIG_PASSPHRASE=x
    unset PULUMI_CONFIG_PASSPHRASE_FILE
    mkdir -p "$tmp/state" "$tmp/proj/node_modules/@pulumi"
    cd "$tmp/proj"
    # Only these three packages are visible to the program (so the language
    # host asks for no other plugin); their dependencies resolve from the
    # repo's node_modules through the symlinks' real paths.
    for pkg in pulumi random command; do ln -s "$nm/@pulumi/$pkg" "node_modules/@pulumi/$pkg"; done
    printf 'name: providers-smoke\nruntime: nodejs\ndescription: random + command providers smoke test\n' >Pulumi.yaml
    printf '{ "name": "providers-smoke", "private": true, "main": "index.js" }\n' >package.json
    cat >index.js <<'EOF'
const random = require("@pulumi/random");
const command = require("@pulumi/command");
const pw = new random.RandomPassword("pw", { length: 20, special: false, minNumeric: 2, keepers: { rev: "1" } });
const bytes = new random.RandomBytes("bytes", { length: 16 });
const hi = new command.local.Command("hi", { create: "echo hi", delete: "true" });
exports.password = pw.result;
exports.base64 = bytes.base64;
exports.hex = bytes.hex;
exports.stdout = hi.stdout;
EOF
    local log="$tmp/pulumi.log"
    pulumi stack init smoke --non-interactive >>"$log" 2>&1
    tc_log "  pulumi up"
    pulumi up --yes --non-interactive --suppress-progress >>"$log" 2>&1 || {
      tail -n 30 "$log" >&2
      echo "providers smoke test: pulumi up failed" >&2
      exit 1
    }
    local out
    out=$(pulumi stack output --json --show-secrets 2>>"$log")
    printf '%s\n' "$out" >>"$log"
    node -e '
      const o = JSON.parse(process.argv[1]);
      const fail = (m) => { console.error("providers smoke test: " + m); process.exit(1); };
      if (!/^[A-Za-z0-9]{20}$/.test(o.password) || (o.password.match(/[0-9]/g) || []).length < 2)
        fail("RandomPassword.result is not 20 alphanumerics with >= 2 digits: " + o.password);
      if (Buffer.from(o.base64, "base64").length !== 16) fail("RandomBytes.base64 is not 16 bytes: " + o.base64);
      if (Buffer.from(o.base64, "base64").toString("hex") !== o.hex) fail("RandomBytes.hex does not match base64");
      if (o.stdout !== "hi") fail("Command.stdout is " + JSON.stringify(o.stdout) + ", expected \"hi\"");
    ' "$out"
    [[ "$(pulumi stack output password 2>>"$log")" == "[secret]" ]] || {
      echo "providers smoke test: RandomPassword.result is not a secret" >&2
      exit 1
    }
    tc_log "  outputs ok; pulumi up again (expecting no changes)"
    pulumi up --yes --expect-no-changes --non-interactive --suppress-progress >>"$log" 2>&1 || {
      tail -n 30 "$log" >&2
      echo "providers smoke test: second pulumi up was not a no-op" >&2
      exit 1
    }
    tc_log "  pulumi refresh (expecting no changes)"
    pulumi refresh --yes --expect-no-changes --non-interactive --suppress-progress >>"$log" 2>&1 || {
      tail -n 30 "$log" >&2
      echo "providers smoke test: pulumi refresh found changes" >&2
      exit 1
    }
    tc_log "  pulumi destroy"
    pulumi destroy --yes --non-interactive --suppress-progress >>"$log" 2>&1 || {
      tail -n 30 "$log" >&2
      echo "providers smoke test: pulumi destroy failed" >&2
      exit 1
    }
    pulumi stack rm --yes --non-interactive smoke >>"$log" 2>&1
  ) || rc=$?
  if ((rc != 0)); then
    tc_warn "providers smoke test FAILED after $(tc_fmt_secs $(($(tc_now) - t0))); kept $tmp (log: $tmp/pulumi.log)"
    return "$rc"
  fi
  if [[ "${PROVIDERS_SMOKE_KEEP:-0}" == 1 ]]; then
    tc_log "  kept $tmp"
  else
    rm -rf "$tmp"
  fi
  tc_log "providers smoke test passed in $(tc_fmt_secs $(($(tc_now) - t0)))"
}
