//! Enrichment: a feed item without dates often links to a landing page that has them in its
//! schema.org JSON-LD (or microdata). That page is fetched — through the same polite fetcher,
//! bounded per run — and what the item lacks is taken from it.
//!
//! A feed names its landing pages, so they are as untrusted as the rest of the feed. Guarantees:
//! - only landing pages on the provider's own origins are fetched: the scheme, host and port of
//!   its URL, or an origin the provider file lists in `enrich-origins`
//!   ([`learncity_config::Provider::owns_origin`]); any other landing page is not fetched and is
//!   reported as a problem of its item;
//! - every fetch goes through the provider fetch's SSRF guard; `allow-private` covers those
//!   origins only, never a redirect target: a redirect to a private address, or to the provider's
//!   host on another port, is refused by the fetcher, whatever the provider's settings;
//! - every fetch attempted counts against the run's budget (`enrich-per-run`), whether it
//!   succeeds or not; the redirects within one fetch are bounded by `[http] max-redirects`.

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
    /// Landing pages not fetched because they are not on one of the provider's origins.
    pub refused: usize,
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
        if !provider.owns_origin(&url) {
            report.refused += 1;
            report.problems.push(format!(
                "landing page `{url}` of {:?} is not on the provider's origin, not fetched (list its origin in \
                 `enrich-origins` if the provider really publishes its pages there)",
                offering.source_id
            ));
            continue;
        }
        if report.fetched >= budget {
            report.skipped += 1;
            continue;
        }
        report.fetched += 1;
        // The URL is on the provider's own origin: `allow-private` covers it (the fetcher still guards
        // wherever it redirects).
        let allow_private = provider.allow_private;
        let fetched = match fetcher.fetch(FetchRequest { url: &url, validators: None, allow_private }).await {
            Ok(FetchOutcome::Fetched(f)) => f,
            Ok(FetchOutcome::NotModified { .. }) => continue,
            Err(e) => {
                report.problems.push(format!("landing page of {:?}: {e}", offering.source_id));
                continue;
            }
        };
        let read = crate::fetch_run::read_as(
            &page_reader,
            FormatHint::Html,
            &fetched.body,
            &fetched.url,
            fetched.content_type.as_deref(),
            fetched_at,
            None,
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

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use learncity_fetch::FetchSettings;
    use learncity_testkit::offerings::{OfferingExt, offering};
    use learncity_testkit::{Fault, FixtureServer};

    use super::*;

    /// A landing page whose JSON-LD gives the event a date.
    fn landing_page() -> String {
        r#"<html><head><script type="application/ld+json">{"@context":"https://schema.org","@type":"Event",
        "name":"Pottery for beginners","startDate":"2030-05-01T18:00:00+03:00","endDate":"2030-05-01T20:00:00+03:00",
        "location":{"@type":"Place","name":"Art school","address":"Lenina 1, Vitebsk"}}</script></head>
        <body><h1>Pottery for beginners</h1></body></html>"#
            .to_owned()
    }

    fn fetcher() -> Fetcher {
        Fetcher::new(FetchSettings { per_host_delay: std::time::Duration::ZERO, ..Default::default() }).unwrap()
    }

    /// An intranet provider (`allow-private`) whose feed is on `server`.
    fn provider(server: &FixtureServer, extra: &str) -> learncity_config::Provider {
        let toml = format!("id = \"p\"\nurl = \"{}\"\nallow-private = true\n{extra}", server.url("/feed"));
        learncity_config::Provider::parse(&toml, "p.toml").unwrap()
    }

    fn item(id: &str, landing: &url::Url) -> Offering {
        offering("p", id, "Pottery").url(landing.as_str())
    }

    async fn run(provider: &learncity_config::Provider, items: &mut [Offering], budget: usize) -> Enriched {
        enrich(&fetcher(), provider, items, budget, Utc::now()).await
    }

    #[tokio::test]
    async fn a_landing_page_on_another_port_is_not_fetched() {
        // Regression: enrichment compared host names only, so with `allow-private` a feed on
        // 127.0.0.1:A naming landing pages on 127.0.0.1:B had B fetched.
        let feed = FixtureServer::start().await;
        let other = FixtureServer::start().await;
        other.set("/event", "text/html", landing_page());
        let provider = provider(&feed, "");
        let mut items = [item("urn:elsewhere", &other.url("/event"))];
        let report = run(&provider, &mut items, 5).await;
        assert!(other.requests().is_empty(), "{:?}", other.requests());
        assert_eq!((report.fetched, report.refused, report.completed), (0, 1, 0));
        assert_eq!(report.problems.len(), 1);
        assert!(
            report.problems[0].contains("urn:elsewhere") && report.problems[0].contains("not on the provider's origin")
        );
        assert!(items[0].sessions.is_empty());

        // Listed in `enrich-origins`, that origin is the provider's too.
        let listed = format!("enrich-origins = [\"http://{}\"]\n", other.addr);
        let report = run(&self::provider(&feed, &listed), &mut items, 5).await;
        assert_eq!((report.fetched, report.refused, report.completed), (1, 0, 1), "{:?}", report.problems);
        assert_eq!(other.requests_to("/event").len(), 1);
        assert_eq!(items[0].sessions.len(), 1);
    }

    #[tokio::test]
    async fn redirects_off_the_providers_origin_are_refused_even_with_allow_private() {
        // Regression: enrichment fetched with the unguarded client, so a landing page of an
        // `allow-private` provider redirecting to 127.0.0.2, [::1] or another port was followed.
        let feed = FixtureServer::start().await;
        let loopback2 = FixtureServer::start_on(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))).await;
        let v6 = FixtureServer::start_on(IpAddr::V6(Ipv6Addr::LOCALHOST)).await;
        let other_port = FixtureServer::start().await;
        for target in [&loopback2, &v6, &other_port] {
            target.set("/event", "text/html", landing_page());
        }
        feed.fault("/to-127-0-0-2", Fault::RedirectTo(loopback2.url("/event").to_string()));
        feed.fault("/to-v6", Fault::RedirectTo(v6.url("/event").to_string()));
        feed.fault("/to-other-port", Fault::RedirectTo(other_port.url("/event").to_string()));
        feed.fault("/moved", Fault::RedirectTo(feed.url("/event").to_string()));
        feed.set("/event", "text/html", landing_page());
        let provider = provider(&feed, "");
        let mut items = [
            item("urn:a", &feed.url("/to-127-0-0-2")),
            item("urn:b", &feed.url("/to-v6")),
            item("urn:c", &feed.url("/to-other-port")),
            item("urn:own", &feed.url("/moved")),
        ];
        let report = run(&provider, &mut items, 10).await;
        for target in [&loopback2, &v6, &other_port] {
            assert!(target.requests().is_empty(), "{} was reached: {:?}", target.addr, target.requests());
        }
        assert_eq!((report.fetched, report.completed), (4, 1), "{:?}", report.problems);
        assert_eq!(report.problems.len(), 3, "{:?}", report.problems);
        for (problem, id) in report.problems.iter().zip(["urn:a", "urn:b", "urn:c"]) {
            assert!(problem.contains(id) && problem.contains("non-public address"), "{problem}");
        }
        // A redirect within the provider's origin is followed.
        assert_eq!(items[3].sessions.len(), 1);
        assert!(items[..3].iter().all(|o| o.sessions.is_empty()));
    }

    #[tokio::test]
    async fn every_enrichment_fetch_counts_against_the_budget() {
        let feed = FixtureServer::start().await;
        feed.fault("/broken", Fault::Status(500));
        feed.fault("/loop", Fault::RedirectLoop);
        feed.set("/event", "text/html", landing_page());
        let provider = provider(&feed, "");
        let mut items = [
            item("urn:broken", &feed.url("/broken")),
            item("urn:loop", &feed.url("/loop")),
            item("urn:ok", &feed.url("/event")),
        ];
        let report = run(&provider, &mut items, 2).await;
        assert_eq!((report.fetched, report.skipped, report.completed), (2, 1, 0), "{:?}", report.problems);
        // The failed fetches were counted: the third page was never asked for.
        assert!(feed.requests_to("/event").is_empty());
        assert_eq!(feed.requests_to("/broken").len(), 1);
    }
}
