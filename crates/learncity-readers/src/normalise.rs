//! Drafts to offerings: the one place where every format is normalised the same way.
//!
//! Steps per item: clean title (an item without one is dropped with a warning) → sanitise the
//! description and derive a plain-text summary → split free-text location → collect meeting
//! links → infer mode, kind, categories, audience, price → apply the provider's defaults →
//! sort sessions → remove bidi controls and invisible characters from every short field (a
//! warning per field) → assign unique source ids over the whole document → content hash.

use learncity_model::{
    Kind, Location, Mode, Offering, Price, Provenance, SCHEMA_VERSION, SUMMARY_MAX_CHARS, Session, SourceFormat,
    Status, taxonomy,
};

use crate::draft::Draft;
use crate::identity::{self, IdCandidates};
use crate::infer::{self, ModeEvidence};
use crate::text::{self, clean_text, collapse_whitespace, resolve_url, sanitize_html};
use crate::{ReadContext, Warning};

/// Longest title kept; longer ones are cut with a warning.
const TITLE_MAX_CHARS: usize = 300;
/// Longest title derived from a description, for items without a title.
const DERIVED_TITLE_MAX_CHARS: usize = 120;
/// Longest description kept (sanitised HTML, characters); longer ones are cut with a warning.
const DESCRIPTION_MAX_CHARS: usize = 100_000;
/// Related URLs kept per offering (a description full of links says little about identity).
const MAX_RELATED_URLS: usize = 16;

/// Turns the drafts of one document into offerings plus the warnings of every item.
pub fn finish(drafts: Vec<Draft>, format: SourceFormat, ctx: &ReadContext<'_>) -> (Vec<Offering>, Vec<Warning>) {
    let mut built: Vec<Built> = Vec::with_capacity(drafts.len());
    let mut warnings = Vec::new();
    for (index, draft) in drafts.into_iter().enumerate() {
        if !crate::budget::alive() {
            break;
        }
        let position = format!("item {}", index + 1);
        match build(draft, format, ctx) {
            Ok((offering, guid, item_warnings)) => built.push((offering, guid, item_warnings)),
            Err(item_warnings) => warnings.extend(
                item_warnings
                    .into_iter()
                    .map(|(field, message)| Warning::field(Some(position.clone()), &field, message)),
            ),
        }
    }

    let candidates: Vec<IdCandidates<'_>> = built
        .iter()
        .map(|(o, guid, _)| IdCandidates {
            guid: guid.as_deref(),
            url: o.landing_url.as_deref(),
            title: &o.title,
            first_start: o.first_start(),
        })
        .collect();
    let ids = identity::assign_source_ids(&candidates);

    let mut offerings = Vec::with_capacity(built.len());
    for ((mut offering, _, item_warnings), id) in built.into_iter().zip(ids) {
        offering.source_id = id;
        offering.provenance.content_hash = identity::content_hash(&offering);
        warnings.extend(
            item_warnings
                .into_iter()
                .map(|(field, message)| Warning::field(Some(offering.source_id.clone()), &field, message)),
        );
        offerings.push(offering);
    }
    (offerings, warnings)
}

type Built = (Offering, Option<String>, Vec<(String, String)>);

