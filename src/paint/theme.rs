//! The colours of `assets/palette.txt`, read by name at compile time.
//!
//! The palette is a text file in `assets/` (one colour a line: `NAME R G B A`, then an
//! optional description; `#` starts a comment line), embedded in the binary with
//! `include_str!`, so `polity` runs from any folder and the headless code (the recorder, the
//! sweep report, the tests) needs no asset server. [`color`] is a `const fn`: every colour is
//! still a constant, and a name missing from the file, or a malformed line, fails the build.

/// The palette file, as embedded.
pub const PALETTE: &str = include_str!("../../assets/palette.txt");

/// The palette file's name in `assets/` (for its errors).
const FILE: &str = "palette.txt";

/// The colour named `name` in [`PALETTE`]. Panics (at compile time, in a constant) when the
/// name is missing or its line malformed.
pub const fn color(name: &str) -> [u8; 4] {
    match color_in(PALETTE.as_bytes(), name.as_bytes()) {
        Ok(c) => c,
        Err(e) => panic!("{}", e.what),
    }
}

/// The colour named `name` in a palette file's `text` (the grammar of `assets/palette.txt`):
/// read at compile time for [`PALETTE`], and at run time for a palette the app's asset
/// server loads (`app::art`).
pub const fn color_in(text: &[u8], name: &[u8]) -> Result<[u8; 4], super::art::ArtError> {
    let mut i = 0;
    let mut line = 1;
    while i < text.len() {
        // `i` is the start of line `line`.
        let end = super::font::line_end(text, i);
        if starts_with_word(text, i, end, name) {
            return match parse_rgba(text, i + name.len(), end) {
                Some(c) => Ok(c),
                None => Err(super::art::ArtError::at(FILE, line, "a colour is not four numbers 0-255 after its name")),
            };
        }
        i = end + 1;
        line += 1;
    }
    Err(super::art::ArtError::missing(FILE, "a colour missing from assets/palette.txt"))
}

/// Whether the line `text[start..end]` begins with `word` followed by a space.
const fn starts_with_word(text: &[u8], start: usize, end: usize, word: &[u8]) -> bool {
    end - start > word.len() && text[start + word.len()] == b' ' && super::font::bytes_at(text, start, word)
}

/// The four numbers (0–255) after the name on the line `text[at..end]`, if they are there.
const fn parse_rgba(text: &[u8], mut at: usize, end: usize) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut n = 0;
    while n < 4 {
        while at < end && text[at] == b' ' {
            at += 1;
        }
        let mut v: u32 = 0;
        let mut digits = 0;
        while at < end && text[at].is_ascii_digit() && v <= 255 {
            v = v * 10 + (text[at] - b'0') as u32;
            at += 1;
            digits += 1;
        }
        if digits == 0 || v > 255 {
            return None;
        }
        out[n] = v as u8;
        n += 1;
    }
    Some(out)
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
