#!/usr/bin/env bash
# Parhelia benchmarks: stdio cold start and dispatch latency of the built distribution.
#
#   bench/run.sh [--build] [BenchMain options...]
#   bench/run.sh checkpoint     checkpoints a 10,000-file / 200 MB workspace twice (one file changed)
#
# Builds the project first when the distribution or the bench classes are missing or older than the
# sources (or always, with --build), then runs io.parhelia.bench.BenchMain on JDK 17 and prints a table
# on stdout (progress goes to stderr). Useful options (see BenchMain --help):
#   --runs N            cold-start runs per case (default 10)
#   --tasks N           measured dispatch tasks (default 20)
#   --temurin DIR|none  a second JDK to compare (default /usr/lib/jvm/temurin-25-jdk-amd64 if present)
#   --no-variants       skip the JVM-option variants (C2, G1, AOT cache)
#   --variant OPTS      one more JDK 17 + AppCDS case with PARHELIA_JAVA_OPTS=OPTS (repeatable)
#   --only cold-start|dispatch
#   --runtime podman    dispatch into Podman containers (of the test image, built here) instead of tmux
# Nothing here runs during `./mvnw verify`. Everything is bounded: each wait inside the bench has its
# own limit, and the whole run is stopped after BENCH_TIMEOUT seconds (default 2400).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="0.1.0-SNAPSHOT"
dist="$root/dist/target/parhelia-$version/parhelia-$version"
classes="$root/bench/target/classes"
classpath_file="$root/bench/target/bench-classpath.txt"
jdk17="${BENCH_JDK17:-/usr/lib/jvm/java-17-openjdk-amd64}"
[ -x "$jdk17/bin/java" ] || jdk17="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
temurin_default=/usr/lib/jvm/temurin-25-jdk-amd64

force_build=false
args=()
for arg in "$@"; do
  if [ "$arg" = "--build" ]; then force_build=true; else args+=("$arg"); fi
done

needs_build() {
  $force_build && return 0
  [ -x "$dist/bin/parhelia" ] && [ -d "$classes/io/parhelia/bench" ] || return 0
  # Any source or pom newer than the distribution's launcher or the bench classes?
  [ -n "$(find "$root" -path "$root/*/target" -prune -o \( -path '*/src/*' -o -name pom.xml \) -type f \
      -newer "$dist/bin/parhelia" -print -quit)" ] && return 0
  [ -n "$(find "$root/bench/src" -type f -newer "$classes/io/parhelia/bench/BenchMain.class" -print -quit 2>/dev/null)" ] && return 0
  return 1
}

if needs_build; then
  echo "run.sh: building (./mvnw -q -B -o install -DskipTests)" >&2
  built=false
  for attempt in 1 2 3; do
    # Others build in this tree too; a transient failure is retried.
    if JAVA_HOME="$jdk17" ./mvnw -q -B -o install -DskipTests >&2; then built=true; break; fi
    echo "run.sh: build attempt $attempt failed; retrying in 20 s" >&2
    sleep 20
  done
  $built || { echo "run.sh: the build failed" >&2; exit 1; }
fi

if [ ! -s "$classpath_file" ] || [ "$root/bench/pom.xml" -nt "$classpath_file" ]; then
  JAVA_HOME="$jdk17" ./mvnw -q -B -o -pl bench dependency:build-classpath \
      -Dmdep.includeScope=runtime -Dmdep.outputFile="$classpath_file" >&2
fi

if [ "${args[0]:-}" = "checkpoint" ]; then
  exec timeout -k 10 "${BENCH_TIMEOUT:-2400}" "$jdk17/bin/java" -cp "$classes:$(cat "$classpath_file")" \
      io.parhelia.bench.CheckpointBench
fi

temurin_args=()
have_temurin_arg=false
for arg in "${args[@]+"${args[@]}"}"; do [ "$arg" = "--temurin" ] && have_temurin_arg=true; done
if ! $have_temurin_arg; then
  if [ -x "$temurin_default/bin/java" ]; then temurin_args=(--temurin "$temurin_default"); else temurin_args=(--temurin none); fi
fi

# --runtime podman: dispatch into containers of the test image (built once per machine, from this
# machine's Debian binaries, since no registry may be reachable).
podman_args=()
for arg in "${args[@]+"${args[@]}"}"; do
  if [ "$arg" = "podman" ]; then
    runc_args=()
    [ -x /usr/sbin/runc ] && runc_args=(--runtime /usr/sbin/runc)
    podman_args=(--podman-image "$("$root/runtime-podman/src/test/container/build-test-image.sh" "$root/testing/fake-claude" "${runc_args[@]+"${runc_args[@]}"}")")
  fi
done

exec timeout -k 10 "${BENCH_TIMEOUT:-2400}" "$jdk17/bin/java" -cp "$classes:$(cat "$classpath_file")" io.parhelia.bench.BenchMain \
  --dist "$dist" --agent-script "$root/bench/bench-agent" --fake-agent "$root/testing/fake-claude" \
  --jdk17 "$jdk17" "${temurin_args[@]}" "${podman_args[@]+"${podman_args[@]}"}" "${args[@]+"${args[@]}"}"
