//! The colours of `assets/palette.txt`, read by name at compile time.
//!
//! The palette is a text file in `assets/` (one colour a line: `NAME R G B A`, then an
//! optional description; `#` starts a comment line), embedded in the binary with
//! `include_str!`, so `polity` runs from any folder and the headless code (the recorder, the
//! sweep report, the tests) needs no asset server. [`color`] is a `const fn`: every colour is
//! still a constant, and a name missing from the file, or a malformed line, fails the build.

/// The palette file, as embedded.
pub const PALETTE: &str = include_str!("../../assets/palette.txt");

/// The colour named `name` in [`PALETTE`]. Panics (at compile time, in a constant) when the
/// name is missing or its line malformed.
pub const fn color(name: &str) -> [u8; 4] {
    let text = PALETTE.as_bytes();
    let name = name.as_bytes();
    let mut i = 0;
    while i < text.len() {
        // `i` is the start of a line.
        let end = super::font::line_end(text, i);
        if starts_with_word(text, i, end, name) {
            return parse_rgba(text, i + name.len(), end);
        }
        i = end + 1;
    }
    panic!("a colour missing from assets/palette.txt")
}

/// Whether the line `text[start..end]` begins with `word` followed by a space.
const fn starts_with_word(text: &[u8], start: usize, end: usize, word: &[u8]) -> bool {
    end - start > word.len() && text[start + word.len()] == b' ' && super::font::bytes_at(text, start, word)
}

/// The four numbers (0–255) after the name on the line `text[at..end]`.
const fn parse_rgba(text: &[u8], mut at: usize, end: usize) -> [u8; 4] {
    let mut out = [0u8; 4];
    let mut n = 0;
    while n < 4 {
        while at < end && text[at] == b' ' {
            at += 1;
        }
        let mut v: u32 = 0;
        let mut digits = 0;
        while at < end && text[at].is_ascii_digit() {
            v = v * 10 + (text[at] - b'0') as u32;
            at += 1;
            digits += 1;
        }
        if digits == 0 || v > 255 {
            panic!("a colour in assets/palette.txt is not four numbers 0-255");
        }
        out[n] = v as u8;
        n += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_a_comment_a_blank_or_a_colour_named_once() {
        let mut names = std::collections::HashSet::new();
        for line in PALETTE.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            let name = line.split_whitespace().next().unwrap();
            assert!(names.insert(name), "{name} is named twice");
            let rgba: Vec<u8> = line.split_whitespace().skip(1).take(4).map(|v| v.parse().unwrap()).collect();
            assert_eq!(color(name).to_vec(), rgba, "{line}");
        }
        assert!(names.len() >= 30);
    }
}
