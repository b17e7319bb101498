//! 词典 the civic lexicon (dictionary words, synonyms, stop words), the IDF
//! table, and the one [`Analyzer`] built from them: normalised text cut by
//! jieba into terms, synonyms folded, and TF-IDF keywords.
//!
//! The shipped lexicon and IDF are data files in `nlp/data/`. Admins extend
//! the lexicon at run time: the caller builds a new `Analyzer` from
//! [`Lexicon::shipped`] plus their additions and swaps it in.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use jieba_rs::{Jieba, KeywordExtract, KeywordExtractConfig, TextRank};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::text::normalise;

const CIVIC_WORDS: &str = include_str!("../data/civic_words.txt");
const SYNONYMS: &str = include_str!("../data/synonyms.txt");
const STOP_WORDS: &str = include_str!("../data/stop_words.txt");
const IDF: &str = include_str!("../data/idf.txt");

/// Frequency given to dictionary words without one: high enough that jieba
/// keeps them whole against its general dictionary.
pub const DEFAULT_WORD_FREQ: usize = 200_000;
/// The longest term a lexicon accepts (characters).
pub const MAX_TERM_CHARS: usize = 16;

/// One kind of lexicon entry, as admins edit them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TermKind {
    /// A word cut whole.
    Word,
    /// A variant folded into a canonical term.
    Synonym,
    /// A word too common to say anything.
    Stop,
}

impl TermKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TermKind::Word => "word",
            TermKind::Synonym => "synonym",
            TermKind::Stop => "stop",
        }
    }

    pub fn parse(s: &str) -> Option<TermKind> {
        match s {
            "word" => Some(TermKind::Word),
            "synonym" => Some(TermKind::Synonym),
            "stop" => Some(TermKind::Stop),
            _ => None,
        }
    }
}

/// Why a term is not accepted into the lexicon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TermError {
    Empty,
    TooLong,
    /// White space, punctuation or control characters inside a term.
    NotOneWord,
    /// A synonym needs a canonical term different from the variant.
    SameAsCanonical,
}

/// A term as analysis stores it: normalised, one word, bounded.
pub fn check_term(raw: &str) -> Result<String, TermError> {
    let t = normalise(raw);
    if t.is_empty() {
        return Err(TermError::Empty);
    }
    if t.chars().count() > MAX_TERM_CHARS {
        return Err(TermError::TooLong);
    }
    if !t.chars().all(char::is_alphanumeric) {
        return Err(TermError::NotOneWord);
    }
    Ok(t)
}

/// Dictionary words, synonyms and stop words.
#[derive(Clone, Debug, Default)]
pub struct Lexicon {
    pub words: Vec<(String, usize)>,
    /// (variant, canonical)
    pub synonyms: Vec<(String, String)>,
    pub stop: Vec<String>,
}

fn data_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

impl Lexicon {
    /// The lexicon the repository ships (`nlp/data/`).
    pub fn shipped() -> Lexicon {
        let words = data_lines(CIVIC_WORDS)
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                let w = parts.next()?;
                let freq = parts
                    .next()
                    .and_then(|f| f.parse().ok())
                    .unwrap_or(DEFAULT_WORD_FREQ);
                Some((w.to_owned(), freq))
            })
            .collect();
        let synonyms = data_lines(SYNONYMS)
            .filter_map(|l| {
                let mut parts = l.split_whitespace();
                Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
            })
            .collect();
        let stop = data_lines(STOP_WORDS)
            .flat_map(str::split_whitespace)
            .map(str::to_owned)
            .collect();
        Lexicon {
            words,
            synonyms,
            stop,
        }
    }

    /// Adds one entry (admins' additions). `canonical` is for synonyms.
    pub fn add(&mut self, kind: TermKind, term: &str, canonical: Option<&str>) {
        match kind {
            TermKind::Word => self.words.push((term.to_owned(), DEFAULT_WORD_FREQ)),
            TermKind::Synonym => {
                if let Some(c) = canonical {
                    // A later entry for the same variant wins.
                    self.synonyms.retain(|(v, _)| v != term);
                    self.synonyms.push((term.to_owned(), c.to_owned()));
                }
            }
            TermKind::Stop => self.stop.push(term.to_owned()),
        }
    }

    /// Every word jieba must cut whole: dictionary words, and both sides of
    /// each synonym.
    fn dictionary_words(&self) -> impl Iterator<Item = (&str, usize)> {
        self.words.iter().map(|(w, f)| (w.as_str(), *f)).chain(
            self.synonyms
                .iter()
                .flat_map(|(v, c)| [v.as_str(), c.as_str()])
                .filter(|w| w.chars().count() > 1)
                .map(|w| (w, DEFAULT_WORD_FREQ)),
        )
    }

    /// The dictionary in jieba's user-dictionary format ("word freq" per
    /// line), for the reference implementation.
    pub fn user_dictionary(&self) -> String {
        let mut seen = HashSet::new();
        let mut out = String::new();
        for (w, f) in self.dictionary_words() {
            if seen.insert(w) {
                out.push_str(&format!("{w} {f}\n"));
            }
        }
        out
    }
}

