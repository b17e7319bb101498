"""Writes N opinions as a hotline-export CSV (来电时间, 来电号码, 渠道, 事项,
诉求内容, 社区) for `hongcha import --publish`, written from the demo corpus
(nlp/data/demo_corpus.txt): each row two clauses of a corpus opinion, from
one of 30,000 phone numbers, at a random minute from SINCE until an hour
ago. Used by the heat and report benchmarks.

    python3 scripts/load/corpus_csv.py PATH N --seed S (--days D | --this-year) [--places]
"""
import argparse
import csv
import datetime
import random
import re

p = argparse.ArgumentParser()
p.add_argument("path")
p.add_argument("n", type=int)
p.add_argument("--seed", type=int, required=True)
when = p.add_mutually_exclusive_group(required=True)
when.add_argument("--days", type=int, help="spread over the last D days")
when.add_argument("--this-year", action="store_true", help="spread over this year so far")
p.add_argument("--places", action="store_true", help="start some texts with a building or gate")
a = p.parse_args()

random.seed(a.seed)
lines = []
for line in open("nlp/data/demo_corpus.txt", encoding="utf-8"):
    line = line.strip()
    if line and not line.startswith("#"):
        ch, title, body = line.split("|", 2)
        lines.append((ch, title, [c for c in re.split(r"(?<=[。！？，])", body) if len(c) >= 4]))
communities = ["长乐社区", "小河社区", "红石板社区", "双荡弄社区"]
channel = {"web": "网上", "hotline": "12345", "crawler": "论坛", "meeting": "议事会"}
places = ["", "", "1幢", "3幢", "5幢", "南区", "北区", "东门"] if a.places else [""]
now = datetime.datetime.now()
first = datetime.datetime(now.year, 1, 1) if a.this_year else now - datetime.timedelta(days=a.days)
span = max(int((now - first).total_seconds() // 60) - 60, 1)
with open(a.path, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["来电时间", "来电号码", "渠道", "事项", "诉求内容", "社区"])
    for i in range(a.n):
        ch, title, parts = random.choice(lines)
        body = random.choice(places) + "".join(random.sample(parts, min(2, len(parts)))) + f"（第{i}号）"
        at = first + datetime.timedelta(minutes=random.randrange(0, span))
        w.writerow([at.strftime("%Y-%m-%d %H:%M"), f"137{random.randrange(0, 30000):08d}",
                    channel[ch], title, body, random.choice(communities)])
