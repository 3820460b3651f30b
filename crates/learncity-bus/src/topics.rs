//! `learncity topics ensure`: every topic the pipeline uses, created through the admin client
//! with its partitions, replication factor and cleanup policy. Topics that exist are left as
//! they are (their partition count is reported, never changed: repartitioning moves keys).

use std::sync::Arc;
use std::time::Duration;

use crate::QuietLog;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::error::RDKafkaErrorCode;

use crate::{BusError, KafkaSettings, client_config};

/// One topic the pipeline needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSpec {
    /// Its name.
    pub name: String,
    /// What it carries (for the command's report).
    pub purpose: &'static str,
    /// Topic configs (`cleanup.policy`, `retention.ms`).
    pub config: Vec<(&'static str, String)>,
}

/// Every topic of the pipeline, from the settings.
pub fn specs(settings: &KafkaSettings) -> Vec<TopicSpec> {
    let compact = || vec![("cleanup.policy", "compact".to_owned())];
    vec![
        TopicSpec {
            name: settings.offerings_topic.clone(),
            purpose: "offering events (upsert, snapshot) from the collectors",
            config: compact(),
        },
        TopicSpec {
            name: settings.catalog_topic.clone(),
            purpose: "the catalogue: one record per entry, tombstones on removal",
            config: compact(),
        },
        TopicSpec {
            name: settings.providers_topic.clone(),
            purpose: "the provider registry; collectors share providers by its partitions",
            config: compact(),
        },
        TopicSpec {
            name: settings.collector_state_topic.clone(),
            purpose: "fetch state per provider (validators, hashes, health)",
            config: compact(),
        },
        TopicSpec {
            name: settings.curation_topic.clone(),
            purpose: "operators' curation decisions (merge, split, hide, pin), one record per decision",
            config: compact(),
        },
        TopicSpec {
            name: settings.dead_letter_topic.clone(),
            purpose: "records a stage could not process, with the reason in headers",
            config: vec![
                ("cleanup.policy", "delete".to_owned()),
                ("retention.ms", settings.dead_letter_retention.as_millis().to_string()),
            ],
        },
    ]
}

/// What `ensure` did to one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ensured {
    /// Created now.
    Created,
    /// It existed, with this many partitions.
    Existed {
        /// Its partition count.
        partitions: usize,
    },
}

/// Creates every missing topic of [`specs`]; returns what happened to each.
pub async fn ensure(settings: &KafkaSettings) -> Result<Vec<(TopicSpec, Ensured)>, BusError> {
    let admin: Arc<AdminClient<QuietLog>> = Arc::new(
        client_config(settings).create_with_context(QuietLog::default()).map_err(|source| BusError::Client {
            what: "admin client",
            brokers: settings.brokers.clone(),
            source,
        })?,
    );
    let existing = partition_counts(settings, &admin).await?;
    let specs = specs(settings);
    let missing: Vec<&TopicSpec> = specs.iter().filter(|s| !existing.iter().any(|(n, _)| n == &s.name)).collect();
    let new_topics: Vec<NewTopic<'_>> = missing
        .iter()
        .map(|s| {
            let mut t =
                NewTopic::new(&s.name, settings.partitions, TopicReplication::Fixed(settings.replication_factor));
            for (k, v) in &s.config {
                t = t.set(k, v);
            }
            t
        })
        .collect();
    if !new_topics.is_empty() {
        let opts = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
        let results = admin
            .create_topics(new_topics.iter(), &opts)
            .await
            .map_err(|e| BusError::Unreachable { brokers: settings.brokers.clone(), detail: e.to_string() })?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => return Err(BusError::CreateTopic { topic, detail: code.to_string() }),
            }
        }
    }
    // Wait until metadata shows every topic (creation is asynchronous on some brokers).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = partition_counts(settings, &admin).await?;
        let all = specs.iter().all(|s| now.iter().any(|(n, p)| n == &s.name && *p > 0));
        if all {
            return Ok(specs
                .into_iter()
                .map(|s| {
                    let state = match existing.iter().find(|(n, _)| n == &s.name) {
                        Some((_, partitions)) => Ensured::Existed { partitions: *partitions },
                        None => Ensured::Created,
                    };
                    (s, state)
                })
                .collect());
        }
        if tokio::time::Instant::now() > deadline {
            let missing = specs.iter().find(|s| !now.iter().any(|(n, _)| n == &s.name)).map(|s| s.name.clone());
            return Err(BusError::CreateTopic {
                topic: missing.unwrap_or_default(),
                detail: "created, but the brokers' metadata does not show it after 30 s".to_owned(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `(topic, partitions)` of every topic the brokers know.
async fn partition_counts(
    settings: &KafkaSettings,
    admin: &Arc<AdminClient<QuietLog>>,
) -> Result<Vec<(String, usize)>, BusError> {
    let admin = Arc::clone(admin);
    let brokers = settings.brokers.clone();
    crate::off_runtime(&settings.brokers, move || {
        admin
            .inner()
            .fetch_metadata(None, Duration::from_secs(10))
            .map(|m| m.topics().iter().map(|t| (t.name().to_owned(), t.partitions().len())).collect())
            .map_err(|e| BusError::Unreachable { brokers, detail: e.to_string() })
    })
    .await
}

/// The partition count of `topic`, from the brokers' metadata (blocking; call it off the async
/// runtime or at start-up).
pub fn partition_count<C: rdkafka::client::ClientContext>(
    client: &rdkafka::client::Client<C>,
    brokers: &str,
    topic: &str,
) -> Result<i32, BusError> {
    let metadata = client
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(|e| BusError::Unreachable { brokers: brokers.to_owned(), detail: e.to_string() })?;
    let Some(t) = metadata.topics().first() else {
        return Err(BusError::MissingTopic { topic: topic.to_owned(), brokers: brokers.to_owned() });
    };
    match t.error().map(RDKafkaErrorCode::from) {
        None if !t.partitions().is_empty() => Ok(t.partitions().len() as i32),
        None | Some(RDKafkaErrorCode::UnknownTopicOrPartition) => {
            Err(BusError::MissingTopic { topic: topic.to_owned(), brokers: brokers.to_owned() })
        }
        Some(code) => Err(BusError::Unreachable {
            brokers: brokers.to_owned(),
            detail: format!("metadata of topic {topic}: {code}"),
        }),
    }
}
