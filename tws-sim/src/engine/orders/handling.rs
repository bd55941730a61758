//! Orders: placement checks, matching, fills, cancels, and the order queries.
//!
//! Message order follows what TWS sends (captured sequences in the protocol reference):
//! - accepted and filled at once: openOrder(PreSubmitted), orderStatus(PreSubmitted),
//!   execDetails(−1), openOrder(Filled), orderStatus(Filled), commissionReport;
//! - resting: openOrder(Submitted), orderStatus(Submitted);
//! - rejected: error 201, openOrder(Inactive), orderStatus(Inactive);
//! - cancelled: error 202, orderStatus(Cancelled).

use time::OffsetDateTime;

use super::admission::Demand;
use super::tif::Lifetime;
use super::triggers::{Terms, TermsError, terms};
use super::{Fill, Kind, SimOrder, Status};
use crate::engine::contracts::{ContractIdx, round_to_tick};
use crate::engine::{Engine, clock, clock::exec_time, codes};
use crate::messages::{
    CommissionView, ExecutionView, OrderView, PlaceOrder, Response, Side, StatusView,
    format_decimal,
};

/// Why an order is refused, with IB's code.
struct Refusal {
    code: i32,
    text: String,
    /// The order is recorded as Inactive (201) rather than only answered with an error.
    record: bool,
}

impl Refusal {
    fn reject(reason: impl Into<String>) -> Self {
        Self {
            code: codes::ORDER_REJECTED,
            text: format!("Order rejected - reason:{}", reason.into()),
            record: true,
        }
    }

    fn error(code: i32, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
            record: false,
        }
    }
}

impl Engine {
    pub(in crate::engine) fn place_order(&mut self, client_id: i32, p: PlaceOrder) {
        if let Some(&idx) = self.orders.by_client_id.get(&(client_id, p.order_id)) {
            return self.modify_order(idx, p);
        }
        if self.faults.lose_next_orders > 0 {
            self.faults.lose_next_orders -= 1;
            tracing::info!(
                client_id,
                order_id = p.order_id,
                "order lost on purpose (fault)"
            );
            return;
        }
        if self.faults.reject_by_notice_only > 0 {
            self.faults.reject_by_notice_only -= 1;
            let text =
                "Order rejected - reason:Simulated rejection by notice alone (tws-sim fault)";
            return self.refuse(
                client_id,
                &p,
                None,
                Refusal {
                    code: codes::ORDER_REJECTED,
                    text: text.to_owned(),
                    record: false,
                },
            );
        }
        if self.faults.reject_next_orders > 0 {
            self.faults.reject_next_orders -= 1;
            let Some(contract) = self.book.resolve(&p.contract) else {
                return self.refuse(
                    client_id,
                    &p,
                    None,
                    Refusal::reject("Simulated rejection (tws-sim fault)"),
                );
            };
            return self.refuse(
                client_id,
                &p,
                Some(contract),
                Refusal::reject("Simulated rejection (tws-sim fault switchboard)"),
            );
        }
        let next = self
            .next_ids
            .entry(client_id)
            .or_insert(self.config.first_order_id);
        *next = (*next).max(p.order_id.saturating_add(1));
        if !p.transmit {
            return self.hold_untransmitted(client_id, p);
        }
        for held in self.take_bracket(client_id, &p) {
            self.submit(client_id, held);
        }
        self.submit(client_id, p);
    }

