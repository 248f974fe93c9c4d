//! A small bitmap font for the recorder's overlay: 5×7 glyphs (with one row below the baseline
//! for descenders) for printable ASCII and a few symbols, drawn at an integer scale.
//!
//! The glyphs are data, `assets/font.txt`, embedded in the binary and read at compile time,
//! so text looks the same on every machine and every frame is reproducible bit for bit; no
//! font file is read at run time and no rasteriser is needed. A malformed glyph, or a
//! printable ASCII character missing, fails the build.

use crate::paint::Canvas;

/// Glyph width in font pixels.
pub const GLYPH_W: u32 = 5;
/// Glyph height in font pixels, descender row included.
pub const GLYPH_H: u32 = 8;
/// Horizontal advance per character in font pixels.
pub const ADVANCE: u32 = 6;
/// Line height in font pixels.
pub const LINE: u32 = 10;

/// The font file, as embedded: each glyph a line `U+XXXX …` and eight rows of five columns
/// (`#` ink, `.` blank); other lines outside a glyph are comments.
pub const FONT: &str = include_str!("../../assets/font.txt");

/// The glyph drawn for characters the font lacks (U+FFFD, the replacement character).
const MISSING: u32 = 0xFFFD;

/// The number of glyphs in [`FONT`].
const COUNT: usize = count_glyphs(FONT.as_bytes());

/// Every glyph of [`FONT`]: its code point and its rows as bit masks (bit 4 is the leftmost
/// column), in the file's order.
const GLYPHS: [(u32, [u8; 8]); COUNT] = parse_glyphs(FONT.as_bytes());

/// The end of the line starting at `i` (the index of its `\n`, or the text's length): for the
/// embedded text assets read at compile time (the font, the sprites).
pub(crate) const fn line_end(t: &[u8], i: usize) -> usize {
    let mut e = i;
    while e < t.len() && t[e] != b'\n' {
        e += 1;
    }
    e
}

/// Whether `word` is in `t` at `at` (false when `t` ends first): for the embedded text assets.
pub(crate) const fn bytes_at(t: &[u8], at: usize, word: &[u8]) -> bool {
    if at + word.len() > t.len() {
        return false;
    }
    let mut k = 0;
    while k < word.len() {
        if t[at + k] != word[k] {
            return false;
        }
        k += 1;
    }
    true
}

const fn is_header(t: &[u8], i: usize) -> bool {
    i + 1 < t.len() && t[i] == b'U' && t[i + 1] == b'+'
}

const fn count_glyphs(t: &[u8]) -> usize {
    let (mut i, mut n) = (0, 0);
    while i < t.len() {
        if is_header(t, i) {
            n += 1;
        }
        i = line_end(t, i) + 1;
    }
    n
}

const fn parse_glyphs(t: &[u8]) -> [(u32, [u8; 8]); COUNT] {
    let mut out = [(0u32, [0u8; 8]); COUNT];
    let (mut i, mut n) = (0, 0);
    while i < t.len() {
        if !is_header(t, i) {
            i = line_end(t, i) + 1;
            continue;
        }
        // The code point, in hex, after `U+`.
        let mut j = i + 2;
        let mut cp: u32 = 0;
        while j < t.len() && t[j].is_ascii_hexdigit() {
            let d = t[j];
            let v = if d.is_ascii_digit() { d - b'0' } else { (d | 0x20) - b'a' + 10 };
            cp = cp * 16 + v as u32;
            j += 1;
        }
        if j == i + 2 {
            panic!("a glyph header in assets/font.txt has no code point");
        }
        i = line_end(t, i) + 1;
        let mut rows = [0u8; 8];
        let mut r = 0;
        while r < 8 {
            let e = line_end(t, i);
            if e - i != 5 {
                panic!("a glyph row in assets/font.txt is not five columns wide");
            }
            let mut c = 0;
            while c < 5 {
                match t[i + c] {
                    b'#' => rows[r] |= 1 << (4 - c),
                    b'.' => {}
                    _ => panic!("a glyph row in assets/font.txt holds something other than `#` and `.`"),
                }
                c += 1;
            }
            i = e + 1;
            r += 1;
        }
        out[n] = (cp, rows);
        n += 1;
    }
    out
}

/// The rows of the glyph for code point `cp`, if the font has it.
const fn find(cp: u32) -> Option<[u8; 8]> {
    let mut k = 0;
    while k < COUNT {
        if GLYPHS[k].0 == cp {
            return Some(GLYPHS[k].1);
        }
        k += 1;
    }
    None
}

