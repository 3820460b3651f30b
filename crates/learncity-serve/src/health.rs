//! Provider health for operators: each provider's last fetch, its outcome, item count and
//! errors (from the collectors' fetch state, through a [`HealthSource`]) beside its entries in
//! the catalogue.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::catalogue::ProviderSummary;
use crate::pages::{PageContext, esc, layout};

/// One provider's fetch state, as the collectors last stored it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProviderStatus {
    /// Provider id.
    pub provider_id: String,
    /// When the last attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the last attempt that did not fail ended.
    pub last_success_at: Option<DateTime<Utc>>,
    /// `never`, `published`, `not_modified`, `unchanged`, `incomplete`, `emptied` or `failed`.
    pub outcome: String,
    /// HTTP status of the last response.
    pub last_status: Option<u16>,
    /// The failure's kind, while failing.
    pub error_kind: Option<String>,
    /// The failure in words, while failing.
    pub last_error: Option<String>,
    /// Failures in a row.
    pub consecutive_failures: u32,
    /// When it is fetched next.
    pub next_due_at: Option<DateTime<Utc>>,
    /// Offerings in its last document.
    pub item_count: usize,
    /// Warnings of the last read.
    pub warning_count: usize,
    /// Those warnings in words, each naming its item and field (operators only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Its last runs, oldest first (operators only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PastRun>,
}

/// One past run of a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PastRun {
    /// When it started.
    pub at: DateTime<Utc>,
    /// How it ended (as [`ProviderStatus::outcome`]).
    pub outcome: String,
    /// The failure's kind, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// Offerings in the document it read.
    pub item_count: usize,
    /// Warnings of that read.
    pub warning_count: usize,
}

/// Where the service learns the providers' fetch state.
pub trait HealthSource: Send + Sync {
    /// Every provider's state, or why it cannot be had now.
    fn statuses(&self) -> Result<Vec<ProviderStatus>, String>;
}

/// A provider's row on the health page: its fetch state (when known) and its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthRow {
    /// Provider id.
    pub provider_id: String,
    /// Its name, from its entries.
    pub name: Option<String>,
    /// Entries it is a source of.
    pub entries: usize,
    /// Its fetch state (`None`: no collector has stored one).
    pub fetch: Option<ProviderStatus>,
}

/// The rows: every provider with a fetch state or an entry, by id.
pub fn rows(statuses: &[ProviderStatus], providers: &[ProviderSummary]) -> Vec<HealthRow> {
    let mut by_id: BTreeMap<String, HealthRow> = BTreeMap::new();
    for p in providers {
        by_id.insert(
            p.id.clone(),
            HealthRow { provider_id: p.id.clone(), name: p.name.clone(), entries: p.entries, fetch: None },
        );
    }
    for s in statuses {
        by_id
            .entry(s.provider_id.clone())
            .or_insert_with(|| HealthRow { provider_id: s.provider_id.clone(), name: None, entries: 0, fetch: None })
            .fetch = Some(s.clone());
    }
    by_id.into_values().collect()
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| format!("<time datetime=\"{}\">{}</time>", t.to_rfc3339(), t.format("%Y-%m-%d %H:%M UTC")))
        .unwrap_or_else(|| "—".to_owned())
}

