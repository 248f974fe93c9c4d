//! Output safety: where Polity may write, and how it replaces only what it can prove it wrote.
//!
//! The rules (docs/outputs.md says them for users):
//!
//! - Output paths are resolved to absolute paths first ([`resolve`]); the working folder, any
//!   folder above it and the root are refused, and so is a symbolic link as the output itself.
//! - A run folder is replaced only if its `run.json` is Polity's and the folder holds nothing
//!   but the files that `run.json` lists, each unchanged since written (their hashes are in
//!   `run.json`: [`inspect_run_folder`]). The proof is repeated
//!   immediately before the replacement ([`install_folder`]); the old folder is moved aside
//!   before the new one moves in, then its listed files are deleted one by one and the folder
//!   removed non-recursively. Nothing here removes a folder recursively.
//! - Single files are written to a temporary file beside the target, flushed and renamed
//!   ([`write_file`]); an existing file is replaced only with `--force` ([`check_file`]).
//! - Work in progress lives in hidden staging beside its target, named with the process id
//!   and a check code of the name ([`staging_path`]: `.NAME.partial-PID-CODE`); it is removed
//!   when the work fails or is interrupted (SIGINT, SIGTERM: [`catch_interrupts`]), and
//!   staging left by a process that no longer exists (a SIGKILL) is removed by the next run
//!   into the same place — only where its name's code holds, so a file or folder a person
//!   named like Polity's staging (`.NAME.partial-99999`) is never taken for it.

use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

// --- interruption -------------------------------------------------------------------------

/// What this process has staged and would remove on failure: the staging folders and files
/// of [`Staging`] and the temporary files of [`write_file`], each with its `is_ours`. A second
/// signal removes them before the process ends.
static STAGED: Mutex<Vec<(PathBuf, IsOurs)>> = Mutex::new(Vec::new());

/// Whether a file name in a staging folder is one Polity writes there.
type IsOurs = fn(&str) -> bool;

/// Files a second signal removes as it ends the process, where their owner's `Drop` would
/// have removed them had the process ended normally (a training's `train.lock`), and folders
/// it removes after them if they are empty then (the folder a new training made).
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A second signal ([`catch_interrupts`]) removes `path` as it ends the process: a file, or a
/// folder if it is empty once the files are removed.
pub fn remove_at_a_second_signal(path: &Path) {
    lock(&HELD).push(path.to_path_buf());
}

/// Undoes [`remove_at_a_second_signal`]: its owner removes `path` itself, or keeps it.
pub fn keep_at_a_second_signal(path: &Path) {
    lock(&HELD).retain(|p| p != path);
}

/// Held while a finished folder moves into place ([`install_folder`]): a second signal waits
/// for the move to finish rather than leave the old folder aside.
static MOVING: Mutex<()> = Mutex::new(());

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `create`, which makes something this process stages (a folder, a file) and returns
/// it with its path, while holding the registry ([`STAGED`]), and registers that path with
/// `is_ours`. A second signal holds the registry from the moment it starts removing until the
/// process ends, so nothing is created after its removal (a folder it removed is not made
/// again by a write into it), and nothing it should remove is left unregistered.
fn create_staged<T>(is_ours: IsOurs, create: impl FnOnce() -> io::Result<(T, PathBuf)>) -> io::Result<T> {
    let mut staged = lock(&STAGED);
    let (made, path) = create()?;
    staged.push((path, is_ours));
    Ok(made)
}

/// `path` is no longer staged: moved into place, kept on purpose, or removed.
fn unstage(path: &Path) {
    lock(&STAGED).retain(|(p, _)| p != path);
}

/// Exit status of a command stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT: u8 = 130;

/// Installs a SIGINT/SIGTERM handler: the first signal asks long work (runs, recordings,
/// sweeps) to stop at its next tick, frame or run and clean up its staging; a second signal
/// ends the process at once, after removing what it has staged and the files held for
/// removal (a folder being moved into place gets there first; a checkpointed run's staging is
/// kept once it holds a checkpoint, to resume).
pub fn catch_interrupts() {
    install_handler(false);
}

/// [`catch_interrupts`] for a command that works first and writes its files at the end
/// (`sum`, `oversight`, `optimal`): the first signal ends it at once, with status 130, as a
/// second would end the others. Its files are moved into place all or none
/// ([`write_files`]): a signal during the moves waits for them, and the message says
/// whether the files were written.
pub fn catch_interrupts_at_once() {
    install_handler(true);
}

/// What the first signal says at once, where the work takes a while to stop ([`note_on_first_signal`]).
static FIRST_SIGNAL_NOTE: Mutex<Option<&'static str>> = Mutex::new(None);

/// Has the first SIGINT or SIGTERM say `note` at once: a training finishes the update under
/// way before it stops, seconds later, and a first Ctrl-C got no reply until then.
pub fn note_on_first_signal(note: &'static str) {
    *lock(&FIRST_SIGNAL_NOTE) = Some(note);
}

/// Whether [`write_files`] has moved its files into place (for the message of a signal that
/// came after).
static WROTE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn install_handler(at_once: bool) {
    static FIRST: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let _ = ctrlc::set_handler(move || {
        let now = std::time::Instant::now();
        // A new line ends a progress bar's on a terminal; in a log it was a blank line.
        let nl = if std::io::IsTerminal::is_terminal(&std::io::stderr()) { "\n" } else { "" };
        if at_once {
            let _held = remove_unfinished();
            crate::tell_err!(
                "{nl}stopped: interrupted by SIGINT or SIGTERM; {}",
                if WROTE.load(std::sync::atomic::Ordering::SeqCst) {
                    "its files had been written"
                } else {
                    "nothing was written"
                }
            );
            std::process::exit(i32::from(INTERRUPTED_EXIT));
        }
        if !crate::stop::request() {
            let _ = FIRST.set(now);
            if let Some(note) = *lock(&FIRST_SIGNAL_NOTE) {
                crate::tell_err!("{nl}{note}");
            }
        } else if !same_interrupt(FIRST.get().copied(), now) {
            let _held = remove_unfinished();
            crate::tell_err!(
                "{nl}stopped at once (a second interrupt): unfinished output removed; finished work (a training's \
                 updates, a sweep's runs, a run's checkpoints) is kept"
            );
            std::process::exit(i32::from(INTERRUPTED_EXIT));
        }
    });
}

/// Removes what this process has staged and the files held for removal (then their folders,
/// if empty), as a signal ends the process: a folder being moved into place gets there first.
/// The locks come back held, to be held until the process ends, so nothing is staged or
/// moved after the removal.
fn remove_unfinished() -> impl Sized {
    let moving = lock(&MOVING);
    let staged = lock(&STAGED);
    for (path, is_ours) in staged.iter() {
        let _ = remove_staged(path, *is_ours);
    }
    let held = lock(&HELD);
    for path in held.iter().filter(|p| !p.is_dir()) {
        let _ = std::fs::remove_file(path);
    }
    for path in held.iter().filter(|p| p.is_dir()) {
        let _ = std::fs::remove_dir(path);
    }
    (moving, staged, held)
}

/// Signals this close after the first are the first one delivered twice, not a second
/// interrupt: GNU `timeout` sends its signal to the process and then to its process group,
/// and a Ctrl-C pressed twice comes far slower.
const SAME_INTERRUPT: std::time::Duration = std::time::Duration::from_millis(200);

/// Whether a signal at `now` is the first one (at `first`) delivered again ([`SAME_INTERRUPT`]).
fn same_interrupt(first: Option<std::time::Instant>, now: std::time::Instant) -> bool {
    first.is_some_and(|t| now.saturating_duration_since(t) < SAME_INTERRUPT)
}

/// Whether SIGINT or SIGTERM has asked the process to stop.
pub fn interrupted() -> bool {
    crate::stop::requested()
}

/// `Err(Interrupted)` once SIGINT or SIGTERM has asked the process to stop.
pub fn check_interrupt() -> io::Result<()> {
    if interrupted() {
        Err(io::Error::new(
            io::ErrorKind::Interrupted,
            "interrupted by SIGINT or SIGTERM; the unfinished output was removed",
        ))
    } else {
        Ok(())
    }
}

// --- paths --------------------------------------------------------------------------------

/// An output Polity refuses to write, found before any work starts (exit status 2).
#[derive(Clone, Debug, PartialEq)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Where the output rules are explained.
pub const RULES: &str = "docs/outputs.md";

/// `path` made absolute: `.` and `..` resolved (through the links of the folders that exist)
/// and the folders that exist canonicalised; the last component is kept as written, so a link
/// there is seen as a link, not followed.
pub fn absolute(path: &Path) -> io::Result<PathBuf> {
    let joined = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir()?.join(path) };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if let Ok(real) = fs::canonicalize(&out) {
                    out = real;
                }
                out.pop();
            }
            other => out.push(other),
        }
    }
    let Some(name) = out.file_name().map(|n| n.to_os_string()) else {
        return Ok(out); // the root
    };
    let mut parent = out.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut tail = Vec::new();
    while !parent.as_os_str().is_empty() && fs::symlink_metadata(&parent).is_err() {
        tail.push(parent.file_name().map(|n| n.to_os_string()).unwrap_or_default());
        if !parent.pop() {
            break;
        }
    }
    let mut real = fs::canonicalize(&parent).unwrap_or(parent);
    real.extend(tail.into_iter().rev());
    real.push(name);
    Ok(real)
}

