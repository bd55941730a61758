//! The wire itself, with a hand-made client: what an unknown message, a malformed frame or a
//! text-only client gets; P&L subscriptions in both dialects, byte for byte; and the control
//! interface over TCP (faults, prices, an option held beside the stocks).

mod support;

use std::net::SocketAddr;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tws_sim::SimConfig;

use support::*;

/// A bare protobuf-dialect client.
struct Raw {
    socket: TcpStream,
}

impl Raw {
    /// Connects and sends the handshake with this version range.
    async fn hello(addr: SocketAddr, range: &str) -> Self {
        let mut socket = within(TcpStream::connect(addr)).await.expect("connect");
        let mut frame = b"API\0".to_vec();
        frame.extend_from_slice(&(range.len() as u32).to_be_bytes());
        frame.extend_from_slice(range.as_bytes());
        within(socket.write_all(&frame)).await.expect("handshake");
        Self { socket }
    }

    /// Sends `[len][id][payload]`.
    async fn send(&mut self, raw_id: i32, payload: &[u8]) {
        let mut frame = ((4 + payload.len()) as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&raw_id.to_be_bytes());
        frame.extend_from_slice(payload);
        within(self.socket.write_all(&frame)).await.expect("send");
    }

    /// Reads one frame body, or `None` at end of stream.
    async fn read(&mut self) -> Option<Vec<u8>> {
        let mut len = [0u8; 4];
        within(self.socket.read_exact(&mut len)).await.ok()?;
        let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
        within(self.socket.read_exact(&mut body)).await.ok()?;
        Some(body)
    }

    /// Reads frames until one has this id (protobuf ids are message + 200).
    async fn read_until(&mut self, raw_id: i32) -> Vec<u8> {
        loop {
            let body = self.read().await.expect("frame before end of stream");
            if body[..4] == raw_id.to_be_bytes() {
                return body;
            }
        }
    }

    /// Handshake reply, then startApi as `client_id` (field 1 varint).
    async fn start(addr: SocketAddr, client_id: u8) -> Self {
        let mut raw = Self::hello(addr, "v213..226").await;
        let reply = raw.read().await.expect("handshake reply");
        assert!(reply.starts_with(b"226\0"), "{reply:?}");
        raw.send(271, &[0x08, client_id]).await;
        raw.read_until(209).await; // nextValidId
        raw
    }
}

/// The two wire dialects the P&L test speaks.
#[derive(Debug, Clone, Copy)]
enum Dialect {
    /// Server version 226: `[len][id + 200][protobuf]`.
    Protobuf,
    /// Server version 178, as ib_async offers it: `[len]` + NUL-terminated fields.
    Text,
}

/// IB's `PnL` message (protobuf dialect).
#[derive(Clone, PartialEq, prost::Message)]
struct PnlMessage {
    #[prost(int32, optional, tag = "1")]
    req_id: Option<i32>,
    #[prost(double, optional, tag = "2")]
    daily: Option<f64>,
    #[prost(double, optional, tag = "3")]
    unrealized: Option<f64>,
    #[prost(double, optional, tag = "4")]
    realized: Option<f64>,
}

/// One P&L message: (reqId, daily, unrealized, realized).
type PnlRow = (i32, f64, f64, f64);

impl Raw {
    /// Handshake and startApi in `dialect`, up to nextValidId.
    async fn start_in(addr: SocketAddr, dialect: Dialect, client_id: u8) -> Self {
        match dialect {
            Dialect::Protobuf => Self::start(addr, client_id).await,
            Dialect::Text => {
                let mut raw = Self::hello(addr, "v157..178").await;
                let reply = raw.read().await.expect("handshake reply");
                assert!(reply.starts_with(b"178\0"), "{reply:?}");
                raw.send_fields(&["71", "2", &client_id.to_string(), ""])
                    .await;
                while raw.read_fields().await[0] != "9" {} // nextValidId
                raw
            }
        }
    }

    /// Sends a text message: `[len]` + NUL-terminated fields, the message id first.
    async fn send_fields(&mut self, fields: &[&str]) {
        let body: Vec<u8> = fields.iter().flat_map(|f| f.bytes().chain([0])).collect();
        let mut frame = (body.len() as u32).to_be_bytes().to_vec();
        frame.extend_from_slice(&body);
        within(self.socket.write_all(&frame)).await.expect("send");
    }

