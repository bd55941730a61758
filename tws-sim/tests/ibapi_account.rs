//! Positions (an option held beside a stock among them) and account values through the real
//! `ibapi` 5.5 async client.

mod support;

use ibapi::accounts::types::{AccountGroup, AccountId};
use ibapi::accounts::{AccountSummaryResult, AccountUpdate, AccountUpdateMulti, PositionUpdate};
use ibapi::contracts::{OptionRight, SecurityType};
use support::*;
use tws_sim::config::{HeldOption, OptionRight as Right};

#[tokio::test]
async fn positions_snapshot_then_updates_after_a_fill() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    sim.set_price("700", 300.0).expect("700");
    buy(&client, 1, &aapl(), 10.0).await;
    buy(&client, 2, &tencent(), 200.0).await;

    let mut positions = within(client.positions()).await.expect("positions");
    let mut rows = Vec::new();
    while let PositionUpdate::Position(p) = next_data(&mut positions).await {
        rows.push((
            p.account,
            p.contract.symbol.to_string(),
            p.contract.exchange.to_string(),
            p.position,
            p.average_cost,
        ));
    }
    assert_eq!(
        rows,
        [
            (
                ACCOUNT.to_string(),
                "AAPL".to_string(),
                "NASDAQ".to_string(),
                10.0,
                190.0
            ),
            (
                ACCOUNT.to_string(),
                "700".to_string(),
                "SEHK".to_string(),
                200.0,
                300.0
            ),
        ]
    );

    // The subscription stays open: the next fill streams an update.
    buy(&client, 3, &aapl(), 5.0).await;
    let PositionUpdate::Position(p) = next_data(&mut positions).await else {
        panic!("position update")
    };
    assert_eq!(
        (
            p.contract.symbol.to_string().as_str(),
            p.position,
            p.average_cost
        ),
        ("AAPL", 15.0, 190.0)
    );
}

/// A position row as a client that tells contracts apart reads it: symbol, security type,
/// conId, expiry, strike, right, multiplier, exchange, local symbol, position, average cost.
type Row = (
    String,
    SecurityType,
    i32,
    String,
    f64,
    Option<OptionRight>,
    String,
    String,
    String,
    f64,
    f64,
);

fn row(p: ibapi::accounts::Position) -> Row {
    let c = p.contract;
    (
        c.symbol.to_string(),
        c.security_type,
        c.contract_id,
        c.last_trade_date_or_contract_month,
        c.strike,
        c.right,
        c.multiplier,
        c.exchange.to_string(),
        c.local_symbol,
        p.position,
        p.average_cost,
    )
}

#[tokio::test]
async fn an_option_held_beside_the_stock_is_reported_as_an_option() {
    let mut config = still_config();
    config.accounts[0].option_positions = vec![HeldOption {
        average_cost: 350.0,
        ..HeldOption::us_equity(712345678, "AAPL", "20250117", 200.0, Right::Call, -2.0)
    }];
    let sim = sim_with(config).await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 190.0).expect("AAPL");
    buy(&client, 1, &aapl(), 5.0).await;

    let mut positions = within(client.positions()).await.expect("positions");
    let mut rows = Vec::new();
    while let PositionUpdate::Position(p) = next_data(&mut positions).await {
        rows.push(row(p));
    }
    let stock = |position: f64| {
        (
            "AAPL".to_string(),
            SecurityType::Stock,
            265598,
            String::new(),
            0.0,
            None,
            String::new(),
            "NASDAQ".to_string(),
            "AAPL".to_string(),
            position,
            190.0,
        )
    };
    let call = (
        "AAPL".to_string(),
        SecurityType::Option,
        712345678,
        "20250117".to_string(),
        200.0,
        Some(OptionRight::Call),
        "100".to_string(),
        "CBOE".to_string(),
        "AAPL  250117C00200000".to_string(),
        -2.0,
        350.0,
    );
    assert_eq!(rows, [stock(5.0), call]);

    // One held later reaches the open subscription at once, as a position that changes does.
    let put = HeldOption::us_equity(712345679, "AAPL", "20250117", 180.0, Right::Put, 3.0);
    sim.hold_option(ACCOUNT, put).expect("held");
    let PositionUpdate::Position(p) = next_data(&mut positions).await else {
        panic!("position update")
    };
    let got = row(p);
    assert_eq!(
        (got.1, got.2, got.4, got.5, got.9),
        (
            SecurityType::Option,
            712345679,
            180.0,
            Some(OptionRight::Put),
            3.0
        )
    );
    assert_eq!(
        sim.position(ACCOUNT, "AAPL").expect("AAPL"),
        5.0,
        "the stock book holds the shares alone"
    );
}

