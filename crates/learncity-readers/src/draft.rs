//! [`Draft`]: what one reader extracted from one item, before normalisation.
//!
//! Readers fill only what their format says, verbatim (raw HTML, provider terms, every meeting
//! link they saw); [`crate::normalise::finish`] turns drafts into [`learncity_model::Offering`]s the
//! same way for every format.

use chrono::{DateTime, Utc};
use learncity_model::{Audience, Kind, Location, Mode, Party, Price, Recurrence, Session, SourceFormat, Status};

/// One item as a reader saw it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    /// Format the item was read from (`None` = the document's format is filled in by the caller).
    pub format: Option<SourceFormat>,
    /// The item's own id: RSS `guid`, Atom `id`, JSON Feed `id`, iCal `UID` (+`RECURRENCE-ID`),
    /// JSON-LD `@id`. Not yet checked for uniqueness.
    pub guid: Option<String>,
    /// The landing page, absolute.
    pub url: Option<String>,
    /// Title; may still hold entities or inline markup (cleaned in normalisation).
    pub title: Option<String>,
    /// Description as the provider's raw HTML (sanitised in normalisation).
    pub description_html: Option<String>,
    /// Description as plain text, for formats that give text only (iCal `DESCRIPTION`).
    pub description_text: Option<String>,
    /// A summary the format gives separately from the description.
    pub summary: Option<String>,
    /// A kind the format states (schema.org `Course` → course).
    pub kind: Option<Kind>,
    /// A mode the format states (schema.org `eventAttendanceMode`); inferred otherwise.
    pub mode: Option<Mode>,
    /// Status.
    pub status: Status,
    /// Sessions, any order.
    pub sessions: Vec<Session>,
    /// Recurrence the sessions came from.
    pub recurrence: Option<Recurrence>,
    /// Structured location fields.
    pub location: Location,
    /// Free-text location as given (iCal `LOCATION`, an HTML venue line); split into venue/address
    /// in normalisation when the structured fields are empty.
    pub location_text: Option<String>,
    /// Every meeting / join URL seen (iCal `X-GOOGLE-CONFERENCE`, schema.org `VirtualLocation.url`...).
    pub online_urls: Vec<String>,
    /// Languages (BCP 47 or names like "Русский"; normalised later).
    pub languages: Vec<String>,
    /// Audience facts the format states.
    pub audience: Audience,
    /// Free text about audience ("для пенсионеров", "6+"), mined in normalisation.
    pub audience_text: Option<String>,
    /// A course's schedule in words ("по вторникам и четвергам в 18:30, 12 занятий"), from a
    /// field of its own; the description is searched too in normalisation.
    pub schedule_text: Option<String>,
    /// Price as stated.
    pub price: Option<Price>,
    /// Price as free text ("бесплатно", "15 BYN"), parsed in normalisation when `price` is `None`.
    pub price_text: Option<String>,
    /// The provider's category terms.
    pub categories: Vec<String>,
    /// Organiser.
    pub organizer: Option<Party>,
    /// Teachers / performers.
    pub teachers: Vec<Party>,
    /// Registration link.
    pub registration_url: Option<String>,
    /// Images, absolute URLs.
    pub images: Vec<String>,
    /// Pages of other announcements it refers to (Atom `rel="related"`/`rel="via"`), absolute.
    pub related_urls: Vec<String>,
    /// When the provider last changed the item.
    pub updated_at: Option<DateTime<Utc>>,
    /// When the provider first published it.
    pub published_at: Option<DateTime<Utc>>,
    /// Problems with this item: (field, message).
    pub warnings: Vec<(String, String)>,
}

/// Keeps at most `max` of `sessions` (sorted by start): among the excess, sessions that ended
/// before `past_before` go first (oldest first), then the latest ones are cut. Returns whether
/// the tail was cut (so later occurrences exist only in the rule).
pub fn cap_sessions(sessions: &mut Vec<Session>, max: usize, past_before: DateTime<Utc>) -> bool {
    let excess = sessions.len().saturating_sub(max);
    let past = sessions.iter().take(excess).take_while(|s| s.end.unwrap_or(s.start) < past_before).count();
    sessions.drain(..past);
    let tail_cut = sessions.len() > max;
    sessions.truncate(max);
    tail_cut
}

impl Draft {
    /// Records a problem with one field of this item.
    pub fn warn(&mut self, field: &str, message: impl Into<String>) {
        self.warnings.push((field.to_owned(), message.into()));
    }
}
