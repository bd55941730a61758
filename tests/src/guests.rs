//! The guest components (example strategies and test guests), built from source on demand.
//!
//! ```no_run
//! let hostile = sandtrade_tests::guests::wasm("hostile");
//! assert!(hostile.ends_with("target/guests/test-guests/hostile.wasm"));
//! let sidecar = sandtrade_tests::guests::sidecar("ma-crossover");
//! assert!(sidecar.unwrap().ends_with("example-strategies/ma_crossover.toml"));
//! ```
//!
//! The first call in a process builds every guest with `cargo xtask guests`'s code
//! ([`xtask::guests::build`]): one `cargo build --target wasm32-wasip2 --profile guest` in its
//! own target dir, `target/guest-build`, under a file lock, so that parallel test binaries
//! build once and the others wait, then collect. Cargo decides what is stale (a guest's
//! source, the SDK, the WIT, `Cargo.lock`); when nothing is, the build takes a fraction of a
//! second. Later calls in the same process reuse the result.
//!
//! The first build on a fresh checkout takes about a minute; on a machine without the
//! `wasm32-wasip2` target it is added with `rustup target add` first.

use std::path::PathBuf;
use std::sync::OnceLock;

use xtask::guests::{self, Built, Layout, Output};

/// What every strategy built with the SDK imports, in the order its component lists them: our
/// two interfaces, `wasi:io` and `wasi:cli` (Rust's standard library for wasip2 asks for them
/// even without any I/O).
pub const STRATEGY_IMPORTS: [&str; 15] = [
    "sandtrade:strategy/types@0.2.0",
    "sandtrade:strategy/host@0.2.0",
    "wasi:io/poll@0.2.6",
    "wasi:io/error@0.2.6",
    "wasi:io/streams@0.2.6",
    "wasi:cli/environment@0.2.6",
    "wasi:cli/exit@0.2.6",
    "wasi:cli/stdin@0.2.6",
    "wasi:cli/stdout@0.2.6",
    "wasi:cli/stderr@0.2.6",
    "wasi:cli/terminal-input@0.2.6",
    "wasi:cli/terminal-output@0.2.6",
    "wasi:cli/terminal-stdin@0.2.6",
    "wasi:cli/terminal-stdout@0.2.6",
    "wasi:cli/terminal-stderr@0.2.6",
];

/// Why a guest component is not available.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    /// Building the guests failed; the error carries cargo's output.
    #[error("building the guest components failed: {0}")]
    Build(&'static guests::Error),
    /// No guest crate has that name.
    #[error("no guest named `{name}`; the guests are: {known}")]
    Unknown {
        /// The name asked for.
        name: String,
        /// The guests there are.
        known: String,
    },
}

/// Every guest, built and collected; built on the first call in this process.
pub fn all() -> Result<&'static [Built], GuestError> {
    static BUILT: OnceLock<Result<Vec<Built>, guests::Error>> = OnceLock::new();
    let built =
        BUILT.get_or_init(|| guests::build(&Layout::new(xtask::workspace_root()), Output::Capture));
    built.as_deref().map_err(GuestError::Build)
}

/// The built guest called `name`: a package name (`ma-crossover`) or a file stem
/// (`ma_crossover`).
pub fn find(name: &str) -> Result<&'static Built, GuestError> {
    let all = all()?;
    let stem = name.replace('-', "_");
    all.iter()
        .find(|b| b.guest.stem() == stem)
        .ok_or_else(|| GuestError::Unknown {
            name: name.to_string(),
            known: all
                .iter()
                .map(|b| b.guest.package.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The path of guest `name`'s component, `target/guests/<group>/<stem>.wasm`, built first if
/// missing or stale. `name` is a package name (`hostile`, `ma-crossover`) or a file stem.
///
/// Panics, with cargo's output, if the build fails or no guest has that name: it is meant
/// for tests and benchmarks. [`try_wasm`] returns the error instead.
pub fn wasm(name: &str) -> PathBuf {
    try_wasm(name).unwrap_or_else(|e| panic!("guest `{name}`: {e}"))
}

/// Like [`wasm`], returning the error.
pub fn try_wasm(name: &str) -> Result<PathBuf, GuestError> {
    Ok(find(name)?.wasm.clone())
}

/// The path of guest `name`'s collected sidecar `.toml` (params and limits), `None` when the
/// guest ships none (the test guests). Panics like [`wasm`].
pub fn sidecar(name: &str) -> Option<PathBuf> {
    find(name)
        .unwrap_or_else(|e| panic!("guest `{name}`: {e}"))
        .sidecar
        .clone()
}
