//! The Python and TypeScript examples, built once per change of their sources by the real
//! `sandtrade build`, for every test that needs them.
//!
//! Their builds are not byte-for-byte reproducible (componentize-py and componentize-js
//! embed build-time state), so building per test would also compile each anew (~16 s of
//! cranelift for a Python strategy). Built once, the same bytes hit the compile cache.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::support::sandtrade;

/// `example-strategies/<project>` built by `sandtrade build`, with its sidecar beside it, in
/// `target/test-built/<hash of the sources>/`: the project, its SDK and the WIT.
pub fn built_example(project: &str) -> PathBuf {
    let root = xtask::workspace_root();
    let source = root.join("example-strategies").join(project);
    let sdk = if source.join("strategy.py").exists() {
        "guest-sdk-python/src"
    } else {
        "guest-sdk-ts/src"
    };
    let mut hasher = Sha256::new();
    for dir in [source.clone(), root.join(sdk), root.join("wit")] {
        hash_tree(&dir, &dir, &mut hasher);
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

/// Every file under `dir` (its path relative to `base`, then its bytes), in name order,
/// leaving out what builds and tests leave behind.
fn hash_tree(base: &Path, dir: &Path, hasher: &mut Sha256) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("a source directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "__pycache__" || name == "node_modules" || name.ends_with(".wasm") {
            continue;
        }
        if path.is_dir() {
            hash_tree(base, &path, hasher);
        } else {
            hasher.update(
                path.strip_prefix(base)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .as_bytes(),
            );
            hasher.update(std::fs::read(&path).expect("a readable source file"));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
