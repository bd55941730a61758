//! One running strategy: its `Store`, its instance, and calls into it under the sandbox's
//! limits. A trap comes back as a typed [`GuestFault`]; the instance is dead after it (a trap
//! poisons the whole store) and must be made again from its [`PreparedStrategy`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sandtrade_core::clock::DurationText;
use sandtrade_core::text::clip;
use wasmtime::component::Linker;
use wasmtime::{Store, Trap};

use super::bar_batch::BarBatch;
use super::bindings::{self, v0_1, v0_2};
use super::compile::{CompiledStrategy, LoadError};
use super::engine::{CpuBudget, Runtime};
use super::host::{CallStats, Desk, StrategyState};
use super::metadata::{MetadataError, StrategyMetadata};
use super::wit_version::WitVersion;

/// A compiled strategy linked against the host: instances are made from it in microseconds.
pub struct PreparedStrategy<D: 'static> {
    compiled: Arc<CompiledStrategy>,
    pre: Pre<D>,
}

/// The linked component, through the bindings of the WIT version it was built against.
enum Pre<D: 'static> {
    V0_1(v0_1::StrategyPre<StrategyState<D>>),
    V0_2(v0_2::StrategyPre<StrategyState<D>>),
}

impl<D> Clone for Pre<D> {
    fn clone(&self) -> Self {
        match self {
            Self::V0_1(pre) => Self::V0_1(pre.clone()),
            Self::V0_2(pre) => Self::V0_2(pre.clone()),
        }
    }
}

impl<D> Clone for PreparedStrategy<D> {
    fn clone(&self) -> Self {
        Self {
            compiled: self.compiled.clone(),
            pre: self.pre.clone(),
        }
    }
}

impl<D> fmt::Debug for PreparedStrategy<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreparedStrategy")
            .field("compiled", &self.compiled)
            .finish_non_exhaustive()
    }
}

impl<D: Desk> PreparedStrategy<D> {
    /// Resolves `compiled`'s imports in `linker` and type-checks its exports.
    ///
    /// # Errors
    ///
    /// [`LoadError::WrongInterface`] when the exports' or imports' types differ from this
    /// host's WIT.
    pub fn new(
        linker: &Linker<StrategyState<D>>,
        compiled: Arc<CompiledStrategy>,
    ) -> Result<Self, LoadError> {
        let wrong = |e: wasmtime::Error| LoadError::WrongInterface {
            path: compiled.path.clone(),
            reason: format!("{e:#}"),
        };
        let pre = linker.instantiate_pre(&compiled.component).map_err(wrong)?;
        // A component that imports none of our interfaces is taken as the newest version.
        let pre = match compiled.wit_version().unwrap_or(WitVersion::NEWEST) {
            WitVersion::V0_1 => Pre::V0_1(v0_1::StrategyPre::new(pre).map_err(wrong)?),
            WitVersion::V0_2 => Pre::V0_2(v0_2::StrategyPre::new(pre).map_err(wrong)?),
        };
        Ok(Self { compiled, pre })
    }

    /// The version of `sandtrade:strategy` the component was built against.
    pub fn wit_version(&self) -> WitVersion {
        match self.pre {
            Pre::V0_1(_) => WitVersion::V0_1,
            Pre::V0_2(_) => WitVersion::V0_2,
        }
    }

    /// What it was compiled from.
    pub fn compiled(&self) -> &Arc<CompiledStrategy> {
        &self.compiled
    }

