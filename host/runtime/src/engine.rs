//! The one place a `wasmtime::Engine` is configured.
//!
//! Every knob below is a sandbox or speed decision; each says why. See
//! `../shared/reference/wasmtime-host.md` for the measurements behind them.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use wasmtime::{Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How strategies are sandboxed and paced. `[sandbox]` in the config file; every field optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Largest linear memory a strategy may grow to, in MiB. 128 by default: a TypeScript
    /// strategy's engine (SpiderMonkey) lets its heap grow to ~68 MiB before its first
    /// garbage collection, and must be able to get there.
    pub memory_mib: u32,
    /// Wasm stack a strategy may use, in KiB. Deeper recursion traps with a stack overflow.
    pub stack_kib: u32,
    /// Wall-clock budget of one `on-bar` or `on-fill` call, in milliseconds.
    pub call_deadline_ms: u64,
    /// Wall-clock budget of instantiation plus `describe` and `init`, in milliseconds.
    pub init_deadline_ms: u64,
    /// How often the epoch ticker runs, in milliseconds: the precision of the deadlines.
    pub epoch_tick_ms: u64,
    /// Strategy instances the pooling allocator makes room for (live ones plus one spare per
    /// strategy for hot reload).
    pub max_instances: u32,
    /// Of those, instances of strategies that carry an interpreter (Python, JavaScript): each
    /// takes 14 core instances where a Rust one takes a few,
    /// and the pool keeps room for this many beside `max_instances` Rust ones.
    pub max_interpreter_instances: u32,
    /// Traps tolerated within `strike_window_s` before a strategy is quarantined.
    pub max_strikes: u32,
    /// The window in which strikes count, in seconds.
    pub strike_window_s: u64,
    /// Guest output (stdout, stderr and `log`) kept per call, in bytes; the rest is dropped and
    /// counted.
    pub log_bytes_per_call: usize,
    /// Largest strategy file (`.wasm`) loaded, in MiB (1 to 1024). A larger one is refused from
    /// its size, before it is read in full or compiled: compile time and memory grow with it.
    #[serde(deserialize_with = "wasm_mib")]
    pub max_wasm_mib: u32,
}

/// The range `max_wasm_mib` accepts: a Rust strategy is typically 50–150 KiB, a Python one
/// ~18 MiB (the interpreter and its standard library), and even 1 GiB would take cranelift
/// minutes to compile.
const WASM_MIB: std::ops::RangeInclusive<u32> = 1..=1024;

fn wasm_mib<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let mib = u32::deserialize(deserializer)?;
    if WASM_MIB.contains(&mib) {
        Ok(mib)
    } else {
        Err(serde::de::Error::custom(format!(
            "max_wasm_mib = {mib}: expected {} to {} (MiB)",
            WASM_MIB.start(),
            WASM_MIB.end()
        )))
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            memory_mib: 128,
            stack_kib: 512,
            call_deadline_ms: 100,
            init_deadline_ms: 1_000,
            epoch_tick_ms: 5,
            max_instances: 1_100,
            max_interpreter_instances: 64,
            max_strikes: 3,
            strike_window_s: 600,
            log_bytes_per_call: 16 * 1024,
            max_wasm_mib: 48,
        }
    }
}

impl SandboxConfig {
    /// `memory_mib` in bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.memory_mib as usize) << 20
    }

    /// `max_wasm_mib` in bytes.
    pub fn max_wasm_bytes(&self) -> u64 {
        u64::from(self.max_wasm_mib) << 20
    }

    /// `call_deadline_ms` as a duration.
    pub fn call_deadline(&self) -> Duration {
        Duration::from_millis(self.call_deadline_ms)
    }

    /// `init_deadline_ms` as a duration.
    pub fn init_deadline(&self) -> Duration {
        Duration::from_millis(self.init_deadline_ms)
    }

    /// Epoch ticks that make up `deadline`, rounded up, at least one.
    ///
    /// A deadline of `n` ticks fires between `(n-1)` and `n` ticks from now, so one tick is
    /// added: the guest always gets at least its full budget.
    pub fn ticks(&self, deadline: Duration) -> u64 {
        let tick = self.epoch_tick_ms.max(1);
        (deadline.as_millis() as u64).div_ceil(tick) + 1
    }
}

