#!/usr/bin/env bash
# Run the pulumi CLI so that stopping it stops everything it started.
#
#   bash scripts/pulumi.sh <pulumi arguments...>
#
# A killed `pulumi` left its plugins (the language host with the program's
# Node.js, the kubernetes/command/random providers, the policy pack) running:
# several hundred MB each time (issue 14): pulumi starts each plugin in a
# process group of its own (cmdutil.RegisterProcessGroup in the SDK), so
# neither the terminal's Ctrl-C nor a kill of pulumi's group reaches them
# once pulumi is gone. Here pulumi runs in a session of its own, which every
# plugin stays in, and
#   - SIGINT/SIGTERM to this script are passed to pulumi (the first SIGINT
#     lets pulumi cancel cleanly: in-flight operations finish, the lock is
#     released, plugins exit);
#   - when this script dies without passing anything on (SIGKILL), a
#     watchdog kills every process of pulumi's session, plugins included. The
#     stack's lock stays behind then: `npm run unlock -- <stack>` removes it
#     once the holder is gone, and the next `up` converges.
# The exit code is pulumi's.
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! command -v pulumi > /dev/null; then
  # shellcheck source=scripts/env.sh
  source "$repo/scripts/env.sh"
fi
command -v pulumi > /dev/null || {
  echo "[pulumi.sh] error: pulumi is not on PATH (run \`npm run toolchain\`, then \`source scripts/env.sh\`)" >&2
  exit 127
}

# setsid: pulumi leads a new session (sid = its pid: a background job of a
# script is no group leader, so setsid does not fork), and the terminal's
# Ctrl-C reaches this script only.
setsid pulumi "$@" &
pg=$!
self=$$

# Every process of pulumi's session, plugins in their own groups included.
session() { ps -eo pid=,sid= | awk -v s="$pg" '$2 == s { print $1 }'; }
# shellcheck disable=SC2046 # one pid per word
signal_session() { kill "-$1" $(session) 2> /dev/null; }

# alive PID: not a zombie either (a killed wrapper stays one until its parent reaps it).
# shellcheck source=scripts/lib/proc.sh
source "$repo/scripts/lib/proc.sh"

# The watchdog leaves the terminal's signals to this script and only acts
# when this script is gone while pulumi's group still runs.
(
  trap '' INT TERM HUP
  while alive "$self"; do sleep 1; done
  [ -n "$(session)" ] || exit 0
  signal_session TERM
  for _ in 1 2 3 4 5; do
    [ -n "$(session)" ] || exit 0
    sleep 1
  done
  signal_session KILL
) &
watchdog=$!

# shellcheck disable=SC2317 # called by the traps below
forward() { kill "-$1" "$pg" 2> /dev/null; }
trap 'forward INT' INT
trap 'forward TERM' TERM
trap 'forward HUP' HUP

# `wait` returns early when a trapped signal arrives; wait again until pulumi is gone.
rc=0
while kill -0 "$pg" 2> /dev/null; do
  wait "$pg"
  rc=$?
done
# Pulumi is gone: end whatever of its session is left (a plugin it did not stop).
signal_session TERM || true
kill -KILL "$watchdog" 2> /dev/null || true
exit "$rc"
