//! The repository's Python environment, `target/venv`: IB's own client and ib_async, which the
//! protocol tests drive tws-sim with (`tws-sim/tests/python/requirements.txt`), and
//! componentize-py and pytest, which build and test Python strategies
//! (`guest-sdk-python/requirements.txt`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The requirements files, relative to the workspace root.
pub const REQUIREMENTS: [&str; 2] = [
    "tws-sim/tests/python/requirements.txt",
    "guest-sdk-python/requirements.txt",
];

/// Creates `<root>/target/venv` and installs the requirements into it, unless the venv already
/// has exactly these requirements (a copy of the file is kept in the venv as the stamp).
/// Returns the venv's `python`.
///
/// # Errors
///
/// If `python3` is missing, or `venv` or `pip` fails (their output is shown as it runs).
pub fn ensure_venv(root: &Path) -> anyhow::Result<PathBuf> {
    let venv = root.join("target").join("venv");
    let python = venv.join("bin").join("python");
    let mut requirements = String::new();
    for file in REQUIREMENTS {
        let path = root.join(file);
        requirements += &std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
    }
    let stamp = venv.join("sandtrade-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&*requirements) {
        return Ok(python);
    }
    eprintln!(
        "xtask: creating the Python venv {} ({})",
        venv.display(),
        REQUIREMENTS.join(", ")
    );
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    let mut pip = Command::new(&python);
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]);
    for file in REQUIREMENTS {
        pip.arg("-r").arg(root.join(file));
    }
    run(&mut pip)?;
    std::fs::write(&stamp, requirements)?;
    Ok(python)
}

/// The Python SDK's tests, then each Python example's (one pytest session per project: each
/// has a top-level `strategy` module of its own).
///
/// # Errors
///
/// If a test fails.
pub fn test(root: &Path, python: &Path, projects: &[&str]) -> anyhow::Result<()> {
    for project in projects {
        run(Command::new(python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .current_dir(root.join(project)))?;
    }
    Ok(())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let status = command
        .status()
        .with_context(|| format!("running {command:?}"))?;
    if !status.success() {
        bail!("{command:?} exited with {status}");
    }
    Ok(())
}
