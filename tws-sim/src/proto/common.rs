//! Pieces shared by every family: `Contract`, empty and reqId-only messages.

use crate::messages::ContractFields;

/// `Contract` (the tags the simulator reads or writes; prost skips the rest).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Contract {
    #[prost(int32, optional, tag = "1")]
    pub con_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub symbol: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub sec_type: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub last_trade_date_or_contract_month: Option<String>,
    #[prost(double, optional, tag = "5")]
    pub strike: Option<f64>,
    #[prost(string, optional, tag = "6")]
    pub right: Option<String>,
    #[prost(double, optional, tag = "7")]
    pub multiplier: Option<f64>,
    #[prost(string, optional, tag = "8")]
    pub exchange: Option<String>,
    #[prost(string, optional, tag = "9")]
    pub primary_exch: Option<String>,
    #[prost(string, optional, tag = "10")]
    pub currency: Option<String>,
    #[prost(string, optional, tag = "11")]
    pub local_symbol: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub trading_class: Option<String>,
}

impl Contract {
    /// Encodes a contract, leaving empty strings and a zero conId absent (clients test presence).
    pub fn from_fields(c: &ContractFields) -> Self {
        Self {
            con_id: (c.con_id != 0).then_some(c.con_id),
            symbol: non_empty(&c.symbol),
            sec_type: non_empty(&c.sec_type),
            last_trade_date_or_contract_month: non_empty(&c.last_trade_date_or_contract_month),
            strike: (c.strike != 0.0).then_some(c.strike),
            right: non_empty(&c.right),
            // A double on this dialect's wire; a stock's empty multiplier stays absent.
            multiplier: c.multiplier.parse().ok(),
            exchange: non_empty(&c.exchange),
            primary_exch: non_empty(&c.primary_exchange),
            currency: non_empty(&c.currency),
            local_symbol: non_empty(&c.local_symbol),
            trading_class: non_empty(&c.trading_class),
        }
    }

    /// The fields a request names.
    pub fn into_fields(self) -> ContractFields {
        ContractFields {
            con_id: self.con_id.unwrap_or_default(),
            symbol: self.symbol.unwrap_or_default(),
            sec_type: self.sec_type.unwrap_or_default(),
            exchange: self.exchange.unwrap_or_default(),
            primary_exchange: self.primary_exch.unwrap_or_default(),
            currency: self.currency.unwrap_or_default(),
            local_symbol: self.local_symbol.unwrap_or_default(),
            trading_class: self.trading_class.unwrap_or_default(),
            // The option fields are left out: requests name stocks, the only contracts the
            // simulator trades.
            ..ContractFields::default()
        }
    }
}

/// Encodes the fields of a contract-bearing request, or an empty contract when absent.
pub fn fields(contract: Option<Contract>) -> ContractFields {
    contract.unwrap_or_default().into_fields()
}

/// `Some(text)` unless empty.
pub fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_string())
}

/// A message without fields (`OpenOrdersEnd`, `PositionEnd`, …).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Empty {}

/// A message whose only field is `1: reqId` (`*End`, `Cancel*`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReqIdOnly {
    #[prost(int32, optional, tag = "1")]
    pub req_id: Option<i32>,
}

impl ReqIdOnly {
    /// With this id.
    pub fn new(req_id: i32) -> Self {
        Self {
            req_id: Some(req_id),
        }
    }
}

/// Reads field 1 as an int32 request id, when the payload has one (unknown messages).
pub fn leading_req_id(payload: &[u8]) -> Option<i32> {
    use prost::Message;
    ReqIdOnly::decode(payload).ok().and_then(|m| m.req_id)
}
