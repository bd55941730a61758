//! What the sandbox refuses at load, and how: a component importing files, sockets or clocks,
//! a file that is not a component, a component of another world. Each is refused with a
//! message that names the file and exactly what is wrong (for an import: which one, and what
//! in the code causes it), directly (`compile_file`) and through a strategies directory, where
//! the well-behaved strategy beside them keeps trading.
//!
//! Defence in depth: a component that skipped the import check is linked against the inert
//! profile's files, sockets and clocks, and reaches nothing through them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sandtrade_runtime::compile::CodeOrigin;
use sandtrade_runtime::sandbox::WasiProfile;
use sandtrade_runtime::{CompiledStrategy, DirChange, LoadError, StrategyDir, compile_file};
use sandtrade_tests::guests;
use sandtrade_tests::logs::LogCapture;
use sandtrade_tests::paper::{
    PaperFleet, US_BARS, aapl_bar, live_runtime, sample_bars, start_compiled, trades_alone,
};

const CLOCK_HINT: &str = "strategies get no clock of their own: use sandtrade_guest::now_ms() \
                          instead of SystemTime::now() / Instant::now()";
const FILES_HINT: &str = "strategies get no files: remove std::fs / std::path I/O";
const NET_HINT: &str = "strategies get no network: remove std::net and network crates";
const REBUILD: &str = "a strategy is the `.wasm` that `cargo build --target wasm32-wasip2 \
                       --release` writes";

/// The imports `compile_file` refuses in guest `name`, and its whole message.
fn refused(name: &str) -> (Vec<String>, String) {
    let path = guests::wasm(name);
    let err = compile_file(live_runtime(), None, &path).expect_err("refused");
    let LoadError::RefusedImports { refused, .. } = &err else {
        panic!("{name}: refused for another reason: {err}");
    };
    assert_eq!(err.path(), path);
    (
        refused.iter().map(|r| r.name.clone()).collect(),
        err.to_string(),
    )
}

/// `imports `NAME`, which is not granted (HINT)`, as the refusal lists each import.
fn not_granted(import: &str, hint: &str) -> String {
    format!("imports `{import}`, which is not granted ({hint})")
}

#[test]
fn filesystem_imports_are_refused_by_name() {
    let (names, message) = refused("fs-snoop");
    assert_eq!(
        names,
        [
            "wasi:clocks/wall-clock@0.2.6",
            "wasi:filesystem/types@0.2.6",
            "wasi:filesystem/preopens@0.2.6",
        ]
    );
    let path = guests::wasm("fs-snoop");
    assert_eq!(
        message,
        format!(
            "{}: refused by the sandbox: {}; {}; {}",
            path.display(),
            not_granted("wasi:clocks/wall-clock@0.2.6", CLOCK_HINT),
            not_granted("wasi:filesystem/types@0.2.6", FILES_HINT),
            not_granted("wasi:filesystem/preopens@0.2.6", FILES_HINT),
        )
    );
}

#[test]
fn socket_imports_are_refused_by_name() {
    let (names, message) = refused("net-snoop");
    let sockets = [
        "wasi:sockets/network@0.2.6",
        "wasi:sockets/instance-network@0.2.6",
        "wasi:sockets/udp@0.2.6",
        "wasi:sockets/udp-create-socket@0.2.6",
        "wasi:sockets/tcp@0.2.6",
        "wasi:sockets/tcp-create-socket@0.2.6",
    ];
    let mut want = vec!["wasi:clocks/monotonic-clock@0.2.6"];
    want.extend(sockets);
    assert_eq!(names, want);
    let mut parts = vec![not_granted("wasi:clocks/monotonic-clock@0.2.6", CLOCK_HINT)];
    parts.extend(sockets.iter().map(|s| not_granted(s, NET_HINT)));
    let path = guests::wasm("net-snoop");
    assert_eq!(
        message,
        format!(
            "{}: refused by the sandbox: {}",
            path.display(),
            parts.join("; ")
        )
    );
}

