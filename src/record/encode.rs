//! Where frames go: an animated GIF (pure Rust, a fixed palette), a folder of numbered PNG
//! frames (pure Rust), or MP4 (H.264) and WebM (VP9) through an installed `ffmpeg`.
//!
//! Every output is written beside its target under a hidden temporary name and renamed into
//! place only when the recording is complete, so an interrupted or failed recording never
//! leaves a half-written file or folder where the target should be. An existing file, or a
//! folder of earlier frames, is replaced only with `--force` (docs/outputs.md).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::Size;
use crate::outputs::{self, Existing, Refused, Staging};
use crate::paint::{self, Canvas, palette};

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// An animated GIF.
    Gif,
    /// H.264 in MP4, through ffmpeg.
    Mp4,
    /// VP9 in WebM, through ffmpeg.
    Webm,
    /// A folder of numbered PNG frames.
    PngFolder,
}

impl Format {
    /// Whether this format needs ffmpeg.
    pub fn needs_ffmpeg(self) -> bool {
        matches!(self, Format::Mp4 | Format::Webm)
    }
}

/// Where a recording goes and in what format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// The file or folder to write.
    pub path: PathBuf,
    /// Its format, from its extension.
    pub format: Format,
    /// Whether an existing file (or folder of earlier frames) may be replaced.
    pub force: bool,
}

impl Output {
    /// The output `--out` names: a `.gif`, `.mp4` or `.webm` file, or a folder (a name with no
    /// extension, or ending in `/`) for PNG frames.
    pub fn parse(raw: &Path) -> Result<Output, String> {
        let s = raw.to_string_lossy();
        if s.is_empty() {
            return Err("--out is empty; name a .gif, .mp4 or .webm file, or a folder for PNG frames".into());
        }
        let path = raw.to_path_buf();
        if s.ends_with('/') || s.ends_with(std::path::MAIN_SEPARATOR) {
            return Ok(Output { path, format: Format::PngFolder, force: false });
        }
        // `.gif` alone is a hidden folder's name to the file system, not a GIF without a name.
        if let Some(name) = raw.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase())
            && matches!(name.as_str(), ".gif" | ".mp4" | ".webm")
        {
            return Err(format!("{s}: a file needs a name before its extension\n    hint: e.g. --out commons{name}"));
        }
        let format = match raw.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()) {
            None => Format::PngFolder,
            Some(e) if e == "gif" => Format::Gif,
            Some(e) if e == "mp4" => Format::Mp4,
            Some(e) if e == "webm" => Format::Webm,
            Some(e) => {
                return Err(format!(
                    "{s}: unknown extension `.{e}`\n    hint: use .gif, .mp4 or .webm, or a folder name without an \
                     extension (or ending in /) for numbered PNG frames"
                ));
            }
        };
        Ok(Output { path, format, force: false })
    }
}

