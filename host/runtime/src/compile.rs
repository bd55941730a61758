//! From a `.wasm` file to a compiled, checked strategy component — or a precise reason why not.
//!
//! Checks, in order, each with its own error: the file can be read; it is WebAssembly; it is a
//! component (not a core module); it compiles; it exports the `strategy` world; it imports only
//! what the sandbox grants. Compiled code is cached on disk (see [`CompileCache`]), so a restart
//! or a reload of an unchanged file does not compile again.

use std::fmt;
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use super::engine::Runtime;
use super::sandbox::{self, RefusedImport};

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
    #[error("{path}: refused by the sandbox: {}", list(refused))]
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
            | Self::Empty { path }
            | Self::NativeCode { path }
            | Self::NotWasm { path, .. }
            | Self::CoreModule { path }
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
    /// The compiled component.
    pub component: Component,
    /// Where the compiled code came from.
    pub origin: CodeOrigin,
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
    let bytes = std::fs::read(path).map_err(|source| LoadError::Read {
        path: path.to_owned(),
        error: source,
    })?;
    compile_bytes(runtime, cache, path, &bytes)
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
    let wasm_sha256 = hex::encode(Sha256::digest(bytes));
    let started = Instant::now();
    let (component, cached) = match cache {
        Some(cache) => cache.load_or_compile(runtime.engine(), &wasm_sha256, bytes),
        None => Component::new(runtime.engine(), bytes).map(|c| (c, false)),
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
    let refused = sandbox::refused(imports.iter().map(String::as_str));
    if !refused.is_empty() {
        return Err(LoadError::RefusedImports { path, refused });
    }
    Ok(CompiledStrategy {
        path,
        wasm_sha256,
        wasm_bytes: bytes.len(),
        imports,
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

/// Compiled components on disk, keyed by the wasm's SHA-256 and the engine's compatibility
/// hash (wasmtime version, target, and every setting that changes code such as fuel).
///
/// Loading a cached component reads it, checks its SHA-256 against the digest stored beside
/// it, and deserializes it (a few hundred µs for a typical strategy) instead of compiling
/// (~0.45 s per MiB on two cores). Files are written to a temporary name and renamed, so a
/// crash never leaves a torn entry; an entry that is corrupted, torn or fails to load is
/// compiled again and replaced. The digest guards against corruption, not against an attacker
/// who can write the cache directory (who could as well replace the host's binary): keep it
/// private to the user the host runs as.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// A cache in `dir`, created if missing.
    ///
    /// # Errors
    ///
    /// If the directory cannot be created.
    pub fn new(dir: impl Into<PathBuf>) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The default location: `$SANDTRADE_CACHE_DIR`, else `$XDG_CACHE_HOME/sandtrade/wasm`,
    /// else `~/.cache/sandtrade/wasm`, else `.sandtrade-cache/wasm`.
    pub fn default_dir() -> PathBuf {
        if let Some(dir) = std::env::var_os("SANDTRADE_CACHE_DIR") {
            return PathBuf::from(dir);
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")));
        match base {
            Some(base) => base.join("sandtrade").join("wasm"),
            None => PathBuf::from(".sandtrade-cache").join("wasm"),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cache file for this wasm under this engine.
    pub fn entry_path(&self, engine: &wasmtime::Engine, wasm_sha256: &str) -> PathBuf {
        let mut engine_hash = Sha256Hasher::default();
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut engine_hash);
        let engine_hash = hex::encode(&engine_hash.0.finalize()[..8]);
        self.dir.join(format!("{wasm_sha256}-{engine_hash}.cwasm"))
    }

    /// The component for `bytes`, from the cache when present and intact, else compiled and
    /// stored. Returns whether it came from the cache.
    fn load_or_compile(
        &self,
        engine: &wasmtime::Engine,
        wasm_sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, bool)> {
        let entry = self.entry_path(engine, wasm_sha256);
        match self.load_intact(engine, &entry) {
            Ok(Some(component)) => return Ok((component, true)),
            Ok(None) => {}
            Err(why) => tracing::warn!(
                entry = %entry.display(),
                "compile cache entry unusable ({why}); compiling again"
            ),
        }
        let code = engine.precompile_component(bytes)?;
        if let Err(e) = self.store(&entry, &code) {
            tracing::warn!(entry = %entry.display(), error = %e, "cannot write compile cache");
        }
        // SAFETY: `code` was produced by `precompile_component` of this very engine just above.
        let component = unsafe { Component::deserialize(engine, &code)? };
        Ok((component, false))
    }

    /// The cached component at `entry`, if there is one and its bytes match the digest
    /// written beside it. `Err` says why an existing entry was not used.
    fn load_intact(
        &self,
        engine: &wasmtime::Engine,
        entry: &Path,
    ) -> Result<Option<Component>, String> {
        let code = match std::fs::read(entry) {
            Ok(code) => code,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let expected =
            std::fs::read_to_string(digest_path(entry)).map_err(|e| format!("no digest: {e}"))?;
        if expected.trim() != hex::encode(Sha256::digest(&code)) {
            return Err("its bytes do not match their digest".into());
        }
        // SAFETY: `deserialize` trusts the bytes to be wasmtime's own output for this engine.
        // They are: only `store` writes into this directory, under a name derived from the
        // engine's compatibility hash, and they match the digest `store` wrote after them (a
        // torn or corrupted file is refused above). wasmtime re-checks version and settings.
        unsafe { Component::deserialize(engine, &code) }
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// Writes `code` to `entry`, then its digest beside it, each to a temporary name renamed
    /// into place: a reader sees a complete entry with its digest, or none.
    fn store(&self, entry: &Path, code: &[u8]) -> std::io::Result<()> {
        self.write_atomically(entry, code)?;
        let digest = hex::encode(Sha256::digest(code));
        self.write_atomically(&digest_path(entry), digest.as_bytes())
    }

    fn write_atomically(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Where the digest of a cache entry is kept: `<entry>.sha256`.
fn digest_path(entry: &Path) -> PathBuf {
    let mut name = entry.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Feeds `Hash` input into SHA-256, for a hash that is stable across processes.
#[derive(Default)]
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(
            digest[..8]
                .try_into()
                .expect("a SHA-256 digest has 32 bytes"),
        )
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CpuBudget, SandboxConfig};

    fn refusal(bytes: &[u8]) -> String {
        let sandbox = SandboxConfig {
            max_instances: 1,
            ..SandboxConfig::default()
        };
        let runtime = Runtime::new(sandbox, CpuBudget::Fuel { per_call: 1 }).expect("engine");
        compile_bytes(&runtime, None, Path::new("s.wasm"), bytes)
            .expect_err("not a strategy")
            .to_string()
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
}
