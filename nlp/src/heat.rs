//! 热度 heat of a topic, with the parts it is made of.
//!
//! ```text
//! heat = Σ over distinct residents of 0.5^(age of their latest post / half-life)
//!        × (1 + channel_bonus × (channels − 1) + community_bonus × (communities − 1))
//!        + support_weight × supports × 0.5^(age of the newest post / half-life)
//! ```
//!
//! One resident posting thirty times counts once; copies count as the voice
//! they copy (the caller gives them the same resident); an old matter fades
//! however many opinions it had; a matter raised through several channels
//! and communities weighs more than one raised in one place.
use std::collections::{HashMap, HashSet};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    pub half_life_days: f64,
    pub channel_bonus: f64,
    pub community_bonus: f64,
    pub support_weight: f64,
}

impl Default for Params {
    fn default() -> Params {
        Params {
            half_life_days: 7.0,
            channel_bonus: 0.15,
            community_bonus: 0.1,
            support_weight: 0.2,
        }
    }
}

/// One opinion of a topic as heat sees it.
#[derive(Clone, Debug)]
pub struct Post<'a> {
    /// The voice: copies carry the resident of what they copy.
    pub resident: &'a str,
    pub channel: &'a str,
    pub community: i64,
    /// Seconds since the epoch.
    pub at: i64,
    pub supports: u32,
}

/// A heat figure and every part of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heat {
    pub value: f64,
    pub posts: usize,
    pub residents: usize,
    /// Residents weighed by the age of their latest post.
    pub decayed_residents: f64,
    pub channels: usize,
    pub communities: usize,
    /// The spread multiplier.
    pub spread: f64,
    pub supports: u32,
    /// What supports add.
    pub support_part: f64,
    /// Decay of the newest post (1 = today).
    pub freshness: f64,
}

/// The decay factor of something `age_secs` old.
pub fn decay(age_secs: i64, half_life_days: f64) -> f64 {
    let days = age_secs.max(0) as f64 / 86_400.0;
    if half_life_days <= 0.0 {
        return 1.0;
    }
    0.5f64.powf(days / half_life_days)
}

/// Heat of `posts` at time `now` (seconds since the epoch).
pub fn heat(posts: &[Post], now: i64, p: &Params) -> Heat {
    if posts.is_empty() {
        return Heat::default();
    }
    let mut latest: HashMap<&str, i64> = HashMap::new();
    let mut channels = HashSet::new();
    let mut communities = HashSet::new();
    let mut supports = 0u32;
    let mut newest = i64::MIN;
    for post in posts {
        let e = latest.entry(post.resident).or_insert(post.at);
        *e = (*e).max(post.at);
        channels.insert(post.channel);
        communities.insert(post.community);
        supports = supports.saturating_add(post.supports);
        newest = newest.max(post.at);
    }
    let decayed_residents: f64 = latest
        .values()
        .map(|at| decay(now - at, p.half_life_days))
        .sum();
    let spread = 1.0
        + p.channel_bonus * (channels.len() as f64 - 1.0)
        + p.community_bonus * (communities.len() as f64 - 1.0);
    let freshness = decay(now - newest, p.half_life_days);
    let support_part = p.support_weight * f64::from(supports) * freshness;
    Heat {
        value: decayed_residents * spread + support_part,
        posts: posts.len(),
        residents: latest.len(),
        decayed_residents,
        channels: channels.len(),
        communities: communities.len(),
        spread,
        supports,
        support_part,
        freshness,
    }
}

/// Distinct residents whose first post in the topic fell in each of the
/// `weeks` weeks ending at `now` (oldest first): the trend line.
pub fn weekly_new_residents(posts: &[Post], now: i64, weeks: usize) -> Vec<usize> {
    let mut first: HashMap<&str, i64> = HashMap::new();
    for post in posts {
        let e = first.entry(post.resident).or_insert(post.at);
        *e = (*e).min(post.at);
    }
    let mut out = vec![0; weeks];
    for at in first.values() {
        let age_weeks = (now - at).max(0) / (7 * 86_400);
        if let Ok(w) = usize::try_from(age_weeks)
            && w < weeks
        {
            out[weeks - 1 - w] += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn post<'a>(resident: &'a str, channel: &'a str, community: i64, at: i64) -> Post<'a> {
        Post {
            resident,
            channel,
            community,
            at,
            supports: 0,
        }
    }

    #[test]
    fn one_resident_posting_thirty_times_counts_once() {
        let now = 100 * DAY;
        let flood: Vec<Post> = (0..30).map(|i| post("a:1", "web", 1, now - i)).collect();
        let h = heat(&flood, now, &Params::default());
        assert_eq!(h.residents, 1);
        assert_eq!(h.posts, 30);
        assert!((h.value - 1.0).abs() < 0.01, "{h:?}");
        let two: Vec<Post> = ["a:1", "a:2"]
            .iter()
            .map(|r| post(r, "web", 1, now))
            .collect();
        assert!(heat(&two, now, &Params::default()).value > h.value);
    }

    #[test]
    fn old_matters_fade_below_fresh_ones() {
        let now = 100 * DAY;
        let names: Vec<String> = (0..40).map(|i| format!("a:{i}")).collect();
        let old: Vec<Post> = names
            .iter()
            .map(|r| post(r, "web", 1, now - 42 * DAY))
            .collect();
        let fresh: Vec<Post> = names[..8]
            .iter()
            .map(|r| post(r, "web", 1, now - DAY))
            .collect();
        let (o, f) = (
            heat(&old, now, &Params::default()),
            heat(&fresh, now, &Params::default()),
        );
        assert!(o.residents > f.residents);
        assert!(f.value > o.value, "fresh {f:?} old {o:?}");
        assert!((decay(7 * DAY, 7.0) - 0.5).abs() < 1e-12);
        assert_eq!(decay(-5, 7.0), 1.0);
    }

    #[test]
    fn spread_across_channels_and_communities_and_supports_add() {
        let now = 10 * DAY;
        let one_place: Vec<Post> = ["a", "b", "c"]
            .iter()
            .map(|r| post(r, "web", 1, now))
            .collect();
        let spread = vec![
            post("a", "web", 1, now),
            post("b", "hotline", 2, now),
            post("c", "forum", 3, now),
        ];
        let (h1, h2) = (
            heat(&one_place, now, &Params::default()),
            heat(&spread, now, &Params::default()),
        );
        assert_eq!((h2.channels, h2.communities), (3, 3));
        assert!((h2.spread - 1.5).abs() < 1e-12);
        assert!((h2.value - 4.5).abs() < 1e-9 && (h1.value - 3.0).abs() < 1e-9);
        let mut supported = one_place.clone();
        supported[0].supports = 10;
        let h3 = heat(&supported, now, &Params::default());
        assert!((h3.support_part - 2.0).abs() < 1e-9 && (h3.value - 5.0).abs() < 1e-9);
        // The breakdown adds up.
        for h in [h1, h2, h3] {
            assert!((h.decayed_residents * h.spread + h.support_part - h.value).abs() < 1e-9);
        }
    }

    #[test]
    fn the_trend_counts_new_residents_per_week() {
        let now = 100 * DAY;
        let posts = vec![
            post("a", "web", 1, now - DAY),
            post("a", "web", 1, now - 20 * DAY),
            post("b", "web", 1, now - 8 * DAY),
            post("c", "web", 1, now - 2 * DAY),
            post("d", "web", 1, now - 90 * DAY),
        ];
        assert_eq!(weekly_new_residents(&posts, now, 4), vec![0, 1, 1, 1]);
    }
}