/// Something that takes the frames of a recording, one at a time.
pub trait FrameSink {
    /// Takes the next frame (every frame has the same size).
    fn frame(&mut self, frame: &Canvas) -> io::Result<()>;
    /// Completes the output (for files: moves it into place).
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// A sink that throws frames away (for benchmarks of the rendering alone).
#[derive(Debug, Default)]
pub struct NullSink;

impl FrameSink for NullSink {
    fn frame(&mut self, _: &Canvas) -> io::Result<()> {
        Ok(())
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}

/// Whether `ffmpeg` can be run (it is looked up on `PATH`).
pub fn ffmpeg_available() -> bool {
    ffmpeg_problem().is_none()
}

/// Why `ffmpeg -version` does not run: `Some(None)` when there is no `ffmpeg` on `PATH`,
/// `Some(Some(what it said))` when it is there but fails; `None` when it runs. Asked once a
/// process (`gui --record` asked twice: checking the path, then opening the recording).
fn ffmpeg_problem() -> Option<Option<String>> {
    static PROBLEM: std::sync::OnceLock<Option<Option<String>>> = std::sync::OnceLock::new();
    PROBLEM
        .get_or_init(|| {
            let out = Command::new("ffmpeg").arg("-version").stdin(Stdio::null()).output();
            match out {
                Err(e) if e.kind() == io::ErrorKind::NotFound => Some(None),
                Err(e) => Some(Some(e.to_string())),
                Ok(o) if o.status.success() => None,
                Ok(o) => Some(Some(format!("{}: {}", o.status, String::from_utf8_lossy(&o.stderr).trim()))),
            }
        })
        .clone()
}

/// The message for a recording that needs ffmpeg where it is missing (`said`: `None`) or fails
/// to start (`said`: its error).
pub fn ffmpeg_missing(out: &Output, said: Option<&str>) -> String {
    let ext = if out.format == Format::Mp4 { "mp4" } else { "webm" };
    match said {
        None => format!(
            "{}: recording to .{ext} needs ffmpeg, and no `ffmpeg` was found on PATH; nothing was recorded\n    hint: \
             install it (Debian/Ubuntu: `sudo apt-get install ffmpeg`), or record to a .gif or a folder of PNG frames, \
             which need nothing else",
            out.path.display()
        ),
        Some(said) => format!(
            "{}: recording to .{ext} needs ffmpeg, and the `ffmpeg` on PATH does not run (`ffmpeg -version`: {said}); \
             nothing was recorded\n    hint: repair or reinstall it, or record to a .gif or a folder of PNG frames",
            out.path.display()
        ),
    }
}

/// Checks everything about `out` that can be checked before any work starts and opens it:
/// the format's constraints on `size` and `fps`, ffmpeg for MP4 and WebM, and that the
/// location can be written (creating missing parent folders). `Err` is a message for the user.
pub fn open(out: &Output, size: Size, fps: u32) -> Result<Box<dyn FrameSink>, String> {
    open_with(out, size, fps, GifPalette::new())
}

/// [`open`], a GIF taking `palette`.
pub fn open_with(out: &Output, size: Size, fps: u32, palette: GifPalette) -> Result<Box<dyn FrameSink>, String> {
    let shown = out.path.display();
    if out.format == Format::Gif && fps > 50 {
        return Err(format!(
            "{shown}: --fps {fps} is too fast for a GIF: frame delays are in hundredths of a second and players slow \
             down frames shorter than 2/100 s\n    hint: use --fps 50 or less for .gif, or record to .mp4 or .webm"
        ));
    }
    if out.format.needs_ffmpeg() && (!size.width.is_multiple_of(2) || !size.height.is_multiple_of(2)) {
        return Err(format!(
            "{shown}: --size {size} must have an even width and height for .mp4 and .webm (yuv420p video)"
        ));
    }
    let dest = check(out)?;
    outputs::remove_stale_staging(&dest, is_frame_name);
    let tmp = outputs::staging_path(&dest);
    let cannot = |e: io::Error| format!("{shown}: cannot write there: {e}");
    let stage = |staging| Staged { staging, dest: dest.clone(), force: out.force };
    Ok(match out.format {
        Format::PngFolder => {
            let staging = Staging::folder(tmp, is_frame_name).map_err(cannot)?;
            Box::new(PngFolder { stage: stage(staging), frames: 0, rgb: Vec::new() })
        }
        Format::Gif => {
            let (staging, file) = Staging::file(tmp).map_err(cannot)?;
            let stage = stage(staging);
            let gif = GifEncoder::with_palette(BufWriter::with_capacity(1 << 16, file), size, fps, palette)
                .map_err(cannot)?;
            Box::new(GifFile { gif: Some(gif), stage })
        }
        Format::Mp4 | Format::Webm => {
            let stage = stage(Staging::file(tmp).map_err(cannot)?.0);
            Box::new(Ffmpeg::spawn(stage, out.format, size, fps).map_err(|e| format!("{shown}: running ffmpeg: {e}"))?)
        }
    })
}

/// Checks, creating nothing, what [`open`] would refuse whatever the frames: ffmpeg for MP4
/// and WebM, an existing file or folder of frames not to be replaced, a location that cannot
/// be written. Returns the resolved path.
pub fn check(out: &Output) -> Result<PathBuf, String> {
    if out.format.needs_ffmpeg()
        && let Some(said) = ffmpeg_problem()
    {
        return Err(ffmpeg_missing(out, said.as_deref()));
    }
    if out.format == Format::PngFolder {
        let dest = outputs::resolve(&out.path).map_err(|e| e.0)?;
        frames_folder(out.force)(&dest).map_err(|e| e.0)?;
        outputs::check_writable(&out.path, &dest).map_err(|e| e.0)?;
        Ok(dest)
    } else {
        outputs::check_file(&out.path, out.force).map_err(|e| e.0)
    }
}

/// Whether `name` is a frame file this recorder writes.
pub fn is_frame_name(name: &str) -> bool {
    name.strip_prefix("frame-")
        .and_then(|r| r.strip_suffix(".png"))
        .is_some_and(|n| n.len() >= 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The name of frame `i` (from 0) in a PNG folder.
pub fn frame_name(i: u64) -> String {
    format!("frame-{i:06}.png")
}

/// What a folder of PNG frames may replace: nothing, an empty folder, or (with `force`) a
/// folder holding only the frames of an earlier recording, unchanged, and its
/// [`FRAMES_RECORD`].
fn frames_folder(force: bool) -> impl Fn(&Path) -> Result<Existing, Refused> {
    move |dir| match outputs::inspect_frames_folder(dir)? {
        Existing::Owned(_) if !force => Err(Refused(format!(
            "{}: the folder holds the frames of an earlier recording; Polity replaces them only with --force\n    \
             hint: choose a new --out, or add --force (the rules: {})",
            dir.display(),
            outputs::RULES
        ))),
        other => Ok(other),
    }
}

/// A staged file or folder that becomes `dest` on [`Staged::commit`] (removed if dropped
/// before that).
struct Staged {
    staging: Staging,
    dest: PathBuf,
    force: bool,
}

impl Staged {
    fn tmp(&self) -> &Path {
        self.staging.path()
    }
    fn commit(self) -> io::Result<()> {
        let Staged { staging, dest, force } = self;
        let tmp = staging.path().to_path_buf();
        if fs::symlink_metadata(&tmp)?.is_dir() {
            outputs::install_folder(&tmp, &dest, frames_folder(force))?;
        } else if force {
            // Replaces a file or a link at `dest` (never the file a link points to, nor a
            // device or pipe that appeared meanwhile).
            outputs::replaceable(&dest).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dest.display())))?;
            fs::rename(&tmp, &dest)?;
        } else {
            // A hard link fails if `dest` exists: no file appearing meanwhile is replaced.
            fs::hard_link(&tmp, &dest).map_err(|e| {
                if e.kind() == io::ErrorKind::AlreadyExists {
                    io::Error::new(e.kind(), format!("{} appeared while recording; not replaced", dest.display()))
                } else {
                    e
                }
            })?;
            fs::remove_file(&tmp)?;
        }
        staging.release();
        Ok(())
    }
}

/// The GIF palette: the world's colours, the overlay's, a ramp of human colours and one
/// transparent index for pixels unchanged since the previous frame. Colours in it map to
/// themselves exactly; any other colour (a human of σ between ramp steps) maps to the nearest.
#[derive(Clone, Debug)]
pub struct GifPalette {
    rgb: Vec<u8>,
    lookup: HashMap<u32, u8>,
}

impl GifPalette {
    /// The index left transparent.
    pub const TRANSPARENT: u8 = 255;

