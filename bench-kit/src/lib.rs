//! What every benchmark of the workspace shares: robust statistics over repeated runs, a
//! stopwatch that reads CPU time as well as wall-clock time, the machine's state (a noisy
//! shared VM: every printout says the load it ran under), the process's resident memory, and a
//! side-by-side table that prints ratios against a baseline row and against the target.
//!
//! Why CPU time: on a 2-CPU machine shared with other builds, a thread is often descheduled
//! in the middle of a timed batch, and the wall clock counts that wait; the thread's CPU time
//! does not. The benches report CPU time where one thread does the work, and say which.
//!
//! ```
//! use bench_kit::{Samples, Table, Target};
//!
//! let wasm: Samples = [210.0, 200.0, 190.0].into_iter().collect();
//! let native: Samples = [100.0, 101.0, 99.0].into_iter().collect();
//! assert_eq!((wasm.median(), native.median()), (200.0, 100.0));
//!
//! let mut table = Table::new("compute", "ns/bar", Target::AtMost(150.0));
//! table.row("native", &native);
//! table.row("wasm", &wasm);
//! let text = table.render();
//! assert!(text.contains("2.00x"), "{text}"); // wasm against the first row, the baseline
//! assert!(text.contains("misses"), "{text}"); // 200 ns/bar is over the 150 target
//! ```

#![warn(missing_docs)]

pub mod child;
pub mod signals;

use std::fmt::{self, Write as _};
use std::time::{Duration, Instant};

/// Repeated measurements of one quantity (per-call nanoseconds, bars per second...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Samples(Vec<f64>);

impl FromIterator<f64> for Samples {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        Samples(iter.into_iter().collect())
    }
}

impl Samples {
    /// No samples yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one measurement.
    pub fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    /// The measurements, in the order taken.
    pub fn values(&self) -> &[f64] {
        &self.0
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Durations, each in microseconds (the unit latency tables print).
    pub fn micros(durations: impl IntoIterator<Item = Duration>) -> Self {
        durations.into_iter().map(micros).collect()
    }

    /// The `q`-quantile (0 = smallest, 0.5 = median, 1 = largest), by linear interpolation.
    /// Panics when empty: a benchmark that measured nothing is a bug.
    pub fn quantile(&self, q: f64) -> f64 {
        quantile_of_sorted(&self.sorted(), q)
    }

    /// The tail of these latencies (or any other times): p50, p90, p99, p99.9 and the largest,
    /// each as [`Samples::quantile`] computes it.
    pub fn latency(&self) -> Latency {
        let sorted = self.sorted();
        let at = |q| quantile_of_sorted(&sorted, q);
        Latency {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            p999: at(0.999),
            max: at(1.0),
        }
    }

    fn sorted(&self) -> Vec<f64> {
        assert!(!self.0.is_empty(), "no samples");
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        sorted
    }

    /// The median: robust against the spikes other builds cause on a shared machine.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }

    /// The smallest value.
    pub fn min(&self) -> f64 {
        self.quantile(0.0)
    }
}

/// The `q`-quantile of ascending, non-empty `sorted`: between the two nearest ranks, linearly,
/// so that a quantile does not jump by a whole sample when one more run is added.
fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let at = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (at.floor() as usize, at.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (at - low as f64)
}

/// Percentiles of a set of times, in the unit of the [`Samples`] they came from (µs for
/// [`Samples::micros`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latency {
    /// The median.
    pub p50: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The 99th percentile.
    pub p99: f64,
    /// The 99.9th percentile.
    pub p999: f64,
    /// The largest.
    pub max: f64,
}

/// A duration in microseconds.
pub fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

/// Nanoseconds per item of a timed run of `items` items.
pub fn ns_per(elapsed: Duration, items: u64) -> f64 {
    elapsed.as_nanos() as f64 / items as f64
}

/// Items per second of a timed run of `items` items.
pub fn per_second(elapsed: Duration, items: u64) -> f64 {
    items as f64 / elapsed.as_secs_f64()
}

/// CPU time consumed so far by this thread (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_time() -> Duration {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time consumed so far by all threads of this process (`CLOCK_PROCESS_CPUTIME_ID`).
pub fn process_cpu_time() -> Duration {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

fn cpu_clock(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec, and `clock` one of the two CPU-time clocks
    // above, which every Linux kernel supports.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime({clock})");
    Duration::new(
        u64::try_from(ts.tv_sec).expect("a CPU time is not negative"),
        u32::try_from(ts.tv_nsec).expect("nanoseconds below 1e9"),
    )
}

/// Wall-clock, this thread's CPU and the whole process's CPU time, from one start.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch {
    wall: Instant,
    thread: Duration,
    process: Duration,
}