    /// A fresh instance named `name`, sending its signals to `desk`.
    ///
    /// # Errors
    ///
    /// A [`GuestFault`] if instantiation traps (a component's start code runs here) or fails;
    /// the desk comes back with it.
    pub fn instantiate(
        &self,
        runtime: &Runtime,
        name: Arc<str>,
        desk: D,
    ) -> Result<StrategyInstance<D>, Failed<D, GuestFault>> {
        let sandbox = runtime.sandbox();
        let state = StrategyState::new(
            name,
            desk,
            sandbox.memory_bytes(),
            sandbox.log_bytes_per_call,
        );
        let mut store = Store::new(runtime.engine(), state);
        store.limiter(|state| state.memory_mut());
        let pre = &self.pre;
        let bindings = match guarded(runtime, &mut store, sandbox.init_deadline(), |store| {
            Ok(match pre {
                Pre::V0_1(pre) => Bindings::V0_1 {
                    strategy: pre.instantiate(store)?,
                    bar: Box::new(v0_1::sandtrade::strategy::types::Bar::empty()),
                },
                Pre::V0_2(pre) => Bindings::V0_2(pre.instantiate(store)?),
            })
        }) {
            Ok(bindings) => bindings,
            Err(error) => {
                return Err(Failed {
                    error,
                    desk: store.into_data().into_desk(),
                });
            }
        };
        Ok(StrategyInstance {
            store,
            bindings,
            runtime: runtime.clone(),
        })
    }
}

/// A live strategy instance.
pub struct StrategyInstance<D: 'static> {
    store: Store<StrategyState<D>>,
    bindings: Bindings,
    runtime: Runtime,
}

/// The instance's exports, in its WIT version.
enum Bindings {
    /// Built against 0.1.0: bars are copied into `bar` (its symbol buffer reused) and delivered
    /// one per call.
    V0_1 {
        strategy: v0_1::Strategy,
        bar: Box<v0_1::sandtrade::strategy::types::Bar>,
    },
    V0_2(v0_2::Strategy),
}

impl<D> fmt::Debug for StrategyInstance<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StrategyInstance")
            .field("name", self.store.data().name())
            .finish_non_exhaustive()
    }
}

impl<D: Desk> StrategyInstance<D> {
    /// The strategy's name.
    pub fn name(&self) -> &Arc<str> {
        self.store.data().name()
    }

    /// The desk its signals go to.
    pub fn desk(&self) -> &D {
        self.store.data().desk()
    }

    /// The desk its signals go to (between calls: the backtest moves its clock and fills here).
    pub fn desk_mut(&mut self) -> &mut D {
        self.store.data_mut().desk_mut()
    }

    /// Drops the instance and gives its desk back (to restart with the same desk).
    pub fn into_desk(self) -> D {
        self.store.into_data().into_desk()
    }

    /// Output bytes dropped over the per-call budget so far.
    pub fn output_dropped(&self) -> u64 {
        self.store.data().output().dropped_total()
    }

    /// The version of `sandtrade:strategy` the component was built against.
    pub fn wit_version(&self) -> WitVersion {
        match self.bindings {
            Bindings::V0_1 { .. } => WitVersion::V0_1,
            Bindings::V0_2(_) => WitVersion::V0_2,
        }
    }

    /// Calls `describe`.
    ///
    /// # Errors
    ///
    /// A [`GuestFault`] if the guest traps or overruns the init deadline.
    pub fn describe(&mut self) -> Result<bindings::Metadata, GuestFault> {
        self.call(Budget::Init, |bindings, store| match bindings {
            Bindings::V0_1 { strategy, .. } => strategy.call_describe(store).map(Into::into),
            Bindings::V0_2(strategy) => strategy.call_describe(store),
        })
    }

    /// Calls `init` with `params`. The inner `Err` is the strategy refusing its parameters.
    ///
    /// # Errors
    ///
    /// A [`GuestFault`] if the guest traps or overruns the init deadline.
    pub fn init(&mut self, params: &[(String, String)]) -> Result<Result<(), String>, GuestFault> {
        self.call(Budget::Init, |bindings, store| match bindings {
            Bindings::V0_1 { strategy, .. } => strategy.call_init(store, params),
            Bindings::V0_2(strategy) => strategy.call_init(store, params),
        })
    }

