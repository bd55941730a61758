//! The linker: exactly the imports the sandbox grants, and the inert profile's, nothing else.
//!
//! Built once per kind of desk and shared by every strategy. Only the WASI interfaces listed in
//! [`super::sandbox`] are linked — not wasmtime-wasi's full set with its defaults, which would
//! leave real clocks live. The inert profile's files, sockets and clocks are linked for every
//! strategy, but only a component that declares that profile gets past the import check with
//! them, and they reach nothing: no directory is preopened, sockets are denied, the clocks are
//! the host's ([`super::inert_clocks`]).

use wasmtime::component::{HasData, HasSelf, Linker, ResourceTable};
use wasmtime_wasi::WasiView;
use wasmtime_wasi::cli::{WasiCli, WasiCliView};
use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, random, sockets, sync};
use wasmtime_wasi::random::WasiRandom;
use wasmtime_wasi::sockets::{WasiSockets, WasiSocketsView};

use super::bindings::{v0_1, v0_2};
use super::host::{Desk, StrategyState};
use super::inert_clocks::InertClocks;

/// `wasi:io` resources live in the store's resource table.
struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// A linker with the granted WASI interfaces and `sandtrade:strategy/host` of every version
/// served.
///
/// # Errors
///
/// Only if two definitions clash, which would be a bug here.
pub fn strategy_linker<D: Desk>(
    engine: &wasmtime::Engine,
) -> wasmtime::Result<Linker<StrategyState<D>>> {
    type S<D> = StrategyState<D>;
    let mut linker = Linker::<S<D>>::new(engine);
    let l = &mut linker;

    // wasi:io — the streams behind stdout and stderr.
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<S<D>, HasIo>(l, |s| {
        s.ctx().table
    })?;
    sync::io::poll::add_to_linker::<S<D>, HasIo>(l, |s| s.ctx().table)?;
    sync::io::streams::add_to_linker::<S<D>, HasIo>(l, |s| s.ctx().table)?;

    // wasi:cli — stdio (into the host log), an empty environment, exit, terminal queries.
    cli::exit::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::environment::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::stdin::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::stdout::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::stderr::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::terminal_input::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::terminal_output::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::terminal_stdin::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::terminal_stdout::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;
    cli::terminal_stderr::add_to_linker::<S<D>, WasiCli>(l, S::<D>::cli)?;

    // wasi:random — deterministic per strategy (std's HashMap seeds itself from it).
    random::random::add_to_linker::<S<D>, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    random::insecure::add_to_linker::<S<D>, WasiRandom>(l, |s| s.ctx().ctx.random())?;
    random::insecure_seed::add_to_linker::<S<D>, WasiRandom>(l, |s| s.ctx().ctx.random())?;

    // The inert profile: clocks that read the desk's time, files with nothing preopened,
    // sockets the WASI context denies (`allow_tcp(false)`, `allow_udp(false)`, no lookups).
    clocks::wall_clock::add_to_linker::<S<D>, InertClocks<D>>(l, S::<D>::clocks)?;
    clocks::monotonic_clock::add_to_linker::<S<D>, InertClocks<D>>(l, S::<D>::clocks)?;
    filesystem::preopens::add_to_linker::<S<D>, WasiFilesystem>(l, S::<D>::filesystem)?;
    sync::filesystem::types::add_to_linker::<S<D>, WasiFilesystem>(l, S::<D>::filesystem)?;
    sockets::network::add_to_linker::<S<D>, WasiSockets>(l, &Default::default(), S::<D>::sockets)?;
    sockets::instance_network::add_to_linker::<S<D>, WasiSockets>(l, S::<D>::sockets)?;
    sockets::ip_name_lookup::add_to_linker::<S<D>, WasiSockets>(l, S::<D>::sockets)?;
    sockets::tcp_create_socket::add_to_linker::<S<D>, WasiSockets>(l, S::<D>::sockets)?;
    sync::sockets::tcp::add_to_linker::<S<D>, WasiSockets>(l, S::<D>::sockets)?;
    sync::sockets::udp_create_socket::add_to_linker::<S<D>, WasiSockets>(l, S::<D>::sockets)?;
    sync::sockets::udp::add_to_linker::<S<D>, WasiSockets>(l, S::<D>::sockets)?;

    // sandtrade:strategy/host and /types, in every version served (their names differ by
    // version, so they sit side by side).
    v0_2::Strategy::add_to_linker::<S<D>, HasSelf<S<D>>>(l, |s| s)?;
    v0_1::Strategy::add_to_linker::<S<D>, HasSelf<S<D>>>(l, |s| s)?;
    Ok(linker)
}
