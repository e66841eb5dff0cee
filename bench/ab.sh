#!/usr/bin/env bash
# Before/after in one run: the mirror host (every filter on) built from two benchmark jars, side by side on
# one fake upstream, measured alternately (A B A B …) so drift on a shared machine hits both alike.
# Prints bytes allocated and CPU µs per request for each window, and the B/A ratios over all windows.
# Usage: bench/ab.sh JAR_A JAR_B [CONNECTIONS] [SECONDS] [ROUNDS]   (STREAM=1 for streaming)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
A=$1; B=$2; C=${3:-50}; D=${4:-10}; R=${5:-3}; export STREAM=${STREAM:-0}
FAKE=18281; PA=18282; PB=18283
JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+UseG1GC"}
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
bench_mirror_yaml $FAKE "$work/audit" "$work/state-JAR" > "$work/mirror.yaml"
sed 's/state-JAR/state-a/' "$work/mirror.yaml" > "$work/a.yaml"; sed 's/state-JAR/state-b/' "$work/mirror.yaml" > "$work/b.yaml"
java $JAVA_OPTS -cp "$A" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE > "$work/fake.log" 2>&1 & pids+=($!)
java $JAVA_OPTS ${JAVA_OPTS_A:-} -cp "$A" io.claudemirror.bench.MirrorHostMain $PA "$work/a.yaml" > "$work/a.log" 2>&1 & pids+=($!); PIDA=$!
java $JAVA_OPTS ${JAVA_OPTS_B:-} -cp "$B" io.claudemirror.bench.MirrorHostMain $PB "$work/b.yaml" > "$work/b.log" 2>&1 & pids+=($!); PIDB=$!
for port in $FAKE $PA $PB; do
  for i in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
load() { KEY=sk-bench wrk -t1 -c"$C" -d"$2" --latency -s bench/messages.lua "http://127.0.0.1:$1/v1/messages"; }
for port in $PA $PB; do load $port "${WARMUP:-90}s" > /dev/null 2>&1 || true; done
declare -A N ALLOC CPU
printf '%-6s %-2s %10s %10s %14s %14s\n' round jar req/s p99 bytes/request cpu-us/request
for r in $(seq 1 "$R"); do
  for j in A B; do
    if [[ $j == A ]]; then port=$PA; pid=$PIDA; else port=$PB; pid=$PIDB; fi
    a0=$(curl -s "http://127.0.0.1:$port/__alloc"); c0=$(cpu_ms $pid)
    load $port "${D}s" > "$work/$j.txt" 2>&1 || true
    a1=$(curl -s "http://127.0.0.1:$port/__alloc"); c1=$(cpu_ms $pid)
    n=$(grep -o "[0-9]* requests in" "$work/$j.txt" | awk '{print $1}')
    N[$j]=$(( ${N[$j]:-0} + n )); ALLOC[$j]=$(( ${ALLOC[$j]:-0} + a1 - a0 )); CPU[$j]=$(( ${CPU[$j]:-0} + c1 - c0 ))
    printf '%-6s %-2s %10s %10s %14s %14s\n' $r $j "$(awk '/Requests\/sec/ {print $2}' "$work/$j.txt")" \
      "$(awk '$1=="99%" {print $2}' "$work/$j.txt")" $(( (a1 - a0) / n )) $(( (c1 - c0) * 1000 / n ))
    grep -h "Non-2xx\|Socket errors" "$work/$j.txt" | sed "s/^/$j: /" || true
  done
done
ba=$(( ALLOC[A] / N[A] )); bb=$(( ALLOC[B] / N[B] )); ca=$(( CPU[A] * 1000 / N[A] )); cb=$(( CPU[B] * 1000 / N[B] ))
echo "all windows: A $ba B/request, $ca µs/request; B $bb B/request, $cb µs/request; B/A bytes $(echo "scale=2; $bb/$ba" | bc), cpu $(echo "scale=2; $cb/$ca" | bc)"
