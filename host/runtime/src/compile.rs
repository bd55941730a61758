//! From a `.wasm` file to a compiled, checked strategy component — or a precise reason why not.
//!
//! Checks, in order, each with its own error: the file is no larger than `[sandbox]
//! max_wasm_mib` (known from its size, before it is read); it can be read; it is WebAssembly; it
//! is a component (not a core module); the WASI profile it declares is known ([`crate::profile`]); it compiles; it exports the `strategy` world; it imports
//! only what the sandbox grants. Compiles run on one core at a low priority (`low_priority.rs`),
//! and compiled code is cached on disk (see [`CompileCache`]), so a restart or a reload of an
//! unchanged file does not compile again.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use super::cache::CompileCache;
use super::engine::Runtime;
use super::low_priority;
use super::profile::{self, ProfileError};
use super::sandbox::{self, InertImport, RefusedImport, WasiProfile};

/// The exports of the `strategy` world.
pub const STRATEGY_EXPORTS: [&str; 4] = ["describe", "init", "on-bar", "on-fill"];

/// Why a file is not a loadable strategy.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: cannot read: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// The file is larger than `[sandbox] max_wasm_mib`; it was not compiled.
    #[error(
        "{path}: {}; it is refused before it is compiled",
        oversize(*bytes, *limit_mib)
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes; `None` when reading it gave more than the limit though its size
        /// said less (it grew while being read, or is not a regular file).
        bytes: Option<u64>,
        /// The limit, in MiB.
        limit_mib: u32,
    },
    /// The file is empty (often: still being written; write strategy files atomically).
    #[error(
        "{path}: the file is empty; a strategy is the `.wasm` that `cargo build --target \
         wasm32-wasip2 --release` writes"
    )]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A native ELF file: wasmtime's precompiled code (a `.cwasm`, such as a compile-cache
    /// entry) or a native library, not the component it was made from.
    #[error(
        "{path}: a native ELF file (precompiled `.cwasm` code or a native library), not a \
         WebAssembly component; a strategy is the `.wasm` that `cargo build --target \
         wasm32-wasip2 --release` writes"
    )]
    NativeCode {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start with the WebAssembly magic number.
    #[error(
        "{path}: not a WebAssembly file (it starts with {head}); a strategy is the `.wasm` that \
         `cargo build --target wasm32-wasip2 --release` writes"
    )]
    NotWasm {
        /// The file.
        path: PathBuf,
        /// Its first bytes, in hex.
        head: String,
    },
    /// A core module, not a component.
    #[error(
        "{path}: a core WebAssembly module, not a component: build it with `--target \
         wasm32-wasip2` (wasm32-unknown-unknown and wasm32-wasip1 produce core modules)"
    )]
    CoreModule {
        /// The file.
        path: PathBuf,
    },
    /// It declares a WASI profile this host does not know.
    #[error("{path}: {error}")]
    Profile {
        /// The file.
        path: PathBuf,
        /// What is wrong with the declaration.
        error: ProfileError,
    },
    /// wasmtime could not compile it.
    #[error("{path}: invalid component: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// wasmtime's reason, with its causes.
        reason: String,
    },
    /// It does not export the `strategy` world.
    #[error(
        "{path}: not a Sandtrade strategy: it does not export {missing} (it exports {found}); \
         a strategy implements `sandtrade_guest::Strategy` and calls `export_strategy!`"
    )]
    NotAStrategy {
        /// The file.
        path: PathBuf,
        /// The missing exports, quoted and comma-separated.
        missing: String,
        /// What it exports instead.
        found: String,
    },
    /// It imports something the sandbox does not grant.
    #[error(
        "{path}: refused by the sandbox: {}{}",
        list(refused),
        python_hint(refused)
    )]
    RefusedImports {
        /// The file.
        path: PathBuf,
        /// Every import that is not granted.
        refused: Vec<RefusedImport>,
    },
    /// It has the right export names, but their types do not match this host's WIT.
    #[error(
        "{path}: built against a different sandtrade:strategy WIT: {reason}; rebuild it with \
         this host's sandtrade-guest"
    )]
    WrongInterface {
        /// The file.
        path: PathBuf,
        /// wasmtime's type-check message.
        reason: String,
    },
}

