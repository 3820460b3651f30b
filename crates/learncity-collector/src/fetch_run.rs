//! One run of one provider: fetch → (unchanged? stop) → read → further pages ([`crate::pages`]) →
//! enrich → publish → store state.
//!
//! Order matters for delivery: before publishing, the state is stored without the new document's
//! validators and content hash and without the hashes of the items about to change (an intent);
//! the full new state is stored only after the brokers acknowledged the events. A crash in
//! between re-fetches and re-publishes (the builder's upserts are idempotent) instead of losing
//! the change — also when the document returns to its previous content meanwhile.

use std::time::Duration;

use chrono::{DateTime, Utc};
use learncity_bus::OutRecord;
use learncity_config::Provider;
use learncity_fetch::{FetchError, FetchOutcome, FetchRequest};
use learncity_model::event::{
    EVENT_SNAPSHOT, EVENT_UPSERT, HEADER_CONTENT_TYPE, HEADER_EVENT_TYPE, HEADER_PROVIDER_ID, HEADER_SCHEMA_VERSION,
};
use learncity_model::{SCHEMA_VERSION, Snapshot, SourceFormat};
use learncity_readers::{ReadContext, ReadOutput};
use sha2::{Digest, Sha256};

use crate::state::{Outcome, ProviderState};
use crate::{CollectError, Collector, StateStore, schedule};

/// What a run did (for logs, metrics and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The provider.
    pub provider_id: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Upserts published.
    pub upserts: usize,
    /// Whether a snapshot was published.
    pub snapshot: bool,
    /// The failure, when it failed.
    pub error: Option<String>,
}

/// A failed attempt, before it is stored.
struct Failure {
    kind: &'static str,
    message: String,
    status: Option<u16>,
    retry_after: Option<Duration>,
}

impl From<&FetchError> for Failure {
    fn from(e: &FetchError) -> Self {
        let status = match e {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        };
        Failure { kind: e.kind(), message: e.to_string(), status, retry_after: e.retry_after() }
    }
}

impl<S: StateStore> Collector<S> {
    /// What stops a read in progress: the collector's shutdown.
    fn read_stop(&self) -> Option<learncity_readers::budget::Stop> {
        let cancel = self.cancel.clone();
        Some(std::sync::Arc::new(move || cancel.is_cancelled()))
    }

