//! The host's log, captured for exact assertions.
//!
//! Guest output (stdout, stderr, the `log` import) and the host's own reports (refused
//! signals, faults, restarts, load errors) go to `tracing`. A test that wants to see what a
//! guest was told — the rejection `emit` returned, which the SDK's `emit_logged` writes to the
//! log — or what an operator would read, captures the events of its own thread:
//!
//! ```
//! use sandtrade_tests::logs::LogCapture;
//!
//! let capture = LogCapture::start();
//! tracing::warn!(target: "strategy", strategy = "demo", "hello from {}", "the guest");
//! assert_eq!(capture.strategy_lines("demo"), ["hello from the guest"]);
//! ```
//!
//! Only events of the `strategy` target (guest output) and of the host's own modules
//! (`sandtrade::…`) are kept, and only those of the thread that started the capture, until the
//! [`LogCapture`] is dropped: tests running in parallel never see each other's lines, and code
//! that runs on another thread (the directory watcher) is not captured.
//!
//! The subscriber is the process's global one, installed on first use, which hands each event
//! to the capture of its thread. (Per-thread default subscribers, `set_default`, lose events
//! when tests on other threads come and go: callsite interest and the maximum level are cached
//! process-wide.)

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, Once};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

type Lines = Arc<Mutex<Vec<LogLine>>>;

thread_local! {
    /// The captures started on this thread, innermost last.
    static SINKS: RefCell<Vec<Lines>> = const { RefCell::new(Vec::new()) };
}

/// One captured event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its level.
    pub level: Level,
    /// Its target: `strategy` for guest output, else the host module.
    pub target: String,
    /// The rendered message.
    pub message: String,
    /// The other fields, rendered with `Debug` (strings without quotes).
    pub fields: BTreeMap<String, String>,
}

impl LogLine {
    /// The value of field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.level, self.target, self.message)?;
        for (name, value) in &self.fields {
            write!(f, " {name}={value}")?;
        }
        Ok(())
    }
}

/// Captures this thread's log events until dropped.
pub struct LogCapture {
    lines: Lines,
    /// Tied to the thread that started it (`Rc` is neither `Send` nor `Sync`).
    _thread: std::marker::PhantomData<std::rc::Rc<()>>,
}

impl Drop for LogCapture {
    fn drop(&mut self) {
        SINKS.with(|sinks| {
            let mut sinks = sinks.borrow_mut();
            if let Some(at) = sinks.iter().rposition(|s| Arc::ptr_eq(s, &self.lines)) {
                sinks.remove(at);
            }
        });
    }
}

impl fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogCapture")
            .field("lines", &self.locked().len())
            .finish_non_exhaustive()
    }
}

impl LogCapture {
    /// Starts capturing the events of the current thread.
    ///
    /// Panics if another global subscriber was installed in this process.
    pub fn start() -> Self {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Capture))
                .expect("no other global tracing subscriber in a test process");
        });
        let lines: Lines = Arc::new(Mutex::new(Vec::new()));
        SINKS.with(|sinks| sinks.borrow_mut().push(lines.clone()));
        Self {
            lines,
            _thread: std::marker::PhantomData,
        }
    }

    fn locked(&self) -> MutexGuard<'_, Vec<LogLine>> {
        // Only this module pushes, and a push cannot panic halfway: a poisoned lock still holds
        // whole lines.
        self.lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Every line captured so far.
    pub fn lines(&self) -> Vec<LogLine> {
        self.locked().clone()
    }

    /// Removes and returns every line captured so far.
    pub fn take(&self) -> Vec<LogLine> {
        std::mem::take(&mut *self.locked())
    }

    /// The messages of the lines tagged `strategy = name`, from the guest (target
    /// `strategy`), in order.
    pub fn strategy_lines(&self, name: &str) -> Vec<String> {
        self.locked()
            .iter()
            .filter(|l| l.target == "strategy" && l.field("strategy") == Some(name))
            .map(|l| l.message.clone())
            .collect()
    }

    /// The lines the host itself logged about strategy `name` (not its output).
    pub fn host_lines(&self, name: &str) -> Vec<LogLine> {
        self.locked()
            .iter()
            .filter(|l| l.target != "strategy" && l.field("strategy") == Some(name))
            .cloned()
            .collect()
    }
}

/// The layer behind [`LogCapture`]: hands each event to its thread's innermost capture.
struct Capture;

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let target = meta.target();
        if target != "strategy" && !target.starts_with("sandtrade") {
            return;
        }
        let Some(lines) = SINKS.with(|sinks| sinks.borrow().last().cloned()) else {
            return;
        };
        let mut visitor = Fields::default();
        event.record(&mut visitor);
        let line = LogLine {
            level: *meta.level(),
            target: target.to_owned(),
            message: visitor.message,
            fields: visitor.fields,
        };
        lines
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(line);
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: BTreeMap<String, String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.fields
                .insert(field.name().to_owned(), value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let rendered = format!("{value:?}");
        if field.name() == "message" {
            self.message = rendered;
        } else {
            self.fields.insert(field.name().to_owned(), rendered);
        }
    }
}
