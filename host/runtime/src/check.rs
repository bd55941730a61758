//! `sandtrade check FILE.wasm`: is this a strategy the host will run, and if not, why not.
//!
//! Runs every load step a live host runs — size limit, read, compile, sandbox import check, link,
//! instantiate, `describe`, `init` with the sidecar's parameters — and reports the first failure
//! exactly, or the strategy's metadata and imports.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::compile::CodeOrigin;
use crate::sandbox::{InertImport, WasiProfile};
use crate::{
    CancelRefusal, Cancelled, CompileCache, CpuBudget, Desk, Holding, LoadError, Modified,
    ModifyRefusal, PreparedStrategy, Runtime, SandboxConfig, StartError, StrategyMetadata,
    WorkingOrder, compile_file, linker, sidecar,
};
use sandtrade_core::{
    BracketIds, BracketRequest, OrderChange, RejectCode, Rejection, SignalRequest,
};

/// What a successful check found.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// The file checked.
    pub path: PathBuf,
    /// Its SHA-256, hex.
    pub wasm_sha256: String,
    /// Its size in bytes.
    pub wasm_bytes: usize,
    /// What `describe` said.
    pub metadata: StrategyMetadata,
    /// The version of `sandtrade:strategy` it was built against.
    pub wit_version: crate::WitVersion,
    /// Its imports (all granted or linked inert).
    pub imports: Vec<String>,
    /// The WASI profile it declares.
    pub profile: WasiProfile,
    /// The imports linked inert, with what each gives (none under the strict profile).
    pub inert_imports: Vec<InertImport>,
    /// The sidecar used for `init`, if there was one.
    pub sidecar: Option<PathBuf>,
    /// The parameters `init` accepted.
    pub params: Vec<(String, String)>,
    /// Whether the code was compiled now or found in the cache.
    pub origin: CodeOrigin,
}

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The engine could not be built.
    #[error("cannot start the wasm engine: {0:#}")]
    Engine(anyhow::Error),
    /// The file is not a loadable strategy.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// The sidecar is unreadable or malformed.
    #[error(transparent)]
    Sidecar(#[from] sidecar::SidecarError),
    /// It loaded but did not start.
    #[error("{path}: {error}")]
    Start {
        /// The file.
        path: PathBuf,
        /// What failed.
        error: StartError,
    },
}

/// Checks the strategy file at `path` under the `sandbox` limits a host would apply, with its
/// sidecar's parameters if it has one.
///
/// # Errors
///
/// A [`CheckError`] naming the file and the first step that failed.
pub fn check(
    path: &Path,
    sandbox: &SandboxConfig,
    cache: Option<&CompileCache>,
) -> Result<CheckReport, CheckError> {
    let sandbox = SandboxConfig {
        max_instances: 2,
        max_interpreter_instances: 2,
        ..sandbox.clone()
    };
    let runtime = Runtime::new(sandbox, CpuBudget::Deadline).map_err(CheckError::Engine)?;
    let compiled = Arc::new(compile_file(&runtime, cache, path)?);
    let sidecar_file = sidecar::load_for(path)?;
    let linker = linker::strategy_linker::<NoTrading>(runtime.engine())
        .map_err(|e| CheckError::Engine(e.into()))?;
    let prepared = PreparedStrategy::new(&linker, compiled.clone())?;
    let params = sidecar_file.map(|s| s.params).unwrap_or_default();
    let name: Arc<str> = crate::strategy_name(path).into();
    let started = prepared
        .start(&runtime, name, NoTrading, &params)
        .map_err(|failed| CheckError::Start {
            path: path.to_owned(),
            error: failed.error,
        })?;
    let sidecar_path = sidecar::path_for(path);
    Ok(CheckReport {
        path: path.to_owned(),
        wasm_sha256: compiled.wasm_sha256.clone(),
        wit_version: prepared.wit_version(),
        wasm_bytes: compiled.wasm_bytes,
        metadata: started.metadata,
        imports: compiled.imports.clone(),
        profile: compiled.profile,
        inert_imports: compiled.inert_imports.clone(),
        sidecar: sidecar_path.exists().then_some(sidecar_path),
        params,
        origin: compiled.origin,
    })
}

