//! The operator's parameters, as given to `init`.

use std::fmt;
use std::str::FromStr;

/// The parameters passed to [`Strategy::init`](crate::Strategy::init): the `[params]` table of
/// the strategy's sidecar `.toml`, every value as a string (the host stringifies TOML
/// scalars: `fast = 10` arrives as `"10"`, `ratio = 0.5` as `"0.5"`, `on = true` as `"true"`).
///
/// ```
/// use sandtrade_guest::Params;
///
/// let params = Params::from_pairs([("fast", "10"), ("slow", "abc")]);
/// assert_eq!(params.get::<u32>("fast").unwrap(), 10);
/// assert_eq!(
///     params.get::<u32>("slow").unwrap_err().to_string(),
///     "param `slow`: expected u32, got `abc`"
/// );
/// assert_eq!(params.get::<u32>("qty").unwrap_err().to_string(), "param `qty`: missing");
/// assert_eq!(params.get_or("qty", 100u32).unwrap(), 100);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    entries: Vec<(String, String)>,
}

/// Why a parameter could not be read. Converts into `String`, so `?` works in
/// [`Strategy::init`](crate::Strategy::init).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// The parameter is required and absent.
    Missing {
        /// The parameter's name.
        key: String,
    },
    /// The value does not parse as the requested type.
    Invalid {
        /// The parameter's name.
        key: String,
        /// The requested type, e.g. `u32`.
        expected: String,
        /// The value given.
        got: String,
    },
    /// A parameter the strategy does not know (see [`Params::deny_unknown`]).
    Unknown {
        /// The parameter's name.
        key: String,
        /// The parameters the strategy knows.
        known: Vec<String>,
    },
    /// The value parsed but is out of range (see [`ParamError::out_of_range`]).
    OutOfRange {
        /// The parameter's name.
        key: String,
        /// What the strategy requires, e.g. `must be > 0`.
        requirement: String,
        /// The value given.
        got: String,
    },
}

impl ParamError {
    /// An error saying that `key`'s value `got` does not satisfy `requirement`
    /// (e.g. `"must be less than slow (30)"`).
    pub fn out_of_range(key: &str, requirement: impl Into<String>, got: impl fmt::Display) -> Self {
        ParamError::OutOfRange {
            key: key.to_string(),
            requirement: requirement.into(),
            got: got.to_string(),
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamError::Missing { key } => write!(f, "param `{key}`: missing"),
            ParamError::Invalid { key, expected, got } => {
                write!(f, "param `{key}`: expected {expected}, got `{got}`")
            }
            ParamError::Unknown { key, known } => {
                write!(f, "param `{key}`: unknown (known: {})", known.join(", "))
            }
            ParamError::OutOfRange {
                key,
                requirement,
                got,
            } => {
                write!(f, "param `{key}`: {requirement}, got `{got}`")
            }
        }
    }
}

impl std::error::Error for ParamError {}

impl From<ParamError> for String {
    fn from(error: ParamError) -> String {
        error.to_string()
    }
}

/// The last path segment of a type name: `u32`, `f64`, `String`.
fn short_type_name<T>() -> &'static str {
    let full = std::any::type_name::<T>();
    // Generic types (`Option<u32>`) keep their full name.
    if full.contains('<') {
        return full;
    }
    full.rsplit("::").next().unwrap_or(full)
}

impl Params {
    /// Wraps the `(key, value)` pairs the host passed.
    pub fn new(entries: Vec<(String, String)>) -> Self {
        Params { entries }
    }

