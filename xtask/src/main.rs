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
    /// The demo: builds the example strategies, checks them with `sandtrade check`, and
    /// backtests them on the sample bars in data/bars/, writing the results to target/demo/.
    Demo,
    /// Runs every test: adds the wasm32-wasip2 target if missing, builds the guests, creates
    /// the Python venv of IB's clients (target/venv), then `cargo test --workspace`. Extra
    /// arguments go to `cargo test` (e.g. `cargo xtask test -- --nocapture`).
    Test {
        /// Arguments for `cargo test`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        cargo_args: Vec<String>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().task {
        Task::Guests => build_guests(&Layout::new(xtask::workspace_root())),
        Task::Test { cargo_args } => test(&cargo_args),
        Task::Demo => demo(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The example strategies the demo runs, with the sample bars each trades.
const DEMO_RUNS: [(&str, &str); 3] = [
    ("ma_crossover", "data/bars/us-aapl-msft-1m.csv"),
    ("scale_in_out", "data/bars/us-aapl-msft-1m.csv"),
    ("hk_breakout", "data/bars/hk-0700-1m.csv"),
];

fn demo() -> anyhow::Result<()> {
    let root = xtask::workspace_root();
    guests::ensure_target()?;
    let layout = Layout::new(root.clone());
    build_guests(&layout)?;
    let examples = layout.out_dir().join("example-strategies");
    let sandtrade = |args: &[&std::ffi::OsStr]| -> anyhow::Result<()> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let status = std::process::Command::new(cargo)
            .current_dir(&root)
            .args(["run", "--quiet", "--release", "-p", "sandtrade", "--"])
            .args(args)
            .status()?;
        anyhow::ensure!(status.success(), "sandtrade failed ({status})");
        Ok(())
    };
    for (strategy, bars) in DEMO_RUNS {
        let wasm = examples.join(format!("{strategy}.wasm"));
        let out = root.join("target").join("demo").join(strategy);
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

fn test(cargo_args: &[String]) -> anyhow::Result<()> {
    let root = xtask::workspace_root();
    guests::ensure_target()?;
    build_guests(&Layout::new(root.clone()))?;
    let python = xtask::python::ensure_venv(&root)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(&root)
        .args(["test", "--workspace"])
        .args(cargo_args)
        .env("SANDTRADE_PYTHON", &python)
        .status()?;
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
