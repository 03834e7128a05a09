#!/usr/bin/env bash
# Streamable HTTP throughput of `parhelia mcp-server --transport http`, against a bare Jetty servlet.
#
#   bench/http.sh [--build] [--duration S] [--warmup S] [--warmup-rounds N] [--connections "16 64"] [--threads N]
#                 [--tasks N] [--no-ping] [--profile DIR]
#
# In one run, with wrk (Debian's package, installed with apt-get when missing; needs root then):
#   1. the real distribution (bin/parhelia, so the launcher's JVM options and its AppCDS archive) on
#      loopback, with a fresh PARHELIA_HOME whose agent is testing/fake-claude on a private tmux
#      server, seeded with --tasks tasks (default 20, prompt `exit=0 ...`, all ended before the load,
#      so every reply is the same: the list of them, about 12 kB);
#   2. one MCP session opened with curl (initialize + notifications/initialized) that every wrk
#      connection uses; wrk then POSTs `tools/call parhelia_task_list` (no arguments) with unique
#      JSON-RPC ids (bench/src/main/wrk/mcp-call.lua), and also `ping` (unless --no-ping), which
#      goes through the same filter, session and SSE framing without a tool;
#   3. io.parhelia.bench.BareServlet (same Jetty, connector, thread pool, Java and JVM options as the
#      launcher) serving the exact bytes of one real reply, with its Content-Type, and of one ping
#      reply. One difference remains: the product sends its event-stream headers first, so its
#      reply is chunked; the bare servlet's goes out in one write with a Content-Length.
# --profile DIR records a JFR profile of each server into DIR/parhelia.jfr and DIR/bare.jfr
# (settings=profile; read them with `jfr print --events jdk.ExecutionSample`).
# PARHELIA_JAVA_OPTS reaches both servers, e.g. PARHELIA_JAVA_OPTS=-XX:TieredStopAtLevel=4 to compare
# with C2 (the launcher stops at C1 for start-up). The server runs from a copy of the distribution,
# since a build by someone else in the same tree empties dist/target while it runs.
# Each target is warmed up in rounds of --warmup s (default 5) at the largest connection count until
# a round is no more than 5% faster than the one before (at least 3 rounds, at most --warmup-rounds,
# default 12), then measured for --duration s (default 10) per connection count. A fixed short
# warm-up is not enough: on 2 busy cores the JIT's compiler threads compete with the load, and the
# C2 compiles of the hot paths were seen to finish 10-20 s into it. A reply that is not HTTP 200 or has no "result" is counted as
# an error; a run with errors is invalid, and the script exits 1.
#
# stdout: one table (req/s, p50, p99, errors, CPU of server and wrk) and the ratios product/bare,
# then the server's resident memory (VmRSS of its java process) idle after the warm-up and the most
# seen under load (sampled every 0.2 s). Progress goes to stderr.
#
# The machine this was written on is a 2-core VM shared with other builds: wrk and the server share
# those 2 cores, so the load generator competes with what it measures (hence wrk's CPU in the
# table, and 1-2 wrk threads). Other work on the machine shows up in the figures, so the load
# average is printed with them.
#
# Nothing here runs during `./mvnw verify`. Everything is bounded: the whole run is stopped after
# BENCH_TIMEOUT seconds (default 900), and every process it starts is stopped on exit.
set -euo pipefail

if [ -z "${PARHELIA_HTTP_BENCH_BOUNDED:-}" ]; then
  export PARHELIA_HTTP_BENCH_BOUNDED=1
  exec timeout -k 10 "${BENCH_TIMEOUT:-900}" "$0" "$@"
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="0.1.0-SNAPSHOT"
dist="$root/dist/target/parhelia-$version/parhelia-$version"
launcher="$dist/bin/parhelia"
dist_archive="$root/dist/target/parhelia-$version.tar.gz"
classes="$root/bench/target/classes"
classpath_file="$root/bench/target/bench-classpath.txt"
wrk_script="$root/bench/src/main/wrk/mcp-call.lua"
jdk17="${BENCH_JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}"
[ -x "$jdk17/bin/java" ] || jdk17="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"