    /// Runs `provider` once and stores its new state. Errors are only those of the transport
    /// (publishing abandoned at shutdown); a provider's own failures end in its state.
    pub async fn run_provider(&self, provider: &Provider) -> Result<RunReport, CollectError> {
        let Some(url) = provider.url.clone() else {
            return Err(CollectError::State(format!("provider {} has no url", provider.id)));
        };
        let started = Utc::now();
        let config_hash = self.config_hash(provider);
        let previous = self.state.get(&provider.id).unwrap_or_default();
        // Validators and hashes are only trusted when they came from the same config and version.
        let same_config = previous.config_hash == config_hash;
        let validators = (same_config && previous.content_hash.is_some()).then_some(&previous.validators);
        let mut state = ProviderState {
            provider_id: provider.id.clone(),
            instance: Some(self.instance.clone()),
            config_hash,
            last_attempt_at: Some(started),
            intent: false,
            ..previous.clone()
        };
        let fetched =
            self.fetcher.fetch(FetchRequest { url: &url, validators, allow_private: provider.allow_private }).await;
        let report = match fetched {
            Err(e) => self.failed(provider, state, Failure::from(&e)).await?,
            Ok(FetchOutcome::NotModified { cache }) => {
                state.last_status = Some(304);
                let outcome = still_emptied(&state, Outcome::NotModified);
                self.succeeded(provider, state, outcome, cache.fresh_for, 0, false).await?
            }
            Ok(FetchOutcome::Fetched(f)) => {
                metrics::counter!("learncity_collector_bytes_total", "provider" => provider.id.clone())
                    .increment(f.body.len() as u64);
                state.last_status = Some(f.status);
                state.bytes = f.body.len() as u64;
                state.document_url = Some(f.url.to_string());
                let hash = document_hash(&f.body);
                if same_config && previous.content_hash.as_deref() == Some(hash.as_str()) {
                    state.validators = f.validators;
                    let outcome = still_emptied(&state, Outcome::Unchanged);
                    self.succeeded(provider, state, outcome, f.cache.fresh_for, 0, false).await?
                } else {
                    let content_type = f.content_type.as_deref();
                    let stop = self.read_stop();
                    let read = read_as(provider, provider.format, &f.body, &f.url, content_type, started, stop).await;
                    match read {
                        // Stopped by a shutdown: nothing is known of the document; it is fetched
                        // again at the next start.
                        Err(Unread { kind: "stopped", message }) => return Err(CollectError::Stopped(message)),
                        Err(Unread { kind, message }) => {
                            let failure = Failure { kind, message, status: Some(f.status), retry_after: None };
                            self.failed(provider, state, failure).await?
                        }
                        Ok(mut out) => {
                            // A multi-page listing: every page is read before anything is published.
                            let followed = if out.next_page.is_some() {
                                let listing = crate::pages::Listing::of(provider);
                                let stop = self.read_stop();
                                let followed =
                                    crate::pages::follow(&self.fetcher, &listing, &mut out, &f.url, started, stop)
                                        .await;
                                if self.cancel.is_cancelled() && out.incomplete.is_some() {
                                    return Err(CollectError::Stopped(format!("the pages of {}", f.url)));
                                }
                                followed
                            } else {
                                crate::pages::Followed::default()
                            };
                            let multi_page = followed.pages() > 1;
                            if multi_page {
                                metrics::counter!("learncity_collector_bytes_total", "provider" => provider.id.clone())
                                    .increment(followed.bytes);
                                state.bytes += followed.bytes;
                                tracing::debug!(provider = %provider.id, pages = followed.pages(), "listing read");
                            }
                            let hash = followed.listing_hash(&hash);
                            // Page 1 alone cannot tell that a later page changed: a multi-page
                            // listing is compared whole, and fetched without validators.
                            let validators = if multi_page { Default::default() } else { f.validators.clone() };
                            if multi_page
                                && out.incomplete.is_none()
                                && same_config
                                && previous.content_hash.as_deref() == Some(hash.as_str())
                            {
                                state.validators = validators;
                                let outcome = still_emptied(&state, Outcome::Unchanged);
                                let report =
                                    self.succeeded(provider, state, outcome, f.cache.fresh_for, 0, false).await?;
                                tracing::info!(provider = %provider.id, outcome = report.outcome.as_str(), pages = followed.pages(), "provider run");
                                return Ok(report);
                            }
                            if matches!(out.format, SourceFormat::Rss | SourceFormat::Atom | SourceFormat::Jsonfeed)
                                && self.settings.enrich_per_run > 0
                            {
                                let enriched = crate::enrich::enrich(
                                    &self.fetcher,
                                    provider,
                                    &mut out.offerings,
                                    self.settings.enrich_per_run,
                                    started,
                                )
                                .await;
                                for problem in &enriched.problems {
                                    tracing::info!(provider = %provider.id, "enrichment: {problem}");
                                }
                            }
                            let hint =
                                out.ttl_minutes.map(|m| Duration::from_secs(u64::from(m) * 60)).or(f.cache.fresh_for);
                            let (records, upserts, snapshot) =
                                self.events(provider, &out, &previous, same_config, &f.url);
                            if !self.ownership.still_runs(&provider.id) {
                                return Ok(self.handed_over(provider));
                            }
                            if !records.is_empty() {
                                self.state.put(intent(&state, &out, snapshot, same_config)).await?;
                            }
                            self.producer.publish(records, &self.abandon).await?;
                            metrics::counter!("learncity_collector_items_total", "provider" => provider.id.clone())
                                .increment(upserts as u64);
                            state.item_count = out.offerings.len();
                            if snapshot {
                                state.listed_count = out.offerings.len();
                            }
                            state.warning_count = out.warnings.len();
                            state.warnings = out
                                .warnings
                                .iter()
                                .take(crate::state::KEPT_WARNINGS)
                                .map(ToString::to_string)
                                .collect();
                            let hashes =
                                out.offerings.iter().map(|o| (o.source_id.clone(), o.provenance.content_hash.clone()));
                            if out.incomplete.is_none() {
                                state.item_hashes = hashes.collect();
                                state.content_hash = Some(hash);
                                state.validators = validators;
                            } else {
                                // A truncated document: keep what is known, re-read it next time.
                                state.item_hashes.extend(hashes);
                                state.content_hash = None;
                                state.validators = Default::default();
                            }
                            let outcome = if let Some(reason) = &out.incomplete {
                                state.error_kind = Some("incomplete".to_owned());
                                state.last_error = Some(reason.clone());
                                Outcome::Incomplete
                            } else if !snapshot {
                                state.listed_count = state.listed_count.max(previous.item_count);
                                Outcome::Emptied
                            } else {
                                Outcome::Published
                            };
                            self.succeeded(provider, state, outcome, hint, upserts, snapshot).await?
                        }
                    }
                }
            }
        };
        tracing::info!(
            provider = %provider.id,
            outcome = report.outcome.as_str(),
            upserts = report.upserts,
            snapshot = report.snapshot,
            error = report.error.as_deref().unwrap_or(""),
            "provider run"
        );
        Ok(report)
    }

