//! 1,000 strategies loaded at once: instantiation time and resident memory per strategy, the
//! time to load a directory of 1,000 strategy files with a cold and with a warm compile cache,
//! and one bar delivered to all of them.
//!
//! `cargo bench -p sandtrade-tests --bench fleet`
//!
//! Every measurement runs in a fresh child process (this binary, re-run with `child ...`), so
//! that resident memory starts from the same place and a "warm cache" load is what a restarted
//! host does: a new process finding the compiled code on disk.
//!
//! - `instantiate`: `PreparedStrategy::instantiate` 1,000 times (one `Store` each, kept alive),
//!   each timed, then `describe` + `init` and one `on-bar` on each; resident memory (`VmRSS`,
//!   split into anonymous and file-backed) before and after. For `empty` and `ma-crossover`.
//! - `load`: 1,000 distinct strategy files (copies of `empty.wasm`, each with its own custom
//!   section so each has its own hash and is compiled and cached on its own, as 1,000 different
//!   builds would be) in one directory, loaded the way the host loads its strategies directory:
//!   `StrategyDir::scan` (read, hash, compile or map from the cache, check) then
//!   `Fleet::apply` (link, instantiate, describe, init, subscribe). Cold: an empty cache
//!   directory. Warm: the cache the cold run filled.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bench_kit::child::{ChildRun, run_child, samples_of};
use bench_kit::{Rss, Samples, Table, Target, micros, minor_faults, thread_cpu_time};
use sandtrade_core::normalize;
use sandtrade_runtime::{CompileCache, CpuBudget, Fleet, StrategyDir};
use sandtrade_tests::guests;
use support::AcceptAll;

/// Strategies loaded at once (`BENCH_STRATEGIES` overrides it, e.g. for a quick look).
const STRATEGIES: usize = 1_000;
/// Child runs of each `instantiate` measurement.
const INSTANTIATE_RUNS: usize = 5;
/// Child runs of each `load` measurement (a cold one compiles every file: ~40 s here).
const LOAD_RUNS: usize = 3;
/// Bars delivered to the whole fleet after loading, each timed.
const FLEET_BARS: usize = 21;

const TARGET_INSTANTIATE_US: f64 = 10.0;
const TARGET_RSS_KIB: f64 = 128.0;

fn strategies() -> usize {
    std::env::var("BENCH_STRATEGIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(STRATEGIES)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        return child(&args[1..]);
    }
    let n = strategies();
    support::header(
        &format!("{n} strategies loaded at once"),
        "cargo bench -p sandtrade-tests --bench fleet",
    );
    instantiate_tables(n);
    load_tables(n);
}

/// The figures one child process printed, by key.
type Run = ChildRun;

/// Rows of `(label, the runs, the key of their figure)`, judged against the table's target.
fn add_rows(table: &mut Table, rows: &[(&str, &[Run], &str)]) {
    for &(label, runs, key) in rows {
        table.row(label, &samples_of(runs, key));
    }
}

