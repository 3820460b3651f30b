//! The filters of a search, as a query string: parsed (with errors naming the parameter),
//! turned into a search query, and written back for paging and export links.
//!
//! | parameter | meaning |
//! |---|---|
//! | `q` | words (at most 500 characters) |
//! | `from`, `to` | a session on or after / on or before (`YYYY-MM-DD`, or RFC 3339) |
//! | `mode` | `in_person`, `online`, `hybrid` |
//! | `category` | a taxonomy category |
//! | `language` | a BCP 47 language of the offering (`be`, `ru`, `en`...) |
//! | `free` | `true`: free only |
//! | `max_price` | at most this price |
//! | `age` | suits this age |
//! | `accessibility` | has this accessibility feature |
//! | `district`, `provider` | in this district / from this provider (id) |
//! | `cancelled` | `true`: also cancelled entries |
//! | `sort` | `relevance` (default with `q`) or `next` (next session first; default without) |
//! | `page`, `per_page` | 1-based page, entries per page (at most the configured maximum) |

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use learncity_model::Mode;
use learncity_search::{MAX_QUERY_CHARS, Query, Sort};
use serde::Deserialize;

/// The filters as given.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Filters {
    /// Words.
    pub q: Option<String>,
    /// Sessions on or after.
    pub from: Option<String>,
    /// Sessions on or before.
    pub to: Option<String>,
    /// Mode.
    pub mode: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Offering language.
    pub language: Option<String>,
    /// Free only.
    pub free: Option<String>,
    /// Highest price.
    pub max_price: Option<String>,
    /// Age.
    pub age: Option<String>,
    /// Accessibility feature.
    pub accessibility: Option<String>,
    /// District.
    pub district: Option<String>,
    /// Provider id.
    pub provider: Option<String>,
    /// Also cancelled entries.
    pub cancelled: Option<String>,
    /// `relevance` or `next`.
    pub sort: Option<String>,
    /// 1-based page.
    pub page: Option<String>,
    /// Entries per page.
    pub per_page: Option<String>,
    /// Interface language (pages only; not a filter).
    pub lang: Option<String>,
}

/// A parameter that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parameter `{name}`: {message}")]
pub struct ParamError {
    /// The parameter.
    pub name: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn err(name: &'static str, message: impl Into<String>) -> ParamError {
    ParamError { name, message: message.into() }
}

fn nonblank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn date(name: &'static str, v: &str, end_of_day: bool) -> Result<DateTime<Utc>, ParamError> {
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let t = if end_of_day { NaiveTime::from_hms_opt(23, 59, 59) } else { NaiveTime::from_hms_opt(0, 0, 0) };
        return Ok(d.and_time(t.unwrap_or_default()).and_utc());
    }
    DateTime::parse_from_rfc3339(v)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| err(name, format!("`{v}` is not a date (YYYY-MM-DD) nor an RFC 3339 time")))
}

fn boolean(name: &'static str, v: &str) -> Result<bool, ParamError> {
    match v {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(err(name, format!("`{v}` is not true or false"))),
    }
}

fn number<T: std::str::FromStr>(name: &'static str, v: &str, what: &str) -> Result<T, ParamError> {
    v.parse().map_err(|_| err(name, format!("`{v}` is not {what}")))
}

impl Filters {
    /// The search query of these filters at `now`, pages of `default_size`, at most `max_size`.
    pub fn to_query(&self, now: DateTime<Utc>, default_size: usize, max_size: usize) -> Result<Query, ParamError> {
        let mut q = Query { now, ..Query::default() };
        if let Some(text) = nonblank(&self.q) {
            if text.chars().count() > MAX_QUERY_CHARS {
                return Err(err("q", format!("more than {MAX_QUERY_CHARS} characters")));
            }
            q.text = Some(text.to_owned());
        }
        q.from = nonblank(&self.from).map(|v| date("from", v, false)).transpose()?;
        q.to = nonblank(&self.to).map(|v| date("to", v, true)).transpose()?;
        if let (Some(from), Some(to)) = (q.from, q.to)
            && to < from
        {
            return Err(err("to", "is before `from`"));
        }
        q.mode = nonblank(&self.mode)
            .map(|v| match v {
                "in_person" => Ok(Mode::InPerson),
                "online" => Ok(Mode::Online),
                "hybrid" => Ok(Mode::Hybrid),
                _ => Err(err("mode", format!("`{v}` is not in_person, online or hybrid"))),
            })
            .transpose()?;
        q.category = nonblank(&self.category).map(str::to_owned);
        q.language = nonblank(&self.language).map(str::to_ascii_lowercase);
        q.free = nonblank(&self.free).map(|v| boolean("free", v)).transpose()?.filter(|f| *f);
        q.max_price = nonblank(&self.max_price)
            .map(|v| number::<f64>("max_price", v, "a number"))
            .transpose()?
            .map(|p| if p.is_finite() && p >= 0.0 { Ok(p) } else { Err(err("max_price", "must be 0 or more")) })
            .transpose()?;
        q.age = nonblank(&self.age).map(|v| number::<u8>("age", v, "an age (0-255)")).transpose()?;
        q.accessibility = nonblank(&self.accessibility).map(str::to_owned);
        q.district = nonblank(&self.district).map(str::to_owned);
        q.provider = nonblank(&self.provider).map(str::to_owned);
        q.include_cancelled = nonblank(&self.cancelled).map(|v| boolean("cancelled", v)).transpose()?.unwrap_or(false);
        q.sort = match nonblank(&self.sort) {
            None if q.text.is_some() => Sort::Relevance,
            None | Some("next") => Sort::NextSession,
            Some("relevance") => Sort::Relevance,
            Some(v) => return Err(err("sort", format!("`{v}` is not relevance or next"))),
        };
        let per_page = nonblank(&self.per_page).map(|v| number::<usize>("per_page", v, "a count")).transpose()?;
        let per_page = per_page.unwrap_or(default_size);
        if per_page == 0 || per_page > max_size {
            return Err(err("per_page", format!("must be between 1 and {max_size}")));
        }
        let page = nonblank(&self.page).map(|v| number::<usize>("page", v, "a page number")).transpose()?.unwrap_or(1);
        if page == 0 || page > 10_000 {
            return Err(err("page", "must be between 1 and 10000"));
        }
        q.limit = per_page;
        q.offset = (page - 1) * per_page;
        Ok(q)
    }