/// What a [`Stopwatch`] read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lap {
    /// Wall-clock time.
    pub wall: Duration,
    /// CPU time of the thread that started and read the stopwatch.
    pub thread_cpu: Duration,
    /// CPU time of every thread of the process (a reader thread's too).
    pub process_cpu: Duration,
}

impl Stopwatch {
    /// Starts now.
    pub fn start() -> Self {
        Self {
            thread: thread_cpu_time(),
            process: process_cpu_time(),
            wall: Instant::now(),
        }
    }

    /// The times since [`Stopwatch::start`]; read on the thread that started it.
    pub fn lap(&self) -> Lap {
        let wall = self.wall.elapsed();
        Lap {
            wall,
            thread_cpu: thread_cpu_time().saturating_sub(self.thread),
            process_cpu: process_cpu_time().saturating_sub(self.process),
        }
    }
}

/// The machine a figure was measured on: CPUs and load averages (read from `/proc`).
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// CPUs this process may use.
    pub cpus: usize,
    /// The 1, 5 and 15 minute load averages (`None` where `/proc/loadavg` is missing).
    pub load: Option<[f64; 3]>,
}

impl Machine {
    /// The machine now.
    pub fn now() -> Self {
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let load = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|text| parse_loadavg(&text));
        Self { cpus, load }
    }
}

fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut fields = text.split_whitespace().map(str::parse::<f64>);
    Some([
        fields.next()?.ok()?,
        fields.next()?.ok()?,
        fields.next()?.ok()?,
    ])
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.load {
            Some([one, five, fifteen]) => write!(
                f,
                "{} CPUs, load average {one:.2} {five:.2} {fifteen:.2} (1/5/15 min)",
                self.cpus
            ),
            None => write!(f, "{} CPUs, load average unknown", self.cpus),
        }
    }
}

/// The page faults this process has taken that needed no disk read (`minflt` in
/// `/proc/self/stat`): fresh pages of memory touched for the first time, copy-on-write copies.
/// `None` where `/proc/self/stat` is missing.
pub fn minor_faults() -> Option<u64> {
    parse_minor_faults(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

fn parse_minor_faults(stat: &str) -> Option<u64> {
    // `pid (comm) state ppid ...`: the command may hold spaces and parentheses, so fields are
    // counted after the last `)`; `minflt` is the 10th field, the 8th after `comm`.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(7)?.parse().ok()
}

/// The process's resident memory, from `/proc/self/status`, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rss {
    /// `VmRSS`: everything resident.
    pub total_kib: u64,
    /// `RssAnon`: heap, stacks, wasm linear memories written to.
    pub anon_kib: u64,
    /// `RssFile`: mapped files resident (the binary, compiled-code cache files).
    pub file_kib: u64,
    /// `RssShmem`: shared memory resident (wasmtime's copy-on-write memory images are memfds).
    pub shmem_kib: u64,
}

impl Rss {
    /// Now; `None` where `/proc/self/status` is missing or lacks the fields.
    pub fn now() -> Option<Self> {
        parse_status(&std::fs::read_to_string("/proc/self/status").ok()?)
    }
}

fn parse_status(text: &str) -> Option<Rss> {
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some(Rss {
        total_kib: field("VmRSS")?,
        anon_kib: field("RssAnon")?,
        file_kib: field("RssFile")?,
        shmem_kib: field("RssShmem")?,
    })
}

/// What a figure should reach: the target a table judges it against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// At most this much (times, sizes).
    AtMost(f64),
    /// At least this much (throughputs).
    AtLeast(f64),
    /// No target: the row is context.
    None,
}

impl Target {
    /// `measured / target`, and whether that meets it.
    fn judge(self, value: f64) -> Option<(f64, bool)> {
        match self {
            Target::AtMost(limit) => Some((value / limit, value <= limit)),
            Target::AtLeast(floor) => Some((value / floor, value >= floor)),
            Target::None => None,
        }
    }
}

