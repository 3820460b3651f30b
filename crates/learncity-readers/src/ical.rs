//! iCalendar (RFC 5545), read through calcard.

use crate::{ReadContext, ReadError, Warning, draft::Draft};

/// Reads a calendar (already decoded to text): one draft per UID.
pub fn read(text: &str, ctx: &ReadContext<'_>, warnings: &mut Vec<Warning>) -> Result<Vec<Draft>, ReadError> {
    let _ = (text, ctx, warnings);
    Err(ReadError::Malformed { format: "iCalendar", detail: "iCalendar reader not written yet".into() })
}
