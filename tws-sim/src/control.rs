//! The control interface: a line protocol on its own TCP port, for operators and for test
//! suites in other languages (`nc 127.0.0.1 4243`, or any socket library).
//!
//! One command per line; one reply line per command, starting `OK` or `ERR`:
//!
//! | command | effect |
//! |---|---|
//! | `status` | faults armed, connections, clients, simulated time |
//! | `step [N]` | advance N (default 1) simulated seconds |
//! | `bar` | advance to the next five-second boundary (every open market closes a bar) |
//! | `price SYMBOL` / `price SYMBOL X` | show / set a price |
//! | `hold-option ACCOUNT CONID SYMBOL EXPIRY STRIKE C\|P QUANTITY [AVGCOST]` | the account holds an option beside its stocks (reported by reqPositions, never traded) |
//! | `clients` | started client ids |
//! | `drop` | close every connection now |
//! | `drop-after N` | close each open connection after N more messages to it |
//! | `reject N` | reject the next N orders (201) |
//! | `delay-fills MS` / `delay-fills off` | delay fills by simulated milliseconds |
//! | `dup-exec` | report the next execution twice |
//! | `reject-by-notice N` | refuse the next N orders with error 201 alone (no Inactive status) |
//! | `garble-exec-time` | give the next execution a time that is not ASCII |
//! | `lose N` | lose the next N orders: no answer, nothing kept |
//! | `pause` / `resume` | stop / resume ticks and bars |
//! | `restart [ID]` | drop everything, roll nextValidId back to ID (default: the first id) |
//! | `silent on` / `silent off` | stop / resume writing to clients, sockets stay open |
//! | `lost` / `restored` | send error 1100 / 1102 to every client |
//! | `no-live SYMBOL CODE` / `no-live SYMBOL off` | refuse the account live data of SYMBOL with CODE (354, 10089, 10167, 10168), serving delayed ticks instead / give it live data again |
//! | `clear` | disarm every fault |
//! | `help` | list the commands |
//! | `quit` | close this control connection |

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::config::{HeldOption, OptionRight};
use crate::engine::clock::BAR_SECONDS;
use crate::faults::{Fault, Faults};
use crate::server::Shared;

/// One parsed control line.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `status`.
    Status,
    /// `step [N]`.
    Step(u32),
    /// `bar`.
    Bar,
    /// `price SYMBOL [X]`.
    Price {
        /// The symbol.
        symbol: String,
        /// The new price, when setting.
        set: Option<f64>,
    },
    /// `hold-option ACCOUNT CONID SYMBOL EXPIRY STRIKE C|P QUANTITY [AVGCOST]`.
    HoldOption {
        /// The account that holds it.
        account: String,
        /// The option and how many (multiplier, currency and exchange as a config's defaults).
        option: HeldOption,
    },
    /// `clients`.
    Clients,
    /// A switchboard fault.
    Fault(Fault),
    /// `clear`.
    Clear,
    /// `help`.
    Help,
    /// `quit`.
    Quit,
}

/// The `help` text.
pub const HELP: &str = "commands: status | step [N] | bar | price SYMBOL [X] | \
hold-option ACCOUNT CONID SYMBOL EXPIRY STRIKE C|P QUANTITY [AVGCOST] | clients | drop | drop-after N | \
reject N | reject-by-notice N | delay-fills MS|off | dup-exec | garble-exec-time | lose N | pause | resume | restart [ID] | silent on|off | lost | restored | no-live SYMBOL CODE|off | clear | help | quit";