/// Figures side by side: each row's median (and its spread), its ratio to the baseline row,
/// and its ratio to the target with a verdict.
#[derive(Debug, Clone)]
pub struct Table {
    title: String,
    unit: String,
    target: Target,
    baseline: usize,
    extra: Option<String>,
    rows: Vec<TableRow>,
}

#[derive(Debug, Clone)]
struct TableRow {
    name: String,
    median: f64,
    low: f64,
    high: f64,
    runs: usize,
    target: Target,
    extra: Option<f64>,
}

impl Table {
    /// A table of figures in `unit`, each judged against `target` unless its row says
    /// otherwise. The first row is the baseline unless [`Table::baseline`] picks another.
    pub fn new(title: impl Into<String>, unit: impl Into<String>, target: Target) -> Self {
        Self {
            title: title.into(),
            unit: unit.into(),
            target,
            baseline: 0,
            extra: None,
            rows: Vec::new(),
        }
    }

    /// Adds a last column, the median of a second measurement of each row (e.g. the wall-clock
    /// time of batches whose CPU time is the main figure), headed `heading`.
    pub fn extra_column(&mut self, heading: impl Into<String>) -> &mut Self {
        self.extra = Some(heading.into());
        self
    }

    /// Adds a row judged against the table's target; returns its median.
    pub fn row(&mut self, name: impl Into<String>, samples: &Samples) -> f64 {
        let target = self.target;
        self.row_with_target(name, samples, target)
    }

    /// Adds a row with its own target (e.g. [`Target::None`] for a context row).
    pub fn row_with_target(
        &mut self,
        name: impl Into<String>,
        samples: &Samples,
        target: Target,
    ) -> f64 {
        self.row_with_extra(name, samples, target, None)
    }

    /// Adds a row with its own target and the samples of the extra column.
    pub fn row_with_extra(
        &mut self,
        name: impl Into<String>,
        samples: &Samples,
        target: Target,
        extra: Option<&Samples>,
    ) -> f64 {
        let median = samples.median();
        self.rows.push(TableRow {
            name: name.into(),
            median,
            low: samples.quantile(0.25),
            high: samples.quantile(0.75),
            runs: samples.len(),
            target,
            extra: extra.map(Samples::median),
        });
        median
    }

    /// Makes the row at `index` (in the order added) the baseline of the ratios.
    pub fn baseline(&mut self, index: usize) -> &mut Self {
        self.baseline = index;
        self
    }

    /// The table as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let name_width = self.rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
        let unit = &self.unit;
        let _ = writeln!(out, "{}", self.title);
        let extra_heading = self.extra.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "  {:<name_width$}  {:>12}  {:>23}  {:>12}  {:>22}  {extra_heading}",
            "",
            format!("median {unit}"),
            "[p25, p75] (runs)",
            "vs baseline",
            "vs target"
        );
        let baseline = self.rows.get(self.baseline).map(|r| r.median);
        for (index, row) in self.rows.iter().enumerate() {
            let spread = format!("[{}, {}] ({})", figure(row.low), figure(row.high), row.runs);
            let versus = match baseline {
                _ if index == self.baseline => "baseline".to_owned(),
                Some(base) if base != 0.0 => format!("{:.2}x", row.median / base),
                _ => "-".to_owned(),
            };
            let judged = match row.target.judge(row.median) {
                Some((ratio, true)) => format!("{ratio:.2}x, meets"),
                Some((ratio, false)) => format!("{ratio:.2}x, misses"),
                None => "-".to_owned(),
            };
            let extra = row.extra.map(figure).unwrap_or_default();
            let extra_width = extra_heading.len();
            let line = format!(
                "  {:<name_width$}  {:>12}  {spread:>23}  {versus:>12}  {judged:>22}  \
                 {extra:>extra_width$}",
                row.name,
                figure(row.median),
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
        match self.target {
            Target::AtMost(limit) => {
                let _ = writeln!(out, "  target: at most {} {unit}", figure(limit));
            }
            Target::AtLeast(floor) => {
                let _ = writeln!(out, "  target: at least {} {unit}", figure(floor));
            }
            Target::None => {}
        }
        out
    }

    /// Prints [`Table::render`] to stdout.
    pub fn print(&self) {
        println!("{}", self.render());
    }
}

