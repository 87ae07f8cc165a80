//! A TCP proxy between Hookyard and its PostgreSQL server that the test can cut: every open
//! connection is reset and new ones are refused (reset on accept) until it is restored. To
//! Hookyard this is a database server that became unreachable, without stopping a cluster
//! other tests share.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    /// Bumped at every cut; each open connection watches it.
    cuts: watch::Sender<u64>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let down = Arc::new(AtomicBool::new(false));
        let (cuts, _) = watch::channel(0u64);
        let (accept_down, accept_cuts) = (down.clone(), cuts.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if accept_down.load(Ordering::SeqCst) {
                    let _ = client.set_zero_linger();
                    continue; // dropped: connection reset
                }
                tokio::spawn(pipe(client, upstream, accept_cuts.subscribe()));
            }
        });
        Proxy { addr, down, cuts }
    }

    /// The database becomes unreachable: open connections are reset, new ones refused.
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cuts.send_modify(|n| *n += 1);
    }

    /// The database is reachable again.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }

    /// `url` (a `postgres://user@host:port/db` URL) pointed at this proxy instead.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme_user, rest) = url.split_once('@').expect("postgres://USER@HOST:PORT/DB");
        let (_, path) = rest.split_once('/').expect("a database name");
        format!("{scheme_user}@{}/{path}", self.addr)
    }
}

/// The upstream address of a `postgres://user@host:port/db` URL.
pub fn upstream_of(url: &str) -> SocketAddr {
    let rest = url.split_once('@').expect("USER@HOST").1;
    let host_port = rest.split('/').next().expect("HOST:PORT");
    host_port
        .parse()
        .expect("HOST:PORT as an IP address and port")
}

async fn pipe(mut client: TcpStream, upstream: SocketAddr, mut cuts: watch::Receiver<u64>) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        _ = cuts.changed() => {
            let _ = client.set_zero_linger();
            let _ = server.set_zero_linger();
        }
    }
}
