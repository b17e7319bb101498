//! 话题归并 grouping opinions about the same matter into topics.
//!
//! Each opinion is a vector of its TF-IDF keywords (synonyms already
//! folded, so 电瓶车 and 小电驴 are one term). Opinions are taken in time
//! order; each joins the topic whose centroid is most similar (cosine) if
//! that similarity reaches the threshold, else it starts a topic of its own.
//! Comparing with a centroid rather than with any one member keeps a chain
//! of loosely related opinions from gluing unrelated matters together.
//! Copies (the same text, or nearly: a [`fingerprint`] within three bits)
//! join the topic of what they copy and count as one voice. A group with
//! fewer distinct residents than `min_residents` is not a topic: one-off
//! matters are left alone.
//!
//! The same scoring places one new opinion ([`best_topic`]), so publishing
//! need not regroup everything.
use std::collections::{HashMap, HashSet};

use crate::text::normalise;

/// One published opinion as grouping sees it.
#[derive(Clone, Debug)]
pub struct Doc {
    pub id: i64,
    /// Keywords with TF-IDF weights, as stored with the opinion.
    pub keywords: Vec<(String, f64)>,
    pub fingerprint: u64,
    /// Who stands behind it: an account, a hashed phone number, or the
    /// opinion itself when nobody is known.
    pub resident: String,
    /// Seconds since the epoch.
    pub at: i64,
}

#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Least cosine similarity between an opinion and a topic's centroid.
    pub threshold: f64,
    /// Least distinct residents (copies counted once) for a topic.
    pub min_residents: usize,
    /// Most recent groups a term remembers as candidates (bounds the work
    /// per opinion whatever the corpus size).
    pub candidates_per_term: usize,
    /// Least cosine similarity of two groups' centroids for the second
    /// pass to merge them: a matter whose first opinions took two paths
    /// (飞线充电 and 充电桩) becomes one topic.
    pub merge_threshold: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            threshold: 0.38,
            min_residents: 2,
            candidates_per_term: 256,
            merge_threshold: 0.5,
        }
    }
}

/// A group of opinions about one matter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Group {
    /// Opinion ids, ascending.
    pub members: Vec<i64>,
    /// (copy id, id of the opinion it copies)
    pub copies: Vec<(i64, i64)>,
    /// The centroid's strongest terms, weights summing to 1.
    pub centroid: Vec<(String, f64)>,
    /// Distinct residents, copies counted once.
    pub residents: usize,
}

