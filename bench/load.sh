#!/usr/bin/env bash
# Side-by-side load run on this machine: direct to the fake upstream, through Jetty's bare AsyncProxyServlet,
# and through the Jetty demo with every filter on. Prints requests/s and p99 for each and the ratios.
# Needs: wrk, and `mvn -B -DskipTests package` done first. Usage: bench/load.sh [CONNECTIONS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
C=${1:-50}; D=${2:-15}
BENCH=mirror-benchmarks/target/benchmarks.jar
DEMO=mirror-jetty-demo/target/mirror-jetty-demo.jar
FAKE_PORT=18081; BARE_PORT=18082; MIRROR_PORT=18083
JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m"}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

java $JAVA_OPTS -cp "$BENCH" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE_PORT > /tmp/bench-fake.log 2>&1 & pids+=($!)
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.BareProxyMain $BARE_PORT http://127.0.0.1:$FAKE_PORT > /tmp/bench-bare.log 2>&1 & pids+=($!)
cfg=$(mktemp --suffix=.yaml)
cat > "$cfg" <<YAML
upstreams:
  - name: fake
    url: http://127.0.0.1:$FAKE_PORT
    apiKey: sk-upstream-bench
tenants:
  - id: bench
    keys: ["plain:sk-bench"]
    limits:
      requestsPerMinute: 100000000
      inputTokensPerMinute: 1000000000
      outputTokensPerMinute: 1000000000
      maxConcurrent: 10000
pii:
  mode: redact
audit:
  dir: $(mktemp -d)
YAML
java $JAVA_OPTS -jar "$DEMO" --port $MIRROR_PORT --config "$cfg" > /tmp/bench-mirror.log 2>&1 & pids+=($!)
for port in $FAKE_PORT $BARE_PORT $MIRROR_PORT; do
  for i in $(seq 1 60); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done

run() { # name url
  KEY=sk-bench wrk -t2 -c"$C" -d"${D}s" --latency -s bench/messages.lua "$2/v1/messages" > /tmp/bench-$1.txt 2>&1 || true
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' /tmp/bench-$1.txt)
  p99=$(awk '$1=="99%" {print $2}' /tmp/bench-$1.txt)
  echo "$1 $rps $p99"
}
# warm-up, then measure
for u in "http://127.0.0.1:$FAKE_PORT" "http://127.0.0.1:$BARE_PORT" "http://127.0.0.1:$MIRROR_PORT"; do
  KEY=sk-bench wrk -t2 -c"$C" -d5s -s bench/messages.lua "$u/v1/messages" > /dev/null 2>&1 || true
done
direct=$(run direct "http://127.0.0.1:$FAKE_PORT")
bare=$(run bare "http://127.0.0.1:$BARE_PORT")
mirror=$(run mirror "http://127.0.0.1:$MIRROR_PORT")
printf '%-8s %12s %10s\n' path "requests/s" p99
for r in "$direct" "$bare" "$mirror"; do printf '%-8s %12s %10s\n' $r; done
d=$(echo "$direct" | awk '{print $2}'); b=$(echo "$bare" | awk '{print $2}'); m=$(echo "$mirror" | awk '{print $2}')
echo "mirror/direct = $(echo "scale=2; $m/$d" | bc)   bare/direct = $(echo "scale=2; $b/$d" | bc)   mirror/bare = $(echo "scale=2; $m/$b" | bc)"
grep -h "Non-2xx" /tmp/bench-*.txt || true