force_build=false
duration=10
warmup=5
warmup_rounds=12
connection_counts="16 64"
wrk_threads=2
task_count=20
with_ping=true
profile_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build) force_build=true ;;
    --duration) duration="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    --warmup-rounds) warmup_rounds="$2"; shift ;;
    --connections) connection_counts="$2"; shift ;;
    --threads) wrk_threads="$2"; shift ;;
    --tasks) task_count="$2"; shift ;;
    --no-ping) with_ping=false ;;
    --profile) profile_dir="$(mkdir -p "$2" && cd "$2" && pwd)"; shift ;;
    *) echo "http.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "http.sh: $*" >&2; }
# JVM options for one server ($1: parhelia or bare): PARHELIA_JAVA_OPTS, and a JFR recording with --profile.
java_opts_for() {
  echo "${PARHELIA_JAVA_OPTS:-}${profile_dir:+ -XX:StartFlightRecording=filename=$profile_dir/$1.jfr,settings=profile}"
}

# ---- processes started here, all stopped on exit ----
work="$(mktemp -d "${TMPDIR:-/tmp}/parhelia-http-bench.XXXXXX")"
tmux_socket="parhelia-http-bench-$$"
started_pids=()

stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "process $pid outlived SIGTERM by 10 s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local pid
  for pid in "${started_pids[@]+"${started_pids[@]}"}"; do stop_pid "$pid"; done
  tmux -L "$tmux_socket" kill-server 2>/dev/null || true
  # tmux leaves its socket file behind.
  rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$tmux_socket"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

# ---- wrk, build ----
if ! command -v wrk >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { log "wrk is missing: apt-get install wrk (as root)"; exit 1; }
  log "installing wrk (apt-get)"
  timeout 300 apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y -qq wrk >&2
fi

needs_build() {
  $force_build && return 0
  [ -x "$launcher" ] && [ -f "$dist_archive" ] && [ -f "$classes/io/parhelia/bench/BareServlet.class" ] || return 0
  # Any source or pom newer than the distribution (its archive: the launcher keeps its source's mtime) or the bench classes?
  [ -n "$(find "$root" -path "$root/*/target" -prune -o \( -path '*/src/*' -o -name pom.xml \) -type f \
      -newer "$dist_archive" -print -quit)" ] && return 0
  [ -n "$(find "$root/bench/src" -type f -newer "$classes/io/parhelia/bench/BareServlet.class" -print -quit)" ] && return 0
  return 1
}

if needs_build; then
  log "building (./mvnw -q -B -o install -DskipTests -DskipITs)"
  built=false
  for attempt in 1 2 3; do
    # Others build in this tree too; a transient failure is retried.
    if JAVA_HOME="$jdk17" ./mvnw -q -B -o install -DskipTests -DskipITs >&2; then built=true; break; fi
    log "build attempt $attempt failed; retrying in 20 s"
    sleep 20
  done
  $built || { log "the build failed"; exit 1; }
fi
if [ ! -s "$classpath_file" ] || [ "$root/bench/pom.xml" -nt "$classpath_file" ]; then
  JAVA_HOME="$jdk17" ./mvnw -q -B -o -pl bench dependency:build-classpath \
      -Dmdep.includeScope=runtime -Dmdep.outputFile="$classpath_file" >&2
fi

# Others may rebuild the tree during the run, and a build empties dist/target first: the server runs
# from a copy.
cp -a "$dist" "$work/dist"
served_launcher="$work/dist/bin/parhelia"

# The bare servlet runs with the launcher's own JVM options, read from the launcher so they stay in step.
jvm_opts_line="$(grep -m1 '^jvm_opts=(' "$served_launcher")" || { log "no jvm_opts=(...) line in $served_launcher"; exit 1; }
eval "$jvm_opts_line"

# ---- helpers ----
clock_ticks="$(getconf CLK_TCK)"

# The java process behind a pid: the launcher execs java once its AppCDS archive exists, but makes the
# archive on its first run with java as a child.
java_pid_of() {
  local pid="$1"
  if [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == */java ]]; then echo "$pid"; else pgrep -P "$pid" -x java | head -1; fi
}

