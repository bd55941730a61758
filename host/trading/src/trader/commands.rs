//! Operator commands: each [`Command`] answered on the trading thread, by the part it
//! concerns.

use super::Trader;
use crate::connection;
use crate::handle::{Command, CommandError};

impl Trader {
    /// An operator's command (a reply nobody waits for any more is not an error).
    pub(super) async fn on_command(&mut self, command: Command) {
        match command {
            Command::Status(reply) => {
                let _ = reply.send(self.status());
            }
            Command::Positions(reply) => {
                let _ = reply.send(self.orders.positions());
            }
            Command::Orders(reply) => {
                let _ = reply.send(self.orders.orders());
            }
            Command::Order(id, reply) => {
                let _ = reply.send(self.orders.order(id));
            }
            Command::Strategies(reply) => {
                let feed = &self.feed;
                let _ = reply.send(self.strategies.views(|name| feed.is_warming(name)));
            }
            Command::Submit(order, reply) => {
                let _ = reply.send(Ok(self.orders.submit(&order)));
                self.send_queued().await;
            }
            Command::Cancel(id, reply) => {
                let _ = reply.send(self.orders.cancel(id, &mut self.connection).await);
            }
            Command::Modify(id, change, reply) => {
                let connected = self.connection.client().is_some();
                let _ = reply.send(self.orders.modify(id, &change, connected));
                // Sends it (or the queued order with its new terms) at once.
                self.send_queued().await;
            }
            Command::SettleUnknown(id, settlement, reason, reply) => {
                let _ = reply.send(self.orders.settle_unknown(id, settlement, &reason));
                self.send_queued().await;
                self.send_queued().await;
            }
            Command::Connection(up, reply) => {
                self.connection.hold_down(!up);
                if !up {
                    self.lose_connection("disconnected by the operator".into())
                        .await;
                }
                let _ = reply.send(());
            }
            Command::Reconcile(reply) => {
                let outcome = if self.connection.is_held_down() {
                    Err(CommandError::Refused(
                        "disconnected by the operator: connect first".into(),
                    ))
                } else {
                    self.lose_connection("reconnecting to reconcile, as the operator asked".into())
                        .await;
                    self.connection.hold_down(false);
                    Ok(())
                };
                let _ = reply.send(outcome);
            }
            Command::EnableStrategy(name, enable, reply) => {
                let outcome = if enable {
                    match self.strategies.enable(&name) {
                        Ok(true) => Ok(()),
                        Ok(false) => Err(CommandError::NotFound(format!("strategy {name}"))),
                        Err(e) => Err(CommandError::Refused(e.to_string())),
                    }
                } else if self.strategies.disable(&name) {
                    Ok(())
                } else {
                    Err(CommandError::NotFound(format!("strategy {name}")))
                };
                let _ = reply.send(outcome);
            }
            Command::ReloadStrategy(name, reply) => self.strategies.reload(name, reply),
            Command::Account(reply) => {
                connection::queries::account(&mut self.connection, reply).await
            }
            Command::Quote(instrument, reply) => {
                connection::queries::quote(&mut self.connection, instrument, reply).await;
            }
            Command::Exposure(strategy, symbol, reply) => {
                let _ = reply.send(self.orders.exposure(&strategy, &symbol));
            }
            Command::Republish => {
                self.republish = true;
                // A resume lets the queue drain now; a halt is reported as holding it.
                self.send_queued().await;
            }
            Command::ConnectTo(target, reply) => {
                let outcome = match self.connection.retarget(target) {
                    Ok(address) => {
                        // Orders keep queueing meanwhile; the new connection reconciles
                        // before anything is sent, as every connection does.
                        self.lose_connection(format!(
                            "reconnecting to {address}, as the operator asked"
                        ))
                        .await;
                        self.connection.hold_down(false);
                        Ok(())
                    }
                    Err(why) => Err(CommandError::Refused(why)),
                };
                let _ = reply.send(outcome);
            }
        }
    }
}
