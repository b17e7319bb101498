#!/usr/bin/env bash
# Import throughput: generates a ROWS-row CSV (default 50,000, with some
# phone numbers to mask) and times `hongcha import` into a fresh SQLite file.
#   bash scripts/bench-import.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-50000}"
source scripts/tools.sh
step "cargo leptos build --release --split"
cargo leptos build --release --split >/dev/null 2>&1 || cargo leptos build --release --split
BIN="$CARGO_TARGET_DIR/release/hongcha"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
export HONGCHA_DATABASE_URL="sqlite://$WORK/bench.db" HONGCHA_DATA_DIR="$WORK" HONGCHA_LOG=warn HONGCHA_DEMO_PASSWORD=bench-pass-2026
"$BIN" seed-demo >/dev/null
python3 - "$WORK/hotline.csv" "$ROWS" <<'PY'
import csv, random, sys
path, n = sys.argv[1], int(sys.argv[2])
communities = ["长乐社区", "小河社区", "红石板社区", "双荡弄社区"]
cats = ["公共服务", "公共管理", "公共安全", "其他"]
things = ["路灯不亮", "楼道堆物", "电瓶车飞线充电", "垃圾分类点太臭", "加装电梯", "停车位不够", "噪音扰民"]
random.seed(7)
with open(path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["标题", "诉求内容", "社区", "类别", "位置"])
    for i in range(n):
        t = random.choice(things)
        phone = f" 联系电话1{random.choice('3589')}{random.randrange(10**9):09d}" if i % 5 == 0 else ""
        w.writerow([f"{t}（{i}）", f"{t}的问题已经很久了，希望社区尽快处理，第{i}条{phone}", random.choice(communities), random.choice(cats), f"{random.randrange(1,30)}幢"])
PY
step "hongcha import ($ROWS rows)"
/usr/bin/time -f "peak memory: %M KiB, wall: %e s" "$BIN" import "$WORK/hotline.csv"