/// Parses one line. The error is the reply's text after `ERR `.
pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else {
        return Err("empty command; try help".into());
    };
    let args: Vec<&str> = words.collect();
    let number = |i: usize, what: &str| -> Result<u32, String> {
        let text = args.get(i).ok_or_else(|| format!("{verb} needs {what}"))?;
        text.parse()
            .map_err(|_| format!("{what} must be a whole number, got {text:?}"))
    };
    let switch = |what: &str| match args.first().copied() {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        other => Err(format!("{what} takes on or off, got {other:?}")),
    };
    let command = match verb.to_ascii_lowercase().as_str() {
        "status" => Command::Status,
        "step" => Command::Step(if args.is_empty() {
            1
        } else {
            number(0, "a tick count")?
        }),
        "bar" => Command::Bar,
        "price" => {
            let symbol = args.first().ok_or("price needs a symbol")?.to_string();
            let set = match args.get(1) {
                Some(text) => Some(
                    text.parse::<f64>()
                        .ok()
                        .filter(|p| *p > 0.0 && p.is_finite())
                        .ok_or_else(|| format!("price must be a positive number, got {text:?}"))?,
                ),
                None => None,
            };
            Command::Price { symbol, set }
        }
        "hold-option" => hold_option(&args)?,
        "clients" => Command::Clients,
        "drop" => Command::Fault(Fault::DropAllConnections),
        "drop-after" => Command::Fault(Fault::DropAfterMessages(number(0, "a message count")?)),
        "reject" => Command::Fault(Fault::RejectNextOrders(number(0, "an order count")?)),
        "delay-fills" => match args.first().copied() {
            Some("off") => Command::Fault(Fault::DelayFills(None)),
            _ => Command::Fault(Fault::DelayFills(Some(Duration::from_millis(u64::from(
                number(0, "milliseconds")?,
            ))))),
        },
        "dup-exec" => Command::Fault(Fault::DuplicateNextExec),
        "reject-by-notice" => {
            Command::Fault(Fault::RejectByNoticeOnly(number(0, "an order count")?))
        }
        "garble-exec-time" => Command::Fault(Fault::GarbleNextExecTime),
        "lose" => Command::Fault(Fault::LoseNextOrders(number(0, "an order count")?)),
        "pause" => Command::Fault(Fault::PauseMarketData(true)),
        "resume" => Command::Fault(Fault::PauseMarketData(false)),
        "restart" => Command::Fault(Fault::Restart {
            next_valid_id: match args.first() {
                Some(_) => Some(number(0, "an order id")? as i32),
                None => None,
            },
        }),
        "silent" => Command::Fault(Fault::Silent(switch("silent")?)),
        "lost" => Command::Fault(Fault::ConnectivityLost),
        "restored" => Command::Fault(Fault::ConnectivityRestored),
        "no-live" => {
            let symbol = args
                .first()
                .ok_or("no-live needs a symbol and a code (354, 10089, 10167, 10168) or off")?;
            let code = match args.get(1).copied() {
                Some("off") => None,
                Some(text) => {
                    let code: i32 = text
                        .parse()
                        .map_err(|_| format!("the code must be a whole number, got {text:?}"))?;
                    if crate::engine::codes::no_live_data_text(code).is_none() {
                        return Err(format!(
                            "{code} is not a code IB refuses live market data with (354, 10089, 10167, 10168)"
                        ));
                    }
                    Some(code)
                }
                None => return Err("no-live needs a code (354, 10089, 10167, 10168) or off".into()),
            };
            Command::Fault(Fault::NoLiveData {
                symbol: symbol.to_string(),
                code,
            })
        }
        "clear" => Command::Clear,
        "help" => Command::Help,
        "quit" => Command::Quit,
        other => return Err(format!("unknown command {other:?}; try help")),
    };
    Ok(command)
}

/// `hold-option`'s arguments: `ACCOUNT CONID SYMBOL EXPIRY STRIKE C|P QUANTITY [AVGCOST]`.
/// The option's own checks (expiry, strike, a stock's conId) are the engine's, as for a
/// configured one.
fn hold_option(args: &[&str]) -> Result<Command, String> {
    const USAGE: &str =
        "hold-option needs ACCOUNT CONID SYMBOL EXPIRY STRIKE C|P QUANTITY [AVGCOST]";
    let [
        account,
        con_id,
        symbol,
        expiry,
        strike,
        right,
        quantity,
        rest @ ..,
    ] = args
    else {
        return Err(USAGE.into());
    };
    let number = |text: &str, what: &str| {
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{what} must be a number, got {text:?}"))
    };
    let average_cost = match rest {
        [] => 0.0,
        [cost] => number(cost, "the average cost")?,
        _ => return Err(USAGE.into()),
    };
    let right = match right.to_ascii_uppercase().as_str() {
        "C" => OptionRight::Call,
        "P" => OptionRight::Put,
        _ => return Err(format!("the right must be C or P, got {right:?}")),
    };
    let con_id = con_id
        .parse()
        .map_err(|_| format!("the conId must be a whole number, got {con_id:?}"))?;
    let strike = number(strike, "the strike")?;
    let quantity = number(quantity, "the quantity")?;
    let option = HeldOption {
        average_cost,
        ..HeldOption::us_equity(con_id, symbol, expiry, strike, right, quantity)
    };
    Ok(Command::HoldOption {
        account: account.to_string(),
        option,
    })
}