/// A 64-bit SimHash of the text's character trigrams (after
/// normalisation, punctuation and spaces removed): near-identical texts
/// differ in few bits.
pub fn fingerprint(text: &str) -> u64 {
    let chars: Vec<char> = normalise(text)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    if chars.is_empty() {
        return 0;
    }
    let mut acc = [0i32; 64];
    let n = 3.min(chars.len());
    for gram in chars.windows(n) {
        let h = fnv1a(gram);
        for (bit, a) in acc.iter_mut().enumerate() {
            *a += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    acc.iter()
        .enumerate()
        .fold(0u64, |f, (bit, a)| if *a > 0 { f | 1 << bit } else { f })
}

fn fnv1a(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        for b in (*c as u32).to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    // Mix so that neighbouring grams spread over all bits.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ h >> 33
}

/// Two fingerprints of near-identical texts.
pub fn near_copies(a: u64, b: u64) -> bool {
    (a ^ b).count_ones() <= 3
}

/// An L2-normalised keyword vector.
fn unit(keywords: &[(String, f64)]) -> Vec<(String, f64)> {
    let norm = keywords.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
    if norm == 0.0 {
        return Vec::new();
    }
    keywords
        .iter()
        .map(|(t, w)| (t.clone(), w / norm))
        .collect()
}

/// Cosine similarity of two keyword vectors (any scale), 0–1.
pub fn cosine(a: &[(String, f64)], b: &[(String, f64)]) -> f64 {
    let (ua, ub) = (unit(a), unit(b));
    ua.iter()
        .filter_map(|(t, x)| ub.iter().find(|(u, _)| u == t).map(|(_, y)| x * y))
        .sum()
}

/// A topic's centroid as placing sees it: the sum of its members' unit
/// vectors, and that sum's length.
#[derive(Clone, Debug, Default)]
pub struct Centroid {
    terms: HashMap<String, f64>,
    norm_sq: f64,
}

impl Centroid {
    /// From stored `(term, weight)` pairs (any scale).
    pub fn from_terms(terms: &[(String, f64)]) -> Centroid {
        let mut c = Centroid::default();
        c.add(&unit(terms));
        c
    }

    fn add(&mut self, v: &[(String, f64)]) {
        for (t, w) in v {
            let e = self.terms.entry(t.clone()).or_insert(0.0);
            self.norm_sq += 2.0 * *e * w + w * w;
            *e += w;
        }
    }

    /// Cosine similarity with a unit vector.
    fn cosine(&self, v: &[(String, f64)]) -> f64 {
        if self.norm_sq <= 0.0 {
            return 0.0;
        }
        let dot: f64 = v
            .iter()
            .filter_map(|(t, w)| self.terms.get(t).map(|c| c * w))
            .sum();
        dot / self.norm_sq.sqrt()
    }

    /// The strongest `k` terms, weights summing to 1.
    pub fn top(&self, k: usize) -> Vec<(String, f64)> {
        let mut terms: Vec<(String, f64)> =
            self.terms.iter().map(|(t, w)| (t.clone(), *w)).collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        terms.truncate(k);
        let sum: f64 = terms.iter().map(|(_, w)| w).sum();
        if sum > 0.0 {
            for (_, w) in &mut terms {
                *w /= sum;
            }
        }
        terms
    }
}

/// The centroid of some opinions' keyword vectors, its strongest `k`
/// terms (weights summing to 1).
pub fn centroid_of<'a>(
    vectors: impl IntoIterator<Item = &'a [(String, f64)]>,
    k: usize,
) -> Vec<(String, f64)> {
    let mut c = Centroid::default();
    for v in vectors {
        c.add(&unit(v));
    }
    c.top(k)
}

/// The topic among `topics` that an opinion with these keywords belongs
/// to, with its similarity; `None` when none reaches the threshold.
pub fn best_topic<'a, K: Copy>(
    keywords: &[(String, f64)],
    topics: impl IntoIterator<Item = (K, &'a Centroid)>,
    params: &Params,
) -> Option<(K, f64)> {
    let v = unit(keywords);
    topics
        .into_iter()
        .map(|(k, c)| (k, c.cosine(&v)))
        .filter(|(_, s)| *s >= params.threshold)
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// A fingerprint seen: (fingerprint, its group, the opinion it came from).
type Seen = (u64, usize, i64);

#[derive(Default)]
struct Building {
    centroid: Centroid,
    members: Vec<i64>,
    copies: Vec<(i64, i64)>,
    residents: HashSet<String>,
}

/// The second pass: groups of two or more opinions, largest first, take in
/// any smaller group whose centroid is close enough to theirs.
fn merge_similar(groups: &mut Vec<Building>, params: &Params) {
    let mut order: Vec<usize> = (0..groups.len())
        .filter(|&g| groups[g].members.len() >= 2)
        .collect();
    order.sort_by_key(|&g| (std::cmp::Reverse(groups[g].members.len()), g));
    let position: HashMap<usize, usize> = order.iter().enumerate().map(|(r, &g)| (g, r)).collect();
    let mut by_term: HashMap<String, Vec<usize>> = HashMap::new();
    for &g in &order {
        for (t, _) in groups[g].centroid.top(3) {
            by_term.entry(t).or_default().push(g);
        }
    }
    let mut gone: HashSet<usize> = HashSet::new();
    for (rank, &big) in order.iter().enumerate() {
        if gone.contains(&big) {
            continue;
        }
        let mut candidates: Vec<usize> = groups[big]
            .centroid
            .top(3)
            .iter()
            .filter_map(|(t, _)| by_term.get(t))
            .flatten()
            .copied()
            .filter(|g| position[g] > rank && !gone.contains(g))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        for small in candidates {
            let v = unit(&groups[small].centroid.top(usize::MAX));
            if groups[big].centroid.cosine(&v) >= params.merge_threshold {
                let taken = std::mem::take(&mut groups[small]);
                let target = &mut groups[big];
                for (t, w) in taken.centroid.terms {
                    let e = target.centroid.terms.entry(t).or_insert(0.0);
                    *e += w;
                }
                target.centroid.norm_sq = target.centroid.terms.values().map(|w| w * w).sum();
                target.members.extend(taken.members);
                target.copies.extend(taken.copies);
                target.residents.extend(taken.residents);
                gone.insert(small);
            }
        }
        groups[big].members.sort_unstable();
    }
    let mut i = 0;
    groups.retain(|_| {
        i += 1;
        !gone.contains(&(i - 1))
    });
}

/// Groups `docs` into topics (see the module documentation). Deterministic
/// for the same input; groups come in the order they were started (by the
/// time of their first opinion), and single opinions that start no group
/// of two or more are never merged.
pub fn group(docs: &[Doc], params: &Params) -> Vec<Group> {
    let mut order: Vec<&Doc> = docs.iter().collect();
    order.sort_by_key(|d| (d.at, d.id));

    let mut groups: Vec<Building> = Vec::new();
    // term → recent groups carrying it (most recent last)
    let mut postings: HashMap<&str, Vec<usize>> = HashMap::new();
    // 16-bit band of a fingerprint → (fingerprint, group, voice) seen
    let mut bands: HashMap<(u8, u16), Vec<Seen>> = HashMap::new();
    // an opinion that was copied → the voice (original id) it counts as
    let mut voice_of: HashMap<i64, String> = HashMap::new();

    for doc in order {
        let v = unit(&doc.keywords);
        // A copy joins what it copies and speaks with its voice.
        let copy = (doc.fingerprint != 0)
            .then(|| {
                (0..4u8).find_map(|b| {
                    let key = (b, (doc.fingerprint >> (16 * b)) as u16);
                    bands
                        .get(&key)?
                        .iter()
                        .find(|(f, _, _)| near_copies(*f, doc.fingerprint))
                })
            })
            .flatten()
            .map(|&(_, g, original)| (g, original));
        let (gi, voice) = if let Some((g, original)) = copy {
            groups[g].copies.push((doc.id, original));
            let voice = voice_of
                .get(&original)
                .cloned()
                .unwrap_or_else(|| doc.resident.clone());
            (g, voice)
        } else {
            let mut candidates: Vec<usize> = v
                .iter()
                .filter_map(|(t, _)| postings.get(t.as_str()))
                .flatten()
                .copied()
                .collect();
            candidates.sort_unstable();
            candidates.dedup();
            let best = best_topic(
                &doc.keywords,
                candidates.iter().map(|&g| (g, &groups[g].centroid)),
                params,
            );
            let g = match best {
                Some((g, _)) => g,
                None => {
                    groups.push(Building {
                        centroid: Centroid::default(),
                        members: Vec::new(),
                        copies: Vec::new(),
                        residents: HashSet::new(),
                    });
                    groups.len() - 1
                }
            };
            groups[g].centroid.add(&v);
            for (t, _) in &doc.keywords {
                let list = postings.entry(t.as_str()).or_default();
                if list.last() != Some(&g) {
                    list.retain(|&x| x != g);
                    list.push(g);
                    if list.len() > params.candidates_per_term {
                        list.remove(0);
                    }
                }
            }
            if doc.fingerprint != 0 {
                for b in 0..4u8 {
                    let key = (b, (doc.fingerprint >> (16 * b)) as u16);
                    bands
                        .entry(key)
                        .or_default()
                        .push((doc.fingerprint, g, doc.id));
                }
            }
            voice_of.insert(doc.id, doc.resident.clone());
            (g, doc.resident.clone())
        };
        groups[gi].members.push(doc.id);
        groups[gi].residents.insert(voice);
    }

    merge_similar(&mut groups, params);
    groups
        .into_iter()
        .filter(|g| g.residents.len() >= params.min_residents)
        .map(|g| Group {
            centroid: g.centroid.top(12),
            residents: g.residents.len(),
            members: g.members,
            copies: g.copies,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Analyzer;

    fn doc(id: i64, text: &str, resident: &str, at: i64) -> Doc {
        let a = Analyzer::shipped();
        Doc {
            id,
            keywords: a
                .keywords(text, 8)
                .into_iter()
                .map(|k| (k.term, k.weight))
                .collect(),
            fingerprint: fingerprint(text),
            resident: resident.to_owned(),
            at,
        }
    }

    #[test]
    fn near_identical_texts_have_near_fingerprints() {
        let a = fingerprint("3幢楼道里有人飞线充电，晚上很危险，请物业管一管！");
        let b = fingerprint("3幢楼道里有人飞线充电！晚上很危险，请物业管一管");
        let c = fingerprint("小区门口的路灯坏了两个星期了，晚上看不见路");
        assert!(near_copies(a, b), "{}", (a ^ b).count_ones());
        assert!(!near_copies(a, c), "{}", (a ^ c).count_ones());
        assert_eq!(fingerprint("！！  "), 0);
    }

    #[test]
    fn paraphrases_gather_unrelated_matters_do_not_and_one_offs_stay_alone() {
        let docs = vec![
            doc(1, "楼道里有人用电瓶车拉线充电，太危险了", "a:1", 10),
            doc(
                2,
                "来电人反映：小区电动车飞线充电现象严重，存在火灾隐患",
                "p:9",
                20,
            ),
            doc(3, "小电驴在楼道充电，电线从窗户挂下来", "a:2", 30),
            doc(4, "我们楼想加装电梯，费用怎么分摊？", "a:3", 40),
            doc(
                5,
                "老人爬楼太难，希望尽快安装电梯，一楼住户不同意怎么办",
                "a:4",
                50,
            ),
            doc(6, "增设电梯的补贴政策是什么，低楼层住户有意见", "a:5", 60),
            doc(7, "小区东门的流浪猫越来越多，晚上叫得厉害", "a:6", 70),
        ];
        let groups = group(&docs, &Params::default());
        let members: Vec<Vec<i64>> = groups.iter().map(|g| g.members.clone()).collect();
        assert_eq!(members, vec![vec![1, 2, 3], vec![4, 5, 6]], "{groups:#?}");
        assert_eq!(groups[0].centroid[0].0, "电动自行车");
    }

    #[test]
    fn copies_and_a_flooding_resident_count_once() {
        let mut docs = Vec::new();
        for i in 0..30 {
            docs.push(doc(
                i,
                &format!("楼道飞线充电太危险第{i}次反映"),
                "a:flood",
                i,
            ));
        }
        let groups = group(&docs, &Params::default());
        assert!(groups.is_empty(), "one resident is not a topic: {groups:?}");

        let docs = vec![
            doc(1, "小区门口路灯坏了，晚上很黑看不见路", "a:1", 1),
            doc(2, "小区门口路灯坏了，晚上很黑看不见路！！", "a:2", 2),
            doc(3, "小区门口路灯坏了，晚上很黑看不见路。", "a:3", 3),
        ];
        let groups = group(&docs, &Params::default());
        assert!(groups.is_empty(), "three copies are one voice: {groups:?}");

        let docs = vec![
            doc(1, "小区门口路灯坏了，晚上很黑看不见路", "a:1", 1),
            doc(2, "小区门口路灯坏了，晚上很黑看不见路！！", "a:2", 2),
            doc(3, "南门那盏路灯不亮好几天了，老人走路怕摔", "a:3", 3),
        ];
        let groups = group(&docs, &Params::default());
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].members, vec![1, 2, 3]);
        assert_eq!(groups[0].copies, vec![(2, 1)]);
        assert_eq!(groups[0].residents, 2);
    }

    #[test]
    fn a_new_opinion_finds_its_topic() {
        let topics = [
            (
                10,
                Centroid::from_terms(&[("电动自行车".into(), 0.5), ("飞线充电".into(), 0.5)]),
            ),
            (
                11,
                Centroid::from_terms(&[("加装电梯".into(), 0.7), ("费用".into(), 0.3)]),
            ),
        ];
        let d = doc(1, "晚上有人在楼道给电瓶车充电", "a:1", 1);
        let found = best_topic(
            &d.keywords,
            topics.iter().map(|(k, c)| (*k, c)),
            &Params::default(),
        );
        assert_eq!(found.map(|f| f.0), Some(10));
        let d = doc(2, "小区东门的流浪猫越来越多", "a:1", 1);
        assert!(
            best_topic(
                &d.keywords,
                topics.iter().map(|(k, c)| (*k, c)),
                &Params::default()
            )
            .is_none()
        );
    }
}
