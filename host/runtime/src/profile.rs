//! The WASI profile a component declares: a custom section named `sandtrade:wasi-profile` at
//! the top level of the component, whose content is the profile's name (`inert`).
//!
//! `sandtrade build` writes it into Python builds, whose runtime imports files, sockets and
//! clocks it never uses; a component without it gets the strict profile. The declaration is
//! the component's own, and safe to trust: the inert profile grants nothing the strict one
//! does not (see [`crate::sandbox`]), it only lets such a component load.

use crate::sandbox::WasiProfile;

/// The custom section's name.
pub const SECTION: &str = "sandtrade:wasi-profile";

/// The component header every component starts with (magic, then version 0x0d, layer 1).
const COMPONENT_HEADER: &[u8; 8] = b"\0asm\x0d\0\x01\0";

/// Why a declared profile cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The section names no profile this host knows.
    #[error(
        "declares the WASI profile `{0}` in its `{SECTION}` section; this host knows `strict` \
         and `inert`"
    )]
    Unknown(String),
    /// The section appears twice.
    #[error("declares a WASI profile twice (two `{SECTION}` sections)")]
    Twice,
}

/// The profile `component` declares, [`WasiProfile::Strict`] when it declares none.
///
/// Reads only the top-level section headers, skipping each section by its size: a 20 MiB
/// Python component has a few dozen. Bytes that do not parse as sections declare nothing (the
/// compiler reports what is wrong with them).
///
/// # Errors
///
/// A section naming an unknown profile, or two sections.
pub fn declared(component: &[u8]) -> Result<WasiProfile, ProfileError> {
    let Some(mut rest) = component.strip_prefix(COMPONENT_HEADER.as_slice()) else {
        return Ok(WasiProfile::Strict);
    };
    let mut found = None;
    while let Some((&id, after_id)) = rest.split_first() {
        let Some((size, after_size)) = leb128(after_id) else {
            break;
        };
        let Some(content) = after_size.get(..size) else {
            break;
        };
        rest = &after_size[size..];
        if id != 0 {
            continue;
        }
        let Some((name_len, after_len)) = leb128(content) else {
            continue;
        };
        let Some(name) = after_len.get(..name_len) else {
            continue;
        };
        if name != SECTION.as_bytes() {
            continue;
        }
        let payload = String::from_utf8_lossy(&after_len[name_len..]);
        let profile = match payload.trim() {
            "strict" => WasiProfile::Strict,
            "inert" => WasiProfile::Inert,
            other => return Err(ProfileError::Unknown(other.chars().take(64).collect())),
        };
        if found.replace(profile).is_some() {
            return Err(ProfileError::Twice);
        }
    }
    Ok(found.unwrap_or_default())
}

/// `component` with a section declaring `profile` appended (at the top level, after
/// everything else: sections may come in any order, and custom ones change no semantics).
///
/// The caller checks first that it declares none yet ([`declared`]).
pub fn declare(component: &[u8], profile: WasiProfile) -> Vec<u8> {
    let name = SECTION.as_bytes();
    let payload = profile.as_str().as_bytes();
    let mut content = Vec::with_capacity(name.len() + payload.len() + 5);
    write_leb128(&mut content, name.len());
    content.extend_from_slice(name);
    content.extend_from_slice(payload);
    let mut out = Vec::with_capacity(component.len() + content.len() + 6);
    out.extend_from_slice(component);
    out.push(0);
    write_leb128(&mut out, content.len());
    out.extend_from_slice(&content);
    out
}

/// An unsigned LEB128 number of at most 32 bits, and the bytes after it.
fn leb128(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut value: u64 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(5) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((usize::try_from(value).ok()?, &bytes[i + 1..]));
        }
    }
    None
}

fn write_leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A component with one (empty) custom section of another name, so that the reader must
    /// skip a section to find ours.
    fn component() -> Vec<u8> {
        let mut bytes = COMPONENT_HEADER.to_vec();
        bytes.extend_from_slice(&[0, 4, 3, b'f', b'o', b'o']);
        bytes
    }

    #[test]
    fn no_section_is_the_strict_profile() {
        assert_eq!(declared(&component()), Ok(WasiProfile::Strict));
        assert_eq!(declared(b"not wasm"), Ok(WasiProfile::Strict));
        assert_eq!(declared(b""), Ok(WasiProfile::Strict));
    }

    #[test]
    fn a_declared_profile_is_read_back() {
        let marked = declare(&component(), WasiProfile::Inert);
        assert!(marked.starts_with(&component()));
        assert_eq!(declared(&marked), Ok(WasiProfile::Inert));
        let strict = declare(&component(), WasiProfile::Strict);
        assert_eq!(declared(&strict), Ok(WasiProfile::Strict));
    }

    #[test]
    fn long_sections_are_skipped_by_their_size() {
        let mut bytes = COMPONENT_HEADER.to_vec();
        // A core-module section (id 1) of 300 bytes: its size takes two LEB128 bytes.
        bytes.extend_from_slice(&[1, 0xac, 0x02]);
        bytes.extend(std::iter::repeat_n(0u8, 300));
        let marked = declare(&bytes, WasiProfile::Inert);
        assert_eq!(declared(&marked), Ok(WasiProfile::Inert));
    }

    #[test]
    fn unknown_or_doubled_declarations_are_refused() {
        let mut bytes = component();
        let name = SECTION.as_bytes();
        let content_len = 1 + name.len() + 3;
        bytes.extend_from_slice(&[0, content_len as u8, name.len() as u8]);
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(b"all");
        assert_eq!(declared(&bytes), Err(ProfileError::Unknown("all".into())));
        assert_eq!(
            ProfileError::Unknown("all".into()).to_string(),
            "declares the WASI profile `all` in its `sandtrade:wasi-profile` section; this \
             host knows `strict` and `inert`"
        );
        let twice = declare(
            &declare(&component(), WasiProfile::Inert),
            WasiProfile::Inert,
        );
        assert_eq!(declared(&twice), Err(ProfileError::Twice));
    }

    #[test]
    fn a_truncated_section_declares_nothing() {
        let marked = declare(&component(), WasiProfile::Inert);
        assert_eq!(
            declared(&marked[..marked.len() - 2]),
            Ok(WasiProfile::Strict)
        );
    }
}
