//! The share server as an attacker meets it: the real server, in this process, on a loopback
//! port, over a data directory with real incidents and tokens.
//!
//! What must hold: no token is 401; any token that is not the incident's current one is the
//! same 403 whether or not the incident exists; tokens in a query string are never looked at;
//! no path reaches a file outside an incident's directory; oversized or slow requests cost
//! the client, not other followers; nothing mutates; revoking or rotating a token ends the
//! streams opened with it.

use crate::share_common;

use reqwest::StatusCode;
use share_common::{Leader, Running, SseReader, client, get, raw};
use std::time::{Duration, Instant};
use warroom::domain::Severity;

const QUICK: Duration = Duration::from_secs(5);

/// A leader sharing INC-1 (token `t1`) and INC-2 (token `t2`), served on a free port.
async fn two_shared_incidents() -> (Leader, Running, String, String) {
    let leader = Leader::new();
    let one = leader.open("Checkout 500s", Severity::Sev1);
    let two = leader.open("Search slow", Severity::Sev3);
    assert_eq!((one.as_str(), two.as_str()), ("INC-1", "INC-2"));
    let t1 = leader.share(&one);
    let t2 = leader.share(&two);
    let server = Running::start(&leader.store, "127.0.0.1:0").await;
    (leader, server, t1, t2)
}

/// Status, headers (less `date`, which is the clock) and body of a GET with `token`.
async fn answer(url: &str, token: Option<&str>) -> (StatusCode, Vec<(String, String)>, String) {
    let mut req = client().get(url).timeout(QUICK);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let mut headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_string()))
        .collect();
    headers.sort();
    let body = resp.text().await.expect("body");
    (status, headers, body)
}

#[tokio::test]
async fn a_request_without_a_token_is_401_and_asks_for_a_bearer_token() {
    let (_leader, server, _t1, _t2) = two_shared_incidents().await;
    let (status, headers, _) = answer(&server.events_url("INC-1"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        headers.contains(&("www-authenticate".into(), "Bearer".into())),
        "{headers:?}"
    );
    // An empty bearer, or another scheme, is no token either.
    for auth in ["Bearer ", "Basic YWxpY2U6c2VjcmV0", "Token abc"] {
        let resp = client()
            .get(server.events_url("INC-1"))
            .header("Authorization", auth)
            .timeout(QUICK)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{auth}");
    }
}

#[tokio::test]
async fn any_token_but_the_incidents_own_is_the_same_403_whether_the_incident_exists_or_not() {
    let (_leader, server, t1, t2) = two_shared_incidents().await;
    let wrong = answer(&server.events_url("INC-1"), Some("not-the-token")).await;
    let other_incidents = answer(&server.events_url("INC-1"), Some(&t2)).await;
    let no_such_incident = answer(&server.events_url("INC-99"), Some(&t1)).await;
    let no_such_wrong = answer(&server.events_url("INC-99"), Some("not-the-token")).await;
    assert_eq!(wrong.0, StatusCode::FORBIDDEN);
    for other in [&other_incidents, &no_such_incident, &no_such_wrong] {
        assert_eq!(
            other, &wrong,
            "every refused token must get byte-for-byte the same answer (date aside)"
        );
    }
    // And the right token works, in any case of the scheme name.
    let resp = client()
        .get(server.events_url("inc-1"))
        .header("Authorization", format!("bearer {t1}"))
        .timeout(QUICK)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
}

#[tokio::test]
async fn a_token_in_the_query_string_is_ignored() {
    let (_leader, server, t1, _t2) = two_shared_incidents().await;
    for query in [
        format!("?token={t1}"),
        format!("?access_token={t1}"),
        format!("?after=0&token={t1}"),
        format!("?authorization=Bearer%20{t1}"),
    ] {
        let url = format!("{}{query}", server.events_url("INC-1"));
        let (status, _, _) = answer(&url, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{query}");
    }
}

#[tokio::test]
async fn paths_that_try_to_leave_the_incident_directory_are_refused_and_read_nothing() {
    let (leader, server, t1, _t2) = two_shared_incidents().await;
    // Traps: share records (for a token we hold) where an escaping ID would land. Were any
    // of them read, that token would open a stream.
    let trap = leader.share("INC-2"); // the real INC-2 record, copied into the traps below
    let record = std::fs::read(leader.incident_dir("INC-2").join("share.json")).unwrap();
    leader.revoke("INC-2");
    let data = leader.store.incidents_dir().parent().unwrap().to_path_buf();
    let root = leader.dir.path().to_path_buf();
    for dir in [data.clone(), root.join("etc"), root.clone()] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("share.json"), &record).unwrap();
    }
    let long_digits = format!("INC-{}", "1".repeat(9_996));
    let long_letters = "a".repeat(10_000);
    let paths = [
        "/v1/incidents/..%2F..%2Fetc/events".to_string(),
        "/v1/incidents/../x".to_string(),
        "/v1/incidents/%2E%2E/events".to_string(),
        "/v1/incidents/..%2F..%2F/events".to_string(),
        "/v1/incidents/INC-1%2F..%2F..%2F..%2Fetc/events".to_string(),
        "/v1/incidents/%2e%2e%5c%2e%2e/events".to_string(),
        "/v1/incidents/INC-1%00/events".to_string(),
        "/v1/incidents/../../../etc/passwd".to_string(),
        "/../../etc/passwd".to_string(),
        format!("/v1/incidents/{long_digits}/events"),
        format!("/v1/incidents/{long_letters}/events"),
    ];
    for token in [&trap, &t1] {
        for path in &paths {
            let auth = format!("Authorization: Bearer {token}");
            let got = raw(server.addr, &get(path, &[&auth]), QUICK).await;
            let status = got.status.unwrap_or_else(|| {
                panic!("no answer to {}: {:?}", &path[..path.len().min(60)], got)
            });
            assert!(
                status == 403 || status == 404,
                "{}: got {status}, want 403 or 404:\n{}",
                &path[..path.len().min(60)],
                &got.text[..got.text.len().min(300)]
            );
            assert!(!got.text.contains("root:"), "a file was served");
        }
    }
    assert!(server.is_running());
}

