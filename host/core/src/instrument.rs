//! Instruments, their markets, and symbol normalization: from what a strategy or an operator
//! writes to an IB contract.
//!
//! Accepted forms:
//!
//! - **US**: a ticker of 1–5 ASCII letters, optionally followed by one `.`, `-` or space and a
//!   1–2 letter share class: `AAPL`, `aapl`, `BRK.B`, `BRK-B`, `BRK B`. Letters are uppercased;
//!   the letters must be all upper or all lower case (a mixed-case string such as `NaN` or
//!   `Aapl` is far more likely a bug than a ticker). The class separator becomes a space, which
//!   is how IB spells class shares in a contract symbol (`BRK B`).
//! - **HK**: a stock code of 1–5 digits, optionally followed by `.HK` (any case): `0700.HK`,
//!   `700.hk`, `00700`, `0700`, `700` are all contract symbol `700` (leading zeros stripped; an
//!   all-zero code is invalid).
//!
//! Surrounding whitespace is ignored. Everything else is `unknown-symbol`.
//! Normalization is idempotent: `normalize(&normalize(s)?.symbol) == normalize(s)`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::signal::{RejectCode, Rejection};

/// Longest input looked at; longer strings are refused without further parsing.
const MAX_RAW_LEN: usize = 16;
/// How much of a refused input is quoted back in the message.
const QUOTE_CHARS: usize = 32;

/// The accepted forms, for messages.
pub const ACCEPTED_FORMS: &str =
    r#"a US ticker like "AAPL" or "BRK.B", or an HK code like "0700.HK", "00700" or "700""#;

/// Which market a symbol trades in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Market {
    /// US stocks, e.g. `AAPL`: SMART routing, USD.
    UsStock,
    /// Hong Kong stocks, e.g. `0700.HK`: SEHK, HKD, board lots.
    HkStock,
}

impl Market {
    /// The kebab-case WIT name (`us-stock`, `hk-stock`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UsStock => "us-stock",
            Self::HkStock => "hk-stock",
        }
    }
}

impl fmt::Display for Market {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tradable contract as IB knows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Instrument {
    /// IB contract symbol: `AAPL`, `BRK B` or `700` (canonical, see the module docs).
    pub symbol: String,
    /// The market the symbol trades in.
    pub market: Market,
    /// IB exchange to route to: `SMART` for US stocks, `SEHK` for HK stocks.
    pub exchange: &'static str,
    /// IB primary exchange, when it is needed to disambiguate a SMART-routed contract.
    /// Normalization cannot know it, so it is always `None` here; the broker may fill it in.
    pub primary_exchange: Option<&'static str>,
    /// Currency of prices and notionals: `USD` or `HKD`.
    pub currency: &'static str,
}

impl Instrument {
    fn us(symbol: String) -> Self {
        Self {
            symbol,
            market: Market::UsStock,
            exchange: "SMART",
            primary_exchange: None,
            currency: "USD",
        }
    }

    fn hk(code: &str) -> Self {
        Self {
            symbol: code.to_owned(),
            market: Market::HkStock,
            exchange: "SEHK",
            primary_exchange: None,
            currency: "HKD",
        }
    }

    /// Whether this is a Hong Kong stock (traded in board lots).
    pub fn is_hk(&self) -> bool {
        self.market == Market::HkStock
    }
}

impl fmt::Display for Instrument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.symbol)
    }
}

/// Normalizes a symbol in any accepted form (see the module docs) to its [`Instrument`].
///
/// # Errors
///
/// `unknown-symbol`, with a message that quotes the input and shows the accepted forms.
pub fn normalize(raw: &str) -> Result<Instrument, Rejection> {
    parse(raw.trim()).ok_or_else(|| unknown_symbol(raw))
}

fn parse(s: &str) -> Option<Instrument> {
    if s.is_empty() || s.len() > MAX_RAW_LEN || !s.is_ascii() {
        return None;
    }
    if let Some(code) = strip_hk_suffix(s) {
        return parse_hk(code);
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return parse_hk(s);
    }
    parse_us(s)
}

/// `s` without a trailing `.HK` (any case), if it has one. `s` is ASCII.
fn strip_hk_suffix(s: &str) -> Option<&str> {
    let split = s.len().checked_sub(3)?;
    let (head, tail) = s.split_at(split);
    tail.eq_ignore_ascii_case(".HK").then_some(head)
}

fn parse_hk(digits: &str) -> Option<Instrument> {
    if !(1..=5).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = digits.trim_start_matches('0');
    (!code.is_empty()).then(|| Instrument::hk(code))
}

