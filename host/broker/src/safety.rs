//! Paper or live: the mode is declared, and the port and the account must agree with it.
//!
//! Checked twice: on the configuration ([`check_config`], before anything connects) and at
//! every connect against the accounts IB itself reports ([`check_accounts`]), so a paper
//! config pointed at a live gateway on a non-standard port is still refused.

use std::fmt;
use std::str::FromStr;

/// Whether orders go to a paper (simulated) or a live (real money) account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TradingMode {
    /// IB's paper trading account (`DU…`).
    Paper,
    /// A real account. Needs `sandtrade run --live`.
    Live,
}

impl TradingMode {
    /// `paper` or `live`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Paper => "paper",
            Self::Live => "live",
        }
    }
}

impl fmt::Display for TradingMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `mode` that is neither `paper` nor `live`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode {0:?}: expected \"paper\" or \"live\"")]
pub struct UnknownMode(pub String);

impl FromStr for TradingMode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "paper" => Ok(Self::Paper),
            "live" => Ok(Self::Live),
            other => Err(UnknownMode(other.to_owned())),
        }
    }
}

/// What a standard port says about the mode, with the application's name.
fn port_mode(port: u16) -> Option<(TradingMode, &'static str)> {
    match port {
        7496 => Some((TradingMode::Live, "TWS's live port")),
        4001 => Some((TradingMode::Live, "IB Gateway's live port")),
        7497 => Some((TradingMode::Paper, "TWS's paper port")),
        4002 => Some((TradingMode::Paper, "IB Gateway's paper port")),
        _ => None,
    }
}

/// Whether `account` is a paper account: IB's paper accounts start with `D` (`DU1234567`).
pub fn is_paper_account(account: &str) -> bool {
    account.starts_with('D')
}

/// The mode an account id implies.
pub fn account_mode(account: &str) -> TradingMode {
    if is_paper_account(account) {
        TradingMode::Paper
    } else {
        TradingMode::Live
    }
}

/// The configuration's contradictions: a standard port or the account prefix that says the
/// other mode. Empty when they agree (a non-standard port says nothing, and neither does an
/// empty account: one that is missing or invalid was reported as such already).
pub fn check_config(mode: TradingMode, port: u16, account: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some((port_says, what)) = port_mode(port)
        && port_says != mode
    {
        let expected = match mode {
            TradingMode::Paper => "paper ports: 7497 TWS, 4002 IB Gateway",
            TradingMode::Live => "live ports: 7496 TWS, 4001 IB Gateway",
        };
        problems.push(format!(
            "ib.port = {port} is {what}, but mode = \"{mode}\" ({expected})"
        ));
    }
    if !account.is_empty() && account_mode(account) != mode {
        problems.push(match mode {
            TradingMode::Paper => format!(
                "ib.account = {account:?} is not a paper account (paper accounts start with \
                 \"D\", e.g. \"DU1234567\"), but mode = \"paper\""
            ),
            TradingMode::Live => {
                format!("ib.account = {account:?} is a paper account, but mode = \"live\"")
            }
        });
    }
    problems
}

/// Why a connection was refused after IB said who it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountRefusal {
    /// The configured account is not among the connection's managed accounts.
    #[error("account {account:?} is not managed by this IB login (it manages: {managed})")]
    NotManaged {
        /// The configured account.
        account: String,
        /// What IB reported, comma-separated.
        managed: String,
    },
    /// The accounts IB reports are of the other mode.
    #[error(
        "IB reports {kind} accounts ({managed}) but mode = \"{mode}\": refusing to trade; \
         check the port and the login"
    )]
    WrongMode {
        /// The configured mode.
        mode: TradingMode,
        /// `paper` or `live`, what the accounts are.
        kind: TradingMode,
        /// What IB reported, comma-separated.
        managed: String,
    },
}

/// Checks the accounts IB reported at connect (`managedAccounts`) against the configuration:
/// the account must be one of them, and every one must be of the configured mode (a login
/// that mixes paper and live accounts does not exist at IB; a mismatch means the wrong
/// gateway).
///
/// # Errors
///
/// An [`AccountRefusal`]; the host must not trade on this connection.
pub fn check_accounts(
    mode: TradingMode,
    account: &str,
    managed: &[String],
) -> Result<(), AccountRefusal> {
    let list = managed.join(",");
    if let Some(other) = managed.iter().find(|a| account_mode(a) != mode) {
        return Err(AccountRefusal::WrongMode {
            mode,
            kind: account_mode(other),
            managed: list,
        });
    }
    if !managed.iter().any(|a| a == account) {
        return Err(AccountRefusal::NotManaged {
            account: account.to_owned(),
            managed: list,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_ports_and_prefixes() {
        assert!(check_config(TradingMode::Paper, 7497, "DU1").is_empty());
        assert!(check_config(TradingMode::Paper, 4002, "DU1").is_empty());
        assert!(check_config(TradingMode::Live, 7496, "U1").is_empty());
        assert!(check_config(TradingMode::Live, 4001, "U1").is_empty());
        assert!(check_config(TradingMode::Paper, 4242, "DU1").is_empty());
        assert_eq!(check_config(TradingMode::Paper, 4001, "DU1").len(), 1);
        assert_eq!(check_config(TradingMode::Live, 7497, "DU1").len(), 2);
        assert!(check_config(TradingMode::Paper, 4002, "").is_empty());
    }

    #[test]
    fn accounts_reported_by_ib_must_match() {
        let managed = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_accounts(TradingMode::Paper, "DU1", &managed(&["DU1", "DU2"])),
            Ok(())
        );
        assert_eq!(
            check_accounts(TradingMode::Paper, "DU3", &managed(&["DU1"]))
                .unwrap_err()
                .to_string(),
            "account \"DU3\" is not managed by this IB login (it manages: DU1)"
        );
        assert_eq!(
            check_accounts(TradingMode::Paper, "DU1", &managed(&["U9"]))
                .unwrap_err()
                .to_string(),
            "IB reports live accounts (U9) but mode = \"paper\": refusing to trade; check the \
             port and the login"
        );
    }
}
