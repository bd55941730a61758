// Prints the fingerprints of the Rust SDK's indicators that `test_indicators.py` compares the
// Python ones with, bit for bit. The numbers in that test were made with:
//
//     rustc --edition 2024 -O guest-sdk-python/tests/rust_reference.rs -o /tmp/rust_reference
//     /tmp/rust_reference
//
// (run from the repository root; it compiles `guest-sdk/src/indicators.rs` as it is).
#[path = "../../guest-sdk/src/indicators.rs"]
#[allow(dead_code)]
mod indicators;

use indicators::{Ema, RollingHigh, RollingLow, Rsi, Sma};

/// The same xorshift random walk as the Python test, every `nan_every`-th value a NaN
/// (0: none).
fn walk(n: usize, nan_every: usize) -> Vec<f64> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut price = 100.0;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            price += (s % 2001) as f64 / 1000.0 - 1.0;
            if nan_every > 0 && i % nan_every == nan_every - 1 { f64::NAN } else { price }
        })
        .collect()
}

/// FNV-1a over each output: the 8 bytes of the value's bits (little-endian), or one 0xFF byte
/// for "not warmed up".
fn fingerprint(outputs: impl Iterator<Item = Option<f64>>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    };
    for output in outputs {
        match output {
            None => eat(0xFF),
            Some(x) => x.to_bits().to_le_bytes().into_iter().for_each(&mut eat),
        }
    }
    hash
}

fn main() {
    for (label, xs) in [("clean", walk(200_000, 0)), ("nan", walk(20_000, 997))] {
        for period in [1usize, 2, 7, 10, 30, 200] {
            let mut sma = Sma::new(period);
            let mut ema = Ema::new(period);
            let mut rsi = Rsi::new(period);
            let mut high = RollingHigh::new(period);
            let mut low = RollingLow::new(period);
            println!("(\"{label}\", \"sma\", {period}): 0x{:016x},", fingerprint(xs.iter().map(|&x| sma.update(x))));
            println!("(\"{label}\", \"ema\", {period}): 0x{:016x},", fingerprint(xs.iter().map(|&x| ema.update(x))));
            println!("(\"{label}\", \"rsi\", {period}): 0x{:016x},", fingerprint(xs.iter().map(|&x| rsi.update(x))));
            println!("(\"{label}\", \"high\", {period}): 0x{:016x},", fingerprint(xs.iter().map(|&x| high.update(x))));
            println!("(\"{label}\", \"low\", {period}): 0x{:016x},", fingerprint(xs.iter().map(|&x| low.update(x))));
        }
    }
}