    /// The fixed palette.
    pub fn new() -> GifPalette {
        GifPalette::with(&[])
    }

    /// The fixed palette with `extra` colours too, each then mapped to itself exactly (the
    /// human ramp gives up their places): the app's window recordings add its plots' line
    /// colours, which the nearest world colour changed (the welfare minimum's red became
    /// nearly the Gini's yellow).
    pub fn with(extra: &[[u8; 3]]) -> GifPalette {
        use palette::*;
        let mut colors: Vec<[u8; 4]> = vec![
            FLOOR,
            WALL,
            GRASS,
            LOST,
            APPLE,
            AI,
            FLASH,
            HUMAN_SPARING,
            HUMAN_SELFISH,
            [0, 0, 0, 255],
            BELT,
            BELT_MARK,
            VASE,
            BOX,
            BOX_RIM,
            // The sprites' details drawn in a shade of their body (humans' sprite has none).
            paint::sprite::shade(AI),
            paint::sprite::shade(VASE),
        ];
        colors.extend(super::frame::colors::ALL);
        for c in extra {
            let c = [c[0], c[1], c[2], 255];
            if !colors.contains(&c) && colors.len() < 200 {
                colors.push(c);
            }
        }
        let ramp = 255 - colors.len();
        colors.extend((0..ramp).map(|k| paint::human_color(k as f64 / (ramp - 1) as f64)));
        let mut rgb = Vec::with_capacity(256 * 3);
        let mut lookup = HashMap::new();
        for (i, c) in colors.iter().enumerate() {
            rgb.extend_from_slice(&c[..3]);
            lookup.entry(u32::from_ne_bytes(*c)).or_insert(i as u8);
        }
        rgb.extend_from_slice(&[0, 0, 0]); // the transparent index
        GifPalette { rgb, lookup }
    }

