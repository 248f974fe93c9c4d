//! `polity record`: a video of a scenario (or two side by side), painted on the CPU.

use std::path::PathBuf;
use std::time::Instant;

use polity::record::{self, Output, RecordError, RecordOptions};
use polity::{outputs, plural};

use super::{CliError, CliResult, Progress, load};

pub const AFTER_HELP: &str = "Each frame shows the world (painted as the desktop app does, on the CPU: no display
or GPU needed) and an overlay: the scenario's name, the tick, the elected p (with an
election), apples standing, patches alive, welfare, tax revenue and rates (with taxes), and
live plots of apples standing and welfare. Frame i shows the world after tick
min((i + 1) × --ticks-per-frame, ticks), so there are ⌈ticks / ticks-per-frame⌉ frames and the
last shows the last tick.

Formats, by --out: .gif (pure Rust, always available), a folder (no extension, or ending in
/) of frame-000000.png, frame-000001.png, …, and .mp4 (H.264) or .webm (VP9) through ffmpeg
(Debian: apt-get install ffmpeg). The same inputs give the same frames, and byte-identical
GIF and PNG files. The output appears only when the recording is complete.

Examples:
  polity record commons --ticks 300 --out commons.gif
  polity record sed-apple-picking --ticks 2000 --ticks-per-frame 4 --out sed.mp4
  polity record revenue-max --compare shielded-revenue-max --ticks 300 --out cmp.gif
  polity record commons --ticks 100 --size 1280x720 --out frames/   numbered PNG frames";

