//! Bytes to text: finds the character encoding and decodes, refusing what is not text.
//!
//! Precedence (the first that answers wins): byte-order mark → the XML spec's UTF-16/32
//! patterns → HTTP `Content-Type` charset → XML declaration → HTML `<meta>` → valid UTF-8 →
//! statistical detection (chardetng, as Firefox does; it tells windows-1251 from KOI8-R).
//! A declared UTF-8 that is not valid UTF-8 falls back to detection with a warning, since
//! regional servers often label windows-1251 pages as UTF-8 — unless the bytes are almost all
//! valid UTF-8 (one stray byte in a UTF-8 feed): then it is UTF-8 with the stray bytes replaced.
//! A few NUL bytes in an otherwise textual document are dropped with a warning; many are binary.

use std::sync::LazyLock;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use regex::bytes::Regex;

use crate::{ReadError, Warning};

/// A decoded document.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text, without byte-order mark.
    pub text: String,
    /// Name of the encoding it was decoded from (`UTF-8`, `windows-1251`, `KOI8-R`...).
    pub charset: &'static str,
    /// Problems found while decoding.
    pub warnings: Vec<Warning>,
}

/// How many leading bytes are examined for binary content and declarations.
const SNIFF_LEN: usize = 8192;

/// Decodes `bytes`, using the HTTP `Content-Type` header when given.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Result<Decoded, ReadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty);
    }
    if let Some((charset, bom_len)) = unicode_signature(bytes) {
        let body = &bytes[bom_len..];
        let (text, errors) = match charset {
            "UTF-32LE" => decode_utf32(body, false),
            "UTF-32BE" => decode_utf32(body, true),
            _ => {
                let enc = Encoding::for_label(charset.as_bytes()).unwrap_or(UTF_8);
                let (text, had_errors) = enc.decode_without_bom_handling(body);
                (text.into_owned(), usize::from(had_errors))
            }
        };
        return finish(text, charset, errors);
    }
    if let Some(detail) = binary_signature(bytes) {
        return Err(ReadError::Binary { detail });
    }
    let mut warnings = Vec::new();
    let without_nuls: Vec<u8>;
    let bytes = match bytes.iter().filter(|&&b| b == 0).count() {
        0 => bytes,
        nuls => {
            without_nuls = bytes.iter().copied().filter(|&b| b != 0).collect();
            warnings.push(Warning::document(format!(
                "the document has {nuls} NUL byte(s), which no text holds; they were dropped and the rest was read"
            )));
            &without_nuls
        }
    };

    let declared = content_type
        .and_then(header_charset)
        .map(|e| (e, "the HTTP Content-Type header"))
        .or_else(|| xml_declared(bytes).map(|e| (e, "the XML declaration")))
        .or_else(|| meta_declared(bytes).map(|e| (e, "the HTML <meta> charset")));
    let mut replaced_here = false;
    let encoding = match declared {
        // A document cannot declare UTF-16 in ASCII bytes; browsers read it as UTF-8 too.
        Some((enc, _)) if enc == UTF_16LE || enc == UTF_16BE => UTF_8,
        Some((enc, source)) if enc == UTF_8 && std::str::from_utf8(bytes).is_err() => match mostly_utf8(bytes) {
            Some(invalid) => {
                replaced_here = true;
                warnings.push(Warning::document(format!(
                    "{source} says UTF-8 and the bytes are UTF-8 but for {invalid} invalid byte(s); read as UTF-8 \
                     with those replaced by U+FFFD"
                )));
                UTF_8
            }
            None => {
                let guessed = guess(bytes);
                warnings.push(Warning::document(format!(
                    "{source} says UTF-8 but the bytes are not valid UTF-8; read as {} instead",
                    guessed.name()
                )));
                guessed
            }
        },
        Some((enc, _)) => enc,
        None if std::str::from_utf8(bytes).is_ok() => UTF_8,
        None => guess(bytes),
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    let errors = if replaced_here { 0 } else { usize::from(had_errors) };
    let mut decoded = finish(text.into_owned(), encoding.name(), errors)?;
    warnings.append(&mut decoded.warnings);
    decoded.warnings = warnings;
    Ok(decoded)
}

fn finish(text: String, charset: &'static str, errors: usize) -> Result<Decoded, ReadError> {
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    let sample: String = text.chars().take(SNIFF_LEN).collect();
    let replaced = sample.chars().filter(|&c| c == char::REPLACEMENT_CHARACTER).count();
    let controls = sample.chars().filter(|&c| c.is_control() && !c.is_whitespace()).count();
    let total = sample.chars().count().max(1);
    if (replaced + controls) * 10 > total {
        return Err(ReadError::Binary {
            detail: format!("{} of its first {total} characters are not text in {charset}", replaced + controls),
        });
    }
    let mut warnings = Vec::new();
    if errors > 0 {
        warnings.push(Warning::document(format!("some bytes are not valid {charset} and were replaced with U+FFFD")));
    }
    Ok(Decoded { text, charset, warnings })
}