fn instantiate_tables(n: usize) {
    for guest in ["empty", "ma-crossover"] {
        let wasm = guests::wasm(guest);
        let wasm = wasm.to_str().expect("a UTF-8 path");
        let runs: Vec<_> = (0..INSTANTIATE_RUNS)
            .map(|_| run_child(&["instantiate", guest, wasm]))
            .collect();
        let mut table = Table::new(
            format!(
                "{n} live instances of {guest} (one Store each): per strategy, median of \
                 {INSTANTIATE_RUNS} processes"
            ),
            "µs",
            Target::None,
        );
        table.row_with_target(
            "instantiate (median of the process's instances)",
            &samples_of(&runs, "instantiate_median_us"),
            Target::AtMost(TARGET_INSTANTIATE_US),
        );
        table.row_with_target(
            "instantiate (mean: all instances / n)",
            &samples_of(&runs, "instantiate_mean_us"),
            Target::AtMost(TARGET_INSTANTIATE_US),
        );
        table.row_with_target(
            "instantiate (mean, thread CPU time)",
            &samples_of(&runs, "instantiate_cpu_mean_us"),
            Target::AtMost(TARGET_INSTANTIATE_US),
        );
        table.row(
            "describe + init",
            &samples_of(&runs, "describe_init_median_us"),
        );
        table.row("first on-bar", &samples_of(&runs, "first_bar_median_us"));
        table.row(
            format!("later on-bars, all {n} in turn (thread CPU, median of {FLEET_BARS} rounds)"),
            &samples_of(&runs, "steady_bar_us"),
        );
        table.row_with_target(
            "re-instantiate into a freed slot (a restart; median of 100)",
            &samples_of(&runs, "reinstantiate_median_us"),
            Target::AtMost(TARGET_INSTANTIATE_US),
        );
        table.print();
        let mut faults = Table::new(
            format!("page faults per instantiation of {guest} (minor faults, this process)"),
            "faults",
            Target::None,
        );
        let first = faults.row(
            "the first in a pool slot",
            &samples_of(&runs, "faults_per_instantiate"),
        );
        let restart = faults.row(
            "a restart into a freed slot",
            &samples_of(&runs, "faults_per_reinstantiate"),
        );
        faults.print();
        let first_us = samples_of(&runs, "instantiate_median_us").median();
        if first_us > TARGET_INSTANTIATE_US {
            println!(
                "what limits it: a pool slot's first use. It takes {first:.1} page faults against \
                 {restart:.1} for a restart into a freed slot ({:.1} µs), and wasmtime makes the \
                 slot's memory accessible (mprotect) and maps the build's memory image over it \
                 (mmap) once per slot and build\n",
                samples_of(&runs, "reinstantiate_median_us").median()
            );
        }
        let mut rss = Table::new(
            format!("resident memory of {n} live instances of {guest}, per strategy"),
            "KiB",
            Target::AtMost(TARGET_RSS_KIB),
        );
        rss_rows(&mut rss, &runs, "  of which file-backed (RssFile)");
        rss.print();
    }
}

fn load_tables(n: usize) {
    let data = support_dir().join(format!("fleet-{n}"));
    let strategies = data.join("strategies");
    write_strategies(&strategies, &guests::wasm("empty"), n);
    let strategies = strategies.to_str().expect("a UTF-8 path").to_owned();
    let mut cold_runs = Vec::new();
    let mut warm_runs = Vec::new();
    for run in 0..LOAD_RUNS {
        let cache = data.join(format!("cache-{run}"));
        if cache.exists() {
            std::fs::remove_dir_all(&cache).expect("clear the cache");
        }
        let cache = cache.to_str().expect("a UTF-8 path").to_owned();
        cold_runs.push(run_child(&["load", &cache, &strategies]));
        warm_runs.push(run_child(&["load", &cache, &strategies]));
        // ~150 KB of compiled code per strategy: not worth keeping after the run.
        std::fs::remove_dir_all(&cache).expect("remove the cache");
    }
    let mut table = Table::new(
        format!(
            "load a directory of {n} distinct strategy files (StrategyDir::scan + Fleet::apply): \
             median of {LOAD_RUNS} processes each"
        ),
        "s",
        Target::None,
    );
    let (cold, warm) = (&cold_runs[..], &warm_runs[..]);
    add_rows(
        &mut table,
        &[
            ("cold compile cache: total", cold, "total_s"),
            ("  of which scan (read, hash, compile)", cold, "scan_s"),
            ("  of which apply (link, start, subscribe)", cold, "apply_s"),
            ("warm compile cache: total", warm, "total_s"),
            (
                "  of which scan (read, hash, load from the cache)",
                warm,
                "scan_s",
            ),
            ("  of which apply (link, start, subscribe)", warm, "apply_s"),
        ],
    );
    table.print();
    let mut per = Table::new(
        format!("the same, per strategy ({n} loaded)"),
        "µs",
        Target::None,
    );
    add_rows(
        &mut per,
        &[
            ("cold: load one", cold, "per_strategy_us"),
            ("warm: load one", warm, "per_strategy_us"),
            ("warm: code from the cache (mean)", warm, "cached_us"),
            ("cold: compile one (mean)", cold, "compile_us"),
        ],
    );
    per.print();
    let mut rss = Table::new(
        format!("after loading {n} strategies from files (warm cache), per strategy"),
        "KiB",
        Target::AtMost(TARGET_RSS_KIB),
    );
    rss_rows(&mut rss, &warm_runs, "  of which file-backed (RssFile)");
    let code = rss.row_with_target(
        "each build's compiled code (its cache entry's size), for comparison",
        &samples_of(&warm_runs, "code_kib_per"),
        Target::None,
    );
    rss.print();
    let per_build = samples_of(&warm_runs, "rss_kib_per").median();
    if per_build > TARGET_RSS_KIB {
        println!(
            "what limits it: each build's compiled code, {code:.1} KiB, which the compile cache \
             loads into memory; it alone is above the target. The rest, {:.1} KiB, is the \
             build's metadata and its running instance\n",
            per_build - code
        );
    }
    let mut bar = Table::new(
        format!(
            "one bar delivered to all {n} (Fleet::on_bar), thread CPU time, median of \
             {FLEET_BARS} bars"
        ),
        "µs",
        Target::None,
    );
    bar.row(
        "whole fleet, one bar",
        &samples_of(&warm_runs, "fleet_bar_us"),
    );
    bar.row(
        "per strategy",
        &samples_of(&warm_runs, "fleet_bar_per_strategy_us"),
    );
    bar.print();
}

