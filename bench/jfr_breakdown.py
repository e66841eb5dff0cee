#!/usr/bin/env python3
"""CPU and allocation breakdown of a JFR recording by area of the request path.

Usage: bench/jfr_breakdown.py FILE.jfr [TOP] [COLLAPSED_PREFIX]
Reads jdk.ExecutionSample (CPU) and jdk.ObjectAllocationSample (bytes, by sample weight) through `jfr print
--json`, walks each stack from the leaf and gives the sample to the first frame that names an area. Also prints
the top leaf frames and the top mirror frames (the first io.claudemirror frame on the stack)."""
import collections, json, subprocess, sys

# (prefix of "class.method", area), tried in order on each frame from the leaf up.
RULES = [
    ("io.claudemirror.pii.", "PII scan / scrub"),
    ("io.claudemirror.audit.", "audit"),
    ("io.claudemirror.metrics.", "metrics"),
    ("com.codahale.", "metrics"),
    ("io.prometheus.", "metrics"),
    ("io.claudemirror.ratelimit.", "rate limits"),
    ("io.github.bucket4j.", "rate limits"),
    ("io.claudemirror.exchange.ApiRequest", "front door: classification"),
    ("io.claudemirror.exchange.Endpoint", "front door: classification"),
    ("io.claudemirror.exchange.BodyReader", "front door: body read"),
    ("io.claudemirror.exchange.RequestFacts", "JSON scans (facts)"),
    ("io.claudemirror.frontdoor.", "front door"),
    ("io.claudemirror.sse.", "JSON scans (usage/SSE)"),
    ("io.claudemirror.auth.", "auth (key hash)"),
    ("io.claudemirror.tenant.", "auth (key hash)"),
    ("sun.security.provider.SHA", "auth (key hash)"),
    ("io.claudemirror.proxy.Header", "header hygiene"),
    ("io.claudemirror.proxy.", "mirror proxy glue"),
    ("io.claudemirror.cache.", "cache"),
    ("io.claudemirror.ownership.", "ownership"),
    ("io.claudemirror.routing.", "routing"),
    ("io.claudemirror.", "mirror other"),
    ("org.eclipse.jetty.http.HttpParser", "HTTP parse"),
    ("org.eclipse.jetty.http.HttpGenerator", "HTTP generate"),
    ("org.eclipse.jetty.http.", "HTTP fields"),
    ("org.eclipse.jetty.client.", "HttpClient (upstream request/response)"),
    ("org.eclipse.jetty.ee10.proxy.", "AsyncProxyServlet"),
    ("org.eclipse.jetty.ee10.servlet.", "servlet container"),
    ("org.eclipse.jetty.server.", "server"),
    ("org.eclipse.jetty.io.", "network I/O (Jetty)"),
    ("sun.nio.", "network I/O (JDK)"),
    ("java.nio.", "network I/O (JDK)"),
    ("org.eclipse.jetty.util.thread.", "thread pool"),
    ("org.eclipse.jetty.", "Jetty other"),
]


def area(frames):
    for f in frames:
        for prefix, name in RULES:
            if f.startswith(prefix):
                if name == "HTTP parse":
                    # Who parses: the client side (upstream responses) or the server side (client requests)?
                    client = any(g.startswith("org.eclipse.jetty.client.") for g in frames)
                    return "HTTP parse (upstream response)" if client else "HTTP parse (client request)"
                return name
    return "JDK/other"


def frames_of(ev):
    st = ev["values"].get("stackTrace") or {}
    out = []
    for fr in st.get("frames") or []:
        m = fr["method"]
        out.append((m["type"]["name"] + "." + m["name"]).replace("/", "."))
    return out


def load(path, event):
    txt = subprocess.run(["jfr", "print", "--json", "--stack-depth", "96", "--events", event, path],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(txt)["recording"]["events"]


def report(title, events, weight):
    if COLLAPSED:
        with open(COLLAPSED + "." + title.split()[0].lower() + ".txt", "w") as out:
            for ev in events:
                fr = frames_of(ev)
                if fr:
                    out.write(";".join(reversed(fr)) + " " + str(weight(ev)) + "\n")
    areas, leaves, mirror = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    for ev in events:
        fr = frames_of(ev)
        if not fr:
            continue
        w = weight(ev)
        total += w
        areas[area(fr)] += w
        leaves[fr[0]] += w
        own = next((f for f in fr if f.startswith("io.claudemirror.")), "(no mirror frame)")
        mirror[own] += w
    print(f"\n## {title} (total {total:,})\n")
    print("| area | share |\n|---|---|")
    for a, w in areas.most_common():
        print(f"| {a} | {100.0 * w / total:.1f} % |")
    for name, c in (("leaf frames", leaves), ("innermost mirror frame", mirror)):
        print(f"\ntop {TOP} {name}:")
        for f, w in c.most_common(TOP):
            print(f"  {100.0 * w / total:5.1f} %  {f}")


TOP = int(sys.argv[2]) if len(sys.argv) > 2 else 20
COLLAPSED = sys.argv[3] if len(sys.argv) > 3 else None  # prefix for collapsed stacks (flame-graph input)
path = sys.argv[1]
report("CPU samples (jdk.ExecutionSample)", load(path, "jdk.ExecutionSample"), lambda e: 1)
report("Allocation (jdk.ObjectAllocationSample, bytes by weight)", load(path, "jdk.ObjectAllocationSample"),
       lambda e: int(e["values"].get("weight") or 0))
gcs = load(path, "jdk.GarbageCollection")
def seconds(v):
    v = str(v).upper().replace("PT", "")
    return float(v.rstrip("S")) if v.endswith("S") and not v.endswith("MS") else float(v.rstrip("MS")) / 1000


pause = sum(seconds(e["values"]["sumOfPauses"]) for e in gcs) if gcs else 0
print(f"\nGC: {len(gcs)} collections, sum of pauses {pause:.3f} s")