/// Client ids as a reply writes them: `[1,2]`, no space, so that a `status` line splits into
/// its `key=value` pairs at the spaces.
fn id_list(ids: &[i32]) -> String {
    let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
    format!("[{}]", ids.join(","))
}

/// Carries out one command and returns the reply line (without newline).
pub(crate) fn execute(shared: &Arc<Shared>, command: Command) -> String {
    let faults = Faults::new(shared.clone());
    match command {
        Command::Status => {
            let status = faults.status();
            let engine = shared.engine();
            let s = &status.state;
            let no_live: Vec<String> = s
                .no_live_data
                .iter()
                .map(|(symbol, code)| format!("{symbol}:{code}"))
                .collect();
            format!(
                "OK now={} connections={} clients={} reject_next={} fill_delay_ms={} dup_execs={} paused={} silent={} no_live=[{}]",
                engine.now().unix_timestamp(),
                status.connections,
                id_list(&engine.client_ids()),
                s.reject_next_orders,
                s.fill_delay
                    .map_or("off".to_string(), |d| d.as_millis().to_string()),
                s.duplicate_next_execs,
                s.market_data_paused,
                status.silent,
                no_live.join(",")
            )
        }
        Command::Step(n) => {
            let mut engine = shared.engine();
            for _ in 0..n {
                engine.step();
            }
            format!("OK now={}", engine.now().unix_timestamp())
        }
        Command::Bar => {
            let mut engine = shared.engine();
            engine.step();
            while engine.now().unix_timestamp() % BAR_SECONDS != 0 {
                engine.step();
            }
            format!("OK now={}", engine.now().unix_timestamp())
        }
        Command::Price { symbol, set } => {
            let mut engine = shared.engine();
            let Some(idx) = engine.book().by_symbol(&symbol) else {
                return format!("ERR unknown symbol {symbol:?}");
            };
            if let Some(price) = set {
                engine.set_price(idx, price);
            }
            format!(
                "OK {} {}",
                engine.book().spec(idx).symbol,
                engine.market().get(idx).last
            )
        }
        Command::HoldOption { account, option } => {
            let (con_id, quantity) = (option.con_id, option.quantity);
            match shared.engine().hold_option(&account, option) {
                Ok(()) => format!("OK account={account} con_id={con_id} position={quantity}"),
                Err(e) => format!("ERR {e}"),
            }
        }
        Command::Clients => format!("OK {}", id_list(&shared.engine().client_ids())),
        Command::Fault(Fault::NoLiveData { symbol, code }) => {
            let done = match code {
                Some(code) => faults.refuse_live_data(&symbol, code),
                None if shared.engine().book().by_symbol(&symbol).is_none() => Err(
                    crate::faults::NoLiveDataError::UnknownSymbol(symbol.clone()),
                ),
                None => {
                    faults.allow_live_data(&symbol);
                    Ok(())
                }
            };
            match done {
                Ok(()) => format!(
                    "OK {} {}",
                    symbol.to_ascii_uppercase(),
                    code.map_or("live".to_string(), |c| format!("no-live={c}"))
                ),
                Err(e) => format!("ERR {e}"),
            }
        }
        Command::Fault(fault) => {
            let touched = faults.apply(fault);
            format!("OK connections={touched}")
        }
        Command::Clear => {
            faults.clear();
            "OK".to_string()
        }
        Command::Help => format!("OK {HELP}"),
        Command::Quit => "OK bye".to_string(),
    }
}

