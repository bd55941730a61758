//! Error types of the library. Each names what went wrong and what was being done.

use std::path::PathBuf;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("cannot read config file {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The configuration file is not valid TOML for [`crate::config::FileConfig`].
    #[error("cannot parse config{}: {message}", path.as_ref().map(|p| format!(" file {}", p.display())).unwrap_or_default())]
    Parse {
        /// The file, when there is one.
        path: Option<PathBuf>,
        /// The parser's message (with line and column).
        message: String,
    },
    /// The values do not make a usable simulator; every problem found is listed.
    #[error("invalid simulator config: {}", .0.join("; "))]
    Invalid(Vec<String>),
    /// The replay CSV could not be loaded.
    #[error("cannot load replay file {path}: {message}")]
    Replay {
        /// The CSV file.
        path: PathBuf,
        /// What is wrong with it (with the line).
        message: String,
    },
}

/// An option position the simulator would not hold ([`crate::SimHandle::hold_option`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionRefused {
    /// No account of the login has this code.
    #[error("unknown account {0:?}")]
    UnknownAccount(String),
    /// The option's fields are unusable; every problem is listed.
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// A simulator that could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration was rejected.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A listening socket could not be opened.
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        error: std::io::Error,
    },
}

/// Why one client connection ended abnormally. Logged with the client's address; the server
/// carries on.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The client did not open with `API\0` and a version range.
    #[error("bad handshake: {0}")]
    Handshake(String),
    /// A frame's length is outside 4 bytes .. 16 MiB, as TWS and the clients enforce.
    #[error("frame length {0} is outside 4..=16777215")]
    FrameLength(usize),
    /// A frame could not be decoded as the message its id names.
    #[error("malformed message {msg_id}: {reason}")]
    Malformed {
        /// The frame's message id.
        msg_id: i32,
        /// The decoder's complaint.
        reason: String,
    },
}
