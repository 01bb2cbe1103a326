# shellcheck shell=bash
# Source this (from bash) to use the toolchain that scripts/toolchain.sh built
# or found:  source scripts/env.sh
# Puts the toolchain cache and our Node shims on PATH and sets Pulumi up to run
# fully offline: local file backend, passphrase secrets, no update checks and
# no plugin downloads (providers the toolchain put on PATH, registered in the
# plugin cache below).

_pc_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PRIVATE_CLOUD_CACHE="${PRIVATE_CLOUD_CACHE:-$HOME/.cache/private-cloud}"

_pc_prepend_path() {
  case ":$PATH:" in
  *":$1:"*) ;;
  *) PATH="$1${PATH:+:$PATH}" ;;
  esac
}
# Shims first, then the built binaries in front of them (a tool the toolchain
# script found already installed has no link in toolchain/bin, so the user's
# own install is the one found).
_pc_prepend_path "$_pc_repo/scripts/shims"
_pc_prepend_path "$PRIVATE_CLOUD_CACHE/toolchain/bin"
export PATH

# Pulumi's own state (credentials, plugin dir, workspace settings) under the cache.
export PULUMI_HOME="${PULUMI_HOME:-$PRIVATE_CLOUD_CACHE/pulumi-home}"
# Nothing may try the network at run time.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

# Quiet by default (issue 14): a plugin pulumi finds on $PATH that is not the
# one bundled next to the CLI costs a "using <plugin> from $PATH" warning on
# every run (sdk/go/common/workspace/plugins.go, GetPluginPath), which buried
# the warnings that matter. So each plugin the toolchain put on PATH is also
# registered in pulumi's plugin cache ($PULUMI_HOME/plugins, a symlink per
# plugin) under the version its requester asks for, and ambient lookup is
# switched off. Resource plugins are asked for by the Node SDK's version
# (package.json pins; the cache wants an exact match); language, analyzer and
# bundled plugins are asked for without a version (any one matches, 0.0.0
# here). A plugin not on PATH is left to the cache as before. If one cannot be
# registered, ambient lookup stays on (noisy, but everything is found).
_pc_register_plugins() {
  local dir="$PULUMI_HOME/plugins" ok=0 entry kind name sdk version path d f
  for entry in "language nodejs" "resource pulumi-nodejs" "analyzer policy" \
    "resource kubernetes @pulumi/kubernetes" "resource random @pulumi/random" \
    "resource command @pulumi/command"; do
    read -r kind name sdk <<<"$entry"
    path=$(command -v "pulumi-$kind-$name") || continue
    version=0.0.0
    if [[ -n "$sdk" ]]; then
      version=$(sed -n "s|^ *\"$sdk\": \"\([0-9][^\"]*\)\".*|\1|p" "$_pc_repo/package.json" | head -n 1)
      [[ -n "$version" ]] || {
        ok=1
        continue
      }
    fi
    d="$dir/$kind-$name-v$version"
    f="$d/pulumi-$kind-$name"
    # Replaced atomically: other shells may be running pulumi from this cache.
    if [[ "$(readlink "$f" 2>/dev/null)" != "$path" ]]; then
      { mkdir -p "$d" && ln -sfn "$path" "$f.$$" && mv -fT "$f.$$" "$f"; } 2>/dev/null || ok=1
    fi
  done
  return "$ok"
}
if _pc_register_plugins; then
  export PULUMI_IGNORE_AMBIENT_PLUGINS=true
else
  unset PULUMI_IGNORE_AMBIENT_PLUGINS
fi
# The toolchain builds pulumi-resource-kubernetes from a pinned commit whose
# version (scripts/toolchain.sh PULUMI_KUBERNETES_VERSION, 4.24.1-alpha…) is
# below the Node SDK's (4.34.2), so every load warned "resource plugin
# kubernetes is expected to have version >=4.34.2" (pkg/host/host.go,
# loadProvider): the build, not a wrong plugin. PULUMI_DEV is pulumi's only
# switch for that check; its other effects (CLI v3.274.1) are unhiding flags
# of `pulumi package publish`/`pack-sdk`, which nothing here runs.
export PULUMI_DEV=true
# Local use only: a default passphrase for the passphrase secrets provider
# when the caller set neither a passphrase nor a passphrase file.
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+x}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="private-cloud-local-only"
fi

unset -f _pc_prepend_path _pc_register_plugins
unset _pc_repo
