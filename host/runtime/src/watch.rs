//! The strategies directory: which `.wasm` files are there, which changed, and watching it.
//!
//! The directory is the operator's interface: dropping `name.wasm` (and optionally
//! `name.toml`) starts a strategy, replacing either file swaps it, deleting the `.wasm` stops it.
//! A [`StrategyDir`] rescans the whole directory on every change notification (debounced), so a
//! missed or coalesced event can never leave the host out of step with the files. Unchanged
//! files cost a hash; changed ones are compiled here, off the strategy thread (on one core, at
//! a low priority); one larger than `[sandbox] max_wasm_mib` is refused from its size, unread.
//!
//! Write files atomically (write to a temporary name, then rename): a half-written `.wasm` is
//! refused like any bad file, and the running version stays until the complete one arrives.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_mini::new_debouncer;
use sha2::{Digest, Sha256};

use super::cache::CompileCache;
use super::compile::{CompiledStrategy, LoadError, compile_bytes, read_wasm};
use super::engine::Runtime;
use super::sidecar::{self, Sidecar};

/// How long the directory must be quiet before a rescan: long enough to coalesce a copy's
/// writes, short enough that a swap feels immediate.
pub const DEBOUNCE: Duration = Duration::from_millis(150);

/// A change in the strategies directory, ready to apply to a fleet.
#[derive(Debug)]
pub enum DirChange {
    /// `name.wasm` (or its sidecar) is new or changed, and loads.
    Upsert {
        /// The strategy's name (file stem).
        name: Arc<str>,
        /// The compiled, checked component.
        compiled: Arc<CompiledStrategy>,
        /// Its sidecar (empty if none).
        sidecar: Sidecar,
    },
    /// `name.wasm` is new or changed but does not load; a running version should stay.
    Refused {
        /// The strategy's name.
        name: Arc<str>,
        /// Exactly why.
        error: String,
    },
    /// `name.wasm` was deleted.
    Removed {
        /// The strategy's name.
        name: Arc<str>,
    },
}

/// What was seen of one strategy's files, to tell a real change from a touch.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fingerprint {
    /// The `.wasm` and its sidecar, by their digests.
    Read {
        wasm_sha256: [u8; 32],
        sidecar_sha256: Option<[u8; 32]>,
    },
    /// A `.wasm` over the size limit, by its size: it was not read, and its refusal says
    /// nothing but its size.
    TooLarge(Option<u64>),
}

/// The strategies directory and what has been seen in it.
#[derive(Debug)]
pub struct StrategyDir {
    dir: PathBuf,
    runtime: Runtime,
    cache: Option<CompileCache>,
    seen: BTreeMap<Arc<str>, Fingerprint>,
}

impl StrategyDir {
    /// The directory `dir`; nothing is read until [`StrategyDir::scan`].
    pub fn new(dir: impl Into<PathBuf>, runtime: Runtime, cache: Option<CompileCache>) -> Self {
        Self {
            dir: dir.into(),
            runtime,
            cache,
            seen: BTreeMap::new(),
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Reads the directory and returns what changed since the last scan.
    ///
    /// # Errors
    ///
    /// If the directory itself cannot be listed. A bad file is a [`DirChange::Refused`], not
    /// an error.
    pub fn scan(&mut self) -> std::io::Result<Vec<DirChange>> {
        let mut present = BTreeMap::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "wasm")
                && path.is_file()
                && let Some(stem) = path.file_stem()
            {
                present.insert(Arc::<str>::from(stem.to_string_lossy()), path);
            }
        }
        let mut changes = Vec::new();
        let gone: Vec<Arc<str>> = self
            .seen
            .keys()
            .filter(|name| !present.contains_key(*name))
            .cloned()
            .collect();
        for name in gone {
            self.seen.remove(&name);
            changes.push(DirChange::Removed { name });
        }
        for (name, path) in present {
            if let Some(change) = self.examine(name, &path) {
                changes.push(change);
            }
        }
        Ok(changes)
    }