/// A byte-order mark or the XML spec's (appendix F) patterns of `<?` in UTF-16/32.
fn unicode_signature(b: &[u8]) -> Option<(&'static str, usize)> {
    match b {
        [0xEF, 0xBB, 0xBF, ..] => Some(("UTF-8", 3)),
        [0xFF, 0xFE, 0, 0, ..] => Some(("UTF-32LE", 4)),
        [0, 0, 0xFE, 0xFF, ..] => Some(("UTF-32BE", 4)),
        [0xFF, 0xFE, ..] => Some(("UTF-16LE", 2)),
        [0xFE, 0xFF, ..] => Some(("UTF-16BE", 2)),
        [0, 0, 0, b'<', ..] => Some(("UTF-32BE", 0)),
        [b'<', 0, 0, 0, ..] => Some(("UTF-32LE", 0)),
        [0, b'<', 0, b'?', ..] | [0, b'{', ..] => Some(("UTF-16BE", 0)),
        [b'<', 0, b'?', 0, ..] | [b'{', 0, ..] => Some(("UTF-16LE", 0)),
        _ => None,
    }
}

fn decode_utf32(b: &[u8], big_endian: bool) -> (String, usize) {
    let mut errors = 0;
    let text = b
        .chunks(4)
        .map(|c| {
            let v = match (c, big_endian) {
                ([a, b, c, d], true) => u32::from_be_bytes([*a, *b, *c, *d]),
                ([a, b, c, d], false) => u32::from_le_bytes([*a, *b, *c, *d]),
                _ => u32::MAX,
            };
            char::from_u32(v).unwrap_or_else(|| {
                errors += 1;
                char::REPLACEMENT_CHARACTER
            })
        })
        .collect();
    (text, errors)
}

/// How many bytes of `b` are not valid UTF-8, when the rest is UTF-8 beyond doubt: at least ten
/// valid multi-byte characters for each invalid byte. Text in a legacy encoding mislabelled as
/// UTF-8 has almost no valid multi-byte sequence, so it fails this.
fn mostly_utf8(b: &[u8]) -> Option<usize> {
    let (mut invalid, mut multibyte) = (0usize, 0usize);
    for chunk in b.utf8_chunks() {
        multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        invalid += chunk.invalid().len();
    }
    (invalid > 0 && multibyte >= invalid.saturating_mul(10)).then_some(invalid)
}

/// Recognises common binary formats, and NUL bytes in more than 2% of the head (no text
/// encoding we read produces them; a stray one in a text is dropped by [`decode`]).
fn binary_signature(b: &[u8]) -> Option<String> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"%PDF", "a PDF file"),
        (b"\x89PNG", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"PK\x03\x04", "a ZIP archive (or an office document)"),
        (b"\x1F\x8B", "gzip-compressed data"),
        (b"\x7FELF", "an executable"),
        (b"BZh", "bzip2-compressed data"),
        (b"\xD0\xCF\x11\xE0", "an old Microsoft Office document"),
    ];
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| b.starts_with(m)) {
        return Some((*what).to_owned());
    }
    let head = &b[..b.len().min(SNIFF_LEN)];
    let nuls = head.iter().filter(|&&c| c == 0).count();
    (nuls.saturating_mul(50) > head.len()).then(|| format!("{nuls} NUL bytes in its first {} bytes", head.len()))
}

fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
            .and_then(|label| Encoding::for_label(label.as_bytes()))
    })
}

static XML_DECL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\A\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"#).expect("static regex")
});
static META_CHARSET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)"#).expect("static regex"));

fn xml_declared(b: &[u8]) -> Option<&'static Encoding> {
    let head = &b[..b.len().min(1024)];
    XML_DECL.captures(head).and_then(|c| Encoding::for_label(c.get(1)?.as_bytes()))
}

fn meta_declared(b: &[u8]) -> Option<&'static Encoding> {
    let head = &b[..b.len().min(SNIFF_LEN)];
    META_CHARSET.captures(head).and_then(|c| Encoding::for_label(c.get(1)?.as_bytes()))
}

