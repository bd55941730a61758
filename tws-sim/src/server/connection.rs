//! One client connection: handshake, then a reader (frames → engine) and a writer
//! (engine → frames) until either side closes.
//!
//! A malformed frame ends this connection with a log line; the server carries on.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::handshake::{self, Dialect};
use super::shared::{ConnState, Shared};
use crate::engine::sessions::{ClientLink, Outbound};
use crate::engine::{Admission, clock};
use crate::error::ConnectionError;
use crate::messages::Request;
use crate::probe::ProbeSample;
use crate::proto;
use crate::text::{self, TextEncoder};

/// Largest frame body clients and TWS accept (`0x00FF_FFFF`).
const MAX_FRAME: usize = 0x00FF_FFFF;

/// Serves one accepted socket until it closes, then frees its client id.
pub(crate) async fn serve(
    socket: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    cancel: CancellationToken,
) {
    let conn = Arc::new(ConnState::new(shared.new_conn_id(), peer, cancel));
    shared.register(conn.clone());
    tracing::debug!(%peer, conn_id = conn.conn_id, "connection accepted");
    let outcome = run(socket, &shared, &conn).await;
    shared.unregister(conn.conn_id);
    conn.cancel.cancel();
    match outcome {
        Ok(()) => tracing::info!(%peer, client_id = conn.client_id(), "client disconnected"),
        Err(e) => tracing::warn!(%peer, client_id = conn.client_id(), "connection closed: {e}"),
    }
}

async fn run(
    socket: TcpStream,
    shared: &Arc<Shared>,
    conn: &Arc<ConnState>,
) -> Result<(), ConnectionError> {
    socket.set_nodelay(true)?;
    let (read_half, write_half) = socket.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, read_half);

    let hello = tokio::select! {
        _ = conn.cancel.cancelled() => return Ok(()),
        hello = read_hello(&mut reader) => hello?,
    };
    let Some((version, dialect)) = handshake::choose_version(&hello) else {
        return Err(ConnectionError::Handshake(format!(
            "client offers server versions {}..{}; tws-sim serves 176..178 (text) and 213..226 (protobuf)",
            hello.min, hello.max
        )));
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let encoder = Encoder::new(dialect, version);
    let writer = tokio::spawn(write_loop(
        write_half,
        rx,
        encoder,
        shared.clone(),
        conn.clone(),
    ));
    let now = shared.engine().now();
    let (zone, tz) = clock::market_zone(crate::config::Market::Us);
    let _queued = tx.send(Outbound::Raw(handshake::reply(
        version,
        &clock::zoned_time(now, zone, tz),
    )));
    tracing::debug!(peer = %conn.peer, version, ?dialect, options = %hello.options, "handshake");

    let link = ClientLink {
        conn_id: conn.conn_id,
        tx: tx.clone(),
    };
    let result = read_loop(&mut reader, dialect, version, shared, conn, &link).await;
    // The engine holds a clone of `tx`: tell the writer to finish explicitly.
    if let Some(client_id) = conn.client_id() {
        shared.engine().end_client(client_id, conn.conn_id);
        shared.publish_clients();
    }
    let _closing = tx.send(Outbound::Close);
    if writer.await.is_err() {
        tracing::error!(peer = %conn.peer, "writer task panicked");
    }
    result
}

async fn read_hello<R: AsyncRead + Unpin>(
    reader: &mut R,
) -> Result<handshake::ClientHello, ConnectionError> {
    let mut prefix = [0u8; 4];
    reader.read_exact(&mut prefix).await?;
    if &prefix != handshake::API_PREFIX {
        return Err(ConnectionError::Handshake(format!(
            "expected \"API\\0\", got {prefix:?}"
        )));
    }
    let body = read_frame(reader).await?.ok_or_else(|| {
        ConnectionError::Handshake("closed before sending a version range".into())
    })?;
    handshake::parse_hello(&body)
}

/// Reads one length-prefixed frame body; `None` on a clean end of stream.
async fn read_frame<R: AsyncRead + Unpin>(
    reader: &mut R,
) -> Result<Option<Vec<u8>>, ConnectionError> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as usize;
    if !(4..=MAX_FRAME).contains(&len) {
        return Err(ConnectionError::FrameLength(len));
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).await?;
    Ok(Some(body))
}

