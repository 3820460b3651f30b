//! The collector of matches: applies the date-window filter on the packed `sessions` fast field,
//! computes each match's next session, and keeps every match with its score, so that the caller
//! can count, sort and page them.
//!
//! A session is packed into one `u64` ([`pack_session`]): its start in the high 32 bits and its
//! end in the low 32 bits, both as Unix seconds clamped to `0..=u32::MAX` (1970 to 2106). One
//! value per session keeps start and end together in a multi-valued fast field.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::schema::SESSIONS;

/// Unix seconds clamped to what a packed session holds.
pub(crate) fn clamp_secs(secs: i64) -> u32 {
    u32::try_from(secs.max(0)).unwrap_or(u32::MAX)
}

/// One session as a fast-field value: start (high 32 bits) and end (low 32 bits, the start when
/// unknown or earlier than the start).
pub(crate) fn pack_session(start: i64, end: Option<i64>) -> u64 {
    let start = clamp_secs(start);
    let end = end.map_or(start, clamp_secs).max(start);
    (u64::from(start) << 32) | u64::from(end)
}

/// The start and end of a packed session.
pub(crate) fn unpack_session(value: u64) -> (u32, u32) {
    ((value >> 32) as u32, (value & u64::from(u32::MAX)) as u32)
}

/// One matching document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Match {
    /// Relevance score.
    pub(crate) score: Score,
    /// Start of its earliest session at or after the threshold (Unix seconds).
    pub(crate) next: Option<u32>,
    /// Where it is.
    pub(crate) address: DocAddress,
}

/// Collects every match that has a session overlapping `window` (when given).
pub(crate) struct Matches {
    /// Keep only documents with a session `[start, end]` overlapping `[from, to]` (inclusive).
    pub(crate) window: Option<(u32, u32)>,
    /// A match's next session is its earliest session starting at or after this.
    pub(crate) threshold: u32,
}

pub(crate) struct SegmentMatches {
    segment_ord: SegmentOrdinal,
    sessions: Option<Column<u64>>,
    window: Option<(u32, u32)>,
    threshold: u32,
    out: Vec<Match>,
}

impl Collector for Matches {
    type Fruit = Vec<Match>;
    type Child = SegmentMatches;

    fn for_segment(&self, segment_ord: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<SegmentMatches> {
        Ok(SegmentMatches {
            segment_ord,
            sessions: segment.fast_fields().column_opt::<u64>(SESSIONS)?,
            window: self.window,
            threshold: self.threshold,
            out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<Match>>) -> tantivy::Result<Vec<Match>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for SegmentMatches {
    type Fruit = Vec<Match>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let mut in_window = self.window.is_none();
        let mut next: Option<u32> = None;
        if let Some(column) = &self.sessions {
            for value in column.values_for_doc(doc) {
                let (start, end) = unpack_session(value);
                if let Some((from, to)) = self.window
                    && start <= to
                    && end >= from
                {
                    in_window = true;
                }
                if start >= self.threshold && next.is_none_or(|n| start < n) {
                    next = Some(start);
                }
            }
        }
        if in_window {
            self.out.push(Match { score, next, address: DocAddress::new(self.segment_ord, doc) });
        }
    }

    fn harvest(self) -> Vec<Match> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_pack_and_unpack() {
        assert_eq!(unpack_session(pack_session(1_700_000_000, Some(1_700_003_600))), (1_700_000_000, 1_700_003_600));
        assert_eq!(unpack_session(pack_session(1_700_000_000, None)), (1_700_000_000, 1_700_000_000));
        assert_eq!(unpack_session(pack_session(100, Some(50))), (100, 100), "an end before the start is the start");
        assert_eq!(unpack_session(pack_session(-5, Some(i64::MAX))), (0, u32::MAX));
    }
}
