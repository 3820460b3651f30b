//! Provider documents from neutral items: one writer per format, plus the provider config.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Value, json};

use crate::Format;

/// The city's UTC offset (Europe/Minsk: +03:00 all year since 2011).
pub const OFFSET: &str = "+03:00";

/// One provider's description, enough to write its documents and its config.
#[derive(Debug, Clone)]
pub struct Spec {
    pub id: String,
    pub name: String,
    pub lang: &'static str,
    pub format: Format,
    /// Path on the server.
    pub path: String,
    /// The config file's comment (one line per entry).
    pub comment: Vec<String>,
    /// `default-venue` / `default-address`, when the provider holds most events at home.
    pub default_venue: Option<(String, String)>,
    /// The provider's site (`https://library.vitebsk.example`).
    pub site: String,
    /// HTML markup style (only for [`Format::HtmlRules`]).
    pub html_style: HtmlStyle,
}

/// The markup of an HTML list page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtmlStyle {
    /// `article.event` with `.event-date` "31.12.2026 18:30".
    Afisha,
    /// Belarusian `div.padzeya` with `p.data` "31.12.2026 а 18:30".
    Padzei,
}

/// How an item gives its start.
#[derive(Debug, Clone, PartialEq)]
pub enum When {
    /// A local (Minsk) start and optional end.
    At { start: NaiveDateTime, end: Option<NaiveDateTime> },
    /// A date that cannot be read (raw text as written).
    Unreadable(String),
    /// No date at all.
    Missing,
}

/// One item of a provider document.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    /// `None`: an item without title (and without description).
    pub title: Option<String>,
    /// HTML.
    pub description: String,
    pub when: When,
    /// Start in UTC ("Z") instead of the local offset (RSS, JSON Feed).
    pub utc: bool,
    pub venue: String,
    pub address: String,
    /// An explicit city (JSON-LD `addressLocality`).
    pub city: Option<String>,
    pub url: String,
    pub price: Option<String>,
    pub teacher: Option<String>,
    pub category: String,
    /// iCal recurrence (`FREQ=WEEKLY;COUNT=6`) and one excluded occurrence.
    pub rrule: Option<String>,
    pub exdate: Option<NaiveDateTime>,
    /// JSON-LD: a `Course` with a `CourseInstance` instead of an event.
    pub course: bool,
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn rfc3339(t: NaiveDateTime, utc: bool) -> String {
    if utc {
        let u = t - chrono::Duration::hours(3);
        format!("{}Z", u.format("%Y-%m-%dT%H:%M:%S"))
    } else {
        format!("{}{OFFSET}", t.format("%Y-%m-%dT%H:%M:%S"))
    }
}

fn start_text(item: &Item, utc: bool) -> Option<String> {
    match &item.when {
        When::At { start, .. } => Some(rfc3339(*start, utc)),
        When::Unreadable(raw) => Some(raw.clone()),
        When::Missing => None,
    }
}

fn end_of(item: &Item) -> Option<NaiveDateTime> {
    match &item.when {
        When::At { end, .. } => *end,
        _ => None,
    }
}

fn place(item: &Item) -> String {
    if item.address.is_empty() { item.venue.clone() } else { format!("{}, {}", item.venue, item.address) }
}

/// The document of `spec` with `items`, generated at `at` (its feed-level dates).
pub fn document(spec: &Spec, items: &[Item], at: DateTime<Utc>) -> Vec<u8> {
    let text = match spec.format {
        Format::Rss => rss(spec, items, at),
        Format::Atom => atom(spec, items, at),
        Format::JsonFeed => json_feed(spec, items),
        Format::Ical => ical(spec, items, at),
        Format::HtmlRules => html_rules(spec, items),
        Format::JsonLd => json_ld(spec, items),
    };
    text.into_bytes()
}

