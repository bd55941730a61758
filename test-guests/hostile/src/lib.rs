//! A strategy that misbehaves on purpose, for the host's tests: one component, the
//! misbehaviour chosen by the `mode` init param and triggered on bar number `at` (param,
//! default 1, counting the bars this instance has seen from 1; `emits` sets the size of the
//! `emit-storm`, default 1,000,000). Before that bar it behaves,
//! logging `bar N: ok` at debug level; after it, if still alive, it behaves again.
//!
//! | `mode` | on bar `at` it... | the host should see |
//! |---|---|---|
//! | `spin` | loops forever | the CPU deadline (epoch) or fuel trap |
//! | `hog` | allocates 1 MiB chunks, writing them, until an allocation is refused | the memory cap: a trap |
//! | `recurse` | recurses without end (wasm locals only, no shadow stack) | stack overflow |
//! | `panic` | panics with `hostile: panic on bar N` | the message on stderr, then a trap |
//! | `short` | `reduce-long` 100 shares more than it holds | `short-not-allowed` |
//! | `zero-qty` | `open-long` 0 shares | `invalid-quantity` |
//! | `huge-qty` | `open-long` `u32::MAX` shares | `invalid-quantity` (over the absolute cap of 10,000,000 shares, checked before any limit) |
//! | `nan-price`, `negative-price`, `inf-price` | `open-long` 100 shares at a limit of NaN, -1, +inf | `invalid-price` |
//! | `long-symbol` | `open-long` 100 shares of a 64 KiB symbol | `unknown-symbol` (over 32 bytes), nothing of it stored |
//! | `long-reason` | `open-long` 100 shares with a 64 KiB reason | `unavailable` (a reason is at most 1 KiB) |
//! | `emit-storm` | calls `emit` `emits` times (`open-long` 100) and logs the tally | every call answered; at a 100 ms call deadline the deadline stops it first (a debug host answered ~67,000 in 100 ms) |
//! | `log-flood` | logs a 1 MiB line and 10,000 short lines; prints 10,000 1 KiB lines to stdout and 1 MiB to stderr | the output caps (a debug host dropped ~7 MB, then the 100 ms deadline stopped it) |
//! | `init-fails` | (in `init`) returns `Err` | the strategy does not start |
//! | `init-emits` | (in `init`) emits `open-long 100 AAPL`, then behaves on every bar | `unavailable`: signals are not taken from `init` |
//!
//! Signals go to the bar's own symbol (it declares `AAPL` and `0700.HK`; 100 shares is one
//! 0700.HK lot). Every `emit` outcome is logged by `emit_logged`: `open-long 0 AAPL: refused,
//! invalid-quantity: ...` or `... accepted as signal 7 (...)`.

use std::collections::BTreeMap;
use std::hint::black_box;

use sandtrade_guest::prelude::*;

/// Each mode, by the name the `mode` param uses.
const MODES: [(&str, Mode); 16] = [
    ("spin", Mode::Spin),
    ("hog", Mode::Hog),
    ("recurse", Mode::Recurse),
    ("panic", Mode::Panic),
    ("short", Mode::Short),
    ("zero-qty", Mode::ZeroQty),
    ("huge-qty", Mode::HugeQty),
    ("nan-price", Mode::NanPrice),
    ("negative-price", Mode::NegativePrice),
    ("inf-price", Mode::InfPrice),
    ("long-symbol", Mode::LongSymbol),
    ("long-reason", Mode::LongReason),
    ("emit-storm", Mode::EmitStorm),
    ("log-flood", Mode::LogFlood),
    ("init-fails", Mode::InitFails),
    ("init-emits", Mode::InitEmits),
];

