#!/usr/bin/env bash
# The first process of a Parhelia agent Pod. KubernetesRuntime runs it as
#   bash -c "<this script>" parhelia-entry RUN_DIR WORKSPACE RUNNER_SCRIPT STDIN_FILE ARGV...
# (STDIN_FILE empty when there is none). It starts parhelia-runner.sh, the same runner the local
# runtime uses, in a tmux session named "main", so that
#   kubectl exec -it -n NAMESPACE POD -- tmux attach -t main
# reaches the agent; it copies the agent's log to its own standard output, which is what the
# Kubernetes log API serves; and it exits with the agent's exit code, which the Pod's status keeps.
set -u

run_dir=$1 workspace=$2 runner_script=$3 stdin_file=$4
shift 4

if ! command -v tmux > /dev/null; then
  printf 'parhelia: the agent image has no tmux; Parhelia runs agents in tmux so that people can attach to them. Install tmux in the image (runtime.kubernetes.image)\n'
  exit 127
fi

mkdir -p "$run_dir"
printf '%s' "$runner_script" > "$run_dir/parhelia-runner.sh"
# NUL-separated, as the runner reads it: no element is ever parsed by a shell.
printf '%s\0' "$@" > "$run_dir/argv"
if [[ -n $stdin_file ]]; then
  cp -- "$stdin_file" "$run_dir/stdin"
fi

if ! tmux new-session -d -s main -x 200 -y 50 -c "$workspace" -- bash "$run_dir/parhelia-runner.sh" "$run_dir"; then
  printf 'parhelia: tmux could not start the agent session\n'
  exit 1
fi

# The runner writes its pid once its stop trap is in place; the pid is also its process group.
for (( waited = 0; waited < 300; waited++ )); do
  [[ -s $run_dir/pid ]] && break
  sleep 0.1
done
if [[ ! -s $run_dir/pid ]]; then
  printf 'parhelia: the agent runner did not start within 30 s\n'
  exit 1
fi
runner=$(< "$run_dir/pid")

# Deleting the Pod sends this process SIGTERM; the agent gets it as a local stop would give it,
# and the grace period runs until the kubelet's SIGKILL.
trap 'kill -TERM -- "-$runner" 2> /dev/null' TERM INT HUP

# tail ends after one last read once the runner has exited, so no line of the log is lost. It runs
# in the background because bash runs a trap only between commands, and `wait` is one.
tail -n +1 -F -s 0.2 --pid="$runner" "$run_dir/agent.log" 2> /dev/null &
tailer=$!
until wait "$tailer"; do
  kill -0 "$tailer" 2> /dev/null || break
done

exit_code=$(cat "$run_dir/exit_code" 2> /dev/null)
if [[ ! $exit_code =~ ^[0-9]+$ ]]; then
  printf 'parhelia: the agent runner ended without recording an exit code\n'
  exit 1
fi
exit "$exit_code"