fn rss(spec: &Spec, items: &[Item], at: DateTime<Utc>) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:ev=\"http://purl.org/rss/1.0/modules/event/\">\n<channel>\n");
    let _ = writeln!(s, "  <title>{}</title>\n  <link>{}/</link>", xml(&spec.name), spec.site);
    let _ = writeln!(s, "  <description>{}</description>\n  <language>{}</language>", xml(&spec.name), spec.lang);
    let _ = writeln!(s, "  <lastBuildDate>{}</lastBuildDate>\n  <ttl>60</ttl>", at.to_rfc2822());
    for item in items {
        s.push_str("  <item>\n");
        if let Some(title) = &item.title {
            let _ = writeln!(s, "    <title>{}</title>", xml(title));
        }
        let _ = writeln!(s, "    <link>{}</link>", xml(&item.url));
        let _ = writeln!(s, "    <guid isPermaLink=\"false\">{}</guid>", xml(&item.id));
        let _ = writeln!(s, "    <pubDate>{}</pubDate>", at.to_rfc2822());
        let _ = writeln!(s, "    <category>{}</category>", xml(&item.category));
        if !item.description.is_empty() {
            let _ =
                writeln!(s, "    <description><![CDATA[{}]]></description>", item.description.replace("]]>", "]]&gt;"));
        }
        if let Some(start) = start_text(item, item.utc) {
            let _ = writeln!(s, "    <ev:startdate>{}</ev:startdate>", xml(&start));
        }
        if let Some(end) = end_of(item) {
            let _ = writeln!(s, "    <ev:enddate>{}</ev:enddate>", rfc3339(end, item.utc));
        }
        if !item.venue.is_empty() {
            let _ = writeln!(s, "    <ev:location>{}</ev:location>", xml(&place(item)));
        }
        if let Some(t) = &item.teacher {
            let _ = writeln!(s, "    <ev:organizer>{}</ev:organizer>", xml(t));
        }
        s.push_str("  </item>\n");
    }
    s.push_str("</channel>\n</rss>\n");
    s
}

fn xcal(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn atom(spec: &Spec, items: &[Item], at: DateTime<Utc>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:xCal=\"urn:ietf:params:xml:ns:xcal\" xml:lang=\"{}\">",
        spec.lang
    );
    let _ = writeln!(s, "  <title>{}</title>\n  <id>{}/</id>", xml(&spec.name), spec.site);
    let _ = writeln!(s, "  <updated>{}</updated>", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let _ = writeln!(s, "  <link rel=\"alternate\" type=\"text/html\" href=\"{}/\"/>", spec.site);
    let _ = writeln!(s, "  <author><name>{}</name></author>", xml(&spec.name));
    for item in items {
        s.push_str("  <entry>\n");
        let _ = writeln!(s, "    <id>{}</id>", xml(&item.id));
        if let Some(title) = &item.title {
            let _ = writeln!(s, "    <title type=\"text\">{}</title>", xml(title));
        }
        let _ = writeln!(s, "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>", xml(&item.url));
        let _ = writeln!(s, "    <updated>{}</updated>", at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let _ = writeln!(s, "    <category term=\"{}\"/>", xml(&item.category));
        if let Some(t) = &item.teacher {
            let _ = writeln!(s, "    <author><name>{}</name></author>", xml(t));
        }
        if !item.description.is_empty() {
            let _ = writeln!(s, "    <content type=\"html\">{}</content>", xml(&item.description));
        }
        match &item.when {
            When::At { start, end } => {
                let _ = writeln!(s, "    <xCal:dtstart>{}</xCal:dtstart>", xcal(*start));
                if let Some(end) = end {
                    let _ = writeln!(s, "    <xCal:dtend>{}</xCal:dtend>", xcal(*end));
                }
            }
            When::Unreadable(raw) => {
                let _ = writeln!(s, "    <xCal:dtstart>{}</xCal:dtstart>", xml(raw));
            }
            When::Missing => {}
        }
        if !item.venue.is_empty() {
            let _ = writeln!(s, "    <xCal:location>{}</xCal:location>", xml(&place(item)));
        }
        s.push_str("  </entry>\n");
    }
    s.push_str("</feed>\n");
    s
}

fn json_feed(spec: &Spec, items: &[Item]) -> String {
    let items: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut o = json!({"id": item.id, "url": item.url});
            if let Some(title) = &item.title {
                o["title"] = json!(title);
            }
            o["content_html"] = json!(item.description);
            o["tags"] = json!([item.category]);
            if let Some(t) = &item.teacher {
                o["authors"] = json!([{"name": t}]);
            }
            let mut event = json!({});
            if let Some(start) = start_text(item, item.utc) {
                event["start_date"] = json!(start);
            }
            if let Some(end) = end_of(item) {
                event["end_date"] = json!(rfc3339(end, item.utc));
            }
            if !item.venue.is_empty() {
                event["location"] = json!({"name": item.venue, "address": item.address});
            }
            o["_event"] = event;
            o
        })
        .collect();
    let feed = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": spec.name,
        "home_page_url": format!("{}/", spec.site),
        "language": spec.lang,
        "items": items,
    });
    let mut s = serde_json::to_string_pretty(&feed).unwrap_or_default();
    s.push('\n');
    s
}

