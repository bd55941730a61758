//! reqExecutions: every matching fill, each followed by its commission report, then the end.

use super::Engine;
use super::clock;
use crate::messages::{ExecutionFilter, Response};

impl Engine {
    pub(super) fn executions(&self, client_id: i32, req_id: i32, filter: &ExecutionFilter) {
        let since = clock::parse_time(&filter.time);
        for (owner, contract, execution, commission, at) in self.all_executions() {
            let spec = self.book.spec(contract);
            let same =
                |wanted: &str, have: &str| wanted.is_empty() || wanted.eq_ignore_ascii_case(have);
            let side_ok = filter.side.is_empty()
                || crate::messages::Side::parse(&filter.side)
                    .is_some_and(|s| s.exec_side() == execution.side);
            let exchange_ok = same(&filter.exchange, &execution.exchange)
                || same(&filter.exchange, spec.routing_exchange());
            let matched = (filter.client_id == 0 || filter.client_id == owner)
                && same(&filter.account, &execution.account)
                && same(&filter.symbol, &spec.symbol)
                && same(&filter.sec_type, "STK")
                && exchange_ok
                && side_ok
                && since.is_none_or(|t| at >= t);
            if matched {
                let contract = self.book.fields(contract);
                self.clients.send(
                    client_id,
                    Response::ExecDetails {
                        req_id,
                        contract,
                        execution,
                    },
                );
                self.clients
                    .send(client_id, Response::CommissionReport(commission));
            }
        }
        self.clients
            .send(client_id, Response::ExecDetailsEnd(req_id));
    }
}
