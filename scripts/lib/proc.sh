# shellcheck shell=bash
# Process liveness for the project's daemons (sim, state backend).
#
# `kill -0` alone is not enough: the daemons are started in the background and
# outlive the shell that started them, so they are re-parented to PID 1, and on
# machines whose PID 1 does not reap orphans (a container's init that is not an
# init, like this one's) a daemon that exited stays a zombie. `kill -0` succeeds
# on a zombie, so a killed API server looked "already running" to `sim.sh up`,
# which then waited 120 s for a /readyz that never came (the lvs-director-agent
# e2e restart failure). A zombie is dead for our purposes.

# alive PID: true when PID exists and is not a zombie.
alive() {
  local pid=$1 state
  [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null || return 1
  # /proc/PID/stat: "pid (comm) state ..."; comm may hold spaces or parens.
  state=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$pid/stat" 2> /dev/null) || return 0
  [ "$state" != Z ]
}

# stop_pid PID [tenths]: SIGTERM, wait up to tenths/10 s, then SIGKILL.
stop_pid() {
  local pid=$1 tenths=${2:-50} _
  kill "$pid" 2> /dev/null || true
  for _ in $(seq 1 "$tenths"); do alive "$pid" || return 0; sleep 0.1; done
  kill -9 "$pid" 2> /dev/null || true
}