    /// The palette as RGB triples.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// The index for `rgba` (alpha is ignored: frames are opaque).
    pub fn index(&mut self, rgba: [u8; 4]) -> u8 {
        let key = u32::from_ne_bytes([rgba[0], rgba[1], rgba[2], 255]);
        if let Some(&i) = self.lookup.get(&key) {
            return i;
        }
        let dist = |i: usize| {
            let p = &self.rgb[i * 3..i * 3 + 3];
            (0..3).map(|k| (p[k] as i32 - rgba[k] as i32).pow(2)).sum::<i32>()
        };
        let best = (0..Self::TRANSPARENT as usize).min_by_key(|&i| dist(i)).unwrap_or(0) as u8;
        self.lookup.insert(key, best);
        best
    }

    /// Maps a whole RGBA frame to indices.
    pub fn quantize(&mut self, rgba: &[u8], out: &mut Vec<u8>) {
        out.clear();
        out.reserve(rgba.len() / 4);
        let (mut last, mut last_i) = (None, 0u8);
        for px in rgba.chunks_exact(4) {
            let key = [px[0], px[1], px[2], px[3]];
            if last != Some(key) {
                last = Some(key);
                last_i = self.index(key);
            }
            out.push(last_i);
        }
    }
}

impl Default for GifPalette {
    fn default() -> Self {
        GifPalette::new()
    }
}

/// An animated GIF encoder with a fixed global palette, looping forever. After the first,
/// each frame stores only the rectangle that changed, with unchanged pixels transparent.
pub struct GifEncoder<W: Write> {
    enc: gif::Encoder<W>,
    palette: GifPalette,
    size: Size,
    fps: u32,
    frames: u64,
    prev: Vec<u8>,
    cur: Vec<u8>,
    sub: Vec<u8>,
}

fn gif_err(e: gif::EncodingError) -> io::Error {
    match e {
        gif::EncodingError::Io(e) => e,
        e => io::Error::other(e),
    }
}

impl<W: Write> GifEncoder<W> {
    /// Starts a GIF of frames of `size` shown at `fps` frames per second.
    pub fn new(w: W, size: Size, fps: u32) -> io::Result<Self> {
        GifEncoder::with_palette(w, size, fps, GifPalette::new())
    }

    /// [`GifEncoder::new`] with its own palette.
    pub fn with_palette(w: W, size: Size, fps: u32, palette: GifPalette) -> io::Result<Self> {
        let (width, height) = (u16::try_from(size.width), u16::try_from(size.height));
        let (Ok(width), Ok(height)) = (width, height) else {
            return Err(io::Error::other("a GIF is at most 65535 pixels on a side"));
        };
        let mut enc = gif::Encoder::new(w, width, height, palette.rgb()).map_err(gif_err)?;
        enc.set_repeat(gif::Repeat::Infinite).map_err(gif_err)?;
        Ok(GifEncoder {
            enc,
            palette,
            size,
            fps: fps.max(1),
            frames: 0,
            prev: Vec::new(),
            cur: Vec::new(),
            sub: Vec::new(),
        })
    }

    /// The delay of frame `i` in hundredths of a second, so that frames keep time on average.
    fn delay(&self, i: u64) -> u16 {
        let at = |n: u64| (n * 100 + self.fps as u64 / 2) / self.fps as u64;
        (at(i + 1) - at(i)) as u16
    }

    /// Adds a frame.
    pub fn frame(&mut self, frame: &Canvas) -> io::Result<()> {
        if (frame.width, frame.height) != (self.size.width, self.size.height) {
            return Err(io::Error::other("a frame of the wrong size"));
        }
        self.palette.quantize(&frame.rgba, &mut self.cur);
        let delay = self.delay(self.frames);
        let (w, h) = (self.size.width as usize, self.size.height as usize);
        let mut f = gif::Frame { delay, dispose: gif::DisposalMethod::Keep, ..gif::Frame::default() };
        if self.frames == 0 {
            f.width = w as u16;
            f.height = h as u16;
            f.buffer = std::borrow::Cow::Borrowed(&self.cur);
            self.enc.write_frame(&f).map_err(gif_err)?;
        } else {
            // The rectangle that changed.
            let (mut x0, mut x1, mut y0, mut y1) = (w, 0, h, 0);
            for y in 0..h {
                let (a, b) = (&self.prev[y * w..(y + 1) * w], &self.cur[y * w..(y + 1) * w]);
                if a == b {
                    continue;
                }
                let first = a.iter().zip(b).position(|(p, q)| p != q).unwrap_or(0);
                let last = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap_or(0);
                (x0, x1, y0, y1) = (x0.min(first), x1.max(last + 1), y0.min(y), y + 1);
            }
            if y1 == 0 {
                (x0, x1, y0, y1) = (0, 1, 0, 1);
            }
            self.sub.clear();
            for y in y0..y1 {
                let (a, b) = (&self.prev[y * w + x0..y * w + x1], &self.cur[y * w + x0..y * w + x1]);
                self.sub.extend(a.iter().zip(b).map(|(p, q)| if p == q { GifPalette::TRANSPARENT } else { *q }));
            }
            f.left = x0 as u16;
            f.top = y0 as u16;
            f.width = (x1 - x0) as u16;
            f.height = (y1 - y0) as u16;
            f.transparent = Some(GifPalette::TRANSPARENT);
            f.buffer = std::borrow::Cow::Borrowed(&self.sub);
            self.enc.write_frame(&f).map_err(gif_err)?;
        }
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.frames += 1;
        Ok(())
    }