fn oversize(bytes: Option<u64>, limit_mib: u32) -> String {
    let limit = format!("the {limit_mib} MiB a strategy may have (`max_wasm_mib` in `[sandbox]`)");
    match bytes {
        Some(bytes) => format!(
            "{bytes} bytes ({:.1} MiB), more than {limit}",
            bytes as f64 / f64::from(1 << 20)
        ),
        None => format!(
            "reading it gave more than {limit}, though its size said less: it grew while it \
             was read, or it is not a regular file"
        ),
    }
}

/// A component refused for files, sockets *and* clocks together, all of which the inert profile
/// links, is most likely a Python build that was not marked (an interpreter imports all three
/// whether the strategy uses them or not): say how to mark it.
fn python_hint(refused: &[RefusedImport]) -> &'static str {
    let family = |prefix: &str| refused.iter().any(|r| r.name.starts_with(prefix));
    let interpreter_like = ["wasi:filesystem/", "wasi:sockets/", "wasi:clocks/"]
        .into_iter()
        .all(family);
    if interpreter_like && refused.iter().all(RefusedImport::is_inert_capable) {
        ". If this is a Python strategy, build it with `sandtrade build`: it declares the inert \
         WASI profile, under which these imports load and reach nothing"
    } else {
        ""
    }
}

fn list(refused: &[RefusedImport]) -> String {
    refused
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl LoadError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::Read { path, .. }
            | Self::TooLarge { path, .. }
            | Self::Empty { path }
            | Self::NativeCode { path }
            | Self::NotWasm { path, .. }
            | Self::CoreModule { path }
            | Self::Profile { path, .. }
            | Self::Invalid { path, .. }
            | Self::NotAStrategy { path, .. }
            | Self::RefusedImports { path, .. }
            | Self::WrongInterface { path, .. } => path,
        }
    }
}

/// A compiled strategy component that passed every load check.
#[derive(Clone)]
pub struct CompiledStrategy {
    /// The file it came from.
    pub path: PathBuf,
    /// SHA-256 of the file, in hex: identifies the exact build that trades.
    pub wasm_sha256: String,
    /// Size of the file in bytes.
    pub wasm_bytes: usize,
    /// The component's imports, as it names them.
    pub imports: Vec<String>,
    /// How its WASI imports are linked: what it declares ([`crate::profile`]).
    pub profile: WasiProfile,
    /// The imports linked inert, with what each gives (empty under the strict profile).
    pub inert_imports: Vec<InertImport>,
    /// The compiled component.
    pub component: Component,
    /// Where the compiled code came from.
    pub origin: CodeOrigin,
}

impl CompiledStrategy {
    /// The version of `sandtrade:strategy` it was built against, known from its imports
    /// (`None` when it imports none of our interfaces).
    pub fn wit_version(&self) -> Option<crate::WitVersion> {
        crate::WitVersion::of_imports(self.imports.iter().map(String::as_str))
    }
}

impl fmt::Debug for CompiledStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledStrategy")
            .field("path", &self.path)
            .field("wasm_sha256", &self.wasm_sha256)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// Whether a component was compiled now or loaded from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOrigin {
    /// Compiled now, taking this long.
    Compiled(Duration),
    /// Mapped from the on-disk cache, taking this long.
    Cached(Duration),
}

/// Compiles the strategy at `path` (or loads its code from `cache`) and checks it.
///
/// # Errors
///
/// A [`LoadError`] that names the file and exactly what is wrong with it.
pub fn compile_file(
    runtime: &Runtime,
    cache: Option<&CompileCache>,
    path: &Path,
) -> Result<CompiledStrategy, LoadError> {
    let bytes = read_wasm(runtime, path)?;
    compile_bytes(runtime, cache, path, &bytes)
}

