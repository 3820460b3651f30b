//! "Add a provider" in the operator console (`/admin/providers/new`): a URL and a few settings
//! → what `learncity check` would read from it (fetched with the collector's fetcher, its
//! limits, robots.txt and private-address guard) → the provider file saved to the registry
//! folder (`collector.providers`), which the collectors take within seconds without a restart.
//!
//! The file is validated as `config check` does (every mistake shown), written to a temporary
//! name and renamed into place, and never replaces an existing file or provider id.

use std::fmt::Write as _;
use std::path::PathBuf;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use learncity_model::ProviderRef;
use learncity_readers::{FormatHint, ReadContext};
use serde::Deserialize;

use crate::AppState;
use crate::console::{back_to, header_bar, may_decide, page, signed, to_login, words};
use crate::pages::esc;

/// Offerings shown in the preview.
const PREVIEW: usize = 15;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewProvider {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    listing: String,
    #[serde(default)]
    time_zone: String,
    /// A host on a private network (the fixture server of a test, an intranet CMS).
    #[serde(default)]
    allow_private: Option<String>,
    /// `check` or `save`.
    #[serde(default)]
    step: String,
}

impl NewProvider {
    /// Whether the box is ticked (a hidden copy of an unticked one is empty).
    fn private(&self) -> bool {
        self.allow_private.as_deref().is_some_and(|v| !v.is_empty())
    }