/// `emit` calls in one bar in `emit-storm` mode, unless the `emits` param says otherwise.
pub const STORM_EMITS: u32 = 1_000_000;
/// Bytes of the one huge `log` line in `log-flood` mode (and of the `eprint!` burst).
pub const FLOOD_HUGE_LINE: usize = 1 << 20;
/// Short `log` lines, and 1 KiB `println!` lines, in `log-flood` mode.
pub const FLOOD_LINES: usize = 10_000;
/// Bytes of the symbol in `long-symbol` mode and of the reason in `long-reason` mode.
pub const LONG_STRING: usize = 64 * 1024;
/// Bytes per allocation in `hog` mode.
pub const HOG_CHUNK: usize = 1 << 20;

/// Which misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Spin,
    Hog,
    Recurse,
    Panic,
    Short,
    ZeroQty,
    HugeQty,
    NanPrice,
    NegativePrice,
    InfPrice,
    LongSymbol,
    LongReason,
    EmitStorm,
    LogFlood,
    InitFails,
    InitEmits,
}

impl Mode {
    fn parse(name: &str) -> Option<Mode> {
        MODES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, mode)| mode)
    }

    fn name(self) -> &'static str {
        MODES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("?", |&(name, _)| name)
    }
}

/// The strategy: its mode, the bar that triggers it and the bars seen so far.
pub struct Hostile {
    mode: Mode,
    at: u64,
    emits: u32,
    bars: u64,
}

impl Strategy for Hostile {
    fn describe() -> Metadata {
        Metadata::new(
            "hostile",
            env!("CARGO_PKG_VERSION"),
            ["AAPL", "0700.HK"],
            60,
        )
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["mode", "at", "emits"])?;
        let name: String = params.get("mode")?;
        let Some(mode) = Mode::parse(name.trim()) else {
            let names: Vec<&str> = MODES.iter().map(|(n, _)| *n).collect();
            let requirement = format!("must be one of {}", names.join(", "));
            return Err(ParamError::out_of_range("mode", requirement, name).into());
        };
        let at: u64 = params.get_or("at", 1)?;
        if at == 0 {
            return Err(ParamError::out_of_range("at", "must be at least 1", at).into());
        }
        let emits: u32 = params.get_or("emits", STORM_EMITS)?;
        if mode == Mode::InitFails {
            return Err("hostile: init refused on purpose (mode init-fails)".into());
        }
        if mode == Mode::InitEmits {
            let _outcome = emit_logged(Signal::open_long("AAPL", 100).reason("hostile init-emits"));
        }
        Ok(Hostile {
            mode,
            at,
            emits,
            bars: 0,
        })
    }

    fn on_bar(&mut self, bar: &Bar) {
        self.bars += 1;
        if self.bars != self.at || self.mode == Mode::InitEmits {
            debug!("bar {}: ok", self.bars);
            return;
        }
        warn!("bar {}: misbehaving: {}", self.bars, self.mode.name());
        let symbol = bar.symbol.as_str();
        let signal = match self.mode {
            Mode::Spin => spin(),
            Mode::Hog => hog(),
            Mode::Recurse => {
                let depth = recurse(0);
                error!("recurse: returned from depth {depth}");
                return;
            }
            Mode::Panic => panic!("hostile: panic on bar {}", self.bars),
            Mode::Short => Signal::reduce_long(symbol, held(symbol).saturating_add(100)),
            Mode::ZeroQty => Signal::open_long(symbol, 0),
            Mode::HugeQty => Signal::open_long(symbol, u32::MAX),
            Mode::NanPrice => Signal::open_long(symbol, 100).limit(f64::NAN),
            Mode::NegativePrice => Signal::open_long(symbol, 100).limit(-1.0),
            Mode::InfPrice => Signal::open_long(symbol, 100).limit(f64::INFINITY),
            Mode::LongSymbol => {
                return self.emit_long("symbol", Signal::open_long("X".repeat(LONG_STRING), 100));
            }
            Mode::LongReason => {
                let signal = Signal::open_long(symbol, 100).reason("r".repeat(LONG_STRING));
                return self.emit_long("reason", signal);
            }
            Mode::EmitStorm => return emit_storm(symbol, self.emits),
            Mode::LogFlood => return log_flood(),
            Mode::InitFails => unreachable!("init refused this mode"),
            Mode::InitEmits => unreachable!("this mode behaves on every bar"),
        };
        let _outcome = emit_logged(signal.reason(format!("hostile {}", self.mode.name())));
        info!("bar {}: survived {}", self.bars, self.mode.name());
    }

    fn on_fill(&mut self, fill: &Fill) {
        info!("{fill}");
    }
}

