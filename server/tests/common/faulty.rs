//! A misbehaving HTTP handler on raw TCP (what a framework would not let a handler do): it
//! resets connections, never answers, trickles its answer byte by byte, sends bodies of
//! hundreds of MiB, and answers storms of 5xx. Each path misbehaves on the first tries of a
//! message (counted by its `webhook-id`) and answers 200 after that, so every delivery can
//! complete.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Answers of `/storm`, one per try, before a 200.
pub const STORM: [u16; 4] = [500, 502, 504, 500];
/// Size of the huge answers of `/huge` and `/huge500`.
pub const HUGE_BYTES: u64 = 256 << 20;

/// Tries seen per (path, webhook-id).
#[derive(Clone, Default)]
pub struct Tries(Arc<Mutex<HashMap<(String, String), u32>>>);

impl Tries {
    /// How many requests `path` received in all.
    pub fn total(&self, path: &str) -> u32 {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|((p, _), _)| p == path)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Starts the handler; returns its base URL and the tries it has seen.
pub async fn start() -> (String, Tries) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let tries = Tries::default();
    let seen = tries.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream, seen.clone()));
        }
    });
    (base, tries)
}

async fn serve(mut stream: TcpStream, tries: Tries) {
    let Some((path, message_id)) = read_request(&mut stream).await else {
        return;
    };
    let attempt = {
        let mut all = tries.0.lock().unwrap();
        let n = all.entry((path.clone(), message_id)).or_default();
        *n += 1;
        *n
    };
    let _ = match (path.as_str(), attempt) {
        ("reset", 1) => {
            // RST instead of an answer.
            let _ = stream.set_zero_linger();
            drop(stream);
            return;
        }
        ("hang", 1) => {
            // Holds the connection open and never answers.
            tokio::time::sleep(Duration::from_secs(600)).await;
            Ok(())
        }
        ("trickle-head", 1) => {
            trickle(
                &mut stream,
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
            )
            .await
        }
        ("trickle-body", _) => {
            let head = b"HTTP/1.1 200 OK\r\ncontent-length: 600\r\n\r\n";
            match stream.write_all(head).await {
                Ok(()) => trickle(&mut stream, &[b'x'; 600]).await,
                Err(e) => Err(e),
            }
        }
        ("huge", _) => huge(&mut stream, 200).await,
        ("huge500", 1) => huge(&mut stream, 500).await,
        ("storm", n) if (n as usize) <= STORM.len() => {
            answer(&mut stream, STORM[n as usize - 1], "storm").await
        }
        _ => answer(&mut stream, 200, "ok").await,
    };
}

/// Reads one request; returns its path (without the leading `/`) and `webhook-id`.
async fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let path = head.split_whitespace().nth(1)?.trim_start_matches('/');
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let length: usize = header("content-length").and_then(|v| v.parse().ok())?;
    let mut have = buf.len() - head_end;
    while have < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        have += n;
    }
    Some((path.to_string(), header("webhook-id").unwrap_or_default()))
}

async fn answer(stream: &mut TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// One byte every 100 ms.
async fn trickle(stream: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    for b in bytes {
        stream.write_all(&[*b]).await?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// A [`HUGE_BYTES`] body, as fast as the reader takes it (it is expected to stop reading).
async fn huge(stream: &mut TcpStream, status: u16) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-length: {HUGE_BYTES}\r\ncontent-type: text/plain\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await?;
    let block = vec![b'h'; 64 * 1024];
    let mut sent = 0;
    while sent < HUGE_BYTES {
        stream.write_all(&block).await?;
        sent += block.len() as u64;
    }
    Ok(())
}
