//! What one read of one document may spend: items, sessions, time, and a stop from the caller.
//!
//! [`crate::read`] sets a budget up for the read (from the provider's `[reader]` settings) on
//! its own thread, and every reader draws on it where it makes items: [`take`] counts an item
//! and its sessions, [`alive`] only looks at the clock and the caller's stop. Both return
//! `false` once the budget is spent, and the reader stops making items; the read then fails with
//! [`crate::ReadError::OverBudget`] (or [`crate::ReadError::Stopped`]) and publishes nothing. A
//! document that is too big thus costs at most about its budget in time and memory, however many
//! items it holds, and a shutdown does not wait for a read to end.
//!
//! The budget is per thread because a read is one synchronous call on one thread: readers need
//! no extra parameter, and code that runs outside [`within`] (unit tests of one reader) draws on
//! no budget at all.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A caller's way to stop a read early (a shutdown): returns `true` once the read should stop.
pub type Stop = Arc<dyn Fn() -> bool + Send + Sync>;

/// Why a read's budget was spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spent {
    /// More items than `max-items`.
    Items(usize),
    /// More sessions, all items together, than `max-document-sessions`.
    Sessions(usize),
    /// Longer than `max-read-seconds`.
    Time(u64),
    /// The caller stopped the read.
    Stopped,
}

impl std::fmt::Display for Spent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spent::Items(max) => write!(
                f,
                "it holds more than {max} items (the provider's [reader] max-items); raise max-items in the \
                 provider file if the listing really is that long, or ask the provider to split it"
            ),
            Spent::Sessions(max) => write!(
                f,
                "its items have more than {max} sessions together (the provider's [reader] max-document-sessions); \
                 raise max-document-sessions in the provider file if that is real, or lower horizon-days"
            ),
            Spent::Time(secs) => write!(
                f,
                "reading it took longer than {secs} s (the provider's [reader] max-read-seconds); raise \
                 max-read-seconds in the provider file if the document is real, or ask the provider to split it"
            ),
            Spent::Stopped => f.write_str("the read was stopped (learncity is shutting down)"),
        }
    }
}

/// The limits of one read.
#[derive(Clone)]
pub struct Limits {
    /// Most items.
    pub items: usize,
    /// Most sessions of all items together.
    pub sessions: usize,
    /// Longest time.
    pub time: Duration,
    /// The caller's stop.
    pub stop: Option<Stop>,
}

struct State {
    limits: Limits,
    deadline: Instant,
    items: usize,
    sessions: usize,
    spent: Option<Spent>,
}

thread_local! {
    static CURRENT: RefCell<Option<State>> = const { RefCell::new(None) };
}

/// Runs `f` under `limits` on this thread; returns what it returned and why the budget was spent,
/// if it was.
pub fn within<R>(limits: Limits, f: impl FnOnce() -> R) -> (R, Option<Spent>) {
    struct Reset(Option<State>);
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| *c.borrow_mut() = self.0.take());
        }
    }
    let deadline =
        Instant::now().checked_add(limits.time).unwrap_or_else(|| Instant::now() + Duration::from_secs(86_400));
    let state = State { limits, deadline, items: 0, sessions: 0, spent: None };
    // A read inside a read (a landing page read while reading a feed) keeps the outer one's budget.
    let outer = CURRENT.with(|c| c.borrow_mut().replace(state));
    let reset = Reset(outer);
    let out = f();
    let spent = CURRENT.with(|c| c.borrow().as_ref().and_then(|s| s.spent.clone()));
    drop(reset);
    (out, spent)
}

/// Counts one item with `sessions` sessions. `false` when the budget is spent (this item
/// included): the reader makes no more items.
pub fn take(sessions: usize) -> bool {
    draw(|s| {
        s.items += 1;
        s.sessions = s.sessions.saturating_add(sessions);
        if s.items > s.limits.items {
            Some(Spent::Items(s.limits.items))
        } else if s.sessions > s.limits.sessions {
            Some(Spent::Sessions(s.limits.sessions))
        } else {
            None
        }
    })
}

/// `false` when the read is out of time or stopped: the reader stops its work.
pub fn alive() -> bool {
    draw(|_| None)
}

