//! Reading and writing NUL-separated text fields.

use bytes::{BufMut, BytesMut};

use crate::messages::{ContractFields, DecodeError, format_decimal};

/// IB's "unset" double as TWS writes it in text.
pub const UNSET_DOUBLE: &str = "1.7976931348623157E308";

/// The fields of one client frame, read front to back.
pub struct Reader<'a> {
    fields: Vec<&'a str>,
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Splits a frame body; the trailing NUL leaves no extra field.
    pub fn new(body: &'a [u8]) -> Result<Self, DecodeError> {
        let text =
            std::str::from_utf8(body).map_err(|_| DecodeError("text frame is not UTF-8".into()))?;
        let text = text.strip_suffix('\0').unwrap_or(text);
        Ok(Self {
            fields: text.split('\0').collect(),
            pos: 0,
        })
    }

    /// The next field; a missing one is an error naming `what`.
    pub fn str(&mut self, what: &str) -> Result<&'a str, DecodeError> {
        let field = self.fields.get(self.pos).copied();
        self.pos += 1;
        field.ok_or_else(|| DecodeError(format!("message ends before {what}")))
    }

    /// The next field, or empty when the message ended (optional trailing fields).
    pub fn str_or_empty(&mut self) -> &'a str {
        let field = self.fields.get(self.pos).copied().unwrap_or("");
        self.pos += 1;
        field
    }

    /// The next field as an int (empty: 0).
    pub fn int(&mut self, what: &str) -> Result<i32, DecodeError> {
        let text = self.str(what)?;
        if text.is_empty() {
            return Ok(0);
        }
        text.parse()
            .map_err(|_| DecodeError(format!("{what} {text:?} is not an integer")))
    }

    /// The next field as a number (empty or IB's unset: `None`).
    pub fn float(&mut self, what: &str) -> Result<Option<f64>, DecodeError> {
        let text = self.str(what)?;
        if text.is_empty() {
            return Ok(None);
        }
        let value: f64 = text
            .parse()
            .map_err(|_| DecodeError(format!("{what} {text:?} is not a number")))?;
        Ok((value.is_finite() && value != f64::MAX).then_some(value))
    }

    /// The next field as a flag (`1`/`true`).
    pub fn bool(&mut self, what: &str) -> Result<bool, DecodeError> {
        let text = self.str(what)?;
        Ok(matches!(text, "1" | "true" | "True"))
    }

    /// Skips `n` fields.
    pub fn skip(&mut self, n: usize) {
        self.pos += n;
    }

    /// The 12-field contract block of requests: conId, symbol, secType, lastTradeDate, strike,
    /// right, multiplier, exchange, primaryExchange, currency, localSymbol, tradingClass.
    pub fn contract(&mut self) -> Result<ContractFields, DecodeError> {
        let con_id = self.int("conId")?;
        let symbol = self.str("symbol")?.to_string();
        let sec_type = self.str("secType")?.to_string();
        // lastTradeDate, strike, right, multiplier: requests name stocks, the only contracts
        // the simulator trades.
        self.skip(4);
        Ok(ContractFields {
            con_id,
            symbol,
            sec_type,
            exchange: self.str("exchange")?.to_string(),
            primary_exchange: self.str("primaryExchange")?.to_string(),
            currency: self.str("currency")?.to_string(),
            local_symbol: self.str("localSymbol")?.to_string(),
            trading_class: self.str("tradingClass")?.to_string(),
            ..ContractFields::default()
        })
    }
}

/// One outgoing text message being built.
pub struct Writer {
    body: Vec<u8>,
}

impl Writer {
    /// A message starting with its id.
    pub fn new(msg_id: i32) -> Self {
        let mut w = Self {
            body: Vec::with_capacity(128),
        };
        w.int(msg_id);
        w
    }

    /// A string field.
    pub fn str(&mut self, value: &str) -> &mut Self {
        self.body.extend_from_slice(value.as_bytes());
        self.body.push(0);
        self
    }

    /// Several empty fields (unset values the clients read as defaults).
    pub fn empty(&mut self, n: usize) -> &mut Self {
        for _ in 0..n {
            self.body.push(0);
        }
        self
    }

    /// An integer field.
    pub fn int(&mut self, value: impl Into<i64>) -> &mut Self {
        self.str(&value.into().to_string())
    }

    /// A price or amount.
    pub fn float(&mut self, value: f64) -> &mut Self {
        if value == f64::MAX {
            self.str(UNSET_DOUBLE)
        } else {
            self.str(&value.to_string())
        }
    }

    /// An optional price (`None`: IB's unset double).
    pub fn opt_float(&mut self, value: Option<f64>) -> &mut Self {
        self.float(value.unwrap_or(f64::MAX))
    }

    /// A quantity (`100`, never `100.0`).
    pub fn decimal(&mut self, value: f64) -> &mut Self {
        self.str(&format_decimal(value))
    }

    /// A flag as `0`/`1`.
    pub fn bool(&mut self, value: bool) -> &mut Self {
        self.str(if value { "1" } else { "0" })
    }

    /// The 11-field contract of most responses: conId, symbol, secType, lastTradeDate, strike,
    /// right, multiplier, exchange, currency, localSymbol, tradingClass.
    pub fn contract(&mut self, c: &ContractFields, exchange: &str) -> &mut Self {
        self.int(c.con_id)
            .str(&c.symbol)
            .str(&c.sec_type)
            .str(&c.last_trade_date_or_contract_month)
            .float(c.strike)
            .str(&c.right)
            .str(&c.multiplier);
        self.str(exchange)
            .str(&c.currency)
            .str(&c.local_symbol)
            .str(&c.trading_class)
    }

    /// Appends the framed message (`[len]` + fields) to `out`.
    pub fn finish(&self, out: &mut BytesMut) {
        out.reserve(4 + self.body.len());
        // A text message is a few hundred bytes at most; a historical answer a few hundred KiB.
        out.put_u32(self.body.len() as u32);
        out.put_slice(&self.body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_the_contract_block() {
        let fields = [
            "9", "8", "42", "0", "AAPL", "STK", "", "0", "", "", "SMART", "", "USD", "", "", "0",
            "", "", "",
        ];
        let body = format!("{}\0", fields.join("\0"));
        let mut r = Reader::new(body.as_bytes()).expect("utf8");
        assert_eq!(
            (r.int("id").ok(), r.int("version").ok(), r.int("reqId").ok()),
            (Some(9), Some(8), Some(42))
        );
        let c = r.contract().expect("contract");
        assert_eq!(
            (
                c.symbol.as_str(),
                c.sec_type.as_str(),
                c.exchange.as_str(),
                c.currency.as_str()
            ),
            ("AAPL", "STK", "SMART", "USD")
        );
        assert!(!r.bool("includeExpired").expect("flag"));
        assert_eq!(r.float("x").expect("empty"), None);
        r.skip(2);
        assert!(r.str("past the end").is_err());
    }

    #[test]
    fn writes_a_framed_message() {
        let mut w = Writer::new(9);
        w.int(1).int(42);
        let mut out = BytesMut::new();
        w.finish(&mut out);
        assert_eq!(&out[..], b"\0\0\0\x079\x001\x0042\x00");
        let mut w = Writer::new(1);
        w.float(190.5).opt_float(None).decimal(100.0).bool(true);
        let mut out = BytesMut::new();
        w.finish(&mut out);
        assert_eq!(
            &out[4..],
            b"1\x00190.5\x001.7976931348623157E308\x00100\x001\x00"
        );
    }
}
