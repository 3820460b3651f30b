//! The fixture server, with reqwest as the client: validators and 304s, each fault, the request log.

use std::io::Read;
use std::time::{Duration, Instant};

use learncity_testkit::fixture;
use learncity_testkit::http::{Fault, FixtureServer};
use reqwest::StatusCode;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent("learncity-testkit-tests/1")
        .redirect(reqwest::redirect::Policy::none())
        .no_gzip()
        .build()
        .unwrap()
}

#[tokio::test]
async fn serves_content_with_validators_and_304s() {
    let server = FixtureServer::start().await;
    server.set("/feed.xml", "application/rss+xml", "<rss>one</rss>");
    let client = client();

    let first = client.get(server.url("/feed.xml")).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["content-type"], "application/rss+xml");
    let etag = first.headers()[ETAG].to_str().unwrap().to_string();
    let last_modified = first.headers()[LAST_MODIFIED].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.len() == 18, "{etag}");
    assert_eq!(first.text().await.unwrap(), "<rss>one</rss>");

    // If-None-Match and If-Modified-Since each give 304 with the validators.
    let by_etag = client.get(server.url("/feed.xml")).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(by_etag.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(by_etag.headers()[ETAG].to_str().unwrap(), etag);
    assert!(by_etag.bytes().await.unwrap().is_empty());
    let by_date = client.get(server.url("feed.xml")).header(IF_MODIFIED_SINCE, &last_modified).send().await.unwrap();
    assert_eq!(by_date.status(), StatusCode::NOT_MODIFIED);
    // A weak or listed tag matches too; another tag does not (and If-None-Match wins over the date).
    let weak = client.get(server.url("/feed.xml")).header(IF_NONE_MATCH, format!("\"x\", W/{etag}")).send().await;
    assert_eq!(weak.unwrap().status(), StatusCode::NOT_MODIFIED);
    let other = client
        .get(server.url("/feed.xml"))
        .header(IF_NONE_MATCH, "\"other\"")
        .header(IF_MODIFIED_SINCE, &last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    // An older date gets the content.
    let old = client.get(server.url("/feed.xml")).header(IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT").send();
    assert_eq!(old.await.unwrap().status(), StatusCode::OK);

    // Same body again: same validators.
    server.set("/feed.xml", "application/rss+xml", "<rss>one</rss>");
    let same = client.get(server.url("/feed.xml")).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(same.status(), StatusCode::NOT_MODIFIED);

    // New content (same second): both validators change, old ones get 200 with the new body.
    server.set("/feed.xml", "application/rss+xml", "<rss>two</rss>");
    let changed = client.get(server.url("/feed.xml")).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert_ne!(changed.headers()[ETAG].to_str().unwrap(), etag);
    assert_eq!(changed.text().await.unwrap(), "<rss>two</rss>");
    let changed = client.get(server.url("/feed.xml")).header(IF_MODIFIED_SINCE, &last_modified).send().await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let new_date = changed.headers()[LAST_MODIFIED].to_str().unwrap().to_string();
    assert!(httpdate::parse_http_date(&new_date).unwrap() > httpdate::parse_http_date(&last_modified).unwrap());
}

#[tokio::test]
async fn without_validators_remove_robots_and_404() {
    let server = FixtureServer::start().await;
    let client = client();
    assert_eq!(client.get(server.url("/robots.txt")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    server.set_robots("User-agent: *\nDisallow: /private\n");
    let robots = client.get(server.url("/robots.txt")).send().await.unwrap();
    assert_eq!(robots.status(), StatusCode::OK);
    assert_eq!(robots.text().await.unwrap(), "User-agent: *\nDisallow: /private\n");

    server.set_without_validators("/cal.ics", "text/calendar", "BEGIN:VCALENDAR");
    let plain = client.get(server.url("/cal.ics")).header(IF_NONE_MATCH, "*").send().await.unwrap();
    assert_eq!(plain.status(), StatusCode::OK);
    assert!(plain.headers().get(ETAG).is_none() && plain.headers().get(LAST_MODIFIED).is_none());
    let dated = client.get(server.url("/cal.ics")).header(IF_MODIFIED_SINCE, "Fri, 01 Jan 2100 00:00:00 GMT").send();
    assert_eq!(dated.await.unwrap().status(), StatusCode::OK);

    server.remove("/cal.ics");
    assert_eq!(client.get(server.url("/cal.ics")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(server.url("/a/b?x=1").as_str(), format!("http://{}/a/b?x=1", server.addr));
}

#[tokio::test]
async fn request_log_records_every_request() {
    let server = FixtureServer::start().await;
    server.set("/a", "text/plain", "a");
    let client = client();
    let before = Instant::now();
    client.get(server.url("/a")).send().await.unwrap();
    client.get(server.url("/missing?q=1")).send().await.unwrap();
    client
        .get(server.url("/a"))
        .header(IF_NONE_MATCH, "\"x\"")
        .header(IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT")
        .send()
        .await
        .unwrap();

    let all = server.requests();
    assert_eq!(all.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(), ["/a", "/missing", "/a"]);
    assert!(all.iter().all(|r| r.at >= before && r.user_agent.as_deref() == Some("learncity-testkit-tests/1")));
    assert!(all.windows(2).all(|w| w[0].at <= w[1].at));
    let to_a = server.requests_to("/a");
    assert_eq!(to_a.len(), 2);
    assert!(!to_a[0].is_conditional());
    assert!(to_a[1].is_conditional());
    assert_eq!(to_a[1].if_none_match.as_deref(), Some("\"x\""));
    assert_eq!(to_a[1].if_modified_since.as_deref(), Some("Mon, 01 Jan 2001 00:00:00 GMT"));
    assert_eq!(server.requests_to("missing").len(), 1);

    server.clear_requests();
    assert!(server.requests().is_empty());
    client.get(server.url("/a")).send().await.unwrap();
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn status_and_too_many_requests_faults() {
    let server = FixtureServer::start().await;
    server.set("/feed", "application/rss+xml", "<rss/>");
    let client = client();

    server.fault("/feed", Fault::Status(503));
    assert_eq!(client.get(server.url("/feed")).send().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    server.fault("/nothing-here", Fault::Status(500));
    assert_eq!(
        client.get(server.url("/nothing-here")).send().await.unwrap().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );

    server.fault("/feed", Fault::TooManyRequests { retry_after_secs: 120 });
    let limited = client.get(server.url("/feed")).send().await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()["retry-after"], "120");

    server.clear_fault("/feed");
    let ok = client.get(server.url("/feed")).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.text().await.unwrap(), "<rss/>");
}

#[tokio::test]
async fn fail_times_then_content() {
    let server = FixtureServer::start().await;
    server.set("/flaky", "text/plain", "finally");
    server.fault("/flaky", Fault::FailTimes { times: 2, status: 502 });
    let client = client();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(client.get(server.url("/flaky")).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [502, 502, 200, 200]);
    assert_eq!(client.get(server.url("/flaky")).send().await.unwrap().text().await.unwrap(), "finally");
}

#[tokio::test]
async fn slow_drip_trickles_and_never_ends() {
    let server = FixtureServer::start().await;
    server.fault("/slow", Fault::SlowDrip { bytes_per_sec: 100 });
    let mut response = client().get(server.url("/slow")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let started = Instant::now();
    let mut received = 0usize;
    while started.elapsed() < Duration::from_millis(1500) {
        match tokio::time::timeout(Duration::from_millis(300), response.chunk()).await {
            Ok(Ok(Some(chunk))) => received += chunk.len(),
            Ok(Ok(None)) => panic!("the slow drip ended"),
            Ok(Err(e)) => panic!("slow drip error: {e}"),
            Err(_) => {}
        }
    }
    // ~150 bytes in 1.5 s at 100 B/s.
    assert!((60..=300).contains(&received), "received {received} bytes");
}

#[tokio::test]
async fn oversized_body_is_chunked_and_exact() {
    let server = FixtureServer::start().await;
    let size = 20 * 1024 * 1024 + 7;
    server.fault("/big", Fault::Oversized { bytes: size });
    let mut response = client().get(server.url("/big")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), None);
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    let mut total = 0u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        total += chunk.len() as u64;
    }
    assert_eq!(total, size);
}

#[tokio::test]
async fn gzip_bomb_is_tiny_and_inflates_to_zeros() {
    let server = FixtureServer::start().await;
    let size = 64 * 1024 * 1024;
    server.set("/bomb.xml", "application/xml", "<rss/>");
    server.fault("/bomb.xml", Fault::GzipBomb { decompressed_bytes: size });
    let response = client().get(server.url("/bomb.xml")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["content-type"], "application/xml");
    let compressed = response.bytes().await.unwrap();
    assert!(compressed.len() < 200 * 1024, "compressed {} bytes", compressed.len());
    let mut decoder = flate2::read::GzDecoder::new(&compressed[..]);
    let mut buffer = vec![0u8; 1024 * 1024];
    let mut total = 0u64;
    loop {
        let n = decoder.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        assert!(buffer[..n].iter().all(|&b| b == 0));
        total += n as u64;
    }
    assert_eq!(total, size);

    // A client that decodes gzip sees the inflated size.
    let decoding = reqwest::Client::builder().gzip(true).build().unwrap();
    let mut response = decoding.get(server.url("/bomb.xml")).send().await.unwrap();
    let mut inflated = 0u64;
    while let Some(chunk) = response.chunk().await.unwrap() {
        inflated += chunk.len() as u64;
    }
    assert_eq!(inflated, size);
}

#[tokio::test]
async fn redirects() {
    let server = FixtureServer::start().await;
    server.set("/target", "text/plain", "here");
    server.fault("/loop", Fault::RedirectLoop);
    server.fault("/moved", Fault::RedirectTo(server.url("/target").to_string()));

    let looped = client().get(server.url("/loop")).send().await.unwrap();
    assert_eq!(looped.status(), StatusCode::FOUND);
    assert_eq!(looped.headers()["location"], "/loop");
    let moved = client().get(server.url("/moved")).send().await.unwrap();
    assert_eq!(moved.status(), StatusCode::FOUND);
    assert_eq!(moved.headers()["location"], server.url("/target").as_str());

    // A following client gives up on the loop and lands on the target.
    let following = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(5)).build().unwrap();
    let error = following.get(server.url("/loop")).send().await.unwrap_err();
    assert!(error.is_redirect(), "{error}");
    assert_eq!(server.requests_to("/loop").len(), 1 + 1 + 5);
    let landed = following.get(server.url("/moved")).send().await.unwrap();
    assert_eq!(landed.url().path(), "/target");
    assert_eq!(landed.text().await.unwrap(), "here");
}

#[test]
fn fixtures_are_read_from_the_repo() {
    let dir = learncity_testkit::repo_root().join("tests/fixtures/rss");
    let first = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().file_name();
    let name = format!("rss/{}", first.to_string_lossy());
    assert_eq!(fixture(&name), std::fs::read(dir.join(first)).unwrap());
}

#[test]
#[should_panic(expected = "cannot read fixture")]
fn missing_fixture_panics_with_the_path() {
    fixture("rss/no-such-file.xml");
}
