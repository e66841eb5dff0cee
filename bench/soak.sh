#!/usr/bin/env bash
# Soak: MINUTES at STREAMS concurrent SSE streams (~50 events 20 ms apart, a new stream as soon as one ends)
# through the Jetty demo (or TARGET=spring), every filter on. Each minute: heap after a forced full GC, live
# threads, open file descriptors, streams completed and errors so far. Flat lines are the pass condition.
# Usage: bench/soak.sh [MINUTES] [STREAMS]   (needs `mvn -B -DskipTests package`, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
M=${1:-10}; S=${2:-200}; TARGET=${TARGET:-jetty}
BENCH=${BENCH_JAR:-mirror-benchmarks/target/benchmarks.jar}
JAR=${JAR:-mirror-jetty-demo/target/mirror-jetty-demo.jar}; [[ $TARGET == spring ]] && JAR=${JAR_SPRING:-mirror-tomcat-demo/target/mirror-tomcat-demo.jar}
FAKE=18481; PORT=18482
JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+UseG1GC"}
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
bench_mirror_yaml $FAKE "$work/audit" "$work/state" > "$work/mirror.yaml"
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE --event-delay-ms 20 --chunk-size 4 \
  > "$work/fake.log" 2>&1 & pids+=($!)
java $JAVA_OPTS -Xlog:gc:file="$work/gc.log" -jar "$JAR" --port $PORT --config "$work/mirror.yaml" > "$work/host.log" 2>&1 & pids+=($!)
for port in $FAKE $PORT; do
  for i in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done
HPID=$(ss -ltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
sample() {
  jcmd "$HPID" GC.run > /dev/null 2>&1 || true; sleep 0.3
  heap=$(tail -1 "$work/gc.log" | grep -o -- '->[0-9]*[KMG]' | tr -d '>-')
  threads=$(awk '/^Threads/ {print $2}' "/proc/$HPID/status"); fds=$(ls "/proc/$HPID/fd" | wc -l)
  echo "| $1 | $heap | $threads | $fds | $(cat "$work/progress" 2>/dev/null || echo -) |"
}
echo "| minute | heap after full GC | threads | fds | streams done (errors) |"
echo "|---|---|---|---|---|"
sample idle
python3 bench/sse_probe.py "http://127.0.0.1:$PORT/v1/messages" "$S" $(( M * 60 )) 20 --progress "$work/progress" > "$work/probe.json" &
probe=$!; pids+=($probe)
for m in $(seq 1 "$M"); do sleep 60; sample "$m"; done
wait $probe || true
sleep 2; sample after
echo; echo "probe: $(cat "$work/probe.json")"
echo "audit lines: $(cat "$work"/audit/* 2>/dev/null | wc -l)"
