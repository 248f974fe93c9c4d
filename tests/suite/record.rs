//! `polity record` as a user meets it: GIFs decoded and checked frame by frame, PNG folders,
//! side-by-side comparisons, MP4 and WebM through ffmpeg (checked with ffprobe), and bad
//! input refused before any work, with nothing left behind.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polity::paint::palette;

fn polity(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_polity")).args(args).output().expect("polity runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn record(args: &[&str]) -> Output {
    let mut all = vec!["record"];
    all.extend_from_slice(args);
    let out = polity(&all);
    assert!(out.status.success(), "polity {all:?} failed:\n{}", text(&out.stderr));
    out
}

/// Every entry in `dir`, hidden ones included, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

/// A decoded GIF: its logical size, every frame composited in full (RGBA), and the delays.
struct Gif {
    width: u32,
    height: u32,
    frames: Vec<Vec<u8>>,
    delays: Vec<u16>,
}

fn decode_gif(path: &Path) -> Gif {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut d = opts.read_info(std::fs::File::open(path).unwrap()).unwrap();
    let (width, height) = (d.width() as u32, d.height() as u32);
    let mut canvas = vec![0u8; (width * height * 4) as usize];
    let (mut frames, mut delays) = (Vec::new(), Vec::new());
    while let Some(f) = d.read_next_frame().unwrap() {
        if frames.is_empty() {
            assert_eq!((f.left, f.top, f.width as u32, f.height as u32), (0, 0, width, height), "first frame is full");
        }
        for y in 0..f.height as u32 {
            for x in 0..f.width as u32 {
                let s = ((y * f.width as u32 + x) * 4) as usize;
                if f.buffer[s + 3] == 0 {
                    continue; // transparent: unchanged since the previous frame
                }
                let d = (((y + f.top as u32) * width + x + f.left as u32) * 4) as usize;
                canvas[d..d + 4].copy_from_slice(&f.buffer[s..s + 4]);
            }
        }
        frames.push(canvas.clone());
        delays.push(f.delay);
    }
    Gif { width, height, frames, delays }
}

fn has_color(rgba: &[u8], c: [u8; 4]) -> bool {
    rgba.chunks_exact(4).any(|p| p == c)
}

/// The left or right half of a `width`-wide RGBA frame, as RGBA rows.
fn half(rgba: &[u8], width: u32, right: bool) -> Vec<u8> {
    let w = width as usize * 4;
    let h = w / 2;
    rgba.chunks_exact(w).flat_map(|row| if right { &row[h..] } else { &row[..h] }).copied().collect()
}

#[test]
fn a_gif_of_commons_has_one_frame_per_two_ticks_and_repeats_exactly() {
    let t = tempfile::tempdir().unwrap();
    let (a, b, c) = (t.path().join("a.gif"), t.path().join("b.gif"), t.path().join("c.gif"));
    let base = ["commons", "--ticks", "60", "--ticks-per-frame", "2", "--size", "480x270", "--fps", "20"];
    let out = record(&[&base[..], &["--seed", "3", "--out", a.to_str().unwrap()]].concat());
    assert!(text(&out.stdout).contains("30 frames"), "{}", text(&out.stdout));
    record(&[&base[..], &["--seed", "3", "--out", b.to_str().unwrap()]].concat());
    record(&[&base[..], &["--seed", "4", "--out", c.to_str().unwrap()]].concat());
    let (ba, bb, bc) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap(), std::fs::read(&c).unwrap());
    assert!(ba == bb, "two recordings with the same seed differ");
    assert!(ba != bc, "another seed gives the same recording");
    // Nothing but the three GIFs: no temporary files left beside them.
    assert_eq!(entries(t.path()), ["a.gif", "b.gif", "c.gif"]);

    let gif = decode_gif(&a);
    assert_eq!((gif.width, gif.height), (480, 270));
    assert_eq!(gif.frames.len(), 30);
    // 20 fps: 5 hundredths of a second a frame.
    assert!(gif.delays.iter().all(|&d| d == 5), "{:?}", gif.delays);
    let changed = gif.frames.windows(2).filter(|w| w[0] != w[1]).count();
    assert!(changed >= 20, "only {changed} of 29 consecutive frames differ");
    for f in &gif.frames[..3] {
        for c in [palette::APPLE, palette::GRASS, palette::WALL, palette::AI] {
            assert!(has_color(f, c), "an early frame lacks {c:?}");
        }
    }
    // Humans are drawn in their own colours (σ between sparing and selfish).
    assert!(gif.frames[0].chunks_exact(4).any(|p| p[2] > 200 && p[0] < 150 && p[1] > 120));
    // The overlay is there: text and the plots' colours.
    assert!(has_color(&gif.frames[29], polity::record::frame::colors::TEXT));
    assert!(has_color(&gif.frames[29], polity::record::frame::colors::WELFARE));
    assert!(gif.frames[0] != gif.frames[29]);
}

