//! `sandtrade build [DIR]`: builds a strategy project into the component the host loads, for
//! whichever language it is written in, so that an author's loop is the same in every one:
//! new → edit → build → check → backtest → drop the `.wasm` and its `.toml` into the
//! strategies directory.
//!
//! The language is told from the project's files: `Cargo.toml` (Rust: cargo for
//! `wasm32-wasip2`), `strategy.py` (Python: componentize-py, with the repository's Python SDK)
//! or `strategy.ts` (TypeScript: the TypeScript SDK's build script, which bundles and runs
//! componentize-js). The tools come from the repository's own environment, which the README's
//! commands install (`target/venv` for Python, `guest-sdk-ts/node_modules` for TypeScript);
//! when one is missing the error names the command that installs it.
//!
//! Python and TypeScript builds are marked with the inert WASI profile (see
//! `sandtrade_runtime::profile`): CPython imports files, sockets and clocks, SpiderMonkey the
//! clocks, which the host then links to reach nothing but its own clock.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sandtrade_runtime::profile;
use sandtrade_runtime::sandbox::WasiProfile;

/// The language a strategy project is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// A cargo package on the `sandtrade-guest` crate.
    Rust,
    /// `strategy.py` on the `sandtrade` Python package.
    Python,
    /// `strategy.ts` on the TypeScript SDK.
    #[value(name = "ts")]
    TypeScript,
}

impl Language {
    /// The language of the project in `dir`, told from its files.
    ///
    /// # Errors
    ///
    /// When `dir` has none of the files, or more than one.
    pub fn of_project(dir: &Path) -> anyhow::Result<Self> {
        let found: Vec<Self> = [
            (Self::Rust, "Cargo.toml"),
            (Self::Python, "strategy.py"),
            (Self::TypeScript, "strategy.ts"),
        ]
        .into_iter()
        .filter(|(_, file)| dir.join(file).is_file())
        .map(|(language, _)| language)
        .collect();
        match found.as_slice() {
            [language] => Ok(*language),
            [] => bail!(
                "{} is not a strategy project: it has no Cargo.toml (Rust), strategy.py (Python) \
                 or strategy.ts (TypeScript); `sandtrade new NAME --lang rust|python|ts` makes one",
                dir.display()
            ),
            several => bail!(
                "{} holds the files of several strategy projects ({}): keep one language per \
                 directory",
                dir.display(),
                several
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Rust => "Rust",
            Self::Python => "Python",
            Self::TypeScript => "TypeScript",
        })
    }
}

/// Where the tools and SDKs of a build are: the Sandtrade repository and its environments.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The repository: `wit/`, `guest-sdk*/`, `target/venv`.
    pub root: PathBuf,
    /// componentize-py, from the repository's Python environment.
    pub componentize_py: PathBuf,
    /// `node`, for the TypeScript build script.
    pub node: PathBuf,
    /// `cargo`, for Rust.
    pub cargo: PathBuf,
}

/// The environment variable naming the repository when the binary moved away from it.
pub const ROOT_ENV: &str = "SANDTRADE_ROOT";

impl Toolchain {
    /// The toolchain of this installation: the repository is `$SANDTRADE_ROOT`, or the one this
    /// binary was built from; componentize-py is the one in its `target/venv` (or beside
    /// `$SANDTRADE_PYTHON`, the interpreter the test suite runs).
    pub fn from_env() -> Self {
        let root = std::env::var_os(ROOT_ENV)
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."));
        let venv_bin = std::env::var_os("SANDTRADE_PYTHON")
            .map(PathBuf::from)
            .and_then(|python| python.parent().map(Path::to_owned))
            .unwrap_or_else(|| root.join("target/venv/bin"));
        Self {
            componentize_py: venv_bin.join("componentize-py"),
            node: "node".into(),
            cargo: std::env::var_os("CARGO").map_or_else(|| "cargo".into(), PathBuf::from),
            root,
        }
    }
}

/// What a build made.
#[derive(Debug, Clone)]
pub struct Built {
    /// The project's language.
    pub language: Language,
    /// The component.
    pub wasm: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The WASI profile it declares.
    pub profile: WasiProfile,
    /// How long the build took.
    pub took: Duration,
}

/// The file stem of the project in `dir`: its directory name with `-` turned into `_`, as
/// cargo names a Rust component (`ma-crossover-py` → `ma_crossover_py.wasm`, whose sidecar is
/// `ma_crossover_py.toml`).
pub fn stem_of(dir: &Path) -> anyhow::Result<String> {
    let dir = dir
        .canonicalize()
        .with_context(|| format!("{}: no such project directory", dir.display()))?;
    let name = dir
        .file_name()
        .with_context(|| format!("{} names no directory", dir.display()))?;
    Ok(name.to_string_lossy().replace('-', "_"))
}

/// Builds the project in `dir` into `out` (default: `DIR/<stem>.wasm`, beside the project's
/// sidecar `DIR/<stem>.toml`). The tools' own output goes to stderr as they run.
///
/// # Errors
///
/// An unknown project, a missing tool (naming the command that installs it), or a tool that
/// failed (its output is above the error).
pub fn build(dir: &Path, out: Option<&Path>, tools: &Toolchain) -> anyhow::Result<Built> {
    let started = Instant::now();
    let language = Language::of_project(dir)?;
    let out = match out {
        Some(out) => out.to_owned(),
        None => dir.join(format!("{}.wasm", stem_of(dir)?)),
    };
    let profile = match language {
        Language::Rust => {
            build_rust(dir, &out, tools)?;
            WasiProfile::Strict
        }
        Language::Python => {
            build_python(dir, &out, tools)?;
            WasiProfile::Inert
        }
        Language::TypeScript => {
            build_typescript(dir, &out, tools)?;
            // The SDK's build script declares it; read back, so the report cannot drift.
            let component = std::fs::read(&out)
                .with_context(|| format!("the build wrote no {}", out.display()))?;
            profile::declared(&component)?
        }
    };
    let bytes = std::fs::metadata(&out)
        .with_context(|| format!("the build wrote no {}", out.display()))?
        .len();
    Ok(Built {
        language,
        wasm: out,
        bytes,
        profile,
        took: started.elapsed(),
    })
}