    /// The 1-based page asked for (1 when absent or invalid).
    pub fn page(&self) -> usize {
        nonblank(&self.page).and_then(|p| p.parse().ok()).filter(|p| *p > 0).unwrap_or(1)
    }

    /// The filters a resident set (words included; not the order, the page or its size), as
    /// (parameter, value) pairs in the form's order.
    pub fn active(&self) -> Vec<(&'static str, &str)> {
        self.fields().into_iter().filter(|(name, _)| !matches!(*name, "sort" | "per_page")).collect()
    }

    /// These filters without the parameter `name` (and on the first page).
    pub fn without(&self, name: &str) -> Filters {
        let mut f = self.clone();
        let field = match name {
            "q" => &mut f.q,
            "from" => &mut f.from,
            "to" => &mut f.to,
            "mode" => &mut f.mode,
            "category" => &mut f.category,
            "language" => &mut f.language,
            "free" => &mut f.free,
            "max_price" => &mut f.max_price,
            "age" => &mut f.age,
            "accessibility" => &mut f.accessibility,
            "district" => &mut f.district,
            "provider" => &mut f.provider,
            "cancelled" => &mut f.cancelled,
            "sort" => &mut f.sort,
            "per_page" => &mut f.per_page,
            _ => &mut f.page,
        };
        *field = None;
        f.page = None;
        f
    }

    /// The set parameters but the page and the language, in the form's order.
    fn fields(&self) -> Vec<(&'static str, &str)> {
        let fields: [(&'static str, &Option<String>); 15] = [
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("mode", &self.mode),
            ("category", &self.category),
            ("language", &self.language),
            ("free", &self.free),
            ("max_price", &self.max_price),
            ("age", &self.age),
            ("accessibility", &self.accessibility),
            ("district", &self.district),
            ("provider", &self.provider),
            ("cancelled", &self.cancelled),
            ("sort", &self.sort),
            ("per_page", &self.per_page),
        ];
        fields.into_iter().filter_map(|(name, value)| Some((name, nonblank(value)?))).collect()
    }

    /// The filters as a query string (`page` replaced by `page`; none when `None`), without
    /// the interface language.
    pub fn query_string(&self, page: Option<usize>) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (name, v) in self.fields() {
            out.append_pair(name, v);
        }
        if let Some(p) = page {
            out.append_pair("page", &p.to_string());
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(pairs: &[(&str, &str)]) -> Filters {
        let qs = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        serde_urlencoded_like(&qs)
    }

    fn serde_urlencoded_like(qs: &str) -> Filters {
        let value: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(qs.as_bytes())
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
        serde_json::from_value(serde_json::Value::Object(value)).unwrap()
    }

    #[test]
    fn filters_become_a_query() {
        let now = Utc::now();
        let q = f(&[("q", "английский"), ("from", "2026-03-01"), ("mode", "online"), ("free", "true"), ("page", "3")])
            .to_query(now, 20, 100)
            .unwrap();
        assert_eq!(q.text.as_deref(), Some("английский"));
        assert_eq!(q.mode, Some(Mode::Online));
        assert_eq!(q.free, Some(true));
        assert_eq!((q.offset, q.limit), (40, 20));
        assert_eq!(q.sort, Sort::Relevance);
        assert_eq!(f(&[]).to_query(now, 20, 100).unwrap().sort, Sort::NextSession);
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let now = Utc::now();
        for (pairs, name) in [
            (vec![("mode", "boat")], "mode"),
            (vec![("from", "yesterday")], "from"),
            (vec![("per_page", "1000")], "per_page"),
            (vec![("page", "0")], "page"),
            (vec![("age", "-3")], "age"),
            (vec![("max_price", "-1")], "max_price"),
            (vec![("from", "2026-03-02"), ("to", "2026-03-01")], "to"),
        ] {
            assert_eq!(f(&pairs).to_query(now, 20, 100).unwrap_err().name, name, "{pairs:?}");
        }
        let long = "а".repeat(501);
        assert_eq!(f(&[("q", &long)]).to_query(now, 20, 100).unwrap_err().name, "q");
    }

    #[test]
    fn a_filter_can_be_taken_away() {
        let filters = f(&[("q", "python"), ("mode", "online"), ("sort", "next"), ("page", "3")]);
        assert_eq!(filters.active(), vec![("q", "python"), ("mode", "online")]);
        let rest = filters.without("mode");
        assert_eq!(rest.query_string(None), "q=python&sort=next");
        assert_eq!(rest.page(), 1, "another set of results starts on its first page");
        assert_eq!(filters.without("page").query_string(Some(1)), "q=python&mode=online&sort=next&page=1");
    }

    #[test]
    fn the_query_string_round_trips() {
        let filters = f(&[("q", "a&b c"), ("mode", "online"), ("lang", "be")]);
        let qs = filters.query_string(Some(2));
        assert_eq!(qs, "q=a%26b+c&mode=online&page=2");
        let back = serde_urlencoded_like(&qs);
        assert_eq!(back.q.as_deref(), Some("a&b c"));
    }
}
