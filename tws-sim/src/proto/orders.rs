//! Order family: placeOrder, cancelOrder, open/completed orders, openOrder and orderStatus.

use prost::Message;

use super::common::{Contract, fields, non_empty};
use crate::messages::{DecodeError, OrderView, PlaceOrder, Request, StatusView, format_decimal};

#[derive(Clone, PartialEq, prost::Message)]
pub struct PlaceOrderRequest {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub order: Option<Order>,
}

/// `Order`: the tags the simulator reads and echoes.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Order {
    #[prost(int32, optional, tag = "1")]
    pub client_id: Option<i32>,
    #[prost(int32, optional, tag = "2")]
    pub order_id: Option<i32>,
    #[prost(int64, optional, tag = "3")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "4")]
    pub parent_id: Option<i32>,
    #[prost(string, optional, tag = "5")]
    pub action: Option<String>,
    #[prost(string, optional, tag = "6")]
    pub total_quantity: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub order_type: Option<String>,
    #[prost(double, optional, tag = "9")]
    pub lmt_price: Option<f64>,
    #[prost(double, optional, tag = "10")]
    pub aux_price: Option<f64>,
    #[prost(string, optional, tag = "11")]
    pub tif: Option<String>,
    #[prost(string, optional, tag = "12")]
    pub account: Option<String>,
    #[prost(bool, optional, tag = "19")]
    pub outside_rth: Option<bool>,
    #[prost(double, optional, tag = "22")]
    pub trailing_percent: Option<f64>,
    #[prost(double, optional, tag = "23")]
    pub trail_stop_price: Option<f64>,
    #[prost(string, optional, tag = "27")]
    pub oca_group: Option<String>,
    #[prost(string, optional, tag = "28")]
    pub order_ref: Option<String>,
    #[prost(int32, optional, tag = "30")]
    pub oca_type: Option<i32>,
    #[prost(bool, optional, tag = "65")]
    pub what_if: Option<bool>,
    #[prost(bool, optional, tag = "66")]
    pub transmit: Option<bool>,
    #[prost(double, optional, tag = "99")]
    pub lmt_price_offset: Option<f64>,
    #[prost(string, optional, tag = "115")]
    pub filled_quantity: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrderState {
    #[prost(string, optional, tag = "1")]
    pub status: Option<String>,
    #[prost(double, optional, tag = "11")]
    pub commission_and_fees: Option<f64>,
    #[prost(string, optional, tag = "14")]
    pub commission_and_fees_currency: Option<String>,
    #[prost(string, optional, tag = "26")]
    pub reject_reason: Option<String>,
    #[prost(string, optional, tag = "29")]
    pub completed_time: Option<String>,
    #[prost(string, optional, tag = "30")]
    pub completed_status: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OpenOrder {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(message, optional, tag = "2")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "3")]
    pub order: Option<Order>,
    #[prost(message, optional, tag = "4")]
    pub order_state: Option<OrderState>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CompletedOrder {
    #[prost(message, optional, tag = "1")]
    pub contract: Option<Contract>,
    #[prost(message, optional, tag = "2")]
    pub order: Option<Order>,
    #[prost(message, optional, tag = "3")]
    pub order_state: Option<OrderState>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct OrderStatus {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub status: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub filled: Option<String>,
    #[prost(string, optional, tag = "4")]
    pub remaining: Option<String>,
    #[prost(double, optional, tag = "5")]
    pub avg_fill_price: Option<f64>,
    #[prost(int64, optional, tag = "6")]
    pub perm_id: Option<i64>,
    #[prost(int32, optional, tag = "7")]
    pub parent_id: Option<i32>,
    #[prost(double, optional, tag = "8")]
    pub last_fill_price: Option<f64>,
    #[prost(int32, optional, tag = "9")]
    pub client_id: Option<i32>,
    #[prost(string, optional, tag = "10")]
    pub why_held: Option<String>,
    #[prost(double, optional, tag = "11")]
    pub mkt_cap_price: Option<f64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CancelOrderRequest {
    #[prost(int32, optional, tag = "1")]
    pub order_id: Option<i32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct AutoOpenOrdersRequest {
    #[prost(bool, optional, tag = "1")]
    pub auto_bind: Option<bool>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CompletedOrdersRequest {
    #[prost(bool, optional, tag = "1")]
    pub api_only: Option<bool>,
}

pub fn decode_place_order(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = PlaceOrderRequest::decode(payload)?;
    let order_id = m
        .order_id
        .ok_or_else(|| DecodeError("placeOrder without orderId".into()))?;
    let order = m
        .order
        .ok_or_else(|| DecodeError("placeOrder without order".into()))?;
    let quantity_text = order.total_quantity.unwrap_or_default();
    let total_quantity = quantity_text.parse::<f64>().map_err(|_| {
        DecodeError(format!(
            "placeOrder totalQuantity {quantity_text:?} is not a number"
        ))
    })?;
    Ok(Request::PlaceOrder(PlaceOrder {
        order_id,
        contract: fields(m.contract),
        action: order.action.unwrap_or_default(),
        total_quantity,
        order_type: order.order_type.unwrap_or_default(),
        limit_price: set(order.lmt_price),
        aux_price: set(order.aux_price),
        trail_stop_price: set(order.trail_stop_price),
        trailing_percent: set(order.trailing_percent),
        lmt_price_offset: set(order.lmt_price_offset),
        parent_id: order.parent_id.unwrap_or(0),
        oca_group: order.oca_group.unwrap_or_default(),
        oca_type: order.oca_type.unwrap_or(0),
        tif: order.tif.unwrap_or_default(),
        account: order.account.unwrap_or_default(),
        order_ref: order.order_ref.unwrap_or_default(),
        outside_rth: order.outside_rth.unwrap_or(false),
        // Both clients send `transmit` only when true: absent means "do not transmit".
        transmit: order.transmit.unwrap_or(false),
        what_if: order.what_if.unwrap_or(false),
        has_conditions: false,
    }))
}

/// A price the client set: IB's clients send `f64::MAX` (or nothing) for "unset".
fn set(price: Option<f64>) -> Option<f64> {
    price.filter(|p| p.is_finite() && *p != f64::MAX)
}

pub fn decode_cancel_order(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = CancelOrderRequest::decode(payload)?;
    let order_id = m
        .order_id
        .ok_or_else(|| DecodeError("cancelOrder without orderId".into()))?;
    Ok(Request::CancelOrder { order_id })
}

pub fn decode_auto_open_orders(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = AutoOpenOrdersRequest::decode(payload)?;
    Ok(Request::AutoOpenOrders {
        auto_bind: m.auto_bind.unwrap_or(false),
    })
}

pub fn decode_completed_orders(payload: &[u8]) -> Result<Request, DecodeError> {
    let m = CompletedOrdersRequest::decode(payload)?;
    Ok(Request::CompletedOrders {
        api_only: m.api_only.unwrap_or(false),
    })
}

fn order(view: &OrderView) -> Order {
    Order {
        client_id: Some(view.client_id),
        order_id: Some(view.order_id),
        perm_id: Some(view.perm_id),
        parent_id: Some(view.parent_id),
        action: Some(view.action.clone()),
        total_quantity: Some(format_decimal(view.total_quantity)),
        order_type: Some(view.order_type.clone()),
        lmt_price: view.limit_price,
        aux_price: view.aux_price,
        tif: non_empty(&view.tif),
        account: non_empty(&view.account),
        outside_rth: Some(view.outside_rth),
        trailing_percent: view.trailing_percent,
        trail_stop_price: view.trail_stop_price,
        oca_group: non_empty(&view.oca_group),
        order_ref: non_empty(&view.order_ref),
        oca_type: Some(view.oca_type),
        what_if: None,
        transmit: Some(view.transmit),
        lmt_price_offset: view.lmt_price_offset,
        filled_quantity: Some(format_decimal(view.filled_quantity)),
    }
}

fn order_state(view: &OrderView) -> OrderState {
    OrderState {
        status: Some(view.status.clone()),
        commission_and_fees: view.commission,
        commission_and_fees_currency: view
            .commission
            .and_then(|_| non_empty(&view.commission_currency)),
        reject_reason: non_empty(&view.reject_reason),
        completed_time: non_empty(&view.completed_time),
        completed_status: non_empty(&view.completed_status),
    }
}

pub fn open_order(view: &OrderView) -> OpenOrder {
    OpenOrder {
        order_id: Some(view.order_id),
        contract: Some(Contract::from_fields(&view.contract)),
        order: Some(order(view)),
        order_state: Some(order_state(view)),
    }
}

pub fn completed_order(view: &OrderView) -> CompletedOrder {
    CompletedOrder {
        contract: Some(Contract::from_fields(&view.contract)),
        order: Some(order(view)),
        order_state: Some(order_state(view)),
    }
}

pub fn order_status(view: &StatusView) -> OrderStatus {
    OrderStatus {
        order_id: Some(view.order_id),
        status: Some(view.status.clone()),
        filled: Some(format_decimal(view.filled)),
        remaining: Some(format_decimal(view.remaining)),
        avg_fill_price: Some(view.avg_fill_price),
        perm_id: Some(view.perm_id),
        parent_id: Some(view.parent_id),
        last_fill_price: Some(view.last_fill_price),
        client_id: Some(view.client_id),
        why_held: None,
        mkt_cap_price: Some(0.0),
    }
}
