//! Running the toolchain: checking for the target, and the one `cargo build` of all guests.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::{Error, Guest, Layout, PROFILE, TARGET};

/// Where cargo's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// To this process's stdout and stderr: progress for a person at a terminal.
    Inherit,
    /// Kept, and put in [`Error::Cargo`] if the build fails: for tests.
    Capture,
}

/// Environment variables of the calling cargo that must not reach the guest build: flags meant
/// for the host target (a coverage run's `-C instrument-coverage`, say) and target-dir or
/// target overrides that would defeat the layout.
const SCRUBBED_ENV: [&str; 6] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
];

/// The cargo that runs us (`CARGO`, set by `cargo run` and `cargo test`), else `cargo`.
fn cargo_program() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

fn command_line(command: &Command) -> String {
    let program = command.get_program().to_string_lossy().into_owned();
    let args = command.get_args().map(|a| a.to_string_lossy().into_owned());
    std::iter::once(program)
        .chain(args)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Makes sure the toolchain has the `wasm32-wasip2` standard library, adding it with
/// `rustup target add` when it is missing (a fresh machine with only the stable toolchain).
pub fn ensure_target() -> Result<(), Error> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut query = Command::new(rustc);
    query.args(["--print", "target-libdir", "--target", TARGET]);
    let printed = query.output().map_err(|source| Error::Spawn {
        command: command_line(&query),
        error: source,
    })?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&printed.stdout).trim());
    if printed.status.success() && libdir.is_dir() {
        return Ok(());
    }
    eprintln!("xtask: the {TARGET} target is missing; running `rustup target add {TARGET}`");
    let added = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    match added {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Error::TargetMissing(format!("rustup exited with {status}"))),
        Err(e) => Err(Error::TargetMissing(format!("could not run rustup: {e}"))),
    }
}

/// `cargo build --target wasm32-wasip2 --profile guest --target-dir target/guest-build -p ...`
/// for all `guests` at once, from the workspace root.
pub(super) fn build(layout: &Layout, guests: &[Guest], output: Output) -> Result<(), Error> {
    let mut cargo = Command::new(cargo_program());
    cargo
        .current_dir(&layout.root)
        .args([
            "build",
            "--target",
            TARGET,
            "--profile",
            PROFILE,
            "--target-dir",
        ])
        .arg(layout.build_dir());
    for guest in guests {
        cargo.args(["-p", &guest.package]);
    }
    for name in SCRUBBED_ENV {
        cargo.env_remove(name);
    }
    let command = command_line(&cargo);
    let spawn_error = |source| Error::Spawn {
        command: command.clone(),
        error: source,
    };
    let (status, output) = match output {
        Output::Inherit => (cargo.status().map_err(spawn_error)?, String::new()),
        Output::Capture => {
            let out = cargo.stdin(Stdio::null()).output().map_err(spawn_error)?;
            let stderr = String::from_utf8_lossy(&out.stderr);
            (out.status, format!(":\n{}", stderr.trim_end()))
        }
    };
    if status.success() {
        Ok(())
    } else {
        Err(Error::Cargo {
            command,
            status,
            output,
        })
    }
}
