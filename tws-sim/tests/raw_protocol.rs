//! The wire itself, with a hand-made client: what an unknown message, a malformed frame or a
//! text-only client gets; and the control interface over TCP.

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
    assert_eq!(
        ask("status").await,
        "OK now=1736173805 connections=0 clients=[] reject_next=2 fill_delay_ms=1500 dup_execs=0 paused=false silent=false"
    );
    assert_eq!(ask("fly").await, "ERR unknown command \"fly\"; try help");
    assert_eq!(ask("clear").await, "OK");
    assert_eq!(sim.faults().status().state, tws_sim::FaultState::default());
    assert_eq!(ask("quit").await, "OK bye");
}