/// Inverse document frequencies, and the value for a word it does not know
/// (the median, as jieba does).
#[derive(Clone, Debug)]
pub struct Idf {
    /// Looked up for every word of every text: a fast hash (the keys are
    /// the shipped table and admins' refreshes, not attacker-chosen).
    map: FxHashMap<String, f64>,
    median: f64,
    max: f64,
}

impl Idf {
    /// Parses "word idf" lines; others are skipped.
    pub fn parse(text: &str) -> Idf {
        let mut map = FxHashMap::with_capacity_and_hasher(text.len() / 24, Default::default());
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            if let (Some(w), Some(v)) = (parts.next(), parts.next().and_then(|v| v.parse().ok())) {
                map.insert(w.to_owned(), v);
            }
        }
        Idf::from_map(map)
    }

    fn from_map(map: FxHashMap<String, f64>) -> Idf {
        let mut values: Vec<f64> = map.values().copied().collect();
        let (median, max) = if values.is_empty() {
            (1.0, 1.0)
        } else {
            // jieba takes the upper median of the sorted values.
            let mid = values.len() / 2;
            let (_, m, _) = values.select_nth_unstable_by(mid, f64::total_cmp);
            let m = *m;
            (m, values.iter().copied().fold(f64::MIN, f64::max))
        };
        Idf { map, median, max }
    }

    /// The IDF the repository ships (`nlp/data/idf.txt`), parsed once.
    pub fn shipped() -> Arc<Idf> {
        static S: OnceLock<Arc<Idf>> = OnceLock::new();
        S.get_or_init(|| Arc::new(Idf::parse(IDF))).clone()
    }

    pub fn get(&self, term: &str) -> f64 {
        self.map.get(term).copied().unwrap_or(self.median)
    }

    pub fn median(&self) -> f64 {
        self.median
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// This table with some terms' values replaced (a refresh kept in the
    /// database).
    pub fn with(&self, overrides: impl IntoIterator<Item = (String, f64)>) -> Idf {
        let mut map = self.map.clone();
        map.extend(overrides);
        Idf::from_map(map)
    }

    /// The terms whose value differs in `other` (what a refresh changed).
    pub fn changed_in<'a>(&self, other: &'a Idf) -> Vec<(&'a str, f64)> {
        other
            .map
            .iter()
            .filter(|(t, v)| self.map.get(*t).is_none_or(|mine| (mine - *v).abs() > 1e-9))
            .map(|(t, v)| (t.as_str(), *v))
            .collect()
    }

    /// This table refreshed from a community's own corpus: `df[t]` of
    /// `docs` opinions contain term `t`. A term's corpus IDF
    /// `ln(docs / df)` is put on the shipped scale (divided by `ln(docs)`,
    /// times the table's largest value) and blended in with weight
    /// `docs / (docs + 2000)`, so a small corpus nudges and a large one
    /// decides. Terms seen in one opinion only keep their shipped value.
    pub fn refreshed(&self, df: &HashMap<String, u32>, docs: u32) -> Idf {
        let mut map = self.map.clone();
        if docs < 2 {
            return Idf::from_map(map);
        }
        let n = f64::from(docs);
        let blend = n / (n + 2000.0);
        for (term, &d) in df {
            if d < 2 {
                continue;
            }
            let corpus = self.max * (n / f64::from(d.min(docs))).ln() / n.ln();
            let base = self.get(term);
            map.insert(term.clone(), (1.0 - blend) * base + blend * corpus);
        }
        Idf::from_map(map)
    }
}

/// One keyword of a text, with its TF-IDF weight.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyword {
    pub term: String,
    pub weight: f64,
}

static SHIPPED: OnceLock<Analyzer> = OnceLock::new();

