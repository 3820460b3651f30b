//! Calendar links as people paste them, turned into the URL that serves the calendar itself.
//!
//! Providers hand out the link their calendar program shows them, which is often a page about
//! the calendar or a scheme no HTTP client speaks:
//!
//! | given | fetched |
//! |---|---|
//! | `webcal://host/path`, `webcals://host/path` | `https://host/path` |
//! | `https://calendar.google.com/calendar/embed?src=ID` (also `/calendar/u/0/embed`, `?cid=ID`) | `https://calendar.google.com/calendar/ical/ID/public/basic.ics` |
//! | `https://outlook.office365.com/owa/calendar/…/calendar.html` (also `outlook.live.com`) | the same path ending in `calendar.ics` |
//! | `https://cloud.example/index.php/apps/calendar/p/TOKEN[/view/date]` (Nextcloud public link, also without `index.php` and `…/embed/TOKEN`) | `https://cloud.example/remote.php/dav/public-calendars/TOKEN?export` |
//!
//! Everything else is returned unchanged, so the function can be applied to any provider URL.
//! Pure: no I/O.

use url::Url;

/// The URL to fetch for `url`: a calendar link rewritten to its iCalendar export (see the module
/// docs), any other URL unchanged.
pub fn fetchable_url(url: &Url) -> Url {
    let url = match url.scheme() {
        // The `url` crate cannot switch a non-special scheme to a special one in place.
        "webcal" | "webcals" => {
            let rest = url.as_str().split_once(':').map_or("", |(_, rest)| rest);
            match Url::parse(&format!("https:{rest}")) {
                Ok(u) => u,
                Err(_) => return url.clone(),
            }
        }
        _ => url.clone(),
    };
    if !matches!(url.scheme(), "http" | "https") {
        return url;
    }
    google(&url).or_else(|| outlook(&url)).or_else(|| nextcloud(&url)).unwrap_or(url)
}

/// Google Calendar's embed or subscribe page → the public iCal feed of its (first) calendar.
fn google(url: &Url) -> Option<Url> {
    if url.host_str()? != "calendar.google.com" {
        return None;
    }
    let path = url.path();
    if path.contains("/ical/") {
        return None;
    }
    let is_page = path.ends_with("/embed") || path.ends_with("/render") || path.ends_with("/r") || path == "/calendar";
    if !is_page {
        return None;
    }
    let id = url.query_pairs().find(|(k, v)| matches!(k.as_ref(), "src" | "cid") && !v.trim().is_empty())?.1;
    let id = id.trim();
    // Calendar ids are e-mail-like (`name@group.calendar.google.com`); a `cid` may be one too.
    if !id.contains('@') {
        return None;
    }
    // Written as Google writes it (`%40`); path segments would leave `@` bare.
    let id: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    Url::parse(&format!("https://calendar.google.com/calendar/ical/{id}/public/basic.ics")).ok()
}

/// Outlook's published calendar page (`…/calendar.html`) → its iCalendar twin (`…/calendar.ics`).
fn outlook(url: &Url) -> Option<Url> {
    let host = url.host_str()?;
    if !(host.starts_with("outlook.") && (host.ends_with(".com") || host.ends_with(".net"))) {
        return None;
    }
    let path = url.path();
    if !path.contains("/owa/calendar/") || !path.ends_with(".html") {
        return None;
    }
    let mut out = url.clone();
    out.set_path(&format!("{}.ics", path.trim_end_matches(".html")));
    Some(out)
}

