//! The world's art: its colours (from a palette file) and its sprites (from a sprite file),
//! resolved by name into one value the painter draws with.
//!
//! The same `const fn`s read the art two ways: at compile time from the files embedded in the
//! binary ([`EMBEDDED`], what the recorder, the sweep report and the tests draw with, so a
//! missing or malformed entry is a build error), and at run time from the files the desktop
//! app's asset server loads (`app::art`), where a bad file is an error with its line.

use super::{sprite, theme};

/// What is wrong with an art file: which file, the line (1-based, when one line is at
/// fault) and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArtError {
    /// The file's name in `assets/`.
    pub file: &'static str,
    /// The line at fault, if one is.
    pub line: Option<usize>,
    /// What is wrong.
    pub what: &'static str,
}

impl ArtError {
    /// A fault on `line` of `file`.
    pub const fn at(file: &'static str, line: usize, what: &'static str) -> ArtError {
        ArtError { file, line: Some(line), what }
    }
    /// Something `file` lacks.
    pub const fn missing(file: &'static str, what: &'static str) -> ArtError {
        ArtError { file, line: None, what }
    }
}

impl std::fmt::Display for ArtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.what),
            None => f.write_str(self.what),
        }
    }
}

/// The world's colours (palette names `world.*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorldColors {
    /// Walkable floor.
    pub floor: [u8; 4],
    /// Walls.
    pub wall: [u8; 4],
    /// Grass where an apple may regrow.
    pub grass: [u8; 4],
    /// Grass of a patch that is lost for good.
    pub lost: [u8; 4],
    /// An apple.
    pub apple: [u8; 4],
    /// A human of selfishness 0.
    pub human_sparing: [u8; 4],
    /// A human of selfishness 1.
    pub human_selfish: [u8; 4],
    /// An AI agent.
    pub ai: [u8; 4],
    /// An event flash.
    pub flash: [u8; 4],
    /// A conveyor belt cell.
    pub belt: [u8; 4],
    /// The chevrons showing which way a belt runs.
    pub belt_mark: [u8; 4],
    /// A vase.
    pub vase: [u8; 4],
    /// A box.
    pub boxed: [u8; 4],
    /// A box's rim.
    pub box_rim: [u8; 4],
}

impl WorldColors {
    /// A human's colour: from `human_sparing` at σ = 0 to `human_selfish` at σ = 1.
    pub fn human(&self, sigma: f64) -> [u8; 4] {
        let t = sigma.clamp(0.0, 1.0);
        let (a, b) = (self.human_sparing, self.human_selfish);
        let mix = |i: usize| (a[i] as f64 + (b[i] as f64 - a[i] as f64) * t).round() as u8;
        [mix(0), mix(1), mix(2), 255]
    }
}

/// The agents' and objects' sprites.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorldSprites {
    /// A human.
    pub human: sprite::Mask,
    /// An AI agent.
    pub ai: sprite::Mask,
    /// An apple.
    pub apple: sprite::Mask,
    /// A vase.
    pub vase: sprite::Mask,
    /// A box.
    pub boxed: sprite::Mask,
}

/// Everything the world painter draws with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorldArt {
    /// The colours.
    pub colors: WorldColors,
    /// The sprites.
    pub sprites: WorldSprites,
}

/// `?` for the `const fn`s below (the `?` operator is not allowed in them).
macro_rules! tri {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => return Err(e),
        }
    };
}

/// The world's art from a palette file's and a sprite file's text.
pub const fn world_art(palette: &[u8], sprites: &[u8]) -> Result<WorldArt, ArtError> {
    Ok(WorldArt {
        colors: WorldColors {
            floor: tri!(theme::color_in(palette, b"world.floor")),
            wall: tri!(theme::color_in(palette, b"world.wall")),
            grass: tri!(theme::color_in(palette, b"world.grass")),
            lost: tri!(theme::color_in(palette, b"world.lost")),
            apple: tri!(theme::color_in(palette, b"world.apple")),
            human_sparing: tri!(theme::color_in(palette, b"world.human_sparing")),
            human_selfish: tri!(theme::color_in(palette, b"world.human_selfish")),
            ai: tri!(theme::color_in(palette, b"world.ai")),
            flash: tri!(theme::color_in(palette, b"world.flash")),
            belt: tri!(theme::color_in(palette, b"world.belt")),
            belt_mark: tri!(theme::color_in(palette, b"world.belt_mark")),
            vase: tri!(theme::color_in(palette, b"world.vase")),
            boxed: tri!(theme::color_in(palette, b"world.box")),
            box_rim: tri!(theme::color_in(palette, b"world.box_rim")),
        },
        sprites: WorldSprites {
            human: tri!(sprite::find_in(sprites, b"human")),
            ai: tri!(sprite::find_in(sprites, b"ai")),
            apple: tri!(sprite::find_in(sprites, b"apple")),
            vase: tri!(sprite::find_in(sprites, b"vase")),
            boxed: tri!(sprite::find_in(sprites, b"box")),
        },
    })
}

/// The art embedded in the binary (`assets/palette.txt`, `assets/sprites.txt`), read at
/// compile time.
pub const EMBEDDED: WorldArt = match world_art(theme::PALETTE.as_bytes(), sprite::SPRITES.as_bytes()) {
    Ok(a) => a,
    Err(e) => panic!("{}", e.what),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_art_is_the_files_read_at_run_time() {
        let run_time = world_art(theme::PALETTE.as_bytes(), sprite::SPRITES.as_bytes()).unwrap();
        assert_eq!(run_time, EMBEDDED);
        assert_eq!(EMBEDDED.sprites.ai, sprite::AI);
        assert_eq!(EMBEDDED.colors.floor, theme::color("world.floor"));
    }

    #[test]
    fn a_bad_art_file_is_an_error_with_its_line() {
        let palette = theme::PALETTE.replace("world.wall ", "world.wal ");
        let e = world_art(palette.as_bytes(), sprite::SPRITES.as_bytes()).unwrap_err();
        assert_eq!(e.to_string(), "a colour missing from assets/palette.txt");
        let palette = "# a comment\nworld.floor 1 2 3\n";
        let e = world_art(palette.as_bytes(), b"").unwrap_err();
        assert_eq!(e.to_string(), "line 2: a colour is not four numbers 0-255 after its name");
        assert_eq!(e.file, "palette.txt");
        let palette = "world.floor 1 2 3 99999999999999\n";
        assert_eq!(world_art(palette.as_bytes(), b"").unwrap_err().line, Some(1));
        // A sprite row of 15 characters, on the file's fourth line.
        let sprites = "# sprites\n\nsprite human\n...............\n";
        let e = sprite::find_in(sprites.as_bytes(), b"human").unwrap_err();
        assert_eq!(e.to_string(), "line 4: a sprite row is not 16 characters");
        assert_eq!(e.file, "sprites.txt");
        let sprites = format!("sprite human\n{}", "................\n".repeat(15));
        let e = sprite::find_in(sprites.as_bytes(), b"human").unwrap_err();
        assert_eq!(e.to_string(), "line 17: a sprite row is not 16 characters");
        let sprites = format!("sprite human\n{}x...............\n", "................\n".repeat(3));
        let e = sprite::find_in(sprites.as_bytes(), b"human").unwrap_err();
        assert_eq!(e.to_string(), "line 5: a sprite pixel is not one of . # +");
    }
}