fn support_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| xtask::workspace_root().join("target"))
        .join("bench-data")
}

/// `n` copies of `wasm` in `dir` as `s0000.wasm`..., each with a custom section naming its
/// copy, so each has its own hash (the code is the same). Rewritten when `wasm` changed.
fn write_strategies(dir: &Path, wasm: &Path, n: usize) {
    let bytes = std::fs::read(wasm).expect("read the guest");
    let marker = dir.join("source.sha256");
    let source = sha256_hex(&bytes);
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(source.as_str()) {
        return;
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).expect("clear the strategies dir");
    }
    std::fs::create_dir_all(dir).expect("create the strategies dir");
    for i in 0..n {
        let copy = with_custom_section(&bytes, "sandtrade-bench-copy", i.to_string().as_bytes());
        std::fs::write(dir.join(format!("s{i:04}.wasm")), copy).expect("write a strategy");
    }
    std::fs::write(&marker, source).expect("write the marker");
}

fn sha256_hex(bytes: &[u8]) -> String {
    // Not a security boundary: only tells whether the guest changed since the copies were made.
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    format!("{:016x}-{}", hasher.finish(), bytes.len())
}

/// `component` with a custom section (id 0) appended: valid anywhere between sections.
fn with_custom_section(component: &[u8], name: &str, payload: &[u8]) -> Vec<u8> {
    let mut content = leb128(name.len());
    content.extend_from_slice(name.as_bytes());
    content.extend_from_slice(payload);
    let mut out = component.to_vec();
    out.push(0);
    out.extend(leb128(content.len()));
    out.extend(content);
    out
}

fn leb128(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

// ---- children ----

fn child(args: &[String]) {
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["instantiate", guest, wasm] => child_instantiate(guest, Path::new(wasm)),
        ["load", cache, dir] => child_load(Path::new(cache), Path::new(dir)),
        _ => panic!("unknown child command {args:?}"),
    }
}

/// The bytes of the compiled entries (`.cwasm`) in a compile cache directory.
fn cwasm_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("the cache dir lists")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "cwasm"))
        .map(|path| std::fs::metadata(path).expect("its size").len())
        .sum()
}

