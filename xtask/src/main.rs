//! `cargo xtask`: the project's build tasks (`cargo xtask --help`).

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use xtask::guests::{self, Layout, Output, PROFILE, TARGET};

/// The project's build tasks.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Builds every guest component (example strategies and test guests) for wasm32-wasip2
    /// with the `guest` profile and collects them, with their sidecar `.toml` files, in
    /// target/guests/<group>/.
    Guests,
    /// The live demo: builds the example strategies, then runs `sandtrade demo` (tws-sim
    /// in-process, the strategies trading, the REST API and status page on 127.0.0.1:5000)
    /// until Ctrl-C. Extra arguments go to `sandtrade demo` (e.g. `-- --listen 127.0.0.1:5001`).
    Demo {
        /// Arguments for `sandtrade demo`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        demo_args: Vec<String>,
    },
    /// The backtest demo: builds the example strategies, checks them with `sandtrade check`,
    /// and backtests them on the sample bars in data/bars/, writing the results to
    /// target/backtest-demo/.
    BacktestDemo,
    /// Runs every test: installs Debian's chromium and chromium-driver if missing (the status
    /// page's browser test; fails when it cannot, unless --allow-no-browser), adds the
    /// wasm32-wasip2 target if missing, builds the guests, creates the Python venv (IB's
    /// clients, componentize-py, pytest: target/venv) and installs the TypeScript SDK's npm
    /// tools (guest-sdk-ts/node_modules), runs the Python and TypeScript SDKs' and examples'
    /// tests, then `cargo test --workspace`. Extra arguments go to
    /// `cargo test` (e.g. `cargo xtask test -- -- --nocapture`: xtask takes the first `--`,
    /// cargo test the second).
    Test {
        /// Where chromium cannot be installed (no root, no sudo, no apt), runs every other test
        /// instead of failing; the browser test then says it did not run. For a developer's
        /// machine: CI never passes it. Comes before any argument for `cargo test`.
        #[arg(long)]
        allow_no_browser: bool,
        /// Arguments for `cargo test`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        cargo_args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().task {
        Task::Guests => build_guests(&Layout::new(xtask::workspace_root())),
        Task::Test {
            allow_no_browser,
            cargo_args,
        } => test(allow_no_browser, &cargo_args),
        Task::Demo { demo_args } => demo(&demo_args),
        Task::BacktestDemo => backtest_demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The example strategies the backtest demo runs, with the sample bars each trades.
const DEMO_RUNS: [(&str, &str); 5] = [
    ("ma_crossover", "data/bars/us-aapl-msft-1m.csv"),
    ("scale_in_out", "data/bars/us-aapl-msft-1m.csv"),
    ("trend_stop", "data/bars/us-aapl-msft-1m.csv"),
    ("pullback_bracket", "data/bars/us-aapl-msft-1m.csv"),
    ("hk_breakout", "data/bars/hk-0700-1m.csv"),
];

/// `cargo run --release -p sandtrade -- <args>` in the workspace root.
fn sandtrade<S: AsRef<std::ffi::OsStr>>(root: &Path, args: &[S]) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args(["run", "--quiet", "--release", "-p", "sandtrade", "--"])
        .args(args)
        .status()?;
    anyhow::ensure!(status.success(), "sandtrade failed ({status})");
    Ok(())
}

/// The Python projects whose pytest suites `cargo xtask test` runs.
const PYTHON_PROJECTS: [&str; 3] = [
    "guest-sdk-python",
    "example-strategies/ma-crossover-py",
    "example-strategies/hk-board-lot-py",
];

/// The TypeScript examples whose tests `cargo xtask test` runs (after the SDK's).
const TYPESCRIPT_EXAMPLES: [&str; 1] = ["example-strategies/ma-crossover-ts"];

fn demo(demo_args: &[String]) -> anyhow::Result<()> {
    let root = xtask::workspace_root();
    guests::ensure_target()?;
    build_guests(&Layout::new(root.clone()))?;
    // What `sandtrade build` needs for Python and TypeScript strategies, for the author who
    // goes on from the demo to write one.
    xtask::python::ensure_venv(&root)?;
    xtask::node::ensure_modules(&root)?;
    let mut args = vec!["demo".to_owned()];
    args.extend_from_slice(demo_args);
    sandtrade(&root, &args)
}