/// Builds one offering (without its source id and hash). `Err` carries the warnings of an item
/// that cannot become an offering.
fn build(mut d: Draft, format: SourceFormat, ctx: &ReadContext<'_>) -> Result<Built, Vec<(String, String)>> {
    let settings = ctx.settings;
    let base = ctx.document_url;
    let mut warnings = std::mem::take(&mut d.warnings);

    // Description: provider HTML is sanitised; plain text becomes escaped paragraphs.
    let description_source = match (&d.description_html, &d.description_text) {
        (Some(html), _) if !html.trim().is_empty() => html.clone(),
        (_, Some(plain)) if !plain.trim().is_empty() => text_to_html(plain),
        _ => String::new(),
    };
    let mut description_html = sanitize_html(&description_source, base);
    if description_html.chars().count() > DESCRIPTION_MAX_CHARS {
        description_html =
            sanitize_html(&description_html.chars().take(DESCRIPTION_MAX_CHARS).collect::<String>(), base);
        warnings.push((
            "description".into(),
            format!("description longer than {DESCRIPTION_MAX_CHARS} characters was truncated"),
        ));
    }
    let description_plain = text::html_to_text(&description_html);
    let mut raw_title = d.title.as_deref().map(clean_text).unwrap_or_default();
    if raw_title.is_empty() {
        // RSS allows items with a description only: its first line stands in for a title.
        let stand_in = d
            .summary
            .as_deref()
            .map(|s| text::html_to_text(&sanitize_html(s, base)))
            .filter(|s| !s.trim().is_empty())
            .unwrap_or_else(|| description_plain.clone());
        let first_line = stand_in.lines().map(collapse_whitespace).find(|l| !l.is_empty()).unwrap_or_default();
        if first_line.is_empty() {
            warnings.push(("title".into(), "the item has no title and no description and was skipped".into()));
            return Err(warnings);
        }
        raw_title = text::truncate_chars(&first_line, DERIVED_TITLE_MAX_CHARS).0;
        warnings.push(("title".into(), "the item has no title; the start of its description stands in for one".into()));
    }
    let (title, cut) = text::truncate_chars(&raw_title, TITLE_MAX_CHARS);
    if cut {
        warnings.push(("title".into(), format!("title longer than {TITLE_MAX_CHARS} characters was truncated")));
    }
    let summary_source = d
        .summary
        .as_deref()
        .map(|s| {
            if s.contains('<') || s.contains('&') { text::html_to_text(&sanitize_html(s, base)) } else { s.to_owned() }
        })
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| description_plain.clone());
    let (summary, _) = text::truncate_chars(&collapse_whitespace(&summary_source), SUMMARY_MAX_CHARS);
    let summary = (!summary.is_empty() && summary != title).then_some(summary);
    // What dates, prices, ages and schedules are read from: the description, and a summary that
    // says more than it ("Thursday 14 January, 7 pm." in an Atom entry's summary beside a
    // content about the place; an RSS description beside its `content:encoded`).
    let words = words_of(&summary_source, &description_plain);

    // Location: structured fields win; free text fills venue/address when they are empty.
    let mut location = d.location.clone();
    location.venue = location.venue.as_deref().map(clean_text).filter(|s| !s.is_empty());
    location.address = location.address.as_deref().map(clean_text).filter(|s| !s.is_empty());
    // A news item's place is often only in its text ("Место проведения: ...").
    let location_text = d.location_text.as_deref().map(clean_text).filter(|s| !s.is_empty()).or_else(|| {
        (location.is_empty() && d.online_urls.is_empty()).then(|| crate::prose::place::in_text(&words)).flatten()
    });
    let mut online_urls: Vec<String> = d.online_urls.iter().filter_map(|u| resolve_url(base, u)).collect();
    if let Some(lt) = &location_text {
        let links = infer::meeting_links(lt);
        if links.is_empty() && resolve_url(None, lt).is_none() && !infer::is_virtual_place(lt) {
            if location.venue.is_none() && location.address.is_none() {
                let place = crate::prose::place::split(lt);
                location.venue = place.venue;
                location.address = place.address;
                location.city = location.city.or(place.city);
                location.postal_code = location.postal_code.or(place.postal_code);
            }
        } else {
            online_urls.extend(links);
        }
    }
    online_urls.extend(infer::meeting_links(&description_source));
    if let Some(url) = d.url.as_deref().filter(|u| infer::is_meeting_url(u)) {
        online_urls.push(url.to_owned());
    }
    dedup_keep_order(&mut online_urls);
    if let Some(geo) = location.geo
        && !((-90.0..=90.0).contains(&geo.lat) && (-180.0..=180.0).contains(&geo.lon))
    {
        warnings.push(("geo".into(), format!("coordinates {},{} are out of range and were dropped", geo.lat, geo.lon)));
        location.geo = None;
    }
    let has_place = location.venue.is_some() || location.address.is_some() || location.geo.is_some();

    // Mode: stated → inferred → provider default → unknown.
    let evidence_text =
        [title.as_str(), &words, location_text.as_deref().unwrap_or(""), &d.categories.join(" ")].join("\n");
    let mode = d
        .mode
        .or_else(|| {
            infer::infer_mode(&ModeEvidence {
                has_place,
                has_online_link: !online_urls.is_empty(),
                text: &evidence_text,
                online_keywords: &settings.online_keywords,
                in_person_keywords: &settings.in_person_keywords,
            })
        })
        .or(settings.default_mode)
        .unwrap_or(if settings.default_venue.is_some() { Mode::InPerson } else { Mode::Unknown });
    if matches!(mode, Mode::InPerson | Mode::Hybrid) {
        if !has_place {
            location.venue = location.venue.or_else(|| settings.default_venue.clone());
            location.address = location.address.or_else(|| settings.default_address.clone());
        }
        if location.city.is_none() {
            // A town the venue names ("Barysaŭ Museum") before the provider's default: a
            // provider may cover several towns.
            location.city = location
                .venue
                .as_deref()
                .and_then(crate::prose::place::town_in_venue)
                .or_else(|| settings.default_city.clone());
        }
    }
    let location = (!location.is_empty()).then_some(location);

    let provider_categories: Vec<String> = {
        let mut v: Vec<String> = d.categories.iter().map(|c| clean_text(c)).filter(|c| !c.is_empty()).collect();
        dedup_keep_order(&mut v);
        v
    };
    let categories = map_categories(&title, &provider_categories, &settings.default_categories);

    let mut languages: Vec<String> = Vec::new();
    for l in &d.languages {
        match text::normalise_language(l) {
            Some(tag) => languages.push(tag),
            None => warnings.push(("language".into(), format!("`{l}` is not a recognisable language; ignored"))),
        }
    }
    if languages.is_empty()
        && let Some(l) = &settings.default_language
    {
        languages.push(l.clone());
    }
    dedup_keep_order(&mut languages);

    // A tag or category names ages too ("0+", "12+").
    let audience_text =
        [d.audience_text.as_deref().unwrap_or(""), &title, &words, &d.categories.join(".\n")].join("\n");
    let mined = infer::parse_audience(&audience_text);
    let mut audience = d.audience.clone();
    audience.age_min = audience.age_min.or(mined.age_min);
    audience.age_max = audience.age_max.or(mined.age_max);
    audience.groups.extend(mined.groups);
    dedup_keep_order(&mut audience.groups);
    audience.accessibility.extend(mined.accessibility);
    dedup_keep_order(&mut audience.accessibility);
    if let (Some(lo), Some(hi)) = (audience.age_min, audience.age_max)
        && lo > hi
    {
        warnings.push(("audience".into(), format!("age range {lo}–{hi} is reversed; the maximum was dropped")));
        audience.age_max = None;
    }
    // "Возрастные ограничения уточняются": an age limit spoken of without a value.
    if audience.age_min.is_none()
        && audience.age_max.is_none()
        && let Some(sentence) = d
            .audience_text
            .as_deref()
            .and_then(crate::prose::age::unreadable_field)
            .or_else(|| crate::prose::age::unreadable(&audience_text))
    {
        warnings.push((
            "age".into(),
            format!("`{sentence}` speaks of an age limit but gives no age; the ages are left empty"),
        ));
    }

    let price = read_price(&d, &title, &words, &mut warnings);

    let sessions = tidy_sessions(std::mem::take(&mut d.sessions), &mut warnings);
    // A news feed or page that dates its event only in the text; a report on something past
    // ("Итоги конкурса") dates no offering.
    let report = d.kind.is_none() && sessions.is_empty() && infer::reports_on_past(&title);
    let sessions = if sessions.is_empty() && !report && crate::prose::schedule::unknown_date(&words).is_none() {
        let clock = crate::dates::Clock { now: ctx.fetched_at, tz: settings.tz() };
        [title.as_str(), &words]
            .into_iter()
            .find_map(|text| crate::dates::first_in_text(text, &clock))
            .map(|span| vec![crate::dates::to_session(&span.start, span.end.as_ref(), settings.tz(), true)])
            .unwrap_or_default()
    } else {
        sessions
    };
    // The feed's "no event date" is void once the words gave one (the collector enriches only
    // undated items, so its promise to look on the landing page would be false).
    if !sessions.is_empty() {
        warnings.retain(|(field, message)| !(field == "start" && message == crate::feed::NO_DATE));
    }
    let sessions = if d.recurrence.is_none() {
        sessions_from_schedule(sessions, d.schedule_text.as_deref(), &words, settings, &mut warnings)
    } else {
        sessions
    };
    if sessions.is_empty() && !warnings.iter().any(|(f, _)| f == "start") {
        warnings.push(("start".into(), "the item has no date".into()));
    }
    if sessions.is_empty()
        && let Some(why) = undated_schedule(d.schedule_text.as_deref(), &words, mode == Mode::Online)
    {
        warnings.push(("sessions".into(), why));
    }
    // A kind the format states, then one the title or categories name, then a course for three
    // sessions or more that speak of teaching, then a course for a title of teaching, then the
    // description's words (the provider's default beats the
    // weakest of those, "event" from words like "вечер").
    let kind = d
        .kind
        .or_else(|| report.then_some(Kind::Other))
        .or_else(|| infer::kind_named(&title, &provider_categories))
        .or_else(|| (sessions.len() >= 3 && infer::teaches(&format!("{title}\n{words}"))).then_some(Kind::Course))
        // "IELTS Preparation", "Polish B1 evening group": a title of teaching.
        .or_else(|| infer::teaches(&title).then_some(Kind::Course))
        .or_else(|| infer::kind_in(&words).filter(|k| *k != Kind::Event || settings.default_kind.is_none()))
        .or(settings.default_kind)
        .unwrap_or(if sessions.is_empty() { Kind::Other } else { Kind::Event });

    let mut images: Vec<String> = d.images.iter().filter_map(|u| resolve_url(base, u)).collect();
    dedup_keep_order(&mut images);
    let landing_url = d.url.as_deref().and_then(|u| resolve_url(base, u));
    let registration_url = d.registration_url.as_deref().and_then(|u| resolve_url(base, u));
    let online_url = online_urls.into_iter().next();
    let own: Vec<&str> =
        [&landing_url, &registration_url, &online_url].into_iter().flatten().map(String::as_str).collect();
    let mut related_urls: Vec<String> = d
        .related_urls
        .iter()
        .map(String::as_str)
        .chain(text::linked_urls(&description_html, &words))
        .filter_map(|u| resolve_url(base, u))
        .filter(|u| !own.contains(&u.as_str()) && !images.contains(u))
        .collect();
    dedup_keep_order(&mut related_urls);
    related_urls.truncate(MAX_RELATED_URLS);

    // A title that announces its cancellation ("Отменяется лекция…") cancels the item whatever
    // the format's status field says.
    let status = if d.status == Status::Scheduled && infer::announces_cancellation(&title) {
        Status::Cancelled
    } else {
        d.status
    };
    let mut offering = Offering {
        schema_version: SCHEMA_VERSION,
        source_id: String::new(),
        provider: ctx.provider.clone(),
        title,
        summary,
        description_html: (!description_html.is_empty()).then_some(description_html),
        kind,
        mode,
        status,
        sessions,
        recurrence: d.recurrence.take(),
        location,
        online_url,
        languages,
        audience,
        price,
        categories,
        provider_categories,
        organizer: d.organizer.take().filter(|p| !p.name.trim().is_empty()),
        teachers: std::mem::take(&mut d.teachers).into_iter().filter(|p| !p.name.trim().is_empty()).collect(),
        landing_url,
        registration_url,
        images,
        related_urls,
        provenance: Provenance {
            format: d.format.unwrap_or(format),
            fetched_at: ctx.fetched_at,
            document_url: ctx.document_url.map(|u| u.to_string()),
            content_hash: String::new(),
            source_updated_at: d.updated_at,
            source_published_at: d.published_at,
        },
    };
    let mut guid = d.guid.take().map(|g| g.trim().to_owned());
    scrub_short_fields(&mut offering, &mut guid, &mut warnings);
    // One key per place whatever the spelling ("Віцебск", "г. Витебск", "Viciebsk"), the
    // provider's spelling kept in `city`.
    if let Some(l) = &mut offering.location {
        l.place = l.city.as_deref().and_then(learncity_model::places::key_of).map(str::to_owned);
    }
    if offering.title.is_empty() {
        warnings.push(("title".into(), "the title is made only of invisible characters; the item was skipped".into()));
        return Err(warnings);
    }
    Ok((offering, guid, warnings))
}

