//! What the host's store benches (`orders_store`, `signals`) share: the thread's CPU clock and
//! one table of per-signal figures. Each includes this file with `#[path]`: bench targets
//! cannot share a module otherwise without a crate of their own.

use std::time::Duration;

use sandtrade::orders::Synchronous;

/// This thread's CPU time (user + system).
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux supports.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(
        u64::try_from(ts.tv_sec).expect("non-negative"),
        u32::try_from(ts.tv_nsec).expect("below 1e9"),
    )
}

/// One row: throughput and the time of one signal.
pub struct Figures {
    /// Signals per second, wall clock.
    pub rate: f64,
    /// CPU time of this thread per signal.
    pub cpu_us: f64,
    /// Percentiles and maximum of one signal's time, µs.
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

/// The figures of `samples`, each the time of `per_sample` signals (one call, or one batch).
pub fn figures(
    mut samples: Vec<Duration>,
    elapsed: Duration,
    cpu: Duration,
    per_sample: usize,
) -> Figures {
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6 / per_sample as f64;
    let at = |q: f64| us(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    let signals = (samples.len() * per_sample) as f64;
    Figures {
        rate: signals / elapsed.as_secs_f64(),
        cpu_us: cpu.as_secs_f64() * 1e6 / signals,
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max: us(*samples.last().expect("at least one sample")),
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
pub fn print_row(name: &str, sync: Synchronous, f: &Figures) {
    println!(
        "{:<28} {:>7} {:>10.0} {:>8.1} {:>8.1} {:>8.1} {:>9.0} {:>8.2} {:>11.0}",
        name,
        sync,
        f.rate,
        f.p50,
        f.p99,
        f.p999,
        f.max,
        f.cpu_us,
        1e6 / f.cpu_us
    );
}
