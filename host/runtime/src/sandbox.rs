//! What a strategy may import: the sandbox's grant list, checked before anything is linked.
//!
//! A Rust `wasm32-wasip2` strategy that does no I/O imports only `wasi:io` (streams behind its
//! stdout/stderr), pieces of `wasi:cli` (stdio, environment, exit, terminal queries) and, when it
//! uses a `HashMap` or a seeded RNG, `wasi:random`. Those are granted, with nothing behind them:
//! no environment, no arguments, stdin closed, stdout/stderr into the host log, randomness from a
//! deterministic per-strategy seed. Everything else — files, sockets, clocks, HTTP — is refused
//! when the file is loaded, with a message that names the import and what in the code causes it.

use std::fmt;

/// Interfaces granted to every strategy, by `package/interface` (any `0.2.x` version).
const GRANTED_WASI: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
];

/// The WASI version family the host implements (wasmtime links any `0.2.x` to its own).
const WASI_VERSION_PREFIX: &str = "0.2.";

/// The interfaces of our own WIT package.
const STRATEGY_PACKAGE: &str = "sandtrade:strategy/";

/// An import the sandbox does not grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedImport {
    /// The import as the component names it, e.g. `wasi:filesystem/types@0.2.6`.
    pub name: String,
}

impl RefusedImport {
    /// What usually causes this import in Rust code, and what to do instead.
    pub fn hint(&self) -> &'static str {
        let package = self.name.split('/').next().unwrap_or_default();
        match package {
            "wasi:filesystem" => "strategies get no files: remove std::fs / std::path I/O",
            "wasi:sockets" => "strategies get no network: remove std::net and network crates",
            "wasi:clocks" => {
                "strategies get no clock of their own: use sandtrade_guest::now_ms() instead of \
                 SystemTime::now() / Instant::now()"
            }
            "wasi:http" => "strategies get no network: remove HTTP clients",
            _ if package.starts_with("sandtrade:strategy") => {
                "built against another version of the sandtrade:strategy WIT: rebuild with this \
                 host's sandtrade-guest"
            }
            _ => "the host grants only wasi:io, wasi:cli (stdio) and wasi:random",
        }
    }
}

impl fmt::Display for RefusedImport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imports `{}`, which is not granted ({})",
            self.name,
            self.hint()
        )
    }
}

/// Whether the sandbox grants the import `name` (as a component names it, with its version).
pub fn is_granted(name: &str) -> bool {
    let (interface, version) = name.split_once('@').unwrap_or((name, ""));
    if let Some(name) = interface.strip_prefix(STRATEGY_PACKAGE) {
        // Exact version: the host's bindings are for this WIT only.
        return version == crate::WIT_VERSION && matches!(name, "host" | "types");
    }
    version.starts_with(WASI_VERSION_PREFIX) && GRANTED_WASI.contains(&interface)
}

/// Every import in `imports` that is not granted, in the order given.
pub fn refused<'a>(imports: impl IntoIterator<Item = &'a str>) -> Vec<RefusedImport> {
    imports
        .into_iter()
        .filter(|name| !is_granted(name))
        .map(|name| RefusedImport {
            name: name.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_rust_guest_is_granted_everything_it_imports() {
        let imports = [
            "wasi:io/error@0.2.6",
            "wasi:io/streams@0.2.6",
            "wasi:cli/environment@0.2.6",
            "wasi:cli/exit@0.2.6",
            "wasi:cli/stderr@0.2.6",
            "wasi:cli/terminal-stdout@0.2.6",
            "wasi:random/insecure-seed@0.2.0",
            "sandtrade:strategy/types@0.1.0",
            "sandtrade:strategy/host@0.1.0",
        ];
        assert_eq!(refused(imports), []);
    }

    #[test]
    fn files_sockets_clocks_are_refused_with_a_hint() {
        let imports = [
            "wasi:io/streams@0.2.6",
            "wasi:filesystem/types@0.2.6",
            "wasi:sockets/tcp@0.2.6",
            "wasi:clocks/wall-clock@0.2.6",
        ];
        let refused = refused(imports);
        let names: Vec<&str> = refused.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "wasi:filesystem/types@0.2.6",
                "wasi:sockets/tcp@0.2.6",
                "wasi:clocks/wall-clock@0.2.6"
            ]
        );
        assert_eq!(
            refused[0].to_string(),
            "imports `wasi:filesystem/types@0.2.6`, which is not granted (strategies get no \
             files: remove std::fs / std::path I/O)"
        );
        assert!(refused[2].hint().contains("now_ms()"));
    }

    #[test]
    fn other_wit_versions_and_wasi_03_are_refused() {
        assert!(!is_granted("sandtrade:strategy/host@0.2.0"));
        assert!(!is_granted("sandtrade:strategy/other@0.1.0"));
        assert!(!is_granted("wasi:io/streams@0.3.0"));
        assert!(!is_granted("wasi:io/streams"));
        assert!(!is_granted("my:own/thing@1.0.0"));
    }
}