    /// Loads one file if it changed since it was last seen.
    fn examine(&mut self, name: Arc<str>, path: &Path) -> Option<DirChange> {
        let refused = |name: Arc<str>, error: String| Some(DirChange::Refused { name, error });
        let bytes = match read_wasm(&self.runtime, path) {
            Ok(bytes) => bytes,
            // Deleted between the listing and the read: the next scan reports it removed.
            Err(LoadError::Read { error, .. }) if error.kind() == std::io::ErrorKind::NotFound => {
                return None;
            }
            Err(e @ LoadError::TooLarge { bytes, .. }) => {
                return self.changed(&name, Fingerprint::TooLarge(bytes)).then(|| {
                    DirChange::Refused {
                        name,
                        error: e.to_string(),
                    }
                });
            }
            Err(e) => return refused(name, e.to_string()),
        };
        let sidecar_path = sidecar::path_for(path);
        let sidecar_text = match std::fs::read_to_string(&sidecar_path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return refused(
                    name,
                    format!("{}: cannot read: {e}", sidecar_path.display()),
                );
            }
        };
        let fingerprint = Fingerprint::Read {
            wasm_sha256: Sha256::digest(&bytes).into(),
            sidecar_sha256: sidecar_text.as_ref().map(|t| Sha256::digest(t).into()),
        };
        if !self.changed(&name, fingerprint) {
            return None;
        }
        let sidecar = match sidecar_text {
            Some(text) => match sidecar::parse(&sidecar_path, &text) {
                Ok(sidecar) => sidecar,
                Err(e) => return refused(name, e.to_string()),
            },
            None => Sidecar::default(),
        };
        match compile_bytes(&self.runtime, self.cache.as_ref(), path, &bytes) {
            Ok(compiled) => Some(DirChange::Upsert {
                name,
                compiled: Arc::new(compiled),
                sidecar,
            }),
            Err(e) => refused(name, e.to_string()),
        }
    }

    /// Whether `name`'s files look different from when they were last seen, remembering them
    /// as they are now. Remembered even if they fail to load, so an unrelated event does not
    /// retry them; a new version of a file has a new fingerprint.
    fn changed(&mut self, name: &Arc<str>, fingerprint: Fingerprint) -> bool {
        if self.seen.get(name) == Some(&fingerprint) {
            return false;
        }
        self.seen.insert(name.clone(), fingerprint);
        true
    }
}

/// A running directory watch; dropping it stops the watch.
#[derive(Debug)]
pub struct DirWatch {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for DirWatch {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Scans `dir` now and again after every change, on a thread of its own, sending each batch of
/// changes to `apply` (which should hand them to whoever owns the fleet).
///
/// # Errors
///
/// If the first scan fails (the directory does not exist) or the OS watch cannot be set up.
pub fn watch(
    mut dir: StrategyDir,
    mut apply: impl FnMut(Vec<DirChange>) + Send + 'static,
) -> anyhow::Result<DirWatch> {
    let shown = dir.path().display().to_string();
    let first = dir
        .scan()
        .map_err(|e| anyhow::anyhow!("cannot read the strategies directory {shown}: {e}"))?;
    apply(first);
    let (events_tx, events) = mpsc::channel();
    let cannot_watch =
        |e: notify::Error| anyhow::anyhow!("cannot watch the strategies directory {shown}: {e}");
    let mut debouncer = new_debouncer(DEBOUNCE, events_tx).map_err(cannot_watch)?;
    debouncer
        .watcher()
        .watch(dir.path(), RecursiveMode::NonRecursive)
        .map_err(cannot_watch)?;
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("strategy-dir".into())
        .spawn(move || {
            let _debouncer = debouncer;
            loop {
                match events.recv_timeout(Duration::from_millis(200)) {
                    Ok(Ok(_events)) => match dir.scan() {
                        Ok(changes) if !changes.is_empty() => apply(changes),
                        Ok(_) => {}
                        Err(e) => tracing::error!(
                            dir = %dir.path().display(),
                            "cannot scan the strategies directory: {e}"
                        ),
                    },
                    Ok(Err(e)) => tracing::warn!("directory watch error: {e}"),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
                if matches!(stopped.try_recv(), Err(mpsc::TryRecvError::Disconnected)) {
                    return;
                }
            }
        })?;
    Ok(DirWatch {
        stop: Some(stop),
        thread: Some(thread),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CpuBudget, SandboxConfig};

    fn refusals(changes: &[DirChange]) -> Vec<String> {
        changes
            .iter()
            .map(|change| match change {
                DirChange::Refused { name, error } => format!("{name}: {error}"),
                other => format!("not a refusal: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_file_over_the_limit_is_refused_once_per_size() {
        let sandbox = SandboxConfig {
            max_instances: 1,
            max_wasm_mib: 1,
            ..SandboxConfig::default()
        };
        let runtime = Runtime::new(sandbox, CpuBudget::Fuel { per_call: 1 }).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.wasm");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(3 << 20).unwrap();
        let mut strategies = StrategyDir::new(dir.path(), runtime, None);
        let refused = |bytes: &str| {
            format!(
                "big: {}: {bytes}, more than the 1 MiB a strategy may have (`max_wasm_mib` in \
                 `[sandbox]`); it is refused before it is compiled",
                path.display()
            )
        };
        assert_eq!(
            refusals(&strategies.scan().unwrap()),
            [refused("3145728 bytes (3.0 MiB)")]
        );
        // Nothing new to say until it changes.
        assert!(strategies.scan().unwrap().is_empty());
        file.set_len(5 << 20).unwrap();
        assert_eq!(
            refusals(&strategies.scan().unwrap()),
            [refused("5242880 bytes (5.0 MiB)")]
        );
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            &strategies.scan().unwrap()[..],
            [DirChange::Removed { name }] if &**name == "big"
        ));
    }
}
