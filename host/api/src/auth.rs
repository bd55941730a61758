//! Bearer tokens and their scopes.
//!
//! Every `/api/...` and `/metrics` request carries `Authorization: Bearer <token>`. A token
//! has one scope: `read` (every `GET`) or `trade` (everything, including the endpoints that
//! change something: orders, connect, halt, strategies). `/healthz`, the status page's files
//! and the OpenAPI document need none: they hold no account data.
//!
//! Tokens come from the configuration (`[[api.tokens]]` in [`ApiConfig`]: the token itself or
//! the name of an environment variable holding it) and from `SANDTRADE_API_TOKEN` (trade) and
//! `SANDTRADE_API_READ_TOKEN` (read). Only their SHA-256 digests are kept once resolved, so
//! no log, `Debug` print or crash dump can show one; a request's token is hashed and compared
//! against them.

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::config::ApiConfig;

/// The environment variable holding a `trade` token, if set.
pub const TRADE_TOKEN_ENV: &str = "SANDTRADE_API_TOKEN";
/// The environment variable holding a `read` token, if set.
pub const READ_TOKEN_ENV: &str = "SANDTRADE_API_READ_TOKEN";
/// The shortest token accepted: shorter ones are guessable.
pub const MIN_TOKEN_LEN: usize = 16;

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Every read (`GET`).
    Read,
    /// Reads and every change: orders, cancels, connect/disconnect, halt/resume, strategies.
    Trade,
}

impl Scope {
    /// Whether a token of this scope may do what `needed` asks for.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }

    /// `read` or `trade`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Trade => "trade",
        }
    }
}

/// A secret from the configuration file. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// One `[[api.tokens]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenConfig {
    /// A name for logs.
    pub name: String,
    /// What it allows.
    pub scope: Scope,
    /// The token itself.
    #[serde(default)]
    pub token: Option<Secret>,
    /// Or the environment variable it is read from at start.
    #[serde(default)]
    pub env: Option<String>,
}

impl TokenConfig {
    /// What is wrong with the `index`th entry, if anything (the environment is read at start).
    pub(crate) fn problem(&self, index: usize) -> Option<String> {
        let at = format!("api.tokens[{index}] (name = {:?})", self.name);
        match (&self.token, &self.env) {
            (Some(_), Some(_)) => Some(format!(
                "{at}: give `token` or `env`, not both (e.g. env = \"SANDTRADE_OPS_TOKEN\")"
            )),
            (None, None) => Some(format!(
                "{at}: missing `token` or `env` (e.g. env = \"SANDTRADE_OPS_TOKEN\")"
            )),
            (Some(Secret(s)), None) if s.len() < MIN_TOKEN_LEN => Some(format!(
                "{at}: the token is shorter than {MIN_TOKEN_LEN} characters"
            )),
            _ => None,
        }
    }
}

/// A resolved token: its name, scope and digest.
#[derive(Clone, PartialEq, Eq)]
struct Known {
    name: String,
    scope: Scope,
    digest: [u8; 32],
}

/// The tokens a server accepts. Holds digests only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tokens {
    known: Vec<Known>,
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.known.iter().map(|k| (&k.name, k.scope)))
            .finish()
    }
}

/// Why the API cannot start with these tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// An `env = "..."` names a variable that is not set.
    #[error("api token {name:?}: environment variable {var} is not set")]
    MissingEnv {
        /// The token's name.
        name: String,
        /// The variable.
        var: String,
    },
    /// A token is too short.
    #[error("api token {name:?}: shorter than {MIN_TOKEN_LEN} characters")]
    TooShort {
        /// The token's name.
        name: String,
    },
    /// A non-loopback address without any token.
    #[error(
        "refusing to serve the API on {0} without tokens: anyone who can reach it could \
         trade. Add [[api.tokens]] to the configuration or set {TRADE_TOKEN_ENV}, or bind \
         127.0.0.1"
    )]
    OpenToTheNetwork(SocketAddr),
}

impl Tokens {
    /// No tokens (every protected request is refused).
    pub fn none() -> Self {
        Self::default()
    }

    /// Adds a token.
    ///
    /// # Errors
    ///
    /// [`AuthError::TooShort`].
    pub fn with(mut self, name: &str, scope: Scope, token: &str) -> Result<Self, AuthError> {
        if token.len() < MIN_TOKEN_LEN {
            return Err(AuthError::TooShort { name: name.into() });
        }
        self.known.push(Known {
            name: name.to_owned(),
            scope,
            digest: digest(token),
        });
        Ok(self)
    }

