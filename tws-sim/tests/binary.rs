//! The `tws-sim` binary: listens where told, serves an IB client, stops cleanly on Ctrl-C.

mod support;

use std::process::Stdio;

use support::*;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::test]
async fn binary_serves_a_client_and_stops_on_ctrl_c() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tws-sim"))
        .args(["--port", "0", "--control-port", "0", "--manual-clock"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("tws-sim starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = within(stdout.next_line())
        .await
        .expect("read")
        .expect("a line");
    let addr = first
        .strip_prefix("tws-sim listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    let control = within(stdout.next_line())
        .await
        .expect("read")
        .expect("a line");
    assert!(
        control.starts_with("control interface on 127.0.0.1:"),
        "{control}"
    );

    let client = within(ibapi::Client::connect(addr, 4))
        .await
        .expect("ibapi connects to the binary");
    assert_eq!(client.server_version(), 226);
    drop(client);

    let pid = child.id().expect("running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = within(child.wait()).await.expect("exits");
    assert!(status.success(), "exit status {status}");
    let mut stderr = String::new();
    use tokio::io::AsyncReadExt;
    within(
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr),
    )
    .await
    .expect("stderr");
    assert!(stderr.contains("client started"), "{stderr}");
    assert!(stderr.contains("Ctrl-C: shutting down"), "{stderr}");
    assert!(stderr.contains("tws-sim stopped"), "{stderr}");
}
