# Shared by the bench scripts: the mirror configuration every run uses (one tenant whose limits never bite,
# PII in redact mode, audit on), so "every filter on" means the same thing in each.
# bench_mirror_yaml FAKE_PORT AUDIT_DIR [STATE_DIR] — prints the YAML; the caller appends what its run adds.
bench_mirror_yaml() {
  cat <<YAML
upstreams:
  - name: fake
    url: http://127.0.0.1:$1
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
  dir: $2
YAML
  if [[ -n "${3:-}" ]]; then printf 'state:\n  dir: %s\n' "$3"; fi
}
