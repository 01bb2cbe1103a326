#!/usr/bin/env bash
# The shared Pulumi state backend of the simulated datacenter: versitygw (an
# S3-compatible gateway, built by scripts/toolchain.sh) on loopback with a
# posix backend in the sim's directory, serving one bucket, as the company's
# Ceph RGW or MinIO serves the real one. A file backend on one laptop does not
# serve a platform team, its CI and the release engine at once; an S3 bucket
# does, and Pulumi's lock files in it keep two updates of a stack apart.
#
#   bash scripts/state-backend.sh up      start (or report the running one), create the bucket
#   bash scripts/state-backend.sh env     print the exports that point pulumi at it
#   bash scripts/state-backend.sh down    stop it (the state stays in the sim's directory)
#   bash scripts/state-backend.sh status
#
#   eval "$(bash scripts/state-backend.sh env)" && pulumi login   # or: pulumi login "$PULUMI_BACKEND_URL"
#
# Settings: PRIVATE_CLOUD_SIM_DIR (state under $PRIVATE_CLOUD_SIM_DIR/s3),
# PRIVATE_CLOUD_STATE_PORT (default: sim port base + 70),
# PRIVATE_CLOUD_STATE_BUCKET (default pulumi-state).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/env.sh
source "$repo/scripts/env.sh"
# shellcheck source=scripts/lib/proc.sh
source "$repo/scripts/lib/proc.sh"
sim="${PRIVATE_CLOUD_SIM_DIR:-$repo/.sim}"
dir="$sim/s3"
port=${PRIVATE_CLOUD_STATE_PORT:-$((${PRIVATE_CLOUD_SIM_PORT_BASE:-16400} + 70))}
bucket=${PRIVATE_CLOUD_STATE_BUCKET:-pulumi-state}
region=us-east-1
pidfile="$dir/versitygw.pid"

log() { printf '[state %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[state] error: %s\n' "$*" >&2
  exit 1
}

running() { [ -f "$pidfile" ] && alive "$(cat "$pidfile")"; }

# Credentials of the gateway's root user, made once per state directory (the
# sim's own; a real team uses the keys its object store issues).
credentials() {
  mkdir -p "$dir"
  if [ ! -f "$dir/credentials" ]; then
    (
      umask 077
      printf 'access=%s\nsecret=%s\n' "pc-$(openssl rand -hex 6)" "$(openssl rand -hex 20)" > "$dir/credentials"
    )
  fi
  access=$(sed -n 's/^access=//p' "$dir/credentials")
  secret=$(sed -n 's/^secret=//p' "$dir/credentials")
}

# The URL as a team writes it for any S3-compatible store. Pulumi (>= 3.2xx,
# gocloud.dev v0.46 with AWS SDK v2) turns the SDK v1 names disableSSL and a
# scheme-less endpoint into disable_https and http://, and keeps
# s3ForcePathStyle; region is needed by the v2 SDK.
backend_url() {
  printf 's3://%s?endpoint=127.0.0.1:%s&s3ForcePathStyle=true&disableSSL=true&region=%s' "$bucket" "$port" "$region"
}

s3() { # method path: a signed request to the gateway
  curl -fsS -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" --aws-sigv4 "aws:amz:$region:s3" --user "$access:$secret" \
    -X "$1" "http://127.0.0.1:$port$2"
}

up() {
  command -v versitygw > /dev/null || die "versitygw is not on PATH: run \`npm run toolchain\` first"
  credentials
  mkdir -p "$dir/data" "$dir/iam"
  if running; then
    log "versitygw already running (pid $(cat "$pidfile"))"
  else
    ROOT_ACCESS_KEY_ID=$access ROOT_SECRET_ACCESS_KEY=$secret nohup versitygw --port "127.0.0.1:$port" \
      --region "$region" --iam-dir "$dir/iam" --health /health --quiet posix "$dir/data" > "$dir/versitygw.log" 2>&1 &
    echo $! > "$pidfile"
    log "started versitygw (pid $!, log $dir/versitygw.log)"
    local t0=$SECONDS
    until curl -fsS "http://127.0.0.1:$port/health" > /dev/null 2>&1; do
      running || die "versitygw exited: $(tail -n 5 "$dir/versitygw.log")"
      [ $((SECONDS - t0)) -lt 30 ] || die "versitygw not answering on 127.0.0.1:$port after 30s; see $dir/versitygw.log"
      sleep 0.3
    done
  fi
  if ! s3 GET "/$bucket?max-keys=1" > /dev/null 2>&1; then
    s3 PUT "/$bucket" > /dev/null || die "could not create bucket $bucket"
    log "created bucket $bucket"
  fi
  log "backend $(backend_url) (credentials in $dir/credentials)"
}

env_lines() {
  credentials
  printf 'export AWS_ACCESS_KEY_ID=%q AWS_SECRET_ACCESS_KEY=%q AWS_REGION=%q\n' "$access" "$secret" "$region"
  printf 'export PULUMI_BACKEND_URL=%q\n' "$(backend_url)"
}

down() {
  if running; then
    local pid
    pid=$(cat "$pidfile")
    stop_pid "$pid" 50
    log "stopped versitygw"
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  up) up ;;
  env) env_lines ;;
  down) down ;;
  status)
    if running; then echo "versitygw running (pid $(cat "$pidfile")) on 127.0.0.1:$port, backend $(backend_url)"; else echo "versitygw stopped"; fi
    ;;
  *)
    echo "usage: $0 up|env|down|status" >&2
    exit 2
    ;;
esac