/// The longest output name (in bytes) whose staging name (`.NAME.partial-PID-CODE`: a dot, 9
/// bytes, a process id of up to 7 digits, a dash and 8 hex digits, 26 bytes in all) is still
/// a legal file name of at most 255 bytes: a longer `--out` did all its work and then failed
/// with "File name too long".
pub const MAX_OUTPUT_NAME: usize = 255 - 26;

/// Resolves an output path ([`absolute`]) and refuses the working folder, any folder above it
/// (the root included) and a path whose last component is a symbolic link.
pub fn resolve(path: &Path) -> Result<PathBuf, Refused> {
    resolve_because(
        path,
        "Polity never writes its outputs into the folder you run it from or one above it, since replacing it could delete your files",
    )
}

/// [`resolve`], saying `why` a folder is refused.
fn resolve_because(path: &Path, why: &str) -> Result<PathBuf, Refused> {
    // A newline or a tab in a name was written into every message and file list as it is,
    // splitting them (and the file is awkward to name in a shell).
    if path.to_string_lossy().chars().any(char::is_control) {
        return Err(Refused(format!(
            "{:?}: holds a control character (a newline, a tab, …); Polity names its outputs with printable \
             characters only\n    hint: give a name without it",
            path.as_os_str()
        )));
    }
    let shown = path.display();
    let abs = absolute(path).map_err(|e| Refused(format!("{shown}: cannot resolve the path: {e}")))?;
    let cwd = std::env::current_dir().and_then(fs::canonicalize).unwrap_or_default();
    if abs.parent().is_none() || cwd.starts_with(&abs) {
        let which = if abs == cwd {
            "is the working folder".to_string()
        } else if abs.parent().is_none() {
            "is the root folder".to_string()
        } else {
            format!("is a folder above the working folder ({})", cwd.display())
        };
        return Err(Refused(format!(
            "{shown}: {which}; {why}\n    hint: name a new folder for the output, e.g. `--out runs/NAME` (the rules: {RULES})"
        )));
    }
    let name = abs.file_name().map_or(0, |n| n.len());
    if name > MAX_OUTPUT_NAME {
        return Err(Refused(format!(
            "{shown}: its name is {name} bytes long; Polity writes an output through a hidden staging name {} bytes \
             longer beside it, and a file name can be at most 255 bytes\n    hint: use a name of at most \
             {MAX_OUTPUT_NAME} bytes",
            255 - MAX_OUTPUT_NAME
        )));
    }
    if fs::symlink_metadata(&abs).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Refused(format!(
            "{shown}: is a symbolic link; Polity writes no output through a link (it would change the file the link \
             points to)\n    hint: name the real location, or another name (the rules: {RULES})"
        )));
    }
    Ok(abs)
}

/// A name made into one safe file-name component ([`crate::scenario::file_stem`]).
pub use crate::scenario::file_stem;

pub use crate::scenario::name_problem;

// --- folders Polity owns ------------------------------------------------------------------

/// What stands where an output folder is to go.
#[derive(Clone, Debug, PartialEq)]
pub enum Existing {
    /// Nothing.
    Absent,
    /// An empty folder.
    Empty,
    /// A folder of Polity's: the names of the files in it, all written by Polity.
    Owned(Vec<String>),
}

/// What a folder's own record says of its files.
struct Proof {
    /// The names of the files Polity writes there.
    ours: Vec<String>,
    /// Of those, the ones changed since Polity wrote them; `None` when that cannot be told.
    changed: Option<Vec<String>>,
}

/// The run folder's files when its `run.json` is Polity's: it has every field Polity writes
/// (`polity_version`, `scenario_name`, `seed`, `ticks`, a 16-digit `state_hash`, `scenario`)
/// and lists exactly the outputs a run writes ([`crate::run_json::OUTPUTS`]). Then the
/// folder's files are that list and `run.json`, and its hashes say which were changed since.
fn run_json_files(dir: &Path) -> Option<Proof> {
    let text = fs::read_to_string(dir.join("run.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("polity_version")?.as_str()?;
    v.get("scenario_name")?.as_str()?;
    v.get("seed")?.as_u64()?;
    v.get("ticks")?.as_u64()?;
    v.get("scenario")?.as_object()?;
    let hash = v.get("state_hash")?.as_str()?;
    if hash.len() != 16 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut listed: Vec<&str> = v.get("outputs")?.as_array()?.iter().map(|f| f.as_str()).collect::<Option<_>>()?;
    listed.sort_unstable();
    let mut ours = crate::run_json::OUTPUTS.to_vec();
    ours.sort_unstable();
    if listed != ours {
        return None;
    }
    Some(Proof {
        ours: std::iter::once("run.json").chain(ours).map(String::from).collect(),
        changed: crate::run_json::changed_files(dir, &text),
    })
}

/// Inspects `dir` with `owned`, which says which of the folder's files Polity wrote and which
/// of them changed since (or `None` when the folder carries no proof at all). Every entry must
/// be a plain file Polity wrote, unchanged: folders, links, other files and changed files make
/// the folder the user's.
fn inspect(dir: &Path, owned: impl Fn(&Path) -> Option<Proof>, what: &str, record: &str) -> Result<Existing, Refused> {
    let shown = dir.display();
    let meta = match fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Existing::Absent),
        Err(e) => return Err(Refused(format!("{shown}: cannot create the folder there: {e}"))),
    };
    if meta.file_type().is_symlink() {
        return Err(Refused(format!(
            "{shown}: is a symbolic link; Polity writes no output through a link\n    hint: name the real folder, or a new one"
        )));
    }
    if !meta.is_dir() {
        return Err(Refused(format!(
            "{shown}: is {}, not a folder; choose another --out",
            what_it_is(meta.file_type())
        )));
    }
    if mount_point(dir, &meta) {
        return Err(Refused(format!(
            "{shown}: is a mount point (another file system is mounted there); an output folder is moved into \
             place whole, which a mount point cannot take\n    hint: write into a folder inside it, e.g. `--out \
             {}`",
            dir.join("run").display()
        )));
    }
    let entries: Vec<fs::DirEntry> = fs::read_dir(dir)
        .and_then(|d| d.collect::<io::Result<Vec<_>>>())
        .map_err(|e| Refused(format!("{shown}: cannot read the folder: {e}")))?;
    if entries.is_empty() {
        return Ok(Existing::Empty);
    }
    let proof = owned(dir);
    let ours = proof.as_ref().map(|p| p.ours.clone()).unwrap_or_default();
    let mut present = Vec::new();
    let mut foreign = Vec::new();
    // What the one foreign entry is, when there is one (`a folder`, not "a file").
    let mut kind = "a file";
    for e in &entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let plain = e.file_type().is_ok_and(|t| t.is_file());
        if plain && ours.contains(&name) {
            present.push(name);
        } else {
            kind = e.file_type().map_or("a file", what_it_is);
            foreign.push(name);
        }
    }
    let listed = |names: &[String]| {
        let shown: Vec<String> = names.iter().take(5).map(|f| format!("`{f}`")).collect();
        format!("{}{}", shown.join(", "), if names.len() > 5 { ", …" } else { "" })
    };
    if !foreign.is_empty() {
        foreign.sort();
        let n = foreign.len();
        let why = match proof {
            None => format!("the folder exists and is not {what}: it holds {}", listed(&foreign)),
            Some(_) => format!(
                "the folder holds {} that Polity did not write ({})",
                if n == 1 { kind.to_string() } else { format!("{n} files or folders") },
                listed(&foreign)
            ),
        };
        return Err(Refused(format!(
            "{shown}: {why}; refusing to replace it\n    hint: choose another --out, or move {} out of the folder \
             first (the rules: {RULES})",
            if n == 1 { "it" } else { "them" }
        )));
    }
    present.sort();
    match proof.and_then(|p| p.changed) {
        Some(changed) if changed.is_empty() => Ok(Existing::Owned(present)),
        Some(mut changed) => {
            changed.sort();
            let n = changed.len();
            Err(Refused(format!(
                "{shown}: {} changed since Polity wrote {} (the hashes in its {record} no longer match); \
                 refusing to replace the folder\n    hint: choose another --out, or move {} out of the folder \
                 first (the rules: {RULES})",
                listed(&changed),
                if n == 1 { "it" } else { "them" },
                if n == 1 { "that file" } else { "those files" },
            )))
        }
        None => Err(Refused(format!(
            "{shown}: its {record} keeps no hashes of the folder's files (an older Polity wrote it), so \
             changes made to them since cannot be ruled out; refusing to replace the folder\n    hint: choose \
             another --out, or delete the folder yourself once nothing in it is yours (the rules: {RULES})"
        ))),
    }
}

/// Whether the folder `dir` (its metadata `meta`) is a mount point: on another device than the
/// folder above it (Unix; never elsewhere).
fn mount_point(dir: &Path, meta: &fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        dir.parent().and_then(|p| fs::metadata(p).ok()).is_some_and(|p| p.dev() != meta.dev())
    }
    #[cfg(not(unix))]
    {
        let _ = (dir, meta);
        false
    }
}

/// What stands at a run folder's place: nothing, an empty folder, or a run folder that Polity
/// wrote (its `run.json` is Polity's, lists every other file in it, and each file's hash in it
/// still matches).
pub fn inspect_run_folder(dir: &Path) -> Result<Existing, Refused> {
    inspect(dir, run_json_files, "a Polity run folder (no run.json of Polity's)", "run.json")
}

