#!/usr/bin/env bash
# The first process of a Parhelia agent container. PodmanRuntime starts the container as
# `bash parhelia-container-init.sh RUN_DIR` in the task's workspace; RUN_DIR and the workspace are
# mounted from the host at the same paths, so the runner (parhelia-runner.sh, the same one the local
# runtime uses) writes the agent's log and exit code where Parhelia reads them, and they outlive the
# container.
#
# The runner goes in a tmux session named `parhelia`, so that a person can attach
# (`podman exec -it CONTAINER tmux attach -t parhelia`) and parhelia_session_send can type into it.
# The container lives as long as that tmux server, which exits with its last session.
set -u

run_dir=$1

tmux new-session -d -s parhelia -x 200 -y 50 -c "$PWD" -- bash "$run_dir/parhelia-runner.sh" "$run_dir" || exit 125
runner=$(tmux display-message -p -t parhelia '#{pane_pid}')
server=$(tmux display-message -p '#{pid}')

# A container stop sends SIGTERM here; the runner's process group (the runner and the agent) gets it,
# as a local stop would send it. Once more after a moment, for an agent the runner spawned just as the
# first signal came. The engine sends SIGKILL to everything when the stop's grace runs out.
forward_stop() {
  kill -TERM -- "-$runner" 2> /dev/null
  sleep 0.5
  kill -TERM -- "-$runner" 2> /dev/null
}
trap forward_stop TERM INT HUP

# tmux's server is no child of this script, so `wait` cannot see it end; tail can, without spawning a
# process per check. A trapped signal interrupts `wait`, hence the loop.
while kill -0 "$server" 2> /dev/null; do
  tail --pid="$server" -s 0.2 -f /dev/null &
  wait $!
done