fn backtest_demo() -> anyhow::Result<()> {
    let root = xtask::workspace_root();
    guests::ensure_target()?;
    let layout = Layout::new(root.clone());
    build_guests(&layout)?;
    let examples = layout.out_dir().join("example-strategies");
    let sandtrade = |args: &[&std::ffi::OsStr]| sandtrade(&root, args);
    for (strategy, bars) in DEMO_RUNS {
        let wasm = examples.join(format!("{strategy}.wasm"));
        let out = root.join("target").join("backtest-demo").join(strategy);
        println!("\n$ sandtrade check {}", wasm.display());
        sandtrade(&["check".as_ref(), wasm.as_os_str()])?;
        println!("\n$ sandtrade backtest {} --bars {bars}", wasm.display());
        sandtrade(&[
            "backtest".as_ref(),
            wasm.as_os_str(),
            "--bars".as_ref(),
            root.join(bars).as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])?;
    }
    Ok(())
}

fn test(allow_no_browser: bool, cargo_args: &[String]) -> anyhow::Result<()> {
    use xtask::browser::{self, NO_BROWSER_ENV, Plan};
    // First, so that a machine without the browser fails before minutes of building.
    let browser = browser::plan(browser::ensure_chromium(), allow_no_browser)?;
    let root = xtask::workspace_root();
    guests::ensure_target()?;
    build_guests(&Layout::new(root.clone()))?;
    let python = xtask::python::ensure_venv(&root)?;
    xtask::node::ensure_modules(&root)?;
    // The SDKs' own suites first: seconds, where the Rust build takes minutes.
    xtask::python::test(&root, &python, &PYTHON_PROJECTS)?;
    xtask::node::test(&root, &TYPESCRIPT_EXAMPLES)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    command
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(cargo_args)
        .env("SANDTRADE_PYTHON", &python)
        // Only the flag skips the browser test: a value left in the environment must not.
        .env_remove(NO_BROWSER_ENV);
    if browser == Plan::Skip {
        command.env(NO_BROWSER_ENV, "1");
    }
    let status = command.status()?;
    if browser == Plan::Skip {
        // After the run, where it is read, not scrolled away by it.
        browser::warn_skipped();
    }
    anyhow::ensure!(status.success(), "cargo test failed ({status})");
    Ok(())
}

fn build_guests(layout: &Layout) -> anyhow::Result<()> {
    let started = Instant::now();
    let built = guests::build(layout, Output::Inherit)?;
    let seconds = started.elapsed().as_secs_f64();
    let out_dir = layout.out_dir();
    let shown = |path: &Path| {
        path.strip_prefix(&layout.root)
            .unwrap_or(path)
            .display()
            .to_string()
    };
    println!(
        "{} guests ({TARGET}, profile {PROFILE}) in {seconds:.1} s, collected in {}:",
        built.len(),
        shown(&out_dir)
    );
    for guest in &built {
        let sidecar = guest.sidecar.as_deref().and_then(Path::file_name);
        let sidecar = sidecar.map(|name| format!(" + {}", name.to_string_lossy()));
        println!(
            "  {:<48} {:>9.1} KiB{}",
            shown(&guest.wasm),
            guest.bytes as f64 / 1024.0,
            sidecar.unwrap_or_default()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_args(args: &[&str]) -> (bool, Vec<String>) {
        let cli = Cli::try_parse_from(["xtask", "test"].iter().chain(args)).unwrap();
        match cli.task {
            Task::Test {
                allow_no_browser,
                cargo_args,
            } => (allow_no_browser, cargo_args),
            _ => panic!("not the test task"),
        }
    }

    #[test]
    fn the_browser_test_is_required_unless_the_flag_says_otherwise() {
        assert_eq!(test_args(&[]), (false, vec![]));
        assert!(test_args(&["--allow-no-browser"]).0);
    }

    #[test]
    fn what_follows_the_first_double_dash_goes_to_cargo_test() {
        let nocapture = ["--", "--nocapture"].map(String::from).to_vec();
        assert_eq!(
            test_args(&["--", "--", "--nocapture"]),
            (false, nocapture.clone())
        );
        assert_eq!(
            test_args(&["--allow-no-browser", "--", "--", "--nocapture"]),
            (true, nocapture)
        );
    }
}
