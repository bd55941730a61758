//! The browser the status page's test drives: Debian's `chromium` and `chromium-driver`.

use std::path::Path;
use std::process::Command;

/// Where the test finds them (Debian's packages put them there).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// See [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Set (to `1`) for `cargo test` only by `cargo xtask test --allow-no-browser` on a machine
/// where the browser could not be installed: the browser test then says loudly that it did not
/// run, instead of failing on the missing program.
pub const NO_BROWSER_ENV: &str = "SANDTRADE_NO_BROWSER";

/// The flag of `cargo xtask test` that lets a developer whose machine cannot install the browser
/// run every other test. CI never passes it, so there the browser test cannot pass unrun.
pub const ALLOW_NO_BROWSER_FLAG: &str = "--allow-no-browser";

/// What the test run does about the browser test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// The browser is installed: the test drives it.
    Run,
    /// The browser is missing and the developer allowed that: the test only says it did not run.
    Skip,
}

/// The browser is missing and nobody allowed the run to go on without it.
#[derive(Debug, thiserror::Error)]
#[error(
    "chromium and chromium-driver are missing and could not be installed, so the status page's \
     browser test (tests/tests/api_page.rs) cannot run; install them with `apt-get install -y \
     chromium chromium-driver`, or run the other tests on this machine with \
     `cargo xtask test {ALLOW_NO_BROWSER_FLAG}` (CI never does)"
)]
pub struct Missing;

/// Whether the browser test runs, given whether the browser is `installed` and whether the
/// developer passed [`ALLOW_NO_BROWSER_FLAG`].
///
/// # Errors
///
/// [`Missing`] when the browser is not installed and that was not allowed: a test run that
/// cannot run one of its tests fails rather than passes.
pub fn plan(installed: bool, allow_missing: bool) -> Result<Plan, Missing> {
    match (installed, allow_missing) {
        (true, _) => Ok(Plan::Run),
        (false, true) => Ok(Plan::Skip),
        (false, false) => Err(Missing),
    }
}

/// Whether both programs are installed.
pub fn installed() -> bool {
    Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file()
}

/// Installs `chromium` and `chromium-driver` with apt-get (as root, as CI runs, else through
/// `sudo -n`) unless both are there. Returns whether they are there now (apt-get's own output
/// says why not); [`plan`] decides what that means for the test run.
pub fn ensure_chromium() -> bool {
    if installed() {
        return true;
    }
    eprintln!("xtask: installing chromium and chromium-driver (the status page's browser test)");
    let apt = |prefix: &[&str], args: &[&str]| {
        let (program, rest) = match prefix.split_first() {
            Some((sudo, rest)) => (*sudo, [rest, &["apt-get"]].concat()),
            None => ("apt-get", Vec::new()),
        };
        Command::new(program)
            .args(rest)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    for prefix in [&[][..], &["sudo", "-n"][..]] {
        let install = [
            "install",
            "-y",
            "--no-install-recommends",
            "chromium",
            "chromium-driver",
        ];
        // The package lists may be missing or stale on a fresh machine: update once, retry.
        if (apt(prefix, &install) || (apt(prefix, &["update"]) && apt(prefix, &install)))
            && installed()
        {
            return true;
        }
    }
    eprintln!(
        "xtask: could not install chromium and chromium-driver (it needs root or sudo, and \
         Debian's apt)"
    );
    false
}

/// Says on stderr, loudly, that the browser test did not run ([`Plan::Skip`]).
pub fn warn_skipped() {
    eprintln!(
        "\n\
         ********************************************************************************\n\
         xtask: {ALLOW_NO_BROWSER_FLAG}: THE STATUS PAGE'S BROWSER TEST\n\
         (tests/tests/api_page.rs) DID NOT RUN on this machine. Install chromium and\n\
         chromium-driver (`apt-get install -y chromium chromium-driver`) to run it.\n\
         ********************************************************************************\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_installed_browser_always_runs() {
        assert_eq!(plan(true, false).unwrap(), Plan::Run);
        assert_eq!(plan(true, true).unwrap(), Plan::Run);
    }

    #[test]
    fn a_missing_browser_is_skipped_only_when_allowed() {
        assert_eq!(plan(false, true).unwrap(), Plan::Skip);
        let refused = plan(false, false).unwrap_err().to_string();
        assert!(refused.contains("cannot run"), "{refused}");
        assert!(
            refused.contains("apt-get install -y chromium chromium-driver"),
            "{refused}"
        );
        assert!(
            refused.contains("cargo xtask test --allow-no-browser"),
            "{refused}"
        );
    }
}
