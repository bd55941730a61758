//! The project's build tasks, as a library: `cargo xtask` (the binary) and the test suite
//! (`sandtrade-tests`) call the same code.
//!
//! - [`guests`]: builds every guest component (example strategies and test guests) for
//!   `wasm32-wasip2` and collects the `.wasm` files and their sidecars in
//!   `target/guests/<group>/`.
//! - [`python`]: the repository's Python environment: IB's Python clients that the tws-sim
//!   tests drive, componentize-py and pytest for Python strategies.
//! - [`node`]: the TypeScript SDK's npm tools.
//! - [`browser`]: Debian's chromium and chromedriver, for the status page's browser test.
#![warn(missing_docs)]

use std::path::PathBuf;

pub mod browser;
pub mod guests;
pub mod node;
pub mod python;

/// The workspace root: the directory of the root `Cargo.toml`.
///
/// Taken from where this crate was compiled (`xtask/` is a direct child of the root), so it
/// is right for `cargo xtask` and for test binaries alike, whatever their working directory.
pub fn workspace_root() -> PathBuf {
    let xtask_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask_dir
        .parent()
        .expect("xtask/ has a parent directory")
        .to_path_buf()
}
