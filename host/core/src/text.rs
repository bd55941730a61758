//! Strings that came from outside (a strategy, IB, an operator) and are kept or shown: cut to a
//! size on a character boundary, so no guest or peer can make a log line, a status answer or a
//! database row as large as it likes.

use std::borrow::Cow;

/// What marks a cut.
const ELLIPSIS: char = '…';

/// `text` if it is at most `max_bytes` long; otherwise its longest prefix that, with a
/// trailing `…`, fits in `max_bytes` (cut on a character boundary).
pub fn clip(text: &str, max_bytes: usize) -> Cow<'_, str> {
    if text.len() <= max_bytes {
        return Cow::Borrowed(text);
    }
    let Some(mut cut) = max_bytes.checked_sub(ELLIPSIS.len_utf8()) else {
        return Cow::Borrowed("");
    };
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Cow::Owned(format!("{}{ELLIPSIS}", &text[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_kept_as_is() {
        assert!(matches!(clip("AAPL", 4), Cow::Borrowed("AAPL")));
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary_with_a_mark() {
        assert_eq!(clip("abcdefgh", 6), "abc…");
        // 'é' is two bytes: a cut inside it moves back to before it.
        assert_eq!(clip("abéé", 5), "ab…");
        assert!(clip(&"腾".repeat(1000), 1024).len() <= 1024);
    }

    #[test]
    fn no_room_for_the_mark_gives_nothing() {
        assert_eq!(clip("abcdef", 2), "");
    }
}
