//! Building the guest components.
//!
//! A guest is a workspace package with a `cdylib` library under one of [`GROUPS`]
//! (`example-strategies/`, `test-guests/`). [`build`] compiles all of them in one
//! `cargo build --target wasm32-wasip2 --profile guest` and copies each component, with its
//! sidecar `<stem>.toml` when the crate has one, into the output directory:
//!
//! ```text
//! target/
//!   guest-build/                      cargo's target dir for guest builds (not `target/` itself)
//!     wasm32-wasip2/guest/*.wasm
//!   guests/                           the collected components
//!     .lock                           taken while building and collecting
//!     example-strategies/ma_crossover.wasm, ma_crossover.toml, ...
//!     test-guests/hostile.wasm, ...
//! ```
//!
//! The file stem is the package name with `-` turned into `_`, as cargo names the file.
//!
//! Guest builds use their own cargo target dir, `target/guest-build`, so a build started from
//! inside a running `cargo test` never waits for a lock held on `target/` by another cargo
//! process (an editor's `cargo check`, a second `cargo test`), and the host's artifacts and
//! the guests' never evict each other. A file lock on `target/guests/.lock` serializes
//! concurrent builders (parallel test binaries, `cargo xtask guests`): the first builds, the
//! others wait and then find cargo's work done. Collected files are replaced atomically
//! (written beside, then renamed) and only when their bytes changed.

mod cargo;
mod collect;
mod discover;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;

pub use self::cargo::{Output, ensure_target};
pub use self::discover::discover;

/// The folders of the workspace whose `cdylib` crates are guests.
pub const GROUPS: [&str; 2] = ["example-strategies", "test-guests"];
/// The target guests are compiled for.
pub const TARGET: &str = "wasm32-wasip2";
/// The cargo profile guests are compiled with (defined in the root `Cargo.toml`).
pub const PROFILE: &str = "guest";

/// Where guest builds happen and where their results go.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The workspace root.
    pub root: PathBuf,
}

impl Layout {
    /// The layout of the workspace at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Layout { root: root.into() }
    }

    /// Cargo's target dir for guest builds: `target/guest-build`.
    pub fn build_dir(&self) -> PathBuf {
        self.root.join("target").join("guest-build")
    }

    /// Where cargo writes the components: `target/guest-build/wasm32-wasip2/guest`.
    pub fn cargo_out_dir(&self) -> PathBuf {
        self.build_dir().join(TARGET).join(PROFILE)
    }

    /// Where the components are collected: `target/guests`.
    pub fn out_dir(&self) -> PathBuf {
        self.root.join("target").join("guests")
    }
}

/// One guest crate of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guest {
    /// The package name, e.g. `ma-crossover`.
    pub package: String,
    /// The folder it is in, one of [`GROUPS`].
    pub group: String,
    /// The directory of its `Cargo.toml`.
    pub dir: PathBuf,
}

impl Guest {
    /// The file stem of its component: the package name with `-` turned into `_`
    /// (`ma_crossover` for `ma-crossover`), as cargo names a `cdylib`.
    pub fn stem(&self) -> String {
        self.package.replace('-', "_")
    }

    /// The sidecar it ships, `<dir>/<stem>.toml`, if there is one.
    pub fn sidecar_source(&self) -> Option<PathBuf> {
        let path = self.dir.join(format!("{}.toml", self.stem()));
        path.is_file().then_some(path)
    }
}

/// A guest built and collected.
#[derive(Debug, Clone)]
pub struct Built {
    /// The guest.
    pub guest: Guest,
    /// The collected component: `target/guests/<group>/<stem>.wasm`.
    pub wasm: PathBuf,
    /// The collected sidecar, `target/guests/<group>/<stem>.toml`, if the guest has one.
    pub sidecar: Option<PathBuf>,
    /// The component's size in bytes.
    pub bytes: u64,
}

