//! Hostile strategies in Python and TypeScript ([`test-guests/py-snoop`] and
//! [`test-guests/ts-snoop`]), built by `sandtrade build` as an author builds them, try files,
//! sockets, clocks and the environment from inside the sandbox and report what they found in
//! one line; `check` accepts them, and a backtest shows that line word for word: nothing was
//! reached.
//!
//! The Python one runs under the inert WASI profile: its interpreter imports files, sockets and
//! clocks, linked to reach nothing. The line says every file operation finds no file (nothing is
//! preopened), every socket is refused and every lookup fails, the environment is empty, the
//! clocks are the replay time and a 5 s sleep returns at once; the port it tries to reach, where
//! this test listens, sees no connection and no datagram, and the replay takes less than the
//! sleep. A preopened directory, a live clock or an allowed socket would change the line.
//!
//! The TypeScript one runs under the inert profile too: its engine imports the clocks, which
//! read the replay time (`Date.now()`, `new Date()`, `performance.now()`). It still has
//! `fetch`, whose host side the build left out: calling it traps (each a fault, the third
//! quarantines).
//!
//! The components are built once per change of their sources, SDK, build tools or WIT
//! ([`crate::built`]), so that their compiled code comes from the compile cache on later runs.
//!
//! [`test-guests/py-snoop`]: ../../../../test-guests/py-snoop/strategy.py
//! [`test-guests/ts-snoop`]: ../../../../test-guests/ts-snoop/strategy.ts

use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::sandtrade;
use crate::text;

/// Three one-minute AAPL bars; the first starts at 2024-01-02T14:30:00Z, 1704205800 s.
const BARS: &str = "\
time,symbol,open,high,low,close,volume
2024-01-02T09:30:00-05:00,AAPL,55.23,55.32,55.19,55.28,10900
2024-01-02T09:31:00-05:00,AAPL,55.28,55.35,55.26,55.30,3700
2024-01-02T09:32:00-05:00,AAPL,55.30,55.42,55.27,55.40,5900
";

/// What the Python snoop finds on its first bar (at 1704205800 s of replay time).
const PY_SUMMARY: &str = "\
files: FileNotFoundError: [Errno 44] No such file or directory: '/etc/passwd'; \
listdir /: FileNotFoundError: [Errno 44] No such file or directory: '/'; \
listdir .: FileNotFoundError: [Errno 44] No such file or directory: '.'; \
getcwd: ok '/'; \
write: FileNotFoundError: [Errno 44] No such file or directory: 'snoop.txt'; \
tcp: PermissionError: [Errno 2] Permission denied; \
udp: PermissionError: [Errno 2] Permission denied; \
create_connection: gaierror: [Errno -4] Non-recoverable error; \
lookup localhost: gaierror: [Errno -4] Non-recoverable error; \
lookup 127.0.0.1: gaierror: [Errno -4] Non-recoverable error; \
env: {}; \
time.time(): 1704205800.0; \
time.time() is now_ms(): True; \
time.monotonic_ns(): 0; \
time.sleep(5): ok None, 0.0 s by time.time()";

/// What the TypeScript snoop finds on its first two bars (a minute apart, from 1704205800 s
/// of replay time).
const TS_SUMMARY: &str = "\
Date.now(): 1704205800000; \
again: the same: true; \
new Date() the same: true; \
nowMs(): 1704205800000; \
present: Headers (function), Request (function), Response (function), console (object), \
crypto (object), fetch (function), location (object), performance (object), \
setInterval (function), setTimeout (function); \
absent: Bun, Deno, EventSource, WebSocket, Worker, XMLHttpRequest, caches, importScripts, \
indexedDB, localStorage, module, navigator, process, require; \
console.log: ok undefined; \
console.error: ok undefined; \
on bar 2: Date.now(): 1704205860000; \
advanced by: 60000; \
performance.now() advanced by: 60000; \
nowMs(): 1704205860000; \
the microtask ran: true; \
the 5 s timer ran: false";

/// `test-guests/<project>` built by `sandtrade build`.
fn built_snoop(project: &str) -> PathBuf {
    crate::built::built_project("test-guests", project)
}

/// The compile cache the tests' `check` and `backtest` runs share.
fn cache() -> PathBuf {
    xtask::workspace_root().join("target/test-compile-cache/cli")
}

