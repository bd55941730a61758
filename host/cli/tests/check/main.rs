//! `sandtrade check FILE.wasm`, run as a user runs it (the real binary this `cargo test`
//! built): every example strategy passes with its metadata, params and
//! imports; every kind of bad file fails with a non-zero exit and exactly one line on stderr
//! saying why; a file over `[sandbox] max_wasm_mib` is refused from its size, by `check` and
//! `backtest` alike. A project made by `sandtrade new` and built by `sandtrade build` passes,
//! in each language.

#[path = "../support/built.rs"]
mod built;
#[path = "../support/mod.rs"]
mod support;

// The compile cache `check` (and every compiling command) uses.
mod compile_cache;
// The author's loop: `sandtrade new`, `build`, then `check`, in each language.
mod new_project;
// Hostile Python and TypeScript strategies try files, sockets, clocks and the environment.
mod snoops;

use std::path::Path;
use std::process::Output;

use sandtrade_runtime::compile_file;
use sandtrade_tests::guests::{self, STRATEGY_IMPORTS};
use sandtrade_tests::paper::live_runtime;
use sha2::{Digest, Sha256};
use support::sandtrade;

fn check(cache: &Path, file: &Path) -> Output {
    check_with(cache, file, &[])
}

/// `sandtrade check FILE` with more arguments (`--config FILE`).
fn check_with(cache: &Path, file: &Path, extra: &[&std::ffi::OsStr]) -> Output {
    sandtrade()
        .arg("--cache-dir")
        .arg(cache)
        .arg("check")
        .arg(file)
        .args(extra)
        .output()
        .expect("the binary runs")
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8 output")
}

/// The report with its timing replaced by `<time>`: `compiled in  <time>` or `loaded from the
/// compile cache in <time>`.
fn without_timing(report: &str) -> String {
    report
        .lines()
        .map(|line| {
            for prefix in ["  compiled in  ", "  loaded from the compile cache in "] {
                if line.starts_with(prefix) {
                    return format!("{prefix}<time>");
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// The report `check` prints for example `package`, with its timing line as `timing`.
fn expected_report(package: &str, symbols: &str, params: &str, timing: &str) -> String {
    let wasm = guests::wasm(package);
    let bytes = std::fs::read(&wasm).expect("built");
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sidecar = guests::sidecar(package).expect("examples ship a sidecar");
    let mut want = format!(
        "ok: {} is a valid Sandtrade strategy\n\
         \x20 name         {package}\n\
         \x20 version      0.1.0\n\
         \x20 symbols      {symbols}\n\
         \x20 bar size     60 s\n\
         \x20 interface    sandtrade:strategy@0.2.0\n\
         \x20 size         {} bytes\n\
         \x20 sha256       {sha}\n\
         {timing}\n\
         \x20 params       {params} ({})\n\
         \x20 imports      (all granted)\n",
        wasm.display(),
        bytes.len(),
        sidecar.display()
    );
    for import in STRATEGY_IMPORTS {
        want.push_str(&format!("    {import}\n"));
    }
    want
}

#[test]
fn each_example_passes_with_its_metadata_params_and_imports() {
    let cache = tempfile::tempdir().expect("tempdir");
    let examples = [
        (
            "ma-crossover",
            "AAPL (AAPL SMART USD), MSFT (MSFT SMART USD)",
            "fast=10 quantity=100 slow=30",
        ),
        (
            "hk-breakout",
            "0700.HK (700 SEHK HKD)",
            "entry_window=20 exit_window=10 lot=100 lots=2",
        ),
        (
            "scale-in-out",
            "AAPL (AAPL SMART USD)",
            "max_steps=4 overbought=70 oversold=30 period=14 step=25",
        ),
    ];
    for (package, symbols, params) in examples {
        let wasm = guests::wasm(package);
        // First with an empty cache: compiled; then from the cache.
        for timing in [
            "  compiled in  <time>",
            "  loaded from the compile cache in <time>",
        ] {
            let out = check(cache.path(), &wasm);
            assert_eq!(text(&out.stderr), "", "{package}");
            assert_eq!(out.status.code(), Some(0), "{package}");
            assert_eq!(
                without_timing(&text(&out.stdout)),
                expected_report(package, symbols, params, timing),
                "{package}"
            );
        }
    }
}

/// `check` fails with exit code 1, nothing on stdout, and `error: <why>` on stderr.
fn assert_refused(cache: &Path, file: &Path, why: &str) {
    let out = check(cache, file);
    assert_eq!(out.status.code(), Some(1), "{}", file.display());
    assert_eq!(text(&out.stdout), "", "{}", file.display());
    assert_eq!(text(&out.stderr), format!("error: {why}\n"));
}

#[test]
fn each_bad_file_fails_with_the_exact_reason() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let ma = std::fs::read(guests::wasm("ma-crossover")).expect("built");
    let cwasm = live_runtime()
        .engine()
        .precompile_component(&ma)
        .expect("compiles");
    let made: [(&str, &[u8]); 5] = [
        ("random.wasm", b"\x13\x37 definitely not wasm"),
        ("core.wasm", b"\0asm\x01\0\0\0"),
        ("truncated.wasm", &ma[..ma.len() / 2]),
        ("empty.wasm", b""),
        ("precompiled.wasm", &cwasm),
    ];
    let mut files: Vec<std::path::PathBuf> = made
        .iter()
        .map(|(name, bytes)| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).expect("writable");
            path
        })
        .collect();
    for guest in ["fs-snoop", "net-snoop", "clock-snoop", "other-world"] {
        files.push(guests::wasm(guest));
    }
    // The library's reasons, each checked word for word in `isolation.rs`.
    for file in &files {
        let why = compile_file(live_runtime(), None, file)
            .expect_err("not a strategy")
            .to_string();
        assert_refused(cache.path(), file, &why);
    }
    // Spot checks of the text itself.
    let snoop = guests::wasm("fs-snoop");
    let out = check(cache.path(), &snoop);
    assert!(
        text(&out.stderr).starts_with(&format!(
            "error: {}: refused by the sandbox: imports `wasi:clocks/wall-clock@0.2.6`, which is \
             not granted",
            snoop.display()
        )),
        "{}",
        text(&out.stderr)
    );
    let empty = dir.path().join("empty.wasm");
    assert_refused(
        cache.path(),
        &empty,
        &format!(
            "{}: the file is empty; a strategy is the `.wasm` that `cargo build --target \
             wasm32-wasip2 --release` writes",
            empty.display()
        ),
    );
}

#[test]
fn a_missing_file_fails_with_the_os_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.wasm");
    assert_refused(
        dir.path(),
        &missing,
        &format!(
            "{}: cannot read: No such file or directory (os error 2)",
            missing.display()
        ),
    );
}

/// `check` runs `init` with the sidecar's params: the hostile guest, shipped without one,
/// refuses to start, and `check` says so; with a sidecar that names a mode, it passes.
#[test]
fn init_runs_with_the_sidecar_params() {
    let cache = tempfile::tempdir().expect("tempdir");
    let hostile = guests::wasm("hostile");
    assert_refused(
        cache.path(),
        &hostile,
        &format!(
            "{}: init refused its parameters: param `mode`: missing",
            hostile.display()
        ),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("hostile.wasm");
    std::fs::copy(&hostile, &copy).expect("copy");
    std::fs::write(
        dir.path().join("hostile.toml"),
        "[params]\nmode = \"spin\"\nat = 3\n",
    )
    .expect("writable");
    let out = check(cache.path(), &copy);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    let report = text(&out.stdout);
    let params = format!(
        "  params       at=3 mode=spin ({})",
        dir.path().join("hostile.toml").display()
    );
    assert!(report.lines().any(|l| l == params), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l == "  symbols      AAPL (AAPL SMART USD), 0700.HK (700 SEHK HKD)"),
        "{report}"
    );
}

/// A file of `len` bytes that starts like a component, the rest zeros (sparse: nothing is
/// written but the header), so that only its size can be why it is refused.
fn component_of(dir: &Path, len: u64) -> std::path::PathBuf {
    let path = dir.join(format!("{len}.wasm"));
    std::fs::write(&path, b"\0asm\x0d\0\x01\0").expect("writable");
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|file| file.set_len(len))
        .expect("writable");
    path
}

