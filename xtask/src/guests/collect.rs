//! Copying the built components (and sidecars) to `target/guests/<group>/`.

use std::fs;
use std::path::Path;

use super::{Built, Error, Guest, Layout};

/// Collects one built guest.
pub(super) fn collect(layout: &Layout, guest: Guest) -> Result<Built, Error> {
    let group_dir = layout.out_dir().join(&guest.group);
    fs::create_dir_all(&group_dir).map_err(Error::io("creating", &group_dir))?;
    let stem = guest.stem();

    let built = layout.cargo_out_dir().join(format!("{stem}.wasm"));
    let wasm = group_dir.join(format!("{stem}.wasm"));
    let bytes = replace_if_changed(&built, &wasm)?;

    let sidecar = match guest.sidecar_source() {
        Some(source) => {
            let target = group_dir.join(format!("{stem}.toml"));
            replace_if_changed(&source, &target)?;
            Some(target)
        }
        None => None,
    };
    Ok(Built {
        guest,
        wasm,
        sidecar,
        bytes,
    })
}

/// Makes `target` a copy of `source`, atomically, leaving it untouched (and its modification
/// time too) when it already has the same bytes. Returns the size.
fn replace_if_changed(source: &Path, target: &Path) -> Result<u64, Error> {
    let bytes = fs::read(source).map_err(Error::io("reading", source))?;
    if fs::read(target).is_ok_and(|existing| existing == bytes) {
        return Ok(bytes.len() as u64);
    }
    let name = target.file_name().expect("a file path").to_string_lossy();
    let partial = target.with_file_name(format!("{name}.partial"));
    fs::write(&partial, &bytes).map_err(Error::io("writing", &partial))?;
    fs::rename(&partial, target).map_err(Error::io("renaming onto", target))?;
    Ok(bytes.len() as u64)
}
