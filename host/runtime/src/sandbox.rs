//! What a strategy may import: the sandbox's grant lists, checked before anything is linked.
//!
//! A Rust `wasm32-wasip2` strategy that does no I/O imports only `wasi:io` (streams behind its
//! stdout/stderr), pieces of `wasi:cli` (stdio, environment, exit, terminal queries) and, when it
//! uses a `HashMap` or a seeded RNG, `wasi:random`. Those are granted, with nothing behind them:
//! no environment, no arguments, stdin closed, stdout/stderr into the host log, randomness from a
//! deterministic per-strategy seed. Under the default, [`WasiProfile::Strict`], everything else
//! — files, sockets, clocks, HTTP — is refused when the file is loaded, with a message that
//! names the import and what in the code causes it.
//!
//! A strategy written in Python carries a whole language runtime, which imports files, sockets
//! and clocks at start whether the strategy uses them or not. A component that declares
//! [`WasiProfile::Inert`] (`sandtrade build` marks Python builds, see [`crate::profile`]) may
//! import those too; they are linked so that they reach nothing: no directory is preopened, so
//! no file can be named; creating a socket fails with `access-denied` and name lookups fail;
//! the clocks read the host clock ([`crate::Desk::now_ms`], the replay time in a backtest) and
//! a wait on them returns at once. Inert grants nothing a strict strategy lacks: it only turns
//! a refusal at load into an error inside the guest.

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

/// Interfaces a component under [`WasiProfile::Inert`] may import as well, linked to reach
/// nothing (see the module's documentation), with what each gives.
const INERT_WASI: &[(&str, &str)] = &[
    (
        "wasi:clocks/wall-clock",
        "reads the host clock (the replay time in a backtest)",
    ),
    (
        "wasi:clocks/monotonic-clock",
        "counts the host clock from its first reading; a wait on it returns at once",
    ),
    (
        "wasi:filesystem/types",
        "no file can be opened: nothing is preopened",
    ),
    ("wasi:filesystem/preopens", "lists no directory"),
    ("wasi:sockets/network", "no address is reachable"),
    ("wasi:sockets/instance-network", "no address is reachable"),
    ("wasi:sockets/tcp", "no socket can be created"),
    (
        "wasi:sockets/tcp-create-socket",
        "creating a socket fails: access-denied",
    ),
    ("wasi:sockets/udp", "no socket can be created"),
    (
        "wasi:sockets/udp-create-socket",
        "creating a socket fails: access-denied",
    ),
    ("wasi:sockets/ip-name-lookup", "every lookup fails"),
];

/// How the sandbox links a component's WASI imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WasiProfile {
    /// Only the granted interfaces; any other import refuses the component at load. The
    /// default, and what every Rust strategy gets.
    #[default]
    Strict,
    /// The granted interfaces, plus files, sockets and clocks linked inert. For components
    /// whose language runtime imports them though the strategy never needs them (Python).
    Inert,
}

impl WasiProfile {
    /// The profile's name, as `sandtrade check` prints it and the component declares it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::Inert => "inert",
        }
    }
}

impl fmt::Display for WasiProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An import linked inert, and what it gives the strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InertImport {
    /// The import as the component names it, e.g. `wasi:filesystem/types@0.2.9`.
    pub name: String,
    /// What a call to it does, e.g. "no file can be opened: nothing is preopened".
    pub gives: &'static str,
}

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

    /// Whether the inert profile would link this import (it is refused only under strict).
    pub fn is_inert_capable(&self) -> bool {
        inert_gives(&self.name).is_some()
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
        // Exact versions: the host has bindings for each version it serves, and no other.
        return crate::WitVersion::parse(version).is_some() && matches!(name, "host" | "types");
    }
    version.starts_with(WASI_VERSION_PREFIX) && GRANTED_WASI.contains(&interface)
}

/// What the inert profile links for the import `name`, if it is one it links inert.
fn inert_gives(name: &str) -> Option<&'static str> {
    let (interface, version) = name.split_once('@')?;
    if !version.starts_with(WASI_VERSION_PREFIX) {
        return None;
    }
    INERT_WASI
        .iter()
        .find(|(inert, _)| *inert == interface)
        .map(|(_, gives)| *gives)
}

/// Whether `profile` lets a component import `name`: granted, or linked inert.
fn allows(profile: WasiProfile, name: &str) -> bool {
    is_granted(name) || (profile == WasiProfile::Inert && inert_gives(name).is_some())
}

/// Every import in `imports` that `profile` does not allow, in the order given.
pub fn refused<'a>(
    imports: impl IntoIterator<Item = &'a str>,
    profile: WasiProfile,
) -> Vec<RefusedImport> {
    imports
        .into_iter()
        .filter(|name| !allows(profile, name))
        .map(|name| RefusedImport {
            name: name.to_owned(),
        })
        .collect()
}

/// The imports in `imports` that `profile` links inert, with what each gives.
pub fn linked_inert<'a>(
    imports: impl IntoIterator<Item = &'a str>,
    profile: WasiProfile,
) -> Vec<InertImport> {
    if profile == WasiProfile::Strict {
        return Vec::new();
    }
    imports
        .into_iter()
        .filter(|name| !is_granted(name))
        .filter_map(|name| {
            inert_gives(name).map(|gives| InertImport {
                name: name.to_owned(),
                gives,
            })
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
            "sandtrade:strategy/types@0.2.0",
            "sandtrade:strategy/host@0.2.0",
        ];
        assert_eq!(refused(imports, WasiProfile::Strict), []);
    }

    #[test]
    fn files_sockets_clocks_are_refused_with_a_hint() {
        let imports = [
            "wasi:io/streams@0.2.6",
            "wasi:filesystem/types@0.2.6",
            "wasi:sockets/tcp@0.2.6",
            "wasi:clocks/wall-clock@0.2.6",
        ];
        let refused = refused(imports, WasiProfile::Strict);
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
        // Both versions served are granted; any other is not.
        assert!(is_granted("sandtrade:strategy/host@0.1.0"));
        assert!(is_granted("sandtrade:strategy/host@0.2.0"));
        assert!(!is_granted("sandtrade:strategy/host@0.3.0"));
        assert!(!is_granted("sandtrade:strategy/other@0.1.0"));
        assert!(!is_granted("wasi:io/streams@0.3.0"));
        assert!(!is_granted("wasi:io/streams"));
        assert!(!is_granted("my:own/thing@1.0.0"));
    }

    #[test]
    fn the_inert_profile_links_files_sockets_and_clocks_and_nothing_else() {
        let imports = [
            "wasi:io/streams@0.2.9",
            "wasi:filesystem/preopens@0.2.9",
            "wasi:sockets/tcp-create-socket@0.2.9",
            "wasi:clocks/monotonic-clock@0.2.9",
            "wasi:http/outgoing-handler@0.2.9",
            "wasi:filesystem/types@0.3.0",
        ];
        let names: Vec<String> = refused(imports, WasiProfile::Inert)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(
            names,
            [
                "wasi:http/outgoing-handler@0.2.9",
                "wasi:filesystem/types@0.3.0"
            ]
        );
        let inert = linked_inert(imports, WasiProfile::Inert);
        let names: Vec<&str> = inert.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "wasi:filesystem/preopens@0.2.9",
                "wasi:sockets/tcp-create-socket@0.2.9",
                "wasi:clocks/monotonic-clock@0.2.9"
            ]
        );
        assert_eq!(inert[1].gives, "creating a socket fails: access-denied");
        assert!(linked_inert(imports, WasiProfile::Strict).is_empty());
        assert_eq!(refused(imports, WasiProfile::Strict).len(), 5);
    }
}