    /// Ends the GIF and gives back the writer.
    pub fn finish(self) -> io::Result<W> {
        self.enc.into_inner().map_err(gif_err)
    }
}

impl<W: Write> FrameSink for GifEncoder<W> {
    fn frame(&mut self, frame: &Canvas) -> io::Result<()> {
        GifEncoder::frame(self, frame)
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        let mut w = GifEncoder::finish(*self)?;
        w.flush()
    }
}

struct GifFile {
    gif: Option<GifEncoder<BufWriter<File>>>,
    stage: Staged,
}

impl FrameSink for GifFile {
    fn frame(&mut self, frame: &Canvas) -> io::Result<()> {
        self.gif.as_mut().expect("open until finished").frame(frame)
    }
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        let file = self.gif.take().expect("open until finished").finish()?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        let GifFile { stage, .. } = *self;
        stage.commit()
    }
}

/// Writes one frame as an RGB PNG file.
pub fn write_png(path: &Path, frame: &Canvas, rgb: &mut Vec<u8>) -> io::Result<()> {
    let mut file = BufWriter::with_capacity(1 << 16, File::create(path)?);
    encode_png(&mut file, frame, rgb)?;
    file.flush()
}

/// Encodes one frame as an RGB PNG into `w` (`rgb` is scratch space).
pub fn encode_png<W: Write>(w: W, frame: &Canvas, rgb: &mut Vec<u8>) -> io::Result<()> {
    rgb.clear();
    rgb.extend(frame.rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]));
    let mut enc = png::Encoder::new(w, frame.width, frame.height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Balanced);
    let mut w = enc.write_header().map_err(io::Error::other)?;
    w.write_image_data(rgb).map_err(io::Error::other)?;
    w.finish().map_err(io::Error::other)
}

struct PngFolder {
    stage: Staged,
    frames: u64,
    rgb: Vec<u8>,
}

impl FrameSink for PngFolder {
    fn frame(&mut self, frame: &Canvas) -> io::Result<()> {
        write_png(&self.stage.tmp().join(frame_name(self.frames)), frame, &mut self.rgb)?;
        self.frames += 1;
        Ok(())
    }
    fn finish(self: Box<Self>) -> io::Result<()> {
        // The folder's record of its frames: what lets a later recording with --force tell
        // them from files of the user's own of the same names (outputs::inspect_frames_folder).
        let names: Vec<String> = (0..self.frames).map(frame_name).collect();
        let record = serde_json::json!({ "polity_version": crate::VERSION, "frames": self.frames });
        let text = crate::run_json::seal(record, self.stage.tmp(), &names, FRAMES_RECORD)?;
        fs::write(self.stage.tmp().join(FRAMES_RECORD), text)?;
        self.stage.commit()
    }
}

/// The record a PNG folder keeps of the frames Polity wrote in it, with their hashes.
pub const FRAMES_RECORD: &str = "frames.json";

/// MP4 or WebM through an `ffmpeg` child fed raw RGBA frames on its standard input.
struct Ffmpeg {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    stderr: Option<std::thread::JoinHandle<String>>,
    stage: Option<Staged>,
}

