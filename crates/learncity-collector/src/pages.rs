//! Multi-page listings: after the first page is read, the pages it chains to (a feed's
//! `rel="next"`, a JSON Feed's `next_url`, the `[reader.paging]` selector or JSON pointer — see
//! `learncity_readers::paging`) are fetched and read one by one and merged into one listing.
//!
//! Guarantees:
//! - every page goes through the same [`Fetcher`] as the first (robots.txt, per-host delay,
//!   timeouts, size limit, SSRF guard); `allow-private` covers only pages on the provider's own
//!   origin (scheme, host and port), and never where they redirect, as for enrichment;
//! - at most `[reader.paging] max-pages` pages (the first included); a page already read stops
//!   the chain (a loop);
//! - a page that cannot be fetched or read, a page cut off, or a chain longer than `max-pages`
//!   makes the whole listing incomplete: what was read is published, no snapshot (nothing is
//!   withdrawn) — the caller publishes the snapshot only after the last page;
//! - an item listed on two pages (the listing moved while it was read) is kept once, from the
//!   first page that lists it.
//!
//! Used by the collector's runs and by `learncity check`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use learncity_fetch::{FetchOutcome, FetchRequest, Fetcher};
use learncity_model::ProviderRef;
use learncity_readers::{FormatHint, ReadOutput, ReaderSettings, Warning};
use url::Url;

/// How to read the pages of one listing.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The provider whose listing it is.
    pub provider: ProviderRef,
    /// Its reader settings (`paging.max-pages` bounds the pages).
    pub settings: ReaderSettings,
    /// The format every page is read as (`auto` sniffs each).
    pub format: FormatHint,
    /// The provider may live on a private address (applies to its own origin only).
    pub allow_private: bool,
    /// The provider's own URL: `allow_private` covers its origin (scheme, host and port).
    pub home: Option<Url>,
}

impl Listing {
    /// The listing of a configured provider.
    pub fn of(provider: &learncity_config::Provider) -> Self {
        Listing {
            provider: ProviderRef { id: provider.id.clone(), name: provider.name.clone() },
            settings: provider.reader.clone(),
            format: provider.format,
            allow_private: provider.allow_private,
            home: provider.url.clone(),
        }
    }
}

/// What following the pages did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Followed {
    /// Every page read, the first included, in order.
    pub urls: Vec<String>,
    /// The document hash of each page after the first ([`crate::document_hash`]).
    pub hashes: Vec<String>,
    /// Bytes fetched for the pages after the first.
    pub bytes: u64,
}

impl Followed {
    /// Pages read, the first included.
    pub fn pages(&self) -> usize {
        self.urls.len()
    }

    /// The hash of the whole listing: the first page's own hash for a one-page listing (so a
    /// listing that never had a second page keeps the hash it always had), else a hash of the
    /// pages' hashes in order.
    pub fn listing_hash(&self, first_page_hash: &str) -> String {
        if self.hashes.is_empty() {
            return first_page_hash.to_owned();
        }
        let mut all = first_page_hash.to_owned();
        for h in &self.hashes {
            all.push('\n');
            all.push_str(h);
        }
        crate::document_hash(all.as_bytes())
    }
}