/// The operators' page.
pub fn page(ctx: &PageContext<'_>, rows: &[HealthRow], unavailable: Option<&str>) -> String {
    let mut body = String::from("<h1>Provider health</h1>");
    if let Some(why) = unavailable {
        let _ = write!(body, "<p role=\"alert\">The collectors' fetch state cannot be read: {}</p>", esc(why));
    }
    let failing = rows.iter().filter(|r| r.fetch.as_ref().is_some_and(|f| f.outcome == "failed")).count();
    let _ = write!(body, "<p>{} providers, {failing} failing.</p>", rows.len());
    body.push_str(
        "<table><caption>Last fetch of each provider, and its entries in the catalogue</caption><thead><tr>\
<th scope=\"col\">Provider</th><th scope=\"col\">Last fetch</th><th scope=\"col\">Outcome</th>\
<th scope=\"col\">HTTP</th><th scope=\"col\">Items</th><th scope=\"col\">Warnings</th>\
<th scope=\"col\">Failures in a row</th><th scope=\"col\">Error</th><th scope=\"col\">Next fetch</th>\
<th scope=\"col\">Entries</th></tr></thead><tbody>",
    );
    for r in rows {
        let name = esc(r.name.as_deref().unwrap_or(&r.provider_id));
        let _ = write!(body, "<tr><th scope=\"row\"><a href=\"/provider/{}\">{name}</a></th>", esc(&r.provider_id));
        match &r.fetch {
            Some(f) => {
                let error = match (&f.error_kind, &f.last_error) {
                    (Some(k), Some(e)) => format!("{}: {}", esc(k), esc(e)),
                    (Some(k), None) => esc(k),
                    (None, Some(e)) => esc(e),
                    (None, None) => String::new(),
                };
                let _ = write!(
                    body,
                    "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{error}</td><td>{}</td>",
                    time(f.last_attempt_at),
                    esc(&f.outcome),
                    f.last_status.map(|s| s.to_string()).unwrap_or_default(),
                    f.item_count,
                    f.warning_count,
                    f.consecutive_failures,
                    time(f.next_due_at),
                );
            }
            None => body.push_str("<td colspan=\"8\">no fetch state</td>"),
        }
        let _ = write!(body, "<td>{}</td></tr>", r.entries);
    }
    body.push_str("</tbody></table>");
    // Every warning of each provider's last read (on the operators' page only: the public one
    // has none), for the operator to show the provider what to mend.
    let warned: Vec<(&HealthRow, &ProviderStatus)> =
        rows.iter().filter_map(|r| r.fetch.as_ref().filter(|f| !f.warnings.is_empty()).map(|f| (r, f))).collect();
    let with_history: Vec<(&HealthRow, &ProviderStatus)> =
        rows.iter().filter_map(|r| r.fetch.as_ref().filter(|f| !f.history.is_empty()).map(|f| (r, f))).collect();
    if !with_history.is_empty() {
        body.push_str(
            "<h2 id=\"history\">Recent runs</h2><table><caption>Each provider's last runs, newest first</caption>\
<thead><tr><th scope=\"col\">Provider</th><th scope=\"col\">Runs</th></tr></thead><tbody>",
        );
        for (r, f) in with_history {
            let name = esc(r.name.as_deref().unwrap_or(&r.provider_id));
            let runs: Vec<String> = f
                .history
                .iter()
                .rev()
                .map(|run| {
                    let what = match &run.error_kind {
                        Some(kind) => format!("{}: {}", esc(&run.outcome), esc(kind)),
                        None => {
                            format!("{} ({} items, {} warnings)", esc(&run.outcome), run.item_count, run.warning_count)
                        }
                    };
                    format!("<li>{} {what}</li>", time(Some(run.at)))
                })
                .collect();
            let _ = write!(body, "<tr><th scope=\"row\">{name}</th><td><ol>{}</ol></td></tr>", runs.concat());
        }
        body.push_str("</tbody></table>");
    }
    if !warned.is_empty() {
        body.push_str("<h2 id=\"warnings\">Warnings of the last read</h2>");
        for (r, f) in warned {
            let name = esc(r.name.as_deref().unwrap_or(&r.provider_id));
            let more = f.warning_count.saturating_sub(f.warnings.len());
            let _ = write!(body, "<details><summary>{name}: {}</summary><ul>", f.warning_count);
            for w in &f.warnings {
                let _ = write!(body, "<li>{}</li>", esc(w));
            }
            if more > 0 {
                let _ = write!(body, "<li>… {more} more</li>");
            }
            body.push_str("</ul></details>");
        }
    }
    layout(ctx, "Provider health", &body)
}