    /// Accepts (or refuses) a transmitted order and starts working it.
    fn submit(&mut self, client_id: i32, p: PlaceOrder) {
        let awaiting_parent = match p.parent_id {
            0 => false,
            parent => match self.parent_state(client_id, parent) {
                Some(Status::Filled) => false,
                Some(status) if status.is_working() => true,
                _ => {
                    let text = format!(
                        "Error validating request:-'bN' : cause - the parent order {parent} is not a working or filled order of this client"
                    );
                    let refusal = Refusal::error(codes::VALIDATION_ERROR, text);
                    return self.refuse(client_id, &p, None, refusal);
                }
            },
        };
        // A child waiting for its parent is contingent on it: a sell child sells the shares the
        // parent buys.
        let parent = awaiting_parent
            .then(|| {
                self.orders
                    .by_client_id
                    .get(&(client_id, p.parent_id))
                    .copied()
            })
            .flatten();
        let (contract, side, terms, lifetime) = match self.validate(&p, parent) {
            Ok(ok) => ok,
            Err((contract, refusal)) => return self.refuse(client_id, &p, contract, refusal),
        };
        let account = self
            .ledger
            .find(&p.account)
            .map(|a| a.id.clone())
            .unwrap_or_default();
        let idx = self.orders.orders.len();
        let perm_id = self.orders.next_perm_id;
        self.orders.next_perm_id += 1;
        let fill_after = self.faults.fill_delay.map(|d| self.now + d);
        let mut order = SimOrder::new(perm_id, client_id, &p, contract, side, terms.kind, account);
        order.fill_after = fill_after;
        order.set_terms(&terms);
        order.awaiting_parent = awaiting_parent;
        order.lifetime = lifetime;
        self.orders.orders.push(order);
        self.orders
            .by_client_id
            .insert((client_id, p.order_id), idx);
        self.orders.working.insert(idx);
        self.fire_trigger(idx);
        let fills_now = self.fill_price(idx).is_some();
        let o = &self.orders.orders[idx];
        let held = o.trigger.is_some() || o.awaiting_parent;
        if !fills_now && self.fill_allowed_now(idx) && !held {
            self.orders.orders[idx].status = Status::Submitted;
        }
        self.send_order_state(idx);
        self.try_fill(idx);
        self.end_of_first_chance(idx);
    }

    /// placeOrder for an id that exists: modify a working order, refuse a finished one (103).
    fn modify_order(&mut self, idx: usize, p: PlaceOrder) {
        let (client_id, status) = (
            self.orders.orders[idx].client_id,
            self.orders.orders[idx].status,
        );
        if !status.is_working() {
            let text = format!("Duplicate order id {}", p.order_id);
            return self.clients.send(
                client_id,
                self.notice(p.order_id, codes::DUPLICATE_ORDER_ID, text),
            );
        }
        let (contract, side) = (
            self.orders.orders[idx].contract,
            self.orders.orders[idx].side,
        );
        let terms = match self.terms(&p, contract, side) {
            Ok(terms) => terms,
            Err(TermsError::OffTick) => {
                let text =
                    "The price does not conform to the minimum price variation for this contract.";
                return self.clients.send(
                    client_id,
                    self.notice(p.order_id, codes::ORDER_PRICE_INVALID, text),
                );
            }
            Err(TermsError::Invalid(text)) => {
                let text = format!("Error validating request:-'bN' : cause - {text}");
                return self.clients.send(
                    client_id,
                    self.notice(p.order_id, codes::VALIDATION_ERROR, text),
                );
            }
        };
        let kind = terms.kind;
        let o = &self.orders.orders[idx];
        let refused = if p.total_quantity < o.filled {
            Some(format!(
                "quantity {} is below the filled {}",
                p.total_quantity, o.filled
            ))
        } else {
            self.account_refusal(&Demand {
                account: &o.account,
                contract,
                side: o.side,
                kind,
                quantity: p.total_quantity - o.filled,
                replacing: Some(idx),
                parent: o
                    .awaiting_parent
                    .then(|| {
                        self.orders
                            .by_client_id
                            .get(&(o.client_id, o.parent_id))
                            .copied()
                    })
                    .flatten(),
            })
        };
        if let Some(reason) = refused {
            // The order keeps working as it was.
            let refusal = Refusal::reject(reason);
            return self.clients.send(
                client_id,
                self.notice(p.order_id, refusal.code, refusal.text),
            );
        }
        let o = &mut self.orders.orders[idx];
        let triggered = o.trigger.is_none() && o.order_type == terms.order_type;
        o.total = p.total_quantity;
        if !p.tif.is_empty() {
            o.tif = p.tif;
        }
        o.order_ref = p.order_ref;
        o.aux_price = p.aux_price;
        o.trailing_percent = p.trailing_percent;
        o.lmt_price_offset = p.lmt_price_offset;
        if triggered {
            // A stop that has already triggered keeps working as the order it became; a new
            // limit price still applies to it.
            if let (Kind::Limit(_), Kind::Limit(limit)) = (o.kind, kind) {
                o.kind = Kind::Limit(limit);
            }
        } else {
            o.trail_stop_price = p.trail_stop_price;
            o.set_terms(&terms);
        }
        self.fire_trigger(idx);
        self.send_order_state(idx);
        self.try_fill(idx);
    }

