//! The desktop app as a person sees it: `polity gui` runs under Xvfb (a virtual X display)
//! with Mesa's software Vulkan, writes a PNG of its whole window, and the test looks at the
//! pixels — the window's size, the map's apples and agents in the space between the panels,
//! egui's panel background at the sides and not over the map. Also: a bad scenario opens no
//! window and writes nothing.
//!
//! Needs `xvfb-run` and a Vulkan driver: `apt-get install xvfb xauth mesa-vulkan-drivers
//! libvulkan1` (`.ci/run` installs them).
#![cfg(feature = "gui")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use polity::paint::{self, palette};

/// Under llvmpipe the first frame can take a while on a slow machine.
const TIMEOUT: Duration = Duration::from_secs(300);

/// egui's dark theme's panel fill (`Visuals::dark().panel_fill`, grey 27).
const PANEL_FILL: [u8; 3] = [27, 27, 27];

fn polity() -> &'static str {
    env!("CARGO_BIN_EXE_polity")
}

fn xvfb_run() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("xvfb-run"))
        .find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "xvfb-run is not installed, so the app's window cannot be tested.\n    \
             install xvfb, mesa-vulkan-drivers and libvulkan1 (as root: apt-get install -y \
             --no-install-recommends xvfb xauth mesa-vulkan-drivers libvulkan1), or run `bash .ci/run`, \
             which installs them"
        )
    })
}

/// `xvfb-run -a -f AUTH -s "-screen 0 {screen}x24"`, to be given the program and its
/// arguments, and the folder of its X authority file (to keep until the command is done).
/// Given an authority file of its own, xvfb-run makes no temporary folder: its removal as
/// xvfb-run quit failed once under load, and xvfb-run then exits 5 ("problem while cleaning up
/// temporary directory") whatever the app's own status was.
fn on_xvfb(screen: &str) -> (Command, tempfile::TempDir) {
    let auth = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(xvfb_run());
    cmd.arg("-a").arg("-f").arg(auth.path().join("Xauthority")).args(["-s", &format!("-screen 0 {screen}x24")]);
    (cmd, auth)
}

/// Runs a command, killing it after [`TIMEOUT`].
fn run_with_timeout(mut cmd: Command) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the command starts");
    let started = Instant::now();
    loop {
        if child.try_wait().expect("waiting works").is_some() {
            return child.wait_with_output().expect("output is readable");
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output is readable");
            panic!(
                "timed out after {TIMEOUT:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Png {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Png {
    fn read(path: &Path) -> Png {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("the PNG exists")));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut buf).expect("PNG pixels");
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected PNG colour type {other:?}"),
        };
        let rgb = buf[..info.buffer_size()].chunks_exact(channels).flat_map(|p| [p[0], p[1], p[2]]).collect();
        Png { width: info.width, height: info.height, rgb }
    }
    fn at(&self, x: u32, y: u32) -> [u8; 3] {
        let i = ((y * self.width + x) * 3) as usize;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
    /// Pixels in `[x0, x1) × [y0, y1)` that satisfy `f`, and how many there were.
    fn count(&self, (x0, y0, x1, y1): (u32, u32, u32, u32), f: impl Fn([u8; 3]) -> bool) -> (usize, usize) {
        let mut hits = 0;
        let mut all = 0;
        for y in y0..y1.min(self.height) {
            for x in x0..x1.min(self.width) {
                all += 1;
                hits += f(self.at(x, y)) as usize;
            }
        }
        (hits, all)
    }
}

fn near(a: [u8; 3], b: [u8; 3], tolerance: i32) -> bool {
    (0..3).all(|i| (a[i] as i32 - b[i] as i32).abs() <= tolerance)
}

fn rgb(c: [u8; 4]) -> [u8; 3] {
    [c[0], c[1], c[2]]
}

/// Whether `c` is a human's colour: on the line from the sparing to the selfish colour.
fn human_like(c: [u8; 3]) -> bool {
    (0..=50).any(|k| near(c, rgb(paint::human_color(k as f64 / 50.0)), 4))
}

/// Parses `wrote FILE (W×H, the whole window; map area X0,Y0,X1,Y1)`.
fn reported(stdout: &str) -> ((u32, u32), (u32, u32, u32, u32)) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("wrote ") && l.contains("map area"))
        .unwrap_or_else(|| panic!("no `wrote` line in:\n{stdout}"));
    let inside = &line[line.rfind('(').unwrap() + 1..line.len() - 1];
    let (size, rest) = inside.split_once(',').unwrap();
    let (w, h) = size.split_once('×').unwrap();
    let area: Vec<u32> = rest.rsplit_once("map area ").unwrap().1.split(',').map(|v| v.parse().unwrap()).collect();
    ((w.parse().unwrap(), h.parse().unwrap()), (area[0], area[1], area[2], area[3]))
}