/// Like [`inspect_run_folder`] for a folder of PNG frames: Polity's when its `frames.json`
/// is Polity's and lists every other file in it (`frame-NNNNNN.png` files), each unchanged.
/// (Files of the same names without that record are not taken for frames: the user's own
/// `frame-000001.png`, ffmpeg's way of naming frames, were deleted by `--force`.)
pub fn inspect_frames_folder(dir: &Path) -> Result<Existing, Refused> {
    use crate::record::encode::{FRAMES_RECORD, is_frame_name};
    let frames = |d: &Path| -> Option<Proof> {
        let text = fs::read_to_string(d.join(FRAMES_RECORD)).ok()?;
        let v: serde_json::Value = serde_json::from_str(&text).ok()?;
        v.get("polity_version")?.as_str()?;
        let n = v.get("frames")?.as_u64()?;
        let mut ours: Vec<String> = v.get("hashes")?.as_object()?.keys().cloned().collect();
        if ours.len() as u64 != n + 1 || !ours.iter().all(|f| f == FRAMES_RECORD || is_frame_name(f)) {
            return None;
        }
        ours.sort();
        Some(Proof { changed: crate::run_json::changed_in(d, &text, FRAMES_RECORD), ours })
    };
    inspect(dir, frames, "a folder of frames written by `polity record` (no frames.json of Polity's)", FRAMES_RECORD)
}

/// The outcome of [`install_folder`] when the new folder went in but the old one could not be
/// removed whole: where what was left of it now is, and why it was left.
pub type Leftover = Option<(PathBuf, String)>;

/// Why a finished output could not be put in place.
#[derive(Debug)]
pub enum InstallError {
    /// The place changed while the work ran and now holds files Polity did not write; the
    /// finished output was kept at the given path instead.
    Changed(Refused, PathBuf),
    /// Moving files failed.
    Io(io::Error),
}

impl std::fmt::Display for InstallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InstallError::Changed(why, kept) => {
                write!(f, "{why}\n    the finished output was kept in {} instead", kept.display())
            }
            InstallError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<io::Error> for InstallError {
    fn from(e: io::Error) -> Self {
        InstallError::Io(e)
    }
}

impl From<InstallError> for io::Error {
    fn from(e: InstallError) -> Self {
        match e {
            InstallError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        }
    }
}

/// A free, visible name beside `dest`: `NAME-SUFFIX`, `NAME-SUFFIX-2`, …
fn free_sibling(dest: &Path, suffix: &str) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let first = dest.with_file_name(format!("{name}-{suffix}"));
    if fs::symlink_metadata(&first).is_err() {
        return first;
    }
    (2u32..)
        .map(|k| dest.with_file_name(format!("{name}-{suffix}-{k}")))
        .find(|p| fs::symlink_metadata(p).is_err())
        .expect("some name is free")
}

/// Moves the finished folder `stage` into place as `dest`. What stands at `dest` is inspected
/// again now ([`inspect_run_folder`] or [`inspect_frames_folder`] as `inspect`): an earlier
/// folder of Polity's is moved aside, the new one moved in, and the old one's files deleted one
/// by one, then the old folder removed (non-recursively). If `dest` now holds anything Polity
/// did not write, nothing there is touched and the finished output is kept beside it.
pub fn install_folder(
    stage: &Path,
    dest: &Path,
    inspect: impl Fn(&Path) -> Result<Existing, Refused>,
) -> Result<Leftover, InstallError> {
    let _moving = lock(&MOVING);
    // Other processes finishing into the same place wait while this one inspects and moves
    // (four runs into one --out raced: one moved the old folder aside under another, which
    // then failed with "No such file or directory"); each then replaces the one before, as
    // runs one after another would.
    let _others = lock_folder_of(dest);
    let keep_instead = |why: Refused| -> InstallError {
        let kept = free_sibling(dest, "new");
        match fs::rename(stage, &kept) {
            Ok(()) => InstallError::Changed(why, kept),
            Err(_) => InstallError::Changed(why, stage.to_path_buf()),
        }
    };
    match inspect(dest) {
        Err(why) => Err(keep_instead(why)),
        Ok(Existing::Absent) => {
            if let Some(parent) = dest.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::rename(stage, dest).map_err(|e| {
                if dest.exists() {
                    keep_instead(Refused(format!("{}: appeared while the work ran", dest.display())))
                } else {
                    e.into()
                }
            })?;
            Ok(None)
        }
        Ok(Existing::Empty) => {
            // Non-recursive: fails if anything was put there since the inspection.
            if fs::remove_dir(dest).is_err() {
                return Err(keep_instead(Refused(format!("{}: is no longer empty", dest.display()))));
            }
            fs::rename(stage, dest)?;
            Ok(None)
        }
        Ok(Existing::Owned(files)) => {
            let aside = staged_name(dest, Stage::Old, std::process::id());
            fs::rename(dest, &aside)?;
            if let Err(e) = fs::rename(stage, dest) {
                let _ = fs::rename(&aside, dest);
                return Err(e.into());
            }
            // The old folder's files, `run.json` last: what is left after a failure still
            // says what it was.
            let mut failed = None;
            let (record, rest): (Vec<&String>, Vec<&String>) = files.iter().partition(|f| *f == "run.json");
            for f in rest.into_iter().chain(record) {
                match fs::remove_file(aside.join(f)) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        failed = Some(format!("{f} could not be deleted: {e}"));
                        break;
                    }
                    _ => {}
                }
            }
            if failed.is_none() && fs::remove_dir(&aside).is_ok() {
                return Ok(None);
            }
            // A file that would not go, or something put into the old folder after the
            // inspection: what is left is kept, visibly.
            let why = failed.unwrap_or_else(|| "files were put into it while it was being replaced".into());
            let left = free_sibling(dest, "old");
            Ok(Some((if fs::rename(&aside, &left).is_ok() { left } else { aside }, why)))
        }
    }
}

/// An exclusive lock on the folder that holds `dest` (`flock` of the folder itself, so nothing
/// is written there), held until the file it returns drops: outputs finishing into one folder
/// move in one at a time across processes. `None` where the folder cannot be locked (then
/// nothing waits).
fn lock_folder_of(dest: &Path) -> Option<fs::File> {
    let parent = dest.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let folder = fs::File::open(parent).ok()?;
    folder.lock().ok()?;
    Some(folder)
}

// --- staging ------------------------------------------------------------------------------

/// The hidden staging name for `dest` owned by this process: `.NAME.partial-PID-CODE` beside
/// it ([`staged_name`]).
pub fn staging_path(dest: &Path) -> PathBuf {
    staged_name(dest, Stage::Partial, std::process::id())
}

/// What a staging name beside an output holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Work in progress (`.NAME.partial-PID-CODE`).
    Partial,
    /// An earlier output moved aside while the new one moves in (`.NAME.old-PID-CODE`).
    Old,
}

impl Stage {
    fn word(self) -> &'static str {
        match self {
            Stage::Partial => "partial",
            Stage::Old => "old",
        }
    }
}

/// The staging name process `pid` gives `dest`'s work: `.NAME.partial-PID-CODE` (or `.old-`)
/// beside it, `CODE` eight hex digits of a digest of the rest of the name and a key of
/// Polity's ([`stage_code`]). Only names whose code holds are ever taken for staging and
/// removed ([`remove_stale_staging`]): a person does not make one by chance.
pub fn staged_name(dest: &Path, stage: Stage, pid: u32) -> PathBuf {
    let stem = sibling(dest, &format!(".{}-{pid}", stage.word()));
    let name = stem.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    stem.with_file_name(format!("{name}-{}", stage_code(&name)))
}

/// The check code of a staging name's stem (`.NAME.partial-PID`): 8 hex digits.
fn stage_code(stem: &str) -> String {
    let mut h = crate::hash::Fnv::new();
    h.write(b"polity staging\0");
    h.write(stem.as_bytes());
    format!("{:08x}", h.finish() >> 32)
}

/// The process id a staging name (`.NAME.partial-PID-CODE`, a file name) was made by, and
/// which kind of staging it is, if it is one whose code holds.
pub fn staged_pid(name: &str) -> Option<(u32, Stage)> {
    let (stem, code) = name.rsplit_once('-')?;
    if code.len() != 8 || stage_code(stem) != code {
        return None;
    }
    let (rest, pid) = stem.rsplit_once('-')?;
    let stage = if rest.ends_with(".partial") {
        Stage::Partial
    } else if rest.ends_with(".old") {
        Stage::Old
    } else {
        return None;
    };
    Some((pid.parse().ok()?, stage))
}

/// `.NAME` + `suffix` beside `dest`.
fn sibling(dest: &Path, suffix: &str) -> PathBuf {
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    dest.with_file_name(format!(".{name}{suffix}"))
}

/// Whether a process with this id exists and is not a zombie (one killed and not yet reaped:
/// its parent, killed with it by `timeout -s KILL`, leaves it to an init that may never reap
/// it). Where that cannot be known (not Linux), every process counts as alive, so nothing is
/// ever removed by mistake.
fn alive(pid: u32) -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    match fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")) {
        // `PID (COMMAND) STATE ...`; the command may hold spaces and parentheses.
        Ok(stat) => !matches!(stat.rsplit_once(") ").and_then(|(_, rest)| rest.chars().next()), Some('Z' | 'X')),
        Err(_) => Path::new("/proc").join(pid.to_string()).exists(),
    }
}

