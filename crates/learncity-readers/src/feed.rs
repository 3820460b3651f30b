//! RSS 0.9x/1.0/2.0, Atom and JSON Feed, read through feed-rs.

use learncity_model::SourceFormat;

use crate::{ReadContext, ReadError, draft::Draft};

/// What a feed yielded.
#[derive(Debug, Clone)]
pub struct FeedOutput {
    /// One draft per entry.
    pub drafts: Vec<Draft>,
    /// RSS, Atom or JSON Feed.
    pub format: SourceFormat,
    /// RSS `<ttl>` in minutes.
    pub ttl_minutes: Option<u32>,
}

/// Reads a feed (already decoded to text).
pub fn read(text: &str, ctx: &ReadContext<'_>) -> Result<FeedOutput, ReadError> {
    let _ = (text, ctx);
    Err(ReadError::Malformed { format: "feed", detail: "feed reader not written yet".into() })
}
