//! `learncity check`: how one provider document is read — the tool a provider or operator runs
//! to see the normalised offerings and every warning, before the collector ever polls it.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use learncity_model::{Offering, ProviderRef};
use learncity_readers::{FormatHint, ReadContext, ReadOutput, ReaderSettings};

use learncity_config::Provider as ProviderFile;

/// Arguments of `learncity check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// A file path or an http(s) URL (`webcal://` and public Google, Outlook and Nextcloud
    /// calendar links are read from their iCalendar URL; further pages of a listing are followed).
    pub source: String,
    /// Read as this format instead of sniffing it.
    #[arg(long, value_parser = parse_format, default_value = "auto")]
    pub format: FormatHint,
    /// The provider's config file (TOML): id, name, city, reader settings and HTML rules.
    #[arg(long, value_name = "FILE")]
    pub provider: Option<PathBuf>,
    /// Print JSON ({"format", "charset", "offerings", "warnings"}) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// For a local file: the URL it was downloaded from (base for relative links).
    #[arg(long, value_name = "URL")]
    pub url: Option<url::Url>,
    /// For a local file: the HTTP Content-Type it was served with (its charset is used).
    #[arg(long, value_name = "TYPE")]
    pub content_type: Option<String>,
    /// Fetch a URL even when its host resolves to a loopback or private address (the collector
    /// refuses those unless the provider file says `allow-private = true`).
    #[arg(long)]
    pub allow_private: bool,
}

fn parse_format(s: &str) -> Result<FormatHint, String> {
    s.parse()
}

/// Runs `check`. Exit 0 when the document was read whole (even with warnings or zero
/// offerings); an error when it cannot be read or is incomplete (truncated).
pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let provider_file = args.provider.as_deref().map(ProviderFile::load).transpose()?;
    let provider = ProviderRef {
        id: provider_file.as_ref().map_or_else(|| "check".to_owned(), |p| p.id.clone()),
        name: provider_file.as_ref().and_then(|p| p.name.clone()),
    };
    let settings = provider_file.as_ref().map(|p| p.reader.clone()).unwrap_or_else(ReaderSettings::default);
    let format = match (args.format, &provider_file) {
        (FormatHint::Auto, Some(p)) => p.format,
        (f, _) => f,
    };

    let fetched_at = Utc::now();
    let loaded = load(&args, provider_file.as_ref())?;
    let ctx = ReadContext {
        provider: &provider,
        settings: &settings,
        document_url: loaded.url.as_ref(),
        content_type: loaded.content_type.as_deref(),
        fetched_at,
    };
    let mut out = learncity_readers::read(&loaded.bytes, format, &ctx).with_context(|| args.source.clone())?;
    let mut pages = Vec::new();
    if let (Some(fetch), Some(first_url)) = (&loaded.fetch, &loaded.url)
        && out.next_page.is_some()
    {
        // A multi-page listing: the collector reads every page, and so does check.
        let listing = learncity_collector::pages::Listing {
            provider: provider.clone(),
            settings: settings.clone(),
            format,
            allow_private: fetch.allow_private,
            home: Some(first_url.clone()),
        };
        let followed = fetch.runtime.block_on(learncity_collector::pages::follow(
            &fetch.fetcher,
            &listing,
            &mut out,
            first_url,
            fetched_at,
            None,
        ));
        pages = followed.urls;
    } else if let Some(next) = &out.next_page {
        eprintln!("note: the document names a next page ({next}); check follows pages only when given a URL");
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out).context("cannot serialise the output")?);
    } else {
        print!("{}", render_table(&out));
        if pages.len() > 1 {
            println!("read {} pages: {}", pages.len(), pages.join(" → "));
        }
    }
    // What was read is shown, but an incomplete document is a failed read: the provider must fix it.
    if let Some(reason) = &out.incomplete {
        anyhow::bail!("{}: {reason}", args.source);
    }
    Ok(ExitCode::SUCCESS)
}

/// The source document, and for a URL the fetcher that fetched it (for the further pages).
struct Loaded {
    bytes: Vec<u8>,
    url: Option<url::Url>,
    content_type: Option<String>,
    fetch: Option<Fetch>,
}

/// What fetched a URL source: the runtime, the fetcher and its address policy.
struct Fetch {
    runtime: tokio::runtime::Runtime,
    fetcher: learncity_fetch::Fetcher,
    allow_private: bool,
}

/// True for a source `check` fetches rather than reads from disk.
fn is_url(source: &str) -> bool {
    ["http://", "https://", "webcal://", "webcals://"]
        .iter()
        .any(|scheme| source.get(..scheme.len()).is_some_and(|s| s.eq_ignore_ascii_case(scheme)))
}

