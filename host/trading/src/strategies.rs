//! The strategies the loop runs: the fleet (every loaded strategy, each on its live desk),
//! the monotonic clock its supervisor counts strikes and backoffs by, the watched strategies
//! directory, and reloads an operator asked for (compiled off the trading thread).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt;
use futures::future::LocalBoxFuture;
use futures::stream::FuturesUnordered;
use sandtrade_runtime::{
    BarEvent, CompileCache, DirChange, DirWatch, Fleet, InstallError, Installed, Runtime,
    StartError, StrategyMetadata, bindings, compile_file, sidecar,
};
use tokio::sync::oneshot;

use crate::handle::CommandError;
use crate::orderflow::desk::LiveDesk;
use crate::status::StrategyView;

/// A reload that finished compiling (off the trading thread): a message to the loop.
pub(crate) struct Reloaded {
    /// The strategy.
    pub(crate) name: Arc<str>,
    /// What to install, or why the compile failed.
    pub(crate) result: Result<DirChange, String>,
    /// Whom to answer once it is installed (or refused).
    pub(crate) reply: oneshot::Sender<Result<(), CommandError>>,
}

/// The loaded strategies.
pub(crate) struct Strategies {
    fleet: Fleet<LiveDesk>,
    /// The supervisor's monotonic clock starts here.
    epoch: Instant,
    runtime: Runtime,
    cache: Option<CompileCache>,
    /// The strategies directory (`name.wasm` is reloaded from here).
    dir: PathBuf,
    reloads: FuturesUnordered<LocalBoxFuture<'static, Reloaded>>,
    /// Keeps the directory watched for as long as the loop runs.
    _watch: Option<DirWatch>,
}

impl Strategies {
    /// The fleet, loaded from `dir` (which `watch` keeps watching).
    pub(crate) fn new(
        fleet: Fleet<LiveDesk>,
        runtime: Runtime,
        cache: Option<CompileCache>,
        dir: PathBuf,
        watch: Option<DirWatch>,
    ) -> Self {
        Self {
            fleet,
            epoch: Instant::now(),
            runtime,
            cache,
            dir,
            reloads: FuturesUnordered::new(),
            _watch: watch,
        }
    }

