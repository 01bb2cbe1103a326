#!/usr/bin/env bash
# Regenerate toolchain/kubernetes/go.mod for another Kubernetes release:
#   bash scripts/lib/gen-k8s-wrapper.sh v1.34.4
# k8s.io/kubernetes replaces each k8s.io/<staging> module with a path inside
# its own repo, and replace directives of a dependency are ignored, so the
# wrapper maps every one of them to the published v0.<minor>.<patch>. The list
# is read from the go.mod that the module proxy serves for that release.
# Then update K8S_VERSION in scripts/toolchain.sh to match.
set -euo pipefail
k8s=${1:?usage: gen-k8s-wrapper.sh vX.Y.Z}
staging="v0.${k8s#v1.}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$repo/toolchain/kubernetes"
export PRIVATE_CLOUD_CACHE="${PRIVATE_CLOUD_CACHE:-$HOME/.cache/private-cloud}"
export GOMODCACHE="$PRIVATE_CLOUD_CACHE/go/mod" GOCACHE="$PRIVATE_CLOUD_CACHE/go/build" GOFLAGS=-buildvcs=false
gomod=$(go mod download -json "k8s.io/kubernetes@$k8s" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[[ -f "$gomod" ]] || {
  echo "no go.mod for k8s.io/kubernetes@$k8s" >&2
  exit 1
}
{
  echo "module private-cloud/toolchain/kubernetes"
  echo
  echo "go $(awk '$1 == "go" { print $2 }' "$gomod")"
  echo
  echo "require k8s.io/kubernetes $k8s"
  echo
  echo "// k8s.io/kubernetes replaces every staging module with a relative path (ignored in a dependency);"
  echo "// map each to its published v0.X.Y, generated from k8s.io/kubernetes $k8s's go.mod by scripts/lib/gen-k8s-wrapper.sh."
  echo "replace ("
  grep -E '=> \./staging/' "$gomod" | awk -v s="$staging" '{ print "\t" $1 " => " $1 " " s }'
  echo ")"
} >"$dir/go.mod"
rm -f "$dir/go.sum"
(cd "$dir" && go mod tidy)
echo "wrote $dir/go.mod for $k8s (staging $staging)"