/// Removes bidi controls and invisible characters ([`text::strip_invisible`]) from every short field
/// a resident sees — title, summary, place, organiser, teachers, categories, audience, price text —
/// and from the guid the item's id comes from, with one warning per field that had any. A field left
/// empty is dropped.
fn scrub_short_fields(o: &mut Offering, guid: &mut Option<String>, warnings: &mut Vec<(String, String)>) {
    let mut changed: Vec<&'static str> = Vec::new();
    let mut one = |field: &'static str, value: &mut String| {
        if let std::borrow::Cow::Owned(clean) = text::strip_invisible(value) {
            *value = collapse_whitespace(&clean);
            if !changed.contains(&field) {
                changed.push(field);
            }
        }
    };
    one("title", &mut o.title);
    if let Some(v) = &mut o.summary {
        one("summary", v);
    }
    if let Some(l) = &mut o.location {
        for (field, value) in [
            ("venue", &mut l.venue),
            ("address", &mut l.address),
            ("city", &mut l.city),
            ("district", &mut l.district),
            ("postal_code", &mut l.postal_code),
            ("country", &mut l.country),
        ] {
            if let Some(v) = value {
                one(field, v);
            }
        }
    }
    if let Some(p) = &mut o.organizer {
        one("organizer", &mut p.name);
        if let Some(email) = &mut p.email {
            one("organizer", email);
        }
    }
    for t in &mut o.teachers {
        one("teachers", &mut t.name);
        if let Some(email) = &mut t.email {
            one("teachers", email);
        }
    }
    for c in &mut o.categories {
        one("categories", c);
    }
    for c in &mut o.provider_categories {
        one("categories", c);
    }
    for g in o.audience.groups.iter_mut().chain(&mut o.audience.accessibility) {
        one("audience", g);
    }
    if let Some(v) = &mut o.audience.accessibility_notes {
        one("audience", v);
    }
    if let Some(price) = &mut o.price {
        for v in [&mut price.text, &mut price.currency].into_iter().flatten() {
            one("price", v);
        }
    }
    for v in &mut o.languages {
        one("language", v);
    }
    if let Some(g) = guid {
        one("guid", g);
    }
    if changed.is_empty() {
        return;
    }
    let empty = |v: &mut Option<String>| {
        if v.as_deref().is_some_and(str::is_empty) {
            *v = None;
        }
    };
    empty(&mut o.summary);
    empty(guid);
    if let Some(p) = &mut o.price {
        empty(&mut p.text);
        empty(&mut p.currency);
    }
    empty(&mut o.audience.accessibility_notes);
    if let Some(l) = &mut o.location {
        for v in [&mut l.venue, &mut l.address, &mut l.city, &mut l.district, &mut l.postal_code, &mut l.country] {
            empty(v);
        }
    }
    if o.location.as_ref().is_some_and(Location::is_empty) {
        o.location = None;
    }
    if o.organizer.as_ref().is_some_and(|p| p.name.is_empty()) {
        o.organizer = None;
    }
    o.teachers.retain(|p| !p.name.is_empty());
    for list in [&mut o.categories, &mut o.provider_categories, &mut o.audience.groups, &mut o.audience.accessibility] {
        list.retain(|v| !v.is_empty());
        dedup_keep_order(list);
    }
    for field in changed {
        warnings.push((
            field.into(),
            "bidi control or invisible characters (such as U+202E or U+200B) were removed".into(),
        ));
    }
}

