//! 文本分析 text analysis: segmentation, similarity and personal-data
//! masking (keywords, heat and grouping come with the heat issue). Pure
//! functions, no database.

pub mod pii;
pub mod text;

pub use pii::{PiiKind, mask};
pub use text::{Segmenter, similarity};
