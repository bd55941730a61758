//! Reading a configuration section: typed reads that record every problem instead of stopping
//! at the first, each as a sentence that names the key, quotes the value and says what is
//! accepted (`ib.port = "4002": expected a whole number, found string "4002"`).
//!
//! Each section of `sandtrade run`'s configuration file is defined and read by the crate it
//! configures (`[ib]` by the broker, `[market_data]` by the trading loop, ...); the `sandtrade`
//! binary assembles them. This is the toolkit they share.

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

/// The problems found so far, in the order they were found.
#[derive(Debug, Default)]
pub struct Problems(Vec<String>);

impl Problems {
    /// Records one problem: a sentence naming the key, quoting the value, saying what is
    /// accepted.
    pub fn push(&mut self, problem: String) {
        self.0.push(problem);
    }

    /// Whether nothing was found wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, in order.
    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// One table of the file: typed reads that record a problem instead of stopping, and a final
/// check that no key was left unread (a misspelt key is a problem, never ignored).
pub struct Section<'p> {
    name: &'static str,
    table: toml::Table,
    problems: &'p mut Problems,
}

impl<'p> Section<'p> {
    /// The section `name` (`""` for the file's top level) over its table.
    pub fn new(name: &'static str, table: toml::Table, problems: &'p mut Problems) -> Self {
        Self {
            name,
            table,
            problems,
        }
    }

    /// `key` as the file spells it from the top: `ib.port`.
    pub fn key(&self, key: &str) -> String {
        if self.name.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.name)
        }
    }

    /// Reads `key` as `T` and converts it with `check`; a missing key is `None`.
    pub fn optional_with<T: DeserializeOwned, U>(
        &mut self,
        key: &str,
        check: impl FnOnce(T) -> Result<U, String>,
    ) -> Option<U> {
        let value = self.table.remove(key)?;
        let shown = show(&value);
        match value.try_into::<T>() {
            Ok(v) => match check(v) {
                Ok(u) => Some(u),
                Err(why) => {
                    let key = self.key(key);
                    self.problems.push(format!("{key} = {shown}: {why}"));
                    None
                }
            },
            Err(e) => {
                let key = self.key(key);
                self.problems
                    .push(format!("{key} = {shown}: {}", type_error(&e)));
                None
            }
        }
    }

    /// Like [`optional_with`](Self::optional_with), but a missing key is a problem.
    pub fn required_with<T: DeserializeOwned, U>(
        &mut self,
        key: &str,
        check: impl FnOnce(T) -> Result<U, String>,
    ) -> Option<U> {
        if !self.table.contains_key(key) {
            let key = self.key(key);
            self.problems.push(format!("{key} is missing"));
            return None;
        }
        self.optional_with(key, check)
    }

    /// A string, or `default` when the key is missing.
    pub fn string_or(&mut self, key: &str, default: &str) -> String {
        self.optional_with(key, Ok::<String, String>)
            .unwrap_or_else(|| default.to_owned())
    }

    /// `true` or `false`, or `default` when the key is missing.
    pub fn bool_or(&mut self, key: &str, default: bool) -> bool {
        self.optional_with(key, Ok::<bool, String>)
            .unwrap_or(default)
    }

    fn in_range<N>(value: i64, range: &std::ops::RangeInclusive<N>) -> Result<N, String>
    where
        N: TryFrom<i64> + PartialOrd + fmt::Display + Copy,
    {
        N::try_from(value)
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                )
            })
    }

    /// A whole number in `range`, or `default` when the key is missing.
    pub fn number_or<N>(&mut self, key: &str, default: N, range: std::ops::RangeInclusive<N>) -> N
    where
        N: TryFrom<i64> + PartialOrd + fmt::Display + Copy,
    {
        self.optional_with(key, |v: i64| Self::in_range(v, &range))
            .unwrap_or(default)
    }

    /// A whole number in `range`; a missing key is a problem.
    pub fn required_number<N>(&mut self, key: &str, range: std::ops::RangeInclusive<N>) -> Option<N>
    where
        N: TryFrom<i64> + PartialOrd + fmt::Display + Copy,
    {
        self.required_with(key, |v: i64| Self::in_range(v, &range))
    }

    /// A duration written in milliseconds (`*_ms` keys), in `range`, or `default_ms`.
    pub fn millis_or(
        &mut self,
        key: &str,
        default_ms: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Duration {
        Duration::from_millis(self.number_or(key, default_ms, range))
    }

    /// A sub-table, read by its own section; `required` records its absence as a problem.
    pub fn table(&mut self, key: &str, required: bool) -> Option<toml::Table> {
        match self.table.remove(key) {
            Some(toml::Value::Table(t)) => Some(t),
            Some(other) => {
                let key = self.key(key);
                self.problems.push(format!(
                    "{key} = {}: expected a table ([{key}])",
                    show(&other)
                ));
                None
            }
            None if required => {
                let key = self.key(key);
                self.problems.push(format!("[{key}] is missing"));
                None
            }
            None => None,
        }
    }

    /// A sub-table deserialized as a whole by its own type (which reports its own problems).
    pub fn typed<T: DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        let value = self.table.remove(key)?;
        match value.try_into::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                let key = self.key(key);
                self.problems
                    .push(format!("[{key}]: {}", e.to_string().trim_end()));
                None
            }
        }
    }

    /// Records every key nobody read.
    pub fn finish(self) {
        let Self {
            name,
            table,
            problems,
        } = self;
        for (key, _) in table {
            let key = if name.is_empty() {
                key
            } else {
                format!("{name}.{key}")
            };
            problems.push(format!("{key}: unknown key"));
        }
    }
}

/// A value as it was written (strings quoted), for messages.
fn show(value: &toml::Value) -> String {
    let text = value.to_string();
    if text.len() > 60 {
        format!("{}…", &text[..text.floor_char_boundary(60)])
    } else {
        text
    }
}

/// serde's type error without the TOML position noise: `expected an integer, found a string`.
fn type_error(e: &toml::de::Error) -> String {
    let message = e.message().trim();
    match message.strip_prefix("invalid type: ") {
        Some(rest) => match rest.split_once(", expected ") {
            Some((found, expected)) => format!("expected {}, found {found}", plain(expected)),
            None => rest.to_owned(),
        },
        None => message.to_owned(),
    }
}

/// Rust's type names as a config author reads them.
fn plain(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        "a boolean" | "bool" => "true or false",
        other => other,
    }
}