/// Removes staging left beside `dest` by processes that no longer exist (`.NAME.partial-PID-CODE`
/// and `.NAME.old-PID-CODE`, their codes holding: [`staged_name`]) with [`remove_staged`]: a
/// staging folder holding anything but files Polity writes (`is_ours`) stays whole, and so
/// does anything named like staging without its code (a person's `.NAME.partial-99999`, or
/// staging of a Polity older than 2026-12-06). Returns what was removed.
pub fn remove_stale_staging(dest: &Path, is_ours: fn(&str) -> bool) -> Vec<PathBuf> {
    let Some(name) = dest.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let Some(parent) = dest.parent() else { return Vec::new() };
    let Ok(entries) = fs::read_dir(parent) else { return Vec::new() };
    let mut removed = Vec::new();
    for e in entries.flatten() {
        let entry = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = entry.strip_prefix(&format!(".{name}.")) else { continue };
        // Only `partial-PID-CODE` and `old-PID-CODE` right after the name (not a longer
        // name's staging that starts like it).
        if (rest.strip_prefix("partial-").or_else(|| rest.strip_prefix("old-")))
            .is_none_or(|r| r.bytes().filter(|&b| b == b'-').count() != 1)
        {
            continue;
        }
        let Some((pid, stage)) = staged_pid(&entry) else { continue };
        if pid == std::process::id() || alive(pid) {
            continue;
        }
        let path = e.path();
        // An earlier output moved aside by a process killed before its replacement moved in:
        // put back, not removed (it is the only copy).
        if stage == Stage::Old && fs::symlink_metadata(dest).is_err() && fs::rename(&path, dest).is_ok() {
            continue;
        }
        if remove_staged(&path, is_ours).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// Checks that the staged folder `path` holds only files Polity writes (`is_ours`). Anything
/// else (a folder, a link, another file) means the folder is someone's who chose a name like
/// Polity's staging: an error of kind `DirectoryNotEmpty` that names what is there.
pub fn check_staged(path: &Path, is_ours: fn(&str) -> bool) -> io::Result<()> {
    let foreign = foreign_in(path, is_ours)?;
    if foreign.is_empty() {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::DirectoryNotEmpty,
        format!(
            "{}: named like Polity's staging, but holds {} that Polity did not write; left as it is\n    \
             hint: rename or move that folder (the rules: {RULES})",
            path.display(),
            foreign.join(", ")
        ),
    ))
}

/// What the folder `path` holds that is not a file Polity writes (`is_ours`), each named in
/// backquotes.
pub fn foreign_in(path: &Path, is_ours: fn(&str) -> bool) -> io::Result<Vec<String>> {
    Ok(fs::read_dir(path)?
        .collect::<io::Result<Vec<_>>>()?
        .iter()
        .filter(|e| !(e.file_type().is_ok_and(|t| t.is_file()) && is_ours(&e.file_name().to_string_lossy())))
        .map(|e| format!("`{}`", e.file_name().to_string_lossy()))
        .collect())
}

/// Removes a staged file, or a staged folder holding only files Polity writes (`is_ours`,
/// [`check_staged`]): its files one by one, then the folder, non-recursively. Nothing in a
/// folder holding anything else is touched.
pub fn remove_staged(path: &Path, is_ours: fn(&str) -> bool) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return fs::remove_file(path);
    }
    check_staged(path, is_ours)?;
    for e in fs::read_dir(path)?.flatten() {
        fs::remove_file(e.path())?;
    }
    fs::remove_dir(path)
}

/// Hidden staging for an output: removed on drop unless [`Staging::keep`] or
/// [`Staging::release`] was called, and by a second signal ([`catch_interrupts`]) unless it
/// holds a checkpoint to resume ([`Staging::resumable_now`]).
pub struct Staging {
    path: PathBuf,
    is_ours: fn(&str) -> bool,
    armed: bool,
    /// The folders above it that did not exist and were made for it ([`make_parents`]),
    /// deepest first: removed with it (if empty), so an interrupted `--out new/a/b` leaves no
    /// empty `new/a`.
    parents: MadeFolders,
}

/// Folders made on the way to an output ([`make_parents`]), deepest first; removed when
/// dropped, each only if empty, unless [`MadeFolders::keep`] was called; a second signal
/// removes them too ([`remove_at_a_second_signal`]).
#[derive(Debug, Default)]
pub struct MadeFolders(Vec<PathBuf>);

impl MadeFolders {
    /// Keeps the folders: they hold an output now.
    pub fn keep(&mut self) {
        for p in self.0.drain(..) {
            keep_at_a_second_signal(&p);
        }
    }
}

impl Drop for MadeFolders {
    fn drop(&mut self) {
        for p in self.0.drain(..) {
            keep_at_a_second_signal(&p);
            let _ = fs::remove_dir(&p);
        }
    }
}

/// `fs::create_dir_all` of `folder`, returning the folders it made (deepest first).
pub fn make_parents(folder: &Path) -> io::Result<MadeFolders> {
    let mut missing = Vec::new();
    let mut at = folder;
    while !at.as_os_str().is_empty() && fs::symlink_metadata(at).is_err() {
        missing.push(at.to_path_buf());
        match at.parent() {
            Some(p) => at = p,
            None => break,
        }
    }
    fs::create_dir_all(folder)?;
    // Deepest first, as they must be removed; a second signal removes them in this order.
    for p in &missing {
        remove_at_a_second_signal(p);
    }
    Ok(MadeFolders(missing))
}

impl Staging {
    /// Creates the staging folder `path` (which must not exist). A checkpointed run's is
    /// removed by a second signal only until [`Staging::resumable_now`] says a checkpoint is
    /// in it.
    pub fn folder(path: PathBuf, is_ours: fn(&str) -> bool) -> io::Result<Self> {
        create_staged(is_ours, || {
            let parents = match path.parent() {
                Some(parent) => make_parents(parent)?,
                None => MadeFolders::default(),
            };
            fs::create_dir(&path)?;
            Ok((Staging { path: path.clone(), is_ours, armed: true, parents }, path))
        })
    }
    /// A checkpoint to resume is in this staging: a second signal leaves it from now on (it
    /// said "a run's checkpoints are kept" and left a checkpointed run's staging even before
    /// its first checkpoint, with nothing to resume).
    pub fn resumable_now(&self) {
        unstage(&self.path);
    }
    /// An existing staging folder taken over (a resumed run's).
    pub fn folder_existing(path: PathBuf, is_ours: fn(&str) -> bool) -> Self {
        Staging { path, is_ours, armed: true, parents: MadeFolders::default() }
    }
    /// Creates the staging file `path` (and the folders above it), open for writing.
    pub fn file(path: PathBuf) -> io::Result<(Self, fs::File)> {
        create_staged(
            |_| false,
            || {
                let parents = match path.parent() {
                    Some(parent) if !parent.as_os_str().is_empty() => make_parents(parent)?,
                    _ => MadeFolders::default(),
                };
                let file = fs::File::create(&path)?;
                Ok(((Staging { path: path.clone(), is_ours: |_| false, armed: true, parents }, file), path))
            },
        )
    }
    /// Where the staging is.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Keeps the staging when dropped (a resumable checkpoint is in it).
    pub fn keep(mut self) -> PathBuf {
        unstage(&self.path);
        self.armed = false;
        self.parents.keep();
        std::mem::take(&mut self.path)
    }
    /// The staging has been moved into place: nothing to remove.
    pub fn release(self) {
        self.keep();
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.armed {
            let _ = remove_staged(&self.path, self.is_ours);
            unstage(&self.path);
        }
        // (Then the folders made for it go, as `parents` drops, if still empty.)
    }
}

// --- single files -------------------------------------------------------------------------

/// Checks, before any work starts, that `path` may be written as a file: resolved and not
/// refused ([`resolve`]), not a folder, and not an existing file unless `force`, in a folder
/// that is writable (missing folders are created only when the file is written). Returns the
/// resolved path.
pub fn check_file(path: &Path, force: bool) -> Result<PathBuf, Refused> {
    let shown = path.display();
    // `DIR/` names a folder (it was written as a file named DIR).
    if path.as_os_str().as_encoded_bytes().ends_with(b"/") {
        return Err(Refused(format!(
            "{shown}: ends in `/`, so it names a folder, and this writes one file\n    hint: name the file, e.g. `{shown}table.csv`"
        )));
    }
    let abs = match resolve(path) {
        Ok(p) => p,
        // --force replaces a link itself (never the file it points to).
        Err(_) if force && fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            absolute(path).map_err(|e| Refused(format!("{shown}: {e}")))?
        }
        // A file's link may be replaced, as any file, with --force: say so (not of a link to a
        // device or a folder, which --force does not replace).
        Err(Refused(why))
            if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
                && link_to_other(path).is_none() =>
        {
            let (said, hint) = why.split_once("\n    hint: ").unwrap_or((&why, ""));
            return Err(Refused(format!(
                "{said}\n    hint: {hint}; or add --force to replace the link itself, never the file it points to"
            )));
        }
        Err(why) => return Err(why),
    };
    match fs::symlink_metadata(&abs) {
        Ok(m) if m.is_dir() => {
            return Err(Refused(format!("{shown}: is a folder; name a file to write")));
        }
        Ok(_) => {
            replaceable(&abs).map_err(|e| Refused(format!("{shown}: {e}")))?;
            if let Some((folder, what)) = of_a_polity_folder(&abs) {
                // `compare … --out t20/state.safetensors --force` replaced a training's only
                // state with a table: such a folder's files are replaced only by running it again.
                return Err(Refused(format!(
                    "{shown}: a file of the {what} in {}; Polity replaces the files of its own folders only by \
                     running them again, never one by one, even with --force\n    hint: write it outside that folder",
                    folder.display()
                )));
            }
            if !force {
                return Err(Refused(format!(
                    "{shown}: the file exists; Polity never replaces a file unless you pass --force\n    hint: choose \
                     another name, or add --force to replace it (the rules: {RULES})"
                )));
            }
        }
        Err(_) => {}
    }
    check_writable(path, &abs)?;
    Ok(abs)
}