#[test]
fn clock_imports_are_refused_by_name() {
    let (names, message) = refused("clock-snoop");
    assert_eq!(
        names,
        [
            "wasi:clocks/monotonic-clock@0.2.6",
            "wasi:clocks/wall-clock@0.2.6"
        ]
    );
    let path = guests::wasm("clock-snoop");
    assert_eq!(
        message,
        format!(
            "{}: refused by the sandbox: {}; {}",
            path.display(),
            not_granted("wasi:clocks/monotonic-clock@0.2.6", CLOCK_HINT),
            not_granted("wasi:clocks/wall-clock@0.2.6", CLOCK_HINT),
        )
    );
}

/// A snoop compiled without the host's import check is linked (the inert profile's
/// interfaces are in the linker) but reaches nothing: the file is not found, the connection
/// to a listening port is refused, its own clock is the host's.
#[test]
fn a_snoop_past_the_import_check_reaches_nothing() {
    let capture = LogCapture::start();
    let runtime = live_runtime();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a listening port");
    let port = listener
        .local_addr()
        .expect("its address")
        .port()
        .to_string();
    let at = aapl_bar().start_ms;
    for (name, params, said) in [
        (
            "fs-snoop",
            vec![],
            "fs-snoop: cannot read /etc/hostname: ".to_owned(),
        ),
        (
            "net-snoop",
            vec![("port", port.as_str())],
            format!("net-snoop: cannot connect to 127.0.0.1:{port}: "),
        ),
        (
            "clock-snoop",
            vec![],
            format!("clock-snoop: own clock {at} ms, host clock {at} ms"),
        ),
    ] {
        let path = guests::wasm(name);
        let bytes = std::fs::read(&path).expect("built");
        let component = wasmtime::component::Component::new(runtime.engine(), &bytes)
            .expect("a valid component");
        let unchecked = CompiledStrategy {
            path: path.clone(),
            wasm_sha256: String::new(),
            wasm_bytes: bytes.len(),
            imports: Vec::new(),
            profile: WasiProfile::Inert,
            inert_imports: Vec::new(),
            component,
            origin: CodeOrigin::Compiled(Duration::ZERO),
        };
        let mut instance = start_compiled(runtime, unchecked, &params);
        instance.on_bar(&aapl_bar()).expect("the call returns");
        let lines = capture.strategy_lines("alone");
        let line = lines.last().expect("the snoop logged what it found");
        assert!(line.starts_with(&said), "{name}: {line}");
        capture.take();
    }
    listener
        .set_nonblocking(true)
        .expect("a non-blocking listener");
    assert!(listener.accept().is_err(), "nobody connected");
}

/// Files that are not components, each with the exact reason.
fn not_components(dir: &Path) -> Vec<(PathBuf, String)> {
    let ma = std::fs::read(guests::wasm("ma-crossover")).expect("built");
    // A compiled component, as the compile cache stores it: an ELF file.
    let engine = live_runtime().engine();
    let cwasm = engine.precompile_component(&ma).expect("compiles");
    let random: Vec<u8> = (0u32..64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let files: [(&str, &[u8]); 5] = [
        ("random.wasm", &random),
        ("core.wasm", b"\0asm\x01\0\0\0"),
        ("truncated.wasm", &ma[..ma.len() / 2]),
        ("empty.wasm", b""),
        ("precompiled.wasm", &cwasm),
    ];
    let mut out = Vec::new();
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("tempdir is writable");
        let shown = path.display().to_string();
        let message = match name {
            "random.wasm" => format!(
                "{shown}: not a WebAssembly file (it starts with 00bb7733efab6622); {REBUILD}"
            ),
            "core.wasm" => format!(
                "{shown}: a core WebAssembly module, not a component: build it with `--target \
                 wasm32-wasip2` (wasm32-unknown-unknown and wasm32-wasip1 produce core modules)"
            ),
            "truncated.wasm" => format!(
                "{shown}: invalid component: failed to parse WebAssembly module: wasm component \
                 contains an invalid module section: section range {} is out of bounds \
                 (bound = {})",
                cut_section(&ma, ma.len() / 2),
                ma.len() / 2
            ),
            "empty.wasm" => format!("{shown}: the file is empty; {REBUILD}"),
            _ => format!(
                "{shown}: a native ELF file (precompiled `.cwasm` code or a native library), \
                 not a WebAssembly component; {REBUILD}"
            ),
        };
        out.push((path, message));
    }
    out
}