/// `sandtrade check` accepts `wasm`; its report.
fn checked(wasm: &Path) -> String {
    let out = sandtrade()
        .arg("--cache-dir")
        .arg(cache())
        .arg("check")
        .arg(wasm)
        .output()
        .expect("the binary runs");
    assert_eq!(text(&out.stderr), "", "{}", wasm.display());
    assert_eq!(out.status.code(), Some(0), "{}", wasm.display());
    let report = text(&out.stdout);
    let ok = format!("ok: {} is a valid Sandtrade strategy", wasm.display());
    assert_eq!(report.lines().next(), Some(ok.as_str()), "{report}");
    report
}

/// `sandtrade backtest` of `wasm` on [`BARS`] with the strategy's log at info (the host's at
/// warn): the exit must be 0.
fn backtest(wasm: &Path, dir: &Path, params: &[String]) -> Output {
    let bars = dir.join("bars.csv");
    std::fs::write(&bars, BARS).expect("writable");
    let mut command = sandtrade();
    command
        .env("RUST_LOG", "warn,strategy=info")
        .arg("--cache-dir")
        .arg(cache())
        .arg("backtest")
        .arg(wasm)
        .arg("--bars")
        .arg(&bars)
        .arg("--out")
        .arg(dir.join("out"))
        .arg("--quiet");
    for param in params {
        command.arg("--param").arg(param);
    }
    let out = command.output().expect("the binary runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Each line of the log on stderr without its timestamp: `WARN strategy: ... strategy="x"`.
fn log_lines(stderr: &[u8]) -> Vec<String> {
    text(stderr)
        .lines()
        .map(|line| {
            let (_time, rest) = line.split_once(' ').expect("a timestamped log line");
            rest.trim_start().to_owned()
        })
        .collect()
}

/// The two log lines of a snoop that reported `summary`: its own, and the accepted signal's.
fn reported(stem: &str, summary: &str) -> Vec<String> {
    vec![
        format!("WARN strategy: snoop: {summary} strategy=\"{stem}\""),
        format!(
            "INFO strategy: open-long 1 AAPL: accepted as signal 1 ({summary}) strategy=\"{stem}\""
        ),
    ]
}

/// The signal, filled on the next bar (at `time`): one buy of 1 AAPL.
fn assert_one_buy(out: &Output, dir: &Path, time: &str) {
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l == "Signals: 1 accepted, 0 rejected"),
        "{stdout}"
    );
    let trades = std::fs::read_to_string(dir.join("out/trades.csv")).expect("trades.csv");
    let rows: Vec<Vec<&str>> = trades
        .lines()
        .skip(1)
        .map(|r| r.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 1, "{trades}");
    assert_eq!(
        (rows[0][1], rows[0][2], rows[0][3], rows[0][5]),
        (time, "AAPL", "open-long", "1"),
        "{trades}"
    );
}

/// The seconds of the report's `Replayed 3 bars in S s (...)`: the replay, after loading.
fn replay_seconds(out: &Output) -> f64 {
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Replayed 3 bars in "))
        .unwrap_or_else(|| panic!("no replay line in {stdout}"));
    let (seconds, _) = line.split_once(" s ").expect("seconds");
    seconds.parse().expect("a number")
}

