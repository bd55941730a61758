//! The moving-average crossover written in Rust, Python and TypeScript trades live, side by
//! side, through the whole path against tws-sim: the Python and TypeScript components built as
//! an author builds them (`sandtrade build`), dropped into the strategies directory beside the
//! Rust one, each with the same parameters. On prices set minute by minute (volatility 0), the
//! three buy on the same minute and sell on the same minute, and each is told of its fills.
//! And the engine's default pool holds fifty Python strategies beside a thousand Rust ones.

#[path = "support/built.rs"]
mod built;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use built::built_project;
use sandtrade_runtime::{CompileCache, CpuBudget, Runtime, SandboxConfig, compile_file};
use sandtrade_tests::guests;
use sandtrade_tests::paper::{aapl_bar, start_compiled};
use sandtrade_tests::rig::{ACCOUNT, Rig, wait_for};
use sandtrade_trading::TradingEvent;
use tws_sim::SimConfig;

/// AAPL's close per minute: SMA2 crosses above SMA3 at the 5th, back below at the 7th.
const AAPL: [f64; 7] = [10.0, 10.0, 10.0, 9.0, 12.0, 13.0, 8.0];

const PARAMS: &str = "[params]\nfast = 2\nslow = 3\nquantity = 10\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crossover_in_three_languages_trades_live_on_tws_sim() {
    let python = built_project("example-strategies", "ma-crossover-py");
    let typescript = built_project("example-strategies", "ma-crossover-ts");

    let mut sim_config = SimConfig::ephemeral();
    sim_config.market.volatility_bps = 0.0;
    let rig = Rig::new(sim_config).await;
    rig.add_strategy("ma-crossover", Some(PARAMS));
    rig.add_component(&python, Some(PARAMS));
    rig.add_component(&typescript, Some(PARAMS));
    rig.sim.set_price("MSFT", 400.0).unwrap();
    let host = rig.start("[market_data]\nwarmup_bars = 0\n").await;
    let mut events = host.subscribe();
    wait_for(&mut events, |e| {
        matches!(e, TradingEvent::Reconciled { .. }).then_some(())
    })
    .await;
    // The interpreters' components take seconds to compile: bars start once all three run.
    let names = ["ma_crossover", "ma_crossover_py", "ma_crossover_ts"];
    let mut running = Vec::new();
    for _ in 0..1200 {
        running = host.strategies().await.unwrap();
        if running.len() == names.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut loaded: Vec<String> = running.into_iter().map(|s| s.status.name).collect();
    loaded.sort();
    assert_eq!(loaded, names);

    for (minute, close) in AAPL.iter().enumerate().map(|(i, c)| (i + 1, c)) {
        rig.sim.set_price("AAPL", *close).unwrap();
        rig.sim.step(60);
        let side = match minute {
            5 => "open-long",
            7 => "close-long",
            _ => continue,
        };
        let mut got = Vec::new();
        while got.len() < names.len() {
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
            got.push((strategy, order.action, quantity));
        }
        got.sort();
        let want: Vec<(String, String, u32)> = names
            .iter()
            .map(|name| (name.to_string(), side.to_string(), 10))
            .collect();
        assert_eq!(got, want, "minute {minute}");
    }

    // Flat everywhere, at the broker as in each ledger, and each strategy saw both fills.
    assert_eq!(rig.sim.position(ACCOUNT, "AAPL").unwrap(), 0.0);
    let fills: BTreeMap<String, u64> = host
        .strategies()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.status.name, s.status.counters.fills))
        .collect();
    let want: BTreeMap<String, u64> = names.iter().map(|n| (n.to_string(), 2)).collect();
    assert_eq!(fills, want);
    host.shutdown();
    host.stopped().await;
}

/// With the default `[sandbox]`, one host runs 50 instances of a Python strategy and 1,000 of a
/// Rust one at once, each taking a bar; the memory cap stays each instance's own.
#[test]
fn fifty_python_strategies_run_beside_a_thousand_rust_ones() {
    let python = built_project("example-strategies", "ma-crossover-py");
    let runtime = Runtime::new(SandboxConfig::default(), CpuBudget::Deadline).expect("engine");
    let cache = CompileCache::new(xtask::workspace_root().join("target/test-compile-cache/cli"))
        .expect("the cache directory");
    let compile = |path: &Path| compile_file(&runtime, Some(&cache), path).expect("compiles");
    let (python, rust) = (compile(&python), compile(&guests::wasm("ma-crossover")));
    let bar = aapl_bar();
    let mut instances = Vec::new();
    for (compiled, count) in [(&python, 50), (&rust, 1_000)] {
        for _ in 0..count {
            let mut instance = start_compiled(&runtime, compiled.clone(), &[]);
            instance.on_bar(&bar).expect("the bar is taken");
            instances.push(instance);
        }
    }
    assert_eq!(instances.len(), 1_050);
}