/// Follows `out.next_page` from the first page (read from `first_url`), merging every page into
/// `out`; see the module docs. `out.next_page` is `None` afterwards unless the chain was cut by
/// `max-pages`.
pub async fn follow(
    fetcher: &Fetcher,
    listing: &Listing,
    out: &mut ReadOutput,
    first_url: &Url,
    fetched_at: DateTime<Utc>,
    stop: Option<learncity_readers::budget::Stop>,
) -> Followed {
    let max_pages = usize::try_from(listing.settings.paging.max_pages).unwrap_or(usize::MAX).max(1);
    let mut followed = Followed { urls: vec![first_url.to_string()], ..Followed::default() };
    let mut seen: HashSet<String> = HashSet::from([without_fragment(first_url)]);
    let mut ids: HashSet<String> = out.offerings.iter().map(|o| o.source_id.clone()).collect();
    while out.incomplete.is_none() {
        let Some(next) = out.next_page.clone() else { break };
        let page_no = followed.pages() + 1;
        if followed.pages() >= max_pages {
            out.incomplete = Some(format!(
                "the listing goes on past {max_pages} pages (next: {next}); the pages read are published, nothing is \
                 withdrawn; raise [reader.paging] max-pages"
            ));
            break;
        }
        out.next_page = None;
        let Ok(url) = Url::parse(&next) else { break };
        if !seen.insert(without_fragment(&url)) {
            out.warnings.push(Warning::document(format!(
                "page {} links back to a page already read ({url}) as its next page; paging stopped there",
                page_no - 1
            )));
            break;
        }
        let own_origin = listing.home.as_ref().is_some_and(|h| h.origin().is_tuple() && h.origin() == url.origin());
        let allow_private = listing.allow_private && own_origin;
        let fetched = match fetcher.fetch(FetchRequest { url: &url, validators: None, allow_private }).await {
            Ok(FetchOutcome::Fetched(f)) => f,
            Ok(FetchOutcome::NotModified { .. }) => {
                out.incomplete = Some(format!("page {page_no} of the listing ({url}) answered 304 to a plain GET"));
                break;
            }
            Err(e) => {
                out.incomplete = Some(format!(
                    "page {page_no} of the listing could not be fetched ({e}); the pages read are published, nothing is \
                     withdrawn"
                ));
                break;
            }
        };
        followed.urls.push(fetched.url.to_string());
        followed.bytes += fetched.body.len() as u64;
        followed.hashes.push(crate::document_hash(&fetched.body));
        let page = crate::fetch_run::read_off_runtime(
            listing,
            &fetched.body,
            &fetched.url,
            fetched.content_type.as_deref(),
            fetched_at,
            stop.clone(),
        )
        .await;
        match page {
            Ok(page) => merge(out, page, page_no, &mut ids),
            Err(e) => {
                out.incomplete = Some(format!(
                    "page {page_no} of the listing cannot be read ({e}); the pages read are published, nothing is \
                     withdrawn"
                ));
            }
        }
    }
    followed
}

fn without_fragment(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    u.to_string()
}

/// Appends page `page_no` to the listing read so far.
fn merge(out: &mut ReadOutput, page: ReadOutput, page_no: usize, ids: &mut HashSet<String>) {
    let mut repeated = 0;
    for offering in page.offerings {
        if ids.insert(offering.source_id.clone()) {
            out.offerings.push(offering);
        } else {
            repeated += 1;
        }
    }
    if repeated > 0 {
        out.warnings.push(Warning::document(format!(
            "page {page_no} lists {repeated} item(s) an earlier page listed (the listing changed while it was read?); \
             each is kept once"
        )));
    }
    out.warnings.extend(page.warnings.into_iter().map(|mut w| {
        if w.item.is_none() {
            w.message = format!("page {page_no}: {}", w.message);
        }
        w
    }));
    if let Some(reason) = page.incomplete {
        out.incomplete = Some(format!("page {page_no} of the listing: {reason}"));
    }
    out.next_page = page.next_page;
}