/// `polity gui SCENARIO --ticks TICKS --screenshot SHOT --exit EXTRA…` on an Xvfb screen of
/// `screen` (`WxH`), in SHOT's folder; its stdout, once it has succeeded.
fn screenshot_on(screen: &str, scenario: &str, ticks: &str, shot: &Path, extra: &[&str]) -> String {
    let (mut cmd, _x) = on_xvfb(screen);
    cmd.args([polity(), "gui", scenario, "--ticks", ticks])
        .arg("--screenshot")
        .arg(shot)
        .arg("--exit")
        .args(extra)
        .current_dir(shot.parent().unwrap());
    let out = run_with_timeout(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "polity gui failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

#[test]
fn on_a_small_screen_the_window_fits_it() {
    // The window opened at 1280×720 whatever the screen: on a 1024×600 one its right panel and
    // bottom were out of sight.
    let t = tempfile::tempdir().unwrap();
    let shot = t.path().join("small.png");
    let stdout = screenshot_on("1024x600", "commons", "5", &shot, &["--record", "small.gif", "--record-frames", "2"]);
    let ((w, h), _) = reported(&stdout);
    let want = polity::app::fit_size((1024.0, 600.0));
    assert_eq!((w, h), (want.0 as u32, want.1 as u32), "90% of the screen where 1280×720 does not fit");
    assert!(w <= 1024 && h <= 600);
    let png = Png::read(&shot);
    assert_eq!((png.width, png.height), (w, h));
    // The window is 921 pixels wide here: a GIF keeps its odd column (it was cut to 920, as
    // a video must be), and says nothing of trimming.
    assert_eq!(w % 2, 1, "an odd width, for the check below");
    let decoder =
        gif::DecodeOptions::new().read_info(std::fs::File::open(t.path().join("small.gif")).unwrap()).unwrap();
    assert_eq!((decoder.width() as u32, decoder.height() as u32), (w, h), "{stdout}");
    assert!(stdout.contains("window recording (2 frames at 30 fps): "), "{stdout}");
    // On an 800×480 screen the panels leave the map a strip; --hide-panels (H in the app) gives
    // it the whole window below the status bar.
    let mut areas = Vec::new();
    for hide in [false, true] {
        let shot = t.path().join(format!("tiny-{hide}.png"));
        let extra: &[&str] = if hide { &["--hide-panels"] } else { &[] };
        areas.push(reported(&screenshot_on("800x480", "commons", "5", &shot, extra)));
    }
    let ((w, _), (x0, _, x1, _)) = areas[0];
    assert!(x0 > 0 && x1 < w && x1 - x0 >= w / 4, "panels on both sides, the map a quarter or more: {x0}–{x1} of {w}");
    let ((w, h), (x0, y0, x1, y1)) = areas[1];
    assert_eq!((x0, x1, y1), (0, w, h), "hidden panels: the map spans the window");
    assert!(y0 > 0 && y0 < 40, "the status bar stays: map from y {y0}");
    // A screen the documented size fits keeps it (the test above: 1280×800).
    assert_eq!(polity::app::fit_size((1280.0, 800.0)), (1280.0, 720.0));
    assert_eq!(polity::app::fit_size((0.0, 0.0)), (1280.0, 720.0), "an unknown screen changes nothing");
}

#[test]
fn the_screenshot_shows_the_map_with_apples_and_agents_between_the_panels() {
    // The premise, from the engine itself: apples and both kinds of agent are on the map at
    // tick 50 of `commons` with seed 0.
    let s = polity::scenario::load("commons").unwrap();
    let mut sim = polity::sim::Sim::new(&s, 0, s.run.ticks);
    for _ in 0..50 {
        sim.step();
    }
    let apples = sim.grid().apples();
    assert!(apples > 0, "the test needs apples standing at tick 50 of commons");

    let t = tempfile::tempdir().unwrap();
    let shot = t.path().join("shot.png");
    let (mut cmd, _x) = on_xvfb("1280x800");
    cmd.args([polity(), "gui", "commons", "--ticks", "50", "--screenshot"])
        .arg(&shot)
        .arg("--exit")
        .current_dir(t.path());
    let out = run_with_timeout(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "polity gui failed ({:?}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let ((w, h), (x0, y0, x1, y1)) = reported(&stdout);

    let png = Png::read(&shot);
    // The whole window, at the size it opened with.
    assert_eq!((png.width, png.height), (w, h), "the PNG is the window reported");
    assert_eq!((w, h), polity::app::WINDOW_SIZE, "the window opens at its documented size");
    // The map area lies between the panels, and is most of the window's middle.
    assert!(x0 > 150 && x1 < w - 150 && x1 - x0 > 400 && y1 - y0 > 500, "map area {x0},{y0}–{x1},{y1}");

    let mut colours = std::collections::HashSet::new();
    for p in png.rgb.chunks_exact(3).step_by(7) {
        colours.insert([p[0], p[1], p[2]]);
    }
    assert!(colours.len() > 50, "the picture is nearly uniform: {} colours", colours.len());

    let map = (x0, y0, x1, y1);
    let (apple_px, _) = png.count(map, |c| near(c, rgb(palette::APPLE), 6));
    let (ai_px, _) = png.count(map, |c| near(c, rgb(palette::AI), 6));
    let (human_px, _) = png.count(map, human_like);
    let (floor_px, map_px) = png.count(map, |c| near(c, rgb(palette::FLOOR), 3));
    assert!(apple_px >= 20, "{apple_px} apple pixels on the map ({apples} apples standing)");
    assert!(ai_px >= 20, "{ai_px} AI pixels on the map");
    assert!(human_px >= 20, "{human_px} human pixels on the map");
    assert!(floor_px * 5 > map_px, "the map's floor covers a fifth of the map area: {floor_px} of {map_px}");

    // egui's panel background fills the side panels, and none of it is over the map.
    let panel = |c: [u8; 3]| near(c, PANEL_FILL, 2);
    let (left, left_all) = png.count((0, y0 + 10, x0.saturating_sub(4), h), panel);
    let (right, right_all) = png.count((x1 + 4, y0 + 10, w, h), panel);
    assert!(left * 3 > left_all, "panel fill in the left panel: {left} of {left_all}");
    assert!(right * 3 > right_all, "panel fill in the right panel: {right} of {right_all}");
    let (cx, cy) = ((x0 + x1) / 2, (y0 + y1) / 2);
    let middle = (cx - (x1 - x0) / 5, cy - (y1 - y0) / 5, cx + (x1 - x0) / 5, cy + (y1 - y0) / 5);
    let (covered, _) = png.count(middle, panel);
    assert_eq!(covered, 0, "panel colour in the middle of the map: the map is hidden behind a panel");
}

#[test]
fn in_a_small_window_no_panel_covers_the_map() {
    // A panel whose contents were wider than it (us2018's seven tax rates on one line, fixed
    // 130 + 150 point bars, a four-column inspector) was drawn at the window's edge while the
    // map was laid out as if it were narrower: on an 800×480 screen the right panel covered
    // the map from x 440 to 579 of its 252–579.
    let t = tempfile::tempdir().unwrap();
    for (screen, scenario) in [("800x480", "us2018"), ("600x1000", "shielded-revenue-max"), ("800x480", "paa-governor")]
    {
        let shot = t.path().join(format!("{scenario}-{screen}.png"));
        let ((w, _), (x0, y0, x1, y1)) = reported(&screenshot_on(screen, scenario, "60", &shot, &[]));
        assert!(x0 > 0 && x1 < w && x1 > x0 + 40, "{scenario} on {screen}: map area {x0}–{x1} of {w}");
        let png = Png::read(&shot);
        let (covered, all) = png.count((x0 + 2, y0 + 2, x1 - 2, y1), |c| near(c, PANEL_FILL, 2));
        assert_eq!(covered, 0, "{scenario} on {screen}: panel colour on {covered} of the map area's {all} pixels");
        // And the panels are there, each side of it.
        let (right, right_all) = png.count((x1 + 4, y0 + 10, w, y1), |c| near(c, PANEL_FILL, 2));
        assert!(right * 3 > right_all, "{scenario} on {screen}: the right panel from {x1}: {right} of {right_all}");
    }
}

#[test]
fn a_bad_scenario_opens_no_window_and_writes_no_screenshot() {
    let t = tempfile::tempdir().unwrap();
    let shot = t.path().join("shot.png");
    let bad = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad/many-problems.ron");
    let out = Command::new(polity())
        .args(["gui", bad.to_str().unwrap(), "--ticks", "5", "--screenshot", shot.to_str().unwrap(), "--exit"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("many-problems.ron:6:12: map.rows[1]: unknown map character"), "{stderr}");
    assert!(stderr.contains("nothing was run"), "{stderr}");
    assert!(!shot.exists(), "no screenshot for a bad scenario");

    // A screenshot that is not a PNG is refused before any window opens.
    let out = Command::new(polity()).args(["gui", "commons", "--screenshot", "shot.jpg", "--exit"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".png"));
    // --exit without --screenshot makes no sense.
    let out = Command::new(polity()).args(["gui", "commons", "--exit"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // An agent that does not exist: the ids that do.
    let out = Command::new(polity()).args(["gui", "commons", "--select", "99"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--select 99: there is no agent 99; agents are 0 to 6"), "{stderr}");
    // A trained policy for a group the scenario lacks, or a file that is not one: no window.
    let shot = shot.to_str().unwrap();
    for (args, says) in [
        (["gui", "commons", "--policy", "learners=x.safetensors"], "no group named `learners`"),
        (["gui", "commons-learners", "--policy", "learners=missing.safetensors"], "cannot read the policy file"),
    ] {
        let out = Command::new(polity()).args(args).args(["--screenshot", shot, "--exit"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(!Path::new(shot).exists());
    }
}

#[test]
fn a_screenshot_that_cannot_be_written_is_exit_status_1() {
    // The path passes the checks made before the window opens (a new .png in a writable
    // folder; a path whose folder is a file is refused up front, exit 2), but files are capped
    // at 1 block (`ulimit -f`, SIGXFSZ ignored, as on a full disk), so writing the PNG fails once
    // the frame is captured: exit status 1 (docs/app.md), a clear message, nothing written.
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("a-file"), "x").unwrap();
    let out = Command::new(polity())
        .args(["gui", "commons", "--screenshot", "a-file/shot.png", "--exit"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let (mut cmd, _x) = on_xvfb("1280x800");
    cmd.args(["sh", "-c"])
        .arg(format!(
            "trap '' XFSZ; ulimit -f 1; exec \"{}\" gui commons --ticks 5 --screenshot shot.png --exit",
            polity()
        ))
        .current_dir(t.path());
    let out = run_with_timeout(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: writing the screenshot shot.png: "), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["a-file"], "nothing written");
}

#[test]
fn a_recording_that_cannot_start_opens_no_window() {
    // Every reason a recording could not start is found before the window opens: exit status
    // 2, the reason, and nothing written. (The app used to open, fail to start the recording,
    // say so only in its status line, and with --exit wait for a recording that never came.)
    let t = tempfile::tempdir().unwrap();
    std::fs::write(t.path().join("old.gif"), "mine").unwrap();
    std::fs::create_dir(t.path().join("notes")).unwrap();
    std::fs::write(t.path().join("notes/todo.txt"), "mine").unwrap();
    std::fs::create_dir(t.path().join("frames")).unwrap();
    std::fs::write(t.path().join("frames/frame-000000.png"), "an earlier recording's").unwrap();
    let before = |t: &Path| {
        let mut names: Vec<_> = walk(t);
        names.sort();
        names
    };
    let files = before(t.path());
    for (record, says) in [
        ("old.gif", "old.gif: the file exists; Polity never replaces a file unless you pass --force"),
        ("video.txt", "video.txt: unknown extension `.txt`"),
        ("/proc/x.gif", "/proc/x.gif: cannot write in /proc: "),
        // The folder that cannot be made is named (it blamed /proc alone).
        ("/proc/nope/x.gif", "cannot write in /proc (to make the missing folder /proc/nope): "),
        ("notes/", "notes: the folder exists and is not a folder of frames written by `polity record`"),
        // (Frames without a frames.json of Polity's are the user's.)
        ("frames", "frames: the folder exists and is not a folder of frames written by `polity record`"),
    ] {
        let out = Command::new(polity())
            .args(["gui", "commons", "--record", record, "--record-frames", "5", "--exit"])
            .current_dir(t.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--record {record}: {stderr}");
        assert!(stderr.starts_with("error: --record ") && stderr.contains(says), "--record {record}: {stderr}");
        assert!(!stderr.contains(".polity-check"), "the probe's name is ours, not the user's: {stderr}");
        // The app's flag is --record (a hint said "choose a new --out").
        assert!(!stderr.contains("--out"), "--record {record}: {stderr}");
        assert_eq!(before(t.path()), files, "--record {record} changed the folder");
    }
    let out = Command::new(polity())
        .args(["gui", "commons", "--record", "new.gif", "--record-frames", "0", "--exit"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--record-frames"));
    assert_eq!(before(t.path()), files);
}

/// Every path under `dir`, relative to it.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p).into_iter().map(|q| Path::new(p.file_name().unwrap()).join(q)));
        }
        out.push(PathBuf::from(p.file_name().unwrap()));
    }
    out
}

#[test]
fn gui_help_lists_the_flags_with_examples() {
    let out = Command::new(polity()).args(["gui", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--seed",
        "--ticks",
        "--screenshot",
        "--exit",
        "Examples:",
        "polity gui commons --ticks 50",
        "xvfb-run",
        "--train",
        "--updates",
        "polity gui commons-learners --train",
    ] {
        assert!(help.contains(needle), "gui --help lacks {needle}:\n{help}");
    }
    let top = String::from_utf8_lossy(&Command::new(polity()).arg("--help").output().unwrap().stdout).into_owned();
    assert!(top.contains("polity gui"), "{top}");
}

#[test]
fn the_record_button_records_the_whole_window_with_the_recorders_encoder() {
    // `--record FILE --record-frames N --exit` presses Record at the start, plays, and stops
    // after N frames: the GIF must have N frames of the window's size, showing the panels, and
    // change over time as the world runs.
    let t = tempfile::tempdir().unwrap();
    let gif_path = t.path().join("window.gif");
    let (mut cmd, _x) = on_xvfb("1280x800");
    cmd.args([polity(), "gui", "commons", "--record"])
        .arg(&gif_path)
        .args(["--record-frames", "20", "--exit"])
        .current_dir(t.path());
    let out = run_with_timeout(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "polity gui --record failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("window recording (20 frames"), "{stdout}");
    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = options.read_info(std::fs::File::open(&gif_path).unwrap()).unwrap();
    let (w, h) = (decoder.width() as usize, decoder.height() as usize);
    assert_eq!((w, h), (1280, 720), "the window's size");
    let mut canvas = vec![0u8; w * h * 4];
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        // Frames after the first store only the rectangle that changed, with transparent
        // pixels where nothing did.
        let (fx, fy, fw) = (frame.left as usize, frame.top as usize, frame.width as usize);
        for (k, px) in frame.buffer.chunks(4).enumerate() {
            if px[3] != 0 {
                let at = ((fy + k / fw) * w + fx + k % fw) * 4;
                canvas[at..at + 4].copy_from_slice(px);
            }
        }
        frames.push(canvas.clone());
    }
    assert_eq!(frames.len(), 20);
    assert_ne!(frames[1], frames[19], "the world runs while it records");
    // The left panel (x < 250) is mostly egui's panel grey (as the GIF's fixed palette renders
    // it, a few levels off); the map shows apples.
    let px = |f: &[u8], x: usize, y: usize| [f[(y * w + x) * 4], f[(y * w + x) * 4 + 1], f[(y * w + x) * 4 + 2]];
    let last = &frames[19];
    let grey = (0..h).step_by(4).filter(|&y| near(px(last, 120, y), [27, 27, 27], 10)).count();
    assert!(grey * 4 > h / 2, "left panel grey in {grey} of {} rows", h / 4);
    let apple = rgb(polity::paint::palette::APPLE);
    let apples = (300..900)
        .step_by(2)
        .flat_map(|x| (100..600).step_by(2).map(move |y| (x, y)))
        .filter(|&(x, y)| near(px(last, x, y), apple, 12))
        .count();
    assert!(apples > 50, "apple pixels on the map: {apples}");
}

#[test]
fn a_recording_and_a_screenshot_are_both_written_and_an_interrupt_leaves_neither() {
    // `--record F --record-frames 20 --screenshot S --exit`: Bevy takes one screenshot of a
    // window a frame, so one of the two captures was skipped: the GIF had 5 frames (or the
    // PNG never came), and the app quit at the screenshot, status 0.
    let t = tempfile::tempdir().unwrap();
    let (mut cmd, _x) = on_xvfb("1280x720");
    cmd.args([polity(), "gui", "commons"])
        .args(["--record", "both.gif", "--record-frames", "20", "--screenshot", "both.png", "--exit"])
        .current_dir(t.path());
    let out = run_with_timeout(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("window recording (20 frames") && stdout.contains("wrote both.png"), "{stdout}");
    assert_eq!(Png::read(&t.path().join("both.png")).width, 1280);
    // A recording that stops in the frame the screenshot falls due (6 frames here): the
    // recording's last capture and the screenshot's own were two of one window in one frame,
    // the screenshot was skipped and `--exit` waited for it for ever. Each frame count around
    // that moment writes both and quits.
    for n in 3..=9 {
        let (gif, png) = (format!("n{n}.gif"), format!("n{n}.png"));
        let (mut cmd, _x) = on_xvfb("1280x720");
        cmd.args([polity(), "gui", "commons"])
            .args(["--record", &gif, "--record-frames", &n.to_string(), "--screenshot", &png, "--exit"])
            .current_dir(t.path());
        let out = run_with_timeout(cmd);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{n} frames: {stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        assert!(
            stdout.contains(&format!("window recording ({n} frames")) && stdout.contains(&format!("wrote {png}")),
            "{stdout}"
        );
    }

    // SIGINT while recording: status 130, and neither the GIF nor its staged file is left (the
    // app closed and its encoder finished the file, as if the recording had ended).
    let (mut cmd, _x) = on_xvfb("1280x720");
    let child = cmd
        .args([polity(), "gui", "commons"])
        .args(["--record", "cut.gif", "--record-frames", "5000", "--exit"])
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let staged = || {
        std::fs::read_dir(t.path()).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(".cut.gif"))
    };
    let started = Instant::now();
    while !staged() {
        assert!(started.elapsed() < TIMEOUT, "the recording never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let app = app_in(t.path()).expect("the app's process");
    assert!(Command::new("kill").args(["-INT", &app.to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("recording cut.gif: interrupted; nothing was written"), "{err}");
    let left: Vec<String> =
        std::fs::read_dir(t.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(!left.iter().any(|n| n.contains("cut.gif")), "{left:?}");
}

/// The app itself, not xvfb-run's shell: the process whose program is polity, in `dir`.
fn app_in(dir: &Path) -> Option<u32> {
    std::fs::read_dir("/proc").unwrap().flatten().filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok()).find(
        |pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
            exe.file_name().is_some_and(|n| n == "polity") && cwd == dir.canonicalize().unwrap()
        },
    )
}

#[test]
fn an_interrupt_stops_the_ticks_run_before_the_window_opens() {
    // `gui --ticks N` runs its ticks before the window opens; SIGINT was ignored until they
    // were done (minutes for a long run), then quit with 130. It stops them now, as it stops
    // `polity run`: status 130, no window, no screenshot.
    let t = tempfile::tempdir().unwrap();
    let (mut cmd, _x) = on_xvfb("1280x720");
    let child = cmd
        .args([polity(), "gui", "commons", "--ticks", "4000000000", "--screenshot", "late.png", "--exit"])
        .current_dir(t.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let app = loop {
        if let Some(pid) = app_in(t.path()) {
            break pid;
        }
        assert!(started.elapsed() < TIMEOUT, "the app never started");
        std::thread::sleep(Duration::from_millis(100));
    };
    std::thread::sleep(Duration::from_millis(700));
    assert!(Command::new("kill").args(["-INT", &app.to_string()]).status().unwrap().success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("stopped: interrupted by SIGINT or SIGTERM at tick ") && err.contains("of 4000000000"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(60), "stopped at once, not after the ticks");
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 0, "nothing written");
}

/// The number after `label` in `text` (a word of hex digits or a decimal).
fn field<'a>(text: &'a str, label: &str) -> &'a str {
    let at = text.find(label).unwrap_or_else(|| panic!("no `{label}` in:\n{text}")) + label.len();
    text[at..].split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap()
}

#[test]
fn a_run_watched_in_the_app_is_the_same_run_headless() {
    // Watching steers nothing: the app plays `commons` with the humans' power drawn from
    // Uniform(0, 2) (a slider shows such a group at its midpoint, off the slider's steps) while
    // it records 15 frames, then says where the world got to; `polity run` of the same file to
    // the same tick must end in the same state. (Before egui's sliders were told to leave a
    // value alone until moved, the first frame set every human's power to 1.0.)
    let t = tempfile::tempdir().unwrap();
    let commons = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/commons.ron")).unwrap();
    let mixed = commons.replacen("power: Fixed(1.0)", "power: Uniform(0.0, 2.0)", 1);
    assert_ne!(mixed, commons, "the humans' power is Fixed(1.0) in commons.ron");
    let file = t.path().join("mixed.ron");
    std::fs::write(&file, mixed).unwrap();
    let (mut cmd, _x) = on_xvfb("1280x800");
    cmd.args([polity(), "gui"])
        .arg(&file)
        .arg("--record")
        .arg(t.path().join("frames/"))
        .args(["--record-frames", "15", "--exit"])
        .current_dir(t.path());
    let out = run_with_timeout(cmd);
    let watched = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "polity gui failed:\n{watched}\n{}", String::from_utf8_lossy(&out.stderr));
    // The world waits at tick 0 until the recording starts, then runs one tick a frame: the
    // 15th frame shows tick 14, and that is the tick reported.
    let tick: u64 = field(&watched, "world at tick ").parse().unwrap();
    assert_eq!(tick, 14, "the last of 15 frames from tick 0: {watched}");
    let headless = Command::new(polity())
        .arg("run")
        .arg(&file)
        .args(["--ticks", &tick.to_string(), "--out"])
        .arg(t.path().join("run"))
        .output()
        .unwrap();
    let headless =
        format!("{}{}", String::from_utf8_lossy(&headless.stdout), String::from_utf8_lossy(&headless.stderr));
    assert_eq!(
        field(&watched, "state hash "),
        field(&headless, "state hash "),
        "tick {tick}: the app's world and polity run's differ\napp: {watched}\nrun: {headless}"
    );
}

#[test]
fn the_app_plays_a_trained_policy_given_with_policy() {
    // A policy file for `commons-learners`' group (a fresh network: what matters is that the
    // app reads it, plays it and draws the learners).
    let t = tempfile::tempdir().unwrap();
    let s = polity::scenario::load("commons-learners").unwrap();
    let header = polity::learn::play::header(&s, 0).unwrap();
    let file = t.path().join("learners.safetensors");
    std::fs::write(&file, polity::learn::net::Policy::init(header, 9).to_bytes().unwrap()).unwrap();
    let shot = t.path().join("shot.png");
    let (mut cmd, _x) = on_xvfb("1280x800");
    cmd.args([polity(), "gui", "commons-learners", "--ticks", "40"])
        .arg("--policy")
        .arg(format!("learners={}", file.display()))
        .arg("--screenshot")
        .arg(&shot)
        .arg("--exit")
        .current_dir(t.path());
    let out = run_with_timeout(cmd);
    assert!(out.status.success(), "{:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let ((w, h), (x0, y0, x1, y1)) = reported(&stdout);
    let png = Png::read(&shot);
    assert_eq!((png.width, png.height), (w, h));
    // The seven learners (humans, σ = 1) are drawn in the map area.
    let (human, _) = png.count((x0, y0, x1, y1), human_like);
    assert!(human >= 20, "learners drawn on the map: {human} human-coloured pixels");
    // Without --train there is no Learning section: none of its curves' colours on the right.
    let right = (x1 + 4, y0, w, h);
    let (curve, _) = png.count(right, |c| near(c, polity::app::CURVE_COLORS[0], 6));
    let (gini, _) = png.count(right, |c| near(c, polity::app::GINI_COLOR, 6));
    assert!(curve + gini < 5, "learning-curve colours without --train: {curve} and {gini} pixels");
}

/// `commons-learners` made small for tests: 50-tick episodes, one world per update, one pass.
fn small_learners(dir: &Path) -> PathBuf {
    let source = polity::scenario::builtin("commons-learners").unwrap().source;
    let old = "learning: (envs: 8, updates: 150, learning_rate: 0.0003, epochs: 3, minibatches: 4),";
    assert!(source.contains(old), "commons-learners' learning settings changed; update this test");
    let file = dir.join("small-learners.ron");
    std::fs::write(
        &file,
        source.replace(old, "learning: (episode_ticks: 50, envs: 1, updates: 2, epochs: 1, minibatches: 1),"),
    )
    .unwrap();
    file
}

#[test]
fn live_training_draws_the_learning_curves_and_writes_what_polity_train_writes() {
    let t = tempfile::tempdir().unwrap();
    let scenario = small_learners(t.path());
    let shot = t.path().join("shot.png");
    let (mut cmd, _x) = on_xvfb("1280x800");
    cmd.args([polity(), "gui"])
        .arg(&scenario)
        .args(["--train", "--updates", "2", "--out", "live", "--screenshot"])
        .arg(&shot)
        .arg("--exit")
        .current_dir(t.path());
    let out = run_with_timeout(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "polity gui --train failed ({:?}):\n{stdout}\n{stderr}", out.status);
    // The screenshot waited for both updates, and says so.
    assert!(
        stdout.contains("learning panel: 2 updates of commons-learners shown (update 2: learners return "),
        "{stdout}"
    );
    let ((w, h), (_, y0, x1, _)) = reported(&stdout);
    let png = Png::read(&shot);
    assert_eq!((png.width, png.height), (w, h));
    // The Learning section is drawn at the top of the right panel: the return curve's and the
    // Gini curve's colours (lines, points and legend) are there.
    let right = (x1 + 4, y0, w, h);
    let (curve, _) = png.count(right, |c| near(c, polity::app::CURVE_COLORS[0], 6));
    let (gini, _) = png.count(right, |c| near(c, polity::app::GINI_COLOR, 6));
    assert!(curve >= 30, "return-curve pixels in the right panel: {curve}");
    assert!(gini >= 30, "Gini-curve pixels in the right panel: {gini}");

    // --out wrote the training folder `polity train --out` writes, with the same weights.
    let out = Command::new(polity())
        .arg("train")
        .arg(&scenario)
        .args(["--updates", "2", "--out", "cli"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json = |dir: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(t.path().join(dir).join("train.json")).unwrap()).unwrap()
    };
    let (live, cli) = (json("live"), json("cli"));
    assert_eq!(live["updates_done"], 2);
    assert_eq!(live["policies"], cli["policies"], "the same weights as `polity train`");
    // All of it: `updates_asked` was 0, and a resume of the app's folder went on to 150.
    assert_eq!(live, cli, "the train.json `polity train` writes");
    assert_eq!(
        std::fs::read(t.path().join("live/learning.csv")).unwrap(),
        std::fs::read(t.path().join("cli/learning.csv")).unwrap()
    );
}

#[test]
fn train_without_learners_opens_no_window() {
    let t = tempfile::tempdir().unwrap();
    let shot = t.path().join("shot.png");
    let out = Command::new(polity())
        .args(["gui", "commons", "--train", "--screenshot", shot.to_str().unwrap(), "--exit"])
        .current_dir(t.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // The message `polity train` gives.
    let train = Command::new(polity()).args(["train", "commons", "--out", "t"]).current_dir(t.path()).output().unwrap();
    assert_eq!(train.status.code(), Some(2));
    let said = String::from_utf8_lossy(&train.stderr).into_owned();
    assert!(said.contains("scenario `commons` has no group to train"), "{said}");
    assert_eq!(stderr, said, "the same message as polity train");
    assert!(!shot.exists(), "no screenshot");
    // The training flags need --train; --ticks leaves the world paused, so the screenshot
    // would wait for ever.
    for args in [&["--updates", "2"][..], &["--envs", "1"], &["--out", "x"]] {
        let out = Command::new(polity()).args(["gui", "commons-learners"]).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--train"), "{args:?}");
    }
    let out = Command::new(polity())
        .args(["gui", "commons-learners", "--train", "--ticks", "5", "--screenshot", "s.png", "--exit"])
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("leave out --ticks"));
    let left: Vec<_> = std::fs::read_dir(t.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing written");
}

#[test]
fn a_live_training_waits_while_paused_and_stops_when_asked() {
    use polity::control::training::{LiveTrainer, TrainOptions, TrainerMessage};
    let t = tempfile::tempdir().unwrap();
    let s = polity::scenario::load(small_learners(t.path()).to_str().unwrap()).unwrap();
    let opts = TrainOptions { envs: None, updates: Some(2), out: None };
    let trainer = LiveTrainer::start(&s, 0, &opts, true).unwrap();
    assert_eq!((trainer.episode, trainer.envs, trainer.target), (50, 1, 2));
    // Paused: not a tick played.
    assert!(trainer.wait(Duration::from_millis(1500)).is_none());
    assert_eq!(trainer.tick(), 0);
    trainer.set_paused(false);
    let first = match trainer.wait(TIMEOUT) {
        Some(TrainerMessage::Update(f)) => f,
        other => panic!("expected an update, got {other:?}"),
    };
    assert_eq!(first.report.update, 1);
    assert!(first.steps_per_second > 0.0);
    // Paused again after the first update: the second waits. Its policies are a copy: the
    // weights sent do not change while the trainer goes on.
    trainer.set_paused(true);
    let hash = first.policies[0].as_ref().unwrap().hash();
    std::thread::sleep(Duration::from_millis(500));
    let tick = trainer.tick();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(trainer.tick(), tick, "paused: no ticks");
    assert!(trainer.poll().is_empty());
    trainer.set_paused(false);
    let second = match trainer.wait(TIMEOUT) {
        Some(TrainerMessage::Update(f)) => f,
        other => panic!("expected an update, got {other:?}"),
    };
    assert_eq!(second.report.update, 2);
    assert!(matches!(trainer.wait(TIMEOUT), Some(TrainerMessage::Done)));
    assert_eq!(first.policies[0].as_ref().unwrap().hash(), hash, "a snapshot, not shared weights");
    assert_ne!(second.policies[0].as_ref().unwrap().hash(), hash, "the second update changed the weights");

    // Stopping while paused ends the thread at once.
    let trainer = LiveTrainer::start(&s, 0, &TrainOptions::default(), true).unwrap();
    let started = Instant::now();
    trainer.stop();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(trainer.poll().is_empty());

    // A scenario without learners is refused, with `polity train`'s message.
    let commons = polity::scenario::load("commons").unwrap();
    let e = LiveTrainer::start(&commons, 0, &opts, true).unwrap_err();
    assert!(e.contains("has no group to train"), "{e}");
}
