#!/usr/bin/env python3
"""Markdown tables from bench/bench.sh's results TSV. Usage: bench/bench_table.py RESULTS.tsv"""
import json, re, sys

T = ["direct", "nginx", "bare", "jetty", "spring"]
NAMES = {"direct": "direct", "nginx": "nginx", "bare": "bare Jetty proxy", "jetty": "Jetty demo",
         "spring": "Spring demo"}


def ms(s):
    m = re.match(r"([\d.]+)(us|ms|s)", s or "")
    if not m:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]


def r(a, b):
    return "-" if not a or not b else "%.2f" % (a / b)


json_rows, sse_rows, open_rows = {}, {}, {}
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[0] == "json":
        _, mode, c, t, rps, p50, p99, cpu, by, bad, err = (f + [""] * 11)[:11]
        json_rows[(mode, int(c), t)] = dict(rps=float(rps or 0), p50=ms(p50), p99=ms(p99), cpu=int(cpu), bytes=by,
                                            bad=bad, err=err)
    elif f[0] == "sse":
        sse_rows[(int(f[2]), f[3])] = dict(json.loads(f[4]), cpu_ms=int(f[5]))
    elif f[0] == "open":
        open_rows[f[2]] = dict(json.loads(f[3]), heap0=f[4], heap1=f[5], thr0=f[6], thr1=f[7], rss0=f[8], rss1=f[9])

print("### JSON `POST /v1/messages`, every filter on\n")
print("req/s (p50 / p99 ms); CPU µs per request of the process (nginx: master + worker); bytes allocated per request "
      "(JVMs, from the GC log). Ratios are to nginx `proxy_pass` in the same step. The bare Jetty proxy is Jetty's "
      "own `AsyncProxyServlet` with no filter (no cache either, so its warm rows are cold ones).\n")
print("| cache | conns | direct | nginx | bare Jetty proxy | Jetty demo | Spring demo "
      "| req/s vs nginx: bare · Jetty · Spring | CPU µs/req nginx · bare · Jetty · Spring "
      "| CPU vs nginx: bare · Jetty · Spring | p99 vs nginx: bare · Jetty · Spring | bytes/req bare · Jetty · Spring |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for mode in ("cold", "warm"):
    for c in sorted({k[1] for k in json_rows if k[0] == mode}):
        row = {t: json_rows.get((mode, c, t)) for t in T}
        cell = lambda x: "-" if not x else "%d (%.1f / %.1f)%s" % (x["rps"], x["p50"] or 0, x["p99"] or 0,
                                                                  " ⚠ %s non-2xx" % x["bad"] if x["bad"] not in ("", "0") else "")
        n, b, j, s = row["nginx"], row["bare"], row["jetty"], row["spring"]
        vs = lambda k: " · ".join(r(x and x[k], n and n[k]) for x in (b, j, s))
        print("| %s | %d | %s | %s | %s | %s | %s | %s | %s · %s · %s · %s | %s | %s | %s · %s · %s |" % (
            mode, c, cell(row["direct"]), cell(n), cell(b), cell(j), cell(s), vs("rps"),
            n and n["cpu"], b and b["cpu"], j and j["cpu"], s and s["cpu"], vs("cpu"), vs("p99"),
            b and b["bytes"], j and j["bytes"], s and s["bytes"]))

if sse_rows:
    print("\n### Streaming, ~50 events 20 ms apart, cache cold (bench/sse_probe.py)\n")
    print("Time to first event (TTFE) p50 / p99 and per-event gap excess p99 (gap minus the upstream's 20 ms), ms; "
          "streams completed (errors).\n")
    print("| streams | target | completed (errors) | TTFE p50 / p99 | TTFE added vs nginx p50 / p99 | gap excess p99 "
          "| gap p99 added vs nginx | CPU ms per stream |")
    print("|---|---|---|---|---|---|---|---|")
    for c in sorted({k[0] for k in sse_rows}):
        n = sse_rows.get((c, "nginx"), {})
        for t in T:
            x = sse_rows.get((c, t))
            if not x:
                continue
            add = lambda k: "-" if t in ("direct", "nginx") or x.get(k) is None or n.get(k) is None \
                else "%+.1f" % (x[k] - n[k])
            print("| %d | %s | %d (%d) | %s / %s | %s / %s | %s | %s | %.2f |" % (c, NAMES[t], x["streams"], x["errors"],
                  x["ttfe_p50"], x["ttfe_p99"], add("ttfe_p50"), add("ttfe_p99"), x["gap_excess_p99"], add("gap_excess_p99"),
                  x["cpu_ms"] / max(1, x["streams"] + x["errors"])))

if open_rows:
    print("\n### Long streams held open at once (100 events 100 ms apart)\n")
    print("| target | completed (errors) | TTFE p50 / p99 ms | gap excess p99 ms | heap after GC idle → open "
          "| threads idle → open | RSS MB idle → open |")
    print("|---|---|---|---|---|---|---|")
    for t in T:
        x = open_rows.get(t)
        if x:
            print("| %s | %d (%d) | %s / %s | %s | %s → %s | %s → %s | %s → %s |" % (NAMES[t], x["streams"], x["errors"],
                  x["ttfe_p50"], x["ttfe_p99"], x["gap_excess_p99"], x["heap0"], x["heap1"], x["thr0"], x["thr1"],
                  x["rss0"], x["rss1"]))
