//! The on-disk compile cache: a second load takes the cached code instead of compiling, a
//! corrupted entry is compiled again and replaced, and engines whose code differs (fuel vs
//! epoch interruption) never share an entry.

use std::path::{Path, PathBuf};

use sandtrade_runtime::compile::CodeOrigin;
use sandtrade_runtime::{CompileCache, CompiledStrategy, Runtime, compile_file};
use sandtrade_tests::guests;
use sandtrade_tests::paper::{aapl_bar, live_runtime, replay_runtime, start_compiled};

fn load(runtime: &Runtime, cache: &CompileCache, wasm: &Path) -> CompiledStrategy {
    compile_file(runtime, Some(cache), wasm).expect("a valid strategy")
}

fn is_cached(compiled: &CompiledStrategy) -> bool {
    matches!(compiled.origin, CodeOrigin::Cached(_))
}

/// The component starts and answers a bar: cached code is real code.
fn runs(runtime: &Runtime, compiled: CompiledStrategy) {
    let stats = start_compiled(runtime, compiled, &[])
        .on_bar(&aapl_bar())
        .expect("a quiet bar");
    assert_eq!((stats.emits, stats.rejections), (0, 0));
}

/// The files in `dir`, sorted.
/// The compiled entries (`.cwasm`) in the cache directory; each must have its digest beside it.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    entries.sort();
    for entry in &entries {
        let digest = PathBuf::from(format!("{}.sha256", entry.display()));
        assert!(digest.is_file(), "{} has no digest", entry.display());
    }
    entries
}

#[test]
fn the_second_load_comes_from_the_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = CompileCache::new(dir.path()).expect("cache dir");
    let runtime = live_runtime();
    let wasm = guests::wasm("ma-crossover");

    let first = load(runtime, &cache, &wasm);
    assert!(!is_cached(&first), "{:?}", first.origin);
    let entry = cache.entry_path(runtime.engine(), &first.wasm_sha256);
    assert!(entry.starts_with(dir.path()));
    let name = entry
        .file_name()
        .expect("a file")
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with(&first.wasm_sha256) && name.ends_with(".cwasm"),
        "{name}"
    );
    assert_eq!(
        entries(dir.path()),
        std::slice::from_ref(&entry),
        "one entry, no temporary left behind"
    );

    let second = load(runtime, &cache, &wasm);
    assert!(is_cached(&second), "{:?}", second.origin);
    assert_eq!(second.wasm_sha256, first.wasm_sha256);
    assert_eq!(second.imports, first.imports);
    runs(runtime, second);
}

#[test]
fn a_corrupted_entry_is_compiled_again_and_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = CompileCache::new(dir.path()).expect("cache dir");
    let runtime = live_runtime();
    let wasm = guests::wasm("ma-crossover");
    let compiled = load(runtime, &cache, &wasm);
    let entry = cache.entry_path(runtime.engine(), &compiled.wasm_sha256);
    let good = std::fs::read(&entry).expect("written");

    // Flipped bytes inside the code pass wasmtime's own checks (ELF structure, version,
    // engine settings); only the digest kept beside the entry catches them.
    let mut flipped = good.clone();
    let step = flipped.len() / 8;
    for at in (4096..flipped.len()).step_by(step) {
        flipped[at] ^= 0xff;
    }
    let corruptions: [(&str, Vec<u8>); 5] = [
        ("garbage", b"not compiled code at all".to_vec()),
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("no header", good[64..].to_vec()),
        ("flipped bytes", flipped),
    ];
    for (what, bytes) in corruptions {
        std::fs::write(&entry, &bytes).expect("writable");
        let again = load(runtime, &cache, &wasm);
        assert!(!is_cached(&again), "{what}: {:?}", again.origin);
        assert_eq!(
            std::fs::read(&entry).expect("rewritten"),
            good,
            "{what}: the entry is replaced by the same code"
        );
        let cached = load(runtime, &cache, &wasm);
        assert!(is_cached(&cached), "{what}: {:?}", cached.origin);
        runs(runtime, cached);
    }
}

#[test]
fn fuel_and_epoch_engines_do_not_share_entries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = CompileCache::new(dir.path()).expect("cache dir");
    let wasm = guests::wasm("ma-crossover");
    let (live, replay) = (live_runtime(), replay_runtime());

    let epoch = load(live, &cache, &wasm);
    assert!(!is_cached(&epoch));
    // The fuel engine does not take the epoch engine's code: it compiles its own.
    let fuel = load(replay, &cache, &wasm);
    assert!(!is_cached(&fuel), "{:?}", fuel.origin);
    let epoch_entry = cache.entry_path(live.engine(), &epoch.wasm_sha256);
    let fuel_entry = cache.entry_path(replay.engine(), &fuel.wasm_sha256);
    assert_ne!(epoch_entry, fuel_entry);
    let mut want = vec![epoch_entry.clone(), fuel_entry.clone()];
    want.sort();
    assert_eq!(entries(dir.path()), want);
    assert_ne!(
        std::fs::read(&epoch_entry).expect("written"),
        std::fs::read(&fuel_entry).expect("written"),
        "the code differs"
    );

    // From now on each engine loads its own entry, and both run.
    let epoch = load(live, &cache, &wasm);
    let fuel = load(replay, &cache, &wasm);
    assert!(is_cached(&epoch) && is_cached(&fuel));
    runs(live, epoch);
    runs(replay, fuel);
}