/// cargo for `wasm32-wasip2`, in release; the component is the `.wasm` artifact cargo reports.
fn build_rust(dir: &Path, out: &Path, tools: &Toolchain) -> anyhow::Result<()> {
    let output = Command::new(&tools.cargo)
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .args(["--message-format", "json-render-diagnostics"])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", tools.cargo.display()))?;
    if !output.status.success() {
        bail!(
            "cargo could not build {} (its errors are above; `rustup target add wasm32-wasip2` \
             if the target is missing)",
            dir.display()
        );
    }
    let artifact = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .flat_map(|message| message["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|name| name.as_str().map(PathBuf::from))
        .rfind(|name| name.extension().is_some_and(|ext| ext == "wasm"));
    let Some(artifact) = artifact else {
        bail!(
            "cargo built {} but no .wasm: a strategy crate needs `crate-type = [\"cdylib\"]` \
             under [lib]",
            dir.display()
        );
    };
    copy(&artifact, out)
}

/// componentize-py with the SDK's entry module, then the inert-profile mark.
fn build_python(dir: &Path, out: &Path, tools: &Toolchain) -> anyhow::Result<()> {
    if !tools.componentize_py.is_file() {
        bail!(
            "componentize-py is not installed at {}: `cargo xtask test` or `cargo xtask demo` \
             installs it in the repository's Python environment (target/venv)",
            tools.componentize_py.display()
        );
    }
    let unmarked = out.with_extension("unmarked.wasm");
    let status = Command::new(&tools.componentize_py)
        .arg("--wit-path")
        .arg(tools.root.join("wit"))
        .args(["--world", "strategy", "componentize", "sandtrade_entry"])
        .arg("--python-path")
        .arg(dir)
        .arg("--python-path")
        .arg(tools.root.join("guest-sdk-python/src"))
        .arg("--output")
        .arg(&unmarked)
        // Its progress lines go with the rest of the tools' output, to stderr: stdout says
        // what was built.
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {}", tools.componentize_py.display()))?;
    if !status.success() {
        let _ = std::fs::remove_file(&unmarked);
        bail!(
            "componentize-py could not build {} (the reason is above, last)",
            dir.display()
        );
    }
    let component =
        std::fs::read(&unmarked).with_context(|| format!("reading {}", unmarked.display()))?;
    std::fs::remove_file(&unmarked).ok();
    if profile::declared(&component)? != WasiProfile::Strict {
        bail!("componentize-py's output already declares a WASI profile");
    }
    write_atomically(out, &profile::declare(&component, WasiProfile::Inert))
}

/// The TypeScript SDK's build script: type-check, bundle with the SDK, componentize-js, the
/// inert-profile mark.
fn build_typescript(dir: &Path, out: &Path, tools: &Toolchain) -> anyhow::Result<()> {
    let sdk = tools.root.join("guest-sdk-ts");
    if !sdk.join("node_modules").is_dir() {
        bail!(
            "the TypeScript SDK's tools are not installed in {}: `cargo xtask test` or `cargo \
             xtask demo` installs them (npm ci)",
            sdk.join("node_modules").display()
        );
    }
    let status = Command::new(&tools.node)
        .arg(sdk.join("build.mjs"))
        .arg(dir)
        .arg(out)
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {} (Node.js 20 or later)", tools.node.display()))?;
    if !status.success() {
        bail!(
            "the TypeScript build of {} failed (the reason is above)",
            dir.display()
        );
    }
    Ok(())
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(from).with_context(|| format!("reading {}", from.display()))?;
    write_atomically(to, &bytes)
}

/// Writes `to` through a temporary file in its directory, so that a host watching that
/// directory never loads half a component. Readable by all, as a file written by cargo is (a
/// temporary file is the owner's alone; the host may run as another user).
fn write_atomically(to: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = to.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    file.persist(to)
        .with_context(|| format!("cannot write {}", to.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_is_told_from_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let refused = Language::of_project(dir.path()).unwrap_err().to_string();
        assert!(refused.contains("is not a strategy project"), "{refused}");
        std::fs::write(dir.path().join("strategy.py"), "").unwrap();
        assert_eq!(Language::of_project(dir.path()).unwrap(), Language::Python);
        std::fs::write(dir.path().join("strategy.ts"), "").unwrap();
        let refused = Language::of_project(dir.path()).unwrap_err().to_string();
        assert!(refused.ends_with("(Python, TypeScript): keep one language per directory"));
    }

    #[test]
    fn components_are_written_readable_by_all() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.wasm");
        write_atomically(&path, b"\0asm").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn the_stem_is_the_directory_name_as_cargo_spells_it() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("ma-crossover-py");
        std::fs::create_dir(&dir).unwrap();
        assert_eq!(stem_of(&dir).unwrap(), "ma_crossover_py");
    }
}