/// The desk of a check: no account, every signal refused as `unavailable`.
#[derive(Debug, Clone, Copy)]
struct NoTrading;

impl Desk for NoTrading {
    fn emit(&mut self, _signal: SignalRequest) -> Result<u64, Rejection> {
        Err(no_trading())
    }

    fn emit_bracket(&mut self, _bracket: BracketRequest) -> Result<BracketIds, Rejection> {
        Err(no_trading())
    }

    fn position(&mut self, _symbol: &str) -> Option<Holding> {
        None
    }

    fn working_orders(&mut self) -> Vec<WorkingOrder> {
        Vec::new()
    }

    fn cancel(&mut self, _signal_id: u64) -> Result<Cancelled, CancelRefusal> {
        // It never accepts a signal, so no id is one of its orders.
        Err(CancelRefusal::UnknownOrder)
    }

    fn modify(&mut self, _signal_id: u64, _change: OrderChange) -> Result<Modified, ModifyRefusal> {
        Err(ModifyRefusal::UnknownOrder)
    }

    fn now_ms(&mut self) -> i64 {
        sandtrade_core::clock::unix_ms()
    }
}

fn no_trading() -> Rejection {
    Rejection::new(RejectCode::Unavailable, "`sandtrade check` does not trade")
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.metadata;
        writeln!(
            f,
            "ok: {} is a valid Sandtrade strategy",
            self.path.display()
        )?;
        writeln!(f, "  name         {}", m.name)?;
        writeln!(f, "  version      {}", m.version)?;
        let contracts: Vec<String> = m
            .symbols
            .iter()
            .zip(&m.instruments)
            .map(|(raw, i)| format!("{raw} ({} {} {})", i.symbol, i.exchange, i.currency))
            .collect();
        writeln!(f, "  symbols      {}", contracts.join(", "))?;
        writeln!(f, "  bar size     {} s", m.bar_seconds)?;
        writeln!(f, "  interface    sandtrade:strategy@{}", self.wit_version)?;
        writeln!(f, "  size         {} bytes", self.wasm_bytes)?;
        writeln!(f, "  sha256       {}", self.wasm_sha256)?;
        match self.origin {
            CodeOrigin::Compiled(d) => writeln!(f, "  compiled in  {d:.1?}")?,
            CodeOrigin::Cached(d) => writeln!(f, "  loaded from the compile cache in {d:.1?}")?,
        }
        match &self.sidecar {
            Some(path) if self.params.is_empty() => {
                writeln!(f, "  params       none ({})", path.display())?
            }
            Some(path) => {
                let params: Vec<String> = self
                    .params
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                writeln!(
                    f,
                    "  params       {} ({})",
                    params.join(" "),
                    path.display()
                )?
            }
            None => writeln!(f, "  params       none (no sidecar .toml)")?,
        }
        if self.inert_imports.is_empty() {
            writeln!(f, "  imports      (all granted)")?;
        } else {
            writeln!(
                f,
                "  wasi profile {} (declared by the component): {} imports linked to reach \
                 nothing",
                self.profile,
                self.inert_imports.len()
            )?;
            writeln!(
                f,
                "  imports      (granted, or linked inert with what they give)"
            )?;
        }
        let width = self.imports.iter().map(String::len).max().unwrap_or(0);
        for import in &self.imports {
            match self.inert_imports.iter().find(|i| &i.name == import) {
                Some(inert) => writeln!(f, "    {import:width$}  inert: {}", inert.gives)?,
                None => writeln!(f, "    {import}")?,
            }
        }
        Ok(())
    }
}