# The first match of pattern $3 in log $2 of process $1 (named $4 in errors), waiting up to 60 s for it.
await_log_match() {
  local pid="$1" log_file="$2" pattern="$3" what="$4" match
  for _ in $(seq 600); do
    match="$(grep -o -m1 "$pattern" "$log_file")" && { echo "$match"; return; }
    kill -0 "$pid" 2>/dev/null || { log "$what exited:"; cat "$log_file" >&2; exit 1; }
    sleep 0.1
  done
  log "$what did not start within 60 s:"; cat "$log_file" >&2; exit 1
}

status_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Largest VmRSS (kB) of pid $1 while it runs, into file $2; stopped by the caller.
sample_rss() {
  local pid="$1" out="$2" max=0 rss
  echo 0 > "$out"
  while rss="$(status_kb "$pid" VmRSS 2>/dev/null)"; do
    if [ -n "$rss" ] && [ "$rss" -gt "$max" ]; then max="$rss"; echo "$max" > "$out"; fi
    sleep 0.2
  done
}

mcp_post() { # url session body -> reply body on stdout
  curl -sS --max-time 30 -X POST "$1" -H 'Content-Type: application/json' \
      -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' \
      ${2:+-H "Mcp-Session-Id: $2"} -d "$3"
}

# wrk against url $1 with $2 connections for $3 s; env MCP_*. Prints "req/s p50_ms p99_ms errors wrk_cpu_cores".
run_wrk() {
  local url="$1" connections="$2" seconds="$3" summary="$work/wrk-summary" times="$work/wrk-times"
  local threads=$(( wrk_threads < connections ? wrk_threads : connections ))
  : > "$summary"
  TIMEFORMAT='%U %S'
  { time WRK_SUMMARY="$summary" timeout $(( seconds + 30 )) wrk -t"$threads" -c"$connections" -d"${seconds}s" \
      --timeout 10s -s "$wrk_script" "$url" > "$work/wrk-out" 2>&1; } 2> "$times"
  [ -s "$summary" ] || { log "wrk printed no summary:"; cat "$work/wrk-out" >&2; exit 1; }
  local requests secs p50 p99 non200 no_result socket_errors
  read -r requests secs p50 p99 non200 no_result socket_errors < <(sed 's/[a-z0-9_]*=//g' "$summary")
  read -r wrk_user wrk_sys < "$times"
  if [ $(( non200 + no_result + socket_errors )) -gt 0 ]; then
    log "$url c=$connections: $non200 non-200, $no_result without \"result\", $socket_errors socket errors"
  fi
  awk -v n="$requests" -v s="$secs" -v p50="$p50" -v p99="$p99" -v e=$(( non200 + no_result + socket_errors )) \
      -v cpu="$(awk -v u="$wrk_user" -v y="$wrk_sys" 'BEGIN { print u + y }')" \
      'BEGIN { printf "%.0f %.2f %.2f %d %.2f\n", n / s, p50 / 1000, p99 / 1000, e, cpu / s }'
}

