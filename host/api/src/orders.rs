//! Orders: `POST /api/ibkr/order` and `DELETE /api/ibkr/order/{id}`, and reading
//! them back.
//!
//! The IBKR REST examples speak buy/sell; the host trades long-only actions against a ledger (a
//! strategy's, or `manual` by default). The trading thread maps one onto the other from the
//! ledger's position and the orders still working ([`sandtrade_trading::plan`];
//! `docs/api.md` has the table), in the same step as the risk checks and the durable write,
//! so a fill arriving meanwhile cannot make a sell sell more than asked:
//!
//! - `buy`: `open-long` when the ledger holds nothing and buys nothing, else `add-long`;
//! - `sell`: `close-long` when it sells exactly what is held and nothing else is being sold,
//!   else `reduce-long`; more than `held − pending sells` is refused,
//!   `422 sell-exceeds-position`.
//!
//! The order then goes through the same risk checks as a strategy's signal, under the
//! ledger's limits (a strategy's own, tightened by its sidecar) and its rate window.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiJson};
use super::ibkr::{MarketType, instrument};
use sandtrade_core::{Exits, OrderType, PriceChange, TimeInForce, Timing, Trail};
use sandtrade_trading::{
    CancelOutcome, ManualChange, ManualOrder, ManualRefusal, ModifyOutcome, OrderView, Settlement,
};

/// The ledger manual orders are attributed to unless the body names one.
pub const MANUAL_LEDGER: &str = "manual";

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy.
    Buy,
    /// Sell.
    Sell,
}

/// How an order is priced: the IBKR REST spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// At the market (default).
    #[default]
    Market,
    /// At `price` or better.
    Limit,
    /// A market order once the last price touches `stopPrice`.
    Stop,
    /// A limit order at `price` once the last price touches `stopPrice`.
    StopLimit,
    /// A stop trailing the market by `trailingAmount` or `trailingPercent`; with
    /// `limitOffset`, a limit that far beyond the trigger once triggered.
    TrailingStop,
    /// In the closing auction, at the market.
    MarketOnClose,
    /// In the closing auction, at `price` or better.
    LimitOnClose,
}

impl OrderKind {
    /// The JSON spelling.
    const fn as_str(self) -> &'static str {
        match self {
            Self::Market => "market",
            Self::Limit => "limit",
            Self::Stop => "stop",
            Self::StopLimit => "stop_limit",
            Self::TrailingStop => "trailing_stop",
            Self::MarketOnClose => "market_on_close",
            Self::LimitOnClose => "limit_on_close",
        }
    }

    /// The kind of a core order type.
    const fn of(order_type: OrderType) -> Self {
        match order_type {
            OrderType::Market => Self::Market,
            OrderType::Limit(_) => Self::Limit,
            OrderType::Stop(_) => Self::Stop,
            OrderType::StopLimit { .. } => Self::StopLimit,
            OrderType::TrailingStop { .. } => Self::TrailingStop,
            OrderType::MarketOnClose => Self::MarketOnClose,
            OrderType::LimitOnClose(_) => Self::LimitOnClose,
        }
    }
}

/// How long an order works: `DAY` (default), `GTC`, `IOC` or `OPG`, in either case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Tif {
    /// Until the end of the trading day.
    #[default]
    #[serde(alias = "day")]
    Day,
    /// Until cancelled.
    #[serde(alias = "gtc")]
    Gtc,
    /// Immediate or cancel.
    #[serde(alias = "ioc")]
    Ioc,
    /// The opening auction.
    #[serde(alias = "opg")]
    Opg,
}

impl From<Tif> for TimeInForce {
    fn from(tif: Tif) -> Self {
        match tif {
            Tif::Day => Self::Day,
            Tif::Gtc => Self::Gtc,
            Tif::Ioc => Self::Ioc,
            Tif::Opg => Self::Opg,
        }
    }
}

