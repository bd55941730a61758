//! The outcome of a backtest: a printed summary, a trades CSV, an equity-curve SVG.

use std::fmt;
use std::io::{self, Write};

use super::bars::timestamp::{Utc, format_time};
use super::decimal::{Fixed, push_uint};
use super::fill::Fill;
use super::instruments::SymbolTable;
use super::svg::{self, Panel};
use sandtrade_core::Side;
use sandtrade_risk::SignalCounts;

/// Everything a backtest produced. Made by [`Sim::finish`](super::Sim::finish).
#[derive(Debug, Clone)]
pub struct Report {
    /// Bars marked.
    pub bars: u64,
    /// Every fill, in order.
    pub fills: Vec<Fill>,
    /// Orders whose time in force ended unfilled.
    pub expired_orders: u64,
    /// Orders the strategy cancelled before they filled.
    pub cancelled_orders: u64,
    /// Exits of brackets cancelled with their bracket: the other exit filled in full, or the
    /// entry ended unfilled (cancelled or expired).
    pub exits_cancelled: u64,
    /// Orders still pending when the bars ran out.
    pub open_orders: u64,
    /// One per currency, in the order the instruments were declared.
    pub accounts: Vec<AccountSummary>,
    /// Positions still held at the end.
    pub positions: Vec<PositionSummary>,
    /// The strategy's signal outcomes.
    pub signals: SignalCounts,
    /// The instruments (to name the fills' symbols).
    pub table: SymbolTable,
}

/// The result in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSummary {
    /// `USD` or `HKD`.
    pub currency: &'static str,
    /// Cash at the start.
    pub initial_cash: f64,
    /// Cash at the end.
    pub final_cash: f64,
    /// Cash plus positions at their last close.
    pub final_equity: f64,
    /// `final_equity − initial_cash`: after commissions, open positions at their last close.
    pub net_pnl: f64,
    /// `net_pnl + commissions`.
    pub gross_pnl: f64,
    /// Commissions paid.
    pub commissions: f64,
    /// P&L of the shares sold, before commissions.
    pub realized_pnl: f64,
    /// `net_pnl / initial_cash`, if there was cash to start with.
    pub return_fraction: Option<f64>,
    /// Largest fall of equity from a peak, in the currency.
    pub max_drawdown: f64,
    /// The same as a fraction of that peak.
    pub max_drawdown_fraction: f64,
    /// Fills in this currency.
    pub fills: u64,
    /// Equity over time, `(time_ms, equity)`, at most
    /// [`MAX_CURVE_POINTS`](super::equity::MAX_CURVE_POINTS) points.
    pub curve: Vec<(i64, f64)>,
}

/// A position held at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionSummary {
    /// Contract symbol.
    pub symbol: String,
    /// Its currency.
    pub currency: &'static str,
    /// Shares.
    pub quantity: u32,
    /// Average cost.
    pub avg_cost: f64,
    /// Last close.
    pub last: f64,
}

/// One cell of the summary table: an account's value, formatted.
type Cell = fn(&AccountSummary) -> String;

/// The columns of the trades CSV.
pub const TRADES_HEADER: &str =
    "signal_id,time,symbol,action,side,quantity,price,commission,currency,realized_pnl";

impl Report {
    /// Writes one CSV row per fill ([`TRADES_HEADER`]): times in UTC RFC 3339, prices with 4
    /// decimals, money with 2.
    ///
    /// # Errors
    ///
    /// A write error.
    pub fn write_trades_csv(&self, out: impl Write) -> io::Result<()> {
        let mut out = io::BufWriter::new(out);
        writeln!(out, "{TRADES_HEADER}")?;
        // Each line is put together by hand: through `writeln!`, formatting took longer than
        // a million-bar replay's last tenth.
        let mut line = Vec::with_capacity(128);
        for f in &self.fills {
            let instrument = &self.table[f.symbol];
            line.clear();
            push_uint(&mut line, f.signal_id);
            line.push(b',');
            Utc(f.time_ms).write_to(&mut line);
            for text in [
                instrument.symbol.as_str(),
                f.action.as_str(),
                f.side.as_str(),
            ] {
                line.push(b',');
                line.extend_from_slice(text.as_bytes());
            }
            line.push(b',');
            push_uint(&mut line, u64::from(f.quantity));
            line.push(b',');
            Fixed(f.price, 4).write_to(&mut line);
            line.push(b',');
            Fixed(f.commission, 2).write_to(&mut line);
            line.push(b',');
            line.extend_from_slice(instrument.currency.as_bytes());
            line.push(b',');
            Fixed(f.realized_pnl, 2).write_to(&mut line);
            line.push(b'\n');
            out.write_all(&line)?;
        }
        out.flush()
    }

