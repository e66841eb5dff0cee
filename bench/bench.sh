#!/usr/bin/env bash
# One bench command: direct vs nginx proxy_pass vs Jetty's bare AsyncProxyServlet vs the Jetty demo vs the Spring
# Boot (Tomcat) demo, side by side
# in one run on one fake upstream, interleaved (every target measured right after the others at each step).
#   JSON, cache cold (every prompt different) and warm (one prompt: mirror cache HITs), at 50/100/200 connections:
#     requests/s, p50/p99, ratios to nginx, CPU µs per request (process CPU time), bytes allocated per request
#     (JVMs: from the GC log between two forced GCs), via wrk.
#   Streaming, cache cold, ~50 events 20 ms apart, at 50/100/200 concurrent streams (bench/sse_probe.py):
#     time to first event p50/p99 and per-event gap excess p99.
#   OPEN concurrent long streams (the fake restarted with 100 events 100 ms apart): completed, TTFE,
#     gap excess, and heap after GC and threads while they are open, against idle.
# Needs wrk, nginx, python3 and `mvn -B -DskipTests package` first.
# Usage: bench/bench.sh [SECONDS] [OUT.md]   env: CONNS="50 100 200" OPEN=1000 JAVA_OPTS=... PIN=1 SKIP_OPEN=0
#   H2=1: the demos talk HTTP/2 (h2c) to the upstream (proxy.http2: on); CONNS="" runs the long streams only.
#   DEMO_ARGS="--virtual-threads": extra demo options (with a Java 21+ `java` first on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
D=${1:-10}; OUT=${2:-}; CONNS=${CONNS-"50 100 200"}; OPEN=${OPEN:-1000}
BENCH=${BENCH_JAR:-mirror-benchmarks/target/benchmarks.jar}
JETTY=${JETTY_JAR:-mirror-jetty-demo/target/mirror-jetty-demo.jar}
SPRING=${SPRING_JAR:-mirror-tomcat-demo/target/mirror-tomcat-demo.jar}
FAKE=18381; NGINX=18382; JETTY_PORT=18383; SPRING_PORT=18384; BARE_PORT=18385
JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+UseG1GC"}
SERVERS=""; CLIENT=""
if [[ "${PIN:-0}" == "1" ]] && command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  last=$(( $(nproc) - 1 )); SERVERS="taskset -c 1-$last"; CLIENT="taskset -c 0"
fi
work=$(mktemp -d); pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

for t in jetty spring; do
  { bench_mirror_yaml $FAKE "$work/audit-$t" "$work/state-$t"
    printf 'cache:\n  enabled: true\n  messages: all\n  maxEntries: 1000\n'
    # H2=1: the demos speak h2c to the fake (which then serves HTTP/1.1 and h2c on one port).
    if [[ "${H2:-0}" == "1" ]]; then printf 'proxy:\n  http2: "on"\n'; fi; } > "$work/$t.yaml"
done
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 8192; }
worker_rlimit_nofile 65536;
http {
  access_log off;
  upstream fake { server 127.0.0.1:$FAKE; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX backlog=4096;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 300s;
    }
  }
}
NGINX

start_fake() {  # $1 event delay ms, $2 chunk size (characters per text delta)
  $SERVERS java $JAVA_OPTS -cp "$BENCH" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE \
    --event-delay-ms "$1" --chunk-size "$2" --protocols "$([[ ${H2:-0} == 1 ]] && echo H2C || echo HTTP1)" > "$work/fake.log" 2>&1 & FAKE_PID=$!; pids+=($FAKE_PID)
  for i in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$FAKE/" && break; sleep 0.5; done
}
start_fake 20 "${CHUNK:-4}"
$SERVERS nginx -c "$work/nginx.conf" -p "$work"
$SERVERS java $JAVA_OPTS -Xlog:gc:file="$work/gc-jetty.log" -jar "$JETTY" --port $JETTY_PORT --config "$work/jetty.yaml" ${DEMO_ARGS:-} \
  > "$work/jetty.log" 2>&1 & pids+=($!)
