//! The guest components as built from source by `sandtrade_tests::guests`: all of them are
//! there, and each imports and exports exactly what it should. (The host's own tests check
//! that it runs, or refuses, each of them.)

use std::collections::BTreeSet;

use sandtrade_tests::guests::{self, GuestError, STRATEGY_IMPORTS};
use wasmparser::{ComponentTypeRef, Parser, Payload};

/// The interfaces a component imports and the names it exports, at its top level.
#[derive(Debug, Default)]
struct Interface {
    imports: BTreeSet<String>,
    exports: BTreeSet<String>,
}

fn interface(name: &str) -> Interface {
    let bytes = std::fs::read(guests::wasm(name)).expect("the built component is readable");
    assert_eq!(
        bytes[..8],
        [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00],
        "{name}: not a component"
    );
    let mut found = Interface::default();
    // Nested modules and components have their own sections: count the depth.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(&bytes) {
        match payload.expect("the component parses") {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    let import = import.expect("import");
                    // Interfaces (instances); the world's `use`d types are imports too.
                    if matches!(import.ty, ComponentTypeRef::Instance(_)) {
                        found.imports.insert(import.name.name.to_string());
                    }
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    found
                        .exports
                        .insert(export.expect("export").name.name.to_string());
                }
            }
            _ => {}
        }
    }
    found
}

/// What a strategy of `sandtrade:strategy@0.2.0` exports (every SDK-built one).
const STRATEGY_EXPORTS: [&str; 5] = ["describe", "init", "on-bar", "on-bars", "on-fill"];

fn set<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    names.into_iter().map(String::from).collect()
}

#[test]
fn every_guest_is_built_and_collected() {
    let built = guests::all().expect("the guests build");
    let names: Vec<(&str, &str)> = built
        .iter()
        .map(|b| (b.guest.group.as_str(), b.guest.package.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("example-strategies", "hk-breakout"),
            ("example-strategies", "ma-crossover"),
            ("example-strategies", "pullback-bracket"),
            ("example-strategies", "scale-in-out"),
            ("example-strategies", "trend-stop"),
            ("test-guests", "clock-snoop"),
            ("test-guests", "compute"),
            ("test-guests", "empty"),
            ("test-guests", "fs-snoop"),
            ("test-guests", "hostile"),
            ("test-guests", "metronome"),
            ("test-guests", "net-snoop"),
            ("test-guests", "other-world"),
            ("test-guests", "stop-guard"),
            ("test-guests", "strategy-0-1"),
        ]
    );
    for b in built {
        let stem = b.guest.package.replace('-', "_");
        let want = xtask::workspace_root()
            .join("target/guests")
            .join(&b.guest.group)
            .join(format!("{stem}.wasm"));
        assert_eq!(b.wasm, want);
        assert_eq!(
            std::fs::metadata(&b.wasm).expect("collected").len(),
            b.bytes
        );
        assert_eq!(
            b.sidecar.is_some(),
            b.guest.group == "example-strategies",
            "{stem}"
        );
    }
}

#[test]
fn guests_are_found_by_package_name_or_file_stem() {
    assert_eq!(guests::wasm("ma-crossover"), guests::wasm("ma_crossover"));
    assert!(
        guests::wasm("ma-crossover")
            .ends_with("target/guests/example-strategies/ma_crossover.wasm")
    );
    let sidecar = guests::sidecar("hk-breakout").expect("examples ship a sidecar");
    assert!(sidecar.ends_with("target/guests/example-strategies/hk_breakout.toml"));
    assert_eq!(guests::sidecar("hostile"), None);
    let err = guests::try_wasm("nope").expect_err("no such guest");
    assert!(matches!(err, GuestError::Unknown { .. }));
    assert_eq!(
        err.to_string(),
        "no guest named `nope`; the guests are: hk-breakout, ma-crossover, pullback-bracket, \
         scale-in-out, trend-stop, clock-snoop, compute, empty, fs-snoop, hostile, metronome, net-snoop, other-world, \
         stop-guard, strategy-0-1"
    );
}