/// How a call's CPU is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuBudget {
    /// Wall-clock deadlines by epoch interruption: live trading.
    Deadline,
    /// A deterministic instruction budget ("fuel") per call: backtests, so that a run is the same
    /// on every machine, runaway loops included.
    Fuel {
        /// Fuel units per call (about one per wasm instruction).
        per_call: u64,
    },
}

/// The shared wasmtime engine plus the thread that advances its epoch.
///
/// Cheap to clone. The ticker thread holds only a weak reference and ends with the engine.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    sandbox: Arc<SandboxConfig>,
    budget: CpuBudget,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("sandbox", &self.sandbox)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Builds the engine for `sandbox` limits and `budget`, and starts the epoch ticker.
    ///
    /// # Errors
    ///
    /// When wasmtime refuses the configuration (for example, the pooling allocator cannot
    /// reserve its address space; then the on-demand allocator is used instead, see below).
    pub fn new(sandbox: SandboxConfig, budget: CpuBudget) -> anyhow::Result<Self> {
        let engine = match Engine::new(&wasmtime_config(&sandbox, budget, true)) {
            Ok(engine) => engine,
            Err(pooling_error) => {
                // The pool reserves ~4 GiB of address space per memory slot up front; where
                // that is not available (a ulimit -v, a 32-bit address space) fall back to
                // allocating on demand, which is slower to instantiate but otherwise the same.
                tracing::warn!(
                    error = %pooling_error,
                    "pooling allocator unavailable; allocating strategy memory on demand"
                );
                Engine::new(&wasmtime_config(&sandbox, budget, false))?
            }
        };
        if budget == CpuBudget::Deadline {
            spawn_epoch_ticker(&engine, Duration::from_millis(sandbox.epoch_tick_ms.max(1)))?;
        }
        Ok(Self {
            engine,
            sandbox: Arc::new(sandbox),
            budget,
        })
    }

    /// The wasmtime engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The sandbox limits.
    pub fn sandbox(&self) -> &SandboxConfig {
        &self.sandbox
    }

    /// How calls are CPU-bounded.
    pub fn budget(&self) -> CpuBudget {
        self.budget
    }
}

fn wasmtime_config(sandbox: &SandboxConfig, budget: CpuBudget, pooling: bool) -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    // Component-model async makes every sync call ~2.7x slower (wasmtime#12836); strategies
    // are synchronous, and this build of wasmtime leaves the feature out anyway.
    config.concurrency_support(false);
    match budget {
        // Epoch checks cost ~3% per call; fuel is deterministic but not time.
        CpuBudget::Deadline => config.epoch_interruption(true),
        CpuBudget::Fuel { .. } => config.consume_fuel(true),
    };
    // Deep recursion traps with `Trap::StackOverflow` instead of taking the host thread down.
    config.max_wasm_stack(sandbox.stack_kib as usize * 1024);
    // Compile on one core: in parallel, a 1 MiB component takes ~0.45 s instead of ~0.75 s,
    // but a large or hostile file dropped into the strategies directory would then take both
    // cores of these machines from the trading thread. A compile also runs at a lower priority
    // (`low_priority`); this setting changes nothing in the compiled code.
    config.parallel_compilation(false);
    if pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(sandbox)));
    }
    config
}

/// What one instance of a strategy carrying an interpreter takes from the pool, measured on a
/// componentize-py build (libpython, its runtime, libc, the WASI adapter and the shims share
/// one memory): 14 core instances, 1 memory and 2 tables. Rounded up: a pool that runs out
/// refuses to start a strategy, it does not crash the host.
struct InterpreterShare {
    core_instances: u32,
    memories: u32,
    tables: u32,
}

