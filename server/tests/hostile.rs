//! Hostile input over real TCP (reliability suite), against real `hookyard serve` processes on
//! SQLite and PostgreSQL: slow-loris headers and bodies, header floods, bodies of 25 MiB and
//! more, non-UTF-8 bytes in the path, headers, body and slug, and path traversal. Each test
//! also checks that the server keeps serving well-formed requests.
//!
//! Requests are written byte for byte on a socket (an HTTP client library would refuse or
//! normalise most of them). Both databases run concurrently, to keep the slow-loris waits
//! (10 s for headers, 30 s for bodies) from adding up.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::instance::Instance;
use hookyard_core::ingest::receive::MAX_BODY_LIMIT;
use hookyard_core::ingest::scheme::{Scheme, SchemeConfig};
use hookyard_core::ingest::signature::sign;
use hookyard_core::store::testing::{self, TestDb};
use hookyard_core::store::NewSource;
use hookyard_core::time::now_ms;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const STRIPE_SECRET: &str = "whsec_hostile_tests";
const GITHUB_SECRET: &str = "hostile-github-secret";

/// The header read timeout of `hookyard serve` (`commands::serve::HEADER_READ_TIMEOUT`).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// The body read timeout of `POST /hooks` (`hooks::BODY_TIMEOUT`).
const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `body` on every configured database at once.
async fn on_every_database<F, Fut>(body: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dbs = testing::all().await;
    futures_util::future::join_all(dbs.into_iter().map(body)).await;
}

/// Sources `stripe` (1 MiB), `github` (1 MiB) and `big` (Stripe scheme, the 25 MiB maximum).
async fn sources(db: &TestDb) {
    common::stripe_source(&db.store, STRIPE_SECRET).await;
    for (slug, scheme, secret, limit) in [
        ("github", Scheme::Github, GITHUB_SECRET, 1 << 20),
        ("big", Scheme::Stripe, STRIPE_SECRET, MAX_BODY_LIMIT),
    ] {
        db.store
            .create_source(
                &NewSource {
                    slug: slug.into(),
                    name: slug.into(),
                    scheme,
                    config: SchemeConfig::default(),
                    secret: secret.into(),
                    tolerance_secs: 300,
                    max_body_bytes: limit,
                },
                now_ms(),
            )
            .await
            .expect("create source");
    }
}

/// A signed Stripe request for `/hooks/{slug}` as raw bytes.
fn stripe_request(slug: &str, body: &[u8], extra_headers: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "POST /hooks/{slug} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    )
    .into_bytes();
    for (k, v) in sign(
        Scheme::Stripe,
        &SchemeConfig::default(),
        STRIPE_SECRET,
        body,
        now_ms() / 1000,
        "",
    ) {
        head.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
    }
    head.extend_from_slice(extra_headers);
    head.extend_from_slice(b"\r\n");
    head.extend_from_slice(body);
    head
}

fn event_body(id: &str) -> Vec<u8> {
    common::load::stripe_event(id).into_bytes()
}

/// An answer read off the socket.
struct Answer {
    status: Option<u16>,
    raw: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw).into_owned()
    }
}

/// Writes `request`, then reads until the server closes (or `within` passes).
async fn raw(addr: SocketAddr, request: &[u8], within: Duration) -> Answer {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // The server may answer (and close) before it has read everything, e.g. a 413.
    let _ = tokio::time::timeout(within, stream.write_all(request)).await;
    read_answer(&mut stream, within).await
}

async fn read_answer(stream: &mut TcpStream, within: Duration) -> Answer {
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(within, stream.read_to_end(&mut raw)).await;
    let status = std::str::from_utf8(&raw)
        .ok()
        .or_else(|| std::str::from_utf8(&raw[..raw.len().min(12)]).ok())
        .and_then(|t| t.strip_prefix("HTTP/1.1 "))
        .and_then(|t| t.get(..3))
        .and_then(|t| t.parse().ok());
    Answer { status, raw }
}

