//! `sandtrade new NAME --lang rust|python|ts`: a ready strategy project, like `cargo new`.
//!
//! Every language gets the same strategy (an SMA trend on AAPL), a unit test on the SDK's mock
//! host, the sidecar `<stem>.toml` and a README with the author's loop. The project points at
//! this installation's SDKs (the repository `sandtrade build` uses, see [`crate::build`]), so
//! it builds wherever it is created.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::build::{Language, Toolchain};

/// One file of a template: its path in the project and its text, with `{{...}}` placeholders.
type TemplateFile = (&'static str, &'static str);

const SIDECAR: &str = include_str!("../templates/sidecar.toml");
const README: &str = include_str!("../templates/README.md");

const RUST: &[TemplateFile] = &[
    ("Cargo.toml", include_str!("../templates/rust/Cargo.toml")),
    ("src/lib.rs", include_str!("../templates/rust/src/lib.rs")),
    (".gitignore", include_str!("../templates/rust/gitignore")),
];

const PYTHON: &[TemplateFile] = &[
    (
        "strategy.py",
        include_str!("../templates/python/strategy.py"),
    ),
    (
        "tests/test_strategy.py",
        include_str!("../templates/python/tests/test_strategy.py"),
    ),
    ("pytest.ini", include_str!("../templates/python/pytest.ini")),
    (".gitignore", include_str!("../templates/python/gitignore")),
];

const TYPESCRIPT: &[TemplateFile] = &[
    ("strategy.ts", include_str!("../templates/ts/strategy.ts")),
    (
        "strategy.test.ts",
        include_str!("../templates/ts/strategy.test.ts"),
    ),
    (
        "tsconfig.json",
        include_str!("../templates/ts/tsconfig.json"),
    ),
    ("package.json", include_str!("../templates/ts/package.json")),
    (".gitignore", include_str!("../templates/ts/gitignore")),
];

/// Creates the project `dir` (which must not exist yet) in `language`, its strategy named after
/// the directory. Returns the files written.
///
/// # Errors
///
/// A name that is not a strategy name (lowercase letters, digits and `-`, starting with a
/// letter), a directory that exists, or a write that failed.
pub fn new_project(
    dir: &Path,
    language: Language,
    tools: &Toolchain,
) -> anyhow::Result<Vec<PathBuf>> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{} names no directory", dir.display()))?;
    check_name(&name)?;
    if dir.exists() {
        bail!(
            "{} already exists: `sandtrade new` makes a new directory",
            dir.display()
        );
    }
    let root = tools.root.canonicalize().with_context(|| {
        format!(
            "the Sandtrade repository {} is missing",
            tools.root.display()
        )
    })?;
    let stem = name.replace('-', "_");
    let (files, lang, test_command) = match language {
        Language::Rust => (RUST, "rust", "cargo test".to_owned()),
        Language::Python => (
            PYTHON,
            "python",
            format!("{}/target/venv/bin/python -m pytest", root.display()),
        ),
        Language::TypeScript => (TYPESCRIPT, "ts", "npm test".to_owned()),
    };
    let fill = |text: &str| {
        text.replace("{{name}}", &name)
            .replace("{{stem}}", &stem)
            .replace("{{root}}", &root.to_string_lossy())
            .replace("{{language}}", &language.to_string())
            .replace("{{lang}}", lang)
            .replace("{{dir}}", &dir.display().to_string())
            .replace("{{test_command}}", &test_command)
    };
    let sidecar = format!("{stem}.toml");
    let all = files
        .iter()
        .copied()
        .chain([("README.md", README), (sidecar.as_str(), SIDECAR)]);
    let mut written = Vec::new();
    for (path, text) in all {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, fill(text))
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// A strategy name: what `describe` returns, the crate or package name, and (with `_`) the
/// file stem of its component and sidecar.
fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        bail!(
            "`{name}` is not a strategy name: use lowercase letters, digits and `-`, starting \
             with a letter (at most 64), e.g. `sma-trend`"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("sma-trend2").is_ok());
        for bad in ["Sma", "2x", "a_b", "", "a b"] {
            let refused = check_name(bad).unwrap_err().to_string();
            assert!(refused.contains("is not a strategy name"), "{refused}");
        }
    }

    #[test]
    fn every_placeholder_is_filled() {
        let parent = tempfile::tempdir().unwrap();
        let tools = Toolchain::from_env();
        for (language, name) in [
            (Language::Rust, "in-rust"),
            (Language::Python, "in-python"),
            (Language::TypeScript, "in-ts"),
        ] {
            let written = new_project(&parent.path().join(name), language, &tools).unwrap();
            for path in &written {
                let text = std::fs::read_to_string(path).unwrap();
                assert!(!text.contains("{{"), "{}: {text}", path.display());
            }
            let stem = name.replace('-', "_");
            assert!(written.iter().any(|p| p.ends_with(format!("{stem}.toml"))));
            assert_eq!(
                Language::of_project(&parent.path().join(name)).unwrap(),
                language
            );
        }
        let again = new_project(&parent.path().join("in-rust"), Language::Rust, &tools);
        assert!(
            again
                .unwrap_err()
                .to_string()
                .ends_with("already exists: `sandtrade new` makes a new directory")
        );
    }
}