impl Hostile {
    /// Emits a signal with a 64 KiB `what` and logs the outcome in a short line (the SDK's
    /// `emit_logged` would quote the whole symbol).
    fn emit_long(&self, what: &str, signal: Signal) {
        match emit(signal) {
            Ok(id) => info!("{LONG_STRING}-byte {what}: accepted as signal {id}"),
            Err(r) => warn!(
                "{LONG_STRING}-byte {what}: refused, {}: {}",
                r.code, r.message
            ),
        }
        info!("bar {}: survived {}", self.bars, self.mode.name());
    }
}

/// Loops forever.
fn spin() -> ! {
    let mut turns: u64 = 0;
    loop {
        // `black_box` keeps the loop from being proven side-effect free.
        turns = black_box(turns.wrapping_add(1));
    }
}

/// Allocates and writes 1 MiB chunks, keeping them all, until an allocation is refused,
/// which aborts the instance (Rust's out-of-memory handling on wasm).
fn hog() -> ! {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        chunks.push(black_box(vec![0xA5; HOG_CHUNK]));
    }
}

/// Recurses until the wasm stack runs out. Only wasm locals are used (nothing whose address
/// is taken), so it is the engine's stack limit that stops it, not Rust's shadow stack in
/// linear memory. The combination is not associative, so it cannot become a loop.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if depth == black_box(u64::MAX) {
        return depth;
    }
    recurse(depth + 1).rotate_left(1) ^ depth
}

/// Calls `emit` `emits` times and logs the tally by outcome.
fn emit_storm(symbol: &str, emits: u32) {
    let mut accepted = 0u32;
    let mut refused: BTreeMap<&'static str, u32> = BTreeMap::new();
    let mut first_refusal = None;
    for _ in 0..emits {
        match emit(Signal::open_long(symbol, 100).reason("hostile emit-storm")) {
            Ok(_) => accepted += 1,
            Err(rejection) => {
                *refused.entry(rejection.code.as_str()).or_default() += 1;
                first_refusal.get_or_insert(rejection);
            }
        }
    }
    let tally: Vec<String> = refused
        .iter()
        .map(|(code, n)| format!("{code}: {n}"))
        .collect();
    info!(
        "emit-storm: {emits} calls, {accepted} accepted, refused {{{}}}",
        tally.join(", ")
    );
    if let Some(rejection) = first_refusal {
        info!(
            "emit-storm: first refusal: {}: {}",
            rejection.code, rejection.message
        );
    }
}

/// Floods the `log` import, stdout and stderr.
fn log_flood() {
    info!("{}", "L".repeat(FLOOD_HUGE_LINE));
    for line in 0..FLOOD_LINES {
        debug!("log-flood line {line}");
    }
    let kib = "p".repeat(1023);
    for _ in 0..FLOOD_LINES {
        println!("{kib}");
    }
    eprint!("{}", "e".repeat(FLOOD_HUGE_LINE));
    info!("log-flood: done");
}

export_strategy!(Hostile);

#[cfg(test)]
mod tests {
    //! The modes that do not end the instance, natively against the SDK's mock host.
    use sandtrade_guest::testing::{MockHost, bar};

    use super::*;

    fn hostile(mode: &str, at: &str) -> Hostile {
        Hostile::init(&Params::from_pairs([("mode", mode), ("at", at)])).expect("valid params")
    }

