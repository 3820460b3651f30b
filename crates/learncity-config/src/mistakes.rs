//! Reading a TOML document into settings and reporting **every** mistake in it, not only the
//! first: syntax mistakes from the recovering parser, then each value serde refuses — a wrong
//! type, a bad duration, an unknown key or word, a negative count — placed at its line and column
//! and named by its dotted key. After each refusal the offending key is taken out (so its default
//! applies) and the document is read again, until it reads or nothing more can be taken out.
//!
//! serde's messages speak Rust ("expected usize"); [`plain`] says the same in words an operator
//! reads ("a whole number, 0 or more").

use serde::Deserialize as _;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer};

use crate::error::ConfigError;
use crate::locate::line_col;

/// Upper bound on re-reads: a file with more mistakes than this is reported in part.
const MAX_MISTAKES: usize = 200;

/// What reading a document gave: the settings when every mistake could be taken out, the
/// document as a table without the refused keys (for overrides and later checks), and the mistakes.
pub(crate) struct Read<T> {
    pub value: Option<T>,
    pub table: toml::Table,
    pub mistakes: Vec<ConfigError>,
}

/// Reads `text` (from `origin`) as `T`, collecting every mistake.
pub(crate) fn read_all<T: DeserializeOwned>(text: &str, origin: &str) -> Read<T> {
    let (mut root, syntax) = DeTable::parse_recoverable(text);
    let mut mistakes: Vec<ConfigError> = syntax.iter().map(|e| placed(origin, text, &root, e)).collect();
    let mut value = None;
    for _ in 0..MAX_MISTAKES {
        match T::deserialize(Deserializer::from(root.clone())) {
            Ok(v) => {
                value = Some(v);
                break;
            }
            Err(e) => {
                let mistake = placed(origin, text, &root, &e);
                let path = e.span().map(|s| path_at(root.get_ref(), s.start)).unwrap_or_default();
                mistakes.push(mistake);
                // A mistake about a whole table (a required key missing) cannot be taken out.
                if path.is_empty() || !remove(root.get_mut(), &path) {
                    break;
                }
            }
        }
    }
    let table = toml::Table::deserialize(Deserializer::from(root)).unwrap_or_default();
    mistakes.sort_by_key(|m| m.line);
    Read { value, table, mistakes }
}

/// A toml error as a config mistake: line, column, the key it is about, in plain words.
fn placed(origin: &str, text: &str, root: &Spanned<DeTable<'_>>, e: &toml::de::Error) -> ConfigError {
    let span = e.span();
    let line = span.as_ref().map(|s| {
        let (l, c) = line_col(text, s.start);
        (l, Some(c))
    });
    let mut path = span.as_ref().map(|s| path_at(root.get_ref(), s.start)).unwrap_or_default();
    let message = e.message().trim();
    // An unknown key is named by its own name, not by the table that holds it.
    if let Some(unknown) = quoted_after(message, "unknown field ")
        && path.last().map(String::as_str) != Some(unknown)
    {
        path.push(unknown.to_owned());
    }
    if let Some(missing) = quoted_after(message, "missing field ") {
        path.push(missing.to_owned());
    }
    // The parser refuses a second definition before it is in the document: its table is the
    // last header above it.
    if message.starts_with("duplicate key")
        && let Some(s) = &span
    {
        let key = text.get(s.clone()).unwrap_or_default().trim_matches(['"', '\'']);
        path = crate::locate::table_above(text, s.start);
        if !key.is_empty() {
            path.push(key.to_owned());
        }
    }
    ConfigError {
        origin: origin.to_owned(),
        line,
        field: (!path.is_empty()).then(|| path.join(".")),
        message: plain(message),
    }
}

