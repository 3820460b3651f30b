//! Integration tests of the exports: each format is parsed back with a real parser (icalendar
//! and calcard for iCalendar, feed-rs and quick-xml for Atom, serde_json and feed-rs for JSON
//! Feed) and compared with the entries it was made from; proptests feed arbitrary text through
//! all three writers.

mod atom;
mod check;
mod fixtures;
mod ical;
mod json_feed;
mod props;