fn guess(b: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(b, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: &str = "Курсы английского языка для взрослых в Витебске";

    fn enc(label: &str, s: &str) -> Vec<u8> {
        Encoding::for_label(label.as_bytes()).unwrap().encode(s).0.into_owned()
    }

    #[test]
    fn utf8_plain_and_with_bom() {
        assert_eq!(decode(RU.as_bytes(), None).unwrap().text, RU);
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(RU.as_bytes());
        let d = decode(&b, None).unwrap();
        assert_eq!((d.text.as_str(), d.charset), (RU, "UTF-8"));
    }

    #[test]
    fn windows_1251_from_xml_declaration() {
        let mut b = br#"<?xml version="1.0" encoding="windows-1251"?><rss><title>"#.to_vec();
        b.extend(enc("windows-1251", RU));
        let d = decode(&b, None).unwrap();
        assert!(d.text.contains(RU));
        assert_eq!(d.charset, "windows-1251");
    }

    #[test]
    fn header_charset_wins_over_declaration() {
        let mut b = br#"<?xml version="1.0" encoding="utf-8"?><rss>"#.to_vec();
        b.extend(enc("koi8-r", RU));
        let d = decode(&b, Some("application/rss+xml; charset=KOI8-R")).unwrap();
        assert!(d.text.contains(RU));
        assert_eq!(d.charset, "KOI8-R");
    }

    #[test]
    fn meta_charset_in_html() {
        let mut b =
            br#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1251"></head><body>"#
                .to_vec();
        b.extend(enc("windows-1251", RU));
        assert!(decode(&b, None).unwrap().text.contains(RU));
    }

    #[test]
    fn undeclared_legacy_encodings_are_detected() {
        let long = RU.repeat(5);
        for label in ["windows-1251", "koi8-r"] {
            let mut b = b"<html><body><p>".to_vec();
            b.extend(enc(label, &long));
            let d = decode(&b, None).unwrap();
            assert!(d.text.contains(&long), "{label}: {}", d.text);
        }
    }

    #[test]
    fn mislabelled_utf8_falls_back_with_warning() {
        let mut b = br#"<?xml version="1.0" encoding="utf-8"?><rss><title>"#.to_vec();
        b.extend(enc("windows-1251", &RU.repeat(3)));
        let d = decode(&b, None).unwrap();
        assert!(d.text.contains(RU));
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
    }

    /// A UTF-8 feed (declared so in the header and the XML declaration) with one stray byte was
    /// read entirely as GBK, garbling every Cyrillic title.
    #[test]
    fn declared_utf8_with_one_invalid_byte_stays_utf8() {
        let mut b = br#"<?xml version="1.0" encoding="utf-8"?><rss><title>"#.to_vec();
        b.extend_from_slice(RU.as_bytes());
        b.push(0xA0);
        b.extend_from_slice(format!("</title><title>{RU}</title></rss>").as_bytes());
        let d = decode(&b, Some("application/rss+xml; charset=utf-8")).unwrap();
        assert_eq!(d.charset, "UTF-8");
        assert_eq!(d.text.matches(RU).count(), 2, "{}", d.text);
        assert!(d.text.contains('\u{fffd}'));
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(d.warnings[0].message.contains("1 invalid byte"), "{:?}", d.warnings);
    }

    /// One NUL byte in a JSON Feed made the whole document "binary".
    #[test]
    fn a_stray_nul_byte_is_dropped_with_a_warning() {
        let b = b"{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"Courses\0\", \"items\": []}";
        let d = decode(b, None).unwrap();
        assert_eq!(
            d.text,
            "{\"version\": \"https://jsonfeed.org/version/1.1\", \"title\": \"Courses\", \"items\": []}"
        );
        assert!(d.warnings.iter().any(|w| w.message.contains("1 NUL byte")), "{:?}", d.warnings);
    }

    #[test]
    fn utf16_with_and_without_bom() {
        let s = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss>Вiцебск</rss>";
        let le: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&le, None).unwrap().text, s);
        let mut be = vec![0xFE, 0xFF];
        be.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be, None).unwrap().text, s);
    }

    #[test]
    fn utf32_without_bom() {
        let s = "<?xml version=\"1.0\"?><feed/>";
        let b: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        assert_eq!(decode(&b, None).unwrap().text, s);
    }

    #[test]
    fn empty_and_binary_are_refused() {
        assert_eq!(decode(b"", None).unwrap_err(), ReadError::Empty);
        assert_eq!(decode(b" \n\t ", None).unwrap_err(), ReadError::Empty);
        assert!(matches!(decode(b"\x89PNG\r\n\x1a\n\0\0", None), Err(ReadError::Binary { .. })));
        assert!(matches!(decode(b"abc\0\0\0def", None), Err(ReadError::Binary { .. })));
        assert!(matches!(decode(&[0x1F, 0x8B, 8, 0, 0, 0], None), Err(ReadError::Binary { .. })));
    }
}