/// The dotted path (array entries by index) of the deepest key whose name or value holds `offset`.
fn path_at(table: &DeTable<'_>, offset: usize) -> Vec<String> {
    for (key, value) in table {
        let in_key = key.span().contains(&offset);
        if in_key || value.span().contains(&offset) || value.span().end == offset {
            let mut path = vec![key.get_ref().to_string()];
            if !in_key {
                path.extend(path_in_value(value.get_ref(), offset));
            }
            return path;
        }
    }
    // Tables written as `[section]` headers: their span is the header; look into each.
    for (key, value) in table {
        let inner = path_in_value(value.get_ref(), offset);
        if !inner.is_empty() {
            let mut path = vec![key.get_ref().to_string()];
            path.extend(inner);
            return path;
        }
    }
    Vec::new()
}

fn path_in_value(value: &DeValue<'_>, offset: usize) -> Vec<String> {
    match value {
        DeValue::Table(t) => path_at(t, offset),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let inner = path_in_value(item.get_ref(), offset);
                if item.span().contains(&offset) || !inner.is_empty() {
                    let mut path = vec![i.to_string()];
                    path.extend(inner);
                    return path;
                }
            }
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Takes the key at `path` out of the document; false when there is none.
fn remove(table: &mut DeTable<'_>, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else { return false };
    let Some(key) = table.keys().find(|k| k.get_ref() == first).cloned() else { return false };
    if rest.is_empty() {
        return table.remove(&key).is_some();
    }
    match table.get_mut(&key).map(Spanned::get_mut) {
        Some(DeValue::Table(t)) => remove(t, rest),
        // An entry of an array of tables: a key inside it (a whole entry is never taken out).
        Some(DeValue::Array(items)) => {
            let Some((index, rest)) = rest.split_first() else { return false };
            match index.parse::<usize>().ok().and_then(|i| items.get_mut(i)).map(Spanned::get_mut) {
                Some(DeValue::Table(t)) => remove(t, rest),
                _ => false,
            }
        }
        _ => false,
    }
}

/// `unknown field `x`, expected ...` → `x`.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    message.strip_prefix(prefix)?.strip_prefix('`')?.split('`').next()
}

/// serde's and toml's words for a mistake, said for an operator.
pub(crate) fn plain(message: &str) -> String {
    let message = message.trim();
    for kind in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(kind)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            return format!("expected {}, found {}", expected_words(expected), found_words(found));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!("{found} is not one of the words this key takes: {}", alternatives(expected));
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
        let known = if expected.is_empty() {
            String::new()
        } else {
            format!("; the keys here are: {}", alternatives(expected))
        };
        return format!("{found} is not a known key (a typo, or a key of another section?){known}");
    }
    if let Some(field) = message.strip_prefix("missing field ") {
        return format!("{field} is required here and missing");
    }
    if message.starts_with("duplicate key") {
        return "this key is set twice in the same table; keep one".to_owned();
    }
    if message.contains("invalid socket address") {
        return "not a socket address; expected HOST:PORT such as \"127.0.0.1:8080\" or \"[::1]:8080\"".to_owned();
    }
    if ["relative URL without a base", "invalid port", "empty host", "invalid domain", "invalid IPv"]
        .iter()
        .any(|m| message.contains(m))
    {
        return format!("not a URL ({message}); write it whole, such as \"https://example.org/events.ics\"");
    }
    message.to_owned()
}

/// `` `a`, `b` or `c` `` / ``one of `a`, `b` `` → `a, b, c`.
fn alternatives(expected: &str) -> String {
    expected.split('`').skip(1).step_by(2).collect::<Vec<_>>().join(", ")
}

/// What serde expected (a Rust type or a visitor's words), in words.
fn expected_words(expected: &str) -> String {
    let e = expected.trim();
    let words = match e {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a duration" => "a duration, a number and a unit such as \"90s\", \"15m\", \"2h\" or \"1d\"",
        "a boolean" | "bool" => "true or false",
        "a string" | "a borrowed string" | "string" | "char" => "text in quotes",
        "a sequence" => "a list in [brackets]",
        "a map" => "a table",
        _ if e.starts_with("struct ") => "a table of settings",
        _ if e.starts_with("a ") || e.starts_with("an ") || e.starts_with("one of") || e.contains('`') => {
            return e.replace('`', "");
        }
        _ => return format!("a value of type {e}"),
    };
    words.to_owned()
}

