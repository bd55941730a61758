//! The browser the status page's test drives: Debian's `chromium` and `chromium-driver`.

use std::path::Path;
use std::process::Command;

/// Where the test finds them (Debian's packages put them there).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// See [`CHROMIUM`].
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Set (to `1`) for `cargo test` when the browser could not be installed: the browser test
/// then says loudly that it did not run, instead of failing on the missing program.
pub const NO_BROWSER_ENV: &str = "SANDTRADE_NO_BROWSER";

/// Whether both programs are installed.
pub fn installed() -> bool {
    Path::new(CHROMIUM).is_file() && Path::new(CHROMEDRIVER).is_file()
}

/// Installs `chromium` and `chromium-driver` with apt-get (as root, as CI runs, else through
/// `sudo -n`) unless both are there. Returns whether they are there now; when not, says why
/// on stderr, loudly (the caller then sets [`NO_BROWSER_ENV`]).
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
        "\n\
         ********************************************************************************\n\
         xtask: could not install chromium and chromium-driver (needs root or sudo, and\n\
         Debian's apt). THE STATUS PAGE'S BROWSER TEST (tests/tests/api_page.rs) WILL NOT\n\
         RUN. Install them with `apt-get install -y chromium chromium-driver` and rerun.\n\
         ********************************************************************************\n"
    );
    false
}
