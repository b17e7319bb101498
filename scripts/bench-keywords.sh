#!/usr/bin/env bash
# Keyword extraction throughput: Hongcha (release, all cores) against Python
# jieba's extract_tags (one process) on the same corpus, same dictionary,
# stop words and IDF, in the same run. Goal: ratio >= 50.
#   bash scripts/bench-keywords.sh [texts, default 200000]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hongcha/target}"
python3 -c 'import jieba' 2>/dev/null || pip install --quiet jieba==0.42.1
cargo build --release --quiet -p nlp --example bench_keywords
rust=$("$CARGO_TARGET_DIR/release/examples/bench_keywords" "$N")
py_n=$(( N / 50 > 2000 ? N / 50 : 2000 ))
py=$(python3 scripts/jieba-golden.py --bench "$py_n")
echo "Hongcha: $rust texts/s; Python jieba: $py texts/s; ratio: $(python3 -c "print(f'{$rust / $py:.1f}')")"
