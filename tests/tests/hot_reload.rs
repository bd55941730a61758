//! Hot reload through a real directory: `watch()` on a temporary strategies directory, its
//! changes applied to a fleet between bars, as the host's strategy worker does. Files are
//! written the way operators and tools do it (atomically by rename, or in place in two halves),
//! and every wait is on the watch callback's channel, bounded by a timeout.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use sandtrade_runtime::{DirChange, DirWatch, StrategyDir, watch};
use sandtrade_tests::guests;
use sandtrade_tests::logs::LogCapture;
use sandtrade_tests::paper::{
    PaperFleet, SampleBar, US_BARS, live_runtime, sample_bars, shared_cache,
};
use sha2::{Digest, Sha256};
use tracing::Level;

/// Longest wait for the watcher to report a change (its debounce is 150 ms; a compile of a
/// changed file takes a fraction of a second).
const WAIT: Duration = Duration::from_secs(20);

const HOSTILE_TOML: &str = "[params]\nmode = \"zero-qty\"\nat = 3\n";

/// A strategies directory being watched, and a fleet its changes are applied to.
struct Host {
    dir: tempfile::TempDir,
    changes: Receiver<Vec<DirChange>>,
    fleet: PaperFleet,
    bars: Vec<SampleBar>,
    next_bar: usize,
    _watch: DirWatch,
}

impl Host {
    /// Watches an empty directory.
    fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, changes) = channel();
        let strategies = StrategyDir::new(
            dir.path(),
            live_runtime().clone(),
            Some(shared_cache().clone()),
        );
        let watch = watch(strategies, move |batch| {
            // The test may have finished and dropped the receiver; nothing to do then.
            let _ = tx.send(batch);
        })
        .expect("the directory can be watched");
        let host = Self {
            dir,
            changes,
            fleet: PaperFleet::new(live_runtime().clone()),
            bars: sample_bars(US_BARS),
            next_bar: 0,
            _watch: watch,
        };
        // The first scan is delivered before `watch` returns: an empty directory, no changes.
        let first = host
            .changes
            .try_recv()
            .expect("the first scan is delivered at once");
        assert_eq!(first.len(), 0);
        host
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Applies the watcher's batches to the fleet, as they come, until `done` holds; returns
    /// every change seen, as `(kind, name)` with kind `upsert`, `refused` or `removed`.
    ///
    /// A scan may catch a file between two writes (the watcher debounces each path on its
    /// own): such an intermediate state is applied like any other, as the host does.
    fn apply_until(&mut self, done: impl Fn(&PaperFleet) -> bool) -> Vec<(&'static str, String)> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while !done(&self.fleet) {
            let left = deadline.saturating_duration_since(Instant::now());
            let batch = self
                .changes
                .recv_timeout(left)
                .unwrap_or_else(|e| panic!("no change in time ({e}); saw {seen:?}"));
            for change in batch {
                let (kind, name) = match &change {
                    DirChange::Upsert { name, .. } => ("upsert", name.to_string()),
                    DirChange::Refused { name, .. } => ("refused", name.to_string()),
                    DirChange::Removed { name } => ("removed", name.to_string()),
                };
                seen.push((kind, name));
                self.fleet.fleet_mut().apply(change);
            }
        }
        seen
    }

    /// Delivers the next `n` AAPL bars (and the MSFT bars between them).
    fn aapl_bars(&mut self, n: usize) {
        let mut delivered = 0;
        while delivered < n {
            let bar = &self.bars[self.next_bar];
            self.next_bar += 1;
            if bar.instrument.symbol == "AAPL" {
                delivered += 1;
            }
            self.fleet.restart_due(bar.bar.start_ms);
            self.fleet.bar(bar);
        }
    }

    fn sha(&self, name: &str) -> String {
        self.fleet.status(name).wasm_sha256
    }

    /// Starts `hostile.wasm` with `sidecar`, both written atomically, sidecar first.
    fn start_hostile(&mut self, sidecar: &str) -> Vec<u8> {
        let hostile = std::fs::read(guests::wasm("hostile")).expect("built");
        write_atomically(&self.path("hostile.toml"), sidecar.as_bytes());
        write_atomically(&self.path("hostile.wasm"), &hostile);
        let seen = self.apply_until(|f| f.fleet().status_of("hostile").is_some());
        assert_eq!(seen, [upsert("hostile")]);
        assert_eq!(self.sha("hostile"), sha256(&hostile));
        hostile
    }
}