    /// Reads one text message as its fields.
    async fn read_fields(&mut self) -> Vec<String> {
        let body = self.read().await.expect("frame before end of stream");
        let text = String::from_utf8(body).expect("text");
        let text = text.strip_suffix('\0').expect("NUL-terminated");
        text.split('\0').map(str::to_string).collect()
    }

    /// reqPnL for the default account, as ibapi (protobuf) or ib_async (text) sends it.
    async fn req_pnl(&mut self, dialect: Dialect, req_id: u8) {
        match dialect {
            Dialect::Protobuf => {
                let mut payload = vec![0x08, req_id, 0x12, ACCOUNT.len() as u8];
                payload.extend_from_slice(ACCOUNT.as_bytes());
                self.send(292, &payload).await;
            }
            Dialect::Text => {
                self.send_fields(&["92", &req_id.to_string(), ACCOUNT, ""])
                    .await
            }
        }
    }

    async fn cancel_pnl(&mut self, dialect: Dialect, req_id: u8) {
        match dialect {
            Dialect::Protobuf => self.send(293, &[0x08, req_id]).await,
            Dialect::Text => self.send_fields(&["93", &req_id.to_string()]).await,
        }
    }

    /// Asks for the time and returns the P&L messages read before the answer: everything the
    /// simulator queued for this connection before it handled the question.
    async fn pnl_before_time(&mut self, dialect: Dialect) -> Vec<PnlRow> {
        let mut rows = Vec::new();
        match dialect {
            Dialect::Protobuf => {
                self.send(249, &[]).await;
                loop {
                    let body = self.read().await.expect("frame before end of stream");
                    match i32::from_be_bytes(body[..4].try_into().expect("id")) {
                        249 => return rows,
                        294 => {
                            let m =
                                <PnlMessage as prost::Message>::decode(&body[4..]).expect("PnL");
                            let field = |v: Option<f64>| v.expect("every number is set");
                            rows.push((
                                m.req_id.expect("reqId"),
                                field(m.daily),
                                field(m.unrealized),
                                field(m.realized),
                            ));
                        }
                        _ => {}
                    }
                }
            }
            Dialect::Text => {
                self.send_fields(&["49", "1"]).await;
                loop {
                    let fields = self.read_fields().await;
                    match fields[0].as_str() {
                        "49" => return rows,
                        "94" => {
                            assert_eq!(fields.len(), 5, "94,reqId,daily,unrealized,realized");
                            let number = |i: usize| fields[i].parse::<f64>().expect("a number");
                            rows.push((
                                fields[1].parse().expect("reqId"),
                                number(2),
                                number(3),
                                number(4),
                            ));
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// reqPnL, a fill and a price move, cancelPnL, another move: the updates stop at the cancel.
async fn pnl_streams_until_cancelled(dialect: Dialect) {
    let sim = sim_with(still_config()).await;
    sim.set_price("AAPL", 200.0).expect("AAPL");
    let mut raw = Raw::start_in(sim.addr(), dialect, 1).await;
    raw.req_pnl(dialect, 7).await;
    assert_eq!(raw.pnl_before_time(dialect).await, [(7, 0.0, 0.0, 0.0)]);

    // Another client trades the same account: 100 at 200, commission 1.
    let trader = connect(&sim, 2).await;
    buy(&trader, 1, &aapl(), 100.0).await;
    sim.step(1);
    sim.step(1);
    sim.set_price("AAPL", 199.0).expect("AAPL");
    assert_eq!(
        raw.pnl_before_time(dialect).await,
        [(7, -1.0, 0.0, 0.0), (7, -101.0, -100.0, 0.0)]
    );

    raw.cancel_pnl(dialect, 7).await;
    assert_eq!(raw.pnl_before_time(dialect).await, []);
    sim.step(1);
    sim.set_price("AAPL", 150.0).expect("AAPL");
    assert_eq!(
        raw.pnl_before_time(dialect).await,
        [],
        "nothing after the cancel"
    );
}

#[tokio::test]
async fn pnl_in_protobuf_streams_until_cancelled() {
    pnl_streams_until_cancelled(Dialect::Protobuf).await;
}

#[tokio::test]
async fn pnl_in_text_streams_until_cancelled() {
    pnl_streams_until_cancelled(Dialect::Text).await;
}

#[tokio::test]
async fn the_greeting_is_accounts_then_next_id_then_farm_notices() {
    let sim = sim().await;
    let mut raw = Raw::hello(sim.addr(), "v100..226 +PACEAPI").await;
    let reply = raw.read().await.expect("handshake reply");
    assert_eq!(reply, b"226\x0020250106 09:30:00 US/Eastern\x00");
    raw.send(271, &[0x08, 1]).await;
    let mut greeting = Vec::new();
    for _ in 0..6 {
        let frame = raw.read().await.expect("greeting frame");
        let id = i32::from_be_bytes(frame[..4].try_into().expect("id"));
        let text: String = frame[4..]
            .iter()
            .filter(|b| b.is_ascii_graphic() || **b == b' ')
            .map(|b| *b as char)
            .collect();
        greeting.push((id, text));
    }
    let ids: Vec<i32> = greeting.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [215, 209, 204, 204, 204, 204]);
    assert!(greeting[0].1.contains("DU1234567"));
    let notices: Vec<&str> = greeting[2..]
        .iter()
        .map(|(_, text)| text.as_str())
        .collect();
    assert!(
        notices[0].ends_with("Market data farm connection is OK:usfarm"),
        "{notices:?}"
    );
    assert!(
        notices[1].ends_with("Market data farm connection is OK:hfarm"),
        "{notices:?}"
    );
    assert!(
        notices[2].ends_with("HMDS data farm connection is OK:ushmds"),
        "{notices:?}"
    );
    assert!(
        notices[3].ends_with("Sec-def data farm connection is OK:secdefil"),
        "{notices:?}"
    );
}

#[tokio::test]
async fn an_unknown_message_is_answered_with_503_for_its_request_id() {
    let sim = sim().await;
    let mut raw = Raw::start(sim.addr(), 1).await;
    // Message 85 (reqHistogramData) + 200, reqId 42 in field 1.
    raw.send(285, &[0x08, 42]).await;
    let error = loop {
        // Skip the farm notices (id -1) of the greeting.
        let error = raw.read_until(204).await;
        if error[4..6] == [0x08, 42] {
            break error;
        }
    };
    // ErrorMessage{1: id=42, 2: time, 3: code=503 (0xf7 0x03), ...}
    assert_eq!(&error[4..6], &[0x08, 42]);
    let code_at = error.windows(3).position(|w| w == [0x18, 0xf7, 0x03]);
    assert!(code_at.is_some(), "code 503 in {error:?}");
    // The connection still works: reqCurrentTime (49 + 200) answers.
    raw.send(249, &[]).await;
    let time = raw.read_until(249).await;
    assert_eq!(&time[4..], &[0x08, 0xe8, 0xd1, 0xef, 0xbb, 0x06]); // varint of 1736173800
}

#[tokio::test]
async fn a_malformed_frame_closes_only_that_connection() {
    let sim = sim().await;
    let good = connect(&sim, 2).await;
    let mut bad = Raw::start(sim.addr(), 1).await;
    // placeOrder whose payload is not protobuf.
    bad.send(203, &[0xff, 0xff, 0xff]).await;
    while bad.read().await.is_some() {}
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids == [2]).await,
        Some(vec![2])
    );
    assert_eq!(
        within(good.server_time())
            .await
            .expect("time")
            .unix_timestamp(),
        1_736_173_800
    );

    // An impossible frame length, too.
    let mut worse = Raw::start(sim.addr(), 3).await;
    within(worse.socket.write_all(&[0xff, 0xff, 0xff, 0xff]))
        .await
        .expect("send");
    while worse.read().await.is_some() {}
    assert_eq!(
        sim.wait_for_clients(WAIT, |ids| ids == [2]).await,
        Some(vec![2])
    );
}

#[tokio::test]
async fn a_client_without_a_served_version_is_refused_without_a_reply() {
    let sim = sim().await;
    // Neither text 176-178 nor protobuf 213-226 is in this range.
    let mut raw = Raw::hello(sim.addr(), "v100..175").await;
    assert_eq!(raw.read().await, None);
    let mut garbage = Raw {
        socket: within(TcpStream::connect(sim.addr()))
            .await
            .expect("connect"),
    };
    within(garbage.socket.write_all(b"GET / HTTP/1.1\r\n\r\n"))
        .await
        .expect("send");
    assert_eq!(garbage.read().await, None);
}

#[tokio::test]
async fn duplicate_client_id_on_the_wire_is_326_then_close() {
    let sim = sim().await;
    let _first = Raw::start(sim.addr(), 9).await;
    let mut second = Raw::hello(sim.addr(), "v213..226").await;
    second.read().await.expect("handshake reply");
    second.send(271, &[0x08, 9]).await;
    let error = second.read_until(204).await;
    let message = String::from_utf8_lossy(&error);
    assert!(
        message.contains("Unable to connect as the client id is already in use"),
        "{message}"
    );
    assert_eq!(second.read().await, None, "closed after 326");
}

#[tokio::test]
async fn control_interface_drives_the_switchboard_and_the_market() {
    let sim = sim_with(SimConfig {
        control_port: Some(0),
        ..SimConfig::ephemeral()
    })
    .await;
    let control = within(TcpStream::connect(
        sim.control_addr().expect("control port"),
    ))
    .await
    .expect("connect");
    let (read, mut write) = control.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut ask = async |line: &str| -> String {
        within(write.write_all(format!("{line}\n").as_bytes()))
            .await
            .expect("send");
        within(lines.next_line())
            .await
            .expect("reply")
            .expect("a line")
    };
    assert_eq!(ask("reject 2").await, "OK connections=0");
    assert_eq!(ask("delay-fills 1500").await, "OK connections=0");
    assert_eq!(ask("price AAPL 200").await, "OK AAPL 200");
    assert_eq!(ask("step 4").await, "OK now=1736173804");
    assert_eq!(ask("bar").await, "OK now=1736173805");
    assert_eq!(ask("no-live aapl 354").await, "OK AAPL no-live=354");
    assert_eq!(
        ask("no-live AAPL 200").await,
        "ERR 200 is not a code IB refuses live market data with (354, 10089, 10167, 10168)"
    );
    assert_eq!(ask("no-live ZZZZ 354").await, "ERR unknown symbol \"ZZZZ\"");
    assert_eq!(ask("no-live 700 10168").await, "OK 700 no-live=10168");
    assert_eq!(ask("no-live 700 off").await, "OK 700 live");
    assert_eq!(
        ask("status").await,
        "OK now=1736173805 connections=0 clients=[] reject_next=2 fill_delay_ms=1500 dup_execs=0 paused=false silent=false no_live=[AAPL:354]"
    );
    assert_eq!(
        ask("hold-option DU1234567 712345678 AAPL 20250117 200 C -2 350").await,
        "OK account=DU1234567 con_id=712345678 position=-2"
    );
    let held = sim.held_options(ACCOUNT);
    assert_eq!(
        held.iter()
            .map(|o| (
                o.con_id,
                o.strike,
                o.right.code(),
                o.quantity,
                o.average_cost
            ))
            .collect::<Vec<_>>(),
        [(712345678, 200.0, "C", -2.0, 350.0)]
    );
    assert_eq!(
        ask("hold-option DU9 712345678 AAPL 20250117 200 C 1").await,
        "ERR unknown account \"DU9\""
    );
    assert_eq!(
        ask("hold-option DU1234567 265598 AAPL 2025-01-17 200 C 1").await,
        "ERR option AAPL (con_id 265598): con_id 265598 is the stock AAPL's; option AAPL \
         (con_id 265598): expiry \"2025-01-17\" must be YYYYMMDD"
    );
    assert_eq!(ask("fly").await, "ERR unknown command \"fly\"; try help");
    assert_eq!(ask("clear").await, "OK");
    assert_eq!(sim.faults().status().state, tws_sim::FaultState::default());
    assert_eq!(ask("quit").await, "OK bye");
}
