//! The agents' and objects' sprites: 16×16 masks in `assets/sprites.txt`, embedded in the
//! binary and read at compile time (a malformed or missing sprite fails the build), drawn
//! scaled to a cell by nearest sampling in a body colour and a detail colour.

use super::Canvas;
use super::art::ArtError;
use super::font::{bytes_at, line_end};

/// The sprite file, as embedded (its header says the format).
pub const SPRITES: &str = include_str!("../../assets/sprites.txt");

/// The sprite file's name in `assets/` (for its errors).
const FILE: &str = "sprites.txt";

/// A sprite's side in mask pixels.
pub const SIZE: usize = 16;

/// A sprite: each pixel 0 (clear), 1 (body) or 2 (detail), rows top to bottom.
pub type Mask = [[u8; SIZE]; SIZE];

/// A human.
pub const HUMAN: Mask = embedded(b"human");
/// An AI agent.
pub const AI: Mask = embedded(b"ai");
/// An apple.
pub const APPLE: Mask = embedded(b"apple");
/// A vase.
pub const VASE: Mask = embedded(b"vase");
/// A box.
pub const BOX: Mask = embedded(b"box");

/// The embedded sprite called `name` (a build error when it is missing or malformed).
const fn embedded(name: &[u8]) -> Mask {
    match find_in(SPRITES.as_bytes(), name) {
        Ok(m) => m,
        Err(e) => panic!("{}", e.what),
    }
}

/// Whether the line `t[i..e]` is `sprite NAME`.
const fn is_header(t: &[u8], i: usize, e: usize, name: &[u8]) -> bool {
    let head = b"sprite ";
    e - i == head.len() + name.len() && bytes_at(t, i, head) && bytes_at(t, i + head.len(), name)
}

/// The mask of the sprite called `name` in a sprite file's text `t` (the grammar of
/// `assets/sprites.txt`): read at compile time for the embedded sprites, and at run time for
/// sprites the app's asset server loads (`app::art`).
pub const fn find_in(t: &[u8], name: &[u8]) -> Result<Mask, ArtError> {
    let mut i = 0;
    let mut line = 1;
    while i < t.len() {
        let e = line_end(t, i);
        if is_header(t, i, e, name) {
            return rows(t, e + 1, line + 1);
        }
        i = e + 1;
        line += 1;
    }
    Err(ArtError::missing(FILE, "a sprite missing from assets/sprites.txt"))
}

/// The 16 rows starting at `i`, on line `line`.
const fn rows(t: &[u8], mut i: usize, line: usize) -> Result<Mask, ArtError> {
    let mut mask = [[0u8; SIZE]; SIZE];
    let mut y = 0;
    while y < SIZE {
        if i > t.len() {
            return Err(ArtError::at(FILE, line + y, "a sprite ends before its 16th row"));
        }
        let e = line_end(t, i);
        if e - i != SIZE {
            return Err(ArtError::at(FILE, line + y, "a sprite row is not 16 characters"));
        }
        let mut x = 0;
        while x < SIZE {
            mask[y][x] = match t[i + x] {
                b'.' => 0,
                b'#' => 1,
                b'+' => 2,
                _ => return Err(ArtError::at(FILE, line + y, "a sprite pixel is not one of . # +")),
            };
            x += 1;
        }
        i = e + 1;
        y += 1;
    }
    Ok(mask)
}

/// A darker shade of `c` (the detail colour of a sprite that names none): 65% of its
/// brightness.
pub const fn shade(c: [u8; 4]) -> [u8; 4] {
    const fn f(v: u8) -> u8 {
        (v as u32 * 65 / 100) as u8
    }
    [f(c[0]), f(c[1]), f(c[2]), c[3]]
}

/// Draws `mask` over the `cell`-pixel square at `(x0, y0)`: body pixels in `body`, detail
/// pixels in `detail`; each canvas pixel takes the mask pixel under its centre.
pub fn draw(c: &mut Canvas, mask: &Mask, (x0, y0): (i64, i64), cell: i64, body: [u8; 4], detail: [u8; 4]) {
    let n = SIZE as i64;
    for py in 0..cell {
        let row = &mask[((2 * py + 1) * n / (2 * cell)) as usize];
        for px in 0..cell {
            match row[((2 * px + 1) * n / (2 * cell)) as usize] {
                1 => c.put(x0 + px, y0 + py, body),
                2 => c.put(x0 + px, y0 + py, detail),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sprite_has_a_body_centre_and_is_drawn_to_scale() {
        for (name, m) in [("human", HUMAN), ("ai", AI), ("apple", APPLE), ("vase", VASE), ("box", BOX)] {
            assert_eq!(m[SIZE / 2][SIZE / 2], 1, "{name}: the centre is body");
            assert!(m.iter().flatten().filter(|&&p| p == 1).count() >= 40, "{name}: a body to see");
        }
        // At 16 pixels a cell the mask is copied pixel for pixel; at 8 every other pixel.
        let (body, detail) = ([1, 2, 3, 255], [4, 5, 6, 255]);
        let mut c = Canvas::new(16, 16, [0, 0, 0, 255]);
        draw(&mut c, &AI, (0, 0), 16, body, detail);
        for y in 0..16 {
            for x in 0..16 {
                let want = [[0, 0, 0, 255], body, detail][AI[y][x] as usize];
                assert_eq!(c.get(x as u32, y as u32), want, "({x}, {y})");
            }
        }
        let mut c = Canvas::new(8, 8, [0, 0, 0, 255]);
        draw(&mut c, &AI, (0, 0), 8, body, detail);
        for y in 0..8 {
            for x in 0..8 {
                let want = [[0, 0, 0, 255], body, detail][AI[2 * y + 1][2 * x + 1] as usize];
                assert_eq!(c.get(x as u32, y as u32), want, "({x}, {y})");
            }
        }
        assert_eq!(shade([200, 100, 0, 255]), [130, 65, 0, 255]);
    }
}
