//! 演示语料 the demo and test corpus (`nlp/data/demo_corpus.txt`) and a
//! deterministic generator of a lively street from it: planted matters
//! written in many different words over several channels and communities,
//! one-off noise, one flooding account and one large matter that is old.
//! `seed-demo`, the golden keyword files and the grouping tests read it.

const CORPUS: &str = include_str!("../data/demo_corpus.txt");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Fresh,
    Old,
    Flood,
    Noise,
}

#[derive(Clone, Debug)]
pub struct Line {
    pub channel: &'static str,
    pub title: &'static str,
    pub body: &'static str,
}

#[derive(Clone, Debug)]
pub struct Matter {
    pub key: &'static str,
    pub kind: Kind,
    pub lines: Vec<Line>,
}

/// The matters of the corpus file, in file order.
pub fn matters() -> Vec<Matter> {
    let mut out: Vec<Matter> = Vec::new();
    for line in CORPUS.lines().map(str::trim) {
        if let Some(head) = line.strip_prefix("## ") {
            let mut parts = head.split_whitespace();
            let key = parts.next().unwrap_or("");
            let kind = match parts.next() {
                Some("old") => Kind::Old,
                Some("flood") => Kind::Flood,
                Some("noise") => Kind::Noise,
                _ => Kind::Fresh,
            };
            out.push(Matter {
                key,
                kind,
                lines: Vec::new(),
            });
        } else if !line.is_empty() && !line.starts_with('#') {
            let mut parts = line.splitn(3, '|');
            if let (Some(channel), Some(title), Some(body), Some(m)) =
                (parts.next(), parts.next(), parts.next(), out.last_mut())
            {
                m.lines.push(Line {
                    channel,
                    title,
                    body,
                });
            }
        }
    }
    out
}

/// Every text of the corpus ("title body"), in file order.
pub fn texts() -> Vec<String> {
    matters()
        .iter()
        .flat_map(|m| m.lines.iter().map(|l| format!("{} {}", l.title, l.body)))
        .collect()
}

/// One generated opinion.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The matter it was planted from (`None` for noise).
    pub matter: Option<&'static str>,
    pub kind: Kind,
    pub channel: &'static str,
    pub title: String,
    pub body: String,
    /// Index of its community, below the `communities` asked for.
    pub community: usize,
    /// Who wrote it (an opaque key; the flooder is always `flood`).
    pub resident: String,
    /// How long ago, in seconds.
    pub age_secs: i64,
}

/// A small deterministic generator (SplitMix64), so the demo and the tests
/// see the same street every time.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn clauses(m: &Matter) -> Vec<&'static str> {
    m.lines
        .iter()
        .flat_map(|l| l.body.split_inclusive(['。', '！', '？', '，']))
        .map(str::trim)
        .filter(|c| c.chars().count() >= 4)
        .collect()
}

const PLACES: &[&str] = &[
    "", "", "", "1幢", "3幢", "5幢", "7幢", "12幢", "南区", "北区", "东门", "西门",
];
const DAY: i64 = 86_400;

/// A street of `communities` communities: for each fresh matter between 18
/// and 40 opinions from distinct residents over the last three weeks
/// (each matter its own size, some residents writing twice), 60 on the old
/// matter two to three months ago, 30 from one flooding account, and each
/// noise line once.
pub fn generate(seed: u64, communities: usize) -> Vec<Generated> {
    let mut rng = Mix(seed);
    let mut out = Vec::new();
    let mut residents = 0usize;
    let communities = communities.max(1);
    for (mi, m) in matters().iter().enumerate() {
        let parts = clauses(m);
        let (count, min_age, max_age) = match m.kind {
            Kind::Fresh => (40 - (mi * 4) % 23, 0, 21 * DAY),
            Kind::Old => (60, 60 * DAY, 90 * DAY),
            Kind::Flood => (30, 0, 3 * DAY),
            Kind::Noise => (m.lines.len(), DAY, 30 * DAY),
        };
        let home = mi % communities;
        let mut last_resident = String::new();
        for i in 0..count {
            let line = &m.lines[if m.kind == Kind::Noise {
                i
            } else {
                rng.below(m.lines.len())
            }];
            let body = match m.kind {
                Kind::Noise => line.body.to_owned(),
                Kind::Flood => format!("{}（第{}次反映）", line.body, i + 1),
                _ => {
                    let place = PLACES[rng.below(PLACES.len())];
                    let a = parts[rng.below(parts.len())];
                    let mut b = parts[rng.below(parts.len())];
                    if b == a {
                        b = parts[(rng.below(parts.len()) + 1) % parts.len()];
                    }
                    format!("{place}{a}{b}")
                }
            };
            let who = match m.kind {
                Kind::Flood => "flood".to_owned(),
                // One in eight writes about the same matter again.
                _ if i > 0 && rng.below(8) == 0 => last_resident.clone(),
                _ => {
                    residents += 1;
                    format!("r{residents}")
                }
            };
            last_resident = who.clone();
            let community = if rng.below(3) == 0 {
                rng.below(communities)
            } else {
                home
            };
            let age_secs = min_age + (rng.next() % (max_age - min_age).max(1) as u64) as i64;
            out.push(Generated {
                matter: (m.kind != Kind::Noise).then_some(m.key),
                kind: m.kind,
                channel: line.channel,
                title: line.title.to_owned(),
                body,
                community,
                resident: who,
                age_secs,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_parses_and_generates_a_street() {
        let m = matters();
        assert!(m.iter().filter(|m| m.kind == Kind::Fresh).count() >= 6);
        assert!(m.iter().all(|m| !m.lines.is_empty()), "{m:?}");
        assert!(texts().len() >= 60);
        let g = generate(7, 3);
        assert!(g.len() >= 300, "{}", g.len());
        assert_eq!(g.iter().filter(|o| o.resident == "flood").count(), 30);
        assert!(g.iter().all(|o| o.community < 3 && o.age_secs >= 0));
        let again = generate(7, 3);
        assert!(
            g.iter()
                .zip(&again)
                .all(|(a, b)| a.body == b.body && a.age_secs == b.age_secs)
        );
    }
}