/// The bytes of the strategy file at `path`, refused without reading them when its size is
/// over the runtime's `max_wasm_mib`.
///
/// # Errors
///
/// [`LoadError::Read`] (with the OS error: `NotFound` for a file that is gone) or
/// [`LoadError::TooLarge`].
pub(crate) fn read_wasm(runtime: &Runtime, path: &Path) -> Result<Vec<u8>, LoadError> {
    let limit = runtime.sandbox().max_wasm_bytes();
    let read_error = |error| LoadError::Read {
        path: path.to_owned(),
        error,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let size = file.metadata().map_err(read_error)?.len();
    if size > limit {
        return Err(too_large(runtime, path, Some(size)));
    }
    // The size said it fits; reading at most one byte more shows whether it still does (a file
    // that grows meanwhile, a device or a pipe named `.wasm` cannot make the host read more).
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(runtime, path, None));
    }
    Ok(bytes)
}

fn too_large(runtime: &Runtime, path: &Path, bytes: Option<u64>) -> LoadError {
    LoadError::TooLarge {
        path: path.to_owned(),
        bytes,
        limit_mib: runtime.sandbox().max_wasm_mib,
    }
}

/// [`compile_file`] for bytes already read; `path` names them in messages.
///
/// # Errors
///
/// See [`compile_file`].
pub fn compile_bytes(
    runtime: &Runtime,
    cache: Option<&CompileCache>,
    path: &Path,
    bytes: &[u8],
) -> Result<CompiledStrategy, LoadError> {
    if bytes.len() as u64 > runtime.sandbox().max_wasm_bytes() {
        return Err(too_large(runtime, path, Some(bytes.len() as u64)));
    }
    let path = path.to_owned();
    match wasm_kind(bytes) {
        WasmKind::Component => {}
        WasmKind::CoreModule => return Err(LoadError::CoreModule { path }),
        WasmKind::Empty => return Err(LoadError::Empty { path }),
        WasmKind::Elf => return Err(LoadError::NativeCode { path }),
        WasmKind::NotWasm => {
            let head = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            return Err(LoadError::NotWasm { path, head });
        }
    }
    let profile = profile::declared(bytes).map_err(|error| LoadError::Profile {
        path: path.clone(),
        error,
    })?;
    let wasm_sha256 = hex::encode(Sha256::digest(bytes));
    let started = Instant::now();
    let (component, cached) = match cache {
        Some(cache) => cache.load_or_compile(runtime.engine(), &wasm_sha256, bytes),
        None => low_priority::run(|| Component::new(runtime.engine(), bytes)).map(|c| (c, false)),
    }
    .map_err(|e| LoadError::Invalid {
        path: path.clone(),
        reason: format!("{e:#}"),
    })?;
    let elapsed = started.elapsed();
    let origin = if cached {
        CodeOrigin::Cached(elapsed)
    } else {
        CodeOrigin::Compiled(elapsed)
    };

    let ty = component.component_type();
    let engine = runtime.engine();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    let missing: Vec<String> = STRATEGY_EXPORTS
        .iter()
        .filter(|name| !exports.contains(name))
        .map(|name| format!("`{name}`"))
        .collect();
    if !missing.is_empty() {
        let found = if exports.is_empty() {
            "nothing".to_owned()
        } else {
            exports
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(LoadError::NotAStrategy {
            path,
            missing: missing.join(", "),
            found,
        });
    }
    let imports: Vec<String> = ty
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    let refused = sandbox::refused(imports.iter().map(String::as_str), profile);
    if !refused.is_empty() {
        return Err(LoadError::RefusedImports { path, refused });
    }
    let inert_imports = sandbox::linked_inert(imports.iter().map(String::as_str), profile);
    Ok(CompiledStrategy {
        path,
        wasm_sha256,
        wasm_bytes: bytes.len(),
        imports,
        profile,
        inert_imports,
        component,
        origin,
    })
}

enum WasmKind {
    Component,
    CoreModule,
    Empty,
    Elf,
    NotWasm,
}

/// The binary header: `\0asm`, then a version word that tells a core module (1) from a
/// component (`0x0d`, layer 1).
fn wasm_kind(bytes: &[u8]) -> WasmKind {
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', 0x0d, 0, 1, 0]) => WasmKind::Component,
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => WasmKind::CoreModule,
        _ if bytes.is_empty() => WasmKind::Empty,
        _ if bytes.starts_with(b"\x7fELF") => WasmKind::Elf,
        _ => WasmKind::NotWasm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CpuBudget, SandboxConfig};

    /// A component header: what a file over the limit starts with, so that only its size can
    /// be why it is refused.
    const COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    fn runtime(max_wasm_mib: u32) -> Runtime {
        let sandbox = SandboxConfig {
            max_instances: 1,
            max_wasm_mib,
            ..SandboxConfig::default()
        };
        Runtime::new(sandbox, CpuBudget::Fuel { per_call: 1 }).expect("engine")
    }

    fn refusal(bytes: &[u8]) -> String {
        compile_bytes(&runtime(16), None, Path::new("s.wasm"), bytes)
            .expect_err("not a strategy")
            .to_string()
    }

    /// A file of `len` bytes that starts like a component (the rest reads as zeros).
    fn component_of(dir: &Path, len: u64) -> PathBuf {
        let path = dir.join(format!("{len}.wasm"));
        std::fs::write(&path, COMPONENT).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len)
            .unwrap();
        path
    }

    #[test]
    fn an_unmarked_python_build_is_told_how_to_mark_it() {
        let refused = |names: &[&str]| -> Vec<RefusedImport> {
            names
                .iter()
                .map(|name| RefusedImport {
                    name: (*name).to_owned(),
                })
                .collect()
        };
        let python = refused(&[
            "wasi:clocks/wall-clock@0.2.9",
            "wasi:filesystem/preopens@0.2.9",
            "wasi:sockets/tcp@0.2.9",
        ]);
        assert!(python_hint(&python).contains("build it with `sandtrade build`"));
        // A Rust strategy that reads a file gets the Rust hints alone.
        let rust = refused(&[
            "wasi:clocks/wall-clock@0.2.6",
            "wasi:filesystem/types@0.2.6",
        ]);
        assert_eq!(python_hint(&rust), "");
        let http = refused(&[
            "wasi:clocks/wall-clock@0.2.9",
            "wasi:filesystem/preopens@0.2.9",
            "wasi:sockets/tcp@0.2.9",
            "wasi:http/types@0.2.9",
        ]);
        assert_eq!(python_hint(&http), "");
    }

    #[test]
    fn an_empty_file_is_called_empty() {
        assert_eq!(
            refusal(b""),
            "s.wasm: the file is empty; a strategy is the `.wasm` that `cargo build --target \
             wasm32-wasip2 --release` writes"
        );
    }

    #[test]
    fn precompiled_code_is_told_from_a_component() {
        assert_eq!(
            refusal(b"\x7fELF\x02\x01\x01\0\0\0"),
            "s.wasm: a native ELF file (precompiled `.cwasm` code or a native library), not a \
             WebAssembly component; a strategy is the `.wasm` that `cargo build --target \
             wasm32-wasip2 --release` writes"
        );
        assert!(refusal(b"MZ\x90\0").contains("(it starts with 4d5a9000)"));
    }

    #[test]
    fn a_file_over_the_limit_is_refused_from_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let runtime = runtime(1);
        let over = component_of(dir.path(), (1 << 20) + 1);
        let err = compile_file(&runtime, None, &over).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: 1048577 bytes (1.0 MiB), more than the 1 MiB a strategy may have \
                 (`max_wasm_mib` in `[sandbox]`); it is refused before it is compiled",
                over.display()
            )
        );
        // At the limit it is read and compiled: wasmtime finds the zeros invalid.
        let at = component_of(dir.path(), 1 << 20);
        let err = compile_file(&runtime, None, &at).unwrap_err();
        assert!(matches!(err, LoadError::Invalid { .. }), "{err}");
        // Bytes read by someone else are held to the same limit.
        let bytes = std::fs::read(&over).unwrap();
        let err = compile_bytes(&runtime, None, &over, &bytes).unwrap_err();
        assert!(
            matches!(
                err,
                LoadError::TooLarge {
                    bytes: Some(1_048_577),
                    limit_mib: 1,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_read_stops_one_byte_past_the_limit() {
        // Its size says 0 bytes, and it never ends.
        let zero = Path::new("/dev/zero");
        let err = compile_file(&runtime(1), None, zero).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/dev/zero: reading it gave more than the 1 MiB a strategy may have (`max_wasm_mib` \
             in `[sandbox]`), though its size said less: it grew while it was read, or it is not \
             a regular file; it is refused before it is compiled"
        );
    }
}
