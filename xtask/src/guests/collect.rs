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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_when_the_bytes_change() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (source, target) = (dir.path().join("a.wasm"), dir.path().join("b.wasm"));
        fs::write(&source, b"one").expect("write");
        assert_eq!(replace_if_changed(&source, &target).expect("copied"), 3);
        assert_eq!(fs::read(&target).expect("read"), b"one");

        // Same bytes: the file is left alone, so its modification time does not move (a
        // watcher of the collected files sees no change).
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1);
        fs::File::options()
            .write(true)
            .open(&target)
            .and_then(|f| f.set_modified(old))
            .expect("set mtime");
        replace_if_changed(&source, &target).expect("unchanged");
        assert_eq!(
            fs::metadata(&target)
                .and_then(|m| m.modified())
                .expect("mtime"),
            old
        );

        fs::write(&source, b"second").expect("write");
        assert_eq!(replace_if_changed(&source, &target).expect("replaced"), 6);
        assert_eq!(fs::read(&target).expect("read"), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "no partial file left behind: {names:?}");
    }
}