/// The byte range of the first core module in `component` that a cut at `len` bytes
/// truncates, as wasmparser reports it (`start..end`).
fn cut_section(component: &[u8], len: usize) -> String {
    wasmparser::Parser::new(0)
        .parse_all(component)
        .find_map(|payload| match payload.expect("a valid component") {
            wasmparser::Payload::ModuleSection {
                unchecked_range, ..
            } if unchecked_range.end > len => Some(format!(
                "{}..{}",
                unchecked_range.start, unchecked_range.end
            )),
            _ => None,
        })
        .expect("a module section crosses the cut")
}

#[test]
fn files_that_are_not_components_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, message) in not_components(dir.path()) {
        let err = compile_file(live_runtime(), None, &path).expect_err("refused");
        assert_eq!(err.to_string(), message);
    }
}

#[test]
fn a_component_of_another_world_is_not_a_strategy() {
    let path = guests::wasm("other-world");
    let err = compile_file(live_runtime(), None, &path).expect_err("refused");
    assert!(matches!(err, LoadError::NotAStrategy { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: not a Sandtrade strategy: it does not export `describe`, `init`, `on-bar`, \
             `on-fill` (it exports `greet`); a strategy implements \
             `sandtrade_guest::Strategy` and calls `export_strategy!`",
            path.display()
        )
    );
}

/// A strategies directory holding one good strategy and every kind of bad file: the scan
/// refuses each bad file with its reason, the fleet records them, and the good strategy runs
/// and trades exactly as it does alone.
#[test]
fn bad_files_in_the_strategies_directory_do_not_stop_the_good_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut expected: Vec<(String, String)> = Vec::new();
    for snoop in ["fs-snoop", "net-snoop", "clock-snoop", "other-world"] {
        let from = guests::wasm(snoop);
        let to = dir.path().join(from.file_name().expect("a file"));
        std::fs::copy(&from, &to).expect("copy");
        let message = compile_file(live_runtime(), None, &to)
            .expect_err("refused")
            .to_string();
        let stem = to.file_stem().expect("stem").to_string_lossy().into_owned();
        expected.push((stem, message));
    }
    for (path, message) in not_components(dir.path()) {
        let stem = path
            .file_stem()
            .expect("stem")
            .to_string_lossy()
            .into_owned();
        expected.push((stem, message));
    }
    let ma = guests::wasm("ma-crossover");
    std::fs::copy(&ma, dir.path().join("ma_crossover.wasm")).expect("copy");
    let sidecar = guests::sidecar("ma-crossover").expect("ships a sidecar");
    std::fs::copy(&sidecar, dir.path().join("ma_crossover.toml")).expect("copy");

    let mut scan = StrategyDir::new(dir.path(), live_runtime().clone(), None);
    let changes = scan.scan().expect("the directory is readable");
    let mut fleet = PaperFleet::new(live_runtime().clone());
    let mut upserts = Vec::new();
    for change in changes {
        if let DirChange::Upsert { name, .. } = &change {
            upserts.push(name.to_string());
        }
        fleet.fleet_mut().apply(change);
    }
    assert_eq!(upserts, ["ma_crossover"]);
    expected.sort();
    let recorded: Vec<(String, String)> = fleet
        .fleet()
        .load_errors()
        .iter()
        .map(|(name, error)| (name.to_string(), error.clone()))
        .collect();
    assert_eq!(recorded, expected);
    // A second scan with nothing changed reports nothing: a bad file is not retried.
    assert_eq!(scan.scan().expect("readable").len(), 0);

    let bars = sample_bars(US_BARS);
    fleet.feed(&bars);
    let status = fleet.status("ma_crossover");
    assert_eq!(status.state, "running");
    assert_eq!(status.counters.bars, bars.len() as u64);
    assert_eq!(fleet.trades("ma_crossover"), trades_alone(&ma, &bars));
}
