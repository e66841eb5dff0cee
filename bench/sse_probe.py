#!/usr/bin/env python3
"""Concurrent SSE streams against a Messages endpoint: time to first event and per-event gap excess.

Usage: bench/sse_probe.py URL CONNECTIONS SECONDS DELAY_MS [--once] [--hold FILE] [--progress FILE]
Each of CONNECTIONS clients opens a connection, POSTs a streaming /v1/messages request (Connection: close) and
reads until the server closes, then starts again, for SECONDS. For every stream it records the time from sending
the request to the first `event:` line (TTFE) and, for each later event, the gap since the previous one minus
DELAY_MS (the upstream's pacing), i.e. what the path in between added. --once: each client runs one stream only
(all start together), for "N open streams" measurements; --hold FILE: once every stream has its first event,
write "open" to FILE and keep reading (so heap and threads can be sampled while N streams are open).
Prints one JSON object: streams, errors, ttfe p50/p99 ms, gap-excess p50/p99 ms, events."""
import asyncio, json, os, sys, time
from urllib.parse import urlparse

SEQ = [0]


def body():
    # A different prompt every time: a mirror with the response cache on must not answer from it ("cold").
    SEQ[0] += 1
    return ('{"model":"claude-sonnet-4-5-20250929","max_tokens":256,"stream":true,"messages":[{"role":"user",'
            '"content":"Stream probe %08d-%08d. The fake upstream echoes this prompt back in text deltas, so its '
            'length sets how many events a stream has: about 160 characters."}]}' % (os.getpid(), SEQ[0])).encode()


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(p / 100.0 * len(v)))], 2)


async def one_stream(host, port, path, key, delay, stats, opened):
    reader, writer = await asyncio.open_connection(host, port)
    payload = body()
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
            f"anthropic-version: 2023-06-01\r\nx-api-key: {key}\r\nConnection: close\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode()
    t0 = time.perf_counter()
    writer.write(head + payload)
    await writer.drain()
    first, last, tail, status, n = None, None, b"", None, 0
    while True:
        data = await reader.read(65536)
        if not data:
            break
        now = time.perf_counter()
        if status is None:
            status = int(data[9:12]) if data.startswith(b"HTTP/1.1 ") else -1
        buf = tail + data
        count = buf.count(b"event:")
        tail = buf[-8:]
        if count:
            n += count
            if first is None:
                first = now
                stats["ttfe"].append((now - t0) * 1000)
                if opened is not None:
                    opened.append(1)
            else:
                stats["gap"].append((now - last) * 1000 - delay)
                # Several events in one read: they arrived back to back, later than their pacing.
                for _ in range(count - 1):
                    stats["gap"].append(-delay)
            last = now
    writer.close()
    if status != 200 or first is None:
        stats["errors"] += 1
    else:
        stats["streams"] += 1
        stats["events"] += n
    if PROGRESS:
        with open(PROGRESS, "w") as f:
            f.write("%d (%d)" % (stats["streams"], stats["errors"]))


async def client(url, key, delay, deadline, stats, once, opened):
    u = urlparse(url)
    while True:
        try:
            await one_stream(u.hostname, u.port, u.path, key, delay, stats, opened)
        except (OSError, ValueError):
            stats["errors"] += 1
        if once or time.perf_counter() > deadline:
            return


PROGRESS = sys.argv[sys.argv.index("--progress") + 1] if "--progress" in sys.argv else None


async def main():
    url, conns, seconds, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    once = "--once" in sys.argv
    hold = sys.argv[sys.argv.index("--hold") + 1] if "--hold" in sys.argv else None
    key = os.environ.get("KEY", "sk-bench")
    stats = {"ttfe": [], "gap": [], "streams": 0, "errors": 0, "events": 0}
    opened = [] if hold else None
    deadline = time.perf_counter() + seconds
    tasks = [asyncio.create_task(client(url, key, delay, deadline, stats, once, opened)) for _ in range(conns)]
    if hold:
        while len(opened) < conns and not all(t.done() for t in tasks):
            await asyncio.sleep(0.05)
        with open(hold, "w") as f:
            f.write("open %d\n" % len(opened))
    await asyncio.gather(*tasks)
    g = [x for x in stats["gap"] if x > -delay]  # gaps of events that were not coalesced
    print(json.dumps({"streams": stats["streams"], "errors": stats["errors"], "events": stats["events"],
                      "ttfe_p50": pct(stats["ttfe"], 50), "ttfe_p99": pct(stats["ttfe"], 99),
                      "gap_excess_p50": pct(stats["gap"], 50), "gap_excess_p99": pct(stats["gap"], 99),
                      "coalesced": len(stats["gap"]) - len(g)}))


asyncio.run(main())