    /// The supervisor's clock: ms since the loop started (monotonic).
    fn now_ms(&self) -> i64 {
        i64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// The fleet, for reading (what the strategies need, their metadata).
    pub(crate) fn fleet(&self) -> &Fleet<LiveDesk> {
        &self.fleet
    }

    /// Live bars that arrived together to every strategy that asked for them, each
    /// strategy's in one `on-bars` call.
    pub(crate) fn on_bars(&mut self, bars: &[BarEvent<'_>]) {
        let now = self.now_ms();
        self.fleet.on_bars(bars, now);
    }

    /// Bars due at once to one strategy (its warm-up or backfill), even while its bars are held
    /// back: delivered in `on-bars` batches.
    pub(crate) fn on_bars_for(&mut self, name: &str, bars: &[BarEvent<'_>]) {
        let now = self.now_ms();
        self.fleet.on_bars_for(name, bars, now);
    }

    /// Holds `name`'s live bars back and refuses its signals while it warms up (`true`), or
    /// lets it trade (`false`).
    pub(crate) fn set_warming(&mut self, name: &str, warming: bool) {
        self.fleet.hold_bars(name, warming);
        if let Some(desk) = self.fleet.desk_mut(name) {
            desk.set_warming(warming);
        }
    }

    /// `on-fill` to `name`; whether it was delivered (false if it is not running).
    pub(crate) fn on_fill(&mut self, name: &str, fill: &bindings::Fill) -> bool {
        let now = self.now_ms();
        self.fleet.on_fill(name, fill, now)
    }

    /// How `name` spelled the IB contract `symbol` (`0700.HK` for `700`), if it declared it.
    pub(crate) fn declared_as(&mut self, name: &str, symbol: &str) -> Option<String> {
        self.fleet
            .desk_mut(name)
            .and_then(|desk| desk.declared_as(symbol).map(str::to_owned))
    }

    /// What `name` said about itself.
    pub(crate) fn metadata(&self, name: &str) -> Option<&StrategyMetadata> {
        self.fleet.metadata(name)
    }

    /// The serial of `name`'s desk: a new install (or a hot swap) makes a new one.
    pub(crate) fn serial(&mut self, name: &str) -> Option<u64> {
        self.fleet.desk_mut(name).map(|desk| desk.serial())
    }

    /// Applies a change of the strategies directory.
    pub(crate) fn apply(&mut self, change: DirChange) {
        self.fleet.apply(change);
    }

    /// Installs a compiled strategy (an operator's reload).
    pub(crate) fn install(&mut self, change: DirChange) -> Result<Installed, String> {
        let DirChange::Upsert {
            name,
            compiled,
            sidecar,
        } = change
        else {
            return Err("nothing to install".into());
        };
        self.fleet
            .install(name, compiled, sidecar)
            .map_err(|e: InstallError| e.to_string())
    }

    /// Restarts the strategies whose backoff after a fault has passed.
    pub(crate) fn restart_due(&mut self) {
        let now = self.now_ms();
        self.fleet.restart_due(now);
    }

    /// Starts a disabled or quarantined strategy again; `Ok(false)` if there is none so named.
    pub(crate) fn enable(&mut self, name: &str) -> Result<bool, StartError> {
        let now = self.now_ms();
        self.fleet.enable(name, now)
    }

    /// Stops a strategy without unloading it; whether there is one so named.
    pub(crate) fn disable(&mut self, name: &str) -> bool {
        self.fleet.disable(name)
    }

    /// Every installed strategy, with whether it warms up (`warming`).
    pub(crate) fn views(&mut self, warming: impl Fn(&str) -> bool) -> Vec<StrategyView> {
        let statuses = self.fleet.status();
        statuses
            .into_iter()
            .map(|status| {
                let problem = self
                    .fleet
                    .desk_mut(&status.name)
                    .and_then(|d| d.problem().map(str::to_owned));
                StrategyView {
                    warming_up: warming(&status.name),
                    problem,
                    status,
                }
            })
            .collect()
    }

    /// Compiles `name.wasm` again off the trading thread; [`next_reloaded`](Self::next_reloaded)
    /// brings it back to be installed.
    pub(crate) fn reload(
        &mut self,
        name: String,
        reply: oneshot::Sender<Result<(), CommandError>>,
    ) {
        let path: PathBuf = self.dir.join(format!("{name}.wasm"));
        let known = self.fleet.status_of(&name).is_some()
            || self.fleet.load_errors().contains_key(name.as_str());
        if !known && !path.exists() {
            let _ = reply.send(Err(CommandError::NotFound(format!("strategy {name}"))));
            return;
        }
        let runtime = self.runtime.clone();
        let cache = self.cache.clone();
        let name: Arc<str> = Arc::from(name);
        let job_name = name.clone();
        let compile = tokio::task::spawn_blocking(move || {
            let sidecar = sidecar::load_for(&path)
                .map_err(|e| e.to_string())?
                .unwrap_or_default();
            let compiled =
                compile_file(&runtime, cache.as_ref(), &path).map_err(|e| e.to_string())?;
            Ok(DirChange::Upsert {
                name: job_name,
                compiled: Arc::new(compiled),
                sidecar,
            })
        });
        self.reloads.push(
            async move {
                let result = match compile.await {
                    Ok(result) => result,
                    Err(e) => Err(format!("the compile job failed: {e}")),
                };
                Reloaded {
                    name,
                    result,
                    reply,
                }
            }
            .boxed_local(),
        );
    }

    /// The next finished reload; pending forever while none is under way.
    pub(crate) async fn next_reloaded(&mut self) -> Reloaded {
        use futures::StreamExt;
        if self.reloads.is_empty() {
            return std::future::pending().await;
        }
        self.reloads.next().await.expect("not empty")
    }
}