impl From<TimeInForce> for Tif {
    fn from(tif: TimeInForce) -> Self {
        match tif {
            TimeInForce::Day => Self::Day,
            TimeInForce::Gtc => Self::Gtc,
            TimeInForce::Ioc => Self::Ioc,
            TimeInForce::Opg => Self::Opg,
        }
    }
}

/// The order body of the IBKR REST examples, plus the ledger it is attributed to.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrderBody {
    /// `AAPL`, `0700.HK`, `00700`, `700`.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: Side,
    /// Shares (HK: a whole number of board lots).
    pub quantity: u32,
    /// `USStock` or `HShare`; checked against the symbol when given.
    #[serde(default)]
    pub market_type: Option<MarketType>,
    /// `market` (default), `limit`, `stop`, `stop_limit`, `trailing_stop`, `market_on_close`
    /// or `limit_on_close`.
    #[serde(default)]
    pub order_type: OrderKind,
    /// The limit price (`limit`, `stop_limit`, `limit_on_close`).
    #[serde(default)]
    pub price: Option<f64>,
    /// The trigger (`stop`, `stop_limit`).
    #[serde(default)]
    pub stop_price: Option<f64>,
    /// A `trailing_stop`'s distance from the best price, in price.
    #[serde(default)]
    pub trailing_amount: Option<f64>,
    /// A `trailing_stop`'s distance from the best price, in percent (0–100).
    #[serde(default)]
    pub trailing_percent: Option<f64>,
    /// Makes a `trailing_stop` a trailing stop-limit: the limit's distance beyond the trigger.
    #[serde(default)]
    pub limit_offset: Option<f64>,
    /// `DAY` (default), `GTC`, `IOC` or `OPG`.
    #[serde(default)]
    pub tif: Tif,
    /// Whether it may trigger and fill outside regular trading hours (default `false`).
    #[serde(default)]
    pub outside_rth: bool,
    /// The ledger: a strategy's name, to trade its position, or any other name; default
    /// `manual`.
    #[serde(default)]
    pub strategy: Option<String>,
    /// Makes a buy a bracket: exits IB holds with it and works once it has filled.
    #[serde(default)]
    pub bracket: Option<BracketBody>,
}

/// The exits of a bracket: a take-profit, a stop-loss or both, each selling the shares the
/// entry buys; a fill of one reduces the other by as much.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BracketBody {
    /// A limit sell at this price.
    #[serde(default)]
    pub take_profit: Option<f64>,
    /// A sell stop triggered at this price.
    #[serde(default)]
    pub stop_loss: Option<f64>,
    /// Makes the stop-loss a stop-limit resting at this limit once triggered.
    #[serde(default)]
    pub stop_loss_limit: Option<f64>,
    /// `GTC` (default) or `DAY`.
    #[serde(default = "good_till_cancelled")]
    pub tif: Tif,
    /// Whether the exits may trigger and fill outside regular hours (default `false`).
    #[serde(default)]
    pub outside_rth: bool,
}

fn good_till_cancelled() -> Tif {
    Tif::Gtc
}

impl BracketBody {
    /// The exits the body describes: each price a positive number, a stop-loss limit only
    /// with a stop-loss.
    fn exits(&self) -> Result<Exits, ApiError> {
        let given = [
            ("takeProfit", self.take_profit),
            ("stopLoss", self.stop_loss),
            ("stopLossLimit", self.stop_loss_limit),
        ];
        for (name, value) in given {
            if let Some(value) = value {
                usable_price(name, value)?;
            }
        }
        let stop_loss = match (self.stop_loss, self.stop_loss_limit) {
            (None, Some(_)) => {
                return Err(ApiError::invalid_body(
                    "bracket.stopLossLimit needs bracket.stopLoss, its trigger",
                ));
            }
            (None, None) => None,
            (Some(trigger), None) => Some(OrderType::Stop(trigger)),
            (Some(trigger), Some(limit)) => Some(OrderType::StopLimit { trigger, limit }),
        };
        if self.take_profit.is_none() && stop_loss.is_none() {
            return Err(ApiError::invalid_body(
                "a bracket needs bracket.takeProfit, bracket.stopLoss or both",
            ));
        }
        Ok(Exits {
            take_profit: self.take_profit,
            stop_loss,
            timing: Timing {
                tif: self.tif.into(),
                outside_rth: self.outside_rth,
            },
        })
    }
}