/// Why building the guests failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `cargo metadata` could not list the workspace.
    #[error("listing the workspace's packages (cargo metadata) failed: {0}")]
    Metadata(#[from] cargo_metadata::Error),
    /// Two guests would write the same file.
    #[error("guests `{0}` and `{1}` would both be named {2}.wasm: rename one")]
    DuplicateStem(String, String, String),
    /// The `wasm32-wasip2` target is missing and could not be added.
    #[error(
        "the {TARGET} target is not installed for this toolchain and adding it failed ({0}); \
         run `rustup target add {TARGET}`"
    )]
    TargetMissing(String),
    /// A command could not be started.
    #[error("could not run `{command}`: {error}")]
    Spawn {
        /// The command line.
        command: String,
        /// Why.
        error: io::Error,
    },
    /// `cargo build` failed: its output says why.
    #[error("`{command}` failed ({status}){output}")]
    Cargo {
        /// The command line.
        command: String,
        /// Its exit status.
        status: ExitStatus,
        /// Its stderr, when it was captured (with a leading newline), else empty.
        output: String,
    },
    /// A file operation failed.
    #[error("{action} {}: {error}", path.display())]
    Io {
        /// What was being done, e.g. `copying to`.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
}

impl Error {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io {
            action,
            path,
            error: source,
        }
    }
}

/// Builds every guest of the workspace and collects the components, holding the file lock
/// `target/guests/.lock` throughout. `output` says whether cargo's progress and diagnostics
/// go to this process's stderr ([`Output::Inherit`], for a person) or are kept for the error
/// ([`Output::Capture`], for tests). Installs the `wasm32-wasip2` target with rustup first if
/// it is missing.
pub fn build(layout: &Layout, output: Output) -> Result<Vec<Built>, Error> {
    let guests = discover(&layout.root)?;
    let out_dir = layout.out_dir();
    fs::create_dir_all(&out_dir).map_err(Error::io("creating", &out_dir))?;
    let lock_path = out_dir.join(".lock");
    let lock = File::create(&lock_path).map_err(Error::io("creating", &lock_path))?;
    // Released when `lock` is dropped, and by the OS if this process dies.
    lock.lock().map_err(Error::io("locking", &lock_path))?;

    ensure_target()?;
    cargo::build(layout, &guests, output)?;
    guests
        .into_iter()
        .map(|guest| collect::collect(layout, guest))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_stems_and_sidecars_follow_cargo_naming() {
        let root = crate::workspace_root();
        let guest = |package: &str, group: &str| Guest {
            package: package.into(),
            group: group.into(),
            dir: root.join(group).join(package),
        };
        let example = guest("ma-crossover", "example-strategies");
        assert_eq!(example.stem(), "ma_crossover");
        assert_eq!(
            example.sidecar_source(),
            Some(root.join("example-strategies/ma-crossover/ma_crossover.toml"))
        );
        assert_eq!(guest("hostile", "test-guests").sidecar_source(), None);
        let layout = Layout::new(&root);
        assert_eq!(
            layout.cargo_out_dir(),
            root.join("target/guest-build/wasm32-wasip2/guest")
        );
        assert_eq!(layout.out_dir(), root.join("target/guests"));
    }

    #[test]
    fn discovery_finds_the_cdylib_crates_of_the_guest_folders_only() {
        let guests = discover(&crate::workspace_root()).expect("cargo metadata");
        let names: Vec<&str> = guests.iter().map(|g| g.package.as_str()).collect();
        // Not compute-kernel (a plain library), nor guest-sdk, host, tests or xtask.
        assert_eq!(
            names,
            [
                "hk-breakout",
                "ma-crossover",
                "pullback-bracket",
                "scale-in-out",
                "trend-stop",
                "clock-snoop",
                "compute",
                "empty",
                "fs-snoop",
                "hostile",
                "metronome",
                "net-snoop",
                "other-world",
                "stop-guard",
                "strategy-0-1",
            ]
        );
    }
}