/// Printable ASCII, from ' ' (32) to '~' (126): every one must be in the file.
const fn compile_ascii() -> [[u8; 8]; 95] {
    let mut out = [[0u8; 8]; 95];
    let mut i = 0;
    while i < 95 {
        out[i] = match find(32 + i as u32) {
            Some(rows) => rows,
            None => panic!("assets/font.txt lacks a printable ASCII character"),
        };
        i += 1;
    }
    out
}

const ASCII_ROWS: [[u8; 8]; 95] = compile_ascii();

const MISSING_ROWS: [u8; 8] = match find(MISSING) {
    Some(rows) => rows,
    None => panic!("assets/font.txt lacks U+FFFD, the glyph for missing characters"),
};

/// The rows of `c`'s glyph (bit 4 is the leftmost column).
pub fn glyph(c: char) -> [u8; 8] {
    match c {
        ' '..='~' => ASCII_ROWS[c as usize - 32],
        _ => find(c as u32).unwrap_or(MISSING_ROWS),
    }
}

/// The width in pixels of `text` at `scale`.
pub fn text_width(text: &str, scale: u32) -> u32 {
    let n = text.chars().count() as u32;
    if n == 0 { 0 } else { (n * ADVANCE - (ADVANCE - GLYPH_W)) * scale }
}

/// Draws `text` with its top-left corner at `(x, y)`, each font pixel a `scale × scale`
/// square, clipped to the canvas and to columns before `max_x`. Returns the x after the text.
pub fn draw(canvas: &mut Canvas, x: i64, y: i64, scale: u32, text: &str, color: [u8; 4], max_x: i64) -> i64 {
    let s = scale as i64;
    let mut pen = x;
    for c in text.chars() {
        if pen + GLYPH_W as i64 * s > max_x {
            break;
        }
        let g = glyph(c);
        for (r, bits) in g.iter().enumerate() {
            if *bits == 0 {
                continue;
            }
            for col in 0..GLYPH_W as i64 {
                if bits & (1 << (4 - col)) != 0 {
                    super::fill(canvas, pen + col * s, y + r as i64 * s, s, s, color);
                }
            }
        }
        pen += ADVANCE as i64 * s;
    }
    pen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_glyph_is_five_wide_and_printable_ascii_is_distinct() {
        // Each header is followed by eight rows of five `#` or `.`, each code point once.
        let lines: Vec<&str> = FONT.lines().collect();
        let mut points = std::collections::HashSet::new();
        for (i, l) in lines.iter().enumerate().filter(|(_, l)| l.starts_with("U+")) {
            let rows = &lines[i + 1..i + 9];
            assert!(rows.iter().all(|r| r.len() == 5 && r.bytes().all(|b| b == b'#' || b == b'.')), "{l}");
            assert!(
                points.insert(u32::from_str_radix(&l[2..l.find(' ').unwrap_or(l.len())], 16).unwrap()),
                "{l} twice"
            );
        }
        assert_eq!(points.len(), COUNT);
        // Every symbol the overlay uses beyond ASCII.
        for c in ['·', '×', '−', '–', 'σ', '∞', '…', '→'] {
            assert!(find(c as u32).is_some(), "{c:?} missing");
        }
        let mut seen = std::collections::HashMap::new();
        for c in '!'..='~' {
            if let Some(other) = seen.insert(glyph(c), c) {
                panic!("{c:?} and {other:?} share a glyph");
            }
        }
        assert_eq!(glyph(' '), [0; 8]);
        assert_eq!(glyph('é'), MISSING_ROWS);
        assert_eq!(glyph('I'), [0b01110, 0b00100, 0b00100, 0b00100, 0b00100, 0b00100, 0b01110, 0]);
    }

    #[test]
    fn text_is_drawn_where_asked() {
        let mut c = Canvas::new(40, 20, [0, 0, 0, 255]);
        let end = draw(&mut c, 1, 2, 2, "I", [255, 255, 255, 255], 40);
        assert_eq!(end, 1 + 12);
        // The I's top bar starts one font pixel in: x = 1 + 2, y = 2.
        assert_eq!(c.get(3, 2), [255, 255, 255, 255]);
        assert_eq!(c.get(1, 2), [0, 0, 0, 255]);
        assert_eq!(text_width("ab", 1), 11);
    }
}
