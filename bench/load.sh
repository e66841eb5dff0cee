#!/usr/bin/env bash
# Side-by-side load run on this machine, in one go:
#   direct  — wrk straight at the fake upstream
#   bare    — through Jetty 12's stock AsyncProxyServlet.Transparent (no filters)
#   host    — through a minimal embedded-Jetty host with the mirror installed in code (every filter on)
#   demo    — through the Jetty demo jar (web.xml host, every filter on)
# Prints requests/s and p99 for each, the ratios, and bytes allocated per request in bare and host.
# Needs wrk and `mvn -B -DskipTests package` first. Usage: bench/load.sh [CONNECTIONS] [SECONDS] [STREAM=0|1]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
C=${1:-50}; D=${2:-15}; export STREAM=${3:-0}
BENCH=mirror-benchmarks/target/benchmarks.jar
DEMO=mirror-jetty-demo/target/mirror-jetty-demo.jar
FAKE=18081; BARE=18082; HOST=18083; DEMO_PORT=18084
JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+UseG1GC"}
# On a small box, keep the load generator off the servers' core so runs are comparable (PIN=0 to disable).
SERVERS=""; CLIENT=""
if [[ "${PIN:-1}" == "1" ]] && command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  last=$(( $(nproc) - 1 )); SERVERS="taskset -c 1-$last"; CLIENT="taskset -c 0"
fi
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

work=$(mktemp -d)
if [[ "${FILTERS:-all}" == "all" ]]; then
bench_mirror_yaml $FAKE "$work/audit" > "$work/mirror.yaml"
else  # FILTERS=core: auth and the proxy only (no limits, PII off, audit off)
cat > "$work/mirror.yaml" <<YAML
upstreams:
  - name: fake
    url: http://127.0.0.1:$FAKE
    apiKey: sk-upstream-bench
tenants:
  - id: bench
    keys: ["plain:sk-bench"]
audit:
  dir: ""
YAML
fi
# Two mirror processes: each its own state.dir (the ownership index is one process's file).
sed "s|^audit:|state:\n  dir: $work/state-host\naudit:|" "$work/mirror.yaml" > "$work/mirror-host.yaml"
sed "s|^audit:|state:\n  dir: $work/state-demo\naudit:|" "$work/mirror.yaml" > "$work/mirror-demo.yaml"
declare -A PID
$SERVERS java $JAVA_OPTS -cp "$BENCH" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE > "$work/fake.log" 2>&1 & pids+=($!); PID[direct]=$!
$SERVERS java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.BareProxyMain $BARE http://127.0.0.1:$FAKE > "$work/bare.log" 2>&1 & pids+=($!); PID[bare]=$!
$SERVERS java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.MirrorHostMain $HOST "$work/mirror-host.yaml" > "$work/host.log" 2>&1 & pids+=($!); PID[host]=$!
$SERVERS java $JAVA_OPTS -jar "$DEMO" --port $DEMO_PORT --config "$work/mirror-demo.yaml" > "$work/demo.log" 2>&1 & pids+=($!); PID[demo]=$!
# CPU time (user+system, ms) a process has used: robust on a busy box, unlike requests/s.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
for port in $FAKE $BARE $HOST $DEMO_PORT; do
  for i in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done

load() { KEY=sk-bench $CLIENT wrk -t1 -c"$C" -d"$2" --latency -s bench/messages.lua "$1/v1/messages"; }
# Warm-up long enough for the JIT to finish: its compile threads would otherwise count in CPU/request.
for port in $FAKE $BARE $HOST $DEMO_PORT; do load "http://127.0.0.1:$port" "${WARMUP:-20}s" > /dev/null 2>&1 || true; done

declare -A RPS P99 ALLOC CPU
for name in direct bare host demo; do
  case $name in direct) port=$FAKE;; bare) port=$BARE;; host) port=$HOST;; demo) port=$DEMO_PORT;; esac
  before=$(curl -s "http://127.0.0.1:$port/__alloc" || echo "")
  cpu0=$(cpu_ms "${PID[$name]}"); fcpu0=$(cpu_ms "${PID[direct]}")
  load "http://127.0.0.1:$port" "${D}s" > "$work/$name.txt" 2>&1 || true
  cpu1=$(cpu_ms "${PID[$name]}"); fcpu1=$(cpu_ms "${PID[direct]}")
  after=$(curl -s "http://127.0.0.1:$port/__alloc" || echo "")
  RPS[$name]=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
  P99[$name]=$(awk '$1=="99%" {print $2}' "$work/$name.txt")
  n=$(grep -o "[0-9]* requests in" "$work/$name.txt" | awk '{print $1}')
  if [[ "$before" =~ ^[0-9]+$ && "$after" =~ ^[0-9]+$ && -n "$n" ]]; then ALLOC[$name]=$(( (after - before) / n )); else ALLOC[$name]="-"; fi
  # CPU microseconds per request spent in the process under test (for direct: the fake itself).
  CPU[$name]=$(( (cpu1 - cpu0) * 1000 / n ))
  grep -h "Non-2xx\|Socket errors" "$work/$name.txt" | sed "s/^/$name: /" || true
done
echo "connections=$C duration=${D}s stream=$STREAM filters=${FILTERS:-all}"
printf '%-7s %12s %10s %14s %14s\n' path requests/s p99 bytes/request cpu-us/request
for name in direct bare host demo; do printf '%-7s %12s %10s %14s %14s\n' $name "${RPS[$name]}" "${P99[$name]}" "${ALLOC[$name]}" "${CPU[$name]}"; done
r() { echo "scale=2; $1/$2" | bc; }
echo "demo/direct=$(r ${RPS[demo]} ${RPS[direct]})  host/direct=$(r ${RPS[host]} ${RPS[direct]})  bare/direct=$(r ${RPS[bare]} ${RPS[direct]})  demo/bare=$(r ${RPS[demo]} ${RPS[bare]})  host/bare=$(r ${RPS[host]} ${RPS[bare]})"
