//! One table of per-signal figures, for the benches that push signals through the durable
//! store (`sandtrade-orders`' `orders_store`, `sandtrade-trading`'s `signals`): throughput,
//! latency percentiles and CPU time per signal, one row per durability setting.

use std::fmt::Display;
use std::time::Duration;

use crate::{Latency, Samples, micros};

/// One row: throughput and the time of one signal.
pub struct Figures {
    /// Signals per second, wall clock.
    pub rate: f64,
    /// CPU time of this thread per signal.
    pub cpu_us: f64,
    /// The time of one signal, µs.
    pub latency: Latency,
}

/// The figures of `samples`, each the time of `per_sample` signals (one call, or one batch).
pub fn figures(
    samples: Vec<Duration>,
    elapsed: Duration,
    cpu: Duration,
    per_sample: usize,
) -> Figures {
    let signals = (samples.len() * per_sample) as f64;
    let us: Samples = samples
        .into_iter()
        .map(|d| micros(d) / per_sample as f64)
        .collect();
    Figures {
        rate: signals / elapsed.as_secs_f64(),
        cpu_us: micros(cpu) / signals,
        latency: us.latency(),
    }
}

/// The table's header; `first` names the rows.
pub fn print_header(first: &str) {
    println!(
        "{first:<28} {:>7} {:>10} {:>8} {:>8} {:>8} {:>9} {:>8} {:>11}",
        "sync", "signals/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs", "CPU µs", "capacity/s"
    );
}

/// One row; `capacity/s` is what one unshared core would sustain (1 / CPU time).
pub fn print_row(name: &str, sync: &dyn Display, f: &Figures) {
    println!(
        "{:<28} {:>7} {:>10.0} {:>8.1} {:>8.1} {:>8.1} {:>9.0} {:>8.2} {:>11.0}",
        name,
        sync,
        f.rate,
        f.latency.p50,
        f.latency.p99,
        f.latency.p999,
        f.latency.max,
        f.cpu_us,
        1e6 / f.cpu_us
    );
}