    /// The provider file these fields make.
    fn file(&self) -> String {
        let quote = |s: &str| toml_string(s.trim());
        let mut text = format!("id = {}\nname = {}\nurl = {}\n", quote(&self.id), quote(&self.name), quote(&self.url));
        if !self.city.trim().is_empty() {
            let _ = writeln!(text, "city = {}", quote(&self.city));
        }
        if !self.format.is_empty() && self.format != "auto" {
            let _ = writeln!(text, "format = {}", quote(&self.format));
        }
        if !self.listing.is_empty() {
            let _ = writeln!(text, "listing = {}", quote(&self.listing));
        }
        if self.private() {
            text.push_str("allow-private = true\n");
        }
        if !self.time_zone.trim().is_empty() {
            let _ = write!(text, "\n[reader]\ntime-zone = {}\n", quote(&self.time_zone));
        }
        text
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn form(csrf: &str, p: &NewProvider, t: &crate::console::Words) -> String {
    let field = |name: &str, label: &str, value: &str, required: bool| {
        format!(
            "<p><label for=\"{name}\">{label}</label><br><input id=\"{name}\" name=\"{name}\" value=\"{}\"{}></p>",
            esc(value),
            if required { " required" } else { "" }
        )
    };
    let options = |values: &[&str], chosen: &str| -> String {
        values
            .iter()
            .map(|v| format!("<option value=\"{v}\"{}>{v}</option>", if *v == chosen { " selected" } else { "" }))
            .collect()
    };
    format!(
        "<form method=\"post\" action=\"/admin/providers/new\" class=\"provider\">\
<input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">{id}{name}{url}{city}\
<p><label for=\"format\">format</label><br><select id=\"format\" name=\"format\">{formats}</select></p>\
<p><label for=\"listing\">listing</label><br><select id=\"listing\" name=\"listing\">{listings}</select></p>{tz}\
<p><label><input type=\"checkbox\" name=\"allow_private\" value=\"true\"{private}> allow-private</label></p>\
<p><button type=\"submit\" name=\"step\" value=\"check\">{check}</button></p></form>",
        csrf = esc(csrf),
        id = field("id", "id (a-z 0-9 -)", &p.id, true),
        name = field("name", t.name, &p.name, true),
        url = field("url", "URL", &p.url, true),
        city = field("city", "city", &p.city, false),
        formats = options(&["auto", "rss", "atom", "jsonfeed", "ical", "html", "xcri"], &p.format),
        listings = options(&["complete", "window"], &p.listing),
        tz = field("time_zone", "time zone (Europe/Minsk)", &p.time_zone, false),
        check = t.check,
        private = if p.private() { " checked" } else { "" },
    )
}

pub(crate) async fn new_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some((who, csrf)) = signed(&state, &headers).await else { return to_login() };
    let t = words(crate::lang_of(&state, None, &headers));
    let body =
        format!("{}<h2>{}</h2>{}", header_bar(&who, &csrf, t), t.add_provider, form(&csrf, &NewProvider::default(), t));
    page(&state, &headers, "/admin/providers/new", t.add_provider, &body)
}

pub(crate) async fn check_or_save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(p): Form<NewProvider>,
) -> Response {
    let who = match may_decide(&state, &headers, &p.csrf).await {
        Ok(who) => who,
        Err(refused) => return refused,
    };
    let csrf = p.csrf.clone();
    let t = words(crate::lang_of(&state, None, &headers));
    let text = p.file();
    let mut body = format!("{}<h2>{}</h2>", header_bar(&who, &csrf, t), t.add_provider);
    let provider = match learncity_config::Provider::parse(&text, "the console's form") {
        Ok(provider) => provider,
        Err(errors) => {
            body.push_str("<ul role=\"alert\">");
            for e in &errors.0 {
                let _ = write!(body, "<li>{}</li>", esc(&e.to_string()));
            }
            body.push_str("</ul>");
            body.push_str(&form(&csrf, &p, t));
            let mut r = page(&state, &headers, "/admin/providers/new", t.add_provider, &body);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
    };
    if p.step == "save" {
        return match save(&state, &provider.id, &text) {
            Ok(path) => {
                tracing::info!(provider = %provider.id, by = %who.name, file = %path.display(), "provider added from the console");
                metrics::counter!("learncity_console_providers_added_total").increment(1);
                back_to("/admin/providers", &format!("{} {}: {}", t.saved, provider.id, path.display()))
            }
            Err(why) => back_to("/admin/providers/new", &why),
        };
    }

    // What the collector would read.
    let _ = write!(body, "<h3>{}</h3><pre>{}</pre>", t.provider_file, esc(&text));
    match read(&state, &provider).await {
        Err(why) => {
            let _ = write!(body, "<p role=\"alert\">{}</p>", esc(&why));
        }
        Ok(out) => {
            let _ = write!(
                body,
                "<p role=\"status\">{}: {} · {}: {} · {}</p><ol>",
                t.offerings,
                out.offerings.len(),
                t.warnings,
                out.warnings.len(),
                out.format.as_str()
            );
            for o in out.offerings.iter().take(PREVIEW) {
                let start = o.first_start().map(|s| s.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default();
                let _ = write!(body, "<li>{} <span class=\"meta\">{}</span></li>", esc(&o.title), esc(&start));
            }
            body.push_str("</ol><ul>");
            for w in out.warnings.iter().take(PREVIEW) {
                let item = w.item.as_deref().map(|i| format!("{i}: ")).unwrap_or_default();
                let _ = write!(body, "<li>{}{}</li>", esc(&item), esc(&w.message));
            }
            body.push_str("</ul>");
            if !out.offerings.is_empty() {
                // The same fields again, to save.
                let hidden: String = [
                    ("id", &p.id),
                    ("name", &p.name),
                    ("city", &p.city),
                    ("url", &p.url),
                    ("format", &p.format),
                    ("listing", &p.listing),
                    ("time_zone", &p.time_zone),
                    ("allow_private", &p.allow_private.clone().unwrap_or_default()),
                ]
                .iter()
                .map(|(k, v)| format!("<input type=\"hidden\" name=\"{k}\" value=\"{}\">", esc(v)))
                .collect();
                let _ = write!(
                    body,
                    "<form method=\"post\" action=\"/admin/providers/new\" class=\"save\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{hidden}\
<button type=\"submit\" name=\"step\" value=\"save\">{}</button></form>",
                    esc(&csrf),
                    t.save
                );
            }
        }
    }
    body.push_str(&form(&csrf, &p, t));
    page(&state, &headers, "/admin/providers/new", t.add_provider, &body)
}

/// The provider's document read as the collector would (one document, no further pages).
async fn read(
    state: &AppState,
    provider: &learncity_config::Provider,
) -> Result<learncity_readers::ReadOutput, String> {
    let url = provider.url.as_ref().ok_or("the provider has no url")?;
    let url = learncity_fetch::fetchable_url(url);
    let fetcher = learncity_fetch::Fetcher::new(state.curation.http.clone()).map_err(|e| e.to_string())?;
    let request = learncity_fetch::FetchRequest { url: &url, validators: None, allow_private: provider.allow_private };
    let fetched = match fetcher.fetch(request).await.map_err(|e| e.to_string())? {
        learncity_fetch::FetchOutcome::Fetched(f) => f,
        learncity_fetch::FetchOutcome::NotModified { .. } => return Err(format!("{url} answered 304 to a plain GET")),
    };
    let who = ProviderRef { id: provider.id.clone(), name: provider.name.clone() };
    let ctx = ReadContext {
        provider: &who,
        settings: &provider.reader,
        document_url: Some(&fetched.url),
        content_type: fetched.content_type.as_deref(),
        fetched_at: Utc::now(),
    };
    let format: FormatHint = provider.format;
    learncity_readers::read(&fetched.body, format, &ctx).map_err(|e| e.to_string())
}

/// Writes the provider file `{id}.toml` into the registry folder; never over another.
fn save(state: &AppState, id: &str, text: &str) -> Result<PathBuf, String> {
    let dir = state
        .curation
        .providers_dir
        .as_ref()
        .ok_or("no provider folder is configured (collector.providers names a folder): add the file by hand")?;
    if !dir.is_dir() {
        return Err(format!("{} is not a folder of provider files: add the file by hand", dir.display()));
    }
    if state.curation.rules.providers.contains_key(id) {
        return Err(format!("a provider `{id}` is configured already"));
    }
    let path = dir.join(format!("{id}.toml"));
    let temporary = dir.join(format!(".{id}.toml.new"));
    std::fs::write(&temporary, text).map_err(|e| format!("cannot write {}: {e}", temporary.display()))?;
    // `hard_link` fails when the name is taken: never over another file.
    let placed = std::fs::hard_link(&temporary, &path);
    let _ = std::fs::remove_file(&temporary);
    placed.map_err(|e| format!("cannot save {}: {e}", path.display()))?;
    Ok(path)
}
