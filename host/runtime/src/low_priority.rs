//! Compiles run below the priority of trading.
//!
//! Compiling a strategy costs ~0.75 s of CPU per MiB of wasm, and any file dropped into the
//! strategies directory starts one, while the trading thread must answer bars and fills within
//! milliseconds on a machine of two cores. The engine compiles on one thread
//! (`parallel_compilation(false)`, see `engine.rs`), and [`run`] puts that thread [`NICENESS`]
//! nice levels below the thread that asked for the compile: under contention, the scheduler then
//! gives the trading thread about ten times the CPU of the compile. Linux applies nice values per
//! thread, so the caller keeps its own; a niced thread cannot be given its priority back without
//! privileges, which is why the compile gets a thread of its own instead of lowering the
//! caller's.

/// How many nice levels a compile runs below the thread that asked for it (each level is ~1.25×
/// less CPU under contention).
pub(crate) const NICENESS: i32 = 10;

/// The lowest priority Linux has (the highest nice value).
const LOWEST: i32 = 19;

/// Runs `job` on a thread of its own, [`NICENESS`] levels below this one, and returns what it
/// returns (a panic in `job` goes on in the caller). Should no thread start, `job` runs on this
/// one, at this thread's priority, and the log says so.
pub(crate) fn run<T: Send>(job: impl FnOnce() -> T + Send) -> T {
    // Where `job` waits: taken by the new thread, or back here if none starts.
    let slot = std::sync::Mutex::new(Some(job));
    let take = || {
        slot.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
            .expect("the job runs once")
    };
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("wasm-compile".into())
            .spawn_scoped(scope, || {
                if let Err(e) = lower_this_threads_priority() {
                    tracing::warn!("cannot lower the priority of a compile ({e}); compiling as is");
                }
                take()()
            });
        match spawned {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => {
                tracing::warn!(
                    "cannot start a thread to compile on ({e}); compiling on this one, at its \
                     priority"
                );
                take()()
            }
        }
    })
}

/// Puts the calling thread [`NICENESS`] nice levels lower (at most [`LOWEST`]).
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() -> std::io::Result<()> {
    let lowered = (this_threads_nice()? + NICENESS).min(LOWEST);
    // SAFETY: plain system calls on this thread's own id.
    let done =
        unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, lowered) };
    if done == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Other systems apply a nice value to the whole process, trading included: leave it.
#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() -> std::io::Result<()> {
    Ok(())
}

/// The calling thread's nice value.
#[cfg(target_os = "linux")]
fn this_threads_nice() -> std::io::Result<i32> {
    // SAFETY: plain system calls on this thread's own id and errno. `getpriority` returns -1
    // for a nice value of -1 as well as for an error; only errno, cleared before, tells them
    // apart.
    unsafe {
        *libc::__errno_location() = 0;
        let nice = libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t);
        if nice == -1 && *libc::__errno_location() != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(nice)
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_job_runs_niced_and_the_caller_keeps_its_priority() {
        let before = this_threads_nice().unwrap();
        let (inside, name) = run(|| {
            let name = std::thread::current().name().map(str::to_owned);
            (this_threads_nice().unwrap(), name)
        });
        assert_eq!(inside, (before + NICENESS).min(LOWEST));
        assert_eq!(name.as_deref(), Some("wasm-compile"));
        assert_eq!(this_threads_nice().unwrap(), before);
    }

    #[test]
    fn a_panic_in_the_job_reaches_the_caller() {
        let caught = std::panic::catch_unwind(|| run(|| panic!("the job failed")));
        let message = caught.unwrap_err();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"the job failed"));
    }
}
