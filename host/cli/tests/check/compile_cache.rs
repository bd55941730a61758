//! The compile cache of the `sandtrade` command (the real binary): a directory it creates is
//! private (mode 0700, its entries 0600); one that another user may write, or owns, is refused
//! with a non-zero exit and one line saying which directory and what is wrong, by every command
//! that compiles; `--no-cache` runs without it, and commands that compile nothing never look.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use crate::support::sandtrade;
use crate::text;
use sandtrade_tests::guests;

/// `sandtrade check` of an example under the cache `cache`, with global flags `extra`.
fn check_cached(cache: &Path, extra: &[&str]) -> Output {
    sandtrade()
        .arg("--cache-dir")
        .arg(cache)
        .args(extra)
        .arg("check")
        .arg(guests::wasm("ma-crossover"))
        .output()
        .expect("the binary runs")
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o7777
}

/// A directory under `parent` with `mode`.
fn with_mode(parent: &Path, mode: u32) -> std::path::PathBuf {
    let dir = parent.join(format!("cache-{mode:o}"));
    std::fs::create_dir(&dir).expect("writable");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).expect("chmod");
    dir
}

/// `out` failed with exit code 1, nothing on stdout and `error: <why>` on stderr, `why` naming
/// the way out.
fn assert_refused(out: &Output, why: &str) {
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {why}; use --cache-dir DIR for another directory, or --no-cache for none\n"
        )
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_new_cache_directory_and_its_entries_are_private() {
    let root = tempfile::tempdir().expect("tempdir");
    let cache = root.path().join("sandtrade").join("wasm");
    let out = check_cached(&cache, &[]);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(mode_of(&root.path().join("sandtrade")), 0o700);
    assert_eq!(mode_of(&cache), 0o700);
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .expect("listable")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(entries.len(), 2, "the code and its digest: {entries:?}");
    for entry in entries {
        assert_eq!(mode_of(&entry), 0o600, "{}", entry.display());
    }
    // The second run loads what the first stored.
    let out = check_cached(&cache, &[]);
    assert!(
        text(&out.stdout).contains("loaded from the compile cache"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_cache_directory_others_may_write_is_refused() {
    let root = tempfile::tempdir().expect("tempdir");
    for (mode, who) in [(0o777, "its group and by others"), (0o770, "its group")] {
        let cache = with_mode(root.path(), mode);
        let why = format!(
            "the compile cache directory {0} is writable by {who} (mode {mode:04o}); the host \
             runs the code it finds there, so only the user it runs as may write it (`chmod \
             go-w {0}`)",
            cache.display()
        );
        assert_refused(&check_cached(&cache, &[]), &why);
        let backtest = sandtrade()
            .arg("--cache-dir")
            .arg(&cache)
            .arg("backtest")
            .arg(guests::wasm("ma-crossover"))
            .arg("--bars")
            .arg(sandtrade_tests::paper::sample_path("us-aapl-msft-1m.csv"))
            .arg("--out")
            .arg(root.path().join("out"))
            .output()
            .expect("the binary runs");
        assert_refused(&backtest, &why);
        // Nothing was written into it.
        assert_eq!(std::fs::read_dir(&cache).expect("listable").count(), 0);

        // Without a cache the same check passes; a command that compiles nothing never looks.
        let out = check_cached(&cache, &["--no-cache"]);
        assert_eq!(text(&out.stderr), "");
        assert_eq!(out.status.code(), Some(0));
        let out = sandtrade()
            .arg("--cache-dir")
            .arg(&cache)
            .args(["bars", "--symbols", "AAPL", "--count", "1"])
            .output()
            .expect("the binary runs");
        assert_eq!(text(&out.stderr), "");
        assert_eq!(out.status.code(), Some(0));
    }
}

/// Only root can give a directory to another user, so the test runs as root (as CI does) and
/// says so otherwise; the library's own tests cover the rule without privileges.
#[test]
fn a_cache_directory_of_another_user_is_refused() {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let user = unsafe { libc::geteuid() };
    if user != 0 {
        eprintln!("not root: cannot give a directory to another user; skipped");
        return;
    }
    let root = tempfile::tempdir().expect("tempdir");
    let cache = with_mode(root.path(), 0o700);
    std::os::unix::fs::chown(&cache, Some(65534), None).expect("chown as root");
    assert_refused(
        &check_cached(&cache, &[]),
        &format!(
            "the compile cache directory {} belongs to uid 65534, not to uid 0 that the host runs \
             as; the host runs the code it finds there, so it must be that user's own",
            cache.display()
        ),
    );
}
