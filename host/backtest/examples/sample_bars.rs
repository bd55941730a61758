//! Writes the sample bar files under `data/bars/` from their generator configs
//! (`sandtrade_backtest::generate::samples`). A test checks the committed files match, so run
//! this after changing the generator: `cargo run -p sandtrade-backtest --example sample_bars`.

use std::fs::File;
use std::path::Path;

fn main() -> anyhow::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/bars");
    std::fs::create_dir_all(&dir)?;
    for (name, config) in sandtrade_backtest::generate::samples() {
        let path = dir.join(name);
        let bars = sandtrade_backtest::generate::write_csv(&config, File::create(&path)?)?;
        println!("{}: {bars} bars", path.display());
    }
    Ok(())
}
