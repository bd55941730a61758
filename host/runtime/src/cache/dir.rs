//! The compile cache's directory: made private, and refused when it is not.
//!
//! The cache holds machine code that the host maps and runs without compiling it again, so
//! whoever can write the directory can run code as the host. [`open`] makes the directory (and
//! each parent it has to make) with mode 0700, and refuses one that is writable by its group or
//! by others, or that belongs to another user. The SHA-256 digest beside each entry guards
//! against torn and corrupted files only: whoever can write an entry can write its digest too.

use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Why the compile cache's directory is not used.
#[derive(Debug, thiserror::Error)]
pub enum CacheDirError {
    /// It could not be created.
    #[error("cannot create the compile cache directory {}: {error}", dir.display())]
    Create {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Its owner and mode could not be read.
    #[error("cannot inspect the compile cache directory {}: {error}", dir.display())]
    Inspect {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// It is something else than a directory.
    #[error("the compile cache {} is not a directory", dir.display())]
    NotADirectory {
        /// The path.
        dir: PathBuf,
    },
    /// Users other than its owner may write it.
    #[error(
        "the compile cache directory {shown} is writable by {who} (mode {mode:04o}); the host \
         runs the code it finds there, so only the user it runs as may write it (`chmod go-w \
         {shown}`)",
        shown = dir.display(),
        who = writers(*mode)
    )]
    Writable {
        /// The directory.
        dir: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// Another user owns it.
    #[error(
        "the compile cache directory {} belongs to uid {owner}, not to uid {user} that the host \
         runs as; the host runs the code it finds there, so it must be that user's own",
        dir.display()
    )]
    Owner {
        /// The directory.
        dir: PathBuf,
        /// Its owner.
        owner: u32,
        /// The effective uid of this process.
        user: u32,
    },
}

/// Creates `dir` if it is missing, mode 0700 like every parent it creates (existing parents
/// are left as they are), then [`verify`]s it.
pub(super) fn open(dir: &Path) -> Result<(), CacheDirError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|error| CacheDirError::Create {
            dir: dir.to_owned(),
            error,
        })?;
    verify(dir)
}

/// Checks that `dir` is a directory that belongs to the user this process runs as and that no
/// one else may write. A symbolic link is followed: what counts is the directory written into.
pub(super) fn verify(dir: &Path) -> Result<(), CacheDirError> {
    let meta = std::fs::metadata(dir).map_err(|error| CacheDirError::Inspect {
        dir: dir.to_owned(),
        error,
    })?;
    if !meta.is_dir() {
        return Err(CacheDirError::NotADirectory {
            dir: dir.to_owned(),
        });
    }
    judge(dir, meta.uid(), meta.mode(), effective_uid())
}

/// The verdict on a directory owned by `owner` with `mode`, for a process running as `user`.
fn judge(dir: &Path, owner: u32, mode: u32, user: u32) -> Result<(), CacheDirError> {
    let mode = mode & 0o7777;
    if owner != user {
        return Err(CacheDirError::Owner {
            dir: dir.to_owned(),
            owner,
            user,
        });
    }
    if mode & 0o022 != 0 {
        return Err(CacheDirError::Writable {
            dir: dir.to_owned(),
            mode,
        });
    }
    Ok(())
}

/// Who besides the owner may write a directory of `mode`.
fn writers(mode: u32) -> &'static str {
    match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => "its group and by others",
        (true, false) => "its group",
        _ => "others",
    }
}

fn effective_uid() -> u32 {
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode_of(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn with_mode(parent: &Path, mode: u32) -> PathBuf {
        let dir = parent.join(format!("mode-{mode:o}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    #[test]
    fn a_missing_directory_and_its_missing_parents_are_made_0700() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("sandtrade").join("wasm");
        open(&dir).unwrap();
        assert_eq!(mode_of(&dir), 0o700);
        assert_eq!(mode_of(&root.path().join("sandtrade")), 0o700);
        // An existing private directory is used as it is.
        open(&dir).unwrap();
    }

    #[test]
    fn a_directory_others_may_write_is_refused() {
        let root = tempfile::tempdir().unwrap();
        for (mode, who) in [
            (0o777, "its group and by others"),
            (0o770, "its group"),
            (0o1777, "its group and by others"),
            (0o702, "others"),
        ] {
            let dir = with_mode(root.path(), mode);
            let err = open(&dir).unwrap_err().to_string();
            assert_eq!(
                err,
                format!(
                    "the compile cache directory {0} is writable by {who} (mode {mode:04o}); the \
                     host runs the code it finds there, so only the user it runs as may write it \
                     (`chmod go-w {0}`)",
                    dir.display()
                )
            );
            // Left as it was: tightening it would not remove what others may have put there.
            assert_eq!(mode_of(&dir), mode);
        }
        for mode in [0o700, 0o755, 0o500] {
            verify(&with_mode(root.path(), mode)).unwrap();
        }
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        let dir = Path::new("/var/cache/sandtrade");
        assert_eq!(
            judge(dir, 1001, 0o40700, 1000).unwrap_err().to_string(),
            "the compile cache directory /var/cache/sandtrade belongs to uid 1001, not to uid \
             1000 that the host runs as; the host runs the code it finds there, so it must be \
             that user's own"
        );
        judge(dir, 1000, 0o40700, 1000).unwrap();
        // Only root can give a directory away; as root, do it for real.
        if effective_uid() == 0 {
            let root = tempfile::tempdir().unwrap();
            let theirs = with_mode(root.path(), 0o700);
            std::os::unix::fs::chown(&theirs, Some(65534), None).unwrap();
            assert!(matches!(
                open(&theirs),
                Err(CacheDirError::Owner {
                    owner: 65534,
                    user: 0,
                    ..
                })
            ));
        }
    }

    #[test]
    fn a_file_is_not_a_cache_directory() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("file");
        std::fs::write(&file, b"").unwrap();
        assert_eq!(
            verify(&file).unwrap_err().to_string(),
            format!("the compile cache {} is not a directory", file.display())
        );
        assert!(matches!(open(&file), Err(CacheDirError::Create { .. })));
    }
}