/// What was found instead, in words.
fn found_words(found: &str) -> String {
    let f = found.trim();
    if let Some(s) = f.strip_prefix("string ") {
        return format!("the text {s}");
    }
    for (prefix, words) in
        [("integer ", "the number "), ("floating point ", "the number "), ("boolean ", ""), ("character ", "")]
    {
        if let Some(v) = f.strip_prefix(prefix) {
            return format!("{words}{}", v.trim_matches('`'));
        }
    }
    match f {
        "sequence" => "a list".to_owned(),
        "map" => "a table".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, Default)]
    #[serde(deny_unknown_fields, rename_all = "kebab-case")]
    #[expect(dead_code, reason = "only read, to see the mistakes")]
    struct Section {
        #[serde(default)]
        count: usize,
        #[serde(default, with = "humantime_serde")]
        every: Option<std::time::Duration>,
        #[serde(default)]
        on: bool,
        #[serde(default)]
        listen: Option<std::net::SocketAddr>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only read, to see the mistakes")]
    struct Doc {
        #[serde(default)]
        a: Section,
        #[serde(default)]
        b: Section,
    }

    #[test]
    fn every_mistake_is_named_by_key_line_and_column() {
        let text = "[a]\ncount = -3\nevery = \"5 parsecs\"\nonn = true\n[b]\non = \"yes\"\nlisten = \"localhost\"\ncount = 2\n";
        let read = read_all::<Doc>(text, "m.toml");
        let lines: Vec<String> = read.mistakes.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert!(
            lines[0].starts_with("m.toml:2:9: key `a.count`: expected a whole number, 0 or more, found the number -3"),
            "{lines:#?}"
        );
        assert!(
            lines[1].starts_with("m.toml:3:9: key `a.every`: expected a duration, a number and a unit"),
            "{lines:#?}"
        );
        assert!(lines[2].starts_with("m.toml:4:1: key `a.onn`: `onn` is not a known key"), "{lines:#?}");
        assert!(
            lines[3].starts_with("m.toml:6:6: key `b.on`: expected true or false, found the text \"yes\""),
            "{lines:#?}"
        );
        assert!(lines[4].starts_with("m.toml:7:10: key `b.listen`: not a socket address"), "{lines:#?}");
        // What could be read is kept: the good key of [b].
        assert_eq!(read.value.expect("read after the mistakes were taken out").b.count, 2);
        assert!(lines.iter().all(|l| !l.contains("usize") && !l.contains("invalid type")), "{lines:#?}");
    }

    #[test]
    fn a_duplicate_key_and_a_later_type_mistake_are_both_reported() {
        let text = "[a]\ncount = 1\ncount = 2\n[b]\ncount = \"many\"\n";
        let read = read_all::<Doc>(text, "d.toml");
        let lines: Vec<String> = read.mistakes.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 2, "{lines:#?}");
        assert!(lines[0].starts_with("d.toml:3:1: key `a.count`: this key is set twice"), "{lines:#?}");
        assert!(lines[1].starts_with("d.toml:5:9: key `b.count`: expected a whole number"), "{lines:#?}");
    }

    #[test]
    fn unknown_words_list_the_known_ones() {
        assert_eq!(
            plain("unknown variant `jsn`, expected `text` or `json`"),
            "`jsn` is not one of the words this key takes: text, json"
        );
        assert_eq!(
            plain("invalid type: integer `5`, expected a string"),
            "expected text in quotes, found the number 5"
        );
        assert_eq!(plain("missing field `id`"), "`id` is required here and missing");
    }
}
