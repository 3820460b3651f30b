//! The city server: validators, HEAD, 404, faults, robots.txt.

mod common;

use std::sync::Arc;

use learncity_citygen::{City, demo, serve};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use tokio_util::sync::CancellationToken;

async fn start(city: Arc<City>) -> (String, CancellationToken, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    let task = tokio::spawn(serve(city, listener, stop.clone()));
    (base, stop, task)
}

#[tokio::test]
async fn serves_documents_with_validators() {
    let city = Arc::new(demo(common::day()));
    let (base, stop, task) = start(city.clone()).await;
    let client = reqwest::Client::new();
    let doc = city.documents.iter().find(|d| d.fault.is_none()).unwrap();
    let url = format!("{base}{}", doc.path);

    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "strong: {etag}");
    let modified = r.headers()[LAST_MODIFIED].to_str().unwrap().to_owned();
    assert_eq!(modified, "Mon, 02 Mar 2026 00:00:00 GMT");
    assert_eq!(r.headers()[CONTENT_TYPE], doc.content_type.as_str());
    assert!(doc.content_type.contains("charset=utf-8"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), doc.body.as_slice());

    let r = client.get(&url).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(r.headers()[ETAG].to_str().unwrap(), etag);
    assert!(r.bytes().await.unwrap().is_empty());
    let r = client.get(&url).header(IF_NONE_MATCH, "\"other\"").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client.get(&url).header(IF_MODIFIED_SINCE, &modified).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = client.get(&url).header(IF_MODIFIED_SINCE, "Sun, 01 Mar 2026 00:00:00 GMT").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let r = client.head(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[ETAG].to_str().unwrap(), etag);
    assert_eq!(r.headers()[CONTENT_LENGTH].to_str().unwrap(), doc.body.len().to_string());
    assert!(r.bytes().await.unwrap().is_empty());

    let r = client.get(format!("{base}/nowhere.rss")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = client.post(&url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);

    let faulty = city.documents.iter().find(|d| d.fault.is_some()).unwrap();
    let r = client.get(format!("{base}{}", faulty.path)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), faulty.fault.unwrap());

    let robots = client.get(format!("{base}/robots.txt")).send().await.unwrap().text().await.unwrap();
    assert!(robots.contains("User-agent: *") && robots.contains("Allow: /"));
    let index = client.get(format!("{base}/")).send().await.unwrap().text().await.unwrap();
    for d in &city.documents {
        assert!(index.contains(&d.path), "{} in the index", d.path);
    }

    stop.cancel();
    task.await.unwrap().unwrap();
}

/// The collector's own fetcher is not a dependency here; a demo document fetched over HTTP is
/// byte-identical to the generated one and reads the same.
#[tokio::test]
async fn every_served_document_is_the_generated_one() {
    let city = Arc::new(demo(common::day()));
    let (base, stop, task) = start(city.clone()).await;
    let client = reqwest::Client::new();
    for doc in &city.documents {
        let r = client.get(format!("{base}{}", doc.path)).send().await.unwrap();
        match doc.fault {
            Some(code) => assert_eq!(r.status().as_u16(), code),
            None => assert_eq!(r.bytes().await.unwrap().as_ref(), doc.body.as_slice(), "{}", doc.path),
        }
    }
    stop.cancel();
    task.await.unwrap().unwrap();
}
