#!/usr/bin/env bash
# JFR profile of the mirror host (every filter on) under wrk at C connections, JSON (or STREAM=1).
# Writes $OUT/host.jfr and prints CPU (jdk.ExecutionSample) and allocation (jdk.ObjectAllocationSample)
# breakdowns by area via bench/jfr_breakdown.py. Usage: bench/profile.sh [CONNECTIONS] [SECONDS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
C=${1:-50}; D=${2:-30}; OUT=${3:-$(mktemp -d)}; export STREAM=${STREAM:-0}
BENCH=mirror-benchmarks/target/benchmarks.jar
FAKE=18181; HOST=18183
JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+UseG1GC"}
mkdir -p "$OUT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
bench_mirror_yaml $FAKE "$OUT/audit" "$OUT/state" > "$OUT/mirror.yaml"
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE > "$OUT/fake.log" 2>&1 & pids+=($!)
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.MirrorHostMain $HOST "$OUT/mirror.yaml" > "$OUT/host.log" 2>&1 & pids+=($!); HPID=$!
for port in $FAKE $HOST; do
  for i in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done
load() { KEY=sk-bench wrk -t1 -c"$C" -d"$1" --latency -s bench/messages.lua "http://127.0.0.1:$HOST/v1/messages"; }
load "${WARMUP:-20}s" > /dev/null 2>&1 || true
jcmd $HPID JFR.start name=p settings=profile filename="$OUT/host.jfr" > /dev/null
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
a0=$(curl -s "http://127.0.0.1:$HOST/__alloc"); c0=$(cpu_ms $HPID)
load "${D}s" > "$OUT/wrk.txt" 2>&1 || true
a1=$(curl -s "http://127.0.0.1:$HOST/__alloc"); c1=$(cpu_ms $HPID)
jcmd $HPID JFR.stop name=p > /dev/null
n=$(grep -o "[0-9]* requests in" "$OUT/wrk.txt" | awk '{print $1}')
echo "requests=$n rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk.txt") p99=$(awk '$1=="99%" {print $2}' "$OUT/wrk.txt") bytes/request=$(( (a1 - a0) / n )) cpu-us/request=$(( (c1 - c0) * 1000 / n ))"
grep -h "Non-2xx\|Socket errors" "$OUT/wrk.txt" || true
python3 bench/jfr_breakdown.py "$OUT/host.jfr"