/// Serves control connections until shutdown.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((socket, peer)) => {
                    tracing::info!(%peer, "control connection");
                    tokio::spawn(session(socket, shared.clone(), shutdown.clone()));
                }
                Err(e) => {
                    tracing::warn!("control accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

async fn session(socket: TcpStream, shared: Arc<Shared>, shutdown: CancellationToken) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    loop {
        let line = tokio::select! {
            _ = shutdown.cancelled() => break,
            line = lines.next_line() => match line {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("control connection: {e}");
                    break;
                }
            },
        };
        if line.trim().is_empty() {
            continue;
        }
        let (reply, quit) = match parse(&line) {
            Ok(command) => {
                let quit = command == Command::Quit;
                (execute(&shared, command), quit)
            }
            Err(e) => (format!("ERR {e}"), false),
        };
        tracing::info!(command = %line.trim(), %reply, "control");
        if write
            .write_all(format!("{reply}\n").as_bytes())
            .await
            .is_err()
            || quit
        {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_command() {
        assert_eq!(parse("status"), Ok(Command::Status));
        assert_eq!(parse("step"), Ok(Command::Step(1)));
        assert_eq!(parse("step 30"), Ok(Command::Step(30)));
        assert_eq!(
            parse("price AAPL"),
            Ok(Command::Price {
                symbol: "AAPL".into(),
                set: None
            })
        );
        assert_eq!(
            parse("price 700 301.2"),
            Ok(Command::Price {
                symbol: "700".into(),
                set: Some(301.2)
            })
        );
        assert_eq!(
            parse("hold-option DU1 712345678 AAPL 20250117 200 c -2 350"),
            Ok(Command::HoldOption {
                account: "DU1".into(),
                option: HeldOption {
                    average_cost: 350.0,
                    ..HeldOption::us_equity(
                        712345678,
                        "AAPL",
                        "20250117",
                        200.0,
                        OptionRight::Call,
                        -2.0
                    )
                },
            })
        );
        assert_eq!(parse("drop"), Ok(Command::Fault(Fault::DropAllConnections)));
        assert_eq!(
            parse("drop-after 3"),
            Ok(Command::Fault(Fault::DropAfterMessages(3)))
        );
        assert_eq!(
            parse("reject 2"),
            Ok(Command::Fault(Fault::RejectNextOrders(2)))
        );
        assert_eq!(
            parse("delay-fills 1500"),
            Ok(Command::Fault(Fault::DelayFills(Some(
                Duration::from_millis(1500)
            ))))
        );
        assert_eq!(
            parse("delay-fills off"),
            Ok(Command::Fault(Fault::DelayFills(None)))
        );
        assert_eq!(
            parse("dup-exec"),
            Ok(Command::Fault(Fault::DuplicateNextExec))
        );
        assert_eq!(
            parse("reject-by-notice 1"),
            Ok(Command::Fault(Fault::RejectByNoticeOnly(1)))
        );
        assert_eq!(
            parse("garble-exec-time"),
            Ok(Command::Fault(Fault::GarbleNextExecTime))
        );
        assert_eq!(
            parse("lose 2"),
            Ok(Command::Fault(Fault::LoseNextOrders(2)))
        );
        assert_eq!(
            parse("pause"),
            Ok(Command::Fault(Fault::PauseMarketData(true)))
        );
        assert_eq!(
            parse("resume"),
            Ok(Command::Fault(Fault::PauseMarketData(false)))
        );
        assert_eq!(
            parse("restart"),
            Ok(Command::Fault(Fault::Restart {
                next_valid_id: None
            }))
        );
        assert_eq!(
            parse("restart 1"),
            Ok(Command::Fault(Fault::Restart {
                next_valid_id: Some(1)
            }))
        );
        assert_eq!(parse("silent on"), Ok(Command::Fault(Fault::Silent(true))));
        assert_eq!(parse("lost"), Ok(Command::Fault(Fault::ConnectivityLost)));
        assert_eq!(
            parse("restored"),
            Ok(Command::Fault(Fault::ConnectivityRestored))
        );
        assert_eq!(parse("quit"), Ok(Command::Quit));
    }

    #[test]
    fn bad_lines_say_why() {
        assert_eq!(parse("reject"), Err("reject needs an order count".into()));
        assert_eq!(
            parse("reject x"),
            Err("an order count must be a whole number, got \"x\"".into())
        );
        assert_eq!(
            parse("silent maybe"),
            Err("silent takes on or off, got Some(\"maybe\")".into())
        );
        assert_eq!(
            parse("price AAPL -1"),
            Err("price must be a positive number, got \"-1\"".into())
        );
        assert_eq!(
            parse("fly"),
            Err("unknown command \"fly\"; try help".into())
        );
        assert_eq!(parse("  "), Err("empty command; try help".into()));
        assert_eq!(
            parse("hold-option DU1 712345678 AAPL 20250117 200 C"),
            Err(
                "hold-option needs ACCOUNT CONID SYMBOL EXPIRY STRIKE C|P QUANTITY [AVGCOST]"
                    .into()
            )
        );
        assert_eq!(
            parse("hold-option DU1 712345678 AAPL 20250117 200 X 1"),
            Err("the right must be C or P, got \"X\"".into())
        );
        assert_eq!(
            parse("hold-option DU1 712345678 AAPL 20250117 high C 1"),
            Err("the strike must be a number, got \"high\"".into())
        );
    }
}
