//! What `sandtrade` logs when its output is not a terminal: plain text a file or a log
//! collector can read, without a single ANSI colour code.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use support::sandtrade;

#[test]
fn logs_to_a_pipe_carry_no_colour_codes() {
    let mut child = sandtrade()
        .args(["sim", "--port", "0", "--no-control"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sandtrade starts");
    let mut line = String::new();
    BufReader::new(child.stderr.take().expect("piped"))
        .read_line(&mut line)
        .expect("a log line");
    child.kill().expect("the simulator stops");
    child.wait().expect("reaped");
    assert!(line.contains("tws-sim listening"), "{line:?}");
    assert!(!line.contains('\u{1b}'), "colour codes in {line:?}");
}
