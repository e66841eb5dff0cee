#!/usr/bin/env bash
# Cache hits side by side, in one run: wrk straight at the fake upstream (direct), through nginx proxy_pass
# (from Debian, started here), and through the mirror (a minimal embedded-Jetty host, every filter on) with
# the response cache warm, so every request is a HIT. At 50/100/200 connections, interleaved.
# Needs wrk, nginx and `mvn -B -DskipTests package` first. Usage: bench/cache.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
D=${1:-10}
BENCH=mirror-benchmarks/target/benchmarks.jar
FAKE=18091; NGINX=18092; HOST=18093
JAVA_OPTS=${JAVA_OPTS:-"-Xms512m -Xmx512m -XX:+UseG1GC"}
SERVERS=""; CLIENT=""
if [[ "${PIN:-1}" == "1" ]] && command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then
  last=$(( $(nproc) - 1 )); SERVERS="taskset -c 1-$last"; CLIENT="taskset -c 0"
fi
pids=()
work=$(mktemp -d)
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; [[ -f $work/nginx.pid ]] && kill "$(cat $work/nginx.pid)" 2>/dev/null || true; }
trap cleanup EXIT

{ bench_mirror_yaml $FAKE "$work/audit" "$work/state"; printf 'cache:\n  enabled: true\n  messages: all\n  maxEntries: 1000\n'; } > "$work/mirror.yaml"
cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream fake { server 127.0.0.1:$FAKE; keepalive 256; }
  server {
    listen 127.0.0.1:$NGINX;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
$SERVERS java $JAVA_OPTS -cp "$BENCH" io.claudemirror.testkit.FakeAnthropicMain --port $FAKE > "$work/fake.log" 2>&1 & pids+=($!)
$SERVERS nginx -c "$work/nginx.conf" -p "$work"
$SERVERS java $JAVA_OPTS -cp "$BENCH" io.claudemirror.bench.MirrorHostMain $HOST "$work/mirror.yaml" > "$work/host.log" 2>&1 & pids+=($!)
for port in $FAKE $NGINX $HOST; do
  for i in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
done
load() { KEY=sk-bench STREAM=0 $CLIENT wrk -t1 -c"$2" -d"$3" --latency -s bench/messages.lua "$1/v1/messages"; }
for port in $FAKE $NGINX $HOST; do load "http://127.0.0.1:$port" 50 "${WARMUP:-15}s" > /dev/null 2>&1 || true; done
BODY='{"model":"claude-sonnet-4-5-20250929","max_tokens":64,"stream":false,"messages":[{"role":"user","content":"Hello from the load test, please echo this sentence back."}]}'
hdr=$(curl -s -D - -o /dev/null -H 'x-api-key: sk-bench' -H 'anthropic-version: 2023-06-01' \
  -H 'content-type: application/json' --data "$BODY" "http://127.0.0.1:$HOST/v1/messages" \
  | tr -d '\r' | awk -F': ' 'tolower($1)=="x-mirror-cache" {print $2}')
echo "mirror answers with x-mirror-cache: ${hdr:-?}"
echo "| connections | direct req/s (p50 / p99) | nginx req/s (p50 / p99) | mirror HIT req/s (p50 / p99) | HIT/nginx | HIT/direct | p99 HIT/nginx |"
echo "|---|---|---|---|---|---|---|"
for c in 50 100 200; do
  declare -A RPS P50 P99
  for name in direct nginx host; do
    case $name in direct) port=$FAKE;; nginx) port=$NGINX;; host) port=$HOST;; esac
    load "http://127.0.0.1:$port" "$c" "${D}s" > "$work/$name-$c.txt" 2>&1 || true
    RPS[$name]=$(awk '/Requests\/sec/ {print $2}' "$work/$name-$c.txt")
    P50[$name]=$(awk '$1=="50%" {print $2}' "$work/$name-$c.txt")
    P99[$name]=$(awk '$1=="99%" {print $2}' "$work/$name-$c.txt")
    grep -h "Non-2xx\|Socket errors" "$work/$name-$c.txt" | sed "s/^/$name c=$c: /" >&2 || true
  done
  ms() { local v=$1; case $v in *us) echo "scale=4; ${v%us}/1000" | bc;; *ms) echo "${v%ms}";; *s) echo "scale=4; ${v%s}*1000" | bc;; esac; }
  printf '| %s | %.0f (%s / %s) | %.0f (%s / %s) | %.0f (%s / %s) | %.2f | %.2f | %.2f |\n' "$c" \
    "${RPS[direct]}" "${P50[direct]}" "${P99[direct]}" "${RPS[nginx]}" "${P50[nginx]}" "${P99[nginx]}" \
    "${RPS[host]}" "${P50[host]}" "${P99[host]}" \
    "$(echo "scale=4; ${RPS[host]}/${RPS[nginx]}" | bc)" "$(echo "scale=4; ${RPS[host]}/${RPS[direct]}" | bc)" \
    "$(echo "scale=4; $(ms ${P99[host]})/$(ms ${P99[nginx]})" | bc)"
done