fn draw(count: impl FnOnce(&mut State) -> Option<Spent>) -> bool {
    CURRENT.with(|c| {
        let mut current = c.borrow_mut();
        let Some(s) = current.as_mut() else { return true };
        if s.spent.is_some() {
            return false;
        }
        s.spent = count(s)
            .or_else(|| (Instant::now() >= s.deadline).then_some(Spent::Time(s.limits.time.as_secs())))
            .or_else(|| s.limits.stop.as_ref().is_some_and(|stop| stop()).then_some(Spent::Stopped));
        s.spent.is_none()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(items: usize, sessions: usize) -> Limits {
        Limits { items, sessions, time: Duration::from_secs(60), stop: None }
    }

    #[test]
    fn items_and_sessions_are_counted_until_one_is_over() {
        let ((), spent) = within(limits(3, 100), || {
            assert!(take(1) && take(1) && take(1));
            assert!(!take(1), "the fourth item is one too many");
            assert!(!take(0) && !alive(), "a spent budget stays spent");
        });
        assert_eq!(spent, Some(Spent::Items(3)));
        let ((), spent) = within(limits(100, 10), || {
            assert!(take(6));
            assert!(!take(6));
        });
        assert_eq!(spent, Some(Spent::Sessions(10)));
    }

    #[test]
    fn time_and_the_callers_stop_end_a_read() {
        let ((), spent) = within(Limits { time: Duration::ZERO, ..limits(10, 10) }, || assert!(!alive()));
        assert_eq!(spent, Some(Spent::Time(0)));
        let stop: Stop = Arc::new(|| true);
        let ((), spent) = within(Limits { stop: Some(stop), ..limits(10, 10) }, || assert!(!take(1)));
        assert_eq!(spent, Some(Spent::Stopped));
    }

    #[test]
    fn a_document_over_its_budget_is_not_read() {
        use crate::test_support::{fetched_at, with_ctx};
        use crate::{FormatHint, ReadError, ReaderSettings};
        let mut rss = String::from("<rss version=\"2.0\"><channel><title>t</title>");
        for i in 0..30 {
            rss.push_str(&format!("<item><guid>g{i}</guid><title>Лекция {i}</title></item>"));
        }
        rss.push_str("</channel></rss>");
        let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n");
        for i in 0..10 {
            ics.push_str(&format!(
                "BEGIN:VEVENT\r\nUID:{i}\r\nDTSTART:20250305T100000Z\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Курс {i}\r\nEND:VEVENT\r\n"
            ));
        }
        ics.push_str("END:VCALENDAR\r\n");
        let read = |body: &str, settings: &ReaderSettings| {
            with_ctx(settings, None, fetched_at(), |ctx| crate::read(body.as_bytes(), FormatHint::Auto, ctx))
        };
        let small = ReaderSettings { max_items: 10, max_document_sessions: 1_000, ..ReaderSettings::default() };
        assert_eq!(read(&rss, &small).unwrap_err(), ReadError::OverBudget(Spent::Items(10)));
        let err = read(&ics, &small).unwrap_err();
        assert_eq!(err, ReadError::OverBudget(Spent::Sessions(1_000)));
        assert!(err.to_string().contains("max-document-sessions"), "{err}");
        assert_eq!(err.kind(), "budget");
        // Within the defaults both are read whole.
        assert_eq!(read(&rss, &ReaderSettings::default()).unwrap().offerings.len(), 30);
        assert_eq!(read(&ics, &ReaderSettings::default()).unwrap().offerings.len(), 10);
        let stop: Stop = Arc::new(|| true);
        let stopped = with_ctx(&ReaderSettings::default(), None, fetched_at(), |ctx| {
            crate::read_until(rss.as_bytes(), FormatHint::Auto, ctx, Some(stop))
        });
        assert_eq!(stopped.unwrap_err(), ReadError::Stopped);
    }

    #[test]
    fn outside_a_read_nothing_is_counted_and_a_nested_read_gives_the_outer_one_back() {
        assert!((0..100).all(|_| take(1_000)));
        let ((), spent) = within(limits(2, 100), || {
            let ((), inner) = within(limits(100, 100), || assert!(take(1) && take(1) && take(1)));
            assert_eq!(inner, None);
            assert!(take(1) && take(1) && !take(1), "the outer count went on where it was");
        });
        assert_eq!(spent, Some(Spent::Items(2)));
        assert!(take(1), "no budget after the read");
    }
}
