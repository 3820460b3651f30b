//! The RRULE values of each VEVENT exactly as the provider wrote them.
//!
//! calcard keeps rules parsed only (its text form reorders the parts), while the record keeps
//! rules verbatim. This scanner unfolds the lines itself and lists, for the n-th `BEGIN:VEVENT`
//! of the document, the values of its own `RRULE` lines. The caller uses them only when the
//! counts agree with calcard's parse, so a disagreement on broken input falls back to the
//! parsed form instead of mismatching rules.

/// What the scan found.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Scan {
    /// For each VEVENT in document order, its RRULE values as written.
    pub rrules: Vec<Vec<String>>,
    /// Components opened with BEGIN and never closed with their END (a truncated document).
    pub unterminated: Vec<String>,
    /// The components still open where the text ends, outermost first: the document was cut
    /// inside them (the last ones of [`Scan::unterminated`]).
    pub open_at_end: Vec<String>,
}

/// Scans the document's lines.
pub(super) fn scan(text: &str) -> Scan {
    let mut events: Vec<Vec<String>> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut unterminated: Vec<String> = Vec::new();
    for line in unfold(text) {
        let (name, value) = split_line(&line);
        let name = name.to_ascii_uppercase();
        match name.as_str() {
            "BEGIN" => {
                let component = value.trim().to_ascii_uppercase();
                if component == "VEVENT" {
                    events.push(Vec::new());
                }
                stack.push(component);
            }
            "END" => {
                // Close up to the named component; components left open in between lack their END.
                let component = value.trim().to_ascii_uppercase();
                if let Some(at) = stack.iter().rposition(|c| *c == component) {
                    unterminated.extend(stack.drain(at..).skip(1));
                }
            }
            "RRULE" if stack.last().is_some_and(|c| c == "VEVENT") => {
                if let Some(rules) = events.last_mut() {
                    rules.push(value.trim().to_owned());
                }
            }
            _ => {}
        }
    }
    unterminated.extend(stack.iter().cloned());
    Scan { rrules: events, unterminated, open_at_end: stack }
}

/// Content lines with folding (CRLF or LF followed by a space or tab) undone.
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        match (raw.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(raw.trim_start_matches('\u{feff}').to_owned()),
        }
    }
    lines
}

/// A content line's name (without parameters) and value.
fn split_line(line: &str) -> (&str, &str) {
    let (head, value) = line.split_once(':').unwrap_or((line, ""));
    let name = head.split(';').next().unwrap_or(head);
    (name.trim(), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_rules_verbatim_per_event_and_ignores_nested_components() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nBEGIN:DAYLIGHT\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nRRULE:FREQ=WEEKLY;BYDAY=TU;\r\n COUNT=10\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let scan = scan(text);
        assert_eq!(scan.rrules, vec![vec!["FREQ=WEEKLY;BYDAY=TU;COUNT=10".to_owned()], vec![]]);
        assert!(scan.unterminated.is_empty());
        assert!(scan.open_at_end.is_empty());
    }

    #[test]
    fn reports_components_left_open() {
        let scan = scan(
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:a\nBEGIN:VEVENT\nEND:VEVENT\nEND:VCALENDAR\nBEGIN:VCALENDAR\nBEGIN:VEVENT\n",
        );
        assert_eq!(scan.unterminated, ["VEVENT", "VCALENDAR", "VEVENT"]);
        // Only the second calendar is cut off: the first one's END:VCALENDAR closed its open VEVENT.
        assert_eq!(scan.open_at_end, ["VCALENDAR", "VEVENT"]);
    }
}