rows="$work/rows"        # target connections req/s p50 p99 errors server_cpu wrk_cpu
: > "$rows"
# One measured run: label, url, java pid, connections; appends a row.
measure() {
  local label="$1" url="$2" pid="$3" connections="$4"
  local rss_file="$work/rss-$label-$connections"
  local ticks_before ticks_after t0 t1 result
  sample_rss "$pid" "$rss_file" & local sampler=$!
  ticks_before="$(cpu_ticks "$pid")"; t0="$(date +%s.%N)"
  result="$(run_wrk "$url" "$connections" "$duration")"
  ticks_after="$(cpu_ticks "$pid")"; t1="$(date +%s.%N)"
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  local server_cpu; server_cpu="$(awk -v d=$(( ticks_after - ticks_before )) -v hz="$clock_ticks" -v a="$t0" -v b="$t1" \
      'BEGIN { printf "%.2f", d / hz / (b - a) }')"
  read -r rps p50 p99 errors wrk_cpu <<< "$result"
  echo "$label $connections $rps $p50 $p99 $errors $server_cpu $wrk_cpu" >> "$rows"
  log "$label c=$connections: $rps req/s, p50 $p50 ms, p99 $p99 ms, $errors errors"
}

max_connections="$(tr ' ' '\n' <<< "$connection_counts" | sort -n | tail -1)"
warmed_rounds=()
# Warms url $1 up (env MCP_*) in rounds until one is no more than 5% faster than the one before.
warm_up() {
  local url="$1" previous=0 rps round
  for round in $(seq "$warmup_rounds"); do
    rps="$(run_wrk "$url" "$max_connections" "$warmup" | cut -d' ' -f1)"
    log "warm-up $url round $round: $rps req/s"
    if [ "$round" -ge 3 ] && [ "$rps" -le $(( previous * 105 / 100 )) ]; then
      warmed_rounds+=("$round"); return
    fi
    previous="$rps"
  done
  log "warm-up of $url still speeding up after $warmup_rounds rounds"
  warmed_rounds+=("$warmup_rounds+")
}
list_params='{"name":"parhelia_task_list","arguments":{}}'

# ---- the product ----
home="$work/home"
mkdir -p "$home"
cat > "$home/config.toml" <<EOF
[agent]
command = ["$root/testing/fake-claude", "-p", "{prompt}", "--output-format", "stream-json", "--verbose", "--max-turns", "{max_turns}"]
[runtime.local]
tmux_socket = "$tmux_socket"
[http]
shutdown_grace_seconds = 2
EOF

# Starts the server on a free port; sets server_pid, java_pid and mcp_url.
start_server() {
  local log_file="$work/server-$1.log"
  PARHELIA_HOME="$home" JAVA_HOME="$jdk17" PARHELIA_JAVA_OPTS="$(java_opts_for parhelia)" "$served_launcher" mcp-server --transport http --port 0 < /dev/null > "$log_file" 2>&1 &
  server_pid=$!
  started_pids+=("$server_pid")
  mcp_url="$(await_log_match "$server_pid" "$log_file" 'serving MCP over HTTP at http://[^ ;]*' "the server" | sed 's/.* at //')"
  java_pid="$(java_pid_of "$server_pid")"
}

log "priming the launcher's AppCDS archive (a first run makes it; later runs, like this bench's, use it)"
start_server prime
stop_pid "$server_pid"
start_server measured
log "parhelia at $mcp_url, java pid $java_pid"

init='{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench-http","version":"0"}}}'
session="$(curl -sS --max-time 30 -D - -o /dev/null -X POST "$mcp_url" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -d "$init" \
    | awk -F': ' 'tolower($1) == "mcp-session-id" { print $2 }' | tr -d '\r')"
[ -n "$session" ] || { log "initialize gave no Mcp-Session-Id"; exit 1; }
mcp_post "$mcp_url" "$session" '{"jsonrpc":"2.0","method":"notifications/initialized"}' > /dev/null

log "seeding $task_count tasks"
for i in $(seq "$task_count"); do
  reply="$(mcp_post "$mcp_url" "$session" "{\"jsonrpc\":\"2.0\",\"id\":$(( 100 + i )),\"method\":\"tools/call\",\"params\":{\"name\":\"parhelia_task_create\",\"arguments\":{\"prompt\":\"exit=0 bench task $i\"}}}")"
  if grep -q '"isError":true' <<< "$reply"; then log "parhelia_task_create failed: $reply"; exit 1; fi