    /// The last `max` fills as a table, one line each (`time symbol side quantity @ price,
    /// commission, realized P&L`), headed by how many there are in all.
    pub fn recent_trades(&self, max: usize) -> String {
        use std::fmt::Write as _;
        let shown = &self.fills[self.fills.len().saturating_sub(max)..];
        let mut out = match (self.fills.len(), shown.len()) {
            (0, _) => return "Trades: none\n".to_owned(),
            (all, n) if n == all => format!("Trades ({all}):\n"),
            (all, n) => format!("Trades ({all}; the last {n}):\n"),
        };
        for f in shown {
            let instrument = &self.table[f.symbol];
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "  {}  {:<6} {:<11} {:<4} {:>7} @ {:>10.4} {}  commission {:.2}  realized {:+.2}",
                format_time(f.time_ms, 0),
                instrument.symbol,
                f.action.as_str(),
                f.side.as_str(),
                f.quantity,
                f.price,
                instrument.currency,
                f.commission,
                f.realized_pnl
            );
        }
        out
    }

    /// The equity curve of each currency as an SVG picture, one panel per currency.
    pub fn equity_svg(&self) -> String {
        svg::equity_svg(self.accounts.iter().map(|a| Panel {
            currency: a.currency,
            initial_cash: a.initial_cash,
            curve: &a.curve,
        }))
    }
}

/// `3 cancelled by the strategy, ` when it cancelled any; nothing otherwise (most strategies
/// never cancel, and their summary stays as it was).
struct CancelledText(u64);

impl fmt::Display for CancelledText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            n => write!(f, "{n} cancelled by the strategy, "),
        }
    }
}

/// `2 exits cancelled with their bracket, ` when any were; nothing otherwise (a strategy that
/// uses no brackets keeps its summary).
struct ExitsCancelledText(u64);

impl fmt::Display for ExitsCancelledText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => Ok(()),
            1 => write!(f, "1 exit cancelled with its bracket, "),
            n => write!(f, "{n} exits cancelled with their bracket, "),
        }
    }
}

