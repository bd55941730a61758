//! The author's loop from nothing, in each language: `sandtrade new NAME --lang L`, then
//! `sandtrade build NAME`, then `sandtrade check NAME/<stem>.wasm` accepts it, with the
//! sidecar's parameters given to `init`.

use std::path::Path;

use crate::support::sandtrade;
use crate::text;

/// Runs `sandtrade` with `args` in `dir`; its stdout, after asserting it succeeded.
fn run_in(dir: &Path, args: &[&str]) -> String {
    let out = sandtrade()
        .current_dir(dir)
        .args(args)
        // A Rust project builds in a target directory of its own, kept between local runs.
        .env(
            "CARGO_TARGET_DIR",
            xtask::workspace_root().join("target/test-new-project"),
        )
        .output()
        .expect("the binary runs");
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "sandtrade {args:?}\n{stdout}{}",
        text(&out.stderr)
    );
    stdout
}

#[test]
fn a_new_project_in_each_language_builds_into_a_strategy_check_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = xtask::workspace_root().join("target/test-compile-cache/cli");
    let cache = cache.to_str().expect("UTF-8 path");
    for (lang, language, profile) in [
        ("python", "Python", "inert"),
        ("ts", "TypeScript", "inert"),
        ("rust", "Rust", "strict"),
    ] {
        let name = format!("sma-{lang}");
        let stem = name.replace('-', "_");
        let created = run_in(dir.path(), &["new", &name, "--lang", lang]);
        assert!(
            created.starts_with(&format!("created the {language} strategy project {name} (")),
            "{created}"
        );
        let built = run_in(dir.path(), &["build", &name]);
        assert!(
            built.starts_with(&format!("built {name}/{stem}.wasm ({language} strategy, "))
                && built.contains(&format!("WASI profile {profile})")),
            "{built}"
        );
        let wasm = format!("{name}/{stem}.wasm");
        let report = run_in(dir.path(), &["--cache-dir", cache, "check", &wasm]);
        for line in [
            format!("ok: {wasm} is a valid Sandtrade strategy"),
            format!("  name         {name}"),
            "  symbols      AAPL (AAPL SMART USD)".to_owned(),
            format!("  params       period=20 quantity=10 ({name}/{stem}.toml)"),
        ] {
            assert!(report.lines().any(|l| l == line), "{line:?} in\n{report}");
        }
    }
}