/// The refusal of a file of `bytes` over a limit of `limit_mib`.
fn too_large(file: &Path, bytes: &str, limit_mib: u32) -> String {
    format!(
        "{}: {bytes}, more than the {limit_mib} MiB a strategy may have (`max_wasm_mib` in \
         `[sandbox]`); it is refused before it is compiled",
        file.display()
    )
}

#[test]
fn a_file_over_the_default_48_mib_is_refused_before_it_is_compiled() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let over = component_of(dir.path(), (48 << 20) + 1);
    assert_refused(
        cache.path(),
        &over,
        &too_large(&over, "50331649 bytes (48.0 MiB)", 48),
    );
    // At the limit it is compiled, and wasmtime finds the zeros invalid.
    let at = component_of(dir.path(), 48 << 20);
    let out = check(cache.path(), &at);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    let compiled = format!("error: {}: invalid component: ", at.display());
    assert!(stderr.starts_with(&compiled), "{stderr}");
}

/// `[sandbox] max_wasm_mib` of a config file sets the limit of `check --config` and of
/// `backtest --config`, as it does the host's.
#[test]
fn max_wasm_mib_of_the_config_sets_the_limit() {
    let cache = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("sandtrade.toml");
    std::fs::write(&config, "[sandbox]\nmax_wasm_mib = 1\n").expect("writable");
    let with_config = [std::ffi::OsStr::new("--config"), config.as_os_str()];
    let over = component_of(dir.path(), (1 << 20) + 1);
    let why = too_large(&over, "1048577 bytes (1.0 MiB)", 1);

    let out = check_with(cache.path(), &over, &with_config);
    assert_eq!(text(&out.stderr), format!("error: {why}\n"));
    assert_eq!(out.status.code(), Some(1));
    // A strategy of a usual size passes under the same limit.
    let out = check_with(cache.path(), &guests::wasm("ma-crossover"), &with_config);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));

    let out = sandtrade()
        .arg("--cache-dir")
        .arg(cache.path())
        .arg("backtest")
        .arg(&over)
        .arg("--bars")
        .arg(sandtrade_tests::paper::sample_path("us-aapl-msft-1m.csv"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--config")
        .arg(&config)
        .output()
        .expect("the binary runs");
    assert_eq!(text(&out.stderr), format!("error: {why}\n"));
    assert_eq!(out.status.code(), Some(1));

    std::fs::write(&config, "[sandbox]\nmax_wasm_mib = 0\n").expect("writable");
    let out = check_with(cache.path(), &over, &with_config);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("max_wasm_mib = 0: expected 1 to 1024 (MiB)"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(1));
}
