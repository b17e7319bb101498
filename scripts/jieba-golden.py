#!/usr/bin/env python3
"""Writes the golden keyword file: Python jieba's extract_tags top 10 for
each text of nlp/data/demo_corpus.txt, with Hongcha's dictionary (civic
words and both sides of each synonym), stop words and IDF.

    pip install jieba==0.42.1 && python3 scripts/jieba-golden.py

nlp/tests/golden.rs compares Hongcha's extraction with this file.
With --bench N it instead times extract_tags over the corpus repeated to N
texts and prints texts per second (scripts/bench-keywords.sh).
"""
import os, sys, tempfile, time

import jieba
import jieba.analyse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "nlp", "data")


def data_lines(name):
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line


def setup():
    words, seen = [], set()
    for line in data_lines("civic_words.txt"):
        parts = line.split()
        words.append((parts[0], parts[1] if len(parts) > 1 else "200000"))
    for line in data_lines("synonyms.txt"):
        for w in line.split()[:2]:
            if len(w) > 1:
                words.append((w, "200000"))
    tmp = tempfile.mkdtemp()
    userdict = os.path.join(tmp, "user.txt")
    with open(userdict, "w", encoding="utf-8") as f:
        for w, freq in words:
            if w not in seen:
                seen.add(w)
                f.write(f"{w} {freq}\n")
    stop = os.path.join(tmp, "stop.txt")
    with open(stop, "w", encoding="utf-8") as f:
        for line in data_lines("stop_words.txt"):
            for w in line.split():
                f.write(w + "\n")
    jieba.setLogLevel(60)
    jieba.load_userdict(userdict)
    jieba.analyse.set_stop_words(stop)
    jieba.analyse.set_idf_path(os.path.join(DATA, "idf.txt"))


def corpus():
    for line in data_lines("demo_corpus.txt"):
        if line.startswith("## "):
            continue
        _, title, body = line.split("|", 2)
        yield f"{title} {body}"


def main():
    setup()
    texts = list(corpus())
    if len(sys.argv) > 2 and sys.argv[1] == "--bench":
        n = int(sys.argv[2])
        batch = (texts * (n // len(texts) + 1))[:n]
        jieba.analyse.extract_tags(batch[0], topK=10)  # load outside the timing
        start = time.perf_counter()
        for t in batch:
            jieba.analyse.extract_tags(t, topK=10)
        secs = time.perf_counter() - start
        print(f"{n / secs:.1f}")
        return
    out = os.path.join(ROOT, "nlp", "tests", "data", "golden-top10.txt")
    with open(out, "w", encoding="utf-8") as f:
        f.write(f"# Python jieba {jieba.__version__} extract_tags(text, topK=10), one line per corpus text\n")
        for t in texts:
            f.write(" ".join(jieba.analyse.extract_tags(t, topK=10)) + "\n")
    print(f"wrote {len(texts)} lines to {out}")


if __name__ == "__main__":
    main()