/// `polity record`'s arguments.
#[derive(clap::Args)]
pub struct RecordArgs {
    /// A built-in scenario name, a .ron file, or a run.json [default: commons]
    scenario: Option<String>,
    /// FILE.gif, FILE.mp4, FILE.webm, or a folder for PNG frames [default: runs/NAME-seedS.gif,
    /// with --compare runs/NAME-vs-OTHER-seedS.gif]; an existing file or folder of frames is
    /// replaced only with --force (docs/outputs.md)
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Ticks to record [default: the scenario's `run.ticks`]
    #[arg(long)]
    ticks: Option<u64>,
    /// Ticks between frames
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    ticks_per_frame: u64,
    /// Frames per second of the video, 1 to 120 (at most 50 for .gif)
    #[arg(long, value_name = "F", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=120))]
    fps: u32,
    /// Frame size in pixels, from 160x90 to 7680x4320 (even sides for .mp4 and .webm); the world
    /// is scaled to fit
    #[arg(long, value_name = "WxH", default_value = "960x540")]
    size: record::Size,
    /// Seed for every random draw [default: the scenario's `run.seed`]
    #[arg(long)]
    seed: Option<u64>,
    /// Record this scenario too, side by side, over the same seed (--policy plays in both,
    /// --policy-b in OTHER alone)
    #[arg(long, value_name = "OTHER")]
    compare: Option<String>,
    #[command(flatten)]
    policies: super::PolicyArgs,
    /// With --compare: play a trained policy for a group of OTHER alone, GROUP=FILE (so
    /// `record X --compare X --policy-b g=FILE` shows untrained beside trained)
    #[arg(long = "policy-b", value_name = "GROUP=FILE", requires = "compare")]
    policy_b: Vec<String>,
    /// Replace the output if it exists (Polity never replaces a file without it; docs/outputs.md)
    #[arg(long)]
    force: bool,
}

impl RecordArgs {
    /// Records the video and prints what was written.
    pub fn run(self) -> CliResult {
        let scenarios = match &self.compare {
            // (`--policy` played in the first half alone, and nothing said which.)
            Some(other) => {
                let a_arg = self.scenario.as_deref().unwrap_or(polity::scenario::default_scenario().name);
                let (a, b) = self.policies.apply_to_both(
                    &self.policy_b,
                    (load(self.scenario.as_deref())?, a_arg),
                    (load(Some(other))?, other),
                )?;
                vec![a, b]
            }
            None => vec![self.policies.apply(load(self.scenario.as_deref())?)?],
        };
        let first = &scenarios[0];
        let opts = RecordOptions {
            ticks: self.ticks.unwrap_or(first.run.ticks),
            ticks_per_frame: self.ticks_per_frame,
            fps: self.fps,
            size: self.size,
            seed: self.seed.unwrap_or(first.run.seed),
        };
        if opts.ticks == 0 {
            return Err(CliError::input("--ticks 0 records nothing; ask for at least 1 tick"));
        }
        // Both halves play one seed and one length: say so when the second's own differ.
        if let Some(second) = scenarios.get(1) {
            let (seed, ticks) = (second.run.seed, second.run.ticks);
            let mut own = Vec::new();
            if self.seed.is_none() && seed != opts.seed {
                own.push(format!("seed {seed}"));
            }
            if self.ticks.is_none() && ticks != opts.ticks {
                own.push(plural(ticks, "tick"));
            }
            if !own.is_empty() {
                // Two halves of one name are told apart by side.
                let (a, b) = if second.name == first.name {
                    (format!("the right half (`{}`)", second.name), "the left half's".to_string())
                } else {
                    (format!("`{}`", second.name), format!("`{}`'s", first.name))
                };
                polity::tell_err!(
                    "note: {a} is recorded with {b} seed {} and {} (its own: {}); --seed and --ticks set both",
                    opts.seed,
                    plural(opts.ticks, "tick"),
                    own.join(", ")
                );
            }
        }
        let (size, fps) = (opts.size, opts.fps);
        let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
        let stems: Vec<String> = names.iter().map(|n| outputs::file_stem(n)).collect();
        let out =
            self.out.unwrap_or_else(|| PathBuf::from(format!("runs/{}-seed{}.gif", stems.join("-vs-"), opts.seed)));
        let output = Output { force: self.force, ..Output::parse(&out).map_err(CliError::input)? };
        // Never written over: the scenario files read and the policy files played.
        let weights = super::played_files(&scenarios.iter().collect::<Vec<_>>());
        let inputs: Vec<&std::path::Path> = [self.scenario.as_deref(), self.compare.as_deref()]
            .into_iter()
            .flatten()
            .map(std::path::Path::new)
            .chain(weights.iter().map(PathBuf::as_path))
            .filter(|p| p.is_file())
            .collect();
        outputs::not_an_input(&out, &inputs).map_err(|e| CliError::input(e.0))?;
        let bar = Progress::new(opts.frames(), "frames");
        let started = Instant::now();
        let result = polity::parallel::on_pool(|| record::record(&scenarios, &opts, &output, |f| bar.set(f)));
        bar.finish();
        let frames = match result {
            Ok(frames) => frames,
            Err(RecordError::Input(e)) => return Err(CliError::input(e)),
            Err(RecordError::Io(e)) => return Err(CliError::io(&format!("recording {}", out.display()), &e)),
        };
        let secs = started.elapsed().as_secs_f64();
        // A short video's length in its own decimals (one frame at 30 fps said "0.0 s"), and a
        // slow rate as the time a frame took ("1 frames/s").
        let video = opts.seconds();
        let video = if video < 0.1 { format!("{video:.3}") } else { format!("{video:.1}") };
        let rate = frames as f64 / secs.max(1e-9);
        let rate = if rate < 10.0 {
            format!("{} a frame", polity::cost::duration(secs / frames.max(1) as f64))
        } else {
            format!("{rate:.0} frames/s")
        };
        say!(
            "{} · seed {} · {} → {} of {size} at {fps} fps ({video} s of video) in {secs:.2} s ({rate})",
            names.join(" vs "),
            opts.seed,
            plural(opts.ticks, "tick"),
            plural(frames, "frame"),
        );
        // Which trained policies the video shows (a scenario's own `weights` or --policy).
        for (s, side) in scenarios.iter().zip(["", " (the second)"]) {
            super::say_played(s, side);
        }
        if output.format == record::encode::Format::PngFolder && frames == 1 {
            say!(
                "  wrote {}/{{{},{}}}",
                out.display().to_string().trim_end_matches('/'),
                record::encode::frame_name(0),
                record::encode::FRAMES_RECORD
            );
        } else if output.format == record::encode::Format::PngFolder {
            say!(
                "  wrote {}/{{{} … {},{}}}",
                out.display().to_string().trim_end_matches('/'),
                record::encode::frame_name(0),
                record::encode::frame_name(frames.saturating_sub(1)),
                record::encode::FRAMES_RECORD
            );
        } else {
            let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
            say!("  wrote {} ({})", out.display(), polity::cost::size(bytes));
        }
        Ok(())
    }
}
