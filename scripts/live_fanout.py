"""Live-room fan-out (issue 11): N participants hold the server-sent events
of one live meeting open; the facilitator opens polls; each participant
records when the poll reached it. Prints p50/p99/max delivery latency and
the server's memory per connection.

    python3 scripts/live_fanout.py ORIGIN SERVER_PID CONNECTIONS [POLLS]
"""
import asyncio, json, os, sys, time, urllib.parse, urllib.request, http.cookiejar

ORIGIN, PID, N = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
POLLS = int(sys.argv[4]) if len(sys.argv) > 4 else 5
HOST, PORT = urllib.parse.urlparse(ORIGIN).hostname, urllib.parse.urlparse(ORIGIN).port

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def call(endpoint, form):
    body = urllib.parse.urlencode(form, doseq=True).encode()
    req = urllib.request.Request(f"{ORIGIN}/api/{endpoint}", data=body, method="POST",
                                 headers={"Origin": ORIGIN, "Accept": "application/json"})
    with opener.open(req) as r:
        text = r.read().decode()
        return json.loads(text) if text.strip() else None


def get(path):
    with opener.open(urllib.request.Request(f"{ORIGIN}{path}", headers={"Accept": "application/json"})) as r:
        return json.loads(r.read().decode())


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def setup():
    call("login", {"phone": "13800000002", "password": os.environ.get("HONGCHA_DEMO_PASSWORD", "demo-pass-2026"), "next": "/staff"})
    community, items = get("/api/meeting_choices")
    starts = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(time.time() + 8 * 3600 + 3600))
    mid = call("create_meeting", {"community_id": community, "title": "扇出压测议事会", "summary": "", "mode": "hybrid",
                                  "venue": "会议室", "starts_at": starts, "minutes_long": 60, "video_url": "",
                                  "items[0]": items[0][0], "quorum": 0, "majority_pct": 50})
    for step in ["schedule", "live"]:
        call("meeting_step", {"id": mid, "step": step})
    return mid


async def listener(mid, needles, arrivals, ready):
    reader, writer = await asyncio.open_connection(HOST, PORT, limit=1 << 22)
    writer.write(f"GET /live/meetings/{mid} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nAccept: text/event-stream\r\n\r\n".encode())
    await writer.drain()
    buf = b""
    got_first = False
    while True:
        chunk = await reader.read(1 << 16)
        if not chunk:
            return
        now = time.perf_counter()
        buf += chunk
        if not got_first and b"event: state" in buf:
            got_first = True
            ready.release()
        for i, needle in enumerate(needles):
            if arrivals[i] is None and needle in buf:
                arrivals[i] = now
        # Keep only the tail (an event may straddle chunks).
        buf = buf[-4096:]


async def main():
    mid = setup()
    needles = [f"扇出测试{k}号".encode() for k in range(POLLS)]
    arrivals = [[None] * POLLS for _ in range(N)]
    ready = asyncio.Semaphore(0)
    before = rss_kib()
    tasks = []
    for i in range(N):
        tasks.append(asyncio.create_task(listener(mid, needles, arrivals[i], ready)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    for _ in range(N):
        await asyncio.wait_for(ready.acquire(), 120)
    await asyncio.sleep(1)
    after = rss_kib()
    lat = []
    loop = asyncio.get_running_loop()
    for k in range(POLLS):
        t0 = time.perf_counter()
        await loop.run_in_executor(None, call, "meeting_chair", {"id": mid, "action": "poll", "text": f"扇出测试{k}号"})
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and any(a[k] is None for a in arrivals):
            await asyncio.sleep(0.01)
        got = [a[k] - t0 for a in arrivals if a[k] is not None]
        lat.extend(got)
        missing = sum(1 for a in arrivals if a[k] is None)
        print(f"poll {k}: {len(got)}/{N} received, missing {missing}")
        await asyncio.sleep(0.5)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    print(f"connections {N}: delivery p50 {q(0.5):.0f} ms, p99 {q(0.99):.0f} ms, max {lat[-1]*1000:.0f} ms "
          f"({len(lat)} deliveries over {POLLS} polls)")
    print(f"server RSS {before} KiB → {after} KiB with {N} open: {(after - before) / N:.1f} KiB per connection")
    for t in tasks:
        t.cancel()


asyncio.run(main())