    /// The configured tokens, then those in [`TRADE_TOKEN_ENV`] and [`READ_TOKEN_ENV`];
    /// `env` looks a variable up (`std::env::var`, or a map in tests).
    ///
    /// # Errors
    ///
    /// An [`AuthError`] for the first token that cannot be resolved.
    pub fn resolve(
        config: &ApiConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, AuthError> {
        let mut tokens = Self::none();
        for t in &config.tokens {
            let value = match (&t.token, &t.env) {
                (Some(Secret(s)), _) => s.clone(),
                (None, Some(var)) => env(var).ok_or_else(|| AuthError::MissingEnv {
                    name: t.name.clone(),
                    var: var.clone(),
                })?,
                (None, None) => continue,
            };
            tokens = tokens.with(&t.name, t.scope, &value)?;
        }
        for (var, scope) in [
            (TRADE_TOKEN_ENV, Scope::Trade),
            (READ_TOKEN_ENV, Scope::Read),
        ] {
            if let Some(value) = env(var).filter(|v| !v.is_empty()) {
                tokens = tokens.with(var, scope, &value)?;
            }
        }
        Ok(tokens)
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// Refuses a non-loopback `addr` without tokens.
    ///
    /// # Errors
    ///
    /// [`AuthError::OpenToTheNetwork`].
    pub fn check_bind(&self, addr: SocketAddr) -> Result<(), AuthError> {
        if self.is_empty() && !addr.ip().is_loopback() {
            return Err(AuthError::OpenToTheNetwork(addr));
        }
        Ok(())
    }

    /// The scope of `token`, with its name, or `None` if it is not one of ours.
    pub fn scope_of(&self, token: &str) -> Option<(&str, Scope)> {
        let d = digest(token);
        // Comparing digests: timing reveals nothing about the token itself.
        self.known
            .iter()
            .find(|k| k.digest == d)
            .map(|k| (k.name.as_str(), k.scope))
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRADE: &str = "trade-token-0123456789";
    const READ: &str = "read-token-0123456789";

    #[test]
    fn scopes_order_read_below_trade() {
        assert!(Scope::Trade.allows(Scope::Read));
        assert!(Scope::Trade.allows(Scope::Trade));
        assert!(Scope::Read.allows(Scope::Read));
        assert!(!Scope::Read.allows(Scope::Trade));
    }

    #[test]
    fn tokens_resolve_from_config_and_environment() {
        let config = ApiConfig {
            tokens: vec![TokenConfig {
                name: "ops".into(),
                scope: Scope::Trade,
                token: None,
                env: Some("OPS".into()),
            }],
            ..ApiConfig::default()
        };
        let env = |var: &str| match var {
            "OPS" => Some(TRADE.to_owned()),
            READ_TOKEN_ENV => Some(READ.to_owned()),
            _ => None,
        };
        let tokens = Tokens::resolve(&config, env).unwrap();
        assert_eq!(tokens.scope_of(TRADE), Some(("ops", Scope::Trade)));
        assert_eq!(tokens.scope_of(READ), Some((READ_TOKEN_ENV, Scope::Read)));
        assert_eq!(tokens.scope_of("wrong-token-0123456789"), None);
        // Debug shows names and scopes, never a token.
        let shown = format!("{tokens:?} {config:?}");
        assert!(!shown.contains(TRADE) && !shown.contains(READ), "{shown}");
    }

    #[test]
    fn unresolvable_tokens_and_open_binds_are_refused() {
        let config = ApiConfig {
            tokens: vec![TokenConfig {
                name: "ops".into(),
                scope: Scope::Trade,
                token: None,
                env: Some("UNSET".into()),
            }],
            ..ApiConfig::default()
        };
        assert_eq!(
            Tokens::resolve(&config, |_| None).unwrap_err(),
            AuthError::MissingEnv {
                name: "ops".into(),
                var: "UNSET".into()
            }
        );
        assert_eq!(
            Tokens::none().with("x", Scope::Read, "short").unwrap_err(),
            AuthError::TooShort { name: "x".into() }
        );
        let public: SocketAddr = "0.0.0.0:5000".parse().unwrap();
        assert_eq!(
            Tokens::none().check_bind(public).unwrap_err(),
            AuthError::OpenToTheNetwork(public)
        );
        assert_eq!(
            Tokens::none().check_bind("127.0.0.1:5000".parse().unwrap()),
            Ok(())
        );
        let with = Tokens::none().with("t", Scope::Read, READ).unwrap();
        assert_eq!(with.check_bind(public), Ok(()));
    }

    #[test]
    fn config_problems_name_the_entry() {
        let config = ApiConfig {
            tokens: vec![
                TokenConfig {
                    name: "a".into(),
                    scope: Scope::Read,
                    token: Some(Secret::new("short")),
                    env: None,
                },
                TokenConfig {
                    name: "b".into(),
                    scope: Scope::Read,
                    token: None,
                    env: None,
                },
            ],
            ..ApiConfig::default()
        };
        assert_eq!(
            config.problems(),
            [
                "api.tokens[0] (name = \"a\"): the token is shorter than 16 characters",
                "api.tokens[1] (name = \"b\"): missing `token` or `env` (e.g. env = \"SANDTRADE_OPS_TOKEN\")",
            ]
        );
    }
}
