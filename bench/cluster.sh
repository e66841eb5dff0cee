#!/usr/bin/env bash
# Cluster mode side by side, in one run: one mirror node straight, and two mirror nodes behind nginx
# (round robin), both nodes sharing one Redis (limits, leases, ownership, cache tier). The fake upstream and
# Redis run on the same box. Every filter on, cache off (cold), JSON requests at 50/100/200 connections.
# On a 2-core box two nodes share the same cores, so this shows Redis's cost per request, not scale-out.
# Needs wrk, nginx, redis-server and `mvn -B -DskipTests package` first. Usage: bench/cluster.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
D=${1:-10}
BENCH=mirror-benchmarks/target/benchmarks.jar
FAKE=18101; NODE_A=18102; NODE_B=18103; NGINX=18104; SOLO=18105; REDIS=18106
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx256m -XX:+UseG1GC"}
pids=()
work=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -f $work/nginx.pid ]] && kill "$(cat $work/nginx.pid)" 2>/dev/null || true
  redis-cli -p $REDIS shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT
redis-server --port $REDIS --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --pidfile "$work/redis.pid" \
  --logfile "$work/redis.log"
config() {  # $1 = the node's directory, $2 = redis uri ("" for none)
  bench_mirror_yaml $FAKE "$1/audit" "$1/state"
  printf 'redis:\n  uri: "%s"\n' "$2"
}
config "$work/a" "redis://127.0.0.1:$REDIS" > "$work/a.yaml"
config "$work/b" "redis://127.0.0.1:$REDIS" > "$work/b.yaml"
config "$work/solo" "" > "$work/solo.yaml"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream mirrors { server 127.0.0.1:$NODE_A; server 127.0.0.1:$NODE_B; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX;
    location / { proxy_pass http://mirrors; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }
}
NGINX
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE > "$work/fake.log" 2>&1 & pids+=($!)
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.MirrorHostMain $NODE_A "$work/a.yaml" > "$work/a.log" 2>&1 & pids+=($!)
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.MirrorHostMain $NODE_B "$work/b.yaml" > "$work/b.log" 2>&1 & pids+=($!)
java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.MirrorHostMain $SOLO "$work/solo.yaml" > "$work/solo.log" 2>&1 & pids+=($!)
nginx -c "$work/nginx.conf" -p "$work"
for port in $FAKE $NODE_A $NODE_B $SOLO $NGINX; do
  for i in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done
load() { KEY=sk-bench STREAM=0 wrk -t1 -c"$2" -d"$3" --latency -s bench/messages.lua "$1/v1/messages"; }
for port in $SOLO $NGINX; do load "http://127.0.0.1:$port" 50 "${WARMUP:-15}s" > /dev/null 2>&1 || true; done
echo "| connections | one node, local limits: req/s (p99) | two nodes on Redis behind nginx: req/s (p99) | ratio |"
echo "|---|---|---|---|"
for c in 50 100 200; do
  load "http://127.0.0.1:$SOLO" "$c" "${D}s" > "$work/solo-$c.txt" 2>&1 || true
  load "http://127.0.0.1:$NGINX" "$c" "${D}s" > "$work/pair-$c.txt" 2>&1 || true
  s=$(awk '/Requests\/sec/ {print $2}' "$work/solo-$c.txt"); p=$(awk '/Requests\/sec/ {print $2}' "$work/pair-$c.txt")
  s99=$(awk '$1=="99%" {print $2}' "$work/solo-$c.txt"); p99=$(awk '$1=="99%" {print $2}' "$work/pair-$c.txt")
  grep -h "Non-2xx\|Socket errors" "$work/solo-$c.txt" "$work/pair-$c.txt" >&2 || true
  printf '| %s | %.0f (%s) | %.0f (%s) | %.2f |\n' "$c" "$s" "$s99" "$p" "$p99" "$(echo "scale=4; $p/$s" | bc)"
done