/// The price: as the format states it, else read from the price field's text, the description's
/// sentences, then the title ("Бесплатный мастер-класс"). A price spoken of without a value
/// ("Стоимость уточняйте по телефону") is a warning.
fn read_price(d: &Draft, title: &str, description: &str, warnings: &mut Vec<(String, String)>) -> Option<Price> {
    use crate::prose::price::{Reading, per_stated, read};
    // What a price pays for, when its own words do not say: a sentence of the description may.
    let with_per = |mut p: Price| {
        if p.per.is_none() && !p.free {
            p.per = per_stated(description);
        }
        p
    };
    if let Some(stated) = &d.price {
        // A structured price rarely says what it pays for or gives its range; its own words
        // ("15 BYN за занятие", "10–15 BYN") or the description's may, for the same amount.
        let mut price = stated.clone();
        if !price.free {
            for text in [d.price_text.as_deref().unwrap_or(""), description] {
                let Reading::Price(words) = read(text, None) else { continue };
                let (Some(low), Some(amount)) = (words.amount, price.amount) else { continue };
                let high = words.amount_max.unwrap_or(low);
                if price.amount_max.is_none() && low <= amount && amount <= high && low < high {
                    price.amount = Some(low);
                    price.amount_max = Some(high);
                }
                if price.per.is_none() && (low == amount || high == amount) {
                    price.per = words.per;
                }
            }
        }
        return Some(with_per(price));
    }
    let field = d.price_text.as_deref().map(collapse_whitespace).filter(|t| !t.is_empty());
    let mut unreadable = None;
    if let Some(text) = &field {
        match read(text, None) {
            Reading::Price(p) => return Some(with_per(p)),
            Reading::Unreadable(_) | Reading::Nothing => unreadable = Some(text.clone()),
        }
    }
    match read(description, None) {
        Reading::Price(p) => return Some(with_per(p)),
        Reading::Unreadable(sentence) => {
            unreadable.get_or_insert(sentence);
        }
        Reading::Nothing => {}
    }
    if let Reading::Price(p) = read(title, None) {
        return Some(with_per(p));
    }
    // A tag or category: "Бесплатно", "25 BYN", "Платные мероприятия", "донат".
    match read(&d.categories.join(".\n"), None) {
        Reading::Price(p) => return Some(with_per(p)),
        Reading::Unreadable(tag) => {
            unreadable.get_or_insert(tag);
        }
        Reading::Nothing => {}
    }
    if let Some(text) = unreadable {
        warnings.push((
            "price".into(),
            format!("`{text}` speaks of a price but gives no amount with a currency and does not say free; the price is left empty"),
        ));
    }
    None
}