done
# The list must not change during the load: wait until every task has ended (with any status).
list_statuses() {
  mcp_post "$mcp_url" "$session" "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":$list_params}" \
      | grep -o '\\"status\\":\\"[a-z_]*' | sed 's/.*"//' | sort | uniq -c | xargs
}
for _ in $(seq 120); do
  statuses="$(list_statuses)"
  grep -q -E 'pending|starting|running' <<< "$statuses" || break
  sleep 0.5
done
if grep -q -E 'pending|starting|running' <<< "$statuses"; then log "tasks still not ended after 60 s: $statuses"; exit 1; fi
log "tasks: $statuses"

# The bytes the bare servlet will serve: one real reply of each kind, and its Content-Type.
curl -sS --max-time 30 -D "$work/list-headers" -o "$work/list-reply" -X POST "$mcp_url" -H 'Content-Type: application/json' \
    -H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: 2025-11-25' -H "Mcp-Session-Id: $session" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":$list_params}"
mcp_post "$mcp_url" "$session" '{"jsonrpc":"2.0","id":4,"method":"ping"}' > "$work/ping-reply"
content_type="$(awk -F': ' 'tolower($1) == "content-type" { print $2 }' "$work/list-headers" | tr -d '\r')"
grep -q '"result"' "$work/list-reply" || { log "parhelia_task_list gave no result: $(head -c 500 "$work/list-reply")"; exit 1; }
log "reply: $(wc -c < "$work/list-reply") bytes of $content_type ($task_count tasks); ping reply $(wc -c < "$work/ping-reply") bytes"

export MCP_SESSION="$session"
load_at_start="$(uptime | sed 's/.*load average: //')"
MCP_METHOD=tools/call MCP_PARAMS="$list_params" warm_up "$mcp_url"
if $with_ping; then MCP_METHOD=ping MCP_PARAMS="" warm_up "$mcp_url"; fi
sleep 2
product_idle_rss="$(status_kb "$java_pid" VmRSS)"
for c in $connection_counts; do
  MCP_METHOD=tools/call MCP_PARAMS="$list_params" measure parhelia "$mcp_url" "$java_pid" "$c"
done
if $with_ping; then
  for c in $connection_counts; do MCP_METHOD=ping MCP_PARAMS="" measure parhelia-ping "$mcp_url" "$java_pid" "$c"; done
fi
stop_pid "$server_pid"
unset MCP_SESSION

# ---- the bare servlet ----
bare_log="$work/bare.log"
# shellcheck disable=SC2154 # jvm_opts comes from the launcher's line, eval'd above
"$jdk17/bin/java" "${jvm_opts[@]}" $(java_opts_for bare) -cp "$classes:$(cat "$classpath_file")" io.parhelia.bench.BareServlet \
    --port 0 --content-type "$content_type" --reply "/mcp=$work/list-reply" --reply "/mcp-ping=$work/ping-reply" \
    < /dev/null > "$bare_log" 2>&1 &
bare_pid=$!
started_pids+=("$bare_pid")
bare_port="$(await_log_match "$bare_pid" "$bare_log" '^port=[0-9]*' "the bare servlet" | cut -d= -f2)"
bare_url="http://127.0.0.1:$bare_port/mcp"
log "bare servlet at $bare_url, pid $bare_pid"
warm_up "$bare_url"
if $with_ping; then warm_up "$bare_url-ping"; fi
sleep 2
bare_idle_rss="$(status_kb "$bare_pid" VmRSS)"
for c in $connection_counts; do measure bare "$bare_url" "$bare_pid" "$c"; done
if $with_ping; then
  for c in $connection_counts; do measure bare-ping "$bare_url-ping" "$bare_pid" "$c"; done