fn upsert(name: &str) -> (&'static str, String) {
    ("upsert", name.to_owned())
}

fn refused(name: &str) -> (&'static str, String) {
    ("refused", name.to_owned())
}

/// `seen` is one upsert of `name`, after any number of refusals of it (scans that caught its
/// files between two writes).
fn assert_refused_then_loaded(seen: &[(&'static str, String)], name: &str) {
    let (last, before) = seen.split_last().expect("a change was seen");
    assert_eq!(*last, upsert(name), "{seen:?}");
    assert!(before.iter().all(|c| *c == refused(name)), "{seen:?}");
}

/// Whether `fleet` runs strategy `name` from the build with SHA-256 `sha`.
fn runs(fleet: &PaperFleet, name: &str, sha: &str) -> bool {
    fleet
        .fleet()
        .status_of(name)
        .is_some_and(|s| s.wasm_sha256 == sha && s.state == "running")
}

/// Whether `fleet` has a load error for `name` containing `text`.
fn load_error_has(fleet: &PaperFleet, name: &str, text: &str) -> bool {
    fleet
        .fleet()
        .load_errors()
        .get(name)
        .is_some_and(|e| e.contains(text))
}

/// Writes `bytes` to `path` the safe way: a temporary name in the same directory, then a
/// rename, so the watcher never sees a half-written file.
fn write_atomically(path: &Path, bytes: &[u8]) {
    let name = path.file_name().expect("a file name").to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).expect("writable");
    std::fs::rename(&tmp, path).expect("rename in the same directory");
}

/// The component `wasm` with a custom section appended: the same code, another build (another
/// SHA-256).
fn rebuilt(wasm: &[u8], label: &str) -> Vec<u8> {
    let name = b"sandtrade-test-build";
    let mut contents = vec![name.len() as u8];
    contents.extend_from_slice(name);
    contents.extend_from_slice(label.as_bytes());
    let mut out = wasm.to_vec();
    out.push(0); // custom section
    assert!(contents.len() < 128, "one-byte LEB128 size");
    out.push(contents.len() as u8);
    out.extend_from_slice(&contents);
    out
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The guest's own lines since the last call, without its per-bar `bar N: ok`s.
fn guest_said(capture: &LogCapture) -> Vec<String> {
    capture
        .take()
        .into_iter()
        .filter(|l| l.target == "strategy" && l.field("strategy") == Some("hostile"))
        .map(|l| l.message)
        .collect()
}

#[test]
fn new_file_starts_replaced_file_swaps_removed_file_stops() {
    let capture = LogCapture::start();
    let mut host = Host::start();

    // A new file (its sidecar first) starts.
    let hostile = host.start_hostile(HOSTILE_TOML);
    assert_eq!(host.fleet.status("hostile").state, "running");
    host.aapl_bars(2);
    assert_eq!(host.fleet.status("hostile").counters.bars, 2);
    assert_eq!(guest_said(&capture), ["bar 1: ok", "bar 2: ok"]);

    // A replaced file is swapped between two bars: the new build, with fresh state (it counts
    // its bars from 1 again, so it misbehaves on the 3rd bar after the swap, not the next).
    let v2 = rebuilt(&hostile, "v2");
    let v2_sha = sha256(&v2);
    write_atomically(&host.path("hostile.wasm"), &v2);
    let seen = host.apply_until(|f| runs(f, "hostile", &v2_sha));
    assert_eq!(seen, [upsert("hostile")]);
    assert_eq!(host.fleet.status("hostile").counters.bars, 0);
    let replaced = capture
        .host_lines("hostile")
        .into_iter()
        .find(|l| l.message.starts_with("replaced: "))
        .expect("the swap is logged");
    assert_eq!(replaced.field("sha256"), Some(&v2_sha[..12]));
    assert_eq!(replaced.field("previous"), Some(&sha256(&hostile)[..12]));
    capture.take();
    host.aapl_bars(3);
    assert_eq!(
        guest_said(&capture),
        [
            "bar 1: ok",
            "bar 2: ok",
            "bar 3: misbehaving: zero-qty",
            "open-long 0 AAPL: refused, invalid-quantity: open-long of 0 AAPL: quantity must be \
             at least 1",
            "bar 3: survived zero-qty",
        ]
    );

    // Another new file starts beside it.
    let ma = std::fs::read(guests::wasm("ma-crossover")).expect("built");
    let sidecar = guests::sidecar("ma-crossover").expect("ships a sidecar");
    let sidecar = std::fs::read(sidecar).expect("readable");
    write_atomically(&host.path("ma_crossover.toml"), &sidecar);
    write_atomically(&host.path("ma_crossover.wasm"), &ma);
    let seen = host.apply_until(|f| runs(f, "ma_crossover", &sha256(&ma)));
    assert_eq!(seen, [upsert("ma_crossover")]);
    let names: Vec<String> = host.fleet.fleet().names().map(|n| n.to_string()).collect();
    assert_eq!(names, ["hostile", "ma_crossover"]);

    // A removed file stops: no more bars for it; the other goes on.
    std::fs::remove_file(host.path("hostile.wasm")).expect("remove");
    let seen = host.apply_until(|f| f.fleet().status_of("hostile").is_none());
    assert_eq!(seen, [("removed", "hostile".to_owned())]);
    let names: Vec<String> = host.fleet.fleet().names().map(|n| n.to_string()).collect();
    assert_eq!(names, ["ma_crossover"]);
    capture.take();
    host.aapl_bars(2);
    assert_eq!(guest_said(&capture), Vec::<String>::new());
    assert_eq!(host.fleet.status("ma_crossover").counters.bars, 4);
}

#[test]
fn a_bad_replacement_leaves_the_running_version_and_says_why() {
    let capture = LogCapture::start();
    let mut host = Host::start();
    let hostile = host.start_hostile(HOSTILE_TOML);
    let sha = sha256(&hostile);
    host.aapl_bars(1);

    // Replaced by a file that is not a component: refused, the running build stays.
    let path = host.path("hostile.wasm");
    write_atomically(&path, b"#!/bin/sh\necho not a strategy\n");
    let seen = host.apply_until(|f| f.fleet().load_errors().contains_key("hostile"));
    assert_eq!(seen, [refused("hostile")]);
    let why = format!(
        "{}: not a WebAssembly file (it starts with 23212f62696e2f73); a strategy is the \
         `.wasm` that `cargo build --target wasm32-wasip2 --release` writes",
        path.display()
    );
    assert_eq!(host.fleet.fleet().load_errors()["hostile"], why);
    assert!(runs(&host.fleet, "hostile", &sha));
    let logged: Vec<String> = capture
        .host_lines("hostile")
        .into_iter()
        .filter(|l| l.level == Level::ERROR)
        .map(|l| l.message)
        .collect();
    assert_eq!(
        logged,
        [format!(
            "new version refused, version {} keeps running: {why}",
            &sha[..12]
        )]
    );
    // It keeps getting bars.
    host.aapl_bars(1);
    assert_eq!(host.fleet.status("hostile").counters.bars, 2);

    // A sidecar the host cannot read is refused the same way.
    let toml = host.path("hostile.toml");
    write_atomically(&toml, b"[params]\nmode = \"short\"\n[limitz]\n");
    let seen = host.apply_until(|f| load_error_has(f, "hostile", "limitz"));
    assert_eq!(seen, [refused("hostile")]);
    let error = &host.fleet.fleet().load_errors()["hostile"];
    assert!(
        error.starts_with(&format!("{}: ", toml.display())),
        "{error}"
    );
    assert!(error.contains("unknown field `limitz`"), "{error}");
    assert!(runs(&host.fleet, "hostile", &sha));

    // Putting back the files that run clears the error without restarting anything. (Two
    // renames: a scan between them sees the good sidecar and the bad file, and refuses it.)
    write_atomically(&toml, HOSTILE_TOML.as_bytes());
    write_atomically(&path, &hostile);
    let seen = host.apply_until(|f| f.fleet().load_errors().is_empty());
    assert_refused_then_loaded(&seen, "hostile");
    host.aapl_bars(1);
    let status = host.fleet.status("hostile");
    assert_eq!(status.counters.bars, 3, "the same instance, not a restart");
    assert_eq!(status.counters.restarts, 0);
}

#[test]
fn a_sidecar_change_restarts_the_strategy_with_its_new_params() {
    let capture = LogCapture::start();
    let mut host = Host::start();
    let hostile = host.start_hostile("[params]\nmode = \"zero-qty\"\nat = 1\n");
    host.aapl_bars(1);
    assert_eq!(
        guest_said(&capture)[1],
        "open-long 0 AAPL: refused, invalid-quantity: open-long of 0 AAPL: quantity must be at \
         least 1"
    );

    write_atomically(
        &host.path("hostile.toml"),
        b"[params]\nmode = \"short\"\nat = 1\n",
    );
    let seen = host.apply_until(|f| {
        f.fleet()
            .status_of("hostile")
            .is_some_and(|s| s.counters.bars == 0)
    });
    assert_eq!(seen, [upsert("hostile")]);
    assert!(
        runs(&host.fleet, "hostile", &sha256(&hostile)),
        "the same build"
    );
    capture.take();
    host.aapl_bars(1);
    assert_eq!(
        guest_said(&capture)[1],
        "reduce-long 100 AAPL: refused, short-not-allowed: sell of 100 AAPL exceeds held 0 - \
         pending sells 0 = 0"
    );
}

/// A replacement copied in place, in two writes with a pause between them: the half file is
/// refused (the old build keeps running), and the complete one is swapped in.
#[test]
fn a_partial_write_ends_with_the_complete_version_running() {
    let mut host = Host::start();
    let hostile = host.start_hostile(HOSTILE_TOML);
    let sha = sha256(&hostile);
    let path = host.path("hostile.wasm");

    let v2 = rebuilt(&hostile, "v2");
    let (first, rest) = v2.split_at(v2.len() / 2);
    let mut file = std::fs::File::create(&path).expect("writable");
    file.write_all(first).expect("write");
    file.sync_all().expect("sync");
    // The watcher sees the half file (and perhaps, first, the file just truncated): refused,
    // the old build runs on.
    let invalid = format!(
        "{}: invalid component: failed to parse WebAssembly module: ",
        path.display()
    );
    let seen = host.apply_until(|f| load_error_has(f, "hostile", &invalid));
    assert!(seen.iter().all(|c| *c == refused("hostile")), "{seen:?}");
    assert!(runs(&host.fleet, "hostile", &sha));
    host.aapl_bars(1);
    assert_eq!(host.fleet.status("hostile").counters.bars, 1);

    // The rest arrives: the complete new build runs, and the error is gone.
    let mut file = OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("writable");
    file.write_all(rest).expect("write");
    file.sync_all().expect("sync");
    drop(file);
    let v2_sha = sha256(&v2);
    let seen = host.apply_until(|f| runs(f, "hostile", &v2_sha));
    assert_refused_then_loaded(&seen, "hostile");
    assert_eq!(host.fleet.fleet().load_errors().len(), 0);
    host.aapl_bars(1);
    assert_eq!(host.fleet.status("hostile").counters.bars, 1);
}
