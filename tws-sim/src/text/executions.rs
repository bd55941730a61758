//! Execution family in text: reqExecutions, execDetails and commission reports.

use super::wire::{Reader, Writer};
use crate::messages::{
    CommissionView, ContractFields, DecodeError, ExecutionFilter, ExecutionView, Request,
};

/// `7,3,reqId,clientId,acctCode,time,symbol,secType,exchange,side`.
pub fn decode_request(r: &mut Reader) -> Result<Request, DecodeError> {
    r.skip(1);
    let req_id = r.int("reqId")?;
    let filter = ExecutionFilter {
        client_id: r.int("clientId")?,
        account: r.str_or_empty().to_string(),
        time: r.str_or_empty().to_string(),
        symbol: r.str_or_empty().to_string(),
        sec_type: r.str_or_empty().to_string(),
        exchange: r.str_or_empty().to_string(),
        side: r.str_or_empty().to_string(),
    };
    Ok(Request::Executions { req_id, filter })
}

/// `11,reqId,orderId,contract-11,execId,time,acctNumber,exchange,side,shares,price,permId,
/// clientId,liquidation,cumQty,avgPrice,orderRef,evRule,evMultiplier,modelCode,lastLiquidity
/// [,pendingPriceRevision ≥ 178]` (no version field at ≥ 136).
pub fn details(req_id: i32, contract: &ContractFields, e: &ExecutionView, version: i32) -> Writer {
    let mut w = Writer::new(11);
    w.int(req_id)
        .int(e.order_id)
        .contract(contract, &contract.exchange);
    w.str(&e.exec_id)
        .str(&e.time)
        .str(&e.account)
        .str(&e.exchange)
        .str(&e.side);
    w.decimal(e.shares)
        .float(e.price)
        .int(e.perm_id)
        .int(e.client_id)
        .int(0);
    w.decimal(e.cum_qty)
        .float(e.avg_price)
        .str(&e.order_ref)
        .str("")
        .str("")
        .str("")
        .int(2);
    if version >= 178 {
        w.bool(false);
    }
    w
}

/// `59,1,execId,commission,currency,realizedPNL,yield,yieldRedemptionDate`.
pub fn commission(c: &CommissionView) -> Writer {
    let mut w = Writer::new(59);
    w.int(1)
        .str(&c.exec_id)
        .float(c.commission)
        .str(&c.currency)
        .opt_float(c.realized_pnl)
        .opt_float(None)
        .str("");
    w
}
