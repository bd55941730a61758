//! Guest output — stdout, stderr and the `log` import — into the host's `tracing` log.
//!
//! Every line is tagged with the strategy's name. A strategy gets a byte budget per call
//! (`SandboxConfig::log_bytes_per_call`); what exceeds it is dropped and counted, and one line
//! at the end of the call says how much. So a guest that prints in a loop costs the host a
//! counter increment per write, not a flooded log.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Longest line kept; a longer one is cut there (and the cut counted as dropped).
pub const MAX_LINE_BYTES: usize = 4096;

/// Recent stderr lines kept to explain a trap (a Rust panic message spans 2–3 lines).
const RECENT_STDERR_LINES: usize = 8;

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The guest's stdout (`println!`).
    Stdout,
    /// The guest's stderr (`eprintln!`, panic messages).
    Stderr,
    /// The `log` import, at this level.
    Log(LogLevel),
}

/// Severity of a guest line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `warn`
    Warn,
    /// `error`
    Error,
}

/// The output state of one strategy instance, shared by its stdout and stderr streams and its
/// `log` import.
#[derive(Debug, Clone)]
pub struct GuestOutput {
    inner: Arc<Mutex<OutputState>>,
    /// Whether anything was written since the last `begin_call`: most calls write nothing, and
    /// then beginning and ending a call costs two atomic operations instead of two locks.
    touched: Arc<AtomicBool>,
}

#[derive(Debug)]
struct OutputState {
    strategy: Arc<str>,
    budget_per_call: usize,
    remaining: usize,
    dropped_this_call: u64,
    dropped_total: u64,
    stdout_partial: Vec<u8>,
    stderr_partial: Vec<u8>,
    recent_stderr: VecDeque<String>,
}

impl GuestOutput {
    /// Output for the strategy `strategy`, with `budget_per_call` bytes per call.
    pub fn new(strategy: Arc<str>, budget_per_call: usize) -> Self {
        Self {
            inner: Arc::new(Mutex::new(OutputState {
                strategy,
                budget_per_call,
                remaining: budget_per_call,
                dropped_this_call: 0,
                dropped_total: 0,
                stdout_partial: Vec::new(),
                stderr_partial: Vec::new(),
                recent_stderr: VecDeque::with_capacity(RECENT_STDERR_LINES),
            })),
            touched: Arc::new(AtomicBool::new(false)),
        }
    }

    fn state(&self) -> MutexGuard<'_, OutputState> {
        // A panic while holding this lock can only come from `tracing` itself; the state is
        // plain counters and buffers, valid at every point, so a poisoned lock is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a call: refills the budget (if the last call used any).
    pub fn begin_call(&self) {
        if self.touched.swap(false, Ordering::Relaxed) {
            let mut state = self.state();
            state.remaining = state.budget_per_call;
            state.dropped_this_call = 0;
        }
    }

    /// Ends a call: flushes partial lines and reports what was dropped.
    pub fn end_call(&self) {
        if !self.touched.load(Ordering::Relaxed) {
            return;
        }
        let mut state = self.state();
        state.flush_partial(Stream::Stdout);
        state.flush_partial(Stream::Stderr);
        if state.dropped_this_call > 0 {
            tracing::warn!(
                target: "strategy",
                strategy = &*state.strategy,
                dropped_bytes = state.dropped_this_call,
                "output over the {} bytes-per-call budget was dropped",
                state.budget_per_call
            );
        }
    }

    /// Writes one `log` line.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.touched.store(true, Ordering::Relaxed);
        self.state().line(Stream::Log(level), message.as_bytes());
    }

    /// Writes raw bytes of stdout or stderr; complete lines are logged, the rest buffered.
    pub fn write(&self, stream: Stream, bytes: &[u8]) {
        self.touched.store(true, Ordering::Relaxed);
        self.state().write(stream, bytes);
    }

    /// The message of a Rust panic in the guest's recent stderr, with its location:
    /// `boom at bar 3 (src/lib.rs:14:24)`. `None` if it printed no panic.
    ///
    /// std prints `thread '…' panicked at FILE:LINE:COL:`, then the message (one or more
    /// lines), then a `note: run with RUST_BACKTRACE…` line.
    pub fn panic_message(&self) -> Option<String> {
        let state = self.state();
        let partial = String::from_utf8_lossy(&state.stderr_partial);
        let lines: Vec<&str> = state
            .recent_stderr
            .iter()
            .map(String::as_str)
            .chain((!partial.is_empty()).then_some(&*partial))
            .collect();
        let start = lines.iter().rposition(|l| l.contains("panicked at"))?;
        let location = lines[start]
            .split_once("panicked at ")
            .map(|(_, at)| at.trim_end_matches(':').to_owned())
            .unwrap_or_default();
        let message: Vec<&str> = lines[start + 1..]
            .iter()
            .take_while(|l| !l.starts_with("note: run with"))
            .copied()
            .collect();
        Some(format!("{} ({location})", message.join(" / ")))
    }

    /// Bytes dropped over the budget since the instance started.
    pub fn dropped_total(&self) -> u64 {
        self.state().dropped_total
    }

    /// A WASI stdout/stderr stream writing into this output.
    pub fn stream(&self, stream: Stream) -> GuestStream {
        GuestStream {
            output: self.clone(),
            stream,
        }
    }
}