/// A figure with a precision that suits its size: `1.23`, `45.6`, `1,234`, `4,000,000`.
pub fn figure(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    if value.abs() >= 1_000.0 {
        let digits = format!("{:.0}", value.abs());
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if value < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else if value.abs() >= 100.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let s: Samples = [4.0, 1.0, 3.0, 2.0].into_iter().collect();
        assert_eq!(s.median(), 2.5);
        assert_eq!(s.min(), 1.0);
        assert_eq!(s.quantile(1.0), 4.0);
        assert_eq!(s.quantile(0.25), 1.75);
    }

    #[test]
    fn latency_is_the_quantiles_of_one_sort() {
        let s: Samples = (1..=1_001).rev().map(f64::from).collect();
        let tail = s.latency();
        assert_eq!(tail.p50, s.median());
        assert_eq!(
            (tail.p50, tail.p90, tail.p99, tail.max),
            (501.0, 901.0, 991.0, 1_001.0)
        );
        assert!((tail.p999 - 1_000.0).abs() < 1e-9, "{tail:?}");
        let one: Samples = [7.0].into_iter().collect();
        assert_eq!(one.latency().p999, 7.0);
    }

    #[test]
    fn durations_become_microseconds() {
        let s = Samples::micros([Duration::from_micros(3), Duration::from_nanos(1_500)]);
        assert_eq!(s.values(), &[3.0, 1.5]);
        assert_eq!(micros(Duration::from_millis(2)), 2_000.0);
    }

    #[test]
    #[should_panic(expected = "no samples")]
    fn an_empty_run_is_a_bug() {
        Samples::new().latency();
    }

    #[test]
    fn cpu_time_counts_work_not_waiting() {
        let watch = Stopwatch::start();
        std::thread::sleep(Duration::from_millis(30));
        let idle = watch.lap();
        assert!(idle.wall >= Duration::from_millis(30), "{idle:?}");
        assert!(idle.thread_cpu < Duration::from_millis(15), "{idle:?}");
        let mut x = 0u64;
        while watch.lap().thread_cpu < Duration::from_millis(20) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        let busy = watch.lap();
        assert!(
            busy.process_cpu >= busy.thread_cpu - Duration::from_millis(1),
            "{busy:?}"
        );
    }

    #[test]
    fn figures_are_grouped_and_rounded() {
        assert_eq!(figure(4_000_000.0), "4,000,000");
        assert_eq!(figure(1_234.4), "1,234");
        assert_eq!(figure(-12_345.0), "-12,345");
        assert_eq!(figure(150.04), "150.0");
        assert_eq!(figure(1.234), "1.23");
    }

    #[test]
    fn status_and_loadavg_parse() {
        let status = "Name:\tbench\nVmRSS:\t  10240 kB\nRssAnon:\t    6144 kB\n\
                      RssFile:\t    3072 kB\nRssShmem:\t    1024 kB\n";
        assert_eq!(
            parse_status(status),
            Some(Rss {
                total_kib: 10_240,
                anon_kib: 6_144,
                file_kib: 3_072,
                shmem_kib: 1_024,
            })
        );
        assert_eq!(parse_status("VmRSS: 1 kB\n"), None);
        assert_eq!(
            parse_loadavg("2.23 2.92 3.41 3/912 31234\n"),
            Some([2.23, 2.92, 3.41])
        );
    }

    #[test]
    fn minor_faults_are_the_tenth_field_whatever_the_command() {
        let stat = "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1234 0 5 0 7 3 0 0 20 0 1 0\n";
        assert_eq!(parse_minor_faults(stat), Some(1234));
        assert_eq!(parse_minor_faults("4242 (x) S 1"), None);
        assert!(
            minor_faults().is_some(),
            "this process has a /proc/self/stat"
        );
    }

    #[test]
    fn table_judges_against_target_and_baseline() {
        let mut table = Table::new("t", "bars/s", Target::AtLeast(4_000_000.0));
        table.row_with_target("native", &[6_000_000.0].into_iter().collect(), Target::None);
        table.row("wasm", &[2_000_000.0].into_iter().collect());
        table.extra_column("wall");
        table.row_with_extra(
            "other",
            &[1.0].into_iter().collect(),
            Target::None,
            Some(&[7_654.0].into_iter().collect()),
        );
        let text = table.render();
        assert!(text.contains("0.33x"), "{text}");
        assert!(text.contains("7,654"), "{text}");
        assert!(text.contains("0.50x, misses"), "{text}");
        assert!(text.contains("target: at least 4,000,000 bars/s"), "{text}");
    }
}
