//! `polity gui`: the desktop app (feature `gui`) on a scenario.

use std::path::PathBuf;

use super::{CliError, CliResult};

pub const AFTER_HELP: &str = "The window shows the world in the middle; run controls, the scenario picker, live
parameters (tax rates, each group's power), a legend and exports on the left; plots, the
agent inspector, the principal and election, and the event log on the right. Keys: Space
play/pause, → or N one tick, F fast-forward, + and − speed, R reset, Esc deselect, H hide or
show the panels; drag to pan, wheel to zoom, click an agent to inspect it. Exports go to exports/ (docs/app.md).

With --train the scenario's `Learned` groups train in the background as `polity train` trains
them (same seed, same updates): after each update the world on screen plays the newest
policy, starting a new episode at the episode's length, and the Learning section grows a
point. Pausing the app pauses training; closing it stops training (with --out, the folder
keeps the last finished update: `polity train --resume DIR` goes on).

With --ticks N the world runs N ticks as fast as possible before the window shows, then
waits paused; without it, the world runs from tick 0 at one tick per frame.

Exit status: 0 when the window closes (or the screenshot and recording are written, with
--exit), 2 for a bad scenario, bad arguments or an output that cannot be written or would
replace a file without --force (the problems are printed and no window opens), 1 if the
screenshot or recording failed while it was being written.

Examples:
  polity gui                              the default scenario (commons)
  polity gui sed-apple-picking --seed 3   a built-in scenario with seed 3
  polity gui my-world.ron                 your own file; it reloads when you save it
  polity gui tragedy --ticks 200 --select 3   run 200 ticks, then inspect agent 3
  polity gui commons --ticks 50 --screenshot shot.png --exit
                                          run 50 ticks, save a PNG of the window, quit
  xvfb-run -a polity gui commons --ticks 50 --screenshot shot.png --exit
                                          the same without a display (Xvfb, Mesa's Vulkan)
  polity gui commons-learners --train --envs 4 --out runs/live
                                          train while you watch: the world plays the newest
                                          policy; the Learning section draws each update's mean
                                          return, patches alive and Gini (docs/learning.md)";

/// `polity gui`'s arguments.
#[derive(clap::Args, Default)]
#[cfg_attr(not(feature = "gui"), allow(dead_code))]
pub struct GuiArgs {
    /// A built-in scenario name, a .ron file, or a run.json [default: commons]
    scenario: Option<String>,
    /// Seed for every random draw [default: the scenario's `run.seed`]
    #[arg(long)]
    seed: Option<u64>,
    /// Run this many ticks as fast as possible before showing the window, then pause
    #[arg(long)]
    ticks: Option<u64>,
    /// Save a PNG of the whole window (world and panels) once the ticks are done and the
    /// panels have laid out (a few frames); with --record the world plays on meanwhile, so
    /// it shows a later tick (the line written says which)
    #[arg(long, value_name = "FILE.png")]
    screenshot: Option<PathBuf>,
    /// Quit once the screenshot (and the recording, if any) is written
    #[arg(long)]
    exit: bool,
    /// Select this agent (by id) for the inspector at the start
    #[arg(long, value_name = "ID")]
    select: Option<u32>,
    /// Record the window (world and panels) from the start, playing the scenario, to a
    /// .gif, .mp4, .webm or a folder of PNG frames
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// Stop the recording after this many frames
    #[arg(long, value_name = "N", requires = "record", value_parser = clap::value_parser!(u64).range(1..))]
    record_frames: Option<u64>,
    /// Let --screenshot and --record replace existing files
    #[arg(long)]
    force: bool,
    /// Open with the side panels hidden, the map filling the window (H shows and hides
    /// them; for a small screen, or a screenshot or recording of the world alone)
    #[arg(long)]
    hide_panels: bool,
    /// Play the world for N frames with every panel open, print memory and frame times at
    /// each tenth to stderr, then quit (a soak test: docs/testing.md)
    #[arg(long, value_name = "N")]
    soak_frames: Option<u64>,
    /// With --soak-frames: ticks per frame (1 to 1000) [default: 1]
    #[arg(long, value_name = "K", requires = "soak_frames")]
    soak_ticks_per_frame: Option<u32>,
    #[command(flatten)]
    policies: super::PolicyArgs,
    /// Train the scenario's `Learned` groups with PPO in the background while the window
    /// runs: the world plays the newest policy, the Learning section draws the curves, and
    /// pausing the app pauses training
    #[arg(long)]
    train: bool,
    /// With --train: stop after this many updates [default: the scenario's `learning.updates`];
    /// --screenshot waits for them
    #[arg(long, value_name = "N", requires = "train", value_parser = clap::value_parser!(u32).range(1..))]
    updates: Option<u32>,
    /// With --train: worlds per update [default: the scenario's `learning.envs`]
    #[arg(long, value_name = "N", requires = "train")]
    envs: Option<u32>,
    /// With --train: write a training folder, as `polity train --out` does, after every
    /// update (must be new or empty) [default: nothing is written]
    #[arg(long, value_name = "DIR", requires = "train")]
    out: Option<PathBuf>,
}

impl GuiArgs {
    /// Opens the app; returns when its window closes.
    pub fn run(self) -> CliResult {
        if self.exit && self.screenshot.is_none() && self.record_frames.is_none() {
            return Err(CliError::input(
                "--exit needs --screenshot FILE or --record FILE --record-frames N, or the app would quit at once",
            ));
        }
        if self.exit && self.record.is_some() && self.record_frames.is_none() {
            return Err(CliError::input(
                "--exit with --record needs --record-frames N: a recording without it runs until the window closes, and --exit would cut it short\n    hint: add --record-frames N (the app quits once the screenshot and the recording are both written)",
            ));
        }
        if self.train && self.ticks.is_some() && self.screenshot.is_some() {
            return Err(CliError::input(
                "--train with --screenshot waits for the updates, which run only while the world runs, and --ticks leaves it paused\n    hint: leave out --ticks",
            ));
        }
        // A frames folder holds nothing but its frames (a later recording into it refused the
        // screenshot as someone else's file, and `ffmpeg -i frame-%06d.png` skipped it).
        if let (Some(shot), Some(record)) = (&self.screenshot, &self.record)
            && polity::record::encode::Output::parse(record)
                .is_ok_and(|o| o.format == polity::record::encode::Format::PngFolder)
        {
            let folder = polity::outputs::absolute(record).ok();
            let parent = polity::outputs::absolute(shot).ok().and_then(|p| p.parent().map(|p| p.to_path_buf()));
            if folder.is_some() && folder == parent {
                return Err(CliError::input(format_args!(
                    "--screenshot {}: inside the --record frames folder {}, which holds only its frame-NNNNNN.png files
    hint: put the screenshot beside the folder, e.g. --screenshot shot.png",
                    shot.display(),
                    record.display()
                )));
            }
        }
        super::train::check_envs(self.envs)?;
        self.open()
    }

    #[cfg(feature = "gui")]
    fn open(self) -> CliResult {
        // A bar on the terminal while `--ticks` run before the window opens (a long run showed
        // nothing for minutes), cleared once they are done.
        let bar =
            std::sync::Mutex::new(self.ticks.filter(|&n| n > 0).map(|n| super::progress::Progress::new(n, "ticks")));
        let progress = polity::app::TickProgress(std::sync::Arc::new(move |t, end| {
            let mut bar = bar.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(b) = bar.as_ref() {
                b.tick(t, end);
            }
            if t >= end {
                bar.take();
            }
        }));
        polity::app::run(polity::app::AppOptions {
            scenario: self.scenario,
            seed: self.seed,
            ticks: self.ticks,
            screenshot: self.screenshot,
            exit: self.exit,
            select: self.select,
            record: self.record,
            record_frames: self.record_frames,
            force: self.force,
            hide_panels: self.hide_panels,
            soak_frames: self.soak_frames,
            soak_ticks_per_frame: self.soak_ticks_per_frame,
            policies: self.policies.pairs()?,
            train: self.train.then(|| polity::control::training::TrainOptions {
                envs: self.envs,
                updates: self.updates,
                out: self.out.clone(),
            }),
            progress: Some(progress),
        })
        .map_err(|(code, message)| CliError { code, message })
    }

    #[cfg(not(feature = "gui"))]
    fn open(self) -> CliResult {
        Err(CliError::input(
            "this polity was built without the desktop app (the `gui` cargo feature)\n    hint: build it with the default features: `cargo build --release` (not `--no-default-features`), or add `--features gui`; `polity run` works without it",
        ))
    }
}