    /// Calls `on-bar`.
    ///
    /// # Errors
    ///
    /// A [`GuestFault`]; the instance is unusable afterwards.
    pub fn on_bar(&mut self, bar: &bindings::Bar) -> Result<CallStats, GuestFault> {
        self.call(Budget::Call, |bindings, store| match bindings {
            Bindings::V0_1 { strategy, bar: old } => {
                old.copy_from(bar);
                strategy.call_on_bar(store, old)
            }
            Bindings::V0_2(strategy) => strategy.call_on_bar(store, bar),
        })?;
        Ok(self.last_call())
    }

    /// Delivers the bars of `batch` in time order, several per call where the component can
    /// take them (`on-bars`), and stops after the first bar on which a signal was accepted, so
    /// that the caller can fill its order before the next bar. Returns how many bars were
    /// delivered (at least one of a non-empty batch) and what those calls did.
    ///
    /// A 0.1.0 component gets them one `on-bar` call each, with the same stop.
    ///
    /// # Errors
    ///
    /// A [`GuestFault`] (also for a component that says it consumed none, or more than it
    /// was given); the instance is unusable afterwards.
    pub fn on_bars(&mut self, batch: &BarBatch) -> Result<(usize, CallStats), GuestFault> {
        if batch.is_empty() {
            return Ok((0, CallStats::default()));
        }
        if let Bindings::V0_1 { .. } = self.bindings {
            let mut total = CallStats::default();
            for i in 0..batch.len() {
                // What the SDKs' `on-bars` does for a 0.2.0 component: the desk answers the
                // calls of this bar as of this bar (it takes the first as the current one).
                if i > 0 {
                    self.desk_mut().handling_bar(i);
                }
                self.call(Budget::Call, |bindings, store| match bindings {
                    Bindings::V0_1 { strategy, bar: old } => {
                        old.copy_from_batch(batch, i);
                        strategy.call_on_bar(store, old)
                    }
                    Bindings::V0_2(_) => unreachable!("0.2.0 components take on-bars"),
                })?;
                let stats = self.last_call();
                total.emits += stats.emits;
                total.rejections += stats.rejections;
                if stats.accepted() > 0 {
                    return Ok((i + 1, total));
                }
            }
            return Ok((batch.len(), total));
        }
        let consumed = self.call(Budget::Call, |bindings, store| match bindings {
            Bindings::V0_2(strategy) => {
                strategy.call_on_bars(store, batch.symbols(), batch.source(), batch.columns())
            }
            Bindings::V0_1 { .. } => unreachable!("0.1.0 components are handled above"),
        })?;
        let consumed = usize::try_from(consumed).unwrap_or(usize::MAX);
        if consumed == 0 || consumed > batch.len() {
            return Err(GuestFault {
                strategy: self.name().clone(),
                kind: FaultKind::Error(format!(
                    "on-bars consumed {consumed} of {} bars (it must consume at least one, and \
                     no more than it was given)",
                    batch.len()
                )),
            });
        }
        Ok((consumed, self.last_call()))
    }

    /// Calls `on-fill`.
    ///
    /// # Errors
    ///
    /// A [`GuestFault`]; the instance is unusable afterwards.
    pub fn on_fill(&mut self, fill: &bindings::Fill) -> Result<CallStats, GuestFault> {
        self.call(Budget::Call, |bindings, store| match bindings {
            Bindings::V0_1 { strategy, .. } => strategy.call_on_fill(store, &fill.into()),
            Bindings::V0_2(strategy) => strategy.call_on_fill(store, fill),
        })?;
        Ok(self.last_call())
    }

    /// What the last call did: its `emit`s and refusals, also when it faulted part-way (a
    /// guest that emitted 40,000 signals before its deadline did emit them).
    pub fn last_call(&self) -> CallStats {
        self.store.data().last_call()
    }

    /// The fuel the last call used, under [`CpuBudget::Fuel`] (a backtest); `None` under
    /// deadlines. For a 0.1.0 component's `on_bars`, the last of its `on-bar` calls.
    pub fn last_call_fuel(&self) -> Option<u64> {
        let CpuBudget::Fuel { per_call } = self.runtime.budget() else {
            return None;
        };
        let left = self.store.get_fuel().ok()?;
        Some(per_call.saturating_sub(left))
    }