/// One session that spans days (a course published as its first start and the end of its last
/// session) or a schedule line, laid out as the sessions the schedule's words give. The text
/// is the `schedule` field's, else the description's.
fn sessions_from_schedule(
    sessions: Vec<Session>,
    schedule_field: Option<&str>,
    description: &str,
    settings: &crate::ReaderSettings,
    warnings: &mut Vec<(String, String)>,
) -> Vec<Session> {
    use crate::prose::schedule;
    let [first] = sessions.as_slice() else { return sessions };
    let field = schedule_field.map(collapse_whitespace).filter(|t| !t.is_empty());
    let text = field.as_deref().unwrap_or(description);
    let zone: Option<chrono_tz::Tz> = first.time_zone.as_deref().and_then(|z| z.parse().ok());
    let offset = *first.start.offset();
    let local = |t: chrono::DateTime<chrono::FixedOffset>| match zone {
        Some(tz) => t.with_timezone(&tz).naive_local(),
        None => t.naive_local(),
    };
    let place = |naive: chrono::NaiveDateTime| match zone {
        Some(tz) => crate::dates::localize(naive, tz),
        None => naive.and_local_timezone(offset).single().unwrap_or(first.start),
    };
    let start = local(first.start);
    let end = first.end.map(local);
    // An all-day end is the midnight after its last day.
    let last_day = end
        .map(|e| if first.all_day { e.date().pred_opt().unwrap_or(e.date()) } else { e.date() })
        .filter(|d| *d > start.date());
    let quote = text::truncate_chars(&collapse_whitespace(text), 120).0;
    // "Расписание согласовывается с группой": whatever else the text says, only the document's
    // own dates are known.
    if let Some(phrase) = schedule::unknown_schedule(text) {
        warnings.push((
            "sessions".into(),
            format!("the schedule is not known yet (`{phrase}`); only the dates the document gives are listed"),
        ));
        return sessions;
    }
    let mut plan = schedule::read(text);
    // "С 22 по 26 марта, 10:00–13:00", "Five days, 10:00–17:00": a span of a few days whose text
    // gives the hours of its first start and its last end, and no rhythm, meets every day.
    if let Some(last) = last_day
        && !first.all_day
        && (last - start.date()).num_days() < 31
        && plan.as_ref().is_none_or(|p| !p.repeats())
        && plan.as_ref().and_then(|p| p.count).is_none_or(|c| i64::from(c) == (last - start.date()).num_days() + 1)
        && let Some((from, Some(to))) = schedule::hours(text)
        && from == start.time()
        && end.is_some_and(|e| e.time() == to)
    {
        let daily = plan.get_or_insert_with(|| schedule::Plan { every_weeks: 1, ..schedule::Plan::default() });
        daily.weekdays = (0..7).map(|d| (d, None)).collect();
        daily.time = Some((from, Some(to)));
    }
    let Some(plan) = plan else {
        if field.is_some() {
            warnings.push((
                "sessions".into(),
                format!(
                    "schedule `{quote}` names no weekday, time or number of sessions; only the first session is listed"
                ),
            ));
        }
        return sessions;
    };
    // A date-only span with a rhythm and nothing else ("weekly video lessons" of a self-paced
    // online course) names no sessions.
    let vague = first.all_day && plan.weekdays.is_empty() && plan.count.is_none() && plan.weeks.is_none();
    if vague {
        return sessions;
    }
    if last_day.is_none() && field.is_none() && plan.count.is_none() && plan.weeks.is_none() && plan.until.is_none() {
        // "Каждую пятницу, начиная с 15 января", "по средам", "weekly from 3 March": a rhythm
        // with no end and no number of sessions cannot be laid out.
        if plan.repeats() {
            warnings.push((
                "sessions".into(),
                format!(
                    "schedule `{quote}` repeats with no last date and no number of sessions; only the first dated session is listed"
                ),
            ));
        }
        return sessions;
    }
    let first_time = (!first.all_day).then(|| {
        let same_day_end = end.filter(|e| e.date() == start.date()).map(|e| e.time());
        (start.time(), same_day_end)
    });
    let laid = match plan.expand(start.date(), first_time, last_day, settings.max_sessions) {
        Ok(laid) => laid,
        Err(why) => {
            warnings.push(("sessions".into(), format!("schedule `{quote}`: {why}; only the first session is listed")));
            return sessions;
        }
    };
    if laid.len() < 2 {
        return sessions;
    }
    if let Some(count) = plan.count
        && (laid.len() as u32) < count
    {
        warnings.push((
            "sessions".into(),
            format!("schedule `{quote}` says {count} sessions but the dates give {}", laid.len()),
        ));
    }
    // Without a time range in the text, every session lasts as long as the first.
    let duration = match (first.all_day, end) {
        (false, Some(e)) if e.date() == start.date() => Some(e - start),
        (false, Some(e)) => {
            Some(e.time() - start.time()).filter(|d| *d > chrono::Duration::zero() && *d <= chrono::Duration::hours(12))
        }
        _ => None,
    };
    laid.into_iter()
        .map(|(day, slot)| match slot {
            Some(slot) => Session {
                start: place(day.and_time(slot.0)),
                end: schedule::end_of(day, slot, duration).map(place),
                all_day: false,
                ..first.clone()
            },
            None => Session {
                start: place(day.and_time(chrono::NaiveTime::MIN)),
                end: day.succ_opt().map(|next| place(next.and_time(chrono::NaiveTime::MIN))),
                all_day: true,
                ..first.clone()
            },
        })
        .collect()
}

/// Why the schedule of an item without any date cannot be laid out, when its text gives one: a
/// timetable put off ("дни уточняются", "timetable to be agreed") or a rhythm or number of
/// sessions with no first date ("16 занятий, 2 раза в неделю", "раз у тыдзень").
fn undated_schedule(field: Option<&str>, description: &str, online: bool) -> Option<String> {
    use crate::prose::schedule;
    let field = field.map(collapse_whitespace).filter(|t| !t.is_empty());
    let text = match &field {
        Some(f) => format!("{f}\n{description}"),
        None => description.to_owned(),
    };
    if let Some(phrase) = schedule::unknown_timetable(&text) {
        return Some(format!(
            "the schedule is not known yet (`{phrase}`) and the item gives no date; no session is listed"
        ));
    }
    // A schedule line of its own is a schedule, whatever its words. An online course's "weekly
    // video lessons" (a rhythm with no weekday, time or number) are no sessions.
    let plan = schedule::read(&text);
    let self_paced = |p: &schedule::Plan| {
        online && p.weekdays.is_empty() && p.time.is_none() && p.count.is_none() && p.weeks.is_none()
    };
    let names_sessions =
        plan.is_some_and(|p| (p.repeats() || p.count.is_some() || p.weeks.is_some()) && !self_paced(&p));
    (field.is_some() || names_sessions).then(|| {
        format!(
            "schedule `{}` has no first date to start from; no session is listed",
            text::truncate_chars(&collapse_whitespace(&text), 120).0
        )
    })
}

/// Plain text to HTML paragraphs (escaped), so descriptions have one shape.
fn text_to_html(plain: &str) -> String {
    plain
        .replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", text::escape_html(p).replace('\n', "<br>")))
        .collect()
}

/// Taxonomy categories from the provider's terms and the title, plus the provider's defaults,
/// in taxonomy order.
fn map_categories(title: &str, terms: &[String], defaults: &[String]) -> Vec<String> {
    let mut found: Vec<&str> = terms.iter().flat_map(|t| taxonomy::map_term(t)).collect();
    found.extend(taxonomy::map_term(title));
    found.extend(defaults.iter().map(String::as_str));
    taxonomy::CATEGORIES.iter().map(|c| c.id).filter(|id| found.contains(id)).map(str::to_owned).collect()
}

