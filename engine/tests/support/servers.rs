//! Small axum apps served on loopback for what the emulator does not offer (text bodies, echoes,
//! flaky endpoints), and the requests they saw.

use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One request as a test app saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The requests a test app received, in order.
#[derive(Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<Seen>>>);

impl Log {
    pub fn push(&self, seen: Seen) {
        self.0.lock().unwrap().push(seen);
    }
    pub fn all(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
    /// Requests whose path is `path`.
    pub fn to(&self, path: &str) -> Vec<Seen> {
        self.all().into_iter().filter(|s| s.path == path).collect()
    }
}

/// Records every request into `log` before the router answers it.
pub fn record(router: axum::Router, log: Log) -> axum::Router {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::middleware::{self, Next};
    router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let log = log.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, 1 << 20)
                .await
                .unwrap_or_default();
            log.push(Seen {
                method: parts.method.to_string(),
                path: parts.uri.path().to_string(),
                query: parts.uri.query().unwrap_or_default().to_string(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: String::from_utf8_lossy(&bytes).into_owned(),
                at: Instant::now(),
            });
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }))
}

/// An axum app served on 127.0.0.1 from its own thread and runtime (the test thread blocks on
/// the engine process meanwhile). Stops when dropped.
pub struct TestServer {
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    pub fn start(router: axum::Router) -> TestServer {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind loopback");
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                axum::serve(listener, router)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let addr = addr_rx.recv().expect("the test server started");
        TestServer {
            url: format!("http://{addr}"),
            stop: Some(stop_tx),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A loopback port nobody listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
