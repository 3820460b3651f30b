//! HTML pages: schema.org JSON-LD or microdata when present, else the provider's selector rules.

use learncity_model::SourceFormat;

use crate::{ReadContext, ReadError, Warning, draft::Draft};

/// Reads an HTML page (already decoded to text).
pub fn read_page(
    text: &str,
    ctx: &ReadContext<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<Draft>, SourceFormat), ReadError> {
    let _ = (text, ctx, warnings);
    Err(ReadError::NoHtmlRules)
}