const INTERPRETER: InterpreterShare = InterpreterShare {
    core_instances: 16,
    memories: 2,
    tables: 4,
};

/// Pre-allocated slots for every strategy instance: instantiation drops from ~13 µs to ~6 µs
/// and the memory cap becomes a hard limit of the slot.
fn pooling_config(sandbox: &SandboxConfig) -> PoolingAllocationConfig {
    let instances = sandbox.max_instances.max(1);
    let interpreters = sandbox.max_interpreter_instances;
    let mut pool = PoolingAllocationConfig::new();
    // A Rust wasip2 component is a main module plus a few wit-component shims, with one memory
    // and two tables: size the pool with headroom (Spin uses the same ratios), then add room
    // for the interpreters'. Per component, nothing may take more than an interpreter's share,
    // so one hostile component cannot drain the pool.
    let total = |rust: u32, interpreter: u32| {
        instances
            .saturating_mul(rust)
            .saturating_add(interpreters.saturating_mul(interpreter))
    };
    pool.total_component_instances(instances.saturating_add(interpreters))
        .total_core_instances(total(4, INTERPRETER.core_instances))
        .total_memories(total(2, INTERPRETER.memories))
        .total_tables(total(4, INTERPRETER.tables))
        .max_core_instances_per_component(INTERPRETER.core_instances)
        .max_memories_per_component(INTERPRETER.memories)
        .max_tables_per_component(INTERPRETER.tables)
        .total_stacks(0)
        .max_memory_size(sandbox.memory_bytes())
        // Reusing a slot memsets this much instead of a madvise round trip (measured: 64 KiB
        // made both drop and instantiate ~1 µs faster).
        .linear_memory_keep_resident(64 * 1024)
        .table_keep_resident(16 * 1024);
    pool
}

/// Advances the engine's epoch every `tick` until the engine is dropped.
fn spawn_epoch_ticker(engine: &Engine, tick: Duration) -> std::io::Result<()> {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("wasm-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(tick);
            }
        })
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_round_up_and_add_one() {
        let sandbox = SandboxConfig {
            epoch_tick_ms: 5,
            ..SandboxConfig::default()
        };
        assert_eq!(sandbox.ticks(Duration::from_millis(100)), 21);
        assert_eq!(sandbox.ticks(Duration::from_millis(101)), 22);
        assert_eq!(sandbox.ticks(Duration::from_millis(0)), 1);
    }

    #[test]
    fn sandbox_config_refuses_unknown_keys() {
        let err = toml::from_str::<SandboxConfig>("memory_mb = 3").unwrap_err();
        assert!(
            err.to_string().contains("unknown field `memory_mb`"),
            "{err}"
        );
        let ok: SandboxConfig = toml::from_str("memory_mib = 32").unwrap();
        assert_eq!(ok.memory_mib, 32);
        assert_eq!(ok.stack_kib, 512);
        assert_eq!(ok.max_wasm_mib, 48);
    }

    #[test]
    fn max_wasm_mib_is_read_and_bounded() {
        let ok: SandboxConfig = toml::from_str("max_wasm_mib = 2").unwrap();
        assert_eq!(ok.max_wasm_bytes(), 2 << 20);
        for bad in [0, 1025] {
            let err = toml::from_str::<SandboxConfig>(&format!("max_wasm_mib = {bad}"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!("max_wasm_mib = {bad}: expected 1 to 1024 (MiB)")),
                "{err}"
            );
        }
    }

    #[test]
    fn compiles_run_on_one_thread() {
        let sandbox = SandboxConfig {
            max_instances: 1,
            ..SandboxConfig::default()
        };
        let runtime = Runtime::new(sandbox, CpuBudget::Fuel { per_call: 1 }).expect("engine");
        assert!(!runtime.engine().get_parallel_compilation());
    }
}