#[tokio::test]
async fn a_huge_header_is_refused_and_the_server_stays_up() {
    let (_leader, server, t1, _t2) = two_shared_incidents().await;
    let big = format!("X-Filler: {}", "a".repeat(64 * 1024));
    let got = raw(
        server.addr,
        &get("/v1/incidents/INC-1/events", &[&big]),
        QUICK,
    )
    .await;
    assert!(
        got.status == Some(431) || got.status.is_none(),
        "want 431 or a closed connection, got {:?}",
        got.status
    );
    // Many headers adding up past the limit, likewise.
    let many: Vec<String> = (0..2_000).map(|i| format!("X-H{i}: {i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let got = raw(server.addr, &get("/", &many), QUICK).await;
    assert!(
        got.status == Some(431) || got.status.is_none(),
        "{:?}",
        got.status
    );
    // Still serving, streams included.
    let resp = client()
        .get(server.events_url("INC-1"))
        .bearer_auth(&t1)
        .timeout(QUICK)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut events = SseReader::new(resp);
    let first = events.next(QUICK).await.expect("the opening entry");
    assert_eq!(first.id.as_deref(), Some("1"));
}

/// Slow-loris: 100 connections trickle a request line a byte at a time. A normal request is
/// still answered at once (measured and printed; asserted only against a generous bound).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_slow_clients_do_not_keep_a_normal_request_waiting() {
    let (_leader, server, t1, _t2) = two_shared_incidents().await;
    let addr = server.addr;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut slow = Vec::new();
    for _ in 0..100 {
        let stop = stop.clone();
        slow.push(tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let Ok(mut conn) = tokio::net::TcpStream::connect(addr).await else {
                return;
            };
            // At most 60 bytes, 200 ms apart: the loop ends by itself after 12 s.
            for b in
                b"GET /v1/incidents/INC-1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1".iter()
            {
                if stop.load(std::sync::atomic::Ordering::Relaxed)
                    || conn.write_all(&[*b]).await.is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }));
    }
    // Let them all connect and start trickling.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut timings = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let resp = client()
            .get(server.events_url("INC-1"))
            .bearer_auth(&t1)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("a normal request is answered");
        assert_eq!(resp.status(), StatusCode::OK);
        let mut events = SseReader::new(resp);
        assert!(events.next(Duration::from_secs(30)).await.is_some());
        timings.push(started.elapsed());
        let page = client()
            .get(server.url())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect("the page is served");
        assert_eq!(page.status(), StatusCode::OK);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let worst = timings.iter().max().copied().unwrap_or_default();
    eprintln!("with 100 slow-loris connections open, a stream's first event came in {timings:?}");
    assert!(
        worst < Duration::from_secs(5),
        "liveness: a normal request took {worst:?} with 100 slow clients"
    );
    for s in slow {
        let _ = s.await;
    }
}

/// A client that never finishes its request head is cut off by the header timeout (10 s),
/// however slowly it keeps sending: the timeout is not reset by each byte.
#[tokio::test]
async fn a_request_head_that_never_ends_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_leader, server, _t1, _t2) = two_shared_incidents().await;
    let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    let mut closed_after = None;
    // One byte every 250 ms for at most 20 s; the server should hang up after ~10 s.
    for i in 0..80u32 {
        let byte = b"GET / HTTP/1.1\r\nX-Slow: "
            .get(i as usize)
            .copied()
            .unwrap_or(b'a');
        if conn.write_all(&[byte]).await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 512];
        match tokio::time::timeout(Duration::from_millis(250), conn.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                closed_after = Some(started.elapsed());
                break;
            }
            // A 408 may come first; the close follows.
            Ok(Ok(_)) | Err(_) => {}
        }
    }
    let closed_after = closed_after.expect("the server never hung up on a 20 s request head");
    eprintln!("a never-ending request head was cut off after {closed_after:?}");
    assert!(closed_after >= Duration::from_secs(5), "{closed_after:?}");
}

