//! 文本 text as analysis reads it ([`normalise`]), and similarity of two
//! Chinese texts over their segmented words (not raw bytes).
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::lexicon::Analyzer;

/// Text as analysis reads it (never as it is shown): full-width letters,
/// digits and punctuation folded to half-width, Latin letters lower-cased,
/// links and emoji dropped, a run of the same punctuation mark kept once,
/// and runs of white space made one space.
///
/// ```
/// assert_eq!(nlp::text::normalise("ＡＢＣ电梯！！！ https://t.cn/x 😡😡"), "abc电梯!");
/// ```
pub fn normalise(text: &str) -> String {
    static LINK: OnceLock<regex::Regex> = OnceLock::new();
    let link = LINK.get_or_init(|| {
        regex::Regex::new(r"(?i)\b(?:https?://|www\.)[^\s\u{3000}，。！？、；]+")
            .expect("link pattern")
    });
    // Most texts hold no link: the pattern needs "://" or "www.".
    let may_link = text.contains("://")
        || text
            .as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"www."));
    let without_links = if may_link {
        link.replace_all(text, " ")
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    let mut out = String::with_capacity(without_links.len());
    let mut last: Option<char> = None;
    for c in without_links.chars() {
        let c = match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if is_emoji(c) {
            continue;
        }
        let c = c.to_ascii_lowercase();
        if c.is_whitespace() {
            if last.is_some_and(|l| l != ' ') {
                out.push(' ');
                last = Some(' ');
            }
            continue;
        }
        if last == Some(c) && is_punctuation(c) {
            continue;
        }
        out.push(c);
        last = Some(c);
    }
    out.trim_end().to_owned()
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(
            c,
            '。' | '，' | '、' | '；' | '：' | '？' | '！' | '…' | '～' | '·' | '—'
        )
}

/// Pictographs, symbols, flags and the joiners that build emoji sequences.
fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0xFE0F | 0x200D | 0x20E3 | 0xE0020..=0xE007F)
}

/// Each distinct word once (repeating a word does not make a text more
/// about it); single characters and numbers say little.
fn weights(words: Vec<String>) -> HashMap<String, f64> {
    words
        .into_iter()
        .filter(|w| !w.chars().all(|c| c.is_ascii_digit() || c == '*'))
        .map(|w| {
            let weight = if w.chars().count() > 1 { 1.0 } else { 0.3 };
            (w, weight)
        })
        .collect()
}

/// Cosine similarity of the two texts' sets of content words, from 0
/// (nothing in common) to 1 (the same words).
///
/// ```
/// let s = nlp::similarity("电瓶车在楼道飞线充电", "楼道里电动自行车飞线充电太危险");
/// assert!(s > 0.5);
/// ```
pub fn similarity(a: &str, b: &str) -> f64 {
    let seg = Analyzer::shipped();
    let (ca, cb) = (weights(seg.words(a)), weights(seg.words(b)));
    let dot: f64 = ca
        .iter()
        .filter_map(|(w, x)| cb.get(w).map(|y| x * y))
        .sum();
    let norm = |m: &HashMap<String, f64>| m.values().map(|v| v * v).sum::<f64>().sqrt();
    let (na, nb) = (norm(&ca), norm(&cb));
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_widths_and_drops_what_says_nothing() {
        for (raw, want) in [
            ("ＡＢＣ１２３", "abc123"),
            ("电梯坏了！！！？？？", "电梯坏了!?"),
            ("楼道。。。。太黑", "楼道。太黑"),
            (
                "看这里 https://example.com/a?b=1 和 www.x.cn/p 吧",
                "看这里 和 吧",
            ),
            ("路灯不亮😡😡👍🏻", "路灯不亮"),
            ("加装\u{3000}\u{3000}电梯  \n 费用", "加装 电梯 费用"),
            ("👨\u{200D}👩\u{200D}👧 家里", "家里"),
            ("", ""),
        ] {
            assert_eq!(normalise(raw), want, "{raw:?}");
        }
        // Analysis sees the same words whatever the width.
        assert_eq!(
            Analyzer::shipped().words("ＷＩＦＩ信号差"),
            Analyzer::shipped().words("wifi信号差")
        );
    }

    proptest::proptest! {
        #[test]
        fn normalising_twice_changes_nothing(s in "\\PC{0,60}") {
            let once = normalise(&s);
            proptest::prop_assert_eq!(normalise(&once), once.clone());
            proptest::prop_assert!(once.chars().count() <= s.chars().count());
        }
    }

    #[test]
    fn same_matter_is_similar_other_matter_is_not() {
        let a = "小区电瓶车飞线充电太危险了";
        let b = "电动自行车在楼道里飞线充电，存在安全隐患";
        let c = "加装电梯的费用怎么分摊";
        assert!(similarity(a, b) > 0.4, "{}", similarity(a, b));
        assert!(similarity(a, c) < 0.1, "{}", similarity(a, c));
        // Sharing one place word is not the same matter.
        let d = "电动车楼道充电 有人在楼道给电瓶车飞线充电，很危险";
        let e = "楼道堆放杂物 3 幢楼道堆满杂物，消防通道被堵，有事请打我电话 139****5678";
        assert!(similarity(d, e) < 0.3, "{}", similarity(d, e));
        assert!((similarity(a, a) - 1.0).abs() < 1e-9);
        assert_eq!(similarity("", a), 0.0);
    }
}