impl Ffmpeg {
    fn spawn(stage: Staged, format: Format, size: Size, fps: u32) -> io::Result<Ffmpeg> {
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]).args([
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-s",
            &size.to_string(),
            "-r",
            &fps.to_string(),
            "-i",
            "-",
        ]);
        match format {
            Format::Mp4 => cmd.args([
                "-c:v",
                "libx264",
                "-preset",
                "veryfast",
                "-tune",
                "animation",
                "-crf",
                "20",
                "-pix_fmt",
                "yuv420p",
                "-movflags",
                "+faststart",
                "-f",
                "mp4",
            ]),
            _ => cmd.args([
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-row-mt",
                "1",
                "-crf",
                "32",
                "-b:v",
                "0",
                "-pix_fmt",
                "yuv420p",
                "-f",
                "webm",
            ]),
        };
        cmd.arg(stage.tmp()).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::piped());
        // Its own process group: Ctrl-C at a terminal reaches polity alone, which stops the
        // recording and says it was interrupted (status 130); ffmpeg, signalled with it, ended
        // at once and the recording was reported as ffmpeg failing (status 1).
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take();
        let mut err = child.stderr.take().expect("piped");
        let stderr = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        });
        Ok(Ffmpeg { child: Some(child), stdin, stderr: Some(stderr), stage: Some(stage) })
    }

    /// Waits for ffmpeg to end; an error carries what it printed.
    fn wait(&mut self) -> io::Result<()> {
        drop(self.stdin.take());
        let status = self.child.take().map(|mut c| c.wait()).transpose()?;
        let said = self.stderr.take().map(|h| h.join().unwrap_or_default()).unwrap_or_default();
        match status {
            Some(s) if !s.success() => Err(io::Error::other(format!("ffmpeg failed ({s}):\n{}", said.trim_end()))),
            _ => Ok(()),
        }
    }
}

impl FrameSink for Ffmpeg {
    fn frame(&mut self, frame: &Canvas) -> io::Result<()> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(io::Error::other("ffmpeg has ended"));
        };
        if let Err(e) = stdin.write_all(&frame.rgba) {
            self.wait()?;
            return Err(io::Error::other(format!("ffmpeg stopped reading frames: {e}")));
        }
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.wait()?;
        let stage = self.stage.take().expect("staged until finished");
        // An ffmpeg that ends well having written nothing (a wrapper script, a broken build)
        // must not leave an empty video in place.
        if std::fs::metadata(stage.tmp()).map_or(true, |m| m.len() == 0) {
            return Err(io::Error::other(
                "ffmpeg ended without writing the video (its output file is empty or missing)",
            ));
        }
        stage.commit()
    }
}

impl Drop for Ffmpeg {
    fn drop(&mut self) {
        drop(self.stdin.take());
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_names_pick_formats() {
        let f = |s: &str| Output::parse(Path::new(s)).map(|o| o.format);
        assert_eq!(f("a.gif"), Ok(Format::Gif));
        assert_eq!(f("dir/a.MP4"), Ok(Format::Mp4));
        assert_eq!(f("a.webm"), Ok(Format::Webm));
        assert_eq!(f("frames"), Ok(Format::PngFolder));
        assert_eq!(f("frames.v2/"), Ok(Format::PngFolder));
        assert!(f("a.avi").unwrap_err().contains("unknown extension `.avi`"));
        assert!(f("").is_err());
        // `.gif` made a hidden folder of PNG frames.
        for bare in [".gif", "out/.MP4", ".webm"] {
            assert!(f(bare).unwrap_err().contains("a file needs a name before its extension"), "{bare}");
        }
        assert_eq!(f(".frames"), Ok(Format::PngFolder));
    }

    #[test]
    fn palette_colours_are_exact_and_others_nearest() {
        let mut p = GifPalette::new();
        assert_eq!(p.rgb().len(), 256 * 3);
        for c in [palette::APPLE, palette::GRASS, palette::AI, super::super::frame::colors::TEXT] {
            let i = p.index(c) as usize;
            assert_eq!(&p.rgb()[i * 3..i * 3 + 3], &c[..3]);
            assert_ne!(i, GifPalette::TRANSPARENT as usize);
        }
        let h = paint::human_color(0.3337);
        let i = p.index(h) as usize;
        let d: i32 = (0..3).map(|k| (p.rgb()[i * 3 + k] as i32 - h[k] as i32).abs()).max().unwrap();
        assert!(d <= 1, "{h:?} → {:?}", &p.rgb()[i * 3..i * 3 + 3]);
    }

    #[test]
    fn frame_names_sort_and_are_recognised() {
        assert_eq!(frame_name(7), "frame-000007.png");
        assert!(is_frame_name(&frame_name(1_234_567)));
        assert!(!is_frame_name("frame-1.png") && !is_frame_name("notes.txt"));
    }
}