#[tokio::test]
async fn every_mutating_method_on_every_route_is_405_and_changes_nothing() {
    let (leader, server, t1, _t2) = two_shared_incidents().await;
    let before = leader.lines("INC-1");
    let share_before = std::fs::read(leader.incident_dir("INC-1").join("share.json")).unwrap();
    for path in ["/", "/index.html", "/v1/incidents/INC-1/events"] {
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            for token in [None, Some(t1.as_str())] {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let mut req = client()
                    .request(method.clone(), format!("{}{path}", server.url()))
                    .body(r#"{"type":"note","text":"injected"}"#)
                    .header("content-type", "application/json")
                    .timeout(QUICK);
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                let resp = req.send().await.unwrap();
                assert_eq!(
                    resp.status(),
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} (token: {})",
                    token.is_some()
                );
            }
        }
    }
    assert_eq!(leader.lines("INC-1"), before, "the journal changed");
    assert_eq!(
        std::fs::read(leader.incident_dir("INC-1").join("share.json")).unwrap(),
        share_before
    );
}

/// A shared incident, served, with a stream open on it whose first entry was read.
struct Streaming {
    leader: Leader,
    server: Running,
    id: String,
    token: String,
    events: SseReader,
}

async fn streaming() -> Streaming {
    let leader = Leader::new();
    let id = leader.open("Checkout 500s", Severity::Sev1);
    let token = leader.share(&id);
    let server = Running::start(&leader.store, "127.0.0.1:0").await;
    let resp = client()
        .get(server.events_url(&id))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let mut events = SseReader::new(resp);
    assert_eq!(events.next(QUICK).await.unwrap().kind, "entry");
    Streaming {
        leader,
        server,
        id,
        token,
        events,
    }
}

/// Opens a stream, then runs `change` and expects the `revoked` event and the end of the
/// stream within a few seconds.
async fn stream_ends_when(change: impl FnOnce(&Leader)) {
    let Streaming {
        leader,
        server,
        id,
        token,
        mut events,
    } = streaming().await;
    let changed = Instant::now();
    change(&leader);
    let ev = events.next(QUICK).await.expect("an event before the end");
    assert_eq!(ev.kind, "revoked", "{ev:?}");
    assert!(events.next(QUICK).await.is_none(), "the stream ends");
    eprintln!("the stream ended {:?} after the change", changed.elapsed());
    let again = client()
        .get(server.events_url(&id))
        .bearer_auth(&token)
        .timeout(QUICK)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn revoking_a_token_ends_the_streams_opened_with_it() {
    stream_ends_when(|leader| leader.revoke("INC-1")).await;
}

#[tokio::test]
async fn rotating_a_token_ends_the_streams_opened_with_the_old_one() {
    stream_ends_when(|leader| {
        leader.share("INC-1");
    })
    .await;
}

/// A share record that cannot be read for a while (out of file descriptors, a permission;
/// here a directory where share.json goes) says nothing about sharing: open streams go on and
/// hear no `revoked`, a new request is told to retry (503), never refused (403).
#[tokio::test]
async fn a_share_record_that_cannot_be_read_revokes_nothing() {
    let Streaming {
        leader,
        server,
        id,
        token,
        mut events,
    } = streaming().await;

    let record = leader.incident_dir(&id).join("share.json");
    let aside = leader.incident_dir(&id).join("share.json.aside");
    std::fs::rename(&record, &aside).unwrap();
    std::fs::create_dir(&record).unwrap();
    // Past two re-reads of the record (twice a second).
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    leader.note(&id, "still streaming");
    let ev = events.next(QUICK).await.expect("an event");
    assert_eq!(ev.kind, "entry", "{ev:?}");
    assert!(ev.data.contains("still streaming"), "{ev:?}");
    let meanwhile = client()
        .get(server.events_url(&id))
        .bearer_auth(&token)
        .timeout(QUICK)
        .send()
        .await
        .unwrap();
    assert_eq!(meanwhile.status(), StatusCode::SERVICE_UNAVAILABLE);

    std::fs::remove_dir(&record).unwrap();
    std::fs::rename(&aside, &record).unwrap();
    leader.note(&id, "and after");
    let ev = events.next(QUICK).await.expect("an event");
    assert!(
        ev.kind == "entry" && ev.data.contains("and after"),
        "{ev:?}"
    );
    let again = client()
        .get(server.events_url(&id))
        .bearer_auth(&token)
        .timeout(QUICK)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_stakeholder_page_is_served_without_a_token_and_carries_none() {
    let (_leader, server, t1, _t2) = two_shared_incidents().await;
    let resp = client()
        .get(server.url())
        .timeout(QUICK)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let body = resp.text().await.unwrap();
    assert!(body.contains("location.hash"));
    assert!(!body.contains(&t1));
    // Unknown paths are 404, not the page and not a file.
    let (status, _, _) = answer(&format!("{}/share.json", server.url()), Some(&t1)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