fn faults() -> u64 {
    minor_faults().expect("/proc/self/stat is readable")
}

fn rss_now() -> Rss {
    Rss::now().expect("/proc/self/status has VmRSS, RssAnon and RssFile")
}

fn print_rss_per(before: Rss, after: Rss, n: usize) {
    let per = |a: u64, b: u64| (b as f64 - a as f64) / n as f64;
    println!("rss_kib_per={}", per(before.total_kib, after.total_kib));
    println!("anon_kib_per={}", per(before.anon_kib, after.anon_kib));
    println!("file_kib_per={}", per(before.file_kib, after.file_kib));
    println!("shmem_kib_per={}", per(before.shmem_kib, after.shmem_kib));
}

/// The rows of a resident-memory table: the total, then its three parts.
fn rss_rows(table: &mut Table, runs: &[BTreeMap<String, f64>], file_part: &str) {
    table.row("VmRSS growth / n", &samples_of(runs, "rss_kib_per"));
    for (label, key) in [
        (
            "  of which anonymous (RssAnon: heap, written wasm memory)",
            "anon_kib_per",
        ),
        (file_part, "file_kib_per"),
        (
            "  of which shared memory (RssShmem: memory images)",
            "shmem_kib_per",
        ),
    ] {
        table.row_with_target(label, &samples_of(runs, key), Target::None);
    }
}

fn params_of(guest: &str) -> Vec<(&'static str, &'static str)> {
    match guest {
        "ma-crossover" => vec![("fast", "10"), ("slow", "30"), ("quantity", "100")],
        _ => Vec::new(),
    }
}

fn child_instantiate(guest: &str, wasm: &Path) {
    let n = strategies();
    let runtime = support::runtime(CpuBudget::Deadline);
    let prepared = support::prepare(&runtime, wasm);
    let params: Vec<(String, String)> = params_of(guest)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    // One instance made and dropped first: lazy one-time work (trampolines, the pool's first
    // slot) is not any strategy's cost.
    drop(support::start(&runtime, &prepared, &params_of(guest)));
    let before = rss_now();

    let mut instantiate = Samples::new();
    let mut instances = Vec::with_capacity(n);
    let faults_before = faults();
    let all_started = Instant::now();
    let cpu_started = thread_cpu_time();
    for i in 0..n {
        let started = Instant::now();
        let instance = prepared
            .instantiate(&runtime, format!("s{i:04}").into(), AcceptAll::default())
            .unwrap_or_else(|failed| panic!("instantiate: {}", failed.error));
        instantiate.push(micros(started.elapsed()));
        instances.push(instance);
    }
    let all = all_started.elapsed();
    let all_cpu = thread_cpu_time() - cpu_started;
    let first_faults = faults() - faults_before;
    let mut describe_init = Samples::new();
    for instance in &mut instances {
        let started = Instant::now();
        instance.describe().expect("describes");
        instance
            .init(&params)
            .expect("no fault")
            .expect("accepts its params");
        describe_init.push(micros(started.elapsed()));
    }
    let mut first_bar = Samples::new();
    let mut bar = support::guest_bar("AAPL", support::START_MS, 185.0);
    for instance in &mut instances {
        let started = Instant::now();
        instance.on_bar(&bar).expect("a benign call");
        first_bar.push(micros(started.elapsed()));
    }
    let after = rss_now();
    // Then bars to every instance in turn, as a fleet delivers them: the steady cost of a call
    // when 1,000 stores take turns (their data no longer in the CPU caches).
    let mut steady = Samples::new();
    for _ in 0..FLEET_BARS {
        bar.start_ms += 60_000;
        bar.close += 0.01;
        let started = thread_cpu_time();
        for instance in &mut instances {
            instance.on_bar(&bar).expect("a benign call");
        }
        steady.push(micros(thread_cpu_time() - started) / n as f64);
    }
    // A restart: a strategy's store dropped and made again, into the pool slot it freed.
    let restarts = n.min(100);
    let mut again = Samples::new();
    let mut again_faults = 0;
    for i in 0..restarts {
        drop(instances.swap_remove(i));
        let faults_before = faults();
        let started = Instant::now();
        let instance = prepared
            .instantiate(&runtime, format!("r{i:04}").into(), AcceptAll::default())
            .unwrap_or_else(|failed| panic!("instantiate: {}", failed.error));
        again.push(micros(started.elapsed()));
        again_faults += faults() - faults_before;
        instances.push(instance);
    }
    println!("faults_per_instantiate={}", first_faults as f64 / n as f64);
    println!(
        "faults_per_reinstantiate={}",
        again_faults as f64 / restarts as f64
    );
    println!("steady_bar_us={}", steady.median());
    println!("reinstantiate_median_us={}", again.median());
    println!("instantiate_median_us={}", instantiate.median());
    println!("instantiate_mean_us={}", micros(all) / n as f64);
    println!("instantiate_cpu_mean_us={}", micros(all_cpu) / n as f64);
    println!("describe_init_median_us={}", describe_init.median());
    println!("first_bar_median_us={}", first_bar.median());
    print_rss_per(before, after, n);
}