fn parse_us(s: &str) -> Option<Instrument> {
    let (base, class) = match s.find(['.', '-', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let letters = |part: &str, max: usize| {
        (1..=max).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphabetic())
    };
    if !letters(base, 5) || !class.is_none_or(|c| letters(c, 2)) {
        return None;
    }
    let all_letters = || base.bytes().chain(class.unwrap_or("").bytes());
    let consistent_case = all_letters().all(|b| b.is_ascii_uppercase())
        || all_letters().all(|b| b.is_ascii_lowercase());
    if !consistent_case {
        return None;
    }
    let mut symbol = base.to_ascii_uppercase();
    if let Some(class) = class {
        symbol.push(' ');
        symbol.push_str(&class.to_ascii_uppercase());
    }
    Some(Instrument::us(symbol))
}

fn unknown_symbol(raw: &str) -> Rejection {
    let mut quoted: String = raw.chars().take(QUOTE_CHARS).collect();
    if quoted.len() < raw.len() {
        quoted.push('…');
    }
    Rejection::new(
        RejectCode::UnknownSymbol,
        format!("unknown symbol {quoted:?}: expected {ACCEPTED_FORMS}"),
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sym(raw: &str) -> (String, Market) {
        let i = normalize(raw).unwrap_or_else(|r| panic!("{raw:?} refused: {r}"));
        (i.symbol, i.market)
    }

    #[test]
    fn us_tickers_are_uppercased_and_trimmed() {
        assert_eq!(sym("AAPL"), ("AAPL".into(), Market::UsStock));
        assert_eq!(sym("aapl"), ("AAPL".into(), Market::UsStock));
        assert_eq!(sym("  msft\t"), ("MSFT".into(), Market::UsStock));
        assert_eq!(sym("F"), ("F".into(), Market::UsStock));
        assert_eq!(sym("GOOGL"), ("GOOGL".into(), Market::UsStock));
    }

    #[test]
    fn us_class_shares_use_ib_space_form() {
        for raw in ["BRK.B", "BRK-B", "BRK B", "brk.b", " brk-b "] {
            assert_eq!(sym(raw), ("BRK B".into(), Market::UsStock), "{raw}");
        }
    }

    #[test]
    fn us_instrument_routes_smart_in_usd() {
        let i = normalize("AAPL").unwrap();
        assert_eq!(
            i,
            Instrument {
                symbol: "AAPL".into(),
                market: Market::UsStock,
                exchange: "SMART",
                primary_exchange: None,
                currency: "USD",
            }
        );
        assert!(!i.is_hk());
    }

    #[test]
    fn hk_forms_all_normalize_to_700() {
        for raw in [
            "0700.HK",
            "00700",
            "700",
            "0700",
            "700.HK",
            "700.hk",
            "0700.Hk",
            " 00700.HK ",
        ] {
            let i = normalize(raw).unwrap_or_else(|r| panic!("{raw:?}: {r}"));
            assert_eq!(
                i,
                Instrument {
                    symbol: "700".into(),
                    market: Market::HkStock,
                    exchange: "SEHK",
                    primary_exchange: None,
                    currency: "HKD",
                },
                "{raw}"
            );
            assert!(i.is_hk());
        }
    }

    #[test]
    fn hk_single_digit_and_five_digit_codes() {
        assert_eq!(sym("5"), ("5".into(), Market::HkStock));
        assert_eq!(sym("0005.HK"), ("5".into(), Market::HkStock));
        assert_eq!(sym("09988"), ("9988".into(), Market::HkStock));
        assert_eq!(sym("99999"), ("99999".into(), Market::HkStock));
    }

    #[test]
    fn garbage_is_unknown_symbol() {
        for raw in [
            "",
            "   ",
            "AAPL.HK",
            "12345678",
            "000000",
            "0",
            "00000.HK",
            ".HK",
            "A1",
            "NaN",
            "Aapl",
            "brk.B",
            "TOOLONG",
            "BRK.",
            "BRK..B",
            "BRK.BBB",
            "-B",
            "ÄPFEL",
            "AAPL\u{0}",
            "7 00",
            "700.HK.HK",
            "1.5",
            "+700",
            "-700",
        ] {
            let r = normalize(raw).expect_err(raw);
            assert_eq!(r.code, RejectCode::UnknownSymbol, "{raw}");
        }
    }

    #[test]
    fn unknown_symbol_message_quotes_input_and_shows_forms() {
        let r = normalize("AAPL.HK").unwrap_err();
        assert_eq!(
            r.message,
            r#"unknown symbol "AAPL.HK": expected a US ticker like "AAPL" or "BRK.B", or an HK code like "0700.HK", "00700" or "700""#
        );
    }

    #[test]
    fn unknown_symbol_message_truncates_long_input() {
        let raw = "X".repeat(10_000);
        let r = normalize(&raw).unwrap_err();
        assert!(r.message.len() < 200, "{}", r.message);
        assert!(r.message.contains(&format!("\"{}…\"", "X".repeat(32))));
    }

    proptest! {
        #[test]
        fn normalize_is_idempotent(raw in "[ ]{0,2}[a-zA-Z0-9.\\- ]{0,8}(\\.[hH][kK])?[ ]{0,2}") {
            if let Ok(first) = normalize(&raw) {
                let second = normalize(&first.symbol).expect("own output must be accepted");
                prop_assert_eq!(second, first);
            }
        }

        #[test]
        fn hk_codes_strip_leading_zeros(code in 1u32..=99_999, pad in 0usize..5, suffix in prop::bool::ANY) {
            let digits = format!("{code:0width$}", width = (code.to_string().len() + pad).min(5));
            let raw = if suffix { format!("{digits}.HK") } else { digits };
            let i = normalize(&raw).unwrap();
            prop_assert_eq!(i.symbol, code.to_string());
            prop_assert_eq!(i.market, Market::HkStock);
        }
    }
}
