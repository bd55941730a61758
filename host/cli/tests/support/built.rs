//! The Python and TypeScript projects the tests build (the examples and the hostile test
//! guests), built once per change of their sources by the real `sandtrade build`, for every
//! test that needs them.
//!
//! Their builds are not byte-for-byte reproducible (componentize-py and componentize-js
//! embed build-time state), so building per test would also compile each anew (~16 s of
//! cranelift for a Python strategy). Built once, the same bytes hit the compile cache.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::support::sandtrade;

/// `<group>/<project>` built by `sandtrade build`, with its sidecar beside it, in
/// `target/test-built/<hash>/`: the hash of the project, its SDK, the SDK's build tools and
/// the WIT, so that a change to any of them builds it again.
pub fn built_project(group: &str, project: &str) -> PathBuf {
    let root = xtask::workspace_root();
    let source = root.join(group).join(project);
    let sdk: &[&str] = if source.join("strategy.py").exists() {
        &["guest-sdk-python/src", "guest-sdk-python/requirements.txt"]
    } else {
        &[
            "guest-sdk-ts/src",
            "guest-sdk-ts/build.mjs",
            "guest-sdk-ts/tools",
            "guest-sdk-ts/package-lock.json",
        ]
    };
    let mut hasher = Sha256::new();
    hash_tree(&source, &source, &mut hasher);
    for path in sdk.iter().map(|p| root.join(p)).chain([root.join("wit")]) {
        hash_tree(&root, &path, &mut hasher);
    }
    let key = hex(&hasher.finalize()[..8]);
    let stem = project.replace('-', "_");
    let dir = root.join("target/test-built").join(key);
    std::fs::create_dir_all(&dir).expect("target/test-built is writable");
    let wasm = dir.join(format!("{stem}.wasm"));
    // One build at a time per project, across the test binaries running in parallel.
    let lock = std::fs::File::create(dir.join(format!("{stem}.lock"))).expect("a lock file");
    lock.lock().expect("the build lock");
    if !wasm.exists() {
        let partial = dir.join(format!("{stem}.partial.wasm"));
        let out = sandtrade()
            .arg("build")
            .arg(&source)
            .arg("--out")
            .arg(&partial)
            .output()
            .expect("the binary runs");
        assert_eq!(
            out.status.code(),
            Some(0),
            "sandtrade build {project}: {out:?}"
        );
        let sidecar = format!("{stem}.toml");
        std::fs::copy(source.join(&sidecar), dir.join(&sidecar)).expect("the sidecar copies");
        std::fs::rename(&partial, &wasm).expect("the component moves in");
    }
    wasm
}

/// `path` (a file, or every file under a directory; its path relative to `base`, then its
/// bytes), in name order, leaving out what builds and tests leave behind.
fn hash_tree(base: &Path, path: &Path, hasher: &mut Sha256) {
    if path.is_file() {
        hasher.update(
            path.strip_prefix(base)
                .unwrap_or(path)
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(path).expect("a readable source file"));
        return;
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)
        .expect("a source directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for entry in entries {
        let name = entry.file_name().unwrap_or_default().to_string_lossy();
        if name == "__pycache__" || name == "node_modules" || name.ends_with(".wasm") {
            continue;
        }
        hash_tree(base, &entry, hasher);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