fn ical_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace(';', "\\;").replace(',', "\\,").replace('\n', "\\n")
}

/// Appends a content line folded at 75 octets (never inside a character).
fn ical_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// Strips tags from generated HTML (iCal descriptions are plain text).
fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn ical(spec: &Spec, items: &[Item], at: DateTime<Utc>) -> String {
    let mut s = String::new();
    let stamp = at.format("%Y%m%dT%H%M%SZ").to_string();
    for line in
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//learncity//citygen//EN", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    {
        ical_line(&mut s, line);
    }
    ical_line(&mut s, &format!("X-WR-CALNAME:{}", ical_escape(&spec.name)));
    ical_line(&mut s, "X-WR-TIMEZONE:Europe/Minsk");
    for line in [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Minsk",
        "BEGIN:STANDARD",
        "DTSTART:19700101T000000",
        "TZOFFSETFROM:+0300",
        "TZOFFSETTO:+0300",
        "TZNAME:+03",
        "END:STANDARD",
        "END:VTIMEZONE",
    ] {
        ical_line(&mut s, line);
    }
    for item in items {
        ical_line(&mut s, "BEGIN:VEVENT");
        ical_line(&mut s, &format!("UID:{}", item.id));
        ical_line(&mut s, &format!("DTSTAMP:{stamp}"));
        if let Some(title) = &item.title {
            ical_line(&mut s, &format!("SUMMARY:{}", ical_escape(title)));
        }
        if !item.description.is_empty() {
            ical_line(&mut s, &format!("DESCRIPTION:{}", ical_escape(&plain(&item.description))));
        }
        ical_line(&mut s, &format!("CATEGORIES:{}", ical_escape(&item.category)));
        match &item.when {
            When::At { start, end } => {
                ical_line(&mut s, &format!("DTSTART;TZID=Europe/Minsk:{}", xcal(*start)));
                if let Some(end) = end {
                    ical_line(&mut s, &format!("DTEND;TZID=Europe/Minsk:{}", xcal(*end)));
                }
            }
            When::Unreadable(raw) => ical_line(&mut s, &format!("DTSTART:{raw}")),
            When::Missing => {}
        }
        if let Some(rule) = &item.rrule {
            ical_line(&mut s, &format!("RRULE:{rule}"));
        }
        if let Some(ex) = item.exdate {
            ical_line(&mut s, &format!("EXDATE;TZID=Europe/Minsk:{}", xcal(ex)));
        }
        if !item.venue.is_empty() {
            ical_line(&mut s, &format!("LOCATION:{}", ical_escape(&place(item))));
        }
        if let Some(t) = &item.teacher {
            ical_line(&mut s, &format!("ORGANIZER;CN=\"{}\":mailto:info@{}", t.replace('"', ""), host(&spec.site)));
        }
        ical_line(&mut s, &format!("URL:{}", item.url));
        ical_line(&mut s, "END:VEVENT");
    }
    ical_line(&mut s, "END:VCALENDAR");
    s
}

fn host(site: &str) -> &str {
    site.split_once("://").map_or(site, |(_, h)| h).trim_end_matches('/')
}

fn page_head(spec: &Spec, heading: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>{name}</title>\n</head>\n<body>\n<header><a href=\"{site}/\">{name}</a></header>\n<main>\n<h1>{heading}</h1>\n",
        lang = spec.lang,
        name = xml(&spec.name),
        site = spec.site,
        heading = xml(heading),
    )
}