/// Reads the source: a URL is fetched (a `webcal://` or public calendar link as the collector
/// would fetch it: [`learncity_fetch::fetchable_url`]), anything else is a file.
fn load(args: &CheckArgs, provider: Option<&ProviderFile>) -> anyhow::Result<Loaded> {
    if is_url(&args.source) {
        let given = url::Url::parse(&args.source).with_context(|| format!("`{}` is not a valid URL", args.source))?;
        let url = learncity_fetch::fetchable_url(&given);
        if url != given {
            eprintln!("note: reading {url} (the calendar behind {given})");
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let allow_private = args.allow_private || provider.is_some_and(|p| p.allow_private);
        let fetcher = learncity_fetch::Fetcher::new(learncity_fetch::FetchSettings::default())?;
        let fetched = runtime.block_on(fetch_once(&fetcher, &url, allow_private))?;
        let content_type = args.content_type.clone().or(fetched.content_type);
        return Ok(Loaded {
            bytes: fetched.body,
            url: Some(fetched.url),
            content_type,
            fetch: Some(Fetch { runtime, fetcher, allow_private }),
        });
    }
    let path = PathBuf::from(&args.source);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let url = args.url.clone().or_else(|| provider.and_then(|p| p.url.clone()));
    Ok(Loaded { bytes, url, content_type: args.content_type.clone(), fetch: None })
}

/// One GET with the collector's fetcher and default `[http]` settings: the same limits,
/// robots.txt and address guard as the collector.
async fn fetch_once(
    fetcher: &learncity_fetch::Fetcher,
    url: &url::Url,
    allow_private: bool,
) -> anyhow::Result<learncity_fetch::Fetched> {
    match fetcher.fetch(learncity_fetch::FetchRequest { url, validators: None, allow_private }).await? {
        learncity_fetch::FetchOutcome::Fetched(f) => Ok(f),
        learncity_fetch::FetchOutcome::NotModified { .. } => {
            anyhow::bail!("{url} answered 304 Not Modified to a plain GET")
        }
    }
}

/// The human-readable report: one block per offering, its warnings under it, then the
/// document's own warnings and a summary line.
pub fn render_table(out: &ReadOutput) -> String {
    let mut s = String::new();
    for (i, o) in out.offerings.iter().enumerate() {
        let _ = writeln!(s, "{:>3}. {}", i + 1, o.title);
        for line in describe(o) {
            let _ = writeln!(s, "     {line}");
        }
        for w in out.warnings.iter().filter(|w| w.item.as_deref() == Some(o.source_id.as_str())) {
            let _ = writeln!(s, "     ! {}", field_message(w));
        }
    }
    let unattached: Vec<_> = out
        .warnings
        .iter()
        .filter(|w| !w.item.as_ref().is_some_and(|item| out.offerings.iter().any(|o| &o.source_id == item)))
        .collect();
    if !unattached.is_empty() {
        let _ = writeln!(s, "\nwarnings:");
        for w in unattached {
            let _ = writeln!(s, "  ! {w}");
        }
    }
    let _ = writeln!(
        s,
        "\n{} offerings, {} warnings (read as {}, {})",
        out.offerings.len(),
        out.warnings.len(),
        out.format.as_str(),
        out.charset
    );
    s
}

fn field_message(w: &learncity_readers::Warning) -> String {
    match &w.field {
        Some(f) => format!("{f}: {}", w.message),
        None => w.message.clone(),
    }
}

fn describe(o: &Offering) -> Vec<String> {
    let mut lines = vec![format!("id: {}", o.source_id)];
    let kind = serde_json::to_value(o.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let mode = serde_json::to_value(o.mode).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
    let status = if o.status == learncity_model::Status::Scheduled {
        String::new()
    } else {
        format!(", {:?}", o.status).to_lowercase()
    };
    lines.push(format!("{kind}, {mode}{status}"));
    match o.sessions.as_slice() {
        [] => lines.push("when: no date".into()),
        [one] => lines.push(format!("when: {}", session_text(one))),
        [first, .., last] => {
            lines.push(format!("when: {} sessions, {} … {}", o.sessions.len(), session_text(first), session_text(last)))
        }
    }
    if let Some(loc) = &o.location {
        let parts: Vec<&str> =
            [&loc.venue, &loc.address, &loc.district, &loc.city].into_iter().flatten().map(String::as_str).collect();
        if !parts.is_empty() {
            lines.push(format!("where: {}", parts.join(", ")));
        }
    }
    if let Some(url) = &o.online_url {
        lines.push(format!("online: {url}"));
    }
    if let Some(p) = &o.price {
        lines.push(match (p.free, p.amount, &p.currency) {
            (true, _, _) => "price: free".into(),
            (false, Some(a), Some(c)) => format!("price: {a} {c}"),
            _ => format!("price: {}", p.text.as_deref().unwrap_or("?")),
        });
    }
    if !o.categories.is_empty() || !o.languages.is_empty() {
        let or_dash = |v: &[String]| if v.is_empty() { "—".to_owned() } else { v.join(", ") };
        lines.push(format!("categories: {}; languages: {}", or_dash(&o.categories), or_dash(&o.languages)));
    }
    if let Some(url) = &o.landing_url {
        lines.push(format!("link: {url}"));
    }
    lines
}

fn session_text(s: &learncity_model::Session) -> String {
    let mut t = if s.all_day {
        s.start.format("%Y-%m-%d (all day)").to_string()
    } else {
        s.start.format("%Y-%m-%d %H:%M %:z").to_string()
    };
    if s.cancelled {
        t.push_str(" [cancelled]");
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_any_calendar_scheme_are_fetched_and_paths_are_read() {
        for source in
            ["https://a.example/feed", "HTTP://a.example/", "webcal://a.example/c.ics", "webcals://a.example/"]
        {
            assert!(is_url(source), "{source}");
        }
        for source in ["feed.xml", "./webcal/c.ics", "/tmp/http.html", "C:\\feeds\\a.xml", ""] {
            assert!(!is_url(source), "{source}");
        }
    }
}