fn child_load(cache_dir: &Path, dir: &Path) {
    let n = strategies();
    let runtime = support::runtime(CpuBudget::Deadline);
    let mut fleet =
        Fleet::new(runtime.clone(), Box::new(|_| AcceptAll::default())).expect("the fleet");
    let cache = CompileCache::new(cache_dir).expect("the cache dir");
    let mut strategies = StrategyDir::new(dir, runtime, Some(cache));
    let before = rss_now();

    let started = Instant::now();
    let changes = strategies.scan().expect("the dir lists");
    let scanned = started.elapsed();
    assert_eq!(changes.len(), n, "one change per file");
    let (mut compile, mut cached) = (Duration::ZERO, Duration::ZERO);
    for change in &changes {
        match change {
            sandtrade_runtime::DirChange::Upsert { compiled, .. } => match compiled.origin {
                sandtrade_runtime::compile::CodeOrigin::Compiled(d) => compile += d,
                sandtrade_runtime::compile::CodeOrigin::Cached(d) => cached += d,
            },
            other => panic!("not loaded: {other:?}"),
        }
    }
    for change in changes {
        fleet.apply(change);
    }
    let total = started.elapsed();
    assert!(fleet.load_errors().is_empty(), "{:?}", fleet.load_errors());
    assert_eq!(fleet.names().count(), n);

    let instrument = normalize("AAPL").expect("a US ticker");
    let mut bar_us = Samples::new();
    for i in 0..FLEET_BARS {
        let start_ms = support::START_MS + i as i64 * 60_000;
        let event = support::bar_event(&instrument, start_ms, 185.0 + i as f64 * 0.01);
        let started = thread_cpu_time();
        fleet.on_bar(&event, start_ms);
        bar_us.push(micros(thread_cpu_time() - started));
    }
    let after = rss_now();
    let running = fleet
        .status()
        .iter()
        .filter(|s| s.state == "running")
        .count();
    assert_eq!(running, n, "every strategy runs");
    let compiled = |d: Duration| micros(d) / n as f64;
    println!("total_s={}", total.as_secs_f64());
    println!("scan_s={}", scanned.as_secs_f64());
    println!("apply_s={}", (total - scanned).as_secs_f64());
    println!("per_strategy_us={}", micros(total) / n as f64);
    println!("compile_us={}", compiled(compile));
    println!("cached_us={}", compiled(cached));
    println!("fleet_bar_us={}", bar_us.median());
    println!("fleet_bar_per_strategy_us={}", bar_us.median() / n as f64);
    print_rss_per(before, after, n);
    println!(
        "code_kib_per={}",
        cwasm_bytes(cache_dir) as f64 / 1024.0 / n as f64
    );
    // The fleet lives until its memory was read.
    drop(fleet);
}
