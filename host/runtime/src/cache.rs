//! Compiled strategy code on disk, so that a restart or a reload of an unchanged file does not
//! compile again; its directory is private to the user the host runs as (`cache/dir.rs`).

mod dir;

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;

pub use dir::CacheDirError;

use super::low_priority;

/// Compiled components on disk, keyed by the wasm's SHA-256 and the engine's compatibility
/// hash (wasmtime version, target, and every setting that changes code such as fuel).
///
/// Loading a cached component reads it, checks its SHA-256 against the digest stored beside
/// it, and deserializes it (a few hundred µs for a typical strategy) instead of compiling
/// (~0.75 s per MiB, on one core). Files are written to a temporary name and renamed, so a
/// crash never leaves a torn entry; an entry that is corrupted, torn or fails to load is
/// compiled again and replaced. The digest guards against corruption, not against someone who
/// can write the directory, so the directory must be private: [`CompileCache::new`] refuses one
/// that another user owns or may write, and it is checked again before each use.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// A cache in `dir`, created if missing with mode 0700 (as is each parent it creates).
    ///
    /// # Errors
    ///
    /// If the directory cannot be created, or it belongs to another user than the one this
    /// process runs as, or its group or others may write it.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, CacheDirError> {
        let dir = dir.into();
        dir::open(&dir)?;
        Ok(Self { dir })
    }

    /// Whether the directory is still private; if not (its mode or owner changed since
    /// [`CompileCache::new`]), says so in the log.
    fn still_private(&self) -> bool {
        match dir::verify(&self.dir) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!("{e}; compiling without the compile cache");
                false
            }
        }
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

    /// The component for `bytes`, from the cache when present and intact, else compiled (at a
    /// low priority) and stored. Returns whether it came from the cache. While the directory is
    /// not private, it is neither read nor written.
    pub(crate) fn load_or_compile(
        &self,
        engine: &wasmtime::Engine,
        wasm_sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, bool)> {
        let entry = self.entry_path(engine, wasm_sha256);
        let private = self.still_private();
        if private {
            match self.load_intact(engine, &entry) {
                Ok(Some(component)) => return Ok((component, true)),
                Ok(None) => {}
                Err(why) => tracing::warn!(
                    entry = %entry.display(),
                    "compile cache entry unusable ({why}); compiling again"
                ),
            }
        }
        let code = low_priority::run(|| engine.precompile_component(bytes))?;
        if private && let Err(e) = self.store(&entry, &code) {
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
        // They are: only `store` writes into this directory (`load_or_compile` checked just
        // before that no other user owns or may write it), under a name derived from the
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
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::{CpuBudget, Runtime, SandboxConfig};

    /// The smallest component there is: a header and nothing in it.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

    #[test]
    fn a_directory_that_stops_being_private_is_not_used() {
        let sandbox = SandboxConfig {
            max_instances: 1,
            ..SandboxConfig::default()
        };
        let runtime = Runtime::new(sandbox, CpuBudget::Fuel { per_call: 1 }).unwrap();
        let engine = runtime.engine();
        let root = tempfile::tempdir().unwrap();
        let cache = CompileCache::new(root.path().join("wasm")).unwrap();
        let sha = hex::encode(Sha256::digest(EMPTY_COMPONENT));
        let from_cache = || {
            cache
                .load_or_compile(engine, &sha, EMPTY_COMPONENT)
                .unwrap()
                .1
        };
        let chmod = |mode| {
            std::fs::set_permissions(cache.dir(), std::fs::Permissions::from_mode(mode)).unwrap();
        };
        assert!(!from_cache(), "compiled and stored");
        assert!(from_cache(), "loaded");
        chmod(0o777);
        assert!(
            !from_cache(),
            "compiled again: its entries may be anyone's now"
        );
        chmod(0o700);
        assert!(from_cache(), "loaded again");
    }
}