impl OrderBody {
    /// The order type the body describes: the fields its `orderType` needs, each a positive
    /// number, and none it does not use.
    fn order_type(&self) -> Result<OrderType, ApiError> {
        let kind = self.order_type;
        let given = [
            ("price", self.price),
            ("stopPrice", self.stop_price),
            ("trailingAmount", self.trailing_amount),
            ("trailingPercent", self.trailing_percent),
            ("limitOffset", self.limit_offset),
        ];
        let uses: &[&str] = match kind {
            OrderKind::Market | OrderKind::MarketOnClose => &[],
            OrderKind::Limit | OrderKind::LimitOnClose => &["price"],
            OrderKind::Stop => &["stopPrice"],
            OrderKind::StopLimit => &["stopPrice", "price"],
            OrderKind::TrailingStop => &["trailingAmount", "trailingPercent", "limitOffset"],
        };
        for (name, value) in given {
            let Some(value) = value else { continue };
            if !uses.contains(&name) {
                return Err(ApiError::invalid_body(
                    if name == "price" && kind == OrderKind::Market {
                        "price is only for limit orders: add \"orderType\": \"limit\" or drop price"
                            .to_owned()
                    } else {
                        format!("{name} does not apply to a {} order", kind.as_str())
                    },
                ));
            }
            usable_price(name, value)?;
        }
        let needs = |name: &str, value: Option<f64>| {
            value.ok_or_else(|| {
                ApiError::invalid_body(format!("a {} order needs {name}", kind.as_str()))
            })
        };
        Ok(match kind {
            OrderKind::Market => OrderType::Market,
            OrderKind::MarketOnClose => OrderType::MarketOnClose,
            OrderKind::Limit if self.price.is_none() => {
                return Err(ApiError::invalid_body("a limit order needs a price"));
            }
            OrderKind::Limit => OrderType::Limit(needs("price", self.price)?),
            OrderKind::LimitOnClose => OrderType::LimitOnClose(needs("price", self.price)?),
            OrderKind::Stop => OrderType::Stop(needs("stopPrice", self.stop_price)?),
            OrderKind::StopLimit => OrderType::StopLimit {
                trigger: needs("stopPrice", self.stop_price)?,
                limit: needs("price", self.price)?,
            },
            OrderKind::TrailingStop => OrderType::TrailingStop {
                trail: match (self.trailing_amount, self.trailing_percent) {
                    (Some(amount), None) => Trail::Amount(amount),
                    (None, Some(percent)) => Trail::Percent(percent),
                    (Some(_), Some(_)) => {
                        return Err(ApiError::invalid_body(
                            "give trailingAmount or trailingPercent, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(ApiError::invalid_body(
                            "a trailing_stop order needs trailingAmount or trailingPercent",
                        ));
                    }
                },
                limit_offset: self.limit_offset,
            },
        })
    }
}

/// The answer to an accepted order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderAccepted {
    /// The order id (for `DELETE /api/ibkr/order/{id}`).
    pub order_id: u64,
    /// The long-only action the side was mapped to: `open-long`, `add-long`, `reduce-long`,
    /// `close-long`.
    pub action: String,
    /// The ledger.
    pub strategy: String,
    /// IB contract symbol.
    pub symbol: String,
    /// Shares, as validated.
    pub quantity: u32,
    /// As in the body.
    pub order_type: OrderKind,
    /// The limit price as it is sent: on the contract's tick (a buy's rounded down, a sell's
    /// up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// The trigger as it is sent, on the tick the same way (a sell stop never triggers later
    /// than asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<f64>,
    /// As in the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_amount: Option<f64>,
    /// As in the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailing_percent: Option<f64>,
    /// As in the body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_offset: Option<f64>,
    /// As in the body.
    pub tif: Tif,
    /// As in the body.
    pub outside_rth: bool,
    /// Durably queued; it is sent as soon as connected (and the pacer allows).
    pub state: String,
    /// A bracket's exits, as they are sent with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exits: Vec<ExitAccepted>,
}

