#!/usr/bin/env bash
# Builds the platform's own images (images/*/image.yaml) into OCI archives
# under ${PRIVATE_CLOUD_CACHE:-~/.cache/private-cloud}/images: `npm run images`.
# Installs the Debian tools it needs first (scripts/lib/image-tools.sh), puts
# the toolchain on PATH (installer binaries), then runs scripts/images.ts.
#
#   bash scripts/images.sh [NAME...] [--push] [--rebuild] [--no-lock]
#   bash scripts/images.sh podman-conf     print the project's CONTAINERS_CONF path (writes it)
#
# --push copies the images to the simulated datacenter's registry
# (PRIVATE_CLOUD_REGISTRY, default 127.0.0.1:<sim port base + 5>).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$repo/scripts/env.sh"
# shellcheck source=scripts/lib/image-tools.sh
source "$repo/scripts/lib/image-tools.sh"

ensure_image_tools
podman_setup
if [[ "${1:-}" == podman-conf ]]; then
  echo "$CONTAINERS_CONF"
  exit 0
fi
export PRIVATE_CLOUD_REGISTRY="${PRIVATE_CLOUD_REGISTRY:-127.0.0.1:$((${PRIVATE_CLOUD_SIM_PORT_BASE:-16400} + 5))}"
# mmdebstrap and umoci need root (file owners in the images); the build is
# niced inside, it shares the machine with everything else.
if ((EUID != 0)); then exec sudo -E "$(command -v node)" "$repo/node_modules/.bin/ts-node" --transpile-only "$repo/scripts/images.ts" "$@"; fi
exec node "$repo/node_modules/.bin/ts-node" --transpile-only "$repo/scripts/images.ts" "$@"
