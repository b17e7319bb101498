//! 文本分析 text analysis: segmentation, keywords, heat, grouping and
//! personal-data masking. Pure functions, no database.
//!
//! The opinions issue fills this crate; for now it holds the error type.

/// Errors from text analysis.
#[derive(Debug, PartialEq, Eq)]
pub enum NlpError {
    /// The user sees "the text is empty".
    EmptyText,
}