    /// A run whose provider moved to another instance while it ran (its partition was revoked
    /// and the wait for runs in flight ran out): it publishes and stores nothing more; the new
    /// owner fetches the provider.
    fn handed_over(&self, provider: &Provider) -> RunReport {
        tracing::warn!(provider = %provider.id, "provider moved to another instance during its run; run dropped");
        RunReport {
            provider_id: provider.id.clone(),
            outcome: Outcome::Failed,
            upserts: 0,
            snapshot: false,
            error: Some("handed over to another instance".to_owned()),
        }
    }

    /// Upserts of new and changed items, then the snapshot of a complete document.
    fn events(
        &self,
        provider: &Provider,
        out: &ReadOutput,
        previous: &ProviderState,
        same_config: bool,
        document_url: &url::Url,
    ) -> (Vec<OutRecord>, usize, bool) {
        let partition = Some(self.offerings_partition(provider));
        let headers = |event: &str| {
            vec![
                (HEADER_EVENT_TYPE.to_owned(), event.as_bytes().to_vec()),
                (HEADER_SCHEMA_VERSION.to_owned(), SCHEMA_VERSION.to_string().into_bytes()),
                (HEADER_PROVIDER_ID.to_owned(), provider.id.clone().into_bytes()),
                (HEADER_CONTENT_TYPE.to_owned(), b"application/json".to_vec()),
            ]
        };
        let mut records = Vec::new();
        for offering in &out.offerings {
            let unchanged =
                same_config && previous.item_hashes.get(&offering.source_id) == Some(&offering.provenance.content_hash);
            if unchanged {
                continue;
            }
            records.push(OutRecord {
                topic: self.kafka.offerings_topic.clone(),
                partition,
                key: offering.key().into_bytes(),
                payload: Some(serde_json::to_vec(offering).expect("an Offering always serialises")),
                headers: headers(EVENT_UPSERT),
            });
        }
        let upserts = records.len();
        // A listing that suddenly holds nothing (a redesigned page whose rules no longer match,
        // an empty feed served by mistake, a maintenance page) must not withdraw the whole
        // provider — nor when the empty document changes again: what counts is what the last
        // snapshot listed, not what the last read held.
        let listed = previous.listed_count.max(previous.item_count);
        let emptied = out.offerings.is_empty() && listed > 0;
        if emptied {
            tracing::warn!(
                provider = %provider.id,
                before = listed,
                "the document holds no offering any more; no snapshot published (nothing withdrawn)"
            );
        }
        let snapshot = out.incomplete.is_none() && !emptied;
        if snapshot {
            let mut source_ids: Vec<String> = out.offerings.iter().map(|o| o.source_id.clone()).collect();
            source_ids.sort();
            source_ids.dedup();
            let snapshot = Snapshot {
                schema_version: SCHEMA_VERSION,
                provider_id: provider.id.clone(),
                listing: provider.listing,
                source_ids,
                fetched_at: out.offerings.first().map_or_else(Utc::now, |o| o.provenance.fetched_at),
                document_url: Some(document_url.to_string()),
            };
            records.push(OutRecord {
                topic: self.kafka.offerings_topic.clone(),
                partition,
                key: provider.id.clone().into_bytes(),
                payload: Some(serde_json::to_vec(&snapshot).expect("a Snapshot always serialises")),
                headers: headers(EVENT_SNAPSHOT),
            });
        }
        (records, upserts, snapshot)
    }