/// jieba with the lexicon loaded, synonyms, stop words and an IDF.
pub struct Analyzer {
    jieba: Jieba,
    /// jieba's TextRank, with the lexicon's stop words and no HMM (built
    /// once with the analyser, like the dictionary).
    textrank: TextRank,
    synonyms: FxHashMap<String, String>,
    stop: FxHashSet<String>,
    /// Dictionary words and canonical terms: the names of matters.
    matters: FxHashSet<String>,
    idf: Arc<Idf>,
}

/// How much more a named matter (a dictionary word or canonical term)
/// weighs in keywords than a general word of the same TF-IDF.
pub const MATTER_BOOST: f64 = 2.0;

/// Tokens after a word within which another word is its neighbour in
/// [`Analyzer::phrases`]: jieba's default span is 5 (four following
/// words); here every other token is the space between two words, so 9
/// reaches the same four words.
const PHRASE_SPAN: usize = 9;

/// A word worth ranking as a keyword: two or more characters, not a number
/// or a masked run of digits.
fn keyword_like(w: &str) -> bool {
    w.chars().count() >= 2
        && !w
            .chars()
            .all(|c| c.is_ascii_digit() || c == '*' || c == '.')
}

impl Analyzer {
    pub fn new(lexicon: &Lexicon, idf: Arc<Idf>) -> Analyzer {
        let mut jieba = Jieba::new();
        for (w, f) in lexicon.dictionary_words() {
            jieba.add_word(w, Some(f), None);
        }
        let stop: FxHashSet<String> = lexicon.stop.iter().map(|s| s.to_lowercase()).collect();
        let textrank = TextRank::new(
            PHRASE_SPAN,
            KeywordExtractConfig::builder()
                .set_stop_words(stop.iter().cloned().collect())
                .use_hmm(false)
                .min_keyword_length(2)
                .build(),
        );
        Analyzer {
            jieba,
            textrank,
            synonyms: lexicon.synonyms.iter().cloned().collect(),
            stop,
            matters: lexicon
                .words
                .iter()
                .map(|(w, _)| w.clone())
                .chain(lexicon.synonyms.iter().map(|(_, c)| c.clone()))
                .collect(),
            idf,
        }
    }