fi
stop_pid "$bare_pid"

# ---- the report ----
if commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null)"; then
  build_source="commit $commit"
  # (An if, not `[ … ] && echo`: under set -e a clean tree would end the script here.)
  if [ -n "$(git -C "$root" status --porcelain -- . ':!bench' 2>/dev/null)" ]; then
    build_source="$build_source with uncommitted changes"
  fi
else
  build_source="$root (not a git checkout)"
fi
load="$(uptime | sed 's/.*load average: //')"
ping_size="$(wc -c < "$work/ping-reply" | tr -d ' ')"
list_size="$(wc -c < "$work/list-reply" | tr -d ' ')"
echo "== Streamable HTTP: parhelia_task_list ($task_count tasks, $list_size-byte $content_type reply) =="
echo "$(nproc) cores shared by wrk (-t$wrk_threads) and the server; ${duration} s per row after warm-ups of" \
     "${warmed_rounds[*]} rounds of ${warmup} s (parhelia list, ping; bare list, ping);" \
     "load average (1, 5, 15 min) at the start: $load_at_start, at the end: $load"
echo "built from: $build_source; JVM: $("$jdk17/bin/java" -version 2>&1 | head -1), launcher options ${jvm_opts[*]} ${PARHELIA_JAVA_OPTS:-}"
echo
awk -v list_size="$list_size" -v ping_size="$ping_size" '
  BEGIN {
    name["parhelia"] = "parhelia tools/call parhelia_task_list"
    name["bare"] = "bare servlet, same " list_size "-byte reply"
    name["parhelia-ping"] = "parhelia ping"
    name["bare-ping"] = "bare servlet, same " ping_size "-byte reply"
    printf "| %-42s | %5s | %8s | %8s | %8s | %6s | %11s | %8s | %12s |\n", "target", "conns", "req/s", "p50 ms", "p99 ms",
        "errors", "server CPU", "wrk CPU", "server us/req"
    print "|--------------------------------------------|------:|---------:|---------:|---------:|-------:|------------:|---------:|-------------:|"
  }
  {
    printf "| %-42s | %5d | %8.0f | %8.2f | %8.2f | %6d | %11s | %8s | %12.0f |\n", name[$1], $2, $3, $4, $5, $6, $7 " cores",
        $8 " cores", ($3 > 0 ? $7 * 1e6 / $3 : 0)
    rps[$1 " " $2] = $3; p99[$1 " " $2] = $5; errors += $6
    if (!($2 in seen)) { seen[$2] = 1; counts[++n] = $2 }
  }
  END {
    print ""
    for (i = 1; i <= n; i++) {
      c = counts[i]
      printf "c=%d: parhelia / bare = %.0f%% of the throughput (goal: at least 60%%)", c, 100 * rps["parhelia " c] / rps["bare " c]
      if (("parhelia-ping " c) in rps) {
        printf "; ping / bare = %.0f%%", 100 * rps["parhelia-ping " c] / rps["bare-ping " c]
      }
      if (c == 16) printf "; parhelia p99 %.2f ms (goal: under 20 ms)", p99["parhelia " c]
      print ""
    }
    if (errors > 0) print "INVALID: " errors " bad replies during the load (non-200, no \"result\", or socket errors)"
  }' "$rows"
echo
echo "Resident memory (VmRSS of the java process):"
sampled_max() { sort -n "$work"/rss-"$1"-* | tail -1; }
echo "  parhelia: idle after warm-up $(( product_idle_rss / 1024 )) MiB; most under load $(( $(sampled_max parhelia) / 1024 )) MiB"
echo "  bare servlet: idle after warm-up $(( bare_idle_rss / 1024 )) MiB; most under load $(( $(sampled_max bare) / 1024 )) MiB"

awk '{ errors += $6 } END { exit errors > 0 }' "$rows"
