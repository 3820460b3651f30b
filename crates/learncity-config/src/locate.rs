//! Where a setting sits in TOML text: the line of a dotted key path, for mistakes found after
//! parsing (a time zone that does not exist, a selector that does not parse). `toml` itself
//! reports the span of syntax and type errors; this finds the line for semantic ones.
//!
//! Paths are segments; an array of tables is addressed by index: `["provider", "2", "url"]`
//! is the `url` of the third `[[provider]]`. When the key itself is absent (a default value
//! is wrong, or the value is an inline table), the line of the longest present prefix is given.

use std::collections::HashMap;

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The 1-based line of `path` in `text`, or of its longest prefix that is present.
pub fn line_of(text: &str, path: &[&str]) -> Option<usize> {
    let mut table: Vec<String> = Vec::new();
    // How many times each array-of-tables header (by its resolved parent path) was seen.
    let mut arrays: HashMap<Vec<String>, usize> = HashMap::new();
    let mut best: Option<(usize, usize)> = None; // (matched segments, line)
    let mut consider = |full: &[String], line: usize| {
        let matched = full.iter().zip(path).take_while(|(a, b)| a.as_str() == **b).count();
        // Only a key that is a prefix of the path (or the path itself) counts.
        if matched == full.len() && matched > 0 && best.is_none_or(|(m, _)| matched > m) {
            best = Some((matched, line));
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if let Some(inner) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            // Parents resolve to their current entries; the array itself gets a new entry.
            let segments = split_key(inner);
            let (last, parents) = segments.split_last().map_or((String::new(), &[][..]), |(l, p)| (l.clone(), p));
            let mut header = resolve(parents, &arrays);
            header.push(last);
            let n = arrays.entry(header.clone()).or_insert(0);
            *n += 1;
            table = header;
            table.push((*n - 1).to_string());
            consider(&table, i + 1);
        } else if let Some(inner) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            table = resolve(&split_key(inner), &arrays);
            consider(&table, i + 1);
        } else if let Some((key, _)) = split_assignment(line) {
            let mut full = table.clone();
            full.extend(split_key(key));
            consider(&full, i + 1);
        }
    }
    best.map(|(_, line)| line)
}

/// The table (dotted path of its header, without array indexes) that holds the byte `offset`:
/// the last `[header]` or `[[header]]` above it; empty at the top level.
pub fn table_above(text: &str, offset: usize) -> Vec<String> {
    let before = text.get(..offset).unwrap_or(text);
    before
        .lines()
        .rev()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix('[').map(|h| h.trim_start_matches('[').split(']').next().unwrap_or_default()))
        .map(split_key)
        .unwrap_or_default()
}

/// Inserts the current index after every prefix that is an array of tables.
fn resolve(segments: &[String], arrays: &HashMap<Vec<String>, usize>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for seg in segments {
        out.push(seg.clone());
        if let Some(n) = arrays.get(&out) {
            out.push((n.saturating_sub(1)).to_string());
        }
    }
    out
}

/// `key = value` → the key part (outside quotes).
fn split_assignment(line: &str) -> Option<(&str, &str)> {
    if line.starts_with('#') {
        return None;
    }
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '=') => return Some((line[..i].trim(), &line[i + 1..])),
            _ => {}
        }
    }
    None
}

/// `a."b.c".d` → `["a", "b.c", "d"]`.
fn split_key(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in key.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '.') => out.push(std::mem::take(&mut cur).trim().to_owned()),
            (_, c) => cur.push(c),
        }
    }
    out.push(cur.trim().to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# comment = not a key
title = \"x\"
[collector]
interval = \"1h\"
kafka.brokers = \"b\"

[[provider]]
id = \"a\"
url = \"https://a.example/\"

[[provider]]
id = \"b\"
[provider.reader]
time-zone = \"Mars\"
[provider.reader.html]
link = { selector = \"a\" }
";

    #[test]
    fn finds_keys_tables_and_array_entries() {
        assert_eq!(line_of(TEXT, &["title"]), Some(2));
        assert_eq!(line_of(TEXT, &["collector", "interval"]), Some(4));
        assert_eq!(line_of(TEXT, &["collector", "kafka", "brokers"]), Some(5));
        assert_eq!(line_of(TEXT, &["provider", "0", "url"]), Some(9));
        assert_eq!(line_of(TEXT, &["provider", "1", "id"]), Some(12));
        assert_eq!(line_of(TEXT, &["provider", "1", "reader", "time-zone"]), Some(14));
        // A key inside an inline table: the line of the inline table.
        assert_eq!(line_of(TEXT, &["provider", "1", "reader", "html", "link", "selector"]), Some(16));
        // An absent key: its table's header.
        assert_eq!(line_of(TEXT, &["provider", "1", "reader", "horizon-days"]), Some(13));
        assert_eq!(line_of(TEXT, &["comment"]), None);
        assert_eq!(line_of(TEXT, &["nothing", "here"]), None);
    }

    #[test]
    fn the_table_above_an_offset() {
        let at = |needle: &str| table_above(TEXT, TEXT.find(needle).unwrap());
        assert_eq!(at("title"), Vec::<String>::new());
        assert_eq!(at("interval"), ["collector"]);
        assert_eq!(at("time-zone"), ["provider", "reader"]);
        assert_eq!(at("link ="), ["provider", "reader", "html"]);
    }

    #[test]
    fn line_and_column_of_an_offset() {
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
