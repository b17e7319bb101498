//! 文本分析 text analysis: normalisation, the civic lexicon, keywords,
//! grouping opinions into topics, heat, similarity and personal-data
//! masking. Pure functions, no database, no async.

pub mod corpus;
pub mod heat;
pub mod lexicon;
pub mod pii;
pub mod text;
pub mod topics;

pub use lexicon::{Analyzer, Idf, Keyword, Lexicon, TermKind};
pub use pii::{PiiKind, mask};
pub use text::similarity;