    /// Builds parameters from string pairs (handy in tests).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Params::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The raw string value of `key`, if given. When a key appears more than once the last
    /// value wins.
    pub fn raw(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `key` was given.
    pub fn contains(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// The value of `key` parsed as `T` (any `FromStr` type: integers, floats, `bool`,
    /// `String`...). Surrounding whitespace is ignored.
    ///
    /// Errors: [`ParamError::Missing`] names the key; [`ParamError::Invalid`] reads
    /// "param `fast`: expected u32, got `abc`".
    pub fn get<T: FromStr>(&self, key: &str) -> Result<T, ParamError> {
        self.get_opt(key)?.ok_or_else(|| ParamError::Missing {
            key: key.to_string(),
        })
    }

    /// The value of `key` parsed as `T`, or `default` when the key is absent. A value that is
    /// present but does not parse is still an error: a typo is never silently replaced by the
    /// default.
    pub fn get_or<T: FromStr>(&self, key: &str, default: T) -> Result<T, ParamError> {
        Ok(self.get_opt(key)?.unwrap_or(default))
    }

    /// The value of `key` parsed as `T`, `None` when absent.
    pub fn get_opt<T: FromStr>(&self, key: &str) -> Result<Option<T>, ParamError> {
        let Some(raw) = self.raw(key) else {
            return Ok(None);
        };
        raw.trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| ParamError::Invalid {
                key: key.to_string(),
                expected: short_type_name::<T>().to_string(),
                got: raw.to_string(),
            })
    }

    /// Refuses any parameter not in `known`, so that a misspelt key in the sidecar `.toml`
    /// fails `init` instead of being ignored.
    pub fn deny_unknown(&self, known: &[&str]) -> Result<(), ParamError> {
        match self
            .entries
            .iter()
            .find(|(k, _)| !known.contains(&k.as_str()))
        {
            Some((key, _)) => Err(ParamError::Unknown {
                key: key.clone(),
                known: known.iter().map(|k| k.to_string()).collect(),
            }),
            None => Ok(()),
        }
    }

    /// All `(key, value)` pairs, in the order the host passed them.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of pairs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no parameters were given.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params::from_pairs([
            ("fast", "10"),
            ("slow", " 30 "),
            ("bad", "abc"),
            ("ratio", "0.5"),
            ("on", "true"),
            ("name", "x"),
        ])
    }

    #[test]
    fn typed_lookup() {
        let p = params();
        assert_eq!(p.get::<u32>("fast").unwrap(), 10);
        assert_eq!(p.get::<usize>("slow").unwrap(), 30);
        assert_eq!(p.get::<f64>("ratio").unwrap(), 0.5);
        assert!(p.get::<bool>("on").unwrap());
        assert_eq!(p.get::<String>("name").unwrap(), "x");
    }

    #[test]
    fn invalid_value_names_key_type_and_value() {
        let p = params();
        let err = p.get::<u32>("bad").unwrap_err();
        assert_eq!(err.to_string(), "param `bad`: expected u32, got `abc`");
        let err = p.get::<f64>("bad").unwrap_err();
        assert_eq!(err.to_string(), "param `bad`: expected f64, got `abc`");
        let err = p.get::<u32>("ratio").unwrap_err();
        assert_eq!(err.to_string(), "param `ratio`: expected u32, got `0.5`");
        let err = p.get::<u8>("bad").unwrap_err();
        assert_eq!(
            err,
            ParamError::Invalid {
                key: "bad".into(),
                expected: "u8".into(),
                got: "abc".into()
            }
        );
    }

    #[test]
    fn missing_key_is_named() {
        let err = params().get::<u32>("quantity").unwrap_err();
        assert_eq!(err.to_string(), "param `quantity`: missing");
        let as_string: String = err.into();
        assert!(as_string.contains("quantity"));
    }

    #[test]
    fn get_or_defaults_only_when_absent() {
        let p = params();
        assert_eq!(p.get_or("quantity", 100u32).unwrap(), 100);
        assert_eq!(p.get_or("fast", 99u32).unwrap(), 10);
        assert!(p.get_or("bad", 1u32).is_err());
        assert_eq!(p.get_opt::<u32>("quantity").unwrap(), None);
    }

    #[test]
    fn question_mark_converts_into_string() {
        fn init(p: &Params) -> Result<u32, String> {
            let fast: u32 = p.get("fast")?;
            let bad: u32 = p.get("bad")?;
            Ok(fast + bad)
        }
        assert_eq!(
            init(&params()).unwrap_err(),
            "param `bad`: expected u32, got `abc`"
        );
    }

    #[test]
    fn deny_unknown_names_the_stray_key() {
        let p = Params::from_pairs([("fast", "1"), ("sloww", "2")]);
        assert!(p.deny_unknown(&["fast", "sloww"]).is_ok());
        let err = p.deny_unknown(&["fast", "slow"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "param `sloww`: unknown (known: fast, slow)"
        );
    }

    #[test]
    fn last_duplicate_wins_and_iteration_keeps_order() {
        let p = Params::from_pairs([("a", "1"), ("b", "2"), ("a", "3")]);
        assert_eq!(p.get::<u32>("a").unwrap(), 3);
        assert_eq!(p.len(), 3);
        assert!(!p.is_empty());
        assert!(p.contains("b"));
        assert_eq!(
            p.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["a", "b", "a"]
        );
    }

    #[test]
    fn out_of_range_message() {
        let err = ParamError::out_of_range("fast", "must be less than slow (30)", 40);
        assert_eq!(
            err.to_string(),
            "param `fast`: must be less than slow (30), got `40`"
        );
    }
}