/// A Nextcloud public calendar link → the calendar's export through WebDAV.
fn nextcloud(url: &Url) -> Option<Url> {
    let segments: Vec<&str> = url.path_segments()?.collect();
    let at = segments.windows(3).position(|w| w[0] == "apps" && w[1] == "calendar" && matches!(w[2], "p" | "embed"))?;
    let token = segments.get(at + 3).filter(|t| !t.is_empty())?;
    // The instance may live under a sub-path (`/nextcloud/index.php/apps/…`).
    let prefix: Vec<&str> = segments[..at].iter().copied().filter(|s| *s != "index.php").collect();
    let mut out = url.clone();
    out.set_query(None);
    out.set_fragment(None);
    out.path_segments_mut().ok()?.clear().extend(prefix.iter().filter(|s| !s.is_empty())).extend([
        "remote.php",
        "dav",
        "public-calendars",
        token,
    ]);
    out.set_query(Some("export"));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetchable(s: &str) -> String {
        fetchable_url(&Url::parse(s).unwrap()).to_string()
    }

    #[test]
    fn webcal_becomes_https() {
        assert_eq!(fetchable("webcal://example.org/cal/events.ics"), "https://example.org/cal/events.ics");
        assert_eq!(fetchable("webcals://example.org:8443/a.ics?x=1"), "https://example.org:8443/a.ics?x=1");
        assert_eq!(fetchable("WEBCAL://Example.org/a.ics"), "https://example.org/a.ics");
    }

    #[test]
    fn google_embed_and_subscribe_links_become_the_ical_feed() {
        let want = "https://calendar.google.com/calendar/ical/abc123%40group.calendar.google.com/public/basic.ics";
        for given in [
            "https://calendar.google.com/calendar/embed?src=abc123%40group.calendar.google.com&ctz=Europe%2FMinsk",
            "https://calendar.google.com/calendar/u/0/embed?src=abc123@group.calendar.google.com",
            "https://calendar.google.com/calendar/embed?height=600&src=abc123%40group.calendar.google.com&src=other%40x",
            "https://calendar.google.com/calendar/r?cid=abc123@group.calendar.google.com",
            "webcal://calendar.google.com/calendar/embed?src=abc123%40group.calendar.google.com",
        ] {
            assert_eq!(fetchable(given), want, "{given}");
        }
        // Already the feed; and a page without a calendar id, left alone.
        assert_eq!(fetchable(want), want);
        let plain = "https://calendar.google.com/calendar/embed?ctz=Europe%2FMinsk";
        assert_eq!(fetchable(plain), plain);
        let webcal_feed = "webcal://calendar.google.com/calendar/ical/x%40gmail.com/public/basic.ics";
        assert_eq!(fetchable(webcal_feed), "https://calendar.google.com/calendar/ical/x%40gmail.com/public/basic.ics");
    }

    #[test]
    fn outlook_published_page_becomes_ics() {
        assert_eq!(
            fetchable("https://outlook.office365.com/owa/calendar/0a1b2c@vhs.example/d3e4f5/calendar.html"),
            "https://outlook.office365.com/owa/calendar/0a1b2c@vhs.example/d3e4f5/calendar.ics"
        );
        assert_eq!(
            fetchable("https://outlook.live.com/owa/calendar/00000000-0000/abcd/cid-XYZ/calendar.html"),
            "https://outlook.live.com/owa/calendar/00000000-0000/abcd/cid-XYZ/calendar.ics"
        );
        let ics = "https://outlook.office365.com/owa/calendar/a@b.example/c/calendar.ics";
        assert_eq!(fetchable(ics), ics);
        // Only Outlook's own host.
        let other = "https://intranet.example/owa/calendar/a/calendar.html";
        assert_eq!(fetchable(other), other);
    }

    #[test]
    fn nextcloud_public_link_becomes_the_dav_export() {
        for (given, want) in [
            (
                "https://cloud.example/index.php/apps/calendar/p/AbCdEf123",
                "https://cloud.example/remote.php/dav/public-calendars/AbCdEf123?export",
            ),
            (
                "https://cloud.example/apps/calendar/p/AbCdEf123/dayGridMonth/now",
                "https://cloud.example/remote.php/dav/public-calendars/AbCdEf123?export",
            ),
            (
                "https://example.org/nextcloud/index.php/apps/calendar/embed/Tok3n?view=list",
                "https://example.org/nextcloud/remote.php/dav/public-calendars/Tok3n?export",
            ),
        ] {
            assert_eq!(fetchable(given), want, "{given}");
        }
        let no_token = "https://cloud.example/index.php/apps/calendar/p/";
        assert_eq!(fetchable(no_token), no_token);
    }

    #[test]
    fn other_urls_are_unchanged() {
        for s in [
            "https://library.vitebsk.example/afisha/",
            "http://example.org/feed.xml?page=2",
            "file:///tmp/events.ics",
            "https://example.org/apps/calendar/index.html",
        ] {
            assert_eq!(fetchable(s), s);
        }
    }
}
