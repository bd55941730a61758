//! What the tests of the `sandtrade` command share.

use std::process::Command;

/// A command running the `sandtrade` binary this `cargo test` built, with a log filter that
/// shows warnings only (whatever `RUST_LOG` the test runs with) so that its stderr is what a
/// user sees.
pub fn sandtrade() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sandtrade"));
    command.env("RUST_LOG", "warn");
    command
}
