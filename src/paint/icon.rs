//! The window icon: four cells of the world at 32 pixels a cell (an apple on grass, an AI
//! agent, a human, another apple), painted with the world's own palette and primitives.
//! `assets/icon.png` is this image; a test keeps the two the same.

use super::{Canvas, human_color, palette};

/// The icon's side in pixels.
pub const SIZE: u32 = 64;

/// The icon as a PNG, as embedded (`assets/icon.png`).
pub const PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// Paints the icon.
pub fn icon() -> Canvas {
    let cell = SIZE / 2;
    let f = cell as f64;
    let mut c = Canvas::new(SIZE, SIZE, palette::FLOOR);
    let centre = |x: u32, y: u32| ((x as f64 + 0.5) * f, (y as f64 + 0.5) * f);
    for (x, y) in [(0, 0), (1, 1)] {
        c.fill((x * cell) as i64, (y * cell) as i64, cell as i64, cell as i64, palette::GRASS);
        let (cx, cy) = centre(x, y);
        c.disc(cx, cy, f * 0.32, palette::APPLE);
    }
    // An AI agent: a diamond, as the world view draws it.
    let (cx, cy) = centre(1, 0);
    let r = f * 0.46;
    for py in (cy - r).floor() as i64..=(cy + r).ceil() as i64 {
        for px in (cx - r).floor() as i64..=(cx + r).ceil() as i64 {
            if (px as f64 + 0.5 - cx).abs() + (py as f64 + 0.5 - cy).abs() <= r {
                c.put(px, py, palette::AI);
            }
        }
    }
    let (cx, cy) = centre(0, 1);
    c.disc(cx, cy, f * 0.4, human_color(0.0));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes an 8-bit RGB PNG.
    fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn the_embedded_icon_is_the_painted_one() {
        let painted = icon();
        let (w, h, rgb) = decode(PNG);
        assert_eq!((w, h), (SIZE, SIZE));
        let painted: Vec<u8> = painted.rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        assert!(rgb == painted, "assets/icon.png is stale: run `cargo test --lib write_icon -- --ignored`");
    }

    /// Writes `assets/icon.png` from [`icon`] (run by hand after changing the icon).
    #[test]
    #[ignore]
    fn write_icon() {
        let mut bytes = Vec::new();
        crate::record::encode::encode_png(&mut bytes, &icon(), &mut Vec::new()).unwrap();
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/icon.png"), bytes).unwrap();
    }
}
