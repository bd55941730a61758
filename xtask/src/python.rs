//! The Python virtualenv the protocol tests drive tws-sim with: IB's own client and ib_async,
//! pinned in `tws-sim/tests/python/requirements.txt`, installed in `target/venv`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The requirements file, relative to the workspace root.
pub const REQUIREMENTS: &str = "tws-sim/tests/python/requirements.txt";

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
    let requirements_path = root.join(REQUIREMENTS);
    let requirements = std::fs::read_to_string(&requirements_path)
        .with_context(|| format!("reading {}", requirements_path.display()))?;
    let stamp = venv.join("sandtrade-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&*requirements) {
        return Ok(python);
    }
    eprintln!(
        "xtask: creating the Python venv {} ({REQUIREMENTS})",
        venv.display()
    );
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&requirements_path))?;
    std::fs::write(&stamp, requirements)?;
    Ok(python)
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