    /// The shipped lexicon and IDF, built once per process (a second or
    /// more: callers on an async runtime build it off the runtime first,
    /// see [`Analyzer::shipped_ready`]).
    pub fn shipped() -> &'static Analyzer {
        SHIPPED.get_or_init(|| Analyzer::new(&Lexicon::shipped(), Idf::shipped()))
    }

    /// Whether [`Analyzer::shipped`] is built already (using it will not
    /// block).
    pub fn shipped_ready() -> bool {
        SHIPPED.get().is_some()
    }

    /// The same lexicon over another IDF (a refreshed one).
    pub fn idf(&self) -> &Arc<Idf> {
        &self.idf
    }

    fn fold<'a>(&'a self, word: &'a str) -> &'a str {
        self.synonyms.get(word).map(String::as_str).unwrap_or(word)
    }

    /// Content words of `text` in order: normalised, cut, synonyms folded,
    /// punctuation and stop words dropped. Single characters are kept
    /// (similarity weighs them lightly); keywords skip them. Words jieba
    /// does not know are not guessed (no HMM): a guess such as 楼想 says
    /// nothing, and the lexicon is where residents' words are added.
    pub fn words(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.each_word(&normalise(text), |w| out.push(w.to_owned()));
        out
    }

    /// [`words`](Self::words) of already normalised text, each handed to
    /// `f` as it is cut (borrowed: nothing allocated per word).
    fn each_word<'t>(&'t self, text: &'t str, mut f: impl FnMut(&'t str)) {
        for t in self.jieba.cut(text, false) {
            let w = t.word.trim();
            if w.is_empty() || !w.chars().any(char::is_alphanumeric) {
                continue;
            }
            let w = self.fold(w);
            if !self.stop.contains(w) {
                f(w);
            }
        }
    }

    /// The `k` keywords of `text` by TF-IDF over its [`words`](Self::words)
    /// of two or more characters (numbers and masked digits skipped), named
    /// matters weighed [`MATTER_BOOST`] times; ties go to the word that came
    /// first.
    pub fn keywords(&self, text: &str, k: usize) -> Vec<Keyword> {
        let text = normalise(text);
        let mut words: Vec<&str> = Vec::with_capacity(text.len() / 4);
        self.each_word(&text, |w| {
            if keyword_like(w) {
                words.push(w);
            }
        });
        let mut ranked = rank(words.into_iter(), &self.idf, usize::MAX);
        for (term, weight) in &mut ranked {
            if self.matters.contains(*term) {
                *weight *= MATTER_BOOST;
            }
        }
        // Stable: among equal weights the word that came first.
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
            .into_iter()
            .take(k)
            .map(|(term, weight)| Keyword {
                term: term.to_owned(),
                weight,
            })
            .collect()
    }

    /// The `k` words that carry a set of texts (a topic's opinions), by
    /// jieba's TextRank: words rank high when they keep company with other
    /// frequent words, across texts. It runs over the texts' content words
    /// ([`words`](Self::words): normalised, synonyms folded, stop words
    /// out), so residents' different names for one matter rank as one word.
    pub fn phrases<'a>(&self, texts: impl IntoIterator<Item = &'a str>, k: usize) -> Vec<String> {
        // Word, space, word …: jieba cuts the joined text back into the
        // same words, each space a token of its own. A span's worth of line
        // breaks between texts keeps one text's words from neighbouring the
        // next one's.
        let gap = "\n".repeat(PHRASE_SPAN);
        let mut joined = String::new();
        for text in texts {
            for w in self.words(text).into_iter().filter(|w| keyword_like(w)) {
                joined.push_str(&w);
                joined.push(' ');
            }
            joined.push_str(&gap);
        }
        self.textrank
            .extract_keywords(&self.jieba, &joined, k, Vec::new())
            .into_iter()
            .map(|k| k.keyword)
            .collect()
    }

    /// Python jieba's `jieba.analyse.extract_tags(text, k)` over the same
    /// dictionary, stop words and IDF: no normalisation, no synonym
    /// folding. Kept to measure agreement with the reference.
    pub fn reference_keywords(&self, text: &str, k: usize) -> Vec<String> {
        let cut = self.jieba.cut(text, true);
        let words = cut
            .iter()
            .map(|t| t.word)
            .filter(|w| w.trim().chars().count() >= 2 && !self.stop.contains(&w.to_lowercase()));
        rank(words, &self.idf, k)
            .into_iter()
            .map(|(w, _)| w.to_owned())
            .collect()
    }
}