#[test]
fn the_python_snoop_finds_no_file_socket_clock_or_environment() {
    let built = built_snoop("py-snoop");
    let report = checked(&built);
    // Accepted under the inert profile, which it declares; these are what is linked inert.
    assert!(
        report.lines().any(|l| l
            == "  wasi profile inert (declared by the component): 11 imports linked to reach \
                nothing"),
        "{report}"
    );
    let mut inert: Vec<String> = report
        .lines()
        .filter(|l| l.contains(" inert: "))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    inert.sort();
    assert_eq!(
        inert,
        [
            "wasi:clocks/monotonic-clock@0.2.9 inert: counts the host clock from its first \
             reading; a wait on it returns at once",
            "wasi:clocks/wall-clock@0.2.9 inert: reads the host clock (the replay time in a \
             backtest)",
            "wasi:filesystem/preopens@0.2.9 inert: lists no directory",
            "wasi:filesystem/types@0.2.9 inert: no file can be opened: nothing is preopened",
            "wasi:sockets/instance-network@0.2.9 inert: no address is reachable",
            "wasi:sockets/ip-name-lookup@0.2.9 inert: every lookup fails",
            "wasi:sockets/network@0.2.9 inert: no address is reachable",
            "wasi:sockets/tcp-create-socket@0.2.9 inert: creating a socket fails: access-denied",
            "wasi:sockets/tcp@0.2.9 inert: no socket can be created",
            "wasi:sockets/udp-create-socket@0.2.9 inert: creating a socket fails: access-denied",
            "wasi:sockets/udp@0.2.9 inert: no socket can be created",
        ]
    );

    // A port for it to try, listening for TCP and UDP.
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("bound").port();
    let udp = UdpSocket::bind(("127.0.0.1", port)).expect("the same port for UDP");
    let dir = tempfile::tempdir().expect("tempdir");
    let out = backtest(&built, dir.path(), &[format!("port={port}")]);
    assert_eq!(
        log_lines(&out.stderr),
        reported("py_snoop", PY_SUMMARY),
        "{}",
        text(&out.stdout)
    );
    assert_one_buy(&out, dir.path(), "2024-01-02T14:31:00Z");
    // The 5 s sleep did not hold the replay.
    let replay = replay_seconds(&out);
    assert!(replay < 5.0, "the replay took {replay} s");
    // Nothing reached the port.
    listener.set_nonblocking(true).expect("nonblocking");
    udp.set_nonblocking(true).expect("nonblocking");
    let accepted = listener.accept().map(|(_, from)| from);
    assert_eq!(
        accepted.map_err(|e| e.kind()),
        Err(ErrorKind::WouldBlock),
        "a connection reached the port"
    );
    let mut buf = [0u8; 64];
    let received = udp.recv_from(&mut buf).map(|(_, from)| from);
    assert_eq!(
        received.map_err(|e| e.kind()),
        Err(ErrorKind::WouldBlock),
        "a datagram reached the port"
    );
}

#[test]
fn the_typescript_snoop_reads_the_replay_time_and_its_io_functions_trap() {
    let built = built_snoop("ts-snoop");
    let report = checked(&built);
    let imports: Vec<&str> = report
        .lines()
        .skip_while(|l| !l.starts_with("  wasi profile "))
        .collect();
    assert_eq!(
        imports,
        [
            "  wasi profile inert (declared by the component): 2 imports linked to reach nothing",
            "  imports      (granted, or linked inert with what they give)",
            "    sandtrade:strategy/types@0.2.0",
            "    sandtrade:strategy/host@0.2.0",
            "    wasi:io/error@0.2.3",
            "    wasi:io/poll@0.2.3",
            "    wasi:io/streams@0.2.3",
            "    wasi:cli/stderr@0.2.3",
            "    wasi:clocks/monotonic-clock@0.2.3  inert: counts the host clock from its first \
             reading; a wait on it returns at once",
            "    wasi:clocks/wall-clock@0.2.3       inert: reads the host clock (the replay time \
             in a backtest)",
            "    wasi:random/random@0.2.3",
        ],
        "{report}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let out = backtest(&built, dir.path(), &[]);
    // console.log and console.error wrote nothing: the log holds these two lines only.
    assert_eq!(
        log_lines(&out.stderr),
        reported("ts_snoop", TS_SUMMARY),
        "{}",
        text(&out.stdout)
    );
    // Emitted on the second bar.
    assert_one_buy(&out, dir.path(), "2024-01-02T14:32:00Z");

    // `fetch`, an engine function with no host behind it, traps on every bar: three faults,
    // then quarantine.
    let trap = "strategy `ts_snoop`: trapped: wasm trap: wasm `unreachable` instruction executed";
    {
        let call = "fetch";
        let dir = tempfile::tempdir().expect("tempdir");
        let out = backtest(&built, dir.path(), &[format!("try={call}")]);
        let stdout = text(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert!(
            lines.contains(&"Signals: 0 accepted, 0 rejected"),
            "{stdout}"
        );
        let faults: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.starts_with("Fault at ") || l.starts_with("Quarantined: "))
            .collect();
        assert_eq!(
            faults,
            [
                format!("Fault at 2024-01-02T14:30:00Z: {trap}"),
                format!("Fault at 2024-01-02T14:31:00Z: {trap}"),
                format!("Fault at 2024-01-02T14:32:00Z: {trap}"),
                format!("Quarantined: 3 faults within 600 s, the last: {trap}"),
            ],
            "{call}"
        );
        // It got as far as the call, never past it.
        let tried = format!("WARN strategy: trying {call} strategy=\"ts_snoop\"");
        let logged = log_lines(&out.stderr);
        assert_eq!(
            logged.iter().filter(|l| **l == tried).count(),
            3,
            "{logged:?}"
        );
        assert!(
            !logged.iter().any(|l| l.contains(" returned ")),
            "{logged:?}"
        );
    }
}
