//! The three example strategies trade together through the whole path against tws-sim, on
//! prices set minute by minute (volatility 0, so every bar is exactly the price set): each
//! signal they must emit is known in advance, and each must come back as a fill, in the store,
//! in the strategy's ledger, at the broker and in the strategy's `on-fill`. Beside them trades
//! a component built against the first version of the interface, `sandtrade:strategy@0.1.0`
//! (`strategy-0-1`): the host serves it unchanged.

use std::collections::BTreeMap;

use sandtrade_tests::rig::{ACCOUNT, Rig, broker_orders, wait_for, wait_for_bar_subscriptions};
use sandtrade_trading::TradingEvent;
use tws_sim::SimConfig;

/// Closes per minute (AAPL, 700); MSFT stays flat.
const MINUTES: [(f64, f64); 7] = [
    (10.0, 300.0),
    (10.0, 300.0),
    (10.0, 300.0),
    (9.0, 310.0),
    (12.0, 310.0),
    (13.0, 290.0),
    (8.0, 290.0),
];

/// The fills each minute must produce: (strategy, side, shares), sorted. A strategy is named
/// by its file stem, as the host names it.
fn expected(minute: usize) -> Vec<(String, String, u32)> {
    let fill = |s: &str, a: &str, q| (s.to_string(), a.to_string(), q);
    let mut fills = match minute {
        // strategy-0-1 buys on its second bar, at the market.
        2 => vec![fill("strategy_0_1", "buy", 10)],
        // RSI(2) falls to 0: scale-in-out buys a step; 700 breaks above its 2-bar high;
        // strategy-0-1 sells with a limit at the close, which the price meets.
        4 => vec![
            fill("hk_breakout", "buy", 100),
            fill("scale_in_out", "buy", 25),
            fill("strategy_0_1", "sell", 10),
        ],
        // SMA2 crosses above SMA3; RSI(2) jumps to 86: scale-in-out sells its step.
        5 => vec![
            fill("ma_crossover", "buy", 10),
            fill("scale_in_out", "sell", 25),
        ],
        // 700 breaks below its 2-bar low.
        6 => vec![fill("hk_breakout", "sell", 100)],
        // SMA2 crosses below SMA3; RSI(2) falls to 20.
        7 => vec![
            fill("ma_crossover", "sell", 10),
            fill("scale_in_out", "buy", 25),
        ],
        _ => vec![],
    };
    fills.sort();
    fills
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_strategies_trade_end_to_end() {
    let mut sim_config = SimConfig::ephemeral();
    sim_config.market.volatility_bps = 0.0;
    let rig = Rig::new(sim_config).await;
    rig.add_strategy(
        "ma-crossover",
        Some("[params]\nfast = 2\nslow = 3\nquantity = 10\n"),
    );
    rig.add_strategy(
        "scale-in-out",
        Some("[params]\nperiod = 2\nstep = 25\nmax_steps = 2\n"),
    );
    rig.add_strategy(
        "hk-breakout",
        Some("[params]\nlot = 100\nlots = 1\nentry_window = 2\nexit_window = 2\n"),
    );
    rig.add_strategy("strategy-0-1", None);
    rig.sim.set_price("MSFT", 400.0).unwrap();
    let host = rig.start("[market_data]\nwarmup_bars = 0\n").await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Reconciled { .. }).then_some(())
    })
    .await;
    // The subscriptions are written before the loop reports anything else; one round trip
    // through the loop makes sure they were.
    let status = host.status().await.unwrap();
    assert_eq!(status.subscriptions, ["700", "AAPL", "MSFT"]);
    wait_for_bar_subscriptions(&rig.sim, 3).await;

    let mut sides: BTreeMap<u64, String> = BTreeMap::new();
    for (minute, (aapl, tencent)) in MINUTES.iter().enumerate().map(|(i, p)| (i + 1, p)) {
        rig.sim.set_price("AAPL", *aapl).unwrap();
        rig.sim.set_price("700", *tencent).unwrap();
        rig.sim.step(60);
        let want = expected(minute);
        let mut got = Vec::new();
        while got.len() < want.len() {
            let (id, strategy, quantity, delivered) = wait_for(&mut events, |e| match e {
                TradingEvent::Fill {
                    id,
                    strategy,
                    quantity,
                    delivered,
                    ..
                } => Some((*id, strategy.clone(), *quantity, *delivered)),
                _ => None,
            })
            .await;
            assert!(delivered, "{strategy}'s on-fill was called");
            let order = host.order(id).await.unwrap();
            let side = match order.action.as_str() {
                "open-long" | "add-long" => "buy",
                _ => "sell",
            };
            sides.insert(id, side.to_string());
            got.push((strategy, side.to_string(), quantity));
        }
        got.sort();
        assert_eq!(got, want, "minute {minute}");
    }

    // The broker and the ledger agree, and each strategy was told of each of its fills.
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 25.0);
    assert_eq!(rig.sim.position(ACCOUNT, "700").unwrap(), 0.0);
    let positions = host.positions().await.unwrap();
    assert_eq!(positions.broker.get("AAPL"), Some(&25.0));
    let line = |s: &str, sym: &str| positions.strategies[s][sym].quantity;
    assert_eq!(line("scale_in_out", "AAPL"), 25);
    assert_eq!(line("ma_crossover", "AAPL"), 0);
    assert_eq!(line("hk_breakout", "700"), 0);
    assert_eq!(line("strategy_0_1", "AAPL"), 0);
    assert!(positions.drift.is_empty(), "{:?}", positions.drift);
    let views = host.strategies().await.unwrap();
    let fills: BTreeMap<String, u64> = views
        .iter()
        .map(|s| (s.status.name.clone(), s.status.counters.fills))
        .collect();
    // ma-crossover's two contracts close their minutes on the same five-second bar, which IB
    // (here tws-sim) sends together: the host takes both before delivering, so they share an
    // `on-bars` call, and the fills above are the ones bar-by-bar delivery makes.
    let crossover = &views
        .iter()
        .find(|s| s.status.name == "ma_crossover")
        .unwrap()
        .status
        .counters;
    assert_eq!(crossover.bars, 14, "seven minutes of AAPL and MSFT");
    assert!(
        crossover.bar_calls < crossover.bars,
        "{} calls for {} bars: the bars that arrived together were not delivered together",
        crossover.bar_calls,
        crossover.bars
    );
    assert_eq!(
        fills,
        BTreeMap::from([
            ("hk_breakout".to_string(), 2),
            ("ma_crossover".to_string(), 2),
            ("scale_in_out".to_string(), 3),
            ("strategy_0_1".to_string(), 2),
        ])
    );

    // Nine orders reached the broker, each once, each under its own client order id.
    let at_broker = broker_orders(&rig.sim).await;
    assert_eq!(at_broker.len(), 9, "{at_broker:#?}");
    for order in &at_broker {
        assert_eq!(order.status, "Filled");
        let id: u64 = order.order_ref.rsplit('-').next().unwrap().parse().unwrap();
        let ours = host.order(id).await.unwrap();
        assert_eq!(ours.client_order_id, order.order_ref);
        assert_eq!(ours.state, "filled");
    }
    assert_eq!(sides.len(), 9);
    host.shutdown();
    host.stopped().await;
}
