//! The versions of the `sandtrade:strategy` WIT package the host serves.
//!
//! A component is built against one version; the host links every served version side by side
//! (their interface names differ by version) and calls each component through the bindings of
//! its own. A component built against 0.1.0 therefore keeps loading and trading unchanged.

use std::fmt;

/// A version of `sandtrade:strategy` this host serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WitVersion {
    /// 0.1.0: market and limit day orders, one bar a call.
    V0_1,
    /// 0.2.0: protective order types, time in force, working orders and cancels, batches of
    /// bars, the data source of a bar.
    V0_2,
}

impl WitVersion {
    /// The version the SDKs build against.
    pub const NEWEST: Self = Self::V0_2;

    /// Every version served, newest first.
    pub const SERVED: [Self; 2] = [Self::V0_2, Self::V0_1];

    /// `0.2.0`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V0_1 => "0.1.0",
            Self::V0_2 => "0.2.0",
        }
    }

    /// The served version of `version` (`0.1.0`), if it is one.
    pub fn parse(version: &str) -> Option<Self> {
        Self::SERVED.into_iter().find(|v| v.as_str() == version)
    }

    /// Which version a component was built against, from its imports: the version of the
    /// first `sandtrade:strategy` interface it imports (`None` when it imports none, or only
    /// unserved versions).
    pub fn of_imports<'a>(imports: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        imports.into_iter().find_map(|name| {
            let version = name.strip_prefix("sandtrade:strategy/")?.split_once('@')?.1;
            Self::parse(version)
        })
    }
}

impl fmt::Display for WitVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_is_known_by_its_strategy_imports() {
        let old = ["wasi:io/poll@0.2.6", "sandtrade:strategy/types@0.1.0"];
        assert_eq!(WitVersion::of_imports(old), Some(WitVersion::V0_1));
        let new = ["sandtrade:strategy/host@0.2.0"];
        assert_eq!(WitVersion::of_imports(new), Some(WitVersion::V0_2));
        assert_eq!(WitVersion::of_imports(["wasi:io/poll@0.2.6"]), None);
        assert_eq!(
            WitVersion::of_imports(["sandtrade:strategy/host@0.3.0"]),
            None
        );
    }
}