#[test]
fn the_library_gives_the_same_frames_as_the_gif() {
    use polity::record::{RecordOptions, Recorder, Size};
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("x.gif");
    record(&[
        "commons",
        "--ticks",
        "12",
        "--ticks-per-frame",
        "3",
        "--size",
        "320x180",
        "--out",
        path.to_str().unwrap(),
    ]);
    let gif = decode_gif(&path);
    let s = polity::scenario::load("commons").unwrap();
    let opts = RecordOptions {
        ticks: 12,
        ticks_per_frame: 3,
        fps: 30,
        size: Size { width: 320, height: 180 },
        seed: s.run.seed,
    };
    let mut r = Recorder::new(&[s], &opts);
    let mut n = 0;
    while let Some(frame) = r.next_frame() {
        // The world's and the overlay's colours are in the GIF's palette exactly; a human's
        // colour (σ anywhere in [0, 1]) is within one step of its palette ramp.
        assert_eq!(frame.rgba.len(), gif.frames[n].len());
        let worst = frame.rgba.iter().zip(&gif.frames[n]).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(worst <= 1, "frame {n} differs from the GIF's by {worst}");
        let exact = frame.rgba.iter().zip(&gif.frames[n]).filter(|(a, b)| a == b).count();
        assert!(exact as f64 > 0.99 * frame.rgba.len() as f64);
        n += 1;
    }
    assert_eq!(n, 4);
}

#[test]
fn a_folder_gets_numbered_png_frames() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("frames");
    let out = record(&["commons", "--ticks", "10", "--size", "320x180", "--out", dir.to_str().unwrap()]);
    assert!(text(&out.stdout).contains("frame-000009.png"), "{}", text(&out.stdout));
    let mut names = entries(&dir);
    let mut want: Vec<String> = (0..10).map(|i| format!("frame-{i:06}.png")).collect();
    want.push("frames.json".into());
    assert_eq!(names, want);
    names.pop();
    want.pop();
    assert_eq!(entries(t.path()), ["frames"], "a staging folder was left behind");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(dir.join(&names[0])).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height, info.color_type), (320, 180, png::ColorType::Rgb));
    let rgb = &buf[..info.buffer_size()];
    assert!(rgb.chunks_exact(3).any(|p| p == &palette::APPLE[..3]));
    // The same again is refused without --force (docs/outputs.md); with it, it replaces an
    // earlier folder of frames, byte for byte the same; a trailing slash names a folder too; a
    // shorter recording leaves only its own frames.
    let first = std::fs::read(dir.join("frame-000004.png")).unwrap();
    let slash = format!("{}/", dir.display());
    let again = polity(&["record", "commons", "--ticks", "10", "--size", "320x180", "--out", &slash]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("--force"));
    record(&["commons", "--ticks", "10", "--size", "320x180", "--out", &slash, "--force"]);
    assert!(std::fs::read(dir.join("frame-000004.png")).unwrap() == first, "the same frame differs");
    record(&["commons", "--ticks", "5", "--size", "320x180", "--out", dir.to_str().unwrap(), "--force"]);
    assert_eq!(entries(&dir), [&want[..5], &["frames.json".to_string()]].concat());
    assert_eq!(entries(t.path()), ["frames"]);
    // An edited frame is the user's: refused even with --force, nothing changed.
    std::fs::write(dir.join("frame-000002.png"), "touched up").unwrap();
    let again = polity(&["record", "commons", "--ticks", "5", "--size", "320x180", "--out", &slash, "--force"]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(
        text(&again.stderr).contains("`frame-000002.png` changed since Polity wrote it"),
        "{}",
        text(&again.stderr)
    );
    assert_eq!(std::fs::read(dir.join("frame-000002.png")).unwrap(), b"touched up");
}

