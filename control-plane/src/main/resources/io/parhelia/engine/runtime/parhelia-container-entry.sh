#!/usr/bin/env bash
# The first process of a Parhelia agent's container, for every runtime that runs agents in containers
# (PodmanRuntime, KubernetesRuntime). It starts parhelia-runner.sh, the runner the local runtime uses,
# in the tmux session `main` in the current directory (the task's workspace), so that a person can
# attach (`podman exec -it CONTAINER tmux attach -t main`, `kubectl exec -it -n NS POD -- tmux attach
# -t main`) and parhelia_session_send can type into it. It passes a stop on to the agent, lives as long
# as the runner, and exits with the agent's exit code, which the runner also records in the run dir.
#
# Usage: parhelia-container-entry.sh [--write-run-files RUNNER STDIN_FILE] [--log-to-stdout] RUN_DIR [ARGV...]
#   --write-run-files RUNNER STDIN_FILE
#       RUN_DIR is the container's own (a Pod's volume): create it and write what the runner reads,
#       the runner (RUNNER is its text), argv (ARGV, NUL-separated) and stdin (a copy of STDIN_FILE; no
#       stdin when it is empty). Without it, Parhelia prepared RUN_DIR (RunDirectory.prepare) and
#       shares it with the container, and there is no ARGV.
#   --log-to-stdout
#       Copy the agent's log to standard output as it grows, to its last line: the Kubernetes log API
#       serves a container's standard output.
set -u

session=main
write_run_files= runner_text= stdin_file= log_to_stdout=
run_dir=

# Messages go to standard output (the container's log) and to the agent's log when there is one.
fail() {
  local code=$1
  shift
  printf 'parhelia: %s\n' "$*"
  if [[ -n $run_dir && -d $run_dir ]]; then
    printf 'parhelia: %s\n' "$*" >> "$run_dir/agent.log" 2> /dev/null
  fi
  exit "$code"
}

while (( $# > 0 )); do
  case $1 in
    --write-run-files)
      (( $# >= 3 )) || fail 2 "--write-run-files needs RUNNER and STDIN_FILE"
      write_run_files=1 runner_text=$2 stdin_file=$3
      shift 3
      ;;
    --log-to-stdout)
      log_to_stdout=1
      shift
      ;;
    -*)
      fail 2 "unknown option $1"
      ;;
    *)
      break
      ;;
  esac
done
(( $# >= 1 )) || fail 2 "usage: parhelia-container-entry.sh [--write-run-files RUNNER STDIN_FILE] [--log-to-stdout] RUN_DIR [ARGV...]"
run_dir=$1
shift
if [[ -z $write_run_files ]] && (( $# > 0 )); then
  fail 2 "the agent command comes in as arguments only with --write-run-files; here it is in $run_dir/argv"
fi

# A stop (container stop, Pod deletion) sends SIGTERM here. The runner's process group (the runner and
# the agent) gets it, as a local stop would send it; once more after a moment, for an agent the runner
# started just as the first signal came. A stop before the runner is ready waits for it: the runner
# writes its pid once its own trap is in place. The engine or kubelet sends SIGKILL when the grace ends.
runner= stop_pending=
forward_stop() {
  if [[ -z $runner ]]; then
    stop_pending=1
    return
  fi
  kill -TERM -- "-$runner" 2> /dev/null
  sleep 0.5
  kill -TERM -- "-$runner" 2> /dev/null
}
trap forward_stop TERM INT HUP

if [[ -n $write_run_files ]]; then
  mkdir -p -- "$run_dir" || fail 1 "could not create the run directory $run_dir"
  printf '%s' "$runner_text" > "$run_dir/parhelia-runner.sh" || fail 1 "could not write the runner into $run_dir"
  # NUL-separated, as the runner reads it: no element is ever parsed by a shell.
  printf '%s\0' "$@" > "$run_dir/argv" || fail 1 "could not write the agent command into $run_dir"
  if [[ -n $stdin_file ]]; then
    cp -- "$stdin_file" "$run_dir/stdin" || fail 1 "could not copy the agent's standard input from $stdin_file"
  fi
fi

if ! command -v tmux > /dev/null; then
  fail 127 "the agent image has no tmux; Parhelia runs agents in tmux so that people can attach to them." \
    "Install tmux in the image (runtime.podman.image, runtime.kubernetes.image)"
fi

if ! tmux new-session -d -s "$session" -x 200 -y 50 -c "$PWD" -- bash "$run_dir/parhelia-runner.sh" "$run_dir"; then
  fail 1 "tmux could not start the agent session"
fi
# While the runner has not written its pid, the tmux server (which ends with its last session) says
# whether it is still coming. An agent that ended at once has written its pid before, and its exit code.
server=$(tmux display-message -p -t "$session" '#{pid}' 2> /dev/null)
for (( waited = 0; waited < 300; waited++ )); do
  [[ -s $run_dir/pid ]] && break
  [[ -n $server ]] && kill -0 "$server" 2> /dev/null || break
  sleep 0.1
done
if [[ ! -s $run_dir/pid ]]; then
  fail 1 "the agent runner did not start within 30 s"
fi
# The runner's pid is also its process group: tmux starts it in a session of its own.
runner=$(< "$run_dir/pid")
if [[ -n $stop_pending ]]; then
  forward_stop
fi

# tail ends once the runner has exited (after one last read of the log, so no line is lost). It runs in
# the background because bash runs a trap only between commands, and `wait` is one that a trapped
# signal interrupts, hence the loop.
if [[ -n $log_to_stdout ]]; then
  tail -n +1 -F -s 0.2 --pid="$runner" "$run_dir/agent.log" 2> /dev/null &
else
  tail -s 0.2 -f --pid="$runner" /dev/null &
fi
follower=$!
until wait "$follower"; do
  kill -0 "$follower" 2> /dev/null || break
done

exit_code=$(cat "$run_dir/exit_code" 2> /dev/null)
if [[ ! $exit_code =~ ^[0-9]+$ ]]; then
  fail 1 "the agent runner ended without recording an exit code"
fi
exit "$exit_code"