#[test]
fn strategies_import_only_the_host_wasi_io_and_wasi_cli() {
    for name in [
        "ma-crossover",
        "hk-breakout",
        "pullback-bracket",
        "scale-in-out",
        "trend-stop",
        "hostile",
        "compute",
        "stop-guard",
    ] {
        let found = interface(name);
        assert_eq!(found.imports, set(STRATEGY_IMPORTS), "{name}");
        assert_eq!(found.exports, set(STRATEGY_EXPORTS), "{name}");
    }
    // A strategy that never calls the host does not even import its interface.
    let empty = interface("empty");
    let without_host = STRATEGY_IMPORTS
        .into_iter()
        .filter(|i| !i.contains("/host@"));
    assert_eq!(empty.imports, set(without_host));
    assert_eq!(empty.exports, set(STRATEGY_EXPORTS));
}

#[test]
fn a_component_built_against_0_1_imports_and_exports_the_0_1_world() {
    let found = interface("strategy-0-1");
    let old = STRATEGY_IMPORTS.map(|i| i.replace("@0.2.0", "@0.1.0"));
    assert_eq!(found.imports, set(old.iter().map(String::as_str)));
    // No `on-bars`: 0.1.0 delivers one bar a call.
    assert_eq!(
        found.exports,
        set(["describe", "init", "on-bar", "on-fill"])
    );
}

#[test]
fn each_snoop_imports_what_it_is_named_for() {
    let extra = |name: &str| -> BTreeSet<String> {
        let found = interface(name);
        assert_eq!(found.exports, set(STRATEGY_EXPORTS), "{name}");
        found
            .imports
            .difference(&set(STRATEGY_IMPORTS))
            .cloned()
            .collect()
    };
    assert_eq!(
        extra("fs-snoop"),
        set([
            "wasi:clocks/wall-clock@0.2.6",
            "wasi:filesystem/preopens@0.2.6",
            "wasi:filesystem/types@0.2.6",
        ])
    );
    assert_eq!(
        extra("net-snoop"),
        set([
            "wasi:clocks/monotonic-clock@0.2.6",
            "wasi:sockets/instance-network@0.2.6",
            "wasi:sockets/network@0.2.6",
            "wasi:sockets/tcp-create-socket@0.2.6",
            "wasi:sockets/tcp@0.2.6",
            "wasi:sockets/udp-create-socket@0.2.6",
            "wasi:sockets/udp@0.2.6",
        ])
    );
    assert_eq!(
        extra("clock-snoop"),
        set([
            "wasi:clocks/monotonic-clock@0.2.6",
            "wasi:clocks/wall-clock@0.2.6"
        ])
    );
}

#[test]
fn other_world_is_a_component_of_another_world() {
    let found = interface("other-world");
    assert_eq!(found.exports, set(["greet"]));
    assert!(
        !found.imports.iter().any(|i| i.starts_with("sandtrade:")),
        "{:?}",
        found.imports
    );
}

#[test]
fn example_sidecars_hold_only_params_and_known_limits() {
    const LIMITS: [(&str, &str); 5] = [
        ("max_position_shares", "integer"),
        ("max_position_notional", "float"),
        ("max_order_shares", "integer"),
        ("max_order_notional", "float"),
        ("max_signals_per_minute", "integer"),
    ];
    for name in ["ma-crossover", "hk-breakout", "scale-in-out"] {
        let path = guests::sidecar(name).expect("examples ship a sidecar");
        let text = std::fs::read_to_string(&path).expect("readable");
        let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            table.keys().collect::<Vec<_>>(),
            ["limits", "params"],
            "{name}"
        );
        let limits = table["limits"].as_table().expect("[limits] is a table");
        for (key, value) in limits {
            let kind = LIMITS.iter().find(|(k, _)| k == key).map(|(_, kind)| *kind);
            assert_eq!(Some(value.type_str()), kind, "{name}: limit {key}");
            if let Some(shares) = value.as_integer() {
                assert!(u32::try_from(shares).is_ok(), "{name}: {key} fits in u32");
            }
        }
    }
}