    /// Calls an export under the deadline of `budget`.
    fn call<R>(
        &mut self,
        budget: Budget,
        call: impl FnOnce(&mut Bindings, &mut Store<StrategyState<D>>) -> wasmtime::Result<R>,
    ) -> Result<R, GuestFault> {
        let Self {
            store,
            bindings,
            runtime,
        } = self;
        let deadline = match budget {
            Budget::Init => runtime.sandbox().init_deadline(),
            Budget::Call => runtime.sandbox().call_deadline(),
        };
        guarded(runtime, store, deadline, |store| call(bindings, store))
    }
}

/// Which deadline a call gets.
#[derive(Debug, Clone, Copy)]
enum Budget {
    /// Instantiation, `describe`, `init`.
    Init,
    /// `on-bar`, `on-fill`.
    Call,
}

/// Runs `call` under the CPU budget, with per-call output and counters, and turns a trap into a
/// [`GuestFault`].
fn guarded<D: Desk, R>(
    runtime: &Runtime,
    store: &mut Store<StrategyState<D>>,
    deadline: Duration,
    call: impl FnOnce(&mut Store<StrategyState<D>>) -> wasmtime::Result<R>,
) -> Result<R, GuestFault> {
    match runtime.budget() {
        CpuBudget::Deadline => store.set_epoch_deadline(runtime.sandbox().ticks(deadline)),
        CpuBudget::Fuel { per_call } => store
            .set_fuel(per_call)
            .expect("fuel is enabled in this engine's config"),
    }
    store.data_mut().begin_call();
    let result = call(store);
    store.data_mut().end_call();
    result.map_err(|error| classify(store.data(), error, deadline))
}

fn classify<D>(state: &StrategyState<D>, error: wasmtime::Error, deadline: Duration) -> GuestFault {
    let kind = match error.downcast_ref::<Trap>() {
        Some(Trap::Interrupt) => FaultKind::Deadline(deadline),
        Some(Trap::OutOfFuel) => FaultKind::FuelExhausted,
        Some(Trap::StackOverflow) => FaultKind::StackOverflow,
        _ if state.memory_refused() => FaultKind::OutOfMemory,
        Some(Trap::UnreachableCodeReached) => match state.output().panic_message() {
            Some(message) => FaultKind::Panic(clip(&message, GUEST_MESSAGE_MAX_BYTES).into_owned()),
            None => FaultKind::Trap(Trap::UnreachableCodeReached.to_string()),
        },
        Some(Trap::CannotEnterComponent) => FaultKind::Poisoned,
        Some(trap) => FaultKind::Trap(trap.to_string()),
        None => FaultKind::Error(format!("{error:#}")),
    };
    GuestFault {
        strategy: state.name().clone(),
        kind,
    }
}

/// A strategy call that failed: the instance trapped or overran its budget.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("strategy `{strategy}`: {kind}")]
pub struct GuestFault {
    /// The strategy.
    pub strategy: Arc<str>,
    /// What happened.
    pub kind: FaultKind,
}

/// The kinds of guest failure, each with the limit or message involved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Ran past its wall-clock deadline (epoch interruption).
    Deadline(Duration),
    /// Used up its deterministic instruction budget (backtests).
    FuelExhausted,
    /// Tried to grow its memory past the cap.
    OutOfMemory,
    /// Recursed past the wasm stack cap.
    StackOverflow,
    /// Panicked; the guest's panic message.
    Panic(String),
    /// Any other trap, as wasmtime describes it.
    Trap(String),
    /// Called again after an earlier trap (a bug in the host if it happens).
    Poisoned,
    /// Failed without a trap (e.g. instantiation could not allocate).
    Error(String),
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Deadline(d) => write!(
                f,
                "ran past its {} deadline and was stopped",
                DurationText(*d)
            ),
            Self::FuelExhausted => write!(f, "used up its instruction budget and was stopped"),
            Self::OutOfMemory => write!(f, "ran out of memory (the cap was reached)"),
            Self::StackOverflow => write!(f, "overflowed its stack (recursion too deep)"),
            Self::Panic(message) => write!(f, "panicked: {message}"),
            Self::Trap(message) => write!(f, "trapped: {message}"),
            Self::Poisoned => write!(f, "was called after an earlier trap"),
            Self::Error(message) => write!(f, "failed: {message}"),
        }
    }
}

