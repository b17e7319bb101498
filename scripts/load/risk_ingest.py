#!/usr/bin/env python3
"""Readings from outside systems at full speed (issue 13's ingest bench).

CONCURRENCY senders, each on one keep-alive connection, post batches of
BATCH readings to /api/v1/risk/readings for SECONDS: random subjects among
place-00000 … place-(SUBJECTS-1), random indicators of the demo's models
(`<point>.level` mostly normal, now and then past its threshold; `<point>.event`
now and then 1). Prints readings/s, each batch's latency (p50, p99: the
SMS of a warning commits with its batch), warnings opened and any errors.

  python3 scripts/load/risk_ingest.py ORIGIN TOKEN SUBJECTS SECONDS CONCURRENCY BATCH POINTS_FILE
"""
import datetime
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse

origin, token, subjects, seconds, concurrency, batch, points_file = sys.argv[1:8]
subjects, seconds, concurrency, batch = int(subjects), float(seconds), int(concurrency), int(batch)
points = [p.strip() for p in open(points_file) if p.strip()]
u = urllib.parse.urlparse(origin)
lock = threading.Lock()
latencies, totals = [], {"stored": 0, "duplicates": 0, "opened": 0, "closed": 0, "errors": 0}


def sender(n):
    rnd = random.Random(n)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    seq = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at = datetime.datetime.now(datetime.timezone.utc).isoformat()
        readings = []
        for _ in range(batch):
            seq += 1
            p = rnd.choice(points)
            if rnd.random() < 0.5:
                ind, value = f"{p}.level", (95.0 if rnd.random() < 0.002 else rnd.uniform(0, 70))
            else:
                ind, value = f"{p}.event", (1.0 if rnd.random() < 0.01 else 0.0)
            readings.append({"id": f"w{n}-{seq}", "subject": f"place-{rnd.randrange(subjects):05d}",
                             "indicator": ind, "value": value, "at": at})
        body = json.dumps({"readings": readings})
        t = time.monotonic()
        try:
            conn.request("POST", "/api/v1/risk/readings", body, headers)
            res = conn.getresponse()
            data = res.read()
        except Exception:
            conn.close()
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            with lock:
                totals["errors"] += 1
            continue
        dt = time.monotonic() - t
        with lock:
            if res.status != 200:
                totals["errors"] += 1
                continue
            r = json.loads(data)
            latencies.append(dt)
            totals["stored"] += r["stored"]
            totals["duplicates"] += r["duplicates"]
            totals["opened"] += r["warnings_opened"]



start = time.monotonic()
threads = [threading.Thread(target=sender, args=(i,)) for i in range(concurrency)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - start
latencies.sort()
q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0
print(f"  {totals['stored'] / elapsed:,.0f} readings/s ({totals['stored']:,} in {elapsed:.1f} s, "
      f"{len(latencies)} batches of {batch}); batch latency p50 {q(0.5):.0f} ms, p99 {q(0.99):.0f} ms; "
      f"warnings opened {totals['opened']}; errors {totals['errors']}")
