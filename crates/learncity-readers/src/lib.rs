//! # learncity-readers: provider documents to normalised offerings
//!
//! Pure functions: bytes + provider settings → [`Offering`]s + [`Warning`]s. No I/O, no clock
//! (the fetch time comes in through [`ReadContext`]), and no panics on any input: every reader is
//! covered by proptest "never panics" properties and a cargo-fuzz target.
//!
//! ## Data flow
//! ```text
//! bytes ─▶ charset::decode ─▶ detect (format sniffing) ─▶ one reader ─▶ Vec<Draft> ─▶ normalise::finish ─▶ Vec<Offering>
//!                                      feed | ical | xcri | html (+ jsonld | microdata | microformats)
//! ```
//! Each reader only extracts what its format says into a [`draft::Draft`]; everything that is the
//! same for every format (sanitising, plain-text summary, mode/kind/category inference, defaults
//! from settings, stable source ids, content hash) happens once, in [`normalise`].
//!
//! ## Errors
//! A document that cannot be read at all is a [`ReadError`] (empty, binary, malformed, unknown
//! format). A document that can be read but has bad items yields the good items plus one
//! [`Warning`] per problem, naming the item it belongs to.

pub mod budget;
pub mod charset;
pub mod dates;
pub mod detect;
pub mod draft;
pub mod feed;
pub mod html;
pub mod ical;
pub mod identity;
pub mod infer;
pub mod jsonld;
pub mod microdata;
pub mod microformats;
pub mod nesting;
pub mod normalise;
pub mod paging;
pub mod prose;
pub mod settings;
pub mod text;
pub mod xcri;

use chrono::{DateTime, Utc};
use learncity_model::{Offering, ProviderRef, SourceFormat};
use serde::Serialize;
use url::Url;

pub use paging::Paging;
pub use settings::{FieldRule, FormatHint, HtmlRules, ReaderSettings};

/// Everything a reader needs besides the bytes. Built by the caller; readers read no globals.
#[derive(Debug, Clone)]
pub struct ReadContext<'a> {
    /// The provider whose document this is.
    pub provider: &'a ProviderRef,
    /// How to read it.
    pub settings: &'a ReaderSettings,
    /// The document's URL (after redirects): the base for relative links.
    pub document_url: Option<&'a Url>,
    /// The HTTP `Content-Type` header, when fetched over HTTP (its charset wins over the document's own).
    pub content_type: Option<&'a str>,
    /// When the document was fetched; also "now" for recurrence horizons and year-less dates.
    pub fetched_at: DateTime<Utc>,
}

/// What reading one document produced.
#[derive(Debug, Clone, Serialize)]
pub struct ReadOutput {
    /// The format the document was read as.
    pub format: SourceFormat,
    /// The character encoding it was decoded from.
    pub charset: &'static str,
    /// Offerings, in document order.
    pub offerings: Vec<Offering>,
    /// Problems found on the way, each with the item it belongs to.
    pub warnings: Vec<Warning>,
    /// Why the document is incomplete (a truncated body), when it is. Its offerings are real,
    /// but a listing that is incomplete must not withdraw what it lacks, and `check` fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<String>,
    /// Provider hint for the next fetch (RSS `ttl`, in minutes), when the document gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_minutes: Option<u32>,
    /// The listing's next page, when the document names one ([`paging`]); the caller fetches it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_page: Option<String>,
}

/// A problem with one item (or the document) that did not stop the read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Warning {
    /// The item it belongs to: its source id, or title, or position (`item 3`); `None` for the document.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The field concerned (`start`, `price`, `title`...), when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What is wrong, in words a provider understands.
    pub message: String,
}

impl Warning {
    /// A warning about the whole document.
    pub fn document(message: impl Into<String>) -> Self {
        Warning { item: None, field: None, message: message.into() }
    }

    /// A warning about one field of one item.
    pub fn field(item: Option<String>, field: &str, message: impl Into<String>) -> Self {
        Warning { item, field: Some(field.to_owned()), message: message.into() }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(item) = &self.item {
            write!(f, "[{item}] ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Zero bytes, or only whitespace.
    #[error("the document is empty: the provider served no content")]
    Empty,
    /// Not text in any supported encoding.
    #[error("the document is binary ({detail}), not a feed, calendar or web page")]
    Binary {
        /// What gave it away.
        detail: String,
    },
    /// Looks like no supported format.
    #[error(
        "the document is not RSS, Atom, JSON Feed, iCalendar or HTML (it starts with {start:?}); pass --format to force one"
    )]
    UnknownFormat {
        /// The document's first characters.
        start: String,
    },
    /// Recognised, but broken beyond reading.
    #[error("the {format} document cannot be read: {detail}")]
    Malformed {
        /// The format it was read as.
        format: &'static str,
        /// What the parser said.
        detail: String,
    },
    /// An HTML page without schema.org Course/Event data or h-events and without extraction
    /// rules for this provider.
    #[error(
        "the HTML page has {found}, no microformats h-event, and the provider has no [reader.html] rules; add rules (see README, \"HTML rules\")"
    )]
    NoHtmlRules {
        /// What schema.org data the page has instead (`no schema.org JSON-LD or microdata`,
        /// `schema.org data of types Organization, Article but no Event or Course`...).
        found: String,
    },
    /// Settings that cannot work (a bad CSS selector, an unknown time zone).
    #[error("invalid reader settings: {0}")]
    Settings(String),
    /// The document needs more than the provider's budget (items, sessions, time): nothing of it
    /// is published.
    #[error("the document is over its budget and was not read: {0}")]
    OverBudget(budget::Spent),
    /// The caller stopped the read (a shutdown).
    #[error("the read was stopped before its end (learncity is shutting down)")]
    Stopped,
}