/// Sends `head`, then up to `total` body bytes (in chunked encoding if `chunked`) while
/// reading the answer; returns it and how many body bytes had been written when it came.
async fn upload(addr: SocketAddr, head: &[u8], total: usize, chunked: bool) -> (Answer, usize) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(head).await.expect("head");
    let (mut reader, mut writer) = stream.split();
    let written = std::sync::atomic::AtomicUsize::new(0);
    let sender = async {
        let block = vec![b'z'; 256 * 1024];
        while written.load(std::sync::atomic::Ordering::SeqCst) < total {
            let n = block
                .len()
                .min(total - written.load(std::sync::atomic::Ordering::SeqCst));
            let mut frame = Vec::with_capacity(n + 16);
            if chunked {
                frame.extend_from_slice(format!("{n:x}\r\n").as_bytes());
            }
            frame.extend_from_slice(&block[..n]);
            if chunked {
                frame.extend_from_slice(b"\r\n");
            }
            if writer.write_all(&frame).await.is_err() {
                break;
            }
            written.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        }
        if chunked {
            let _ = writer.write_all(b"0\r\n\r\n").await;
        }
        std::future::pending::<()>().await
    };
    let mut raw = Vec::new();
    let mut answered_at = 0;
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        tokio::select! {
            _ = sender => {}
            _ = async {
                // The first bytes of the answer mark the moment; then read it whole.
                let mut first = [0u8; 1];
                if let Ok(1) = reader.read(&mut first).await {
                    answered_at = written.load(std::sync::atomic::Ordering::SeqCst);
                    raw.push(first[0]);
                    let _ = reader.read_to_end(&mut raw).await;
                }
            } => {}
        }
    })
    .await;
    let status = std::str::from_utf8(&raw[..raw.len().min(12)])
        .ok()
        .and_then(|t| t.strip_prefix("HTTP/1.1 "))
        .and_then(|t| t.get(..3))
        .and_then(|t| t.parse().ok());
    (Answer { status, raw }, answered_at)
}

