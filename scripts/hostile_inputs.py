#!/usr/bin/env python3
"""Throws hostile files at a running Hongcha from outside and reports what
happened: HTTP status, time, and the server's peak memory (VmHWM) before and
after. The server must have the demo data (seed-demo) with the password in
HONGCHA_DEMO_PASSWORD.

    python3 scripts/hostile_inputs.py http://127.0.0.1:3000 SERVER_PID

Files (all made here, all small):
  far-cell.xlsx      1.6 KB, cells at A1 and XFD1048576 (a reader that
                     allocates the declared range asks for ~512 GB)
  shared-bomb.xlsx   one 150 MB shared string (deflates to ~150 KB) named by
                     100 cells
  canvas-bomb.png    a PNG header declaring 100000 x 100000 pixels
  big-gray.png       a real 11000 x 11000 grey PNG (~120 KB)
"""
import io
import json
import os
import struct
import sys
import time
import urllib.request
import uuid
import zipfile
import zlib
import http.cookiejar

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:3000"
PID = sys.argv[2] if len(sys.argv) > 2 else None
PASSWORD = os.environ.get("HONGCHA_DEMO_PASSWORD", "demo-pass-2026")


def hwm_kb():
    if not PID:
        return None
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def client():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def post_form(op, path, fields):
    data = urllib.parse.urlencode(fields).encode()
    req = urllib.request.Request(BASE + path, data=data, method="POST")
    req.add_header("Origin", BASE)
    req.add_header("Accept", "application/json")
    try:
        with op.open(req, timeout=120) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post_file(op, path, field, name, data):
    boundary = uuid.uuid4().hex
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(BASE + path, data=body, method="POST")
    req.add_header("Origin", BASE)
    req.add_header("Accept", "application/json")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    started = time.time()
    try:
        with op.open(req, timeout=300) as r:
            status, answer = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, answer = e.code, e.read()
    return status, answer, time.time() - started


def xlsx(sheet, strings):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", '<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/sharedStrings.xml", "<sst>" + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
        z.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{sheet}</sheetData></worksheet>")
    return out.getvalue()


def png(w, h, rows=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    idat = b"" if rows is None else zlib.compress(rows, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def main():
    staff, resident = client(), client()
    assert post_form(staff, "/api/login", {"phone": "13800000002", "password": PASSWORD, "next": ""})[0] < 400
    assert post_form(resident, "/api/login", {"phone": "13800000001", "password": PASSWORD, "next": ""})[0] < 400

    files = {
        "far-cell.xlsx": xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="1048576"><c r="XFD1048576" t="s"><v>0</v></c></row>', ["x"]),
        "shared-bomb.xlsx": xlsx("".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(1, 101)), ["a" * (150 * 1024 * 1024)]),
    }
    results = []
    for name, data in files.items():
        before = hwm_kb()
        status, answer, took = post_file(staff, "/staff/import/upload", "file", name, data)
        results.append({"file": name, "bytes": len(data), "status": status, "answer": answer[:80].decode(errors="replace"),
                        "seconds": round(took, 3), "peak_rss_kb_before": before, "peak_rss_kb_after": hwm_kb()})

    # Photos go on the resident's own pending opinion.
    status, answer = post_form(resident, "/api/submit_opinion", {
        "community_id": str(json.loads(urllib.request.urlopen(BASE + "/api/communities").read())[0]["id"]),
        "location": "", "category": "public_service", "title": "路灯坏了很多天",
        "body": "小区门口的路灯坏了好几天，晚上很黑", "idempotency_key": uuid.uuid4().hex})
    opinion = json.loads(answer)
    photos = {
        "canvas-bomb.png": png(100_000, 100_000),
        "big-gray.png": png(11_000, 11_000, (b"\x00" + b"\x80" * 11_000) * 11_000),
    }
    for name, data in photos.items():
        before = hwm_kb()
        status, answer, took = post_file(resident, f"/opinions/{opinion}/photos", "photo", name, data)
        results.append({"file": name, "bytes": len(data), "status": status, "answer": answer[:80].decode(errors="replace"),
                        "seconds": round(took, 3), "peak_rss_kb_before": before, "peak_rss_kb_after": hwm_kb()})
    health = urllib.request.urlopen(BASE + "/healthz").read().decode()
    for r in results:
        print(json.dumps(r, ensure_ascii=False))
    print("healthz after:", health)


if __name__ == "__main__":
    main()
