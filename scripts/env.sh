# shellcheck shell=bash
# Source this (from bash) to use the toolchain that scripts/toolchain.sh built
# or found:  source scripts/env.sh
# Puts the toolchain cache and our Node shims on PATH and sets Pulumi up to run
# fully offline: local file backend, passphrase secrets, no update checks and
# no plugin downloads (providers are ambient plugins on PATH).

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
# Providers are ambient plugins on PATH; this would hide them.
unset PULUMI_IGNORE_AMBIENT_PLUGINS
# Local use only: a default passphrase for the passphrase secrets provider
# when the caller set neither a passphrase nor a passphrase file.
if [[ -z "${PULUMI_CONFIG_PASSPHRASE+x}" && -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]]; then
  export PULUMI_CONFIG_PASSPHRASE="private-cloud-local-only"
fi

unset -f _pc_prepend_path
unset _pc_repo