    #[test]
    fn behaves_until_bar_at_then_misbehaves_once() {
        MockHost::reset();
        let mut h = hostile("zero-qty", "3");
        for minute in 0..5 {
            h.on_bar(&bar("AAPL", minute * 60_000, 1.0));
        }
        let want = Signal::open_long("AAPL", 0).reason("hostile zero-qty");
        assert_eq!(MockHost::signals(), [want]);
        let logs: Vec<String> = MockHost::logs().into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            logs,
            [
                "bar 1: ok",
                "bar 2: ok",
                "bar 3: misbehaving: zero-qty",
                "open-long 0 AAPL: accepted as signal 1 (hostile zero-qty)",
                "bar 3: survived zero-qty",
                "bar 4: ok",
                "bar 5: ok",
            ]
        );
    }

    #[test]
    fn each_bad_signal_is_what_its_mode_says() {
        let cases: [(&str, &str); 6] = [
            ("short", "reduce-long 150 0700.HK"),
            ("zero-qty", "open-long 0 0700.HK"),
            ("huge-qty", "open-long 4294967295 0700.HK"),
            ("nan-price", "open-long 100 0700.HK limit NaN"),
            ("negative-price", "open-long 100 0700.HK limit -1"),
            ("inf-price", "open-long 100 0700.HK limit inf"),
        ];
        for (mode, want) in cases {
            MockHost::reset();
            MockHost::set_position("0700.HK", 50, 300.0);
            hostile(mode, "1").on_bar(&bar("0700.HK", 0, 300.0));
            let got: Vec<String> = MockHost::signals()
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, [want], "mode {mode}");
        }
    }

    #[test]
    fn rejections_are_logged_with_their_code() {
        MockHost::reset();
        MockHost::reject_next(RejectCode::ShortNotAllowed, "sell 100 > held 0 - pending 0");
        hostile("short", "1").on_bar(&bar("AAPL", 0, 1.0));
        assert_eq!(
            MockHost::logs()[1],
            (
                Level::Warn,
                "reduce-long 100 AAPL: refused, short-not-allowed: sell 100 > held 0 - pending 0"
                    .to_string()
            )
        );
    }

    #[test]
    fn emit_storm_tallies_its_calls() {
        MockHost::reset();
        for _ in 0..3 {
            MockHost::reject_next(RejectCode::RateLimit, "max_signals_per_minute=10");
        }
        let params = [("mode", "emit-storm"), ("emits", "1000")];
        let mut h = Hostile::init(&Params::from_pairs(params)).expect("valid params");
        assert_eq!(h.emits, 1_000);
        h.on_bar(&bar("AAPL", 0, 1.0));
        assert_eq!(MockHost::take_signals().len(), 997);
        let logs: Vec<String> = MockHost::logs().into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            logs[1..],
            [
                "emit-storm: 1000 calls, 997 accepted, refused {rate-limit: 3}",
                "emit-storm: first refusal: rate-limit: max_signals_per_minute=10",
            ]
        );
        assert_eq!(hostile("emit-storm", "1").emits, 1_000_000);
    }

    #[test]
    fn init_refusals_name_the_problem() {
        let err = |pairs: &[(&str, &str)]| {
            Hostile::init(&Params::from_pairs(pairs.iter().copied())).err()
        };
        assert_eq!(
            err(&[("mode", "init-fails")]).as_deref(),
            Some("hostile: init refused on purpose (mode init-fails)")
        );
        assert_eq!(err(&[]).as_deref(), Some("param `mode`: missing"));
        assert_eq!(
            err(&[("mode", "nap")]).as_deref(),
            Some(
                "param `mode`: must be one of spin, hog, recurse, panic, short, zero-qty, \
                 huge-qty, nan-price, negative-price, inf-price, long-symbol, long-reason, \
                 emit-storm, log-flood, init-fails, init-emits, got `nap`"
            )
        );
        assert_eq!(
            err(&[("mode", "spin"), ("at", "0")]).as_deref(),
            Some("param `at`: must be at least 1, got `0`")
        );
    }
}
