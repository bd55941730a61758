//! A strategy that opens a TCP connection with `std::net`: its component imports
//! `wasi:sockets`, and the host must refuse it at load. Were it ever run, it would try
//! 127.0.0.1 (only ever the loopback address) and log the outcome.

use std::net::{Ipv4Addr, TcpStream};

use sandtrade_guest::prelude::*;

/// The strategy: the loopback port it tries.
pub struct NetSnoop {
    port: u16,
}

impl Strategy for NetSnoop {
    fn describe() -> Metadata {
        Metadata::new("net-snoop", env!("CARGO_PKG_VERSION"), ["AAPL"], 60)
    }

    fn init(params: &Params) -> Result<Self, String> {
        params.deny_unknown(&["port"])?;
        Ok(NetSnoop {
            port: params.get_or("port", 9)?,
        })
    }

    fn on_bar(&mut self, _bar: &Bar) {
        match TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
            Ok(_) => error!("net-snoop: connected to 127.0.0.1:{}", self.port),
            Err(e) => info!("net-snoop: cannot connect to 127.0.0.1:{}: {e}", self.port),
        }
    }
}

export_strategy!(NetSnoop);
