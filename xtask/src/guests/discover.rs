//! Finding the guest crates: `cargo metadata`, then every `cdylib` under [`GROUPS`].

use std::collections::BTreeMap;
use std::path::Path;

use cargo_metadata::{CrateType, MetadataCommand};

use super::{Error, GROUPS, Guest};

/// The guests of the workspace at `root`, sorted by group then package name.
pub fn discover(root: &Path) -> Result<Vec<Guest>, Error> {
    let metadata = MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .no_deps()
        .exec()?;
    let mut guests = Vec::new();
    for package in metadata.workspace_packages() {
        let is_cdylib = package
            .targets
            .iter()
            .any(|t| t.crate_types.contains(&CrateType::CDyLib));
        let dir = package
            .manifest_path
            .parent()
            .expect("a manifest is in a directory");
        let Ok(relative) = dir.as_std_path().strip_prefix(root) else {
            continue;
        };
        let group = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str());
        let Some(group) = group.filter(|g| GROUPS.contains(g)) else {
            continue;
        };
        if is_cdylib {
            guests.push(Guest {
                package: package.name.to_string(),
                group: group.to_string(),
                dir: dir.as_std_path().to_path_buf(),
            });
        }
    }
    guests.sort_by(|a, b| (&a.group, &a.package).cmp(&(&b.group, &b.package)));

    let mut stems = BTreeMap::new();
    for guest in &guests {
        if let Some(other) = stems.insert(guest.stem(), &guest.package) {
            return Err(Error::DuplicateStem(
                other.clone(),
                guest.package.clone(),
                guest.stem(),
            ));
        }
    }
    Ok(guests)
}