    async fn succeeded(
        &self,
        provider: &Provider,
        mut state: ProviderState,
        outcome: Outcome,
        hint: Option<Duration>,
        upserts: usize,
        snapshot: bool,
    ) -> Result<RunReport, CollectError> {
        let now = Utc::now();
        state.outcome = outcome;
        state.consecutive_failures = 0;
        state.last_success_at = Some(now);
        match outcome {
            // The run set its reason.
            Outcome::Incomplete => {}
            Outcome::Emptied => {
                state.error_kind = Some("emptied".to_owned());
                state.last_error = Some(format!(
                    "the document holds no offering any more (its last complete read listed {}): nothing is \
                     withdrawn while it stays empty; check the provider's document and rules (`learncity check`)",
                    state.listed_count
                ));
            }
            _ => {
                state.error_kind = None;
                state.last_error = None;
            }
        }
        state.next_due_at = Some(schedule::after_success(now, &self.bounds, provider.interval, hint, rand::random()));
        self.finish(provider, state, upserts, snapshot).await
    }

    async fn failed(
        &self,
        provider: &Provider,
        mut state: ProviderState,
        failure: Failure,
    ) -> Result<RunReport, CollectError> {
        let now = Utc::now();
        state.outcome = Outcome::Failed;
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        state.error_kind = Some(failure.kind.to_owned());
        state.last_error = Some(failure.message.clone());
        state.last_status = failure.status;
        state.next_due_at = Some(schedule::after_failure(
            now,
            &self.bounds,
            state.consecutive_failures,
            failure.retry_after,
            rand::random(),
        ));
        tracing::warn!(
            provider = %provider.id,
            kind = failure.kind,
            failures = state.consecutive_failures,
            next = ?state.next_due_at,
            "provider failed: {}",
            failure.message
        );
        self.finish(provider, state, 0, false).await
    }

    async fn finish(
        &self,
        provider: &Provider,
        mut state: ProviderState,
        upserts: usize,
        snapshot: bool,
    ) -> Result<RunReport, CollectError> {
        let outcome = state.outcome;
        state.history.push(crate::state::PastRun {
            at: state.last_attempt_at.unwrap_or_else(Utc::now),
            outcome,
            error_kind: state.error_kind.clone(),
            item_count: state.item_count,
            warning_count: state.warning_count,
        });
        let over = state.history.len().saturating_sub(crate::state::KEPT_RUNS);
        state.history.drain(..over);
        let error = (outcome == Outcome::Failed).then(|| state.last_error.clone().unwrap_or_default());
        let label = match (outcome, &state.error_kind) {
            (Outcome::Failed, Some(kind)) => kind.clone(),
            _ => outcome.as_str().to_owned(),
        };
        metrics::counter!("learncity_collector_fetches_total", "provider" => provider.id.clone(), "outcome" => label)
            .increment(1);
        metrics::gauge!("learncity_collector_consecutive_failures", "provider" => provider.id.clone())
            .set(f64::from(state.consecutive_failures));
        metrics::gauge!("learncity_collector_items", "provider" => provider.id.clone()).set(state.item_count as f64);
        if !self.ownership.still_runs(&provider.id) {
            return Ok(self.handed_over(provider));
        }
        self.state.put(state).await?;
        Ok(RunReport { provider_id: provider.id.clone(), outcome, upserts, snapshot, error })
    }
}