impl OutputState {
    fn write(&mut self, stream: Stream, mut bytes: &[u8]) {
        while let Some(newline) = bytes.iter().position(|&b| b == b'\n') {
            let (line, rest) = bytes.split_at(newline);
            let mut partial = std::mem::take(self.partial(stream));
            if partial.is_empty() {
                self.line(stream, line);
            } else {
                partial.extend_from_slice(line);
                self.line(stream, &partial);
                partial.clear();
            }
            *self.partial(stream) = partial;
            bytes = &rest[1..];
        }
        let room = MAX_LINE_BYTES.saturating_sub(self.partial(stream).len());
        let kept = bytes.len().min(room);
        self.partial(stream).extend_from_slice(&bytes[..kept]);
        self.drop_bytes(bytes.len() - kept);
    }

    fn partial(&mut self, stream: Stream) -> &mut Vec<u8> {
        match stream {
            Stream::Stderr => &mut self.stderr_partial,
            Stream::Stdout | Stream::Log(_) => &mut self.stdout_partial,
        }
    }

    fn flush_partial(&mut self, stream: Stream) {
        let partial = std::mem::take(self.partial(stream));
        if !partial.is_empty() {
            self.line(stream, &partial);
        }
    }

    fn drop_bytes(&mut self, n: usize) {
        self.dropped_this_call += n as u64;
        self.dropped_total += n as u64;
    }

    /// Logs one line, within the budget.
    fn line(&mut self, stream: Stream, line: &[u8]) {
        let cut = line.len().saturating_sub(MAX_LINE_BYTES);
        self.drop_bytes(cut);
        let line = &line[..line.len() - cut];
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        if stream == Stream::Stderr {
            if self.recent_stderr.len() == RECENT_STDERR_LINES {
                self.recent_stderr.pop_front();
            }
            self.recent_stderr.push_back(text.to_owned());
        }
        if line.len() > self.remaining {
            self.drop_bytes(line.len());
            return;
        }
        self.remaining -= line.len();
        let strategy = &*self.strategy;
        match stream {
            Stream::Stdout => {
                tracing::info!(target: "strategy", strategy, stream = "stdout", "{text}")
            }
            Stream::Stderr => {
                tracing::warn!(target: "strategy", strategy, stream = "stderr", "{text}")
            }
            Stream::Log(LogLevel::Debug) => tracing::debug!(target: "strategy", strategy, "{text}"),
            Stream::Log(LogLevel::Info) => tracing::info!(target: "strategy", strategy, "{text}"),
            Stream::Log(LogLevel::Warn) => tracing::warn!(target: "strategy", strategy, "{text}"),
            Stream::Log(LogLevel::Error) => tracing::error!(target: "strategy", strategy, "{text}"),
        }
    }
}

/// A guest's stdout or stderr, as WASI sees it.
#[derive(Debug, Clone)]
pub struct GuestStream {
    output: GuestOutput,
    stream: Stream,
}

impl IsTerminal for GuestStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestStream {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestStream {
    /// Always ready: writes never block, they are logged or dropped at once.
    async fn ready(&mut self) {}
}

impl OutputStream for GuestStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.output.write(self.stream, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        // Any size is accepted (the budget drops the excess), so grant a generous permit.
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for GuestStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.output.write(self.stream, buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_message_is_found_across_partial_writes() {
        let out = GuestOutput::new("s".into(), 1024);
        out.begin_call();
        assert_eq!(out.panic_message(), None);
        out.write(Stream::Stderr, b"\nthread '<unnamed>' (1) pan");
        out.write(Stream::Stderr, b"icked at src/lib.rs:14:24:\nboom at ");
        assert_eq!(
            out.panic_message().as_deref(),
            Some("boom at  (src/lib.rs:14:24)")
        );
        out.write(
            Stream::Stderr,
            b"bar 1\nnote: run with `RUST_BACKTRACE=1` environment variable\n",
        );
        out.end_call();
        assert_eq!(
            out.panic_message().as_deref(),
            Some("boom at bar 1 (src/lib.rs:14:24)")
        );
        assert_eq!(out.dropped_total(), 0);
    }

    #[test]
    fn budget_drops_and_counts_the_excess() {
        let out = GuestOutput::new("s".into(), 10);
        out.begin_call();
        out.write(Stream::Stdout, b"12345\n"); // 5 bytes kept
        out.write(Stream::Stdout, b"123456\n"); // over budget: 6 dropped
        out.log(LogLevel::Info, "1234"); // 4 kept
        out.end_call();
        assert_eq!(out.dropped_total(), 6);
        out.begin_call();
        out.write(Stream::Stdout, b"123456\n"); // new call, new budget
        out.end_call();
        assert_eq!(out.dropped_total(), 6);
    }

    #[test]
    fn the_cut_of_a_long_line_is_counted_as_dropped() {
        let out = GuestOutput::new("s".into(), usize::MAX);
        out.begin_call();
        // A `log` line, and a complete stdout line in one write: both cut at MAX_LINE_BYTES.
        out.log(LogLevel::Info, &"x".repeat(MAX_LINE_BYTES + 7));
        let mut line = vec![b'y'; MAX_LINE_BYTES + 5];
        line.push(b'\n');
        out.write(Stream::Stdout, &line);
        out.end_call();
        assert_eq!(out.dropped_total(), 12);
    }

    #[test]
    fn a_line_without_newline_is_capped() {
        let out = GuestOutput::new("s".into(), usize::MAX);
        out.begin_call();
        out.write(Stream::Stdout, &vec![b'x'; MAX_LINE_BYTES + 100]);
        out.end_call();
        assert_eq!(out.dropped_total(), 100);
    }
}