/// Term frequency × IDF, highest first; ties keep first appearance.
fn rank<'a>(words: impl Iterator<Item = &'a str>, idf: &Idf, k: usize) -> Vec<(&'a str, f64)> {
    // Each word once, in order of first appearance, with its count.
    let mut at: FxHashMap<&str, usize> = FxHashMap::default();
    let mut scored: Vec<(&str, f64)> = Vec::new();
    let mut total = 0.0;
    for w in words {
        total += 1.0;
        match at.entry(w) {
            std::collections::hash_map::Entry::Occupied(e) => scored[*e.get()].1 += 1.0,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(scored.len());
                scored.push((w, 1.0));
            }
        }
    }
    for (w, f) in &mut scored {
        *f = *f * idf.get(w) / total;
    }
    // A stable sort keeps first appearance among equal weights.
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.truncate(k);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_data_loads() {
        let lex = Lexicon::shipped();
        assert!(lex.words.iter().any(|(w, _)| w == "加装电梯"));
        assert!(
            lex.synonyms
                .contains(&("电瓶车".into(), "电动自行车".into()))
        );
        assert!(lex.stop.contains(&"的".to_owned()));
        let idf = Idf::shipped();
        assert!(idf.len() > 200_000, "{}", idf.len());
        assert!(idf.get("不存在的词语呀") == idf.median());
        assert!(idf.get("生化学") > idf.get("问题"));
    }

    #[test]
    fn synonyms_fold_and_variants_stay_whole() {
        let a = Analyzer::shipped();
        assert_eq!(a.words("电瓶车"), vec!["电动自行车".to_owned()]);
        assert_eq!(a.words("小电驴"), vec!["电动自行车".to_owned()]);
        let w = a.words("楼道里有人拉线充电");
        assert!(w.contains(&"飞线充电".to_owned()), "{w:?}");
        let w = a.words("我们小区想加装电梯，楼道里有人飞线充电");
        assert!(w.contains(&"加装电梯".to_owned()), "{w:?}");
        assert!(!w.iter().any(|x| x == "，" || x == "的"), "{w:?}");
    }

    #[test]
    fn keywords_say_what_a_text_is_about() {
        let a = Analyzer::shipped();
        let k = a.keywords(
            "来电人反映：3幢楼道里天天有人用电瓶车拉线充电，电线从窗户挂下来，太危险了！！",
            5,
        );
        let terms: Vec<&str> = k.iter().map(|k| k.term.as_str()).collect();
        assert_eq!(terms[..2], ["电动自行车", "飞线充电"], "{terms:?}");
        assert!(
            !terms.contains(&"来电人") && !terms.contains(&"反映"),
            "{terms:?}"
        );
        assert!(k.windows(2).all(|w| w[0].weight >= w[1].weight));
        assert!(a.keywords("", 5).is_empty());
        assert!(a.keywords("138****5678 2026", 5).is_empty());
    }

    #[test]
    fn textrank_names_what_many_texts_keep_saying() {
        let a = Analyzer::shipped();
        let texts = [
            "来电人反映：3幢楼道里天天有人用电瓶车拉线充电，电线从窗户挂下来。",
            "楼道充电太危险了，小电驴停在楼道里充电，晚上也不拔。",
            "希望小区多装几个充电桩，电动车就不用飞线充电了。",
            "电动车在楼道里充电，消防通道被堵，物业也不管。",
            "垃圾分类的桶放得太远了，老人走不动。",
        ];
        let p = a.phrases(texts, 5);
        assert_eq!(p.len(), 5, "{p:?}");
        // Residents' many names for one matter rank as its one name.
        assert_eq!(p[0], "电动自行车", "{p:?}");
        assert!(p[..3].contains(&"飞线充电".to_owned()), "{p:?}");
        assert!(p.contains(&"楼道".to_owned()), "{p:?}");
        for w in [
            "电瓶车",
            "小电驴",
            "电动车",
            "拉线充电",
            "来电人",
            "反映",
            "的",
        ] {
            assert!(!p.iter().any(|x| x == w), "{w} in {p:?}");
        }
        assert!(p.iter().all(|w| w.chars().count() >= 2), "{p:?}");
        // The one-off matter does not outrank the one everybody raises.
        assert!(!p[..3].contains(&"垃圾分类".to_owned()), "{p:?}");
        assert!(a.phrases([""; 0], 5).is_empty());
        assert!(a.phrases(["！！", "138****5678"], 5).is_empty());
    }

    #[test]
    fn the_lexicon_grows_at_run_time() {
        let mut lex = Lexicon::shipped();
        let before = Analyzer::new(&lex, Idf::shipped());
        assert_ne!(
            before.words("共享单车乱停"),
            vec!["共享单车".to_owned(), "乱停".to_owned()]
        );
        lex.add(TermKind::Word, "乱停", None);
        lex.add(TermKind::Synonym, "小黄车", Some("共享单车"));
        lex.add(TermKind::Stop, "乱停", None);
        let after = Analyzer::new(&lex, Idf::shipped());
        assert_eq!(after.words("小黄车乱停"), vec!["共享单车".to_owned()]);
    }

    #[test]
    fn terms_are_checked() {
        assert_eq!(check_term(" ＡＢ电梯 "), Ok("ab电梯".into()));
        assert_eq!(check_term(""), Err(TermError::Empty));
        assert_eq!(check_term("加装 电梯"), Err(TermError::NotOneWord));
        assert_eq!(check_term("电梯;drop"), Err(TermError::NotOneWord));
        assert_eq!(check_term(&"长".repeat(17)), Err(TermError::TooLong));
    }

    #[test]
    fn a_community_corpus_refreshes_the_idf() {
        let base = Idf::shipped();
        let mut df = HashMap::new();
        // 小区 in every opinion of this corpus, 井盖 in a few.
        df.insert("电梯".to_owned(), 4_000);
        df.insert("井盖".to_owned(), 20);
        let fresh = base.refreshed(&df, 4_000);
        assert!(fresh.get("电梯") < base.get("电梯") / 2.0);
        let changed = base.changed_in(&fresh);
        assert_eq!(changed.len(), 2, "{changed:?}");
        let again = base.with(changed.iter().map(|(t, v)| ((*t).to_owned(), *v)));
        assert_eq!(again.get("井盖"), fresh.get("井盖"));
        assert!(fresh.get("井盖") > fresh.get("电梯"));
        assert_eq!(fresh.get("生化学"), base.get("生化学"));
    }
}