#[test]
fn frames_of_the_users_own_are_never_replaced() {
    // The files tour (2026-12-07): `record --out DIR --force` deleted every
    // `frame-NNNNNN.png` in DIR (ffmpeg's names for extracted frames), kept or not: the names
    // alone were taken for an earlier recording's.
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("mine");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..8 {
        std::fs::write(dir.join(format!("frame-{i:06}.png")), format!("my frame {i}")).unwrap();
    }
    let before = entries(&dir);
    for force in [false, true] {
        let mut args = vec!["record", "commons", "--ticks", "2", "--size", "160x90", "--out", dir.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        let o = polity(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("the folder exists and is not a folder of frames written by `polity record` (no frames.json of Polity's)"),
            "{err}"
        );
        assert_eq!(entries(&dir), before);
        assert_eq!(std::fs::read_to_string(dir.join("frame-000005.png")).unwrap(), "my frame 5");
    }
    assert_eq!(entries(t.path()), ["mine"], "a staging folder was left behind");
}

#[test]
fn compare_records_two_scenarios_side_by_side() {
    let t = tempfile::tempdir().unwrap();
    let path = t.path().join("cmp.gif");
    let p = path.to_str().unwrap();
    let out = record(
        &["revenue-max", "--compare", "shielded-revenue-max", "--ticks", "60", "--ticks-per-frame", "30"]
            .into_iter()
            .chain(["--size", "640x360", "--out", p])
            .collect::<Vec<_>>(),
    );
    assert!(text(&out.stdout).contains("revenue-max vs shielded-revenue-max"), "{}", text(&out.stdout));
    let gif = decode_gif(&path);
    assert_eq!(gif.frames.len(), 2);
    for f in &gif.frames {
        let (l, r) = (half(f, gif.width, false), half(f, gif.width, true));
        assert!(l != r, "the two halves are the same");
        for h in [&l, &r] {
            for c in [palette::APPLE, palette::GRASS, palette::WALL] {
                assert!(has_color(h, c), "a half lacks the map colour {c:?}");
            }
        }
    }
    // The same scenario on both sides gives two identical halves (but for the divider).
    let same = t.path().join("same.gif");
    record(&["commons", "--compare", "commons", "--ticks", "4", "--size", "640x360", "--out", same.to_str().unwrap()]);
    let gif = decode_gif(&same);
    let f = gif.frames.last().unwrap();
    let (l, r) = (half(f, 640, false), half(f, 640, true));
    let differ = l.chunks_exact(4).zip(r.chunks_exact(4)).filter(|(a, b)| a != b).count();
    assert!(differ <= 2 * 360, "{differ} pixels differ between two identical worlds");
}

/// Runs `polity record ARGS` in an empty folder, expecting exit status 2, a message
/// containing `says`, and nothing written.
fn refused(args: &[&str], says: &str) {
    let t = tempfile::tempdir().unwrap();
    let mut all = vec!["record"];
    all.extend_from_slice(args);
    let out = Command::new(env!("CARGO_BIN_EXE_polity")).args(&all).current_dir(t.path()).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "polity {all:?}: {err}");
    assert!(err.contains(says), "polity {all:?} said:\n{err}\nnot {says:?}");
    assert!(entries(t.path()).is_empty(), "polity {all:?} left {:?}", entries(t.path()));
}

