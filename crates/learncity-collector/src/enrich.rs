//! Enrichment: a feed item without dates often links to a landing page that has them in its
//! schema.org JSON-LD (or microdata). That page is fetched — through the same polite fetcher,
//! bounded per run — and what the item lacks is taken from it.

use chrono::{DateTime, Utc};
use learncity_fetch::{FetchOutcome, FetchRequest, Fetcher};
use learncity_model::{Mode, Offering};
use learncity_readers::{FormatHint, ReaderSettings};

/// What enrichment did in one run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Enriched {
    /// Landing pages fetched.
    pub fetched: usize,
    /// Items that got sessions from their page.
    pub completed: usize,
    /// Items left without dates because the budget was spent.
    pub skipped: usize,
    /// Problems, one line each (for the log and the provider's state).
    pub problems: Vec<String>,
}

/// Fills items without sessions from their landing pages, at most `budget` pages.
pub async fn enrich(
    fetcher: &Fetcher,
    provider: &learncity_config::Provider,
    offerings: &mut [Offering],
    budget: usize,
    fetched_at: DateTime<Utc>,
) -> Enriched {
    let mut report = Enriched::default();
    // Landing pages are read through their schema.org data only: the provider's HTML rules
    // describe its listing, not its pages.
    let page_reader = learncity_config::Provider {
        reader: ReaderSettings { html: None, ..provider.reader.clone() },
        ..provider.clone()
    };
    for offering in offerings.iter_mut().filter(|o| o.sessions.is_empty()) {
        let Some(url) = offering.landing_url.as_deref().and_then(|u| url::Url::parse(u).ok()) else { continue };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        if report.fetched >= budget {
            report.skipped += 1;
            continue;
        }
        report.fetched += 1;
        // `allow-private` trusts the provider's own host, not any address its feed names.
        let own_host = provider.url.as_ref().and_then(|u| u.host_str()) == url.host_str();
        let allow_private = provider.allow_private && own_host;
        let fetched = match fetcher.fetch(FetchRequest { url: &url, validators: None, allow_private }).await {
            Ok(FetchOutcome::Fetched(f)) => f,
            Ok(FetchOutcome::NotModified { .. }) => continue,
            Err(e) => {
                report.problems.push(format!("landing page of {:?}: {e}", offering.source_id));
                continue;
            }
        };
        let read = crate::fetch_run::read_as(
            page_reader.clone(),
            FormatHint::Html,
            &fetched.body,
            &fetched.url,
            fetched.content_type.as_deref(),
            fetched_at,
        )
        .await;
        let page = match read {
            Ok(out) => out,
            Err(e) => {
                report.problems.push(format!("landing page of {:?}: {e}", offering.source_id));
                continue;
            }
        };
        let best = page
            .offerings
            .iter()
            .filter(|p| !p.sessions.is_empty())
            .find(|p| p.landing_url.as_deref() == offering.landing_url.as_deref())
            .or_else(|| page.offerings.iter().find(|p| !p.sessions.is_empty()));
        match best {
            Some(page_offering) => {
                merge(offering, page_offering);
                report.completed += 1;
            }
            None => {
                report.problems.push(format!("landing page {url} of {:?} has no dated offering", offering.source_id))
            }
        }
    }
    report
}

/// Takes from `page` what `item` lacks; what the feed said wins. The content hash is
/// recomputed.
pub fn merge(item: &mut Offering, page: &Offering) {
    if item.sessions.is_empty() {
        item.sessions = page.sessions.clone();
        if item.recurrence.is_none() {
            item.recurrence = page.recurrence.clone();
        }
    }
    if item.location.is_none() {
        item.location = page.location.clone();
    }
    if item.mode == Mode::Unknown {
        item.mode = page.mode;
    }
    if item.online_url.is_none() {
        item.online_url = page.online_url.clone();
    }
    if item.price.is_none() {
        item.price = page.price.clone();
    }
    if item.registration_url.is_none() {
        item.registration_url = page.registration_url.clone();
    }
    if item.languages.is_empty() {
        item.languages = page.languages.clone();
    }
    if item.images.is_empty() {
        item.images = page.images.clone();
    }
    if item.organizer.is_none() {
        item.organizer = page.organizer.clone();
    }
    if item.teachers.is_empty() {
        item.teachers = page.teachers.clone();
    }
    if item.audience.age_min.is_none() && item.audience.age_max.is_none() {
        item.audience.age_min = page.audience.age_min;
        item.audience.age_max = page.audience.age_max;
    }
    item.provenance.content_hash = learncity_readers::identity::content_hash(item);
}