#[tokio::test]
async fn account_summary_reports_cash_and_net_liquidation() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.set_price("AAPL", 200.0).expect("AAPL");
    buy(&client, 1, &aapl(), 100.0).await;
    sim.set_price("AAPL", 210.0).expect("AAPL");

    let tags = [
        "NetLiquidation",
        "TotalCashValue",
        "BuyingPower",
        "GrossPositionValue",
        "AccountType",
        "$LEDGER:HKD",
    ];
    let rows = within(client.account_summary(&AccountGroup("All".into()), &tags))
        .await
        .expect("summary");
    let mut rows = rows;
    let mut values = std::collections::BTreeMap::new();
    while let AccountSummaryResult::Summary(s) = next_data(&mut rows).await {
        assert_eq!(s.account, ACCOUNT);
        values.insert(format!("{}/{}", s.tag, s.currency), s.value);
    }
    // USD: 1,000,000 - 20,000 - 1 commission; HKD 1,000,000 at 7.8 = 128,205.13 USD.
    let hkd_in_usd = 1_000_000.0 / 7.8;
    let cash = 1_000_000.0 - 20_001.0 + hkd_in_usd;
    let money = |v: f64| format!("{:.2}", v);
    assert_eq!(values.get("TotalCashValue/USD"), Some(&money(cash)));
    assert_eq!(
        values.get("NetLiquidation/USD"),
        Some(&money(cash + 21_000.0))
    );
    assert_eq!(values.get("GrossPositionValue/USD"), Some(&money(21_000.0)));
    assert_eq!(values.get("AccountType/"), Some(&"INDIVIDUAL".to_string()));
    assert_eq!(
        values.get("CashBalance/HKD"),
        Some(&"1000000.00".to_string())
    );
    assert_eq!(
        values.get("ExchangeRate/HKD"),
        Some(&format!("{:.8}", 1.0 / 7.8))
    );
    // Five plain tags plus the seven per-currency ledger keys of HKD.
    assert_eq!(values.len(), 12, "{values:?}");
}

#[tokio::test]
async fn account_updates_download_then_stream_on_fills() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    sim.set_price("700", 300.0).expect("700");
    buy(&client, 1, &tencent(), 100.0).await;

    let mut updates = within(client.account_updates(&AccountId(ACCOUNT.into())))
        .await
        .expect("updates");
    let mut values = std::collections::BTreeMap::new();
    let mut portfolio = Vec::new();
    let mut time = None;
    loop {
        match next_data(&mut updates).await {
            AccountUpdate::AccountValue(v) => {
                values.insert(format!("{}/{}", v.key, v.currency), v.value);
            }
            AccountUpdate::PortfolioValue(p) => portfolio.push((
                p.contract.symbol.to_string(),
                p.contract.primary_exchange.to_string(),
                p.position,
                p.market_price,
                p.market_value,
                p.unrealized_pnl,
            )),
            AccountUpdate::UpdateTime(t) => time = Some(t.timestamp),
            AccountUpdate::End => break,
        }
    }
    // 100 shares at 300 HKD, commission 24 HKD (0.08%).
    assert_eq!(
        values.get("CashBalance/HKD"),
        Some(&"969976.00".to_string())
    );
    assert_eq!(
        values.get("StockMarketValue/HKD"),
        Some(&"30000.00".to_string())
    );
    assert_eq!(values.get("AccountCode/"), Some(&ACCOUNT.to_string()));
    assert_eq!(
        portfolio,
        [(
            "700".to_string(),
            "SEHK".to_string(),
            100.0,
            300.0,
            30_000.0,
            0.0
        )]
    );
    assert_eq!(time.as_deref(), Some("09:30"));

    buy(&client, 2, &tencent(), 100.0).await;
    let cash = loop {
        if let AccountUpdate::AccountValue(v) = next_data(&mut updates).await
            && v.key == "CashBalance"
            && v.currency == "HKD"
        {
            break v.value;
        }
    };
    assert_eq!(cash, "939952.00");
}

#[tokio::test]
async fn account_updates_multi_answers_with_an_end() {
    let sim = sim().await;
    let client = connect(&sim, 1).await;
    let mut multi = within(client.account_updates_multi(Some(&AccountId(ACCOUNT.into())), None))
        .await
        .expect("multi");
    let mut keys = Vec::new();
    while let AccountUpdateMulti::AccountMultiValue(v) = next_data(&mut multi).await {
        keys.push((v.account, v.key, v.currency));
    }
    assert!(
        keys.contains(&(ACCOUNT.into(), "NetLiquidation".into(), "USD".into())),
        "{keys:?}"
    );
    assert!(
        keys.contains(&(ACCOUNT.into(), "CashBalance".into(), "HKD".into())),
        "{keys:?}"
    );
    // 3 identity keys, 7 ledger keys per currency (USD, HKD), 5 base aggregates, 11 account totals.
    assert_eq!(keys.len(), 33);
}
