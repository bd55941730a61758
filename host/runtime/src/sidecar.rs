//! A strategy's sidecar: `name.toml` next to `name.wasm`, with the operator's parameters and
//! limits.
//!
//! ```toml
//! [params]          # given to the strategy's `init`, every value as a string
//! fast = 10
//! slow = 30
//! symbols = "AAPL"
//!
//! [limits]          # tighten the global risk limits for this strategy (see risk::Limits)
//! max_position_shares = 500
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The parsed sidecar.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sidecar {
    /// `[params]`, stringified, sorted by name.
    pub params: Vec<(String, String)>,
    /// `[limits]`.
    pub limits: sandtrade_risk::Limits,
}

/// Why a sidecar was refused.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    /// It could not be read.
    #[error("{path}: cannot read: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// It is not valid TOML of the expected shape.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with its line and column.
        message: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSidecar {
    #[serde(default)]
    params: toml::Table,
    #[serde(default)]
    limits: sandtrade_risk::Limits,
}

/// The sidecar path of a strategy file: the same name with the extension `.toml`.
pub fn path_for(wasm: &Path) -> PathBuf {
    wasm.with_extension("toml")
}

/// Reads the sidecar of `wasm`; `Ok(None)` when it has none.
///
/// # Errors
///
/// A [`SidecarError`] naming the file, line and problem.
pub fn load_for(wasm: &Path) -> Result<Option<Sidecar>, SidecarError> {
    let path = path_for(wasm);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&path, &text).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(SidecarError::Read { path, error }),
    }
}

/// Parses sidecar `text`; `path` names it in messages.
///
/// # Errors
///
/// A [`SidecarError::Invalid`] naming the line and problem.
pub fn parse(path: &Path, text: &str) -> Result<Sidecar, SidecarError> {
    let invalid = |message: String| SidecarError::Invalid {
        path: path.to_owned(),
        message,
    };
    let raw: RawSidecar = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let mut params = Vec::with_capacity(raw.params.len());
    for (key, value) in raw.params {
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Datetime(d) => d.to_string(),
            toml::Value::Array(_) | toml::Value::Table(_) => {
                return Err(invalid(format!(
                    "[params] `{key}`: arrays and tables are not supported; write the value as a \
                     string and parse it in `init`"
                )));
            }
        };
        params.push((key, value));
    }
    Ok(Sidecar {
        params,
        limits: raw.limits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_stringified() {
        let text = "[params]\nfast = 10\nratio = 0.5\non = true\nname = \"x\"\n";
        let sidecar = parse(Path::new("s.toml"), text).unwrap();
        assert_eq!(
            sidecar.params,
            [
                ("fast".into(), "10".into()),
                ("name".into(), "x".into()),
                ("on".into(), "true".into()),
                ("ratio".into(), "0.5".into()),
            ]
        );
    }

    #[test]
    fn arrays_and_unknown_sections_are_refused() {
        let err = parse(Path::new("s.toml"), "[params]\nxs = [1, 2]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "s.toml: [params] `xs`: arrays and tables are not supported; write the value as a \
             string and parse it in `init`"
        );
        let err = parse(Path::new("s.toml"), "[parms]\nx = 1\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `parms`"), "{err}");
    }

    #[test]
    fn missing_sidecar_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_for(&dir.path().join("x.wasm")).unwrap().is_none());
    }
}
