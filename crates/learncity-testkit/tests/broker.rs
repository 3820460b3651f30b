//! Against a real broker (Tansu via scripts/kafka-up, or LEARNCITY_TEST_KAFKA): topic creation,
//! produce with keys and headers, read back.

use std::time::Duration;

use learncity_testkit::broker::{Broker, create_topic, free_port, read_topic_all, read_topic_until, unique_name};
use rdkafka::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};

fn producer(bootstrap: &str) -> FutureProducer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("enable.idempotence", "true")
        .set("message.timeout.ms", "30000")
        .create()
        .expect("producer")
}

#[tokio::test]
async fn compacted_topic_round_trip_keys_headers_payloads() {
    let broker = Broker::shared();
    let topic = unique_name("testkit-compacted");
    create_topic(&broker.bootstrap, &topic, 2, &[("cleanup.policy", "compact")]).await.expect("create topic");

    let producer = producer(&broker.bootstrap);
    for i in 0..3 {
        let key = format!("provider-a/item-{i}");
        let payload = serde_json::json!({ "n": i, "title": format!("Курс {i}") }).to_string();
        let headers = OwnedHeaders::new()
            .insert(Header { key: "event", value: Some("upsert") })
            .insert(Header { key: "schema_version", value: Some(&i.to_string()) });
        let record = FutureRecord::to(&topic).key(&key).payload(&payload).headers(headers);
        producer.send(record, Duration::from_secs(30)).await.map_err(|(e, _)| e).expect("produce");
    }
    producer.flush(Duration::from_secs(10)).expect("flush");

    let records = read_topic_all(&broker.bootstrap, &topic, Duration::from_secs(30)).await;
    assert_eq!(records.len(), 3, "{records:#?}");
    let mut by_key = records.clone();
    by_key.sort_by(|a, b| a.key.cmp(&b.key));
    for (i, record) in by_key.iter().enumerate() {
        assert_eq!(record.topic, topic);
        assert_eq!(record.key.as_deref(), Some(format!("provider-a/item-{i}").as_str()));
        assert_eq!(record.header("event"), Some("upsert"));
        assert_eq!(record.header("schema_version"), Some(i.to_string().as_str()));
        assert_eq!(record.header("missing"), None);
        assert_eq!(record.headers.len(), 2);
        assert_eq!(record.json(), serde_json::json!({ "n": i, "title": format!("Курс {i}") }));
    }
    // Sorted by (partition, offset).
    assert!(records.windows(2).all(|w| (w[0].partition, w[0].offset) < (w[1].partition, w[1].offset)));

    // read_topic_until stops as soon as the condition holds.
    let two = read_topic_until(&broker.bootstrap, &topic, Duration::from_secs(30), |r| r.len() >= 2).await;
    assert_eq!(two.len(), 2);
    // And returns what it has when the condition never holds.
    let started = std::time::Instant::now();
    let all = read_topic_until(&broker.bootstrap, &topic, Duration::from_secs(3), |r| r.len() > 3).await;
    assert_eq!(all.len(), 3);
    assert!(started.elapsed() >= Duration::from_secs(3));
}

#[tokio::test]
async fn empty_and_missing_topics_read_as_empty() {
    let broker = Broker::shared();
    let topic = unique_name("testkit-empty");
    create_topic(&broker.bootstrap, &topic, 3, &[]).await.expect("create topic");
    assert!(read_topic_all(&broker.bootstrap, &topic, Duration::from_secs(10)).await.is_empty());
    // Creating it again is an error.
    assert!(create_topic(&broker.bootstrap, &topic, 3, &[]).await.is_err());
}

#[test]
fn unique_names_differ() {
    let a = unique_name("t");
    let b = unique_name("t");
    assert_ne!(a, b);
    assert!(a.starts_with(&format!("t-{}-", std::process::id())));
}

async fn produce(bootstrap: &str, topic: &str, key: &str, payload: &str) {
    let record = FutureRecord::to(topic).key(key).payload(payload);
    producer(bootstrap).send(record, Duration::from_secs(30)).await.map_err(|(e, _)| e).expect("produce");
}

#[tokio::test]
async fn private_broker_keeps_topics_and_records_across_restarts_and_is_wiped_on_drop() {
    let broker = Broker::start_private(free_port());
    let data_dir = broker.data_dir.clone();
    assert!(data_dir.join("tansu.db").exists());
    let topic = unique_name("testkit-restart");
    create_topic(&broker.bootstrap, &topic, 1, &[("cleanup.policy", "compact")]).await.expect("create topic");
    produce(&broker.bootstrap, &topic, "k1", "{\"v\":1}").await;
    produce(&broker.bootstrap, &topic, "k2", "{\"v\":2}").await;

    broker.stop();
    assert!(std::net::TcpStream::connect(("127.0.0.1", broker.port)).is_err(), "the broker still listens");
    broker.stop(); // stopping a stopped broker is fine
    broker.start();
    broker.start(); // starting a running broker is fine

    let records = read_topic_all(&broker.bootstrap, &topic, Duration::from_secs(30)).await;
    let keys: Vec<_> = records.iter().map(|r| r.key.clone().unwrap_or_default()).collect();
    assert_eq!(keys, ["k1", "k2"]);
    assert_eq!(records[1].json(), serde_json::json!({ "v": 2 }));
    // Producing resumes after the restart, at the next offset.
    produce(&broker.bootstrap, &topic, "k3", "{\"v\":3}").await;
    let records = read_topic_all(&broker.bootstrap, &topic, Duration::from_secs(30)).await;
    assert_eq!(records.iter().map(|r| r.offset).collect::<Vec<_>>(), [0, 1, 2]);

    drop(broker);
    assert!(!data_dir.exists(), "{} was not wiped", data_dir.display());
}

#[test]
#[should_panic(expected = "Address already in use")]
fn a_broker_that_cannot_start_panics_with_its_log() {
    // Something else holds the port: tansu exits and the panic shows kafka-up's output and log tail.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let _broker = Broker::start_private(busy.local_addr().unwrap().port());
}