/// [`check_file`] of each of `names` in the folder `out` (a command writing several files into
/// one `--out DIR`: `sum`, `oversight`, `optimal`), after the folder itself is checked as every
/// `--out` is: not the working folder, one above it or the root ([`resolve`]: `oversight
/// --out /` wrote into the root, `sum --out .. --force` replaced a file above the working
/// folder). Returns the files' resolved paths, or every refusal.
pub fn check_files_in(out: &Path, names: &[&str], force: bool) -> Result<Vec<PathBuf>, Vec<String>> {
    let why = format!(
        "Polity writes a command's files ({}) into a folder of their own, never the folder you run it from or one above \
         it, where --force would replace your files of those names",
        names.join(", ")
    );
    if let Err(e) = resolve_because(out, &why) {
        return Err(vec![e.to_string()]);
    }
    let (paths, refused): (Vec<_>, Vec<_>) =
        names.iter().map(|n| check_file(&out.join(n), force)).partition(Result::is_ok);
    if refused.is_empty() {
        Ok(paths.into_iter().map(Result::unwrap).collect())
    } else {
        Err(refused.into_iter().map(|e| e.unwrap_err().to_string()).collect())
    }
}

/// The Polity output folder an existing file at `abs` belongs to (its folder, or the one above
/// it: a training's `policies/`, a sweep's `series/`), and what that folder holds, told by the
/// file Polity writes into each: `train.json` a training, `run.json` a run, `sweep.json` a
/// sweep, `frames.json` a recording's frames.
fn of_a_polity_folder(abs: &Path) -> Option<(PathBuf, &'static str)> {
    const MARKS: [(&str, &str); 4] =
        [("train.json", "training"), ("run.json", "run"), ("sweep.json", "sweep"), ("frames.json", "recording")];
    abs.ancestors().skip(1).take(2).find_map(|folder| {
        MARKS.iter().find(|(mark, _)| folder.join(mark).is_file()).map(|&(_, what)| (folder.to_path_buf(), what))
    })
}

pub use crate::input::what_it_is;

/// Whether what stands at `path` may be replaced by a file Polity writes (with `--force`):
/// nothing, a file or a link (the link itself). A device, a named pipe (FIFO) or a socket is
/// never replaced: `--out /dev/null --force`, run as root, would have made the system's
/// `/dev/null` a file. The error says what it is.
pub fn replaceable(path: &Path) -> io::Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else { return Ok(()) };
    let t = meta.file_type();
    if let Some(what) = link_to_other(path) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "is a symbolic link to {what}; Polity replaces a link only when it points to a file (or to nothing), \
                 even with --force (`--out /dev/stdout --force` made the system's /dev/stdout a file)\n    hint: name \
                 a file to write"
            ),
        ));
    }
    if t.is_file() || t.is_symlink() {
        return Ok(());
    }
    let what = what_it_is(t);
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "is {what}, not a file; Polity replaces only files it could have written, even with --force\n    hint: name a file to write"
        ),
    ))
}

/// What the symbolic link `path` points to when that is neither a file nor nothing (a device,
/// a pipe, a folder: `/dev/stdout`); `None` for anything else.
fn link_to_other(path: &Path) -> Option<&'static str> {
    if !fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return None;
    }
    match fs::metadata(path) {
        Ok(m) if !m.is_file() => Some(what_it_is(m.file_type())),
        _ => None,
    }
}

/// Refuses an output file that is one of the command's own inputs, or lies inside an input
/// folder, even with `--force` (`compare A.ron B.ron --out A.ron --force` replaced the
/// scenario with the table; `sweep-merge` wrote over a shard's own run file).
pub fn not_an_input(out: &Path, inputs: &[&Path]) -> Result<(), Refused> {
    let Ok(target) = absolute(out) else { return Ok(()) };
    // Compared where each is found on disk (links and `..` followed), and by what it is.
    let real = |p: &Path| fs::canonicalize(p).ok();
    // ([`absolute`] has followed the links of the part that exists: `SHARD/new/m.csv`, in a
    // folder not made yet, is inside SHARD too.)
    let target_real = real(&target).or(Some(target));
    // The same file under another name (a hard link) is the input too: replacing the output
    // would replace the input's content.
    #[cfg(unix)]
    let same_file = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        matches!((fs::metadata(a), fs::metadata(b)), (Ok(x), Ok(y)) if x.is_file() && x.dev() == y.dev() && x.ino() == y.ino())
    };
    #[cfg(not(unix))]
    let same_file = |_: &Path, _: &Path| false;
    for input in inputs {
        let Some(inp) = real(input) else { continue };
        let inside = target_real.as_ref().is_some_and(|t| {
            t == &inp || (inp.is_dir() && t.starts_with(&inp)) || (!inp.is_dir() && same_file(t, &inp))
        });
        if inside {
            // (A new file in an input folder replaces nothing, but would be taken for part of
            // it: a sweep's folder holding a file the sweep did not write is refused later.)
            let why = match (inp.is_dir(), target_real.as_deref() == Some(inp.as_path())) {
                (true, false) => "lies inside the input folder",
                (true, true) => "is the input folder",
                (false, _) => "is an input file",
            };
            let then = if inp.is_dir() {
                "Polity writes nothing into its inputs, even with --force (a file added there would be taken for part of it)"
            } else {
                "Polity does not write over its own inputs, even with --force"
            };
            return Err(Refused(format!(
                "{}: {why} {}; {then}\n    hint: write it elsewhere",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// Whether the output folder `out` holds the input file `input` (at any depth, links and
/// `..` followed): replacing the folder would remove the input.
pub fn holds_input(out: &Path, input: &Path) -> bool {
    let (Ok(input), Ok(out)) = (fs::canonicalize(input), absolute(out)) else { return false };
    let out = fs::canonicalize(&out).unwrap_or(out);
    input.starts_with(&out)
}

/// Checks that the output `shown` (resolved: `abs`) could be created: the nearest folder
/// above it that exists is a folder Polity can write in (the missing ones are created when
/// the output is written). Writes nothing that stays.
pub fn check_writable(shown: &Path, abs: &Path) -> Result<(), Refused> {
    let shown = shown.display();
    let mut parent = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    while fs::symlink_metadata(&parent).is_err() && parent.pop() {}
    if !parent.is_dir() {
        let what = match fs::read_link(&parent) {
            Ok(to) if !parent.exists() => format!("it is a link to {}, which does not exist", to.display()),
            Ok(to) => format!("it is a link to {}, which is not a folder", to.display()),
            Err(_) => format!("it is {}", fs::metadata(&parent).map_or("not a folder", |m| what_it_is(m.file_type()))),
        };
        return Err(Refused(format!("{shown}: cannot create the folder {}: {what}", parent.display())));
    }
    tempfile::Builder::new().prefix(".polity-check-").tempfile_in(&parent).map_err(|e| {
        // The error names the probe file, which is ours, not the user's: say what failed.
        let said = e.to_string();
        let why = said.split(" at path ").next().unwrap_or(&said);
        // A folder that exists but makes no new file "not found" (/proc): say so plainly.
        if e.kind() == io::ErrorKind::NotFound {
            // (A folder on the way that does not exist would be made there: named too.)
            let missing = abs.parent().filter(|p| *p != parent).map_or(String::new(), |p| {
                format!(" (to make the missing folder {})", p.display())
            });
            return Refused(format!(
                "{shown}: cannot write in {}{missing}: that folder takes no new files (the system said: {why})\n    hint: write somewhere else, e.g. under your home folder",
                parent.display()
            ));
        }
        Refused(format!("{shown}: cannot write in {}: {why}", parent.display()))
    })?;
    Ok(())
}

/// Writes `bytes` to `path` atomically: a temporary file beside it (`.NAME.partial-PID-CODE`: [`staging_path`]),
/// flushed to disk, then renamed into place. An existing file is replaced only if `force` (a
/// link at `path` is replaced itself, never followed). Temporary files that processes killed
/// mid-write left for `path` are removed first ([`remove_stale_staging`]). One thread at a
/// time writes a given path.
pub fn write_file(path: &Path, bytes: &[u8], force: bool) -> io::Result<()> {
    remove_stale_staging(path, |_| false);
    write_staged(path, bytes, force)
}

/// [`write_file`] replacing a file in a folder whose killed writers' temporary files the
/// caller removes itself, once for the whole folder (a sweep's thousands of row files: a
/// listing of the folder for each would cost the square of their number).
pub fn write_in_own_folder(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_staged(path, bytes, true)
}

fn write_staged(path: &Path, bytes: &[u8], force: bool) -> io::Result<()> {
    Staged::write(path, bytes)?.persist(path, force)
}

/// Writes several files all or none: each is written and flushed to a temporary file beside it
/// before any is moved into place, so a failure while writing (a full disk) leaves none of
/// them (a command's CSV without its plots was a partial output). Existing files are replaced
/// only if `force`, and then all or none as well: each is moved aside (`.NAME.old-PID-CODE`)
/// before any new one moves in, and put back if any move fails (`sum --out d --force` with one
/// file that could not be replaced had replaced the others, and said none was written); a
/// process killed between the moves leaves its old files to be put back by the next write
/// ([`remove_stale_staging`]).
pub fn write_files(files: &[(&Path, &[u8])], force: bool) -> io::Result<()> {
    fn named(path: &Path) -> impl Fn(io::Error) -> io::Error + '_ {
        move |e| io::Error::new(e.kind(), format!("{}: {e}", path.display()))
    }
    let mut staged = StagedFiles::default();
    for (path, bytes) in files {
        remove_stale_staging(path, |_| false);
        // On an error the files staged so far are removed as `staged` drops.
        staged.0.push(Staged::write(path, bytes).map_err(named(path))?);
    }
    if !force && let Some((path, _)) = files.iter().find(|(p, _)| fs::symlink_metadata(p).is_ok()) {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{}: appeared meanwhile; not replaced", path.display()),
        ));
    }
    // A signal that ends the process at once waits for the moves ([`catch_interrupts_at_once`]).
    let _moving = lock(&MOVING);
    // What each replaces, moved aside: (where it was, where it is now).
    let mut aside: Vec<(&Path, PathBuf)> = Vec::new();
    let put_back = |aside: &[(&Path, PathBuf)]| {
        for (path, old) in aside.iter().rev() {
            let _ = fs::rename(old, path);
        }
    };
    for (path, _) in files {
        let moved = replaceable(path).map_err(named(path)).and_then(|()| {
            if fs::symlink_metadata(path).is_err() {
                return Ok(None);
            }
            let old = staged_name(path, Stage::Old, std::process::id());
            fs::rename(path, &old).map_err(named(path))?;
            Ok(Some(old))
        });
        match moved {
            Ok(Some(old)) => aside.push((path, old)),
            Ok(None) => {}
            Err(e) => {
                put_back(&aside);
                return Err(e);
            }
        }
    }
    // The folders made for them stay only if all move in: on a failure they go (if empty) as
    // `made` drops, after the files not moved in (`rest`, declared after it) and last made
    // first.
    let mut made: Vec<MadeFolders> = staged.0.iter_mut().rev().map(|s| std::mem::take(&mut s.parents)).collect();
    let mut rest = files.iter().zip(std::mem::take(&mut staged.0));
    let mut placed: Vec<&Path> = Vec::new();
    for ((path, _), s) in rest.by_ref() {
        // Nothing stands there now but what appeared since: that is never replaced.
        if let Err(e) = s.persist(path, false).map_err(named(path)) {
            for p in &placed {
                let _ = fs::remove_file(p);
            }
            put_back(&aside);
            return Err(e);
        }
        placed.push(path);
    }
    made.iter_mut().for_each(MadeFolders::keep);
    WROTE.store(true, std::sync::atomic::Ordering::SeqCst);
    for (_, old) in aside {
        let _ = fs::remove_file(old);
    }
    Ok(())
}

/// A file's bytes written and flushed to its temporary file (`.NAME.partial-PID-CODE` beside it),
/// not yet in place; removed if dropped.
struct Staged {
    tmp: Option<tempfile::NamedTempFile>,
    staged: PathBuf,
    /// The folders made for it, removed with it unless it is moved into place.
    parents: MadeFolders,
}

/// Staged files dropped last first, so the folders the first made for them all are empty
/// when its turn comes.
#[derive(Default)]
struct StagedFiles(Vec<Staged>);

impl Drop for StagedFiles {
    fn drop(&mut self) {
        while let Some(s) = self.0.pop() {
            drop(s);
        }
    }
}

impl Staged {
    fn write(path: &Path, bytes: &[u8]) -> io::Result<Staged> {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let staging = staging_path(path);
        let name = staging.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut builder = tempfile::Builder::new();
        builder.prefix(&name).rand_bytes(0);
        // A temporary file is private (0600); an output gets the mode any new file gets (0666
        // less the umask), as `fs::write` would give it.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
        let (tmp, parents) = create_staged(
            |_| false,
            || {
                let parents = make_parents(parent)?;
                let tmp = builder.tempfile_in(parent).map_err(unstaged)?;
                let path = tmp.path().to_path_buf();
                Ok(((tmp, parents), path))
            },
        )?;
        let mut staged = Staged { staged: tmp.path().to_path_buf(), tmp: Some(tmp), parents };
        let file = staged.tmp.as_mut().expect("just made");
        file.write_all(bytes).map_err(unstaged)?;
        file.as_file().sync_all().map_err(unstaged)?;
        Ok(staged)
    }

    /// Moves the file into place (replacing an existing one only if `force`).
    fn persist(mut self, path: &Path, force: bool) -> io::Result<()> {
        // What may have appeared there since the command's checks.
        replaceable(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        let tmp = self.tmp.take().expect("persisted once");
        let persisted = if force { tmp.persist(path) } else { tmp.persist_noclobber(path) };
        if persisted.is_ok() {
            self.parents.keep();
        }
        persisted.map(drop).map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: appeared meanwhile; not replaced", path.display()),
                )
            } else {
                e.error
            }
        })
    }
}