#[test]
fn bad_input_exits_2_before_any_work_and_leaves_nothing() {
    refused(&["commons", "--ticks", "5", "--out", "x.avi"], "unknown extension `.avi`");
    refused(&["commons", "--ticks", "5", "--out", "x.gif", "--size", "960"], "WIDTHxHEIGHT");
    refused(&["commons", "--ticks", "5", "--out", "x.gif", "--size", "20x10"], "too small");
    refused(&["commons", "--ticks", "5", "--out", "x.gif", "--size", "99999x540"], "too large");
    refused(&["no-such-scenario", "--ticks", "5", "--out", "x.gif"], "no-such-scenario");
    refused(&["commons", "--compare", "no-such-scenario", "--ticks", "5", "--out", "x.gif"], "no-such-scenario");
    refused(&["commons", "--ticks", "0", "--out", "x.gif"], "--ticks 0");
    refused(&["commons", "--ticks", "5", "--ticks-per-frame", "0", "--out", "x.gif"], "ticks-per-frame");
    refused(&["commons", "--ticks", "5", "--fps", "60", "--out", "x.gif"], "--fps 50 or less");
    refused(&["commons", "--ticks", "5", "--size", "961x540", "--out", "x.mp4"], "even width and height");
    // A folder that cannot be created: its parent is a file.
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("plain.txt");
    std::fs::write(&file, "keep me").unwrap();
    for out in [file.join("x.gif"), file.join("frames")] {
        let o = polity(&["record", "commons", "--ticks", "5", "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        assert!(text(&o.stderr).contains("cannot create the folder"), "{}", text(&o.stderr));
    }
    // An existing folder where a file should go, a file where a folder should go, and a
    // folder of other things are left alone.
    let plain = file.to_str().unwrap().replace(".txt", "");
    let o = polity(&["record", "commons", "--ticks", "5", "--out", &plain]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr)); // `plain` is a new folder of frames
    std::fs::remove_dir_all(t.path().join("plain")).unwrap();
    std::fs::create_dir(t.path().join("dir.gif")).unwrap();
    let o = polity(&["record", "commons", "--ticks", "5", "--out", t.path().join("dir.gif").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("is a folder"), "{}", text(&o.stderr));
    let notes = t.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    std::fs::write(notes.join("todo.md"), "mine").unwrap();
    let o = polity(&["record", "commons", "--ticks", "5", "--out", notes.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("refusing to replace"), "{}", text(&o.stderr));
    assert_eq!(entries(&notes), ["todo.md"]);
    assert_eq!(entries(t.path()), ["dir.gif", "notes", "plain.txt"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

/// Where `program` is on PATH, if anywhere.
fn which(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(program)).find(|p| p.is_file())
}

/// ffprobe's JSON about the first video stream and the container of `path`.
fn probe(path: &Path) -> serde_json::Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-count_frames"])
        .args(["-show_entries", "stream=codec_name,width,height,pix_fmt,nb_read_frames:format=duration"])
        .args(["-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe failed: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn mp4_and_webm_go_through_ffmpeg() {
    assert!(
        which("ffmpeg").is_some() && which("ffprobe").is_some(),
        "ffmpeg and ffprobe are needed for this test and are not on PATH; CI installs them (.ci/run), and so can \
         you: `apt-get install ffmpeg`"
    );
    let t = tempfile::tempdir().unwrap();
    for (name, codec) in [("v.mp4", "h264"), ("v.webm", "vp9")] {
        let path = t.path().join(name);
        let args = ["commons", "--ticks", "60", "--fps", "30", "--size", "480x270", "--out", path.to_str().unwrap()];
        record(&args);
        let info = probe(&path);
        let s = &info["streams"][0];
        assert_eq!(s["codec_name"], codec, "{info}");
        assert_eq!((s["width"].as_u64(), s["height"].as_u64()), (Some(480), Some(270)), "{info}");
        assert_eq!(s["pix_fmt"], "yuv420p", "{info}");
        assert_eq!(s["nb_read_frames"], "60", "{info}");
        let duration: f64 = info["format"]["duration"].as_str().unwrap().parse().unwrap();
        assert!((duration - 2.0).abs() < 0.1, "{name}: {duration} s, not 60 frames / 30 fps = 2 s");
    }
    assert_eq!(entries(t.path()), ["v.mp4", "v.webm"]);
}

#[test]
fn without_ffmpeg_an_mp4_is_refused_with_the_install_hint() {
    let t = tempfile::tempdir().unwrap();
    let empty = t.path().join("bin");
    std::fs::create_dir(&empty).unwrap();
    for name in ["v.mp4", "v.webm"] {
        let out = Command::new(env!("CARGO_BIN_EXE_polity"))
            .args(["record", "commons", "--ticks", "5", "--out", name])
            .env("PATH", &empty)
            .current_dir(t.path())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("needs ffmpeg") && err.contains("apt-get install ffmpeg"), "{err}");
        assert!(err.contains(".gif") && err.contains("PNG"), "{err}");
    }
    assert_eq!(entries(t.path()), ["bin"]);
    // An ffmpeg that is there but does not run is said to be broken, with what it printed
    // (it was reported as missing).
    let with_ffmpeg = |script: &str| {
        let fake = empty.join("ffmpeg");
        std::fs::write(&fake, script).unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_polity"))
            .args(["record", "commons", "--ticks", "5", "--out", "v.mp4"])
            .env("PATH", format!("{}:/bin:/usr/bin", empty.display()))
            .current_dir(t.path())
            .output()
            .unwrap();
        (out.status.code(), text(&out.stderr))
    };
    let (code, err) = with_ffmpeg(
        "#!/bin/sh\necho 'ffmpeg: error while loading shared libraries: libavdevice.so.61' >&2\nexit 127\n",
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("the `ffmpeg` on PATH does not run") && err.contains("libavdevice.so.61"), "{err}");
    assert_eq!(entries(t.path()), ["bin"]);
    // One that runs, reads every frame and ends well having written nothing left an empty
    // v.mp4 and status 0.
    let (code, err) = with_ffmpeg(
        "#!/bin/sh\nif [ \"$1\" = \"-version\" ]; then echo 'ffmpeg version fake'; exit 0; fi\ncat > /dev/null\nexit 0\n",
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("ffmpeg ended without writing the video"), "{err}");
    assert_eq!(entries(t.path()), ["bin"]);
}

#[test]
fn ctrl_c_during_an_mp4_stops_the_recording_as_interrupted() {
    // Ctrl-C at a terminal signals the whole foreground process group: polity and, before it
    // had its own group, ffmpeg, which ended at once; the recording was then reported as
    // `ffmpeg failed` (status 1) instead of interrupted (130). The signal goes here to the
    // group polity leads, as a terminal sends it.
    assert!(which("ffmpeg").is_some(), "ffmpeg is needed for this test; CI installs it (.ci/run)");
    let t = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["record", "commons", "--ticks", "100000", "--out", "v.mp4"])
        .current_dir(t.path())
        .process_group(0)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once ffmpeg runs (its staging file exists), signal the group.
    let started = std::time::Instant::now();
    while std::fs::read_dir(t.path()).unwrap().next().is_none() {
        assert!(started.elapsed().as_secs() < 60, "the recording never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let group = format!("-{}", child.id());
    assert!(Command::new("kill").args(["-INT", "--", &group]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted") && !err.contains("ffmpeg failed"), "{err}");
    assert_eq!(entries(t.path()), Vec::<String>::new(), "nothing left behind");
}

#[test]
fn the_default_output_goes_into_runs_created_if_missing() {
    // In a fresh folder `polity record commons` failed: its default `runs/commons-seed0.gif`
    // had no `runs/` to go in (`polity run` creates it).
    let t = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_polity"))
        .args(["record", "commons", "--ticks", "2"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(entries(&t.path().join("runs")), ["commons-seed0.gif"]);
    assert!(decode_gif(&t.path().join("runs/commons-seed0.gif")).frames.len() >= 2);
    // A nested folder for a file named with --out as well.
    let nested = t.path().join("a/b/c.gif");
    record(&["commons", "--ticks", "2", "--out", nested.to_str().unwrap()]);
    assert_eq!(entries(&t.path().join("a/b")), ["c.gif"]);
}