$SERVERS java $JAVA_OPTS -Xlog:gc:file="$work/gc-spring.log" -jar "$SPRING" --port $SPRING_PORT --config "$work/spring.yaml" ${DEMO_ARGS:-} \
  > "$work/spring.log" 2>&1 & pids+=($!)
# The ceiling of any servlet proxy on Jetty: Jetty's own AsyncProxyServlet, no filters, same JVM options.
$SERVERS java $JAVA_OPTS -Xlog:gc:file="$work/gc-bare.log" -cp "$BENCH" io.claudemirror.bench.BareProxyMain $BARE_PORT \
  "http://127.0.0.1:$FAKE" > "$work/bare.log" 2>&1 & BARE_PID=$!; pids+=($BARE_PID)
for port in $NGINX $JETTY_PORT $SPRING_PORT $BARE_PORT; do
  for i in $(seq 1 240); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done
NGINX_MASTER=$(cat "$work/nginx.pid")
pid_of() { case $1 in direct) echo $FAKE_PID;; bare) echo $BARE_PID;; nginx) echo "$NGINX_MASTER $(pgrep -P "$NGINX_MASTER" | tr '\n' ' ')";;
  jetty) ss -ltnp "sport = :$JETTY_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2;;
  spring) ss -ltnp "sport = :$SPRING_PORT" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2;; esac; }