/// A well-formed signed event must still be accepted.
async fn still_serving(instance: &mut Instance, label: &str, id: &str) {
    assert!(instance.alive(), "{label}: the server died");
    let answer = raw(
        instance.addr,
        &stripe_request("stripe", &event_body(id), b""),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        answer.status,
        Some(200),
        "{label}: a normal request after the attack: {}\n{}",
        answer.text(),
        instance.log_tail(10)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn slow_loris_headers_and_bodies_are_cut_off_while_others_are_served() {
    on_every_database(|db| async move {
        let label = db.label;
        sources(&db).await;
        let mut instance = Instance::start(&db);
        let addr = instance.addr;

        // 100 connections trickling their headers one byte a second, one connection that
        // sends nothing, and one trickling its body.
        let started = Instant::now();
        let mut header_lorises = Vec::new();
        for _ in 0..100 {
            header_lorises.push(tokio::spawn(async move {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let request = b"POST /hooks/stripe HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
                let (mut reader, mut writer) = s.split();
                let trickle = async {
                    for b in request {
                        if writer.write_all(&[*b]).await.is_err() {
                            break;
                        }
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    std::future::pending::<()>().await
                };
                // Closed by the server: the read ends (EOF or reset), possibly after a 408.
                let mut answer = Vec::new();
                let _ = tokio::time::timeout(Duration::from_secs(60), async {
                    tokio::select! {
                        _ = trickle => {}
                        _ = reader.read_to_end(&mut answer) => {}
                    }
                })
                .await;
                Instant::now()
            }));
        }
        let idle = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            read_answer(&mut s, Duration::from_secs(60)).await;
            Instant::now()
        });
        let body_loris = tokio::spawn(async move {
            let body = event_body("evt_body_loris");
            let request = stripe_request("stripe", &body, b"");
            let split = request.len() - body.len();
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(&request[..split]).await.unwrap();
            let (mut reader, mut writer) = s.split();
            let sender = async {
                for b in &body {
                    if writer.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                std::future::pending::<()>().await
            };
            // The server answers before the body is complete.
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(60), async {
                tokio::select! {
                    _ = sender => {}
                    _ = reader.read_to_end(&mut answer) => {}
                }
            })
            .await;
            (Instant::now(), String::from_utf8_lossy(&answer).into_owned())
        });

        // Meanwhile normal senders are served promptly.
        let mut slowest = Duration::ZERO;
        for i in 0..20 {
            let t = Instant::now();
            still_serving(&mut instance, label, &format!("evt_loris_ok_{i}")).await;
            slowest = slowest.max(t.elapsed());
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        assert!(slowest < Duration::from_secs(5), "{label}: a normal request took {slowest:?}");

        let mut latest_header_close = Duration::ZERO;
        for l in header_lorises {
            latest_header_close = latest_header_close.max(l.await.unwrap() - started);
        }
        let idle_closed = idle.await.unwrap() - started;
        let (body_closed, body_answer) = body_loris.await.unwrap();
        let body_closed = body_closed - started;
        assert!(
            latest_header_close < HEADER_TIMEOUT + Duration::from_secs(3),
            "{label}: header slow-loris held for {latest_header_close:?}"
        );
        assert!(
            idle_closed < HEADER_TIMEOUT + Duration::from_secs(3),
            "{label}: an idle connection held for {idle_closed:?}"
        );
        assert!(
            body_closed < BODY_TIMEOUT + Duration::from_secs(3),
            "{label}: body slow-loris held for {body_closed:?}"
        );
        assert!(
            body_answer.starts_with("HTTP/1.1 400") && body_answer.contains("body_unreadable"),
            "{label}: {body_answer}"
        );
        assert_eq!(db.store.count_events().await.unwrap(), 20, "{label}");
        still_serving(&mut instance, label, "evt_loris_after").await;
        eprintln!(
            "{label}: 100 header slow-lorises closed by {:.1} s, an idle connection at {:.1} s, a body slow-loris answered 400 at {:.1} s; 20 normal requests meanwhile, slowest {:?}",
            latest_header_close.as_secs_f64(),
            idle_closed.as_secs_f64(),
            body_closed.as_secs_f64(),
            slowest
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn header_floods_are_refused_and_the_server_stays_up() {
    on_every_database(|db| async move {
        let label = db.label;
        sources(&db).await;
        let mut instance = Instance::start(&db);
        let body = event_body("evt_flood");

        // Thousands of headers.
        let many: Vec<u8> = (0..5000)
            .flat_map(|i| format!("x-flood-{i}: {i}\r\n").into_bytes())
            .collect();
        let answer = raw(instance.addr, &stripe_request("stripe", &body, &many), Duration::from_secs(10)).await;
        assert_eq!(answer.status, Some(431), "{label}: 5,000 headers: {}", answer.text());

        // One header of 1 MiB.
        let mut huge = b"x-huge: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', 1 << 20));
        huge.extend_from_slice(b"\r\n");
        let answer = raw(instance.addr, &stripe_request("stripe", &body, &huge), Duration::from_secs(10)).await;
        assert_eq!(answer.status, Some(431), "{label}: a 1 MiB header: {}", answer.text());

        // A signature header of 64 KiB (within HTTP limits, far over what a signature needs).
        let mut long_sig = b"POST /hooks/stripe HTTP/1.1\r\nhost: x\r\nconnection: close\r\nstripe-signature: t=1,v1=".to_vec();
        long_sig.extend(std::iter::repeat_n(b'a', 64 * 1024));
        long_sig.extend_from_slice(format!("\r\ncontent-length: {}\r\n\r\n", body.len()).as_bytes());
        long_sig.extend_from_slice(&body);
        let answer = raw(instance.addr, &long_sig, Duration::from_secs(10)).await;
        assert_eq!(answer.status, Some(400), "{label}: {}", answer.text());
        assert!(answer.text().contains("malformed_signature_header"), "{label}: {}", answer.text());

        // 50 floods at once; the server stays up and small.
        let addr = instance.addr;
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let request = stripe_request("stripe", &body, &huge);
            tasks.push(tokio::spawn(async move { raw(addr, &request, Duration::from_secs(20)).await.status }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Some(431), "{label}");
        }
        let rss = instance.rss_kib().unwrap_or(0);
        assert!(rss < 300 * 1024, "{label}: RSS {rss} KiB after the floods");
        assert_eq!(db.store.count_events().await.unwrap(), 0, "{label}");
        still_serving(&mut instance, label, "evt_after_flood").await;
        eprintln!("{label}: 5,000 headers and 1 MiB headers answered 431 (50 at once); RSS after {} MiB", rss / 1024);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bodies_of_25_mib_and_more_are_413_and_nothing_is_stored() {
    on_every_database(|db| async move {
        let label = db.label;
        sources(&db).await;
        let mut instance = Instance::start(&db);
        let limit = MAX_BODY_LIMIT as usize;

        // A signed JSON event of exactly the 25 MiB maximum is accepted, byte for byte.
        let mut body = event_body("evt_exactly_25_mib");
        body.pop(); // the closing brace
        body.extend_from_slice(b",\"padding\":\"");
        body.resize(limit - 2, b'p');
        body.extend_from_slice(b"\"}");
        assert_eq!(body.len(), limit);
        let answer = raw(instance.addr, &stripe_request("big", &body, b""), Duration::from_secs(60)).await;
        assert_eq!(answer.status, Some(200), "{label}: {}", answer.text());
        let json: serde_json::Value =
            serde_json::from_str(answer.text().split("\r\n\r\n").nth(1).unwrap()).unwrap();
        let id = json["event_id"].as_i64().unwrap();
        let (stored, _) = db.store.event_for_delivery(id).await.unwrap().unwrap();
        assert!(stored.as_deref() == Some(&body[..]), "{label}: stored bytes differ");

        // One byte more, declared: refused after the first 64 KiB (kept for diagnosis).
        let signature = sign(Scheme::Stripe, &SchemeConfig::default(), STRIPE_SECRET, b"", now_ms() / 1000, "");
        let head = format!(
            "POST /hooks/big HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n{}: {}\r\n\r\n",
            limit + 1,
            signature[0].0,
            signature[0].1
        );
        let (answer, declared_read) = upload(instance.addr, head.as_bytes(), limit + 1, false).await;
        assert_eq!(answer.status, Some(413), "{label}: {}", answer.text());
        assert!(answer.text().contains("body_too_large"), "{label}");
        assert!(declared_read < limit / 2, "{label}: {declared_read} bytes taken before the 413");

        // 64 MiB streamed with no length (chunked): cut off once past the limit (loopback
        // socket buffers hold a few MiB more).
        let head = format!(
            "POST /hooks/big HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\nconnection: close\r\n{}: {}\r\n\r\n",
            signature[0].0,
            signature[0].1
        );
        let (answer, chunked_read) = upload(instance.addr, head.as_bytes(), 64 << 20, true).await;
        assert_eq!(answer.status, Some(413), "{label}: {}", answer.text());
        assert!(answer.text().contains("body_too_large"), "{label}");
        assert!(
            chunked_read < 40 << 20,
            "{label}: {chunked_read} bytes taken before the 413"
        );

        // 100 MiB for a source that does not exist: 404 after the first 64 KiB.
        let head = b"POST /hooks/nosuch HTTP/1.1\r\nhost: x\r\ncontent-length: 104857600\r\nconnection: close\r\n\r\n";
        let (answer, unknown_read) = upload(instance.addr, head, 100 << 20, false).await;
        assert_eq!(answer.status, Some(404), "{label}: {}", answer.text());
        assert!(unknown_read < 10 << 20, "{label}: {unknown_read} bytes taken before the 404");

        assert_eq!(db.store.count_events().await.unwrap(), 1, "{label}: only the 25 MiB event");
        let rejections = db.store.recent_rejections(10).await.unwrap();
        let too_large = rejections.iter().filter(|r| r.reason == "body_too_large").count();
        assert_eq!(too_large, 2, "{label}: both refusals logged");
        still_serving(&mut instance, label, "evt_after_big").await;
        eprintln!(
            "{label}: 25 MiB accepted and stored exactly; 413 for 25 MiB + 1 declared after {} KiB sent, for 64 MiB chunked after {} KiB; 404 for 100 MiB to an unknown source after {} KiB",
            declared_read >> 10,
            chunked_read >> 10,
            unknown_read >> 10
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn non_utf8_in_path_headers_body_and_slug_is_handled_cleanly() {
    on_every_database(|db| async move {
        let label = db.label;
        sources(&db).await;
        let mut instance = Instance::start(&db);
        let addr = instance.addr;
        let within = Duration::from_secs(10);
        let body = event_body("evt_utf8");

        // Slug: percent-encoded invalid UTF-8, and raw bytes in the request line.
        let paths: [&[u8]; 4] = [b"/hooks/%FF%FE", b"/hooks/\xff\xfe", b"/hooks/str\xc3ipe", b"/hooks/%C0%AE%C0%AE"];
        for path in paths {
            let mut request = b"POST ".to_vec();
            request.extend_from_slice(path);
            request.extend_from_slice(b" HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
            let answer = raw(addr, &request, within).await;
            let status = answer.status.unwrap_or(0);
            assert!(
                matches!(status, 400 | 404),
                "{label}: {}: {}",
                String::from_utf8_lossy(path),
                answer.text()
            );
        }
        // A signature header that is not text.
        let mut request = format!(
            "POST /hooks/stripe HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(b"stripe-signature: t=1,v1=\xff\xfe\r\n\r\n");
        request.extend_from_slice(&body);
        let answer = raw(addr, &request, within).await;
        assert_eq!(answer.status, Some(400), "{label}: {}", answer.text());
        assert!(answer.text().contains("malformed_signature_header"), "{label}: {}", answer.text());
        // A header name that is not a token.
        let answer = raw(
            addr,
            &stripe_request("stripe", &body, b"x-\xff\xfe: 1\r\n"),
            within,
        )
        .await;
        assert_eq!(answer.status, Some(400), "{label}: {}", answer.text());

        // Other header values with non-UTF-8 bytes: accepted, stored (lossily) and shown.
        let answer = raw(
            addr,
            &stripe_request("stripe", &event_body("evt_latin1_header"), b"x-note: caf\xe9 \xff\r\n"),
            within,
        )
        .await;
        assert_eq!(answer.status, Some(200), "{label}: {}", answer.text());

        // A signed Stripe body that is not UTF-8: not JSON, refused, the bytes kept for diagnosis.
        let binary = b"{\"id\":\"evt_\xff\xfe\",\"type\":\"charge.succeeded\"}".to_vec();
        let answer = raw(addr, &stripe_request("stripe", &binary, b""), within).await;
        assert_eq!(answer.status, Some(400), "{label}: {}", answer.text());
        assert!(answer.text().contains("invalid_json"), "{label}: {}", answer.text());

        // GitHub does not require JSON: a binary body is stored exactly as received.
        let binary: Vec<u8> = (0..=255u8).rev().collect();
        let mut request = format!(
            "POST /hooks/github HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\nx-github-event: push\r\nx-github-delivery: d-binary\r\n",
            binary.len()
        )
        .into_bytes();
        for (k, v) in sign(Scheme::Github, &SchemeConfig::default(), GITHUB_SECRET, &binary, now_ms() / 1000, "") {
            request.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        request.extend_from_slice(b"\r\n");
        request.extend_from_slice(&binary);
        let answer = raw(addr, &request, within).await;
        assert_eq!(answer.status, Some(200), "{label}: {}", answer.text());
        let json: serde_json::Value =
            serde_json::from_str(answer.text().split("\r\n\r\n").nth(1).unwrap()).unwrap();
        let id = json["event_id"].as_i64().unwrap();
        let (stored, _) = db.store.event_for_delivery(id).await.unwrap().unwrap();
        assert!(stored.as_deref() == Some(&binary[..]), "{label}: binary body altered");

        // The dashboard shows both events (a separate process: no renderer lock needed).
        for event in [id, id - 1] {
            let page = reqwest::get(format!("{}/events/{event}", instance.base)).await.unwrap();
            assert_eq!(page.status(), 200, "{label}: event page {event}");
        }
        assert_eq!(db.store.count_events().await.unwrap(), 2, "{label}");
        still_serving(&mut instance, label, "evt_after_utf8").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn path_traversal_in_slugs_and_assets_never_reads_a_file() {
    on_every_database(|db| async move {
        let label = db.label;
        sources(&db).await;
        let mut instance = Instance::start(&db);
        let within = Duration::from_secs(10);
        let hooks = [
            "/hooks/..%2F..%2F..%2Fetc%2Fpasswd",
            "/hooks/../../../etc/passwd",
            "/hooks/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/hooks/..",
            "/hooks/%2e%2e",
            "/hooks/..%5c..%5cCargo.toml",
            "/hooks/%252e%252e%252fetc%252fpasswd",
            "/hooks/stripe%00.json",
            "/hooks/stripe%2F..%2F..%2FCargo.toml",
            "/hooks/./stripe/../../Cargo.toml",
            "/hooks//etc/passwd",
        ];
        for path in hooks {
            let request = format!(
                "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
            );
            let answer = raw(instance.addr, request.as_bytes(), within).await;
            let status = answer.status.unwrap_or(0);
            assert!(matches!(status, 400 | 404 | 405), "{label}: POST {path}: {}", answer.text());
            assert_no_file(&answer, label, path);
        }
        // Asset names: embedded assets only, never a file.
        for path in [
            "/pkg/..%2F..%2FCargo.toml",
            "/pkg/../../Cargo.toml",
            "/pkg/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "/pkg/....//....//etc/passwd",
        ] {
            let request = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            let answer = raw(instance.addr, request.as_bytes(), within).await;
            let status = answer.status.unwrap_or(0);
            assert!((400..500).contains(&status), "{label}: GET {path}: {status}");
            assert_no_file(&answer, label, path);
        }
        // Dashboard pages named by a slug or id, asked by an admin: "no such thing", never a
        // file. (They answer 200 with the message in the page, not 404: the page is rendered
        // either way.)
        let admin = common::role_token(&db.store, hookyard_core::access::Role::Admin).await;
        for (path, says) in [
            ("/sources/..%2F..%2Fetc%2Fpasswd", "does not exist"),
            ("/events/..%2F..%2Fetc%2Fpasswd", "No such event"),
        ] {
            let request = format!(
                "GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {admin}\r\nconnection: close\r\n\r\n"
            );
            let answer = raw(instance.addr, request.as_bytes(), within).await;
            let status = answer.status.unwrap_or(0);
            assert!(status == 200 || (400..500).contains(&status), "{label}: GET {path}: {status}");
            assert!(answer.text().contains(says), "{label}: GET {path}: {}", answer.text());
            assert_no_file(&answer, label, path);
        }
        assert_eq!(db.store.count_events().await.unwrap(), 0, "{label}");
        still_serving(&mut instance, label, "evt_after_traversal").await;
    })
    .await;
}

fn assert_no_file(answer: &Answer, label: &str, path: &str) {
    let text = answer.text();
    for leaked in ["root:x:0:0", "[workspace]", "[package]"] {
        assert!(
            !text.contains(leaked),
            "{label}: {path} leaked a file: {text}"
        );
    }
}