/// The operating system's error without the hidden staging path tempfile adds to it
/// ("No space left on device (os error 28) at path \".metrics.csv.partial-…\"" named a file
/// the user never sees, and that is gone): the caller names the file it was writing.
fn unstaged(e: io::Error) -> io::Error {
    if let Some(code) = e.raw_os_error() {
        return io::Error::from_raw_os_error(code);
    }
    // (tempfile's own wrapper is private: its text is all there is to go by.)
    let text = e.to_string();
    match text.find(" at path \"") {
        Some(end) => io::Error::new(e.kind(), &text[..end]),
        None => e,
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // (A temporary file not persisted is removed by its own Drop.)
        drop(self.tmp.take());
        unstage(&self.staged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_files_are_written_all_or_none() {
        // `oversight … --out` under a file-size limit left its CSV without the plots.
        let t = tempfile::tempdir().unwrap();
        let (a, b) = (t.path().join("a.csv"), t.path().join("b.png"));
        write_files(&[(&a, b"table"), (&b, b"plot")], false).unwrap();
        assert_eq!((fs::read(&a).unwrap(), fs::read(&b).unwrap()), (b"table".to_vec(), b"plot".to_vec()));
        // The second cannot be written (its folder would be a file): the first is not either.
        fs::write(t.path().join("file"), "mine").unwrap();
        let (c, d) = (t.path().join("c.csv"), t.path().join("file/d.png"));
        let e = write_files(&[(&c, b"table"), (&d, b"plot")], false).unwrap_err();
        assert!(e.to_string().contains("file/d.png"), "{e}");
        assert!(!c.exists(), "the first file was left without the second");
        let left: Vec<_> = fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 3, "no staging left: {left:?}");
        // An existing file is replaced only with force, and then none is written.
        let e = write_files(&[(&c, b"new"), (&a, b"new")], false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read(&a).unwrap(), b"table");
        write_files(&[(&c, b"new"), (&a, b"new")], true).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"new");
    }

    #[test]
    fn a_signal_delivered_twice_at_once_is_one_interrupt() {
        // `timeout -s INT` signals the process and its group: two deliveries microseconds
        // apart were taken for a second interrupt (stopped at once, no resume hint).
        let first = std::time::Instant::now();
        assert!(same_interrupt(Some(first), first + std::time::Duration::from_micros(50)));
        assert!(same_interrupt(Some(first), first + std::time::Duration::from_millis(199)));
        assert!(!same_interrupt(Some(first), first + std::time::Duration::from_millis(200)));
        assert!(!same_interrupt(Some(first), first + std::time::Duration::from_secs(2)));
        assert!(!same_interrupt(None, first));
    }

    #[test]
    fn nothing_is_staged_while_a_second_signal_removes_what_was() {
        // A second signal holds the registry from its removal to the process's end. A write
        // into a staging folder it removed waits for the registry, so it cannot make the
        // folder again behind the removal; here the registry is let go after a while, and the
        // write goes on.
        let t = tempfile::tempdir().unwrap();
        let removed = t.path().join(".out.partial-1");
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let _registry = lock(&STAGED);
            held_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        held_rx.recv().unwrap();
        let target = removed.join("metrics.csv");
        let writer = std::thread::spawn(move || write_file(&target, b"row", false));
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!removed.exists(), "a write made a removed staging folder again");
        assert!(!writer.is_finished(), "the write waits for the registry");
        release_tx.send(()).unwrap();
        holder.join().unwrap();
        writer.join().unwrap().unwrap();
        assert_eq!(fs::read(removed.join("metrics.csv")).unwrap(), b"row");
    }

    #[test]
    fn a_write_removes_the_temporary_files_of_killed_writers() {
        let t = tempfile::tempdir().unwrap();
        // No process has an id above Linux's largest (2²²); pid 1 always exists.
        let table = t.path().join("table.csv");
        let dead = staged_name(&table, Stage::Partial, 4999999);
        let live = staged_name(&table, Stage::Partial, 1);
        // Named like staging by a person (or by a Polity before names had codes): never taken
        // for a dead writer's, whatever its process.
        let named = [".table.csv.partial-4999999", ".table.csv.partial-4999999-00000000", ".table.csv.old-4999999"]
            .map(|n| t.path().join(n));
        for f in [&dead, &live].into_iter().chain(&named) {
            fs::write(f, b"someone's").unwrap();
        }
        write_file(&table, b"whole", false).unwrap();
        assert_eq!(fs::read(&table).unwrap(), b"whole");
        assert!(!dead.exists(), "a dead writer's temporary file is removed");
        assert!(live.exists(), "a live process's is not");
        for f in &named {
            assert_eq!(fs::read(f).unwrap(), b"someone's", "{}", f.display());
        }
        let names: Vec<String> =
            fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        assert_eq!(names.len(), 5, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn written_files_get_the_mode_new_files_get() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("plain"), b"x").unwrap();
        write_file(&t.path().join("ours"), b"x", false).unwrap();
        let mode = |n: &str| fs::metadata(t.path().join(n)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("ours"), mode("plain"), "not a temporary file's private 0600");
    }

    #[test]
    fn file_stems_are_one_safe_component() {
        assert_eq!(file_stem("commons"), "commons");
        assert_eq!(file_stem("my world: v2"), "my-world--v2");
        assert_eq!(file_stem("..hidden"), "hidden");
        assert_eq!(file_stem("..."), "scenario");
        assert_eq!(file_stem("é-ok_1.2"), "é-ok_1.2");
        assert!(name_problem("../../outside/x").is_some());
        assert!(name_problem("a\\b").is_some());
        assert!(name_problem("tab\there").is_some());
        assert!(name_problem("..").is_some());
        assert!(name_problem("my world").is_none());
        assert!(name_problem("").is_none());
    }

    #[test]
    fn absolute_paths_lose_dots_and_keep_a_final_link() {
        let t = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(t.path()).unwrap();
        fs::create_dir(base.join("a")).unwrap();
        assert_eq!(absolute(&base.join("a/./b/../c")).unwrap(), base.join("a/c"));
        assert_eq!(absolute(&base.join("a/x/y/../z")).unwrap(), base.join("a/x/z"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(base.join("a"), base.join("link")).unwrap();
            assert_eq!(absolute(&base.join("link")).unwrap(), base.join("link"));
            assert_eq!(absolute(&base.join("link/new")).unwrap(), base.join("a/new"));
            assert!(resolve(&base.join("link")).unwrap_err().0.contains("symbolic link"));
            let e = resolve(&base.join("a\nb")).unwrap_err().0;
            assert!(e.starts_with("\"") && e.contains("a\\nb") && e.contains("holds a control character"), "{e}");
        }
    }

    /// Writes `run.json` into `d` from `fields` (a JSON object's inside) with the hashes of the
    /// listed files as they are now, as Polity seals it.
    fn seal(d: &Path, fields: &str) {
        let mut v: serde_json::Value = serde_json::from_str(&format!("{{{fields}}}")).unwrap();
        let mut hashes = serde_json::Map::new();
        for f in crate::run_json::OUTPUTS {
            if let Ok(h) = crate::hash::of_file(&d.join(f)) {
                hashes.insert(f.into(), h.into());
            }
        }
        hashes.insert("run.json".into(), "0000000000000000".into());
        v["hashes"] = hashes.into();
        let zeroed = serde_json::to_string_pretty(&v).unwrap();
        let own = crate::hash::hex(zeroed.as_bytes());
        fs::write(d.join("run.json"), zeroed.replace("0000000000000000", &own)).unwrap();
    }

    /// A run.json's fields as Polity writes them (the ones that prove it).
    const FIELDS: &str = r#""polity_version": "0.1.0", "scenario_name": "x", "seed": 0, "ticks": 3, "state_hash": "0123456789abcdef", "scenario": {}, "outputs": ["metrics.csv", "agents.csv", "events.jsonl", "scenario.ron"]"#;

    #[test]
    fn a_run_folder_is_ours_only_with_our_run_json_and_nothing_else() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("r");
        assert_eq!(inspect_run_folder(&d), Ok(Existing::Absent));
        fs::create_dir(&d).unwrap();
        assert_eq!(inspect_run_folder(&d), Ok(Existing::Empty));
        fs::write(d.join("run.json"), r#"{"foo": 1}"#).unwrap();
        assert!(inspect_run_folder(&d).unwrap_err().0.contains("not a Polity run folder"));
        let fields = |outputs: &str| {
            format!(
                r#""polity_version": "0.1.0", "scenario_name": "x", "seed": 0, "ticks": 3, "state_hash": "0123456789abcdef", "scenario": {{}}, "outputs": {outputs}"#
            )
        };
        fs::write(d.join("run.json"), r#"{"polity_version": "0.1.0", "outputs": []}"#).unwrap();
        assert!(inspect_run_folder(&d).is_err(), "a hand-made run.json is no proof");
        seal(&d, &fields(r#"["metrics.csv", "agents.csv", "events.jsonl", "../x"]"#));
        assert!(inspect_run_folder(&d).is_err(), "a listed path outside the folder is no proof");
        fs::write(d.join("metrics.csv"), "x").unwrap();
        seal(&d, &fields(r#"["scenario.ron", "metrics.csv", "agents.csv", "events.jsonl"]"#));
        assert_eq!(inspect_run_folder(&d), Ok(Existing::Owned(vec!["metrics.csv".into(), "run.json".into()])));
        fs::create_dir(d.join("src")).unwrap();
        let e = inspect_run_folder(&d).unwrap_err().0;
        assert!(e.contains("`src`") && e.contains("did not write"), "{e}");
        fs::remove_dir(d.join("src")).unwrap();
        // A folder named like a listed file is not that file.
        fs::remove_file(d.join("metrics.csv")).unwrap();
        fs::create_dir(d.join("metrics.csv")).unwrap();
        assert!(inspect_run_folder(&d).is_err());
    }

    #[test]
    fn a_run_folder_with_a_file_changed_since_polity_wrote_it_is_the_users() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("r");
        fs::create_dir(&d).unwrap();
        fs::write(d.join("metrics.csv"), "tick\n0\n").unwrap();
        fs::write(d.join("scenario.ron"), "(name: \"x\")\n").unwrap();
        seal(&d, FIELDS);
        let ours = vec!["metrics.csv".to_string(), "run.json".into(), "scenario.ron".into()];
        assert_eq!(inspect_run_folder(&d), Ok(Existing::Owned(ours.clone())));
        // An edit of one byte, a comment added, a value changed in run.json: each makes the
        // folder the user's, named in the refusal.
        fs::write(d.join("metrics.csv"), "tick\n1\n").unwrap();
        let e = inspect_run_folder(&d).unwrap_err().0;
        assert!(e.contains("`metrics.csv` changed since Polity wrote it") && e.contains("another --out"), "{e}");
        fs::write(d.join("metrics.csv"), "tick\n0\n").unwrap();
        assert_eq!(inspect_run_folder(&d), Ok(Existing::Owned(ours.clone())), "undone, it is ours again");
        fs::write(d.join("scenario.ron"), "// mine\n(name: \"x\")\n").unwrap();
        assert!(inspect_run_folder(&d).unwrap_err().0.contains("`scenario.ron` changed"));
        fs::write(d.join("scenario.ron"), "(name: \"x\")\n").unwrap();
        let text = fs::read_to_string(d.join("run.json")).unwrap();
        fs::write(d.join("run.json"), text.replace("\"ticks\": 3", "\"ticks\": 4")).unwrap();
        let e = inspect_run_folder(&d).unwrap_err().0;
        assert!(e.contains("`run.json` changed"), "{e}");
        // A run.json without hashes (an older Polity's) proves nothing about its files.
        fs::write(d.join("run.json"), format!("{{{FIELDS}}}")).unwrap();
        let e = inspect_run_folder(&d).unwrap_err().0;
        assert!(e.contains("keeps no hashes"), "{e}");
        // And installing over a changed folder touches nothing in it.
        seal(&d, FIELDS);
        fs::write(d.join("metrics.csv"), "mine").unwrap();
        let stage = t.path().join(".r.partial-1");
        fs::create_dir(&stage).unwrap();
        fs::write(stage.join("metrics.csv"), "new").unwrap();
        assert!(matches!(install_folder(&stage, &d, inspect_run_folder), Err(InstallError::Changed(..))));
        assert_eq!(fs::read_to_string(d.join("metrics.csv")).unwrap(), "mine");
    }

    #[test]
    fn installing_over_our_folder_deletes_only_its_listed_files() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("r");
        fs::create_dir(&d).unwrap();
        fs::write(d.join("metrics.csv"), "old").unwrap();
        seal(&d, FIELDS);
        let stage = t.path().join(".r.partial-1");
        fs::create_dir(&stage).unwrap();
        fs::write(stage.join("metrics.csv"), "new").unwrap();
        assert_eq!(install_folder(&stage, &d, inspect_run_folder).unwrap(), None);
        assert_eq!(fs::read_to_string(d.join("metrics.csv")).unwrap(), "new");
        assert!(!stage.exists());
        let names: Vec<_> = fs::read_dir(t.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("r")], "nothing left aside");

        // The folder gained a user's file while the work ran: untouched, output kept beside.
        seal(&d, FIELDS);
        fs::write(d.join("notes.txt"), "mine").unwrap();
        fs::create_dir(&stage).unwrap();
        fs::write(stage.join("metrics.csv"), "newer").unwrap();
        match install_folder(&stage, &d, inspect_run_folder) {
            Err(InstallError::Changed(_, kept)) => {
                assert_eq!(kept, t.path().join("r-new"));
                assert_eq!(fs::read_to_string(kept.join("metrics.csv")).unwrap(), "newer");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fs::read_to_string(d.join("notes.txt")).unwrap(), "mine");
        assert_eq!(fs::read_to_string(d.join("metrics.csv")).unwrap(), "new");
    }

    #[cfg(unix)]
    #[test]
    fn a_device_or_pipe_is_never_replaced_even_with_force() {
        // The new-user tour: `--out mynull --force` (a copy of /dev/null) became a file.
        for force in [false, true] {
            let e = check_file(Path::new("/dev/null"), force).unwrap_err().0;
            assert!(e.contains("is a device, not a file") && e.contains("even with --force"), "{e}");
        }
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("pipe.csv");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|s| s.success()) {
            return;
        }
        let e = check_file(&fifo, true).unwrap_err().0;
        assert!(e.contains("is a named pipe (FIFO), not a file"), "{e}");
        // And at the moment of writing (it appeared after the checks).
        let e = write_file(&fifo, b"table", true).unwrap_err().to_string();
        assert!(e.contains("named pipe"), "{e}");
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo(), "the pipe is still a pipe");
        let names: Vec<_> = fs::read_dir(t.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert_eq!(names.len(), 1, "no staging left: {names:?}");
    }

    #[test]
    fn a_file_of_a_polity_folder_is_never_replaced_one_by_one() {
        // A new-user tour: `compare … --out t20/state.safetensors --force` replaced a
        // training's only state with a table.
        let t = tempfile::tempdir().unwrap();
        for (mark, what, file) in [
            ("train.json", "training", "state.safetensors"),
            ("train.json", "training", "policies/learners.safetensors"),
            ("run.json", "run", "metrics.csv"),
            ("sweep.json", "sweep", "series/run-000001.csv"),
            ("frames.json", "recording", "frame-000001.png"),
        ] {
            let folder = t.path().join(mark.replace('.', "-")).join(file.replace('/', "-"));
            let path = folder.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(folder.join(mark), "{}").unwrap();
            fs::write(&path, "mine").unwrap();
            for force in [false, true] {
                let e = check_file(&path, force).unwrap_err().0;
                assert!(e.contains(&format!("a file of the {what} in")) && e.contains("even with --force"), "{e}");
            }
            // A new file beside them is the user's to write.
            check_file(&folder.join("table.csv"), false).unwrap();
        }
        // Two folders above is no longer the folder's own.
        let deep = t.path().join("train-json/state-safetensors/a/b/c.csv");
        fs::create_dir_all(deep.parent().unwrap()).unwrap();
        fs::write(&deep, "mine").unwrap();
        check_file(&deep, true).unwrap();
    }

    #[test]
    fn single_files_are_replaced_only_with_force() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("out.csv");
        write_file(&f, b"one", false).unwrap();
        assert!(check_file(&f, false).unwrap_err().0.contains("--force"));
        assert_eq!(write_file(&f, b"two", false).unwrap_err().kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&f).unwrap(), "one");
        check_file(&f, true).unwrap();
        write_file(&f, b"two", true).unwrap();
        assert_eq!(fs::read_to_string(&f).unwrap(), "two");
        #[cfg(unix)]
        {
            let notes = t.path().join("notes.txt");
            fs::write(&notes, "mine").unwrap();
            let link = t.path().join("k.png");
            std::os::unix::fs::symlink(&notes, &link).unwrap();
            let e = check_file(&link, false).unwrap_err().0;
            assert!(e.contains("symbolic link") && e.contains("add --force to replace the link itself"), "{e}");
            check_file(&link, true).unwrap();
            write_file(&link, b"png", true).unwrap();
            assert_eq!(fs::read_to_string(&notes).unwrap(), "mine", "the link's target is never written");
            assert!(!fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        }
        let names: Vec<_> = fs::read_dir(t.path()).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(names.iter().all(|n| !n.to_string_lossy().starts_with('.')), "no temporary left: {names:?}");
    }

    #[test]
    fn a_run_stage_holds_only_files_polity_writes() {
        use crate::run::is_stage_file;
        for f in
            ["metrics.csv", "agents.csv", "events.jsonl", "run.json", "scenario.ron", "checkpoint.ron", "polity.lock"]
        {
            assert!(is_stage_file(f), "{f}");
        }
        assert!(is_stage_file(".checkpoint.ron.partial-4242"), "the checkpoint's temporary file");
        assert!(is_stage_file(".checkpoint.ron.a1B2c3.partial"), "…as older versions named it");
        assert!(!is_stage_file(".checkpoint.ron.partial-mine"));
        for f in ["notes.txt", "checkpoint.ron.bak", ".checkpoint.ron", "src", ""] {
            assert!(!is_stage_file(f), "{f}");
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_killed_process_not_yet_reaped_is_not_alive() {
        // A child that has exited and is not waited for stays a zombie: what a process killed
        // with its parent (`timeout -s KILL`) stays under an init that does not reap.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let stat = Path::new("/proc").join(child.id().to_string()).join("stat");
        let started = std::time::Instant::now();
        while !fs::read_to_string(&stat).is_ok_and(|s| s.contains(") Z")) {
            assert!(started.elapsed().as_secs() < 10, "the child never exited");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(!alive(child.id()), "a zombie's staging is stale");
        assert!(alive(std::process::id()));
        child.wait().unwrap();
        assert!(!alive(child.id()));
    }

    #[test]
    fn several_files_replaced_with_force_are_replaced_all_or_none() {
        // The new-user tour (2026-12-06): `sum --out d --force` with `d/gain.csv` unreplaceable
        // had replaced `d/alignment_cost.csv` already, and said none of the files was written.
        let t = tempfile::tempdir().unwrap();
        let (a, b, c) = (t.path().join("a.csv"), t.path().join("b.csv"), t.path().join("c.csv"));
        fs::write(&a, "old a").unwrap();
        std::os::unix::fs::symlink("a.csv", &c).unwrap();
        // Something that is never replaced, where the second file goes.
        fs::create_dir(&b).unwrap();
        let files: [(&Path, &[u8]); 3] = [(&a, b"new a"), (&c, b"new c"), (&b, b"new b")];
        let e = write_files(&files, true).unwrap_err();
        assert!(e.to_string().contains("b.csv") && e.to_string().contains("is a folder"), "{e}");
        assert_eq!(fs::read_to_string(&a).unwrap(), "old a");
        assert!(fs::symlink_metadata(&c).unwrap().file_type().is_symlink(), "the link is back");
        let names: Vec<_> = fs::read_dir(t.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 3, "nothing else left: {names:?}");
        // With the way clear, all are replaced, links themselves, and nothing else is left.
        fs::remove_dir(&b).unwrap();
        write_files(&files, true).unwrap();
        for (p, want) in [(&a, "new a"), (&b, "new b"), (&c, "new c")] {
            assert_eq!(fs::read_to_string(p).unwrap(), want);
        }
        assert!(fs::symlink_metadata(&c).unwrap().file_type().is_file());
        assert_eq!(fs::read_dir(t.path()).unwrap().count(), 3);
        // Without --force nothing existing is replaced, and nothing is written.
        let e = write_files(&[(&a, b"newer"), (&t.path().join("d.csv"), b"d")], false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&a).unwrap(), "new a");
        assert!(!t.path().join("d.csv").exists());
    }

    #[test]
    fn stale_staging_of_dead_processes_goes_and_live_staging_stays() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("r");
        // A pid that cannot be alive (above the kernel's pid_max) and our own.
        let dead = staged_name(&dest, Stage::Partial, 4999999);
        let dead_old = staged_name(&dest, Stage::Old, 4999997);
        let live = staged_name(&dest, Stage::Partial, std::process::id());
        let unknown = staged_name(&dest, Stage::Partial, 4999998);
        // A person's folders named like staging without its code (the new-user tour's: a run
        // deleted `.z.old-99999/metrics.csv`), or with another name's code.
        let named = [".r.partial-4999999", ".r.old-4999999", ".r.partial-4999999-0badc0de"].map(|n| t.path().join(n));
        let borrowed = {
            let other = staged_name(&t.path().join("q"), Stage::Partial, 4999999);
            t.path().join(format!(".r.partial-4999999-{}", other.to_string_lossy().rsplit('-').next().unwrap()))
        };
        for d in [&dead, &dead_old, &live, &unknown].into_iter().chain(&named).chain([&borrowed]) {
            fs::create_dir(d).unwrap();
            fs::write(d.join("metrics.csv"), "x").unwrap();
        }
        fs::write(unknown.join("mine.txt"), "keep").unwrap();
        let mut removed = remove_stale_staging(&dest, |n| n == "metrics.csv");
        removed.sort();
        if cfg!(target_os = "linux") {
            // A dead process's old output, with nothing in its place, is put back there.
            assert_eq!(removed, vec![dead.clone()]);
            assert!(!dead.exists() && !dead_old.exists());
            assert!(dest.join("metrics.csv").exists(), "put back");
            // With something in its place, it goes.
            fs::create_dir(&dead_old).unwrap();
            fs::write(dead_old.join("metrics.csv"), "x").unwrap();
            assert_eq!(remove_stale_staging(&dest, |n| n == "metrics.csv"), vec![dead_old.clone()]);
            assert!(!dead_old.exists());
        }
        assert!(live.join("metrics.csv").exists());
        assert!(unknown.join("mine.txt").exists(), "a staging folder with a foreign file stays");
        assert!(unknown.join("metrics.csv").exists(), "whole: not even the files named like Polity's go");
        for d in named.iter().chain([&borrowed]) {
            assert!(d.join("metrics.csv").exists(), "{} is not Polity's staging", d.display());
        }
        // The names decode to their process and kind, and only theirs do.
        assert_eq!(staged_pid(&dead.file_name().unwrap().to_string_lossy()), Some((4999999, Stage::Partial)));
        assert_eq!(staged_pid(&dead_old.file_name().unwrap().to_string_lossy()), Some((4999997, Stage::Old)));
        for d in named.iter().chain([&borrowed]) {
            assert_eq!(staged_pid(&d.file_name().unwrap().to_string_lossy()), None, "{}", d.display());
        }
    }
}