/// An exit of an accepted bracket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExitAccepted {
    /// Its own order id (to modify or cancel it alone).
    pub order_id: u64,
    /// `take-profit` or `stop-loss`.
    pub role: String,
    /// `limit`, `stop` or `stop_limit`.
    pub order_type: OrderKind,
    /// The limit price as it is sent, on the tick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// The trigger as it is sent, on the tick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<f64>,
    /// `GTC` or `DAY`.
    pub tif: Tif,
}

/// The answer to a refused manual order: `422 sell-exceeds-position` with the numbers, or the
/// risk code's own status.
fn refused(refusal: ManualRefusal) -> ApiError {
    match refusal {
        ManualRefusal::Risk(rejection) => rejection.into(),
        ManualRefusal::SellExceedsPosition {
            requested,
            exposure: h,
        } => {
            let sellable = h.sellable();
            let pending = if h.pending_sells > 0 {
                format!(" ({} of {} already being sold)", h.pending_sells, h.held)
            } else {
                String::new()
            };
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "sell-exceeds-position",
                format!(
                    "cannot sell {requested}: the position holds {}{pending}, so at most \
                     {sellable} can be sold (no short selling)",
                    h.held,
                ),
            )
            .with_detail(serde_json::json!({
                "requested": requested,
                "held": h.held,
                "pendingSells": h.pending_sells,
                "sellable": sellable,
            }))
        }
    }
}