impl FaultKind {
    /// A short stable label for metrics and the API: `deadline`, `fuel`, `memory`, `stack`,
    /// `panic`, `trap`, `poisoned`, `error`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Deadline(_) => "deadline",
            Self::FuelExhausted => "fuel",
            Self::OutOfMemory => "memory",
            Self::StackOverflow => "stack",
            Self::Panic(_) => "panic",
            Self::Trap(_) => "trap",
            Self::Poisoned => "poisoned",
            Self::Error(_) => "error",
        }
    }
}

/// A strategy instance that has described itself and accepted its parameters.
#[derive(Debug)]
pub struct Started<D: 'static> {
    /// The running instance.
    pub instance: StrategyInstance<D>,
    /// What it said about itself.
    pub metadata: StrategyMetadata,
}

/// The longest message of a guest's kept (an `init` refusal, a panic's message): it reaches
/// logs, the status and the API, so a strategy cannot make those as large as it likes.
pub const GUEST_MESSAGE_MAX_BYTES: usize = 1024;

/// Why a strategy could not be started.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StartError {
    /// It trapped or overran its deadline while instantiating, describing or initializing.
    #[error(transparent)]
    Fault(#[from] GuestFault),
    /// `describe` returned unusable metadata.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// The desk refused the strategy (e.g. invalid limits for its symbols).
    #[error("{0}")]
    Desk(String),
    /// `init` refused the parameters.
    #[error("init refused its parameters: {0}")]
    InitRefused(String),
}

impl<D: Desk> PreparedStrategy<D> {
    /// Instantiates, calls `describe` and checks its answer, binds the desk, then calls
    /// `init` with `params`.
    ///
    /// # Errors
    ///
    /// A [`StartError`] saying which step failed and why, with the desk given back (a backtest
    /// account or a live gate outlives a failed restart).
    pub fn start(
        &self,
        runtime: &Runtime,
        name: Arc<str>,
        desk: D,
        params: &[(String, String)],
    ) -> Result<Started<D>, Failed<D, StartError>> {
        let mut instance = self
            .instantiate(runtime, name, desk)
            .map_err(|f| f.map(StartError::Fault))?;
        match Self::describe_bind_init(&mut instance, params) {
            Ok(metadata) => Ok(Started { instance, metadata }),
            Err(error) => Err(Failed {
                error,
                desk: instance.into_desk(),
            }),
        }
    }

    fn describe_bind_init(
        instance: &mut StrategyInstance<D>,
        params: &[(String, String)],
    ) -> Result<StrategyMetadata, StartError> {
        let metadata = StrategyMetadata::from_guest(instance.describe()?)?;
        instance
            .desk_mut()
            .bind(&metadata)
            .map_err(StartError::Desk)?;
        instance.init(params)?.map_err(|why| {
            StartError::InitRefused(clip(&why, GUEST_MESSAGE_MAX_BYTES).into_owned())
        })?;
        instance.store.data_mut().mark_started();
        Ok(metadata)
    }
}

/// A failed start or call that hands the desk back.
#[derive(Debug)]
pub struct Failed<D, E> {
    /// What went wrong.
    pub error: E,
    /// The desk, unharmed.
    pub desk: D,
}

impl<D, E> Failed<D, E> {
    /// The same failure with the error mapped.
    pub fn map<F>(self, f: impl FnOnce(E) -> F) -> Failed<D, F> {
        Failed {
            error: f(self.error),
            desk: self.desk,
        }
    }
}