async fn read_loop<R: AsyncRead + Unpin>(
    reader: &mut R,
    dialect: Dialect,
    version: i32,
    shared: &Arc<Shared>,
    conn: &Arc<ConnState>,
    link: &ClientLink,
) -> Result<(), ConnectionError> {
    loop {
        let body = tokio::select! {
            _ = conn.cancel.cancelled() => return Ok(()),
            frame = read_frame(reader) => match frame? {
                Some(body) => body,
                None => return Ok(()),
            },
        };
        let read_at = Instant::now();
        let decoded = match dialect {
            Dialect::Protobuf => proto::decode_request(&body),
            Dialect::Text => text::decode_request(&body, version),
        };
        let (msg_id, request) = decoded.map_err(|e| ConnectionError::Malformed {
            msg_id: frame_id(dialect, &body),
            reason: e.0,
        })?;
        match conn.client_id() {
            Some(client_id) => {
                if matches!(request, Request::PlaceOrder(_)) {
                    record_probe(shared, conn, client_id, read_at);
                }
                tracing::trace!(client_id, msg_id, request = request.name(), "request");
                shared.engine().handle(client_id, request);
            }
            None => match request {
                Request::StartApi { client_id } => {
                    let admission = shared.engine().start_client(client_id, link.clone());
                    if admission == Admission::ClientIdInUse {
                        tracing::warn!(peer = %conn.peer, client_id, "client id in use: sent 326, closing");
                        return Ok(());
                    }
                    conn.set_client_id(client_id);
                    shared.publish_clients();
                    tracing::info!(peer = %conn.peer, client_id, "client started");
                }
                other => {
                    tracing::warn!(peer = %conn.peer, request = other.name(), "request before startApi ignored")
                }
            },
        }
    }
}

/// The message id of a frame that failed to decode, for the log line.
fn frame_id(dialect: Dialect, body: &[u8]) -> i32 {
    match dialect {
        Dialect::Protobuf => body
            .first_chunk::<4>()
            .map_or(0, |id| i32::from_be_bytes(*id)),
        Dialect::Text => body
            .split(|b| *b == 0)
            .next()
            .and_then(|id| std::str::from_utf8(id).ok())
            .and_then(|id| id.parse().ok())
            .unwrap_or(0),
    }
}

/// Turns responses into the connection's dialect.
enum Encoder {
    Protobuf,
    Text(TextEncoder),
}

impl Encoder {
    fn new(dialect: Dialect, version: i32) -> Self {
        match dialect {
            Dialect::Protobuf => Encoder::Protobuf,
            Dialect::Text => Encoder::Text(TextEncoder::new(version)),
        }
    }

    fn encode(&mut self, response: &crate::messages::Response, out: &mut BytesMut) {
        match self {
            Encoder::Protobuf => proto::encode_response(response, out),
            Encoder::Text(text) => text.encode(response, out),
        }
    }
}

/// Pairs this placeOrder with the last bar written to the same connection.
fn record_probe(shared: &Shared, conn: &ConnState, client_id: i32, order_read: Instant) {
    let bar = conn
        .last_bar_written
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .take();
    if let Some(bar_written) = bar {
        shared.probe.record(ProbeSample {
            client_id,
            bar_written,
            order_read,
        });
    }
}

/// Largest batch written in one go.
const WRITE_BATCH: usize = 256 * 1024;

/// Encodes queued messages and writes them, a batch at a time, applying the silent and
/// drop-after faults and stamping real-time-bar frames for the probe.
async fn write_loop(
    mut socket: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
    mut encoder: Encoder,
    shared: Arc<Shared>,
    conn: Arc<ConnState>,
) {
    let mut buf = BytesMut::with_capacity(64 * 1024);
    loop {
        let first = tokio::select! {
            _ = conn.cancel.cancelled() => break,
            item = rx.recv() => match item {
                Some(item) => item,
                None => break,
            },
        };
        let mut close = false;
        let mut has_bar = false;
        let mut next = Some(first);
        while let Some(item) = next.take() {
            let silent = shared.silent.load(std::sync::atomic::Ordering::Relaxed);
            match item {
                Outbound::Message(response) if !silent => {
                    has_bar |= response.is_real_time_bar();
                    encoder.encode(&response, &mut buf);
                    if conn.count_message() {
                        tracing::info!(peer = %conn.peer, "drop-after fault: closing connection");
                        close = true;
                    }
                }
                Outbound::Raw(bytes) if !silent => buf.extend_from_slice(&bytes),
                Outbound::Message(_) | Outbound::Raw(_) => {}
                Outbound::Close => close = true,
            }
            if !close && buf.len() < WRITE_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if !buf.is_empty() {
            if let Err(e) = socket.write_all(&buf).await {
                tracing::debug!(peer = %conn.peer, "write failed: {e}");
                break;
            }
            buf.clear();
            if has_bar {
                *conn
                    .last_bar_written
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
            }
        }
        if close {
            break;
        }
    }
    let _already_closed = socket.shutdown().await;
    conn.cancel.cancel();
}
