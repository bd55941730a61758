//! Measurements taken in a fresh process: a bench runs its own binary as `child ARGS...`,
//! which prints `key=value` lines (a first start, resident memory), so that nothing the parent
//! process has touched or mapped is in the figures.

use std::collections::BTreeMap;
use std::process::Command;

use super::Samples;

/// The figures one child process printed, by key.
pub type ChildRun = BTreeMap<String, f64>;

/// Runs this binary as `child ARGS...` and parses its `key=value` lines.
///
/// # Panics
///
/// When the child cannot run or fails: a bench has nothing to print then.
pub fn run_child(args: &[&str]) -> ChildRun {
    let exe = std::env::current_exe().expect("own path");
    let output = Command::new(exe)
        .arg("child")
        .args(args)
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child {args:?} failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            Some((key.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The value of `key` in each run.
///
/// # Panics
///
/// When a run lacks `key`.
pub fn samples_of(runs: &[ChildRun], key: &str) -> Samples {
    runs.iter()
        .map(|run| {
            *run.get(key)
                .unwrap_or_else(|| panic!("no {key} in {run:?}"))
        })
        .collect()
}