impl ReadError {
    /// The provider-health kind of this error: `budget` for [`ReadError::OverBudget`], `read` for
    /// the rest.
    pub fn kind(&self) -> &'static str {
        match self {
            ReadError::OverBudget(_) => "budget",
            ReadError::Stopped => "stopped",
            _ => "read",
        }
    }
}

/// Reads one provider document.
///
/// `hint` forces a format; [`FormatHint::Auto`] sniffs it from the content (and the
/// `Content-Type`). HTML pages are read through their schema.org JSON-LD or microdata when they
/// carry any, else through the provider's HTML rules.
///
/// The read draws on the provider's budget ([`budget`]: `max-items`, `max-document-sessions`,
/// `max-read-seconds`); a document over it is a [`ReadError::OverBudget`].
pub fn read(bytes: &[u8], hint: FormatHint, ctx: &ReadContext<'_>) -> Result<ReadOutput, ReadError> {
    read_until(bytes, hint, ctx, None)
}

/// [`read`], stopped early (with [`ReadError::Stopped`]) once `stop` says so.
pub fn read_until(
    bytes: &[u8],
    hint: FormatHint,
    ctx: &ReadContext<'_>,
    stop: Option<budget::Stop>,
) -> Result<ReadOutput, ReadError> {
    ctx.settings.validate().map_err(ReadError::Settings)?;
    let (out, spent) = budget::within(ctx.settings.limits(stop), || read_within_budget(bytes, hint, ctx));
    match spent {
        Some(budget::Spent::Stopped) => Err(ReadError::Stopped),
        Some(spent) => Err(ReadError::OverBudget(spent)),
        None => out,
    }
}

fn read_within_budget(bytes: &[u8], hint: FormatHint, ctx: &ReadContext<'_>) -> Result<ReadOutput, ReadError> {
    let doc = charset::decode(bytes, ctx.content_type)?;
    let format = match hint {
        FormatHint::Auto => detect::sniff(&doc.text, ctx.content_type)?,
        forced => forced,
    };
    let mut warnings = doc.warnings;
    let (drafts, format, ttl_minutes, incomplete) = match format {
        FormatHint::Rss | FormatHint::Atom | FormatHint::Jsonfeed => {
            let out = feed::read(&doc.text, ctx)?;
            warnings.extend(out.warnings);
            (out.drafts, out.format, out.ttl_minutes, out.incomplete)
        }
        FormatHint::Ical => {
            let out = ical::read(&doc.text, ctx, &mut warnings)?;
            (out.drafts, SourceFormat::Ical, None, out.incomplete)
        }
        FormatHint::Xcri => {
            let out = xcri::read(&doc.text, ctx)?;
            warnings.extend(out.warnings);
            (out.drafts, SourceFormat::Xcri, None, out.incomplete)
        }
        FormatHint::Html | FormatHint::Auto => {
            let (mut drafts, format) = html::read_page(&doc.text, ctx, &mut warnings)?;
            let incomplete = html::truncation(&doc.text);
            // The item nearest the cut may end half way (a JSON-LD block cut off does not parse,
            // so only a page read by rules or microdata has one): not published.
            if incomplete.is_some()
                && matches!(format, SourceFormat::Html | SourceFormat::Microdata | SourceFormat::Microformats)
                && drafts.pop().is_some()
            {
                warnings.push(Warning::document(
                    "the page's last item may be cut off where the text ends: it is not published (a truncated \
                     document)",
                ));
            }
            (drafts, format, None, incomplete)
        }
    };
    let (offerings, item_warnings) = normalise::finish(drafts, format, ctx);
    warnings.extend(item_warnings);
    let next_page = paging::next_page(&doc.text, format, &ctx.settings.paging, ctx.document_url);
    Ok(ReadOutput { format, charset: doc.charset, offerings, warnings, incomplete, ttl_minutes, next_page })
}

/// Context construction shared by the unit tests of every reader.
#[cfg(test)]
pub(crate) mod test_support {
    use chrono::{DateTime, Utc};
    use learncity_model::ProviderRef;
    use url::Url;

    use crate::{ReadContext, ReaderSettings};

    /// The instant unit tests fetch at unless they say otherwise.
    pub const FETCHED_AT: &str = "2025-03-01T09:00:00Z";

    /// [`FETCHED_AT`] as an instant.
    pub fn fetched_at() -> DateTime<Utc> {
        instant(FETCHED_AT)
    }

    /// An RFC 3339 instant.
    pub fn instant(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).expect("test instant").with_timezone(&Utc)
    }

    /// Runs `f` with a context for provider `test`, fetched at `fetched_at`, from `document_url`.
    pub fn with_ctx<R>(
        settings: &ReaderSettings,
        document_url: Option<&str>,
        fetched_at: DateTime<Utc>,
        f: impl FnOnce(&ReadContext<'_>) -> R,
    ) -> R {
        let provider = ProviderRef { id: "test".into(), name: Some("Test provider".into()) };
        let url = document_url.map(|u| Url::parse(u).expect("test url"));
        let ctx =
            ReadContext { provider: &provider, settings, document_url: url.as_ref(), content_type: None, fetched_at };
        f(&ctx)
    }
}
