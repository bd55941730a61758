//! The `sandtrade` binary, for tests of the command line.
//!
//! `env!("CARGO_BIN_EXE_sandtrade")` exists only in the `sandtrade` package's own tests, and a
//! path guessed from the target dir may be missing or stale (`cargo test -p sandtrade-tests`
//! does not build another package's binary). So the first call in a process asks cargo itself
//! to build it, with [`escargot`]: `cargo build -p sandtrade --bin sandtrade` in the same
//! workspace, target dir and profile (debug or release) as the running test, reading the
//! binary's path from cargo's JSON messages. Cargo decides what is stale; when nothing is,
//! this takes well under a second. No `--target` is passed, so the build shares the test
//! build's artifacts instead of starting a second target tree.
//!
//! ```no_run
//! let out = sandtrade_tests::cli::sandtrade()
//!     .arg("check")
//!     .arg(sandtrade_tests::guests::wasm("ma-crossover"))
//!     .output()
//!     .expect("runs");
//! assert!(out.status.success());
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The path of the `sandtrade` binary, built on the first call in this process.
///
/// Panics, with cargo's error, if the build fails: it is meant for tests.
pub fn sandtrade_path() -> &'static Path {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let manifest = xtask::workspace_root().join("Cargo.toml");
        escargot::CargoBuild::new()
            .manifest_path(&manifest)
            .package("sandtrade")
            .bin("sandtrade")
            .current_release()
            .run()
            .map(|run| run.path().to_path_buf())
            .map_err(|e| e.to_string())
    });
    match built {
        Ok(path) => path,
        Err(e) => panic!("building the sandtrade binary failed: {e}"),
    }
}

/// A command running the `sandtrade` binary, with a log filter that shows warnings only
/// (whatever `RUST_LOG` the test runs with) so that its stderr is what a user sees.
pub fn sandtrade() -> Command {
    let mut command = Command::new(sandtrade_path());
    command.env("RUST_LOG", "warn");
    command
}