    /// The checks TWS makes before accepting an order.
    #[allow(
        clippy::type_complexity,
        reason = "a private Ok/Err pair used at one call site"
    )]
    fn validate(
        &self,
        p: &PlaceOrder,
        parent: Option<usize>,
    ) -> Result<(ContractIdx, Side, Terms, Lifetime), (Option<ContractIdx>, Refusal)> {
        let Some(contract) = self.book.resolve(&p.contract) else {
            return Err((
                None,
                Refusal::error(
                    codes::NO_SECURITY_DEFINITION,
                    "No security definition has been found for the request",
                ),
            ));
        };
        let invalid = |text: String| {
            Err((
                Some(contract),
                Refusal::error(
                    codes::VALIDATION_ERROR,
                    format!("Error validating request:-'bN' : cause - {text}"),
                ),
            ))
        };
        let Some(side) = Side::parse(&p.action) else {
            return invalid(format!("Invalid action {:?}", p.action));
        };
        if !(p.total_quantity > 0.0 && p.total_quantity.is_finite()) {
            return invalid(format!("Invalid order size {}", p.total_quantity));
        }
        if p.what_if {
            return invalid("what-if orders are not simulated".to_string());
        }
        if p.has_conditions {
            return invalid("orders with conditions are not simulated".to_string());
        }
        let spec = self.book.spec(contract);
        let terms = match self.terms(p, contract, side) {
            Ok(terms) => terms,
            Err(TermsError::OffTick) => {
                return Err((
                    Some(contract),
                    Refusal::error(
                        codes::ORDER_PRICE_INVALID,
                        "The price does not conform to the minimum price variation for this contract.",
                    ),
                ));
            }
            Err(TermsError::Invalid(text)) => return invalid(text),
        };
        let kind = terms.kind;
        let lifetime = match self.lifetime(p, contract, &terms) {
            Ok(lifetime) => lifetime,
            Err(text) => return invalid(text),
        };
        let Some(account) = self.ledger.find(&p.account) else {
            return Err((
                Some(contract),
                Refusal::reject(format!(
                    "account {} is not managed by this login",
                    p.account
                )),
            ));
        };
        if self.config.matching.reject_hk_odd_lots
            && spec.lot_size > 1
            && (p.total_quantity % f64::from(spec.lot_size)).abs() > 1e-9
        {
            return Err((
                Some(contract),
                Refusal::reject(format!(
                    "The order size {} is not a multiple of the board lot size {} (odd lot)",
                    format_decimal(p.total_quantity),
                    spec.lot_size
                )),
            ));
        }
        let demand = Demand {
            account: &account.id,
            contract,
            side,
            kind,
            quantity: p.total_quantity,
            replacing: None,
            parent,
        };
        if let Some(reason) = self.account_refusal(&demand) {
            return Err((Some(contract), Refusal::reject(reason)));
        }
        Ok((contract, side, terms, lifetime))
    }

    /// The order's type and prices against the contract's ladder and last price.
    fn terms(
        &self,
        p: &PlaceOrder,
        contract: ContractIdx,
        side: Side,
    ) -> Result<Terms, TermsError> {
        let spec = self.book.spec(contract);
        terms(p, side, self.market.get(contract).last, |price| {
            spec.tick_size(price)
        })
    }

    /// Moves a pending stop after the price and triggers it once the last trade reaches it
    /// (only while its market may trade). Sends nothing: the caller reports what changed.
    fn fire_trigger(&mut self, idx: usize) -> bool {
        let o = &self.orders.orders[idx];
        if o.awaiting_parent || !self.fill_allowed_now(idx) {
            return false;
        }
        let Some(mut trigger) = o.trigger else {
            return false;
        };
        let (side, last) = (o.side, self.market.get(o.contract).last);
        let spec = self.book.spec(o.contract);
        let tick = |price: f64| spec.tick_size(price);
        trigger.follow(side, last, tick);
        let fired = trigger.fired(side, last);
        let kind = trigger.working_kind(side, o.kind, tick);
        let o = &mut self.orders.orders[idx];
        if trigger.trails() {
            o.trail_stop_price = Some(trigger.stop);
        }
        if fired {
            tracing::debug!(
                order_id = o.order_id,
                stop = trigger.stop,
                last,
                "stop triggered"
            );
            o.trigger = None;
            o.kind = kind;
        } else {
            o.trigger = Some(trigger);
        }
        fired
    }

    /// Answers a refused order: the error, then (for a 201 reject) openOrder and orderStatus
    /// Inactive.
    fn refuse(
        &mut self,
        client_id: i32,
        p: &PlaceOrder,
        contract: Option<ContractIdx>,
        refusal: Refusal,
    ) {
        tracing::info!(
            client_id,
            order_id = p.order_id,
            code = refusal.code,
            "order refused: {}",
            refusal.text
        );
        self.clients.send(
            client_id,
            self.notice(p.order_id, refusal.code, refusal.text.clone()),
        );
        let (true, Some(contract)) = (refusal.record, contract) else {
            return;
        };
        let idx = self.orders.orders.len();
        let perm_id = self.orders.next_perm_id;
        self.orders.next_perm_id += 1;
        let account = self
            .ledger
            .find(&p.account)
            .map_or_else(|| p.account.clone(), |a| a.id.clone());
        let side = Side::parse(&p.action).unwrap_or(Side::Buy);
        let kind = p.limit_price.map_or(Kind::Market, Kind::Limit);
        let mut order = SimOrder::new(perm_id, client_id, p, contract, side, kind, account);
        order.status = Status::Inactive;
        order.reject_reason = refusal.text;
        order.completed_at = Some(self.now);
        self.orders.orders.push(order);
        self.orders
            .by_client_id
            .insert((client_id, p.order_id), idx);
        self.send_order_state(idx);
    }

    /// Whether the order's market may trade now (session hours, fill delay).
    fn fill_allowed_now(&self, idx: usize) -> bool {
        let o = &self.orders.orders[idx];
        if o.fill_after.is_some_and(|t| self.now < t)
            || o.lifetime.auction_at.is_some_and(|t| self.now < t)
        {
            return false;
        }
        !self.config.market.session_hours
            || clock::is_open(self.book.spec(o.contract).market, self.now)
    }

    /// A market order's price: the last trade, slippage against the taker, on the tick ladder.
    pub(super) fn market_fill_price(&self, contract: ContractIdx, side: Side) -> f64 {
        let spec = self.book.spec(contract);
        let last = self.market.get(contract).last;
        let slip = self.config.matching.slippage_bps / 10_000.0;
        let raw = match side {
            Side::Buy => last * (1.0 + slip),
            Side::Sell => last * (1.0 - slip),
        };
        round_to_tick(raw, spec.tick_size(raw))
    }

    /// The price the order would fill at now, if it may fill.
    fn fill_price(&self, idx: usize) -> Option<f64> {
        let o = &self.orders.orders[idx];
        let waiting = o.trigger.is_some() || o.awaiting_parent;
        if !o.status.is_working() || waiting || !self.fill_allowed_now(idx) {
            return None;
        }
        let last = self.market.get(o.contract).last;
        match (o.kind, o.side) {
            (Kind::Market, side) => Some(self.market_fill_price(o.contract, side)),
            (Kind::Limit(limit), Side::Buy) => (last <= limit + 1e-9).then_some(last),
            (Kind::Limit(limit), Side::Sell) => (last >= limit - 1e-9).then_some(last),
        }
    }

    /// Matches every working order against the current prices.
    pub(in crate::engine) fn match_working_orders(&mut self) {
        self.expire_day_orders();
        let working: Vec<usize> = self.orders.working.iter().copied().collect();
        for idx in working {
            self.match_order(idx);
        }
    }

    /// Matches one order against the current price: triggers it, takes it live, fills it.
    pub(super) fn match_order(&mut self, idx: usize) {
        if !self.orders.orders[idx].status.is_working() {
            return; // cancelled by a fill in its group meanwhile
        }
        self.fire_trigger(idx);
        let o = &self.orders.orders[idx];
        // An OPG, MOC or LOC order gets one match, at the opening or the close: it fills then
        // or is cancelled, and never rests.
        let waiting = o.trigger.is_some() || o.awaiting_parent || o.lifetime.auction_at.is_some();
        let was_held = o.status == Status::PreSubmitted && !waiting;
        if was_held && self.fill_price(idx).is_none() && self.fill_allowed_now(idx) {
            // A held order (closed market, delay, a stop just triggered, a child whose parent
            // filled) goes live.
            self.orders.orders[idx].status = Status::Submitted;
            self.send_order_state(idx);
        }
        self.try_fill(idx);
        self.end_of_first_chance(idx);
    }

    /// Fills the order (or one slice of it) if its price is there.
    fn try_fill(&mut self, idx: usize) {
        let Some(price) = self.fill_price(idx) else {
            return;
        };
        let o = &self.orders.orders[idx];
        let remaining = o.total - o.filled;
        let shares = self
            .config
            .matching
            .max_fill_per_tick
            .map_or(remaining, |cap| cap.min(remaining));
        if shares > 0.0 {
            self.execute(idx, shares, price);
        }
    }

    /// Books one execution and tells the owner (and the master client).
    fn execute(&mut self, idx: usize, shares: f64, price: f64) {
        let (contract, side, account) = {
            let o = &self.orders.orders[idx];
            (o.contract, o.side, o.account.clone())
        };
        let currency = self.book.spec(contract).currency.clone();
        let commission = self
            .config
            .commissions
            .get(&currency)
            .copied()
            .unwrap_or_default()
            .charge(shares, price);
        let realized = self.ledger.book_execution(
            &account, contract, &currency, side, shares, price, commission,
        );
        let o = &mut self.orders.orders[idx];
        o.avg_price = (o.avg_price * o.filled + price * shares) / (o.filled + shares);
        o.filled += shares;
        o.last_fill_price = price;
        o.commission += commission;
        let complete = o.total - o.filled < 1e-9;
        if complete {
            o.status = Status::Filled;
            o.completed_at = Some(self.now);
            self.orders.working.remove(&idx);
        } else {
            o.status = Status::Submitted;
        }
        let seq = self.orders.fills.len() as u32 + 1;
        let fill = Fill {
            order: idx,
            exec_id: format!("0000{:04x}.{:08x}.01.01", self.orders.exec_prefix, seq),
            time: self.now,
            shares,
            price,
            cum_qty: o.filled,
            avg_price: o.avg_price,
            commission,
            realized,
            garbled_time: self.faults.garble_exec_times > 0,
        };
        self.faults.garble_exec_times = self.faults.garble_exec_times.saturating_sub(1);
        let exec = Response::ExecDetails {
            req_id: -1,
            contract: self.book.fields(contract),
            execution: self.execution_view(&fill),
        };
        let report = Response::CommissionReport(self.commission_view(&fill));
        self.orders.fills.push(fill);
        self.notify_owner(idx, exec.clone());
        if self.faults.duplicate_next_execs > 0 {
            self.faults.duplicate_next_execs -= 1;
            self.notify_owner(idx, exec);
        }
        if complete {
            self.send_order_state(idx);
        } else {
            self.notify_owner(idx, Response::OrderStatus(self.status_view(idx)));
        }
        self.notify_owner(idx, report);
        self.publish_account_change(&account, contract);
        self.apply_oca(idx, shares);
        if complete {
            self.release_children(idx);
        }
    }

    /// openOrder + orderStatus for the order's current state, to its owner.
    pub(super) fn send_order_state(&self, idx: usize) {
        self.notify_owner(idx, Response::OpenOrder(self.order_view(idx)));
        self.notify_owner(idx, Response::OrderStatus(self.status_view(idx)));
    }

    /// Sends an order event to the client that owns the order and to the master client.
    fn notify_owner(&self, idx: usize, response: Response) {
        let owner = self.orders.orders[idx].client_id;
        match self.config.master_client_id {
            Some(master) if master != owner => {
                self.clients.send(master, response.clone());
                self.clients.send(owner, response);
            }
            _ => self.clients.send(owner, response),
        }
    }

    pub(in crate::engine) fn cancel_order(&mut self, client_id: i32, order_id: i32) {
        let Some(&idx) = self.orders.by_client_id.get(&(client_id, order_id)) else {
            let text = format!("OrderId {order_id} that needs to be cancelled is not found.");
            return self.clients.send(
                client_id,
                self.notice(order_id, codes::CANCEL_NOT_FOUND, text),
            );
        };
        let status = self.orders.orders[idx].status;
        if !status.is_working() {
            let text = format!(
                "OrderId {order_id} that needs to be cancelled cannot be cancelled, state: {}.",
                status.as_str()
            );
            return self.clients.send(
                client_id,
                self.notice(order_id, codes::CANCEL_NOT_ALLOWED, text),
            );
        }
        self.cancel(idx);
    }

    /// Cancels a working order: error 202, then orderStatus(Cancelled).
    pub(super) fn cancel(&mut self, idx: usize) {
        let o = &mut self.orders.orders[idx];
        o.status = Status::Cancelled;
        o.completed_at = Some(self.now);
        let order_id = o.order_id;
        self.orders.working.remove(&idx);
        self.notify_owner(
            idx,
            self.notice(order_id, codes::ORDER_CANCELED, "Order Canceled - reason:"),
        );
        self.notify_owner(idx, Response::OrderStatus(self.status_view(idx)));
        self.cancel_children(idx);
    }

    pub(in crate::engine) fn global_cancel(&mut self) {
        let working: Vec<usize> = self.orders.working.iter().copied().collect();
        for idx in working {
            // A child goes with its parent, before its own turn comes.
            if self.orders.orders[idx].status.is_working() {
                self.cancel(idx);
            }
        }
    }

    pub(in crate::engine) fn open_orders(&self, client_id: i32, all_clients: bool) {
        for &idx in &self.orders.working {
            if all_clients || self.orders.orders[idx].client_id == client_id {
                self.clients
                    .send(client_id, Response::OpenOrder(self.order_view(idx)));
                self.clients
                    .send(client_id, Response::OrderStatus(self.status_view(idx)));
            }
        }
        self.clients.send(client_id, Response::OpenOrderEnd);
    }

    pub(in crate::engine) fn completed_orders(&self, client_id: i32) {
        for (idx, o) in self.orders.orders.iter().enumerate() {
            if !o.status.is_working() {
                self.clients.send(
                    client_id,
                    Response::CompletedOrder(self.completed_view(idx)),
                );
            }
        }
        self.clients.send(client_id, Response::CompletedOrdersEnd);
    }

    /// The order as openOrder shows it.
    fn order_view(&self, idx: usize) -> OrderView {
        self.view(idx, false)
    }

    /// The order as completedOrder shows it (with completion time and text).
    fn completed_view(&self, idx: usize) -> OrderView {
        self.view(idx, true)
    }

    fn view(&self, idx: usize, completed: bool) -> OrderView {
        let o = &self.orders.orders[idx];
        let spec = self.book.spec(o.contract);
        let (zone, tz) = clock::market_zone(spec.market);
        let completed_at = o.completed_at.filter(|_| completed);
        let (completed_time, completed_status) = match (completed_at, o.status) {
            (Some(at), Status::Filled) => (clock::zoned_time(at, zone, tz), "Filled".to_string()),
            (Some(at), Status::Cancelled) => (
                clock::zoned_time(at, zone, tz),
                "Cancelled by Trader".to_string(),
            ),
            (Some(at), Status::Inactive) => {
                (clock::zoned_time(at, zone, tz), o.reject_reason.clone())
            }
            _ => (String::new(), String::new()),
        };
        OrderView {
            order_id: o.order_id,
            client_id: o.client_id,
            perm_id: o.perm_id,
            contract: self.book.fields(o.contract),
            action: o.side.action().to_string(),
            total_quantity: o.total,
            filled_quantity: o.filled,
            order_type: o.order_type.clone(),
            limit_price: match o.kind {
                Kind::Limit(p) => Some(p),
                Kind::Market => None,
            },
            aux_price: o.aux_price,
            trail_stop_price: o.trail_stop_price,
            trailing_percent: o.trailing_percent,
            lmt_price_offset: o.lmt_price_offset,
            parent_id: o.parent_id,
            oca_group: o.oca_group.clone(),
            oca_type: o.oca_type,
            transmit: true,
            tif: o.tif.clone(),
            account: o.account.clone(),
            order_ref: o.order_ref.clone(),
            outside_rth: o.outside_rth,
            status: o.status.as_str().to_string(),
            commission: (o.filled > 0.0).then_some(o.commission),
            commission_currency: spec.currency.clone(),
            reject_reason: o.reject_reason.clone(),
            completed_time,
            completed_status,
        }
    }

    fn status_view(&self, idx: usize) -> StatusView {
        let o = &self.orders.orders[idx];
        StatusView {
            order_id: o.order_id,
            status: o.status.as_str().to_string(),
            filled: o.filled,
            remaining: if o.status.is_working() || o.status == Status::Filled {
                o.total - o.filled
            } else {
                0.0
            },
            avg_fill_price: o.avg_price,
            perm_id: o.perm_id,
            parent_id: o.parent_id,
            last_fill_price: o.last_fill_price,
            client_id: o.client_id,
        }
    }

    fn execution_view(&self, f: &Fill) -> ExecutionView {
        let o = &self.orders.orders[f.order];
        ExecutionView {
            order_id: o.order_id,
            exec_id: f.exec_id.clone(),
            // A hostile peer's time: the year's last digit becomes a two-byte character, so
            // byte 4, where the month starts, falls inside it.
            time: if f.garbled_time {
                let text = exec_time(f.time);
                format!("{}\u{e9}{}", &text[..3], &text[4..])
            } else {
                exec_time(f.time)
            },
            account: o.account.clone(),
            exchange: self.book.spec(o.contract).primary_exchange.clone(),
            side: o.side.exec_side().to_string(),
            shares: f.shares,
            price: f.price,
            perm_id: o.perm_id,
            client_id: o.client_id,
            cum_qty: f.cum_qty,
            avg_price: f.avg_price,
            order_ref: o.order_ref.clone(),
        }
    }

    fn commission_view(&self, f: &Fill) -> CommissionView {
        let o = &self.orders.orders[f.order];
        CommissionView {
            exec_id: f.exec_id.clone(),
            commission: f.commission,
            currency: self.book.spec(o.contract).currency.clone(),
            realized_pnl: f.realized,
        }
    }

    /// Every execution as (owner client id, contract, execution, commission), oldest first.
    pub(in crate::engine) fn all_executions(
        &self,
    ) -> impl Iterator<
        Item = (
            i32,
            ContractIdx,
            ExecutionView,
            CommissionView,
            OffsetDateTime,
        ),
    > + '_ {
        self.orders.fills.iter().map(|f| {
            let o = &self.orders.orders[f.order];
            (
                o.client_id,
                o.contract,
                self.execution_view(f),
                self.commission_view(f),
                f.time,
            )
        })
    }
}
