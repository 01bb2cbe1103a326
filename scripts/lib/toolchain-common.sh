# shellcheck shell=bash
# Helpers shared by scripts/toolchain.sh: logging, timing, the cache layout,
# atomic installs and "is it already on PATH" checks. Sourced, not executed.

# Where everything built lives (outside the repo, reused across runs and by CI
# on the same machine).
PRIVATE_CLOUD_CACHE="${PRIVATE_CLOUD_CACHE:-$HOME/.cache/private-cloud}"
TC_ROOT="$PRIVATE_CLOUD_CACHE/toolchain"
# One directory per piece and version: $TC_ROOT/<piece>/<version>/bin/...
# $TC_BIN holds symlinks to the binaries of the versions in use; env.sh puts
# it on PATH.
TC_BIN="$TC_ROOT/bin"
TC_LOG_DIR="$TC_ROOT/logs"

tc_now() { date +%s; }

tc_fmt_secs() {
  local s=$1
  if ((s >= 60)); then printf '%dm%02ds' $((s / 60)) $((s % 60)); else printf '%ds' "$s"; fi
}

tc_log() { printf '[toolchain %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tc_warn() { printf '[toolchain %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tc_die() {
  printf '[toolchain %s] FAILED: %s\n' "$(date +%H:%M:%S)" "$*" >&2
  exit 1
}

# Timings of this run, printed as a summary at the end.
TC_TIMINGS=()
tc_record() { TC_TIMINGS+=("$(printf '%-28s %s' "$1" "$2")"); }

# tc_step NAME CMD...: run one step, print its start, end and duration. The
# command runs under `set -e` (not inside `||`, which would switch -e off), so
# a failure stops the script and the EXIT trap (tc_on_exit) names the step.
TC_CURRENT_STEP=
tc_step() {
  local name=$1
  shift
  local t0
  t0=$(tc_now)
  TC_CURRENT_STEP=$name
  TC_STEP_T0=$t0
  tc_log "==> $name"
  "$@"
  TC_CURRENT_STEP=
  local dt=$(($(tc_now) - t0))
  tc_record "$name" "$(tc_fmt_secs "$dt")"
  tc_log "<== $name done in $(tc_fmt_secs "$dt")"
}

tc_on_exit() {
  local rc=$1
  ((rc == 0)) && return 0
  if [[ -n "$TC_CURRENT_STEP" ]]; then
    printf '[toolchain %s] FAILED: step "%s" (exit %d, after %s)%s\n' "$(date +%H:%M:%S)" \
      "$TC_CURRENT_STEP" "$rc" "$(tc_fmt_secs $(($(tc_now) - TC_STEP_T0)))" \
      "${TC_LAST_LOG:+; build log: $TC_LAST_LOG}" >&2
  else
    printf '[toolchain %s] FAILED (exit %d)\n' "$(date +%H:%M:%S)" "$rc" >&2
  fi
}

# tc_foreign_on_path TOOL: print the path of TOOL if it is on PATH outside our
# own cache bin dir and shims dir (a real user's install), else fail.
tc_foreign_on_path() {
  local tool=$1 dir
  local IFS=:
  for dir in $PATH; do
    [[ -z "$dir" ]] && continue
    case "$dir" in
    "$TC_BIN" | "$TC_ROOT"/* | "$TC_SHIMS_DIR") continue ;;
    esac
    if [[ -x "$dir/$tool" && ! -d "$dir/$tool" ]]; then
      printf '%s\n' "$dir/$tool"
      return 0
    fi
  done
  return 1
}

# tc_link PIECE_DIR: symlink every binary of an installed piece into $TC_BIN.
tc_link() {
  local dir=$1 f
  mkdir -p "$TC_BIN"
  for f in "$dir"/bin/*; do
    [[ -x "$f" ]] || continue
    ln -sfn "$f" "$TC_BIN/$(basename "$f")"
  done
}

# tc_unlink TOOL...: drop our symlinks (used when a foreign install is preferred).
tc_unlink() {
  local t
  for t in "$@"; do
    if [[ -L "$TC_BIN/$t" ]]; then rm -f "$TC_BIN/$t"; fi
  done
}

# tc_installed PIECE VERSION: succeeds if that version of the piece is complete.
# Completeness is marked by the directory itself: it only appears through the
# final rename in tc_build_atomic.
tc_installed() { [[ -d "$TC_ROOT/$1/$2/bin" ]]; }

# tc_build_atomic PIECE VERSION BUILD_FN [ARGS...]: run BUILD_FN STAGE_DIR ARGS...
# (which must put binaries in STAGE_DIR/bin), with output to a log file, then
# move the staged directory into place in one rename. An interrupted build
# leaves only a .tmp directory that the next run removes.
tc_build_atomic() {
  local piece=$1 version=$2 fn=$3
  shift 3
  local final="$TC_ROOT/$piece/$version"
  local stage="$TC_ROOT/$piece/.tmp.$version.$$"
  mkdir -p "$TC_ROOT/$piece" "$TC_LOG_DIR"
  rm -rf "$TC_ROOT/$piece"/.tmp.* 2>/dev/null || true
  mkdir -p "$stage/bin"
  TC_LAST_LOG="$TC_LOG_DIR/$piece-$version.log"
  tc_log "building $piece $version (log: $TC_LAST_LOG)"
  local rc=0
  # In a subshell with -e on (a failing command inside "$fn" stops it) and
  # its own working directory and environment.
  set +e
  (
    set -euo pipefail
    "$fn" "$stage" "$@"
  ) >"$TC_LAST_LOG" 2>&1
  rc=$?
  set -e
  if ((rc != 0)); then
    tc_warn "build of $piece $version failed (exit $rc); last lines of $TC_LAST_LOG:"
    tail -n 25 "$TC_LAST_LOG" >&2 || true
    rm -rf "$stage"
    return "$rc"
  fi
  rm -rf "$final"
  mv "$stage" "$final"
  tc_link "$final"
  TC_LAST_LOG=
}
