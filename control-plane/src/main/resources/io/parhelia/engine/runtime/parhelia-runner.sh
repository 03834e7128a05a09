#!/usr/bin/env bash
# Runs one Parhelia agent. LocalRuntime starts it as `bash parhelia-runner.sh RUN_DIR` in the task's
# workspace, inside a detached tmux session or a new setsid session, so it outlives the server. The
# podman and kubernetes runtimes' containers run it too, in tmux, through parhelia-container-entry.sh
# (a Pod's without a clone file: an init container clones there).
#
# Reads from RUN_DIR (written by RunDirectory.prepare, or in a Pod by parhelia-container-entry.sh;
# NUL-separated, never parsed by a shell):
#   argv   the agent command, one element per NUL
#   env    NAME=VALUE assignments for the agent; deleted once read because it may hold secrets
#   clone  optional: repository NUL branch NUL (empty branch = the repository's default)
#   stdin  optional: fed to the agent's standard input (prompts too long for one argv element)
# Writes to RUN_DIR:
#   pid        this script's pid, which is also the process group and session id
#   agent.log  git's and the agent's stdout and stderr, appended
#   exit_code  the agent's exit status (or git's when the clone failed), written last
set -u

run_dir=$1
log=$run_dir/agent.log

# Writes a one-line file with builtins only: any child process (an mv, a subshell) is in the agent's
# process group, where a stop's signals can end it before it does its work. The value goes out in
# one small write, so a reader sees the file empty or whole, and LocalRuntime waits while it is empty.
record() {
  printf '%s\n' "$2" > "$1"
}

finish() {
  record "$run_dir/exit_code" "$1"
  exit "$1"
}

# A stop signals the whole process group. Trapping (not ignoring: children must keep the default)
# lets this script outlive the agent long enough to record how the agent ended. The pid file comes
# after the trap: LocalRuntime waits for it, so a stop never lands before the trap is in place.
stop_requested=
trap 'stop_requested=1' TERM INT HUP
record "$run_dir/pid" "$$"
: >> "$log"

# A stop that came while this script was still preparing: the agent never starts.
stop_if_requested() {
  if [[ -n $stop_requested ]]; then
    printf 'parhelia: stopped before the agent started\n' >> "$log"
    finish 143
  fi
}

# Reads a NUL-separated file into the array named $1. A stop signal can cut a read short (status
# above 128) before its trap has run, which would leave the array partial: that counts as a stop.
read_nul_separated() {
  local -n items=$1
  local item status
  items=()
  while true; do
    IFS= read -r -d '' item
    status=$?
    if (( status == 0 )); then
      items+=("$item")
    elif (( status > 128 )); then
      stop_requested=1
      return
    else
      return
    fi
  done < "$2"
}

if [[ -f $run_dir/env ]]; then
  read_nul_separated assignments "$run_dir/env"
  for assignment in "${assignments[@]}"; do
    export "$assignment"
  done
  rm -f "$run_dir/env"
fi

stop_if_requested
if [[ -f $run_dir/clone ]]; then
  read_nul_separated clone "$run_dir/clone"
  stop_if_requested
  repo=${clone[0]} branch=${clone[1]:-}
  clone_args=(clone)
  if [[ -n $branch ]]; then
    clone_args+=(--branch "$branch")
  fi
  # `--` keeps a repository string that starts with a dash from being read as an option.
  clone_args+=(-- "$repo" .)
  GIT_TERMINAL_PROMPT=0 git "${clone_args[@]}" < /dev/null 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
  if (( status != 0 )); then
    printf 'parhelia: git clone failed with exit code %s\n' "$status" | tee -a "$log"
    finish "$status"
  fi
fi

read_nul_separated argv "$run_dir/argv"
stop_if_requested
if (( ${#argv[@]} == 0 )); then
  printf 'parhelia: the agent command is empty\n' >> "$log"
  finish 127
fi
# tee ignores stop signals so that what the agent prints while shutting down still reaches the log;
# it ends when the agent closes its output, or with the forced kill.
if [[ -f $run_dir/stdin ]]; then
  "${argv[@]}" < "$run_dir/stdin" 2>&1 | (trap '' TERM INT HUP; exec tee -a "$log")
else
  "${argv[@]}" 2>&1 | (trap '' TERM INT HUP; exec tee -a "$log")
fi
finish "${PIPESTATUS[0]}"