const PAGE_TAIL: &str = "</main>\n<footer>© Demo city of learncity. Fictional provider.</footer>\n</body>\n</html>\n";

fn html_rules(spec: &Spec, items: &[Item]) -> String {
    let heading = if spec.lang == "be" { "Падзеі" } else { "Афиша мероприятий" };
    let mut s = page_head(spec, heading);
    for item in items {
        let title = item.title.as_deref().map(xml).unwrap_or_default();
        match spec.html_style {
            HtmlStyle::Afisha => {
                let _ = writeln!(s, "<article class=\"event\" data-id=\"{}\">", xml(&item.id));
                let _ = writeln!(s, "  <h3><a href=\"{}\">{title}</a></h3>", xml(&item.url));
                if let Some(d) = date_text(item, "%d.%m.%Y %H:%M") {
                    let _ = writeln!(s, "  <div class=\"event-date\">{d}</div>");
                }
                let _ = writeln!(s, "  <div class=\"event-place\">{}</div>", xml(&place(item)));
                let _ = writeln!(s, "  <div class=\"event-text\">{}</div>", item.description);
                if let Some(p) = &item.price {
                    let _ = writeln!(s, "  <div class=\"event-price\">{}</div>", xml(p));
                }
                let _ = writeln!(s, "  <div class=\"event-tags\"><a href=\"#\">{}</a></div>", xml(&item.category));
                s.push_str("</article>\n");
            }
            HtmlStyle::Padzei => {
                let _ = writeln!(s, "<div class=\"padzeya\" data-nid=\"{}\">", xml(&item.id));
                let _ = writeln!(s, "  <h2 class=\"nazva\"><a href=\"{}\">{title}</a></h2>", xml(&item.url));
                if let Some(d) = date_text(item, "%d.%m.%Y а %H:%M") {
                    let _ = writeln!(s, "  <p class=\"data\">{d}</p>");
                }
                let _ = writeln!(s, "  <p class=\"mesca\">{}</p>", xml(&place(item)));
                let _ = writeln!(s, "  <div class=\"apisanne\">{}</div>", item.description);
                if let Some(p) = &item.price {
                    let _ = writeln!(s, "  <p class=\"kosht\">{}</p>", xml(p));
                }
                s.push_str("</div>\n");
            }
        }
    }
    s.push_str(PAGE_TAIL);
    s
}

fn date_text(item: &Item, format: &str) -> Option<String> {
    match &item.when {
        When::At { start, .. } => Some(start.format(format).to_string()),
        When::Unreadable(raw) => Some(xml(raw)),
        When::Missing => None,
    }
}

/// The `[reader.html]` rules of a page style.
fn html_rules_toml(style: HtmlStyle) -> &'static str {
    match style {
        HtmlStyle::Afisha => {
            "[reader.html]\nitem = \"article.event\"\ntitle = \"h3\"\nlink = { selector = \"h3 a\", attr = \"href\" }\nstart = { selector = \".event-date\", formats = [\"%d.%m.%Y %H:%M\"] }\ndescription = \".event-text\"\nlocation = \".event-place\"\nprice = \".event-price\"\ncategory = \".event-tags a\"\nid = { selector = \":scope\", attr = \"data-id\" }\n"
        }
        HtmlStyle::Padzei => {
            "[reader.html]\nitem = \"div.padzeya\"\ntitle = \"h2.nazva\"\nlink = { selector = \"h2.nazva a\", attr = \"href\" }\nstart = { selector = \"p.data\", formats = [\"%d.%m.%Y а %H:%M\"] }\nlocation = \"p.mesca\"\ndescription = \"div.apisanne\"\nprice = \"p.kosht\"\nid = { selector = \":scope\", attr = \"data-nid\" }\n"
        }
    }
}