/// The outcome of a run that found the document unchanged: an emptied listing (its last read
/// held nothing, its last snapshot something) stays `emptied` until it lists offerings again —
/// also after failed runs in between — so provider health keeps showing it.
fn still_emptied(state: &ProviderState, unchanged: Outcome) -> Outcome {
    if state.item_count == 0 && state.listed_count > 0 { Outcome::Emptied } else { unchanged }
}

/// The state stored before a run's events are published (an intent): the new document's
/// validators and content hash are not known to be published yet, nor are the items about to be
/// (re)published or withdrawn. A crash before the acknowledgement then leaves a state under which
/// every document — the new one, or the previous one come back — is read again and its changed
/// items published, instead of a state that calls the previous document unchanged while the
/// catalogue may already hold the new one.
fn intent(state: &ProviderState, out: &ReadOutput, snapshot: bool, same_config: bool) -> ProviderState {
    let now: std::collections::HashMap<&str, &str> =
        out.offerings.iter().map(|o| (o.source_id.as_str(), o.provenance.content_hash.as_str())).collect();
    let mut intent = state.clone();
    intent.intent = true;
    intent.validators = Default::default();
    intent.content_hash = None;
    // Kept: items the document holds unchanged; and, without a snapshot (nothing withdrawn),
    // items it does not hold. Under a new config every item is published again: none is kept.
    intent.item_hashes.retain(|id, hash| same_config && now.get(id.as_str()).map_or(!snapshot, |h| h == hash));
    intent
}

/// Why a document was not read: its provider-health kind and the words for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unread {
    /// `read` (the document cannot be read), `budget` (over the provider's budget) or `stopped`
    /// (a shutdown stopped the read).
    pub kind: &'static str,
    /// What happened, naming the document.
    pub message: String,
}

impl std::fmt::Display for Unread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Reads `body` as `listing` says (its provider, settings and format) on the blocking pool, under
/// the provider's budget and stopped by `stop`: parsing is CPU work, and a reader that panicked
/// on some input is a failed read of that document, never a dead task.
pub(crate) async fn read_off_runtime(
    listing: &crate::pages::Listing,
    body: &[u8],
    url: &url::Url,
    content_type: Option<&str>,
    fetched_at: DateTime<Utc>,
    stop: Option<learncity_readers::budget::Stop>,
) -> Result<ReadOutput, Unread> {
    let (listing, body, url) = (listing.clone(), body.to_vec(), url.clone());
    let content_type = content_type.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let ctx = ReadContext {
            provider: &listing.provider,
            settings: &listing.settings,
            document_url: Some(&url),
            content_type: content_type.as_deref(),
            fetched_at,
        };
        learncity_readers::read_until(&body, listing.format, &ctx, stop)
            .map_err(|e| Unread { kind: e.kind(), message: format!("{url}: {e}") })
    })
    .await
    .map_err(|e| Unread {
        kind: "read",
        message: format!("the reader failed on this document ({e}); please report it with the document"),
    })?
}

/// Reads `body` as `format` with `provider`'s settings ([`read_off_runtime`]).
pub(crate) async fn read_as(
    provider: &Provider,
    format: learncity_readers::FormatHint,
    body: &[u8],
    url: &url::Url,
    content_type: Option<&str>,
    fetched_at: DateTime<Utc>,
    stop: Option<learncity_readers::budget::Stop>,
) -> Result<ReadOutput, Unread> {
    let listing = crate::pages::Listing { format, ..crate::pages::Listing::of(provider) };
    read_off_runtime(&listing, body, url, content_type, fetched_at, stop).await
}