#[cfg(test)]
mod tests_support {
    pub(super) fn page(n: usize, items: &[&str], next: Option<&str>) -> String {
        let next = next.map(|n| format!("<link rel=\"next\" href=\"{n}\"/>")).unwrap_or_default();
        let entries: String = items
            .iter()
            .map(|id| {
                format!(
                    "<entry><id>urn:{id}</id><title>Lecture {id}</title><updated>2025-03-01T00:00:00Z</updated>\
                     <content>Page {n}</content></entry>"
                )
            })
            .collect();
        format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:f</id><title>F</title>\
             <updated>2025-03-01T00:00:00Z</updated>{next}{entries}</feed>"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use learncity_readers::ReadContext;

    use super::tests_support::page;

    struct Site {
        dir: tempfile::TempDir,
    }

    impl Site {
        fn new(pages: &[(&str, String)]) -> Self {
            let dir = tempfile::tempdir().unwrap();
            for (name, text) in pages {
                std::fs::write(dir.path().join(name), text).unwrap();
            }
            Site { dir }
        }

        fn url(&self, name: &str) -> Url {
            Url::from_file_path(self.dir.path().join(name)).unwrap()
        }
    }

    fn listing(max_pages: u32) -> Listing {
        let mut settings = ReaderSettings::default();
        settings.paging.max_pages = max_pages;
        Listing {
            provider: ProviderRef { id: "p".into(), name: None },
            settings,
            format: FormatHint::Auto,
            allow_private: false,
            home: None,
        }
    }

    async fn read_all(site: &Site, max_pages: u32) -> (ReadOutput, Followed) {
        let listing = listing(max_pages);
        let first = site.url("1.xml");
        let body = std::fs::read(first.to_file_path().unwrap()).unwrap();
        let ctx = ReadContext {
            provider: &listing.provider,
            settings: &listing.settings,
            document_url: Some(&first),
            content_type: None,
            fetched_at: Utc::now(),
        };
        let mut out = learncity_readers::read(&body, FormatHint::Auto, &ctx).unwrap();
        let fetcher = Fetcher::new(learncity_fetch::FetchSettings::default()).unwrap();
        let followed = follow(&fetcher, &listing, &mut out, &first, Utc::now(), None).await;
        (out, followed)
    }

    fn ids(out: &ReadOutput) -> Vec<&str> {
        out.offerings.iter().map(|o| o.source_id.as_str()).collect()
    }

    #[tokio::test]
    async fn every_page_is_read_and_merged_in_order() {
        let site = Site::new(&[
            ("1.xml", page(1, &["a", "b"], Some("2.xml"))),
            ("2.xml", page(2, &["b", "c"], Some("3.xml#top"))),
            ("3.xml", page(3, &["d"], None)),
        ]);
        let (out, followed) = read_all(&site, 20).await;
        assert_eq!(ids(&out), ["urn:a", "urn:b", "urn:c", "urn:d"]);
        assert!(out.incomplete.is_none() && out.next_page.is_none());
        assert_eq!(followed.pages(), 3);
        assert_eq!(followed.hashes.len(), 2);
        assert!(out.warnings.iter().any(|w| w.message.contains("page 2 lists 1 item")), "{:?}", out.warnings);
        // The listing hash changes with any page, and is the page's own for one page.
        let first = crate::document_hash(page(1, &["a", "b"], Some("2.xml")).as_bytes());
        assert_ne!(followed.listing_hash(&first), first);
        assert_eq!(Followed::default().listing_hash(&first), first);
    }

    #[tokio::test]
    async fn a_missing_page_makes_the_listing_incomplete() {
        let site =
            Site::new(&[("1.xml", page(1, &["a"], Some("2.xml"))), ("2.xml", page(2, &["b"], Some("gone.xml")))]);
        let (out, followed) = read_all(&site, 20).await;
        assert_eq!(ids(&out), ["urn:a", "urn:b"]);
        let reason = out.incomplete.as_deref().unwrap();
        assert!(reason.starts_with("page 3 of the listing could not be fetched"), "{reason}");
        assert_eq!(followed.pages(), 2);
    }

    #[tokio::test]
    async fn pages_over_http_go_through_the_guard_and_a_failing_page_makes_it_incomplete() {
        use learncity_testkit::{Fault, FixtureServer};
        let server = FixtureServer::start().await;
        server.set("/p1.xml", "application/atom+xml", page(1, &["a"], Some("/p2.xml")));
        server.set("/p2.xml", "application/atom+xml", page(2, &["b"], Some("/p3.xml")));
        server.fault("/p3.xml", Fault::Status(500));
        let settings =
            learncity_fetch::FetchSettings { per_host_delay: std::time::Duration::ZERO, ..Default::default() };
        let fetcher = Fetcher::new(settings).unwrap();
        let first = server.url("/p1.xml");
        let read_first = |listing: &Listing, body: &[u8], url: &Url| {
            let ctx = ReadContext {
                provider: &listing.provider,
                settings: &listing.settings,
                document_url: Some(url),
                content_type: None,
                fetched_at: Utc::now(),
            };
            learncity_readers::read(body, FormatHint::Auto, &ctx).unwrap()
        };
        let body = match fetcher.fetch(FetchRequest { url: &first, validators: None, allow_private: true }).await {
            Ok(FetchOutcome::Fetched(f)) => f.body,
            other => panic!("{other:?}"),
        };

        // An intranet provider: its own host may be private.
        let own = Listing { allow_private: true, home: Some(first.clone()), ..listing(20) };
        let mut out = read_first(&own, &body, &first);
        let followed = follow(&fetcher, &own, &mut out, &first, Utc::now(), None).await;
        assert_eq!(ids(&out), ["urn:a", "urn:b"]);
        let reason = out.incomplete.as_deref().unwrap();
        assert!(reason.starts_with("page 3 of the listing could not be fetched") && reason.contains("500"), "{reason}");
        assert_eq!(followed.pages(), 2);

        // `allow-private` is the provider's own origin's: a page elsewhere on a private address (here: the
        // same host on another port) is refused.
        let mut other_port = first.clone();
        other_port.set_port(Some(if first.port() == Some(1) { 2 } else { 1 })).unwrap();
        let elsewhere = Listing { allow_private: true, home: Some(other_port), ..listing(20) };
        let mut out = read_first(&elsewhere, &body, &first);
        follow(&fetcher, &elsewhere, &mut out, &first, Utc::now(), None).await;
        assert_eq!(ids(&out), ["urn:a"]);
        assert!(out.incomplete.as_deref().unwrap().starts_with("page 2 of the listing could not be fetched"));
    }

    #[tokio::test]
    async fn max_pages_and_loops_bound_the_chain() {
        let site = Site::new(&[
            ("1.xml", page(1, &["a"], Some("2.xml"))),
            ("2.xml", page(2, &["b"], Some("3.xml"))),
            ("3.xml", page(3, &["c"], Some("1.xml"))),
        ]);
        let (out, followed) = read_all(&site, 2).await;
        assert_eq!(ids(&out), ["urn:a", "urn:b"]);
        assert!(out.incomplete.as_deref().unwrap().contains("past 2 pages"));
        assert_eq!(followed.pages(), 2);

        let (out, followed) = read_all(&site, 20).await;
        assert_eq!(ids(&out), ["urn:a", "urn:b", "urn:c"]);
        assert!(out.incomplete.is_none(), "a loop ends the listing: {:?}", out.incomplete);
        assert!(out.warnings.iter().any(|w| w.message.contains("links back")));
        assert_eq!(followed.pages(), 3);
    }
}

/// Whole collector runs of a paged provider, published on the in-process bus.
#[cfg(test)]
mod runs {
    use std::sync::{Arc, Mutex};