fn json_ld(spec: &Spec, items: &[Item]) -> String {
    let heading = if spec.lang == "be" { "Падзеі і курсы" } else { "Events and courses" };
    let mut s = page_head(spec, heading);
    let blocks: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut location = json!({"@type": "Place", "name": item.venue});
            let mut address = json!({"@type": "PostalAddress", "streetAddress": item.address});
            if let Some(city) = &item.city {
                address["addressLocality"] = json!(city);
            }
            location["address"] = address;
            let mut when = json!({});
            if let Some(start) = start_text(item, false) {
                when["startDate"] = json!(start);
            }
            if let Some(end) = end_of(item) {
                when["endDate"] = json!(rfc3339(end, false));
            }
            let mut o = json!({"@context": "https://schema.org"});
            if item.course {
                o["@type"] = json!("Course");
                o["@id"] = json!(item.id);
                let mut instance = json!({"@type": "CourseInstance", "courseMode": "onsite", "location": location});
                for (k, v) in when.as_object().into_iter().flatten() {
                    instance[k] = v.clone();
                }
                if let Some(t) = &item.teacher {
                    instance["instructor"] = json!({"@type": "Person", "name": t});
                }
                o["hasCourseInstance"] = instance;
                o["provider"] = json!({"@type": "Organization", "name": spec.name, "url": format!("{}/", spec.site)});
            } else {
                o["@type"] = json!("EducationEvent");
                o["@id"] = json!(item.id);
                for (k, v) in when.as_object().into_iter().flatten() {
                    o[k] = v.clone();
                }
                o["eventAttendanceMode"] = json!("https://schema.org/OfflineEventAttendanceMode");
                o["location"] = location;
                if let Some(t) = &item.teacher {
                    o["performer"] = json!({"@type": "Person", "name": t});
                }
                o["organizer"] = json!({"@type": "Organization", "name": spec.name, "url": format!("{}/", spec.site)});
            }
            if let Some(title) = &item.title {
                o["name"] = json!(title);
            }
            o["description"] = json!(plain(&item.description));
            o["url"] = json!(item.url);
            o["inLanguage"] = json!(spec.lang);
            if let Some(p) = &item.price {
                o["offers"] = json!({"@type": "Offer", "description": p, "priceCurrency": "BYN"});
            }
            o
        })
        .collect();
    // `</` never appears inside the script: every `<` in a string is escaped.
    let data = serde_json::to_string_pretty(&Value::Array(blocks)).unwrap_or_default().replace('<', "\\u003c");
    let _ = writeln!(s, "<script type=\"application/ld+json\">\n{data}\n</script>");
    s.push_str("<ul class=\"events\">\n");
    for item in items {
        let when = date_text(item, "%d.%m.%Y %H:%M").unwrap_or_default();
        let title = item.title.as_deref().map(xml).unwrap_or_default();
        let _ = writeln!(s, "  <li><a href=\"{}\">{title}</a> <time>{when}</time></li>", xml(&item.url));
    }
    s.push_str("</ul>\n");
    s.push_str(PAGE_TAIL);
    s
}

/// The provider config file of `spec`, served from `base_url`.
pub fn provider_toml(spec: &Spec, city: &str, base_url: &str) -> String {
    let mut s = String::new();
    for line in &spec.comment {
        let _ = writeln!(s, "# {line}");
    }
    let _ = writeln!(s, "id = \"{}\"", spec.id);
    let _ = writeln!(s, "name = {}", toml_str(&spec.name));
    let _ = writeln!(s, "city = {}", toml_str(city));
    let _ = writeln!(s, "url = \"{}{}\"", base_url.trim_end_matches('/'), spec.path);
    let _ = writeln!(s, "format = \"{}\"", spec.format.config_name());
    let _ = writeln!(s, "listing = \"{}\"", spec.format.listing());
    s.push_str("allow-private = true\n\n[reader]\ntime-zone = \"Europe/Minsk\"\n");
    let _ = writeln!(s, "default-language = \"{}\"", spec.lang);
    if let Some((venue, address)) = &spec.default_venue {
        let _ = writeln!(s, "default-venue = {}", toml_str(venue));
        let _ = writeln!(s, "default-address = {}", toml_str(address));
    }
    if spec.format == Format::HtmlRules {
        s.push('\n');
        s.push_str(html_rules_toml(spec.html_style));
    }
    s
}

fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}