port_of() { case $1 in direct) echo $FAKE;; bare) echo $BARE_PORT;; nginx) echo $NGINX;; jetty) echo $JETTY_PORT;; spring) echo $SPRING_PORT;; esac; }
cpu_ms() { local t=0; for p in $1; do t=$(( t + $(awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$p/stat") )); done; echo $t; }
# Bytes allocated between two forced GCs: the growth of the heap from each collection's "after" to the next
# one's "before" (unified GC log, -Xlog:gc). JVM targets only.
gc_mark() { [[ -f $work/gc-$1.log ]] || { echo 0; return; }; jcmd "$(pid_of "$1")" GC.run > /dev/null 2>&1 || true; sleep 0.3; wc -l < "$work/gc-$1.log"; }
allocated() { python3 - "$work/gc-$1.log" "$2" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]) - 1:]
unit = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
total, prev = 0, None
for l in lines:
    m = re.search(r"(\d+)([KMG])->(\d+)([KMG])\(", l)
    if not m:
        continue
    before, after = int(m.group(1)) * unit[m.group(2)], int(m.group(3)) * unit[m.group(4)]
    if prev is not None:
        total += max(0, before - prev)
    prev = after
print(total)
PY
}
TARGETS="direct nginx bare jetty spring"
KEY=sk-bench; export KEY
wrkrun() { STREAM=0 $CLIENT wrk -t1 -c"$2" -d"$3" --latency -s "$4" "http://127.0.0.1:$(port_of "$1")/v1/messages"; }
# Warm-up: the JIT of every JVM, and the warm cache's one entry.
for t in $TARGETS; do wrkrun $t 50 "${WARMUP:-20}s" bench/messages_unique.lua > /dev/null 2>&1 || true; done
for t in $TARGETS; do wrkrun $t 50 5s bench/messages.lua > /dev/null 2>&1 || true; done
for t in jetty spring; do python3 bench/sse_probe.py "http://127.0.0.1:$(port_of $t)/v1/messages" 50 5 20 > /dev/null || true; done

res=$work/results.tsv; : > "$res"
for c in $CONNS; do
  for mode in cold warm; do
    script=bench/messages_unique.lua; [[ $mode == warm ]] && script=bench/messages.lua
    for t in $TARGETS; do
      pid=$(pid_of $t); mark=$(gc_mark $t); c0=$(cpu_ms "$pid")
      wrkrun $t "$c" "${D}s" $script > "$work/w.txt" 2>&1 || true
      c1=$(cpu_ms "$pid")
      n=$(grep -o "[0-9]* requests in" "$work/w.txt" | awk '{print $1}'); n=${n:-0}
      bad=$(awk '/Non-2xx/ {print $5}' "$work/w.txt"); err=$(grep -o "Socket errors.*" "$work/w.txt" || true)
      bytes="-"; if [[ $mark != 0 ]]; then gc_mark $t > /dev/null; bytes=$(( $(allocated $t "$mark") / (n > 0 ? n : 1) )); fi
      printf 'json\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$c" "$t" \
        "$(awk '/Requests\/sec/ {print $2}' "$work/w.txt")" "$(awk '$1=="50%" {print $2}' "$work/w.txt")" \
        "$(awk '$1=="99%" {print $2}' "$work/w.txt")" $(( (c1 - c0) * 1000 / (n > 0 ? n : 1) )) "$bytes" "${bad:-0}" "${err:-}" >> "$res"
      tail -1 "$res"
    done
  done
  for t in $TARGETS; do
    pid=$(pid_of $t); c0=$(cpu_ms "$pid")
    s=$(python3 bench/sse_probe.py "http://127.0.0.1:$(port_of $t)/v1/messages" "$c" "$D" 20)
    c1=$(cpu_ms "$pid")
    printf 'sse\tcold\t%s\t%s\t%s\t%s\n' "$c" "$t" "$s" $(( c1 - c0 )) >> "$res"; tail -1 "$res"
  done
done

if [[ "${SKIP_OPEN:-0}" != "1" ]]; then
  # Long streams: 100 events 100 ms apart (about 10 s each), OPEN at once.
  kill $FAKE_PID; wait $FAKE_PID 2>/dev/null || true; start_fake 100 "${LONG_CHUNK:-2}"
  for t in $TARGETS; do
    pid=$(pid_of $t)
    heap0="-"; if [[ -f $work/gc-$t.log ]]; then gc_mark $t > /dev/null; heap0=$(tail -1 "$work/gc-$t.log" | grep -o -- '->[0-9]*[KMG]' | tr -d '>-'); fi
    thr0=$(awk '/^Threads/ {s+=$2} END {print s}' $(for p in $pid; do echo /proc/$p/status; done))
    rss0=$(awk '/^VmRSS/ {s+=$2} END {print int(s/1024)}' $(for p in $pid; do echo /proc/$p/status; done))
    rm -f "$work/open"
    python3 bench/sse_probe.py "http://127.0.0.1:$(port_of $t)/v1/messages" "$OPEN" 60 100 --once --hold "$work/open" > "$work/open.json" &
    probe=$!
    for i in $(seq 1 600); do [[ -f $work/open ]] && break; sleep 0.1; done
    thr1=$(awk '/^Threads/ {s+=$2} END {print s}' $(for p in $pid; do echo /proc/$p/status; done))
    rss1=$(awk '/^VmRSS/ {s+=$2} END {print int(s/1024)}' $(for p in $pid; do echo /proc/$p/status; done))
    heap1="-"; if [[ -f $work/gc-$t.log ]]; then gc_mark $t > /dev/null; heap1=$(tail -1 "$work/gc-$t.log" | grep -o -- '->[0-9]*[KMG]' | tr -d '>-'); fi
    wait $probe || true
    printf 'open\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$OPEN" "$t" "$(cat "$work/open.json")" "$heap0" "$heap1" "$thr0" "$thr1" "$rss0" "$rss1" "$(cat "$work/open" 2>/dev/null | tr -d '\n')" >> "$res"
    tail -1 "$res"
  done
fi
python3 bench/bench_table.py "$res" > "$work/table.md"
cat "$work/table.md"
if [[ -n "$OUT" ]]; then cp "$work/table.md" "$OUT"; fi
cp "$res" "${RESULTS:-/tmp/bench-results.tsv}"