/// `sha256:` of a document; calendars are hashed without their `DTSTAMP` lines, which many
/// servers regenerate on every request although nothing changed.
pub fn document_hash(body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    let mut skipping = false;
    for line in body.split_inclusive(|&b| b == b'\n') {
        // A folded continuation line (leading space or tab) belongs to the line before it.
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            skipping = line.len() >= 8 && line[..7].eq_ignore_ascii_case(b"DTSTAMP") && matches!(line[7], b':' | b';');
        }
        if !skipping {
            hasher.update(line);
        }
    }
    format!("sha256:{}", hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_hash_ignores_dtstamp_only() {
        let a = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:A\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let b = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20270505T121212Z\r\nSUMMARY:A\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let c = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20270505T121212Z\r\nSUMMARY:B\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(document_hash(a), document_hash(b));
        assert_ne!(document_hash(b), document_hash(c));
        // A folded DTSTAMP (with parameters) is skipped whole; DTSTART is not DTSTAMP.
        let d = b"UID:1\r\nDTSTAMP;VALUE=DATE-TIME:2026\r\n 0101T000000Z\r\nDTSTART:20260101T100000Z\r\n";
        let e = b"UID:1\r\nDTSTAMP;VALUE=DATE-TIME:2027\r\n 0101T000000Z\r\nDTSTART:20260101T100000Z\r\n";
        let f = b"UID:1\r\nDTSTAMP;VALUE=DATE-TIME:2027\r\n 0101T000000Z\r\nDTSTART:20260101T110000Z\r\n";
        assert_eq!(document_hash(d), document_hash(e));
        assert_ne!(document_hash(e), document_hash(f));
        assert!(document_hash(b"").starts_with("sha256:"));
    }

    fn read_output(items: &[(&str, &str)]) -> ReadOutput {
        let offerings = items
            .iter()
            .map(|(id, hash)| {
                let mut o = learncity_testkit::offerings::offering("p", id, id);
                o.provenance.content_hash = (*hash).to_owned();
                o
            })
            .collect();
        ReadOutput {
            format: SourceFormat::Ical,
            charset: "utf-8",
            offerings,
            warnings: vec![],
            incomplete: None,
            ttl_minutes: None,
            next_page: None,
        }
    }

    #[test]
    fn an_intent_forgets_what_the_run_is_about_to_change() {
        let state = ProviderState {
            provider_id: "p".to_owned(),
            validators: learncity_fetch::Validators { etag: Some("\"a\"".to_owned()), last_modified: None },
            content_hash: Some("sha256:a".to_owned()),
            item_hashes: [("kept", "h1"), ("changed", "h2"), ("gone", "h3")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            ..ProviderState::default()
        };
        let out = read_output(&[("kept", "h1"), ("changed", "h2-new"), ("new", "h4")]);
        let ids = |s: &ProviderState| s.item_hashes.keys().cloned().collect::<Vec<_>>();

        // With a snapshot, the items it withdraws are forgotten too: should the document come
        // back, they are published again.
        let with_snapshot = intent(&state, &out, true, true);
        assert_eq!(ids(&with_snapshot), ["kept"]);
        assert_eq!(with_snapshot.content_hash, None);
        assert_eq!(with_snapshot.validators, Default::default());
        // Without one (a truncated document), items it does not hold stay as they were.
        assert_eq!(ids(&intent(&state, &out, false, true)), ["gone", "kept"]);
        // Under a new config every item is published again.
        assert!(intent(&state, &out, true, false).item_hashes.is_empty());
        // The rest of the state is the run's; the run's final state supersedes its intent.
        assert_eq!(with_snapshot.provider_id, "p");
        let last_attempt_at = Some(Utc::now());
        let intent = ProviderState { last_attempt_at, ..with_snapshot };
        let done = ProviderState { last_attempt_at, intent: false, ..intent.clone() };
        assert!(done.newer_than(&intent) && !intent.newer_than(&done));
        let next = ProviderState { last_attempt_at: Some(Utc::now() + chrono::Duration::seconds(1)), ..intent.clone() };
        assert!(next.newer_than(&done));
    }

    #[test]
    fn an_emptied_listing_stays_emptied_while_unchanged() {
        // Also after a failed run in between (whose outcome is `failed`).
        let emptied = ProviderState { outcome: Outcome::Failed, item_count: 0, listed_count: 7, ..Default::default() };
        assert_eq!(still_emptied(&emptied, Outcome::NotModified), Outcome::Emptied);
        let published = ProviderState { item_count: 7, listed_count: 7, ..Default::default() };
        assert_eq!(still_emptied(&published, Outcome::Unchanged), Outcome::Unchanged);
        let never_listed = ProviderState::default();
        assert_eq!(still_emptied(&never_listed, Outcome::Unchanged), Outcome::Unchanged);
    }
}