    use learncity_bus::{LocalBus, OutRecord};
    use learncity_model::event::EVENT_SNAPSHOT;
    use learncity_testkit::{Fault, FixtureServer};

    use crate::{Collector, MemoryStateStore, Outcome, Ownership, Shutdown, StateStore};

    fn atom(items: &[&str], next: Option<&str>) -> String {
        super::tests_support::page(1, items, next)
    }

    fn snapshot_ids(records: &[OutRecord]) -> Option<Vec<String>> {
        let snap = records
            .iter()
            .find(|r| r.headers.iter().any(|(k, v)| k == "event-type" && v.as_slice() == EVENT_SNAPSHOT.as_bytes()))?;
        let value: serde_json::Value = serde_json::from_slice(snap.payload.as_deref()?).ok()?;
        Some(value["source_ids"].as_array()?.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
    }

    #[tokio::test]
    async fn the_snapshot_follows_the_last_page_and_a_failed_page_withdraws_nothing() {
        let server = FixtureServer::start().await;
        server.set("/p1.xml", "application/atom+xml", atom(&["a", "b"], Some("/p2.xml")));
        server.set("/p2.xml", "application/atom+xml", atom(&["c"], Some("/p3.xml")));
        server.set("/p3.xml", "application/atom+xml", atom(&["d"], None));
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("learncity.toml");
        std::fs::write(
            &main,
            format!(
                "[http]\nper-host-delay = \"0s\"\n[collector]\nenrich-per-run = 0\n[[provider]]\nid = \"paged\"\n\
                 url = \"{}\"\nallow-private = true\n",
                server.url("/p1.xml")
            ),
        )
        .unwrap();
        let config = learncity_config::load_with_env(&main, []).unwrap();
        let bus = Arc::new(LocalBus::new());
        let mut deliveries = bus.subscribe(&config.kafka.offerings_topic, 16);
        let seen: Arc<Mutex<Vec<Vec<OutRecord>>>> = Arc::default();
        let sink = seen.clone();
        tokio::spawn(async move {
            while let Some(d) = deliveries.recv().await {
                sink.lock().unwrap().push(d.records);
                let _ = d.ack.send(Ok(()));
            }
        });
        let fetcher = Arc::new(learncity_fetch::Fetcher::new(config.http.clone()).unwrap());
        let collector = Collector::new(
            &config,
            fetcher,
            bus,
            Arc::new(MemoryStateStore::default()),
            Ownership::everything(),
            "test".into(),
            1,
            Shutdown::default(),
        );
        let provider = config.providers[0].clone();
        let run = || async {
            seen.lock().unwrap().clear();
            let report = collector.run_provider(&provider).await.unwrap();
            let records: Vec<OutRecord> = seen.lock().unwrap().drain(..).flatten().collect();
            (report, records)
        };

        let (report, records) = run().await;
        assert_eq!((report.outcome, report.upserts, report.snapshot), (Outcome::Published, 4, true), "{report:?}");
        assert_eq!(snapshot_ids(&records).unwrap(), ["urn:a", "urn:b", "urn:c", "urn:d"]);
        // The snapshot is the last record: after every page's upserts.
        assert!(snapshot_ids(&records[records.len() - 1..]).is_some());

        // Nothing changed on any page: nothing published.
        let (report, records) = run().await;
        assert_eq!((report.outcome, records.len()), (Outcome::Unchanged, 0), "{report:?}");

        // A change on the last page only is seen (page 1 alone would look unchanged).
        server.set("/p3.xml", "application/atom+xml", atom(&["d", "e"], None));
        let (report, records) = run().await;
        assert_eq!((report.outcome, report.upserts), (Outcome::Published, 1), "{report:?}");
        assert_eq!(snapshot_ids(&records).unwrap().len(), 5);

        // Page 2 fails: what was read is kept, nothing is withdrawn.
        server.fault("/p2.xml", Fault::Status(500));
        let (report, records) = run().await;
        assert_eq!((report.outcome, report.snapshot), (Outcome::Incomplete, false), "{report:?}");
        assert!(snapshot_ids(&records).is_none());
        let state = collector.state().get("paged").unwrap();
        assert!(state.last_error.as_deref().unwrap().contains("page 2"), "{:?}", state.last_error);

        // Back: the whole listing again, with its snapshot.
        server.clear_fault("/p2.xml");
        let (report, records) = run().await;
        assert_eq!((report.outcome, report.snapshot), (Outcome::Published, true), "{report:?}");
        assert_eq!(snapshot_ids(&records).unwrap().len(), 5);
    }
}
