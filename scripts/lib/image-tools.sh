# shellcheck shell=bash
# The Debian tools that build, push and run the platform's own images, and the
# podman settings of this project. Sourced by scripts/images.sh and by the
# image tests' helper (through `bash scripts/images.sh env`), never run alone.
#
# Nothing is installed by hand: a fresh machine gets these packages from here.

PRIVATE_CLOUD_CACHE="${PRIVATE_CLOUD_CACHE:-$HOME/.cache/private-cloud}"

# command -> Debian package. mmdebstrap makes glibc root filesystems with
# exactly the packages named; umoci assembles OCI images without a daemon;
# skopeo copies them to a registry; podman + runc run them in the tests;
# docker-registry is the simulated datacenter's registry; uidmap gives podman
# newuidmap for user namespaces.
IMAGE_TOOLS=(
  "mmdebstrap:mmdebstrap"
  "umoci:umoci"
  "skopeo:skopeo"
  "podman:podman"
  "runc:runc"
  "docker-registry:docker-registry"
  "newuidmap:uidmap"
  # javac for the sample business's servlet (images/sample-app), compiled
  # against the servlet API jar of the jetty image.
  "javac:openjdk-17-jdk-headless"
)

image_tools_missing() {
  local entry cmd
  for entry in "${IMAGE_TOOLS[@]}"; do
    cmd=${entry%%:*}
    command -v "$cmd" > /dev/null 2>&1 || [[ -x "/usr/sbin/$cmd" ]] || [[ -x "/usr/bin/$cmd" ]] || echo "${entry#*:}"
  done
}

ensure_image_tools() {
  local -a missing
  mapfile -t missing < <(image_tools_missing)
  ((${#missing[@]} == 0)) && return 0
  echo "[images] installing from Debian: ${missing[*]}" >&2
  local -a sudo=()
  if ((EUID != 0)); then
    command -v sudo > /dev/null 2>&1 || {
      echo "[images] not root and no sudo: install these Debian packages: ${missing[*]}" >&2
      return 1
    }
    sudo=(sudo)
  fi
  # Package scripts must not start daemons: docker-registry would bind :5000
  # for the whole machine; the simulated datacenter starts its own on loopback.
  local policy=/usr/sbin/policy-rc.d made_policy=0 rc=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" > /dev/null
    "${sudo[@]}" chmod 755 "$policy"
    made_policy=1
  fi
  { "${sudo[@]}" apt-get update -qq &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } || rc=$?
  if ((made_policy)); then "${sudo[@]}" rm -f "$policy"; fi
  return "$rc"
}

# podman as this project runs it. Measured on this machine kind: the default
# file-descriptor ulimit podman asks for cannot be raised here (every run
# fails), so default_ulimits is empty; crun refuses the cgroup v1 layout, runc
# works; no systemd, so cgroupfs and file event logs.
PODMAN_CONF_DIR="$PRIVATE_CLOUD_CACHE/podman"
podman_setup() {
  mkdir -p "$PODMAN_CONF_DIR"
  local conf="$PODMAN_CONF_DIR/containers.conf" tmp
  tmp=$(mktemp "$conf.XXXXXX")
  cat > "$tmp" << 'CONF'
# Written by private-cloud scripts/lib/image-tools.sh; edits are overwritten.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
  mv "$tmp" "$conf"
  export CONTAINERS_CONF="$conf"
}
