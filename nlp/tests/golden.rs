//! Agreement with the reference implementation: Python jieba's
//! `extract_tags(text, topK=10)` over the same dictionary, stop words and
//! IDF, saved in `tests/data/golden-top10.txt` by `scripts/jieba-golden.py`.
//!
//! `Analyzer::reference_keywords` must agree (mean overlap ≥ 0.9).
//! Hongcha's own `keywords` differ on purpose, and the second test reports
//! by how much: text is normalised first, synonyms are folded (电瓶车 →
//! 电动自行车), numbers are skipped, words jieba does not know are not
//! guessed (no HMM), and named matters weigh double.
use nlp::Analyzer;
use nlp::corpus;

fn golden() -> Vec<Vec<String>> {
    include_str!("data/golden-top10.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// Share of the reference's keywords found in ours, averaged over texts.
fn mean_overlap(ours: impl Fn(&str) -> Vec<String>) -> f64 {
    let texts = corpus::texts();
    let golden = golden();
    assert_eq!(
        texts.len(),
        golden.len(),
        "regenerate with scripts/jieba-golden.py"
    );
    let sum: f64 = texts
        .iter()
        .zip(&golden)
        .map(|(t, want)| {
            let got = ours(t);
            if want.is_empty() {
                return if got.is_empty() { 1.0 } else { 0.0 };
            }
            want.iter().filter(|w| got.contains(w)).count() as f64 / want.len() as f64
        })
        .sum();
    sum / texts.len() as f64
}

#[test]
fn reference_extraction_agrees_with_python_jieba() {
    let a = Analyzer::shipped();
    let overlap = mean_overlap(|t| a.reference_keywords(t, 10));
    // Order too: the same list, rank for rank (TF-IDF ties included).
    let texts = corpus::texts();
    let same = texts
        .iter()
        .zip(golden())
        .filter(|(t, want)| a.reference_keywords(t, 10) == *want)
        .count() as f64
        / texts.len() as f64;
    eprintln!(
        "reference keywords vs Python jieba: mean top-10 overlap {overlap:.3}, identical ranking in {same:.3} of texts"
    );
    assert!(overlap >= 0.9, "{overlap}");
    assert!(same >= 0.9, "{same}");
}

#[test]
fn hongcha_keywords_differ_from_python_only_where_meant() {
    let a = Analyzer::shipped();
    // Fold the reference's words the way Hongcha does, then compare.
    let overlap = {
        let texts = corpus::texts();
        let golden = golden();
        let sum: f64 = texts
            .iter()
            .zip(&golden)
            .map(|(t, want)| {
                let got: Vec<String> = a.keywords(t, 10).into_iter().map(|k| k.term).collect();
                let want: Vec<String> = want
                    .iter()
                    .flat_map(|w| a.words(w))
                    .filter(|w| w.chars().count() >= 2 && !w.chars().all(|c| c.is_ascii_digit()))
                    .collect();
                if want.is_empty() {
                    return 1.0;
                }
                want.iter().filter(|w| got.contains(w)).count() as f64 / want.len() as f64
            })
            .sum();
        sum / texts.len() as f64
    };
    eprintln!(
        "Hongcha keywords vs Python jieba (reference words folded): mean overlap {overlap:.3}"
    );
    assert!(overlap >= 0.8, "{overlap}");
}