/// Sorts sessions, drops exact duplicates, and drops an end before its start (with a warning).
fn tidy_sessions(mut sessions: Vec<Session>, warnings: &mut Vec<(String, String)>) -> Vec<Session> {
    for s in &mut sessions {
        if let Some(end) = s.end
            && end < s.start
        {
            warnings.push(("end".into(), format!("end {end} is before start {}; the end was dropped", s.start)));
            s.end = None;
        }
    }
    sessions.sort_by(|a, b| a.start.cmp(&b.start).then(a.end.cmp(&b.end)));
    sessions.dedup();
    sessions
}

fn dedup_keep_order(v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
}

/// `description` with `summary` before it, unless the description already says it (a summary
/// cut from the description, with or without an ellipsis).
fn words_of(summary: &str, description: &str) -> String {
    // Compared by letters and digits only: "18:00, зал" and "18:00 , зал" say one thing.
    let letters = |s: &str| s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let head: String = letters(summary).chars().take(60).collect();
    if head.is_empty() || letters(description).contains(&head) {
        description.to_owned()
    } else {
        format!("{}\n{description}", collapse_whitespace(summary))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};
    use learncity_model::Status;

    use super::*;
    use crate::ReaderSettings;
    use crate::test_support::{fetched_at, with_ctx};

    fn run(drafts: Vec<Draft>, settings: &ReaderSettings) -> (Vec<Offering>, Vec<Warning>) {
        with_ctx(settings, Some("https://lib.example/events/"), fetched_at(), |ctx| {
            finish(drafts, SourceFormat::Rss, ctx)
        })
    }

    fn t(s: &str) -> DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn session(start: &str) -> Session {
        Session { start: t(start), end: None, time_zone: None, all_day: false, floating: false, cancelled: false }
    }

    #[test]
    fn builds_a_full_offering() {
        let draft = Draft {
            guid: Some("42".into()),
            url: Some("/events/42".into()),
            title: Some("Мастер-класс &laquo;Керамика&raquo;".into()),
            description_html: Some("<p>Для детей 7–12 лет. <script>alert(1)</script>Вход свободный.</p>".into()),
            location_text: Some("Центральная библиотека, ул. Ленина, 12".into()),
            price_text: Some("Вход свободный".into()),
            categories: vec!["Искусство".into()],
            languages: vec!["Русский".into()],
            sessions: vec![session("2025-03-12T18:30:00+03:00")],
            ..Draft::default()
        };
        let settings = ReaderSettings { default_city: Some("Витебск".into()), ..Default::default() };
        let (offerings, warnings) = run(vec![draft], &settings);
        assert!(warnings.is_empty(), "{warnings:?}");
        let o = &offerings[0];
        assert_eq!(o.source_id, "42");
        assert_eq!(o.title, "Мастер-класс «Керамика»");
        assert_eq!(o.kind, Kind::Masterclass);
        assert_eq!(o.mode, Mode::InPerson);
        assert_eq!(o.landing_url.as_deref(), Some("https://lib.example/events/42"));
        assert!(!o.description_html.as_deref().unwrap().contains("script"));
        assert_eq!(o.summary.as_deref(), Some("Для детей 7–12 лет. Вход свободный."));
        let loc = o.location.as_ref().unwrap();
        assert_eq!(loc.venue.as_deref(), Some("Центральная библиотека"));
        assert_eq!(loc.address.as_deref(), Some("ул. Ленина, 12"));
        assert_eq!(loc.city.as_deref(), Some("Витебск"));
        assert!(o.price.as_ref().unwrap().free);
        assert_eq!(o.languages, ["ru"]);
        assert_eq!(o.categories, ["arts"]);
        assert_eq!((o.audience.age_min, o.audience.age_max), (Some(7), Some(12)));
        assert!(o.provenance.content_hash.starts_with("sha256:"));
        assert_eq!(o.status, Status::Scheduled);
    }

    #[test]
    fn every_spelling_of_a_city_gets_one_key_and_keeps_its_spelling() {
        let item = |id: &str, city: Option<&str>| Draft {
            guid: Some(id.into()),
            title: Some(format!("Лекция {id}")),
            location: Location {
                venue: Some("Библиотека".into()), city: city.map(Into::into), ..Location::default()
            },
            sessions: vec![session("2025-03-12T18:30:00+03:00")],
            ..Draft::default()
        };
        let drafts = vec![
            item("1", Some("Віцебск")),
            item("2", Some("г. Витебск")),
            item("3", Some("Viciebsk")),
            item("4", Some("Сураж")),
            item("5", None),
        ];
        let settings = ReaderSettings { default_city: Some("Vitebsk".into()), ..Default::default() };
        let (offerings, _) = run(drafts, &settings);
        let got: Vec<(Option<&str>, Option<&str>)> = offerings
            .iter()
            .map(|o| o.location.as_ref().map_or((None, None), |l| (l.city.as_deref(), l.place.as_deref())))
            .collect();
        assert_eq!(
            got,
            [
                (Some("Віцебск"), Some("vitebsk")),
                (Some("г. Витебск"), Some("vitebsk")),
                (Some("Viciebsk"), Some("vitebsk")),
                (Some("Сураж"), None),
                (Some("Vitebsk"), Some("vitebsk")),
            ]
        );
    }

    #[test]
    fn bidi_controls_and_invisible_characters_leave_every_short_field() {
        // Regression: a title with U+202E displayed its end backwards ("Free course\u{202E}fdp.exe"), and
        // zero-width characters kept look-alike titles apart.
        let draft = Draft {
            guid: Some("id\u{200B}-42".into()),
            title: Some("Free course \u{202E}fdp.exe\u{202C}, soft\u{AD}ware and z\u{2060}ero\u{FEFF}".into()),
            summary: Some("Short \u{2066}isolated\u{2069} summary".into()),
            location: Location {
                venue: Some("\u{200F}Art\u{200D} school".into()),
                address: Some("Lenina\u{2060} 1".into()),
                city: Some("Vitebsk\u{061C}".into()),
                ..Location::default()
            },
            organizer: Some(learncity_model::Party { name: "Club\u{200E} 42".into(), url: None, email: None }),
            teachers: vec![learncity_model::Party { name: "\u{202D}Anna".into(), url: None, email: None }],
            categories: vec!["Ar\u{200C}t".into(), "\u{200B}".into()],
            sessions: vec![session("2025-03-12T18:30:00+03:00")],
            ..Draft::default()
        };
        let (offerings, warnings) = run(vec![draft], &ReaderSettings::default());
        let o = &offerings[0];
        assert_eq!(o.title, "Free course fdp.exe, software and zero");
        assert_eq!(o.summary.as_deref(), Some("Short isolated summary"));
        let loc = o.location.as_ref().unwrap();
        assert_eq!(loc.venue.as_deref(), Some("Art school"));
        assert_eq!(loc.address.as_deref(), Some("Lenina 1"));
        assert_eq!(loc.city.as_deref(), Some("Vitebsk"));
        assert_eq!(loc.place.as_deref(), Some("vitebsk"), "the key of the city as scrubbed");
        assert_eq!(o.organizer.as_ref().unwrap().name, "Club 42");
        assert_eq!(o.teachers[0].name, "Anna");
        assert_eq!(o.provider_categories, ["Art"]);
        assert_eq!(o.source_id, "id-42");
        let fields: Vec<&str> = warnings.iter().filter_map(|w| w.field.as_deref()).collect();
        for field in ["title", "summary", "venue", "address", "city", "organizer", "teachers", "categories", "guid"] {
            let w = warnings.iter().find(|w| w.field.as_deref() == Some(field));
            let w = w.unwrap_or_else(|| panic!("no warning on {field}: {fields:?}"));
            assert!(w.message.contains("invisible characters"), "{w:?}");
            assert_eq!(w.item.as_deref(), Some("id-42"));
        }
    }

    #[test]
    fn a_title_of_invisible_characters_only_is_skipped_and_emoji_keep_their_joiner() {
        let drafts = vec![
            Draft { title: Some("\u{202E}\u{200B}".into()), ..Draft::default() },
            Draft { title: Some("Coding club 👩\u{200D}💻 for girls".into()), ..Draft::default() },
        ];
        let (offerings, warnings) = run(drafts, &ReaderSettings::default());
        assert_eq!(offerings.len(), 1);
        assert_eq!(offerings[0].title, "Coding club 👩\u{200D}💻 for girls");
        assert!(
            warnings.iter().any(|w| w.item.as_deref() == Some("item 1") && w.message.contains("only of invisible"))
        );
        // The emoji's joiner is no removal.
        assert!(
            !warnings.iter().any(|w| w.item.as_deref() != Some("item 1") && w.message.contains("were removed")),
            "{warnings:?}"
        );
    }

    #[test]
    fn fields_spoken_of_without_a_readable_value_are_warned() {
        // (description, whether the item has a dated session, the warned fields wanted)
        let cases: &[(&str, bool, &[&str])] = &[
            ("Каждую пятницу в 19:00, начиная с 15 января 2027 г.", true, &["sessions"]),
            ("Занятия 2 раза в неделю. Начало 1 февраля 2027 г. в 15:00.", true, &["sessions"]),
            ("Weekly on Wednesdays, 18:00–19:30.", true, &["sessions"]),
            ("Кожную суботу а 11:00.", true, &["sessions"]),
            ("Первое занятие 5 апреля. Дальнейшее расписание — по договорённости с группой.", true, &["sessions"]),
            (
                "Клуб пачне працу ў лютым; дзень і час сустрэч удакладняюцца, сустракацца будзем раз на тыдзень.",
                false,
                &["sessions", "start"],
            ),
            (
                "The course starts in February; the timetable is to be agreed with participants.",
                false,
                &["sessions", "start"],
            ),
            (
                "Старт группы — в конце февраля, уточняйте у администратора. 16 занятий, 2 раза в неделю.",
                false,
                &["sessions", "start"],
            ),
            ("Врач-диетолог ответит на вопросы. Возрастные ограничения уточняются.", true, &["age"]),
            ("Age guidance to follow.", true, &["age"]),
            // Readable, or not spoken of.
            ("По вторникам и четвергам в 18:30, 12 занятий.", true, &[]),
            ("Лекция о модерне. Для детей 7–12 лет. Вход свободный.", true, &[]),
        ];
        // A schedule line of its own on an item without a date.
        let d = Draft {
            title: Some("Хор".into()),
            schedule_text: Some("раз у тыдзень, дзень удакладняецца".into()),
            ..Draft::default()
        };
        let (_, warnings) = run(vec![d], &ReaderSettings::default());
        assert!(warnings.iter().any(|w| w.field.as_deref() == Some("sessions")), "{warnings:?}");
        // A self-paced online course's "weekly video lessons" and a museum's closing day are no schedule.
        for (text, mode) in [
            ("Weekly video lessons and a forum.", Some(Mode::Online)),
            ("Апошні чацвер месяца — санітарны дзень.", None),
        ] {
            let d =
                Draft { title: Some("Курс".into()), description_text: Some(text.into()), mode, ..Draft::default() };
            let (_, warnings) = run(vec![d], &ReaderSettings::default());
            assert!(!warnings.iter().any(|w| w.field.as_deref() == Some("sessions")), "{text}: {warnings:?}");
        }
        for (text, dated, want) in cases {
            let d = Draft {
                title: Some("Встреча".into()),
                description_text: Some((*text).into()),
                sessions: if *dated { vec![session("2027-01-15T19:00:00+03:00")] } else { vec![] },
                ..Draft::default()
            };
            let (_, warnings) = run(vec![d], &ReaderSettings::default());
            let mut got: Vec<&str> = warnings.iter().filter_map(|w| w.field.as_deref()).collect();
            got.sort_unstable();
            got.dedup();
            assert_eq!(&got, want, "{text}: {warnings:?}");
        }
    }

    #[test]
    fn news_that_dates_no_offering() {
        // (title, description, kind, dated)
        for (title, text, kind, dated) in [
            (
                "Итоги конкурса чтецов «Живое слово»",
                "Конкурс прошёл 14 декабря 2026 года в Центральной библиотеке.",
                Kind::Other,
                false,
            ),
            (
                "Запись на курс английского языка",
                "Заявки принимаются до 20 января. Занятия начнутся после формирования группы.",
                Kind::Course,
                false,
            ),
            ("Конкурс чтецов «Живое слово»", "Конкурс пройдёт 14 марта 2027 года в 11:00.", Kind::Event, true),
        ] {
            let d = Draft { title: Some(title.into()), description_text: Some(text.into()), ..Draft::default() };
            let (o, _) = run(vec![d], &ReaderSettings::default());
            assert_eq!((o[0].kind, !o[0].sessions.is_empty()), (kind, dated), "{title}");
        }
    }

    #[test]
    fn a_feed_item_dated_in_its_words_keeps_no_no_date_warning() {
        let mut d = Draft {
            title: Some("Будущих абитуриентов приглашают на открытое занятие".into()),
            description_text: Some("23 января университет проводит открытое занятие. Вход свободный.".into()),
            ..Draft::default()
        };
        d.warn("start", crate::feed::NO_DATE);
        let (o, warnings) = run(vec![d.clone()], &ReaderSettings::default());
        assert_eq!(o[0].sessions.len(), 1);
        assert!(warnings.iter().all(|w| w.field.as_deref() != Some("start")), "{warnings:?}");
        // Undated in its words too: the warning stays (the collector looks on the landing page).
        d.description_text = Some("Вход свободный.".into());
        let (o, warnings) = run(vec![d], &ReaderSettings::default());
        assert!(o[0].sessions.is_empty());
        assert!(warnings.iter().any(|w| w.message.contains("landing page")), "{warnings:?}");
    }

    #[test]
    fn untitled_items_are_skipped_with_a_warning() {
        let (offerings, warnings) = run(
            vec![Draft::default(), Draft { title: Some("Лекция".into()), ..Draft::default() }],
            &ReaderSettings::default(),
        );
        assert_eq!(offerings.len(), 1);
        assert_eq!(warnings[0].item.as_deref(), Some("item 1"));
        assert_eq!(warnings[0].field.as_deref(), Some("title"));
        assert_eq!(warnings[1].field.as_deref(), Some("start"));
    }

    #[test]
    fn description_stands_in_for_a_missing_title() {
        let d = Draft {
            description_html: Some("<p>Лекция о витебском модерне.</p><p>Вход свободный.</p>".into()),
            ..Draft::default()
        };
        let (o, w) = run(vec![d], &ReaderSettings::default());
        assert_eq!(o[0].title, "Лекция о витебском модерне.");
        assert!(w.iter().any(|w| w.field.as_deref() == Some("title") && w.message.contains("stands in")));
    }

    #[test]
    fn meeting_link_in_location_makes_it_online() {
        let d = Draft {
            title: Some("Вебинар".into()),
            location_text: Some("https://us02web.zoom.us/j/123".into()),
            sessions: vec![session("2025-03-12T18:30:00+03:00")],
            ..Draft::default()
        };
        let (o, _) = run(vec![d], &ReaderSettings { default_venue: Some("Hall".into()), ..Default::default() });
        assert_eq!(o[0].mode, Mode::Online);
        assert_eq!(o[0].online_url.as_deref(), Some("https://us02web.zoom.us/j/123"));
        assert!(o[0].location.is_none());
    }

    #[test]
    fn sessions_are_sorted_deduplicated_and_checked() {
        let mut bad = session("2025-03-12T18:30:00+03:00");
        bad.end = Some(t("2025-03-12T17:00:00+03:00"));
        let d = Draft {
            title: Some("Курс".into()),
            sessions: vec![session("2025-03-19T18:30:00+03:00"), bad.clone(), session("2025-03-19T18:30:00+03:00")],
            ..Draft::default()
        };
        let (o, w) = run(vec![d], &ReaderSettings::default());
        assert_eq!(o[0].sessions.len(), 2);
        assert_eq!(o[0].sessions[0].start, bad.start);
        assert_eq!(o[0].sessions[0].end, None);
        assert_eq!(w[0].field.as_deref(), Some("end"));
    }

    #[test]
    fn content_hash_changes_with_content_not_fetch_time() {
        let d = Draft { title: Some("Курс".into()), ..Draft::default() };
        let (a, _) = run(vec![d.clone()], &ReaderSettings::default());
        let (b, _) = run(vec![Draft { summary: Some("new".into()), ..d }], &ReaderSettings::default());
        assert_ne!(a[0].provenance.content_hash, b[0].provenance.content_hash);
        let mut later = a[0].clone();
        later.provenance.fetched_at = Utc::now();
        assert_eq!(identity::content_hash(&later), a[0].provenance.content_hash);
    }
}