/// `POST /api/ibkr/order`: places an order through the risk checks.
#[utoipa::path(post, path = "/api/ibkr/order", tag = "orders", request_body = OrderBody,
    responses(
        (status = 201, description = "Accepted and durably queued", body = OrderAccepted),
        (status = 409, description = "Trading is halted", body = super::error::ErrorBody),
        (status = 422, description = "Refused: `sell-exceeds-position`, a risk code \
            (`position-limit`, `lot-size`, ...) or a bad field", body = super::error::ErrorBody),
        (status = 429, description = "Rate limit", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn place(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<Response, ApiError> {
    // The symbol and the market type must agree; the trading thread resolves the symbol again.
    instrument(&body.symbol, body.market_type)?;
    if body.quantity == 0 {
        return Err(ApiError::invalid_body("quantity must be at least 1"));
    }
    let order_type = body.order_type()?;
    let exits = body.bracket.as_ref().map(BracketBody::exits).transpose()?;
    if exits.is_some() && body.side == Side::Sell {
        return Err(ApiError::invalid_body(
            "a bracket's entry is a buy: its exits sell what it buys",
        ));
    }
    let timing = Timing {
        tif: body.tif.into(),
        outside_rth: body.outside_rth,
    };
    let strategy = match body.strategy {
        Some(s) if s.trim().is_empty() => {
            return Err(ApiError::invalid_body("strategy is empty"));
        }
        Some(s) => s,
        None => MANUAL_LEDGER.to_owned(),
    };
    let side = match body.side {
        Side::Buy => sandtrade_core::Side::Buy,
        Side::Sell => sandtrade_core::Side::Sell,
    };
    let accepted = state
        .trading
        .submit(ManualOrder {
            strategy: strategy.clone(),
            side,
            symbol: body.symbol.clone(),
            quantity: body.quantity,
            order_type,
            timing,
            reason: format!(
                "API: {} {} {}",
                side_str(body.side),
                body.quantity,
                body.symbol
            ),
            exits,
        })
        .await?
        .map_err(refused)?;
    let id = accepted.id;
    let accepted = OrderAccepted {
        order_id: id,
        action: accepted.action.as_str().to_owned(),
        strategy,
        symbol: accepted.symbol,
        quantity: accepted.quantity,
        order_type: OrderKind::of(accepted.order_type),
        price: accepted.order_type.limit_price(),
        stop_price: accepted.order_type.trigger_price(),
        trailing_amount: accepted.order_type.trail_amount(),
        trailing_percent: accepted.order_type.trail_percent(),
        limit_offset: accepted.order_type.limit_offset(),
        tif: accepted.timing.tif.into(),
        outside_rth: accepted.timing.outside_rth,
        state: "queued".into(),
        exits: accepted
            .exits
            .iter()
            .map(|exit| ExitAccepted {
                order_id: exit.id,
                role: exit.role.as_str().to_owned(),
                order_type: OrderKind::of(exit.order_type),
                price: exit.order_type.limit_price(),
                stop_price: exit.order_type.trigger_price(),
                tif: exit.timing.tif.into(),
            })
            .collect(),
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/ibkr/order/{id}"))],
        Json(accepted),
    )
        .into_response())
}

/// A price field of a body as the API checks it before risk does: finite and positive, or
/// for `limitOffset` zero or more. (Risk checks them again, with the order's own rules.)
fn usable_price(name: &str, value: f64) -> Result<(), ApiError> {
    let (usable, rule) = if name == "limitOffset" {
        (value.is_finite() && value >= 0.0, "a number >= 0")
    } else {
        (value.is_finite() && value > 0.0, "a positive number")
    };
    if usable {
        Ok(())
    } else {
        Err(ApiError::invalid_body(format!(
            "{name} = {value}: must be {rule}"
        )))
    }
}

fn side_str(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// `DELETE /api/ibkr/order/{id}`: cancels an order (a queued one here, a working one at IB;
/// while disconnected, at IB once the next connection is reconciled).
#[utoipa::path(delete, path = "/api/ibkr/order/{id}", tag = "orders",
    params(("id" = u64, Path, description = "The order id")),
    responses(
        (status = 200, description = "`{orderId, outcome: cancelled-before-sending | sent-to-ib | on-reconnect}`", body = Object),
        (status = 404, description = "No such order", body = super::error::ErrorBody),
        (status = 409, description = "Finished, or its fate is unknown, or disconnected", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = order_id(&id)?;
    let outcome: CancelOutcome = state.trading.cancel(id).await?;
    Ok(Json(
        serde_json::json!({ "orderId": id, "outcome": outcome }),
    ))
}

/// A change of a working order: any of its quantity (shares in all, filled ones included)
/// and its own prices; what is left out stays. The order keeps its type and time in force.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ModifyBody {
    /// The new quantity: more than the shares already filled.
    #[serde(default)]
    pub quantity: Option<u32>,
    /// A new limit price (`limit`, `stop_limit`, `limit_on_close`).
    #[serde(default)]
    pub price: Option<f64>,
    /// A new trigger (`stop`, `stop_limit`).
    #[serde(default)]
    pub stop_price: Option<f64>,
    /// A new trailing amount (a `trailing_stop` by amount).
    #[serde(default)]
    pub trailing_amount: Option<f64>,
    /// A new trailing percent (a `trailing_stop` by percent).
    #[serde(default)]
    pub trailing_percent: Option<f64>,
    /// A new limit offset (a trailing stop-limit).
    #[serde(default)]
    pub limit_offset: Option<f64>,
}

/// `PUT /api/ibkr/order/{id}`: changes a working order's quantity or prices, validated as a
/// new order in its place would be, recorded before it is sent (while disconnected, sent once
/// the next connection is reconciled). Answers the order as it now stands.
#[utoipa::path(put, path = "/api/ibkr/order/{id}", tag = "orders", request_body = ModifyBody,
    params(("id" = u64, Path, description = "The order id")),
    responses(
        (status = 200, description = "`{orderId, outcome: changed-before-sending | sent-to-ib | on-reconnect, order}`", body = Object),
        (status = 404, description = "No such order", body = super::error::ErrorBody),
        (status = 409, description = "Finished, or IB has not acknowledged it, its last change or its cancel yet", body = super::error::ErrorBody),
        (status = 422, description = "Refused: a risk code (`short-not-allowed`, `invalid-order`, ...) or a bad field", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn modify(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ModifyBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = order_id(&id)?;
    let prices = PriceChange {
        limit: body.price,
        stop: body.stop_price,
        trail_amount: body.trailing_amount,
        trail_percent: body.trailing_percent,
        limit_offset: body.limit_offset,
    };
    for (name, value) in [
        ("price", body.price),
        ("stopPrice", body.stop_price),
        ("trailingAmount", body.trailing_amount),
        ("trailingPercent", body.trailing_percent),
        ("limitOffset", body.limit_offset),
    ] {
        if let Some(value) = value {
            usable_price(name, value)?;
        }
    }
    if body.quantity.is_none() && prices.is_empty() {
        return Err(ApiError::invalid_body(
            "nothing to change: give quantity or a price of the order",
        ));
    }
    let change = ManualChange {
        quantity: body.quantity,
        prices,
    };
    let outcome: ModifyOutcome = state
        .trading
        .modify(id, change)
        .await?
        .map_err(ApiError::from)?;
    let order: OrderView = state.trading.order(id).await?;
    Ok(Json(serde_json::json!({
        "orderId": id,
        "outcome": outcome,
        "order": order,
    })))
}

/// What the operator found at IB about an `unknown` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// It is not working at IB: end it `cancelled` and free its pending shares.
    Cancelled,
    /// It never reached IB: queue it again (it is sent with a new IB order id; if IB does
    /// have it, IB gets it twice).
    Requeued,
}

/// The longest reason an operator may give; it is kept in the order's record.
pub const SETTLE_REASON_MAX_BYTES: usize = 400;

/// The body of `POST /api/ibkr/order/{id}/settle`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettleBody {
    /// `cancelled` or `requeued`.
    pub outcome: Outcome,
    /// Why: what the operator checked (kept in the order's record; 1–400 bytes).
    pub reason: String,
}

/// `POST /api/ibkr/order/{id}/settle`: settles an order whose fate is `unknown` (one that
/// reconciliation could not settle) as the operator found it at IB.
#[utoipa::path(post, path = "/api/ibkr/order/{id}/settle", tag = "orders",
    params(("id" = u64, Path, description = "The order id")),
    request_body = SettleBody,
    responses(
        (status = 200, description = "The order, settled", body = Object),
        (status = 404, description = "No such order", body = super::error::ErrorBody),
        (status = 409, description = "The order is not unknown", body = super::error::ErrorBody),
        (status = 422, description = "A bad body (outcome, reason)", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn settle(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SettleBody>,
) -> Result<Json<OrderView>, ApiError> {
    let id = order_id(&id)?;
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::invalid_body(
            "reason is empty: say what was checked at IB",
        ));
    }
    if reason.len() > SETTLE_REASON_MAX_BYTES {
        return Err(ApiError::invalid_body(format!(
            "reason is {} bytes; at most {SETTLE_REASON_MAX_BYTES}",
            reason.len()
        )));
    }
    let settlement = match body.outcome {
        Outcome::Cancelled => Settlement::Cancelled,
        Outcome::Requeued => Settlement::Requeued,
    };
    Ok(Json(
        state.trading.settle_unknown(id, settlement, reason).await?,
    ))
}

/// `GET /api/ibkr/orders`: every working order, oldest first.
#[utoipa::path(get, path = "/api/ibkr/orders", tag = "orders",
    responses((status = 200, description = "Working orders", body = Vec<Object>)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<OrderView>>, ApiError> {
    Ok(Json(state.trading.orders().await?))
}

/// `GET /api/ibkr/order/{id}`: one order, finished or not.
#[utoipa::path(get, path = "/api/ibkr/order/{id}", tag = "orders",
    params(("id" = u64, Path, description = "The order id")),
    responses(
        (status = 200, description = "The order", body = Object),
        (status = 404, description = "No such order", body = super::error::ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(state.trading.order(order_id(&id)?).await?))
}

fn order_id(text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid-path",
            format!("order id {text:?} is not a whole number"),
        )
    })
}