impl fmt::Display for Report {
    /// The summary printed at the end of `sandtrade backtest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let buys = self.fills.iter().filter(|x| x.side == Side::Buy).count();
        writeln!(
            f,
            "Backtest: {} bars, {} fills ({buys} buys, {} sells), {} orders expired unfilled, {}{}{} orders open at the end",
            self.bars,
            self.fills.len(),
            self.fills.len() - buys,
            self.expired_orders,
            CancelledText(self.cancelled_orders),
            ExitsCancelledText(self.exits_cancelled),
            self.open_orders
        )?;
        write!(
            f,
            "Signals: {} accepted, {} rejected",
            self.signals.accepted,
            self.signals.total_rejected()
        )?;
        let rejects: Vec<String> = self
            .signals
            .nonzero_rejections()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        if !rejects.is_empty() {
            write!(f, " ({})", rejects.join(", "))?;
        }
        writeln!(f)?;
        if !self.accounts.is_empty() {
            writeln!(f)?;
            write!(f, "{:<16}", "")?;
            for a in &self.accounts {
                write!(f, "{:>16}", a.currency)?;
            }
            writeln!(f)?;
            let rows: [(&str, Cell); 9] = [
                ("start cash", |a| format!("{:.2}", a.initial_cash)),
                ("end equity", |a| format!("{:.2}", a.final_equity)),
                ("net P&L", |a| format!("{:+.2}", a.net_pnl)),
                ("gross P&L", |a| format!("{:+.2}", a.gross_pnl)),
                ("commissions", |a| format!("{:.2}", a.commissions)),
                ("realized P&L", |a| format!("{:+.2}", a.realized_pnl)),
                ("return", |a| {
                    a.return_fraction
                        .map_or_else(|| "n/a".into(), |r| format!("{:+.2}%", r * 100.0))
                }),
                ("max drawdown", |a| format!("{:.2}", a.max_drawdown)),
                ("max drawdown %", |a| {
                    format!("{:.2}%", a.max_drawdown_fraction * 100.0)
                }),
            ];
            for (label, cell) in rows {
                write!(f, "{label:<16}")?;
                for a in &self.accounts {
                    write!(f, "{:>16}", cell(a))?;
                }
                writeln!(f)?;
            }
        }
        if !self.positions.is_empty() {
            writeln!(f)?;
            writeln!(f, "Open positions:")?;
            for p in &self.positions {
                writeln!(
                    f,
                    "  {} {} @ {:.4} {} (last {:.4})",
                    p.symbol, p.quantity, p.avg_cost, p.currency, p.last
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use super::*;
    use crate::{BarRow, CommissionSchedule, Sim, SimConfig};
    use sandtrade_core::{Action, Bar, OrderType, RejectCode, normalize};
    use sandtrade_risk::{SignalCounters, ValidatedOrder};

    const T0: i64 = 1_704_205_800_000;

    /// Buys 100 AAPL at 10, sells 40 at 12.5, holds 60 at a last close of 11; US commission
    /// 0.005/share (min 1). One limit order expires. Two rejections counted.
    fn small_report() -> Report {
        let table = SymbolTable::from_symbols(&["AAPL"]).unwrap();
        let config = SimConfig {
            slippage_bps: 0.0,
            commissions: CommissionSchedule::default(),
            initial_cash: BTreeMap::from([("USD".into(), 10_000.0)]),
        };
        let mut sim = Sim::new(&config, table.clone()).unwrap();
        let aapl = table.id_of_symbol("AAPL").unwrap();
        let order = |action: Action, quantity, order_type| ValidatedOrder {
            instrument: Arc::new(normalize("AAPL").unwrap()),
            action,
            side: action.side(),
            quantity,
            order_type,
            timing: sandtrade_core::Timing::DAY,
            reason: String::new(),
        };
        let bars = [
            (10.0, 10.0),
            (10.0, 12.0),
            (12.5, 12.5),
            (12.5, 11.0),
            (11.0, 11.0),
        ];
        let orders = [
            Some(order(Action::OpenLong, 100, OrderType::Market)),
            Some(order(Action::ReduceLong, 40, OrderType::Market)),
            Some(order(Action::ReduceLong, 10, OrderType::Limit(20.0))),
            None,
            None,
        ];
        for (minute, ((open, close), submit)) in bars.into_iter().zip(orders).enumerate() {
            let bar = BarRow {
                symbol: aapl,
                bar: Bar {
                    start_ms: T0 + minute as i64 * 60_000,
                    open,
                    high: open.max(close),
                    low: open.min(close),
                    close,
                    volume: 1.0,
                },
            };
            sim.open(&bar);
            if let Some(o) = submit {
                sim.submit(&o, bar.bar.start_ms).unwrap();
            }
            sim.mark(&bar);
        }
        let counters = SignalCounters::new();
        for _ in 0..3 {
            counters.record_accepted();
        }
        counters.record_rejected(RejectCode::ShortNotAllowed);
        counters.record_rejected(RejectCode::RateLimit);
        sim.finish(counters.snapshot())
    }

    #[test]
    fn summary() {
        assert_eq!(
            small_report().to_string(),
            "\
Backtest: 5 bars, 2 fills (1 buys, 1 sells), 1 orders expired unfilled, 0 orders open at the end
Signals: 3 accepted, 2 rejected (short-not-allowed 1, rate-limit 1)

                             USD
start cash              10000.00
end equity              10158.00
net P&L                  +158.00
gross P&L                +160.00
commissions                 2.00
realized P&L             +100.00
return                    +1.58%
max drawdown               90.00
max drawdown %             0.88%

Open positions:
  AAPL 60 @ 10.0000 USD (last 11.0000)
"
        );
    }

    #[test]
    fn trades_csv() {
        let mut out = Vec::new();
        small_report().write_trades_csv(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\
signal_id,time,symbol,action,side,quantity,price,commission,currency,realized_pnl
1,2024-01-02T14:31:00Z,AAPL,open-long,buy,100,10.0000,1.00,USD,0.00
2,2024-01-02T14:32:00Z,AAPL,reduce-long,sell,40,12.5000,1.00,USD,100.00
"
        );
    }

    #[test]
    fn recent_trades() {
        let report = small_report();
        assert_eq!(
            report.recent_trades(1),
            "\
Trades (2; the last 1):
  2024-01-02T14:32:00Z  AAPL   reduce-long sell      40 @    12.5000 USD  commission 1.00  realized +100.00
"
        );
        assert!(report.recent_trades(10).starts_with("Trades (2):\n"));
    }

    #[test]
    fn equity_svg() {
        // Equity 10000, 10199, 10248, 10158, 10158 over 14:30..14:34; the range is 10000..10248.
        assert_eq!(
            small_report().equity_svg(),
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="260" viewBox="0 0 800 260" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="100" y="20.0" font-size="14" font-weight="bold">Equity (USD)</text>
<rect x="100" y="34.0" width="680.0" height="190.0" fill="none" stroke="#999999"/>
<line x1="100" y1="224.0" x2="780.0" y2="224.0" stroke="#999999" stroke-dasharray="4 4"/>
<polyline points="100.0,224.0 270.0,71.5 440.0,34.0 610.0,103.0 780.0,103.0" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
<text x="94.0" y="38.0" text-anchor="end">10248.00</text>
<text x="94.0" y="228.0" text-anchor="end">10000.00</text>
<text x="100.0" y="242.0" text-anchor="start">2024-01-02T14:30:00Z</text>
<text x="780.0" y="242.0" text-anchor="end">2024-01-02T14:34:00Z</text>
</svg>
"##
        );
    }
}
