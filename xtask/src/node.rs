//! The TypeScript SDK's tools (componentize-js, jco, esbuild, TypeScript), installed with
//! `npm ci` from `guest-sdk-ts/package-lock.json` into `guest-sdk-ts/node_modules`: what
//! `sandtrade build` runs for a TypeScript strategy.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The SDK, relative to the workspace root.
pub const SDK: &str = "guest-sdk-ts";

/// Runs `npm ci` in the SDK unless its `node_modules` was installed from exactly this lock
/// file (a copy is kept there as the stamp). Returns the SDK's directory.
///
/// # Errors
///
/// If npm is missing or fails (its output is shown as it runs).
pub fn ensure_modules(root: &Path) -> anyhow::Result<PathBuf> {
    let sdk = root.join(SDK);
    let lock_path = sdk.join("package-lock.json");
    let lock = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    let stamp = sdk
        .join("node_modules")
        .join(".sandtrade-package-lock.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(&*lock) {
        return Ok(sdk);
    }
    eprintln!("xtask: installing the TypeScript SDK's tools (npm ci in {SDK})");
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&sdk))?;
    std::fs::write(&stamp, lock)?;
    Ok(sdk)
}

/// `npm test` in the SDK (generated types current, type checks, node's test runner), then
/// each TypeScript example's tests.
///
/// # Errors
///
/// If a test fails.
pub fn test(root: &Path, examples: &[&str]) -> anyhow::Result<()> {
    let sdk = root.join(SDK);
    run(Command::new("npm").arg("test").current_dir(&sdk))?;
    for example in examples {
        run(Command::new("node")
            .arg(sdk.join("test.mjs"))
            .arg(root.join(example)))?;
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?} (is Node.js 20 installed?)"))?;
    if !status.success() {
        bail!("{command:?} exited with {status}");
    }
    Ok(())
}