#[cfg(test)]
mod daily_spans {
    use super::*;
    use crate::ReaderSettings;

    fn span(start: &str, end: &str) -> Vec<Session> {
        let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        vec![Session {
            start: t(start),
            end: Some(t(end)),
            time_zone: None,
            all_day: false,
            floating: false,
            cancelled: false,
        }]
    }

    #[test]
    fn a_span_of_days_with_its_daily_hours_meets_every_day() {
        let settings = ReaderSettings::default();
        for text in [
            "Весенние каникулы с пользой. С 22 по 26 марта, 10:00–13:00. Стоимость интенсива — 60 BYN.",
            "Five days, 10:00–13:00: containers, compose, a cluster of your own.",
        ] {
            let mut warnings = Vec::new();
            let got = sessions_from_schedule(
                span("2027-03-22T10:00:00+03:00", "2027-03-26T13:00:00+03:00"),
                None,
                text,
                &settings,
                &mut warnings,
            );
            assert_eq!(got.len(), 5, "{text}: {got:#?} {warnings:?}");
            assert!(got.iter().all(|s| s.end.is_some_and(|e| e - s.start == chrono::Duration::hours(3))));
        }
        // Hours that are not the span's own, or a rhythm, are not every day.
        let mut warnings = Vec::new();
        let got = sessions_from_schedule(
            span("2027-03-22T10:00:00+03:00", "2027-03-26T13:00:00+03:00"),
            None,
            "Консультации с 15:00 до 16:00.",
            &settings,
            &mut warnings,
        );
        assert_eq!(got.len(), 1, "{got:#?}");
    }
}
