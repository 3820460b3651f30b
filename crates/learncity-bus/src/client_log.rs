//! librdkafka's own log lines and errors, through `tracing`, each kind at most once per window.
//!
//! librdkafka reports every failed connection attempt: with the brokers down, each client's
//! threads said "Connect to ipv4#127.0.0.1:9092 failed" and "brokers are down" about 20 times
//! a second, as ERROR — a flood that hid everything else in `serve`'s log. [`QuietLog`] keeps the
//! first line of each kind, then one per [`WINDOW`] saying how many like it were held back; an
//! unreachable broker is a WARN (every client retries on its own and says so through its own
//! health or errors), other errors stay ERROR. Every line, shown or held back, is counted in
//! `learncity_kafka_client_errors_total{kind}`.
//!
//! Every client learncity creates uses it: [`QuietLog`] is a [`ClientContext`] for the producer,
//! admin and plain consumers, and the consumer-group contexts delegate their `log` and `error` to
//! one.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::ConsumerContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};

/// How long the same kind of line is held back after it was shown.
pub const WINDOW: Duration = Duration::from_secs(30);

/// The throttle: per kind, when it was last shown and how many were held back since.
/// [`QuietLog::default`] is the process-wide one, shared by every client: `serve` makes a new
/// producer for each try to reach the brokers, and each would otherwise say it all again.
#[derive(Debug, Clone)]
pub struct QuietLog {
    seen: Arc<Mutex<HashMap<String, (Instant, u64)>>>,
}

static SHARED: LazyLock<QuietLog> = LazyLock::new(QuietLog::own);

impl Default for QuietLog {
    fn default() -> Self {
        SHARED.clone()
    }
}

impl QuietLog {
    /// A throttle of its own (tests).
    fn own() -> Self {
        Self { seen: Arc::default() }
    }

    /// Whether a line of `kind` may be shown at `now`: `Some(held back since the last one)` when
    /// it may, `None` when it is held back.
    pub fn admit(&self, kind: &str, now: Instant) -> Option<u64> {
        let mut seen = self.seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match seen.get_mut(kind) {
            Some((last, held)) if now.saturating_duration_since(*last) < WINDOW => {
                *held += 1;
                None
            }
            Some((last, held)) => {
                *last = now;
                Some(std::mem::take(held))
            }
            None => {
                // A client sees a handful of kinds; the map is bounded by what librdkafka says.
                seen.insert(kind.to_owned(), (now, 0));
                Some(0)
            }
        }
    }

    /// A librdkafka log line (the [`ClientContext::log`] of every learncity client).
    pub fn line(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        if matches!(level, RDKafkaLogLevel::Debug | RDKafkaLogLevel::Info | RDKafkaLogLevel::Notice) {
            tracing::debug!(target: "librdkafka", facility, "{message}");
            return;
        }
        let unreachable = is_connection_line(facility, message);
        let kind = if unreachable { "unreachable".to_owned() } else { format!("log:{facility}") };
        self.show(&kind, unreachable || matches!(level, RDKafkaLogLevel::Warning), &format!("{facility}: {message}"));
    }

    /// A librdkafka global error (the [`ClientContext::error`] of every learncity client).
    pub fn error(&self, error: &KafkaError, reason: &str) {
        let code = error.rdkafka_error_code();
        let unreachable = matches!(
            code,
            Some(
                RDKafkaErrorCode::BrokerTransportFailure
                    | RDKafkaErrorCode::AllBrokersDown
                    | RDKafkaErrorCode::Resolve
                    | RDKafkaErrorCode::BrokerNotAvailable
            )
        );
        let kind = if unreachable { "unreachable".to_owned() } else { format!("error:{code:?}") };
        self.show(&kind, unreachable, &format!("{error}: {reason}"));
    }

    fn show(&self, kind: &str, warning: bool, text: &str) {
        metrics::counter!("learncity_kafka_client_errors_total", "kind" => kind.to_owned()).increment(1);
        let Some(held) = self.admit(kind, Instant::now()) else { return };
        let held = if held > 0 {
            format!(" ({held} more like this in the last {}s were not logged)", WINDOW.as_secs())
        } else {
            String::new()
        };
        if warning {
            tracing::warn!(target: "librdkafka", kind, "Kafka client: {text}{held}; it keeps retrying");
        } else {
            tracing::error!(target: "librdkafka", kind, "Kafka client: {text}{held}");
        }
    }
}

/// A line about a broker that cannot be reached (connect, resolve, transport), whatever its level.
fn is_connection_line(facility: &str, message: &str) -> bool {
    matches!(facility, "FAIL" | "CONNECT" | "BROKERFAIL" | "RESOLVE")
        || ["Connection refused", "brokers are down", "Connect to", "Failed to resolve", "Disconnected"]
            .iter()
            .any(|m| message.contains(m))
}

impl ClientContext for QuietLog {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        self.line(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        QuietLog::error(self, &error, reason);
    }
}

impl ConsumerContext for QuietLog {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_is_shown_once_per_window_with_what_was_held_back() {
        let quiet = QuietLog::own();
        let t0 = Instant::now();
        assert_eq!(quiet.admit("unreachable", t0), Some(0));
        for i in 1..=40 {
            assert_eq!(quiet.admit("unreachable", t0 + Duration::from_millis(50 * i)), None);
        }
        // Another kind is not held back by the first.
        assert_eq!(quiet.admit("error:Some(Authentication)", t0 + Duration::from_secs(1)), Some(0));
        assert_eq!(quiet.admit("unreachable", t0 + WINDOW), Some(40));
        assert_eq!(quiet.admit("unreachable", t0 + WINDOW + Duration::from_secs(1)), None);
    }

    #[test]
    fn connection_failures_are_told_apart() {
        assert!(is_connection_line("FAIL", "127.0.0.1:9/bootstrap: Connect to ipv4#127.0.0.1:9 failed"));
        assert!(is_connection_line("ERROR", "1/1 brokers are down"));
        assert!(!is_connection_line("TOPICERR", "Topic x: Broker: Unknown topic or partition"));
    }
}
