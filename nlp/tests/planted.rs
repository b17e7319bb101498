//! The generated street (`nlp::corpus::generate`): keywords → topics →
//! heat must rank the planted fresh matters on top, each exactly once; the
//! flooding account and the large old matter must not make the top; one-off
//! noise must stay out of topics.
use std::collections::{HashMap, HashSet};

use nlp::corpus::{self, Kind};
use nlp::{Analyzer, heat, topics};

#[test]
fn planted_fresh_matters_rank_on_top_each_once() {
    let street = corpus::generate(2026, 3);
    let now = 1_800_000_000;
    let a = Analyzer::shipped();
    let docs: Vec<topics::Doc> = street
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let text = format!("{} {}", o.title, o.body);
            topics::Doc {
                id: i as i64,
                keywords: a
                    .keywords(&text, 8)
                    .into_iter()
                    .map(|k| (k.term, k.weight))
                    .collect(),
                fingerprint: topics::fingerprint(&text),
                resident: o.resident.clone(),
                at: now - o.age_secs,
            }
        })
        .collect();
    let groups = topics::group(&docs, &topics::Params::default());

    // Each topic's heat, with copies speaking for what they copy.
    let mut ranked: Vec<(f64, &topics::Group)> = groups
        .iter()
        .map(|g| {
            let copy_of: HashMap<i64, i64> = g.copies.iter().copied().collect();
            let posts: Vec<heat::Post> = g
                .members
                .iter()
                .map(|&id| {
                    let voice = copy_of.get(&id).copied().unwrap_or(id);
                    let o = &street[id as usize];
                    heat::Post {
                        resident: &street[voice as usize].resident,
                        channel: o.channel,
                        community: o.community as i64,
                        at: now - o.age_secs,
                        supports: 0,
                    }
                })
                .collect();
            (heat::heat(&posts, now, &heat::Params::default()).value, g)
        })
        .collect();
    ranked.sort_by(|x, y| y.0.total_cmp(&x.0));

    // What each topic is mostly about.
    let label = |g: &topics::Group| {
        let mut count: HashMap<Option<&str>, usize> = HashMap::new();
        for &id in &g.members {
            *count.entry(street[id as usize].matter).or_default() += 1;
        }
        let (m, n) = count.into_iter().max_by_key(|(_, n)| *n).unwrap();
        (m, n as f64 / g.members.len() as f64)
    };
    let fresh: HashSet<&str> = corpus::matters()
        .iter()
        .filter(|m| m.kind == Kind::Fresh)
        .map(|m| m.key)
        .collect();
    let top: Vec<(Option<&str>, f64, f64)> = ranked
        .iter()
        .take(fresh.len())
        .map(|(h, g)| {
            let (m, purity) = label(g);
            (m, purity, *h)
        })
        .collect();
    eprintln!("top topics (matter, purity, heat): {top:?}");
    let top_matters: Vec<&str> = top.iter().filter_map(|t| t.0).collect();
    assert_eq!(
        top_matters.iter().copied().collect::<HashSet<_>>(),
        fresh,
        "the top {} are the planted fresh matters: {top:?}",
        fresh.len()
    );
    assert_eq!(top_matters.len(), fresh.len(), "each matter once: {top:?}");
    assert!(
        top.iter().all(|t| t.1 >= 0.9),
        "topics are not glued together: {top:?}"
    );
    for (h, g) in &ranked {
        eprintln!(
            "{:.1} {:?} n={} {:?}",
            h,
            label(g),
            g.members.len(),
            &g.centroid[..g.centroid.len().min(4)]
        );
    }
    // Each fresh matter is mostly in one topic (paraphrases gathered).
    for m in &fresh {
        let planted = street.iter().filter(|o| o.matter == Some(m)).count();
        let (_, best) = ranked.iter().find(|(_, g)| label(g).0 == Some(m)).unwrap();
        let gathered = best
            .members
            .iter()
            .filter(|&&id| street[id as usize].matter == Some(m))
            .count();
        assert!(
            gathered as f64 >= 0.7 * planted as f64,
            "{m}: {gathered} of {planted} opinions in its topic"
        );
    }
    // Noise stays out of topics.
    let in_topics: HashSet<i64> = groups
        .iter()
        .flat_map(|g| g.members.iter().copied())
        .collect();
    let noise_in: Vec<&str> = street
        .iter()
        .enumerate()
        .filter(|(i, o)| o.kind == Kind::Noise && in_topics.contains(&(*i as i64)))
        .map(|(_, o)| o.title.as_str())
        .collect();
    assert!(noise_in.len() <= 1, "noise in topics: {noise_in:?}");
}
