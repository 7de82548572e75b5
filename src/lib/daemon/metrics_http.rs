//! `vrrpd --metrics-listen ADDR:PORT`: Prometheus metrics over HTTP (GET /metrics). tiny_http
//! runs on its own threads and asks the event loop for a snapshot through `run::Handle`, as
//! the control server does, so a scrape (or a flood of them) never runs on the loop's thread.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::control::prometheus;

use super::run::Handle;

#[derive(Debug, thiserror::Error)]
#[error("cannot serve metrics on {addr}: {message}")]
pub struct MetricsError {
    addr: SocketAddr,
    message: String,
}

/// The running endpoint; stops when dropped.
pub struct MetricsServer {
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Listen on `addr` and answer scrapes until the returned server drops.
pub fn start(addr: SocketAddr, handle: Handle) -> Result<MetricsServer, MetricsError> {
    let err = |e: &dyn std::fmt::Display| MetricsError {
        addr,
        message: e.to_string(),
    };
    // Bound here, while vrrpd may still hold CAP_NET_BIND_SERVICE for a port below 1024; the
    // server (and the accept thread tiny_http starts) is built on the metrics thread once that
    // thread has dropped what vrrpd does not need (privileges.rs: capabilities are per thread).
    let listener = std::net::TcpListener::bind(addr).map_err(|e| err(&e))?;
    let (ready_tx, ready) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            if let Err(e) = super::privileges::drop_unneeded() {
                tracing::warn!("metrics thread: cannot drop capabilities: {e}");
            }
            match tiny_http::Server::from_listener(listener, None) {
                Ok(server) => {
                    let server = Arc::new(server);
                    let _ = ready_tx.send(Ok(server.clone()));
                    serve(&server, &handle);
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e.to_string()));
                }
            }
        })
        .map_err(|e| err(&e))?;
    let server = match ready.recv() {
        Ok(Ok(s)) => s,
        Ok(Err(m)) => return Err(err(&m)),
        Err(e) => return Err(err(&e)),
    };
    tracing::info!("metrics on http://{addr}/metrics");
    Ok(MetricsServer {
        server,
        thread: Some(thread),
    })
}

fn header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn serve(server: &tiny_http::Server, handle: &Handle) {
    for req in server.incoming_requests() {
        let path = req.url().split('?').next().unwrap_or("");
        let is_get = matches!(
            req.method(),
            tiny_http::Method::Get | tiny_http::Method::Head
        );
        let response = match (is_get, path) {
            (true, "/metrics") => match handle.snapshot_blocking() {
                Some(snap) => {
                    let node = handle.node_stats_blocking();
                    let body = prometheus::render(&snap, node.as_ref(), true);
                    let mut r = tiny_http::Response::from_string(body);
                    if let Some(h) = header("Content-Type", prometheus::CONTENT_TYPE) {
                        r.add_header(h);
                    }
                    r
                }
                // The loop is gone: vrrpd is stopping.
                None => {
                    tiny_http::Response::from_string("vrrpd is stopping\n").with_status_code(503)
                }
            },
            (true, "/") => tiny_http::Response::from_string("vrrpd: metrics are at /metrics\n"),
            (false, _) => tiny_http::Response::from_string("only GET\n").with_status_code(405),
            _ => tiny_http::Response::from_string("not found\n").with_status_code(404),
        };
        // A client that went away is not our problem.
        let _ = req.respond(response);
    }
}
