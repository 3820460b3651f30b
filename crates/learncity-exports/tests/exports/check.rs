//! Validity checks shared by the export tests: the physical shape of an iCalendar document
//! (CRLF, 75-octet lines, folding) and its unfolding, and an XML 1.0 well-formedness check on
//! top of quick-xml's reader (which does not check characters or references by itself).

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Checks the physical lines of an iCalendar document: every line ends in CRLF (no bare CR or
/// LF anywhere), none is longer than 75 octets, and the document is one VCALENDAR. Returns the
/// physical lines.
pub fn ical_physical_lines(ics: &str) -> Result<Vec<&str>, String> {
    let body = ics.strip_suffix("\r\n").ok_or("the document does not end in CRLF")?;
    let lines: Vec<&str> = body.split("\r\n").collect();
    for (n, line) in lines.iter().enumerate() {
        if line.contains(['\r', '\n']) {
            return Err(format!("line {n} has a bare CR or LF: {line:?}"));
        }
        if line.len() > 75 {
            return Err(format!("line {n} has {} octets: {line:?}", line.len()));
        }
        if line.is_empty() {
            return Err(format!("line {n} is empty"));
        }
        if line.starts_with('\t') {
            return Err(format!("line {n} is folded with a tab"));
        }
    }
    if lines.first() != Some(&"BEGIN:VCALENDAR") || lines.last() != Some(&"END:VCALENDAR") {
        return Err("not one VCALENDAR".into());
    }
    Ok(lines)
}

/// The logical (unfolded) lines of an iCalendar document: CRLF followed by one space removed.
pub fn ical_unfold(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "").split("\r\n").filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

/// True for a character XML 1.0 allows (`Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

/// Checks that `xml` is a well-formed XML 1.0 document: only allowed characters, one root
/// element, matching end tags, well-formed attributes, only the predefined entity references
/// and character references to allowed characters. Returns the number of elements.
pub fn check_xml(xml: &str) -> Result<usize, String> {
    if let Some(c) = xml.chars().find(|c| !is_xml_char(*c)) {
        return Err(format!("character {c:?} is not allowed in XML 1.0"));
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().enable_all_checks(true);
    let (mut depth, mut roots, mut elements) = (0usize, 0usize, 0usize);
    loop {
        let event = reader.read_event().map_err(|e| format!("at {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                roots += usize::from(depth == 0);
                depth += 1;
                elements += 1;
                check_attributes(&e)?;
            }
            Event::Empty(e) => {
                roots += usize::from(depth == 0);
                elements += 1;
                check_attributes(&e)?;
            }
            Event::End(_) => depth = depth.checked_sub(1).ok_or("end tag without start")?,
            Event::Text(t) => {
                if depth == 0 && !t.trim().is_empty() {
                    return Err(format!("text outside the root element: {:?}", &*t));
                }
            }
            Event::GeneralRef(r) => {
                if depth == 0 {
                    return Err("reference outside the root element".into());
                }
                if r.is_char_ref() {
                    let c = r.resolve_char_ref().map_err(|e| e.to_string())?.ok_or("bad character reference")?;
                    if !is_xml_char(c) {
                        return Err(format!("reference to forbidden character {c:?}"));
                    }
                } else if !["amp", "lt", "gt", "quot", "apos"].contains(&&*r) {
                    return Err(format!("undeclared entity &{};", &*r));
                }
            }
            Event::Decl(_) => {}
            Event::Eof => break,
            other => return Err(format!("unexpected event {other:?}")),
        }
    }
    if depth != 0 || roots != 1 {
        return Err(format!("unbalanced document: depth {depth}, {roots} root elements"));
    }
    Ok(elements)
}

fn check_attributes(e: &BytesStart<'_>) -> Result<(), String> {
    for attribute in e.attributes().with_checks(true) {
        let attribute = attribute.map_err(|e| e.to_string())?;
        attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|e| e.to_string())?;
    }
    Ok(())
}
