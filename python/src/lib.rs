//! `polity._polity`: the engine's environments ([`polity::env`]) as Python classes. The
//! PettingZoo and Gymnasium classes in `polity/` wrap these; observations and rewards cross
//! as NumPy arrays, written in place where the caller gives the array. Every engine error
//! becomes a `polity.PolityError` (a `ValueError`) with the engine's message.

use numpy::{
    PyArray1, PyArray2, PyArray3, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray1,
    PyReadwriteArray2, PyReadwriteArray3,
};
use polity::env::{self, Env, Options, VecEnv};
use polity::parallel::in_this_process;
use pyo3::prelude::*;

pyo3::create_exception!(polity, PolityError, pyo3::exceptions::PyValueError);

fn fail(message: impl Into<String>) -> PyErr {
    PolityError::new_err(pythonic(&message.into()))
}

/// The engine's message as a Python user reads it: without the command line's closing count
/// ("1 problem found; nothing was run"), and naming Python's ways where it names the command
/// line's (`polity.builtins()`, `fps=`).
fn pythonic(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .filter(|l| {
            let w: Vec<&str> = l.split(' ').collect();
            let count = w.len() >= 3
                && w[0].parse::<u64>().is_ok()
                && matches!(w[1], "problem" | "problems")
                && w[2].starts_with("found");
            !count
        })
        .collect();
    lines
        .join("\n")
        .replace("`polity scenarios` lists the built-in scenarios", "`polity.builtins()` lists the built-in scenarios")
        .replace("`polity scenarios` lists them all", "`polity.builtins()` lists them all")
        .replace("--fps ", "fps=")
}

/// [`fail`] for an error about writing a file, told as Python says it: the engine's
/// `--force` is the keyword `force=True` here.
fn fail_writing(message: impl Into<String>) -> PyErr {
    fail(message.into().replace("--force", "force=True"))
}

/// An override's value: a Python int crosses as a whole number (exactly, past 2⁵³), anything
/// else as a float (`polity/env.py` has checked it is a number).
struct Override(env::Number);

impl<'a, 'py> FromPyObject<'a, 'py> for Override {
    type Error = PyErr;
    fn extract(ob: pyo3::Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if ob.is_instance_of::<pyo3::types::PyInt>() {
            if let Ok(n) = ob.extract::<i128>() {
                return Ok(Override(env::Number::Int(n)));
            }
        }
        Ok(Override(env::Number::Float(ob.extract::<f64>()?)))
    }
}

fn scenario(
    source: &str,
    overrides: Option<Vec<(String, Override)>>,
    policies: Option<Vec<(String, String)>>,
) -> PyResult<polity::scenario::Scenario> {
    let overrides: Vec<(String, env::Number)> =
        overrides.unwrap_or_default().into_iter().map(|(p, v)| (p, v.0)).collect();
    let mut s = env::scenario_from(source, &overrides).map_err(fail)?;
    let policies = policies.unwrap_or_default();
    env::play_files(&mut s, &policies).map_err(fail)?;
    Ok(s)
}

fn seed_of(seed: Option<i128>) -> PyResult<Option<u64>> {
    match seed {
        Some(s) if !(0..=u64::MAX as i128).contains(&s) => {
            Err(fail(format!("seed {s}: seeds are integers from 0 to 2**64 - 1")))
        }
        s => Ok(s.map(|s| s as u64)),
    }
}

/// How a world is exposed (shared by both environments): agent names, observation and action
/// sizes and bounds, the principal's, the episode's length.
#[pyclass(frozen, module = "polity._polity")]
struct Layout(env::Layout);

type Bounds<'py> = (Bound<'py, PyArray1<f32>>, Bound<'py, PyArray1<f32>>);

#[pymethods]
impl Layout {
    /// Agent names, id order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.0.names.clone()
    }
    #[getter]
    fn observation_size(&self) -> usize {
        self.0.observation
    }
    #[getter]
    fn actions(&self) -> usize {
        self.0.actions
    }
    #[getter]
    fn view(&self) -> u32 {
        self.0.view
    }
    #[getter]
    fn ticks(&self) -> u64 {
        self.0.ticks
    }
    #[getter]
    fn principal_observation_size(&self) -> usize {
        self.0.principal_observation
    }
    #[getter]
    fn principal_choices(&self) -> Vec<usize> {
        self.0.principal_choices.clone()
    }
    /// Each observation value's (low, high) bounds.
    fn bounds<'py>(&self, py: Python<'py>) -> Bounds<'py> {
        let (lo, hi) = self.0.bounds();
        (PyArray1::from_vec(py, lo), PyArray1::from_vec(py, hi))
    }
    /// The principal's observation bounds.
    fn principal_bounds<'py>(&self, py: Python<'py>) -> Bounds<'py> {
        let (lo, hi) = self.0.principal_bounds();
        (PyArray1::from_vec(py, lo), PyArray1::from_vec(py, hi))
    }
}

/// One world as `polity run` steps it.
#[pyclass(unsendable, module = "polity._polity")]
struct RawEnv {
    inner: Env,
}

#[pymethods]
impl RawEnv {
    #[new]
    #[pyo3(signature = (scenario_source, seed=None, overrides=None, view=None, principal=false, policies=None))]
    fn new(
        scenario_source: &str,
        seed: Option<i128>,
        overrides: Option<Vec<(String, Override)>>,
        view: Option<u32>,
        principal: bool,
        policies: Option<Vec<(String, String)>>,
    ) -> PyResult<RawEnv> {
        let s = scenario(scenario_source, overrides, policies)?;
        let seed = seed_of(seed)?;
        let inner = in_this_process_unsent(|| Env::new(s, seed, Options { view, principal })).map_err(fail)?;
        Ok(RawEnv { inner })
    }

    /// The layout: agents, observation and action sizes, bounds.
    #[getter]
    fn layout(&self) -> Layout {
        Layout(self.inner.layout().clone())
    }
    /// Each agent's group name, id order.
    #[getter]
    fn groups(&self) -> Vec<String> {
        let s = self.inner.scenario();
        self.inner.world().agents.iter().map(|a| s.agents[a.group as usize].name.clone()).collect()
    }
    #[getter]
    fn tick(&self) -> u64 {
        self.inner.tick()
    }
    #[getter]
    fn seed(&self) -> u64 {
        self.inner.seed()
    }
    #[getter]
    fn scenario_name(&self) -> String {
        self.inner.scenario().name.clone()
    }
    /// Whether the next tick ends a tax period (the principal's choice is read then).
    #[getter]
    fn principal_acts(&self) -> bool {
        env::principal_acts(self.inner.world())
    }
    #[getter]
    fn state_size(&self) -> usize {
        let g = &self.inner.world().grid;
        self.inner.layout().state_size(g.width(), g.height())
    }
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.inner.columns().iter().map(|c| c.to_string()).collect()
    }
    /// The scenario as RON (what `polity run` writes as scenario.ron).
    fn scenario_ron(&self) -> String {
        polity::scenario::to_ron(self.inner.scenario())
    }

    #[pyo3(signature = (seed=None))]
    fn reset(&mut self, seed: Option<i128>) -> PyResult<()> {
        let (seed, inner) = (seed_of(seed)?, &mut self.inner);
        in_this_process_unsent(|| inner.reset(seed));
        Ok(())
    }

    /// Every agent's observation: an array (agents, observation_size) of float32.
    fn observe<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f32>> {
        let l = self.inner.layout();
        let out = PyArray2::<f32>::zeros(py, (l.names.len(), l.observation), false);
        {
            let mut w = out.readwrite();
            self.inner.observe(w.as_slice_mut().expect("a fresh array is contiguous"));
        }
        out
    }

    fn principal_observe<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_vec(py, self.inner.principal_observation())
    }

    fn state<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        PyArray1::from_vec(py, self.inner.state())
    }

    /// One tick. `actions`: int64 per agent (−1: the agent decides itself); `principal`: a
    /// choice per bracket, or None. Returns (rewards, principal_reward, truncated, metrics,
    /// events as JSON lines, executed actions).
    #[pyo3(signature = (actions, principal=None))]
    #[allow(clippy::type_complexity)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: PyReadonlyArray1<'py, i64>,
        principal: Option<PyReadonlyArray1<'py, i64>>,
    ) -> PyResult<(
        Bound<'py, PyArray1<f64>>,
        f64,
        bool,
        Bound<'py, PyArray1<f64>>,
        Vec<String>,
        Bound<'py, PyArray1<i64>>,
    )> {
        let acts: Vec<Option<i64>> = actions.as_array().iter().map(|&a| (a >= 0).then_some(a)).collect();
        if let Some(bad) = actions.as_array().iter().find(|&&a| a < -1) {
            return Err(fail(format!("action {bad} is out of range: actions are 0 to 4, or -1 for the agent's own")));
        }
        let choice: Option<Vec<i64>> = principal.map(|p| p.as_array().to_vec());
        let inner = &mut self.inner;
        let out = in_this_process_unsent(|| inner.step(&acts, choice.as_deref())).map_err(fail)?;
        let events = out.events.iter().map(|e| serde_json::to_string(e).expect("events serialise")).collect();
        Ok((
            PyArray1::from_vec(py, out.rewards),
            out.principal_reward,
            out.truncated,
            PyArray1::from_vec(py, out.metrics),
            events,
            PyArray1::from_vec(py, out.executed.into_iter().map(|a| a as i64).collect()),
        ))
    }

    /// The recorder's picture of the world: an array (height, width, 3) of uint8.
    #[pyo3(signature = (width=960, height=540))]
    fn render<'py>(&mut self, py: Python<'py>, width: u32, height: u32) -> PyResult<Bound<'py, PyArray3<u8>>> {
        let size: polity::record::Size = format!("{width}x{height}").parse().map_err(fail)?;
        let c = self.inner.render(size);
        let rgb: Vec<u8> = c.rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        PyArray1::from_vec(py, rgb).reshape([c.height as usize, c.width as usize, 3])
    }

    fn state_hash(&self) -> u64 {
        self.inner.state_hash()
    }
}

/// Many copies of a world, stepped in parallel.
#[pyclass(unsendable, module = "polity._polity")]
struct RawVecEnv {
    inner: VecEnv,
}

#[pymethods]
impl RawVecEnv {
    #[new]
    #[pyo3(signature = (scenario_source, num_envs, seed=None, overrides=None, view=None, policies=None))]
    fn new(
        scenario_source: &str,
        num_envs: usize,
        seed: Option<i128>,
        overrides: Option<Vec<(String, Override)>>,
        view: Option<u32>,
        policies: Option<Vec<(String, String)>>,
    ) -> PyResult<RawVecEnv> {
        let s = scenario(scenario_source, overrides, policies)?;
        let seed = seed_of(seed)?;
        let inner =
            in_this_process(|| VecEnv::new(s, num_envs, seed, Options { view, principal: false })).map_err(fail)?;
        Ok(RawVecEnv { inner })
    }
    /// The layout: agents, observation and action sizes, bounds.
    #[getter]
    fn layout(&self) -> Layout {
        Layout(self.inner.layout().clone())
    }
    #[getter]
    fn num_envs(&self) -> usize {
        self.inner.len()
    }
    #[pyo3(signature = (seed=None))]
    fn reset(&mut self, seed: Option<i128>) -> PyResult<()> {
        let (seed, inner) = (seed_of(seed)?, &mut self.inner);
        in_this_process(|| inner.reset(seed));
        Ok(())
    }
    /// Each world's seed for the episode it is playing.
    fn seeds(&self) -> Vec<u64> {
        self.inner.seeds()
    }
    /// Writes every world's observations into `obs` (num_envs, agents, observation_size).
    fn observe(&self, mut obs: PyReadwriteArray3<'_, f32>) -> PyResult<()> {
        let slice = obs.as_slice_mut().map_err(|_| fail("obs must be a C-contiguous float32 array"))?;
        self.check_obs(slice.len())?;
        let inner = &self.inner;
        in_this_process(|| inner.observe(slice));
        Ok(())
    }
    /// One tick of every world; writes observations, rewards and truncations in place, and
    /// into `final_obs` each truncated world's last observation of the episode that ended.
    fn step(
        &mut self,
        py: Python<'_>,
        actions: PyReadonlyArray2<'_, i64>,
        mut obs: PyReadwriteArray3<'_, f32>,
        mut final_obs: PyReadwriteArray3<'_, f32>,
        mut rewards: PyReadwriteArray2<'_, f32>,
        mut truncated: PyReadwriteArray1<'_, bool>,
    ) -> PyResult<()> {
        let actions = actions.as_slice().map_err(|_| fail("actions must be a C-contiguous int64 array"))?;
        let obs = obs.as_slice_mut().map_err(|_| fail("obs must be a C-contiguous float32 array"))?;
        self.check_obs(obs.len())?;
        let final_obs = final_obs.as_slice_mut().map_err(|_| fail("final_obs must be a C-contiguous float32 array"))?;
        self.check_obs(final_obs.len())?;
        let rewards = rewards.as_slice_mut().map_err(|_| fail("rewards must be a C-contiguous float32 array"))?;
        let truncated = truncated.as_slice_mut().map_err(|_| fail("truncated must be a C-contiguous bool array"))?;
        let (e, n) = (self.inner.len(), self.inner.layout().names.len());
        if rewards.len() != e * n || truncated.len() != e {
            return Err(fail(format!("rewards must be ({e}, {n}) and truncated ({e},)")));
        }
        let inner = &mut self.inner;
        py.detach(|| in_this_process(|| inner.step(actions, obs, final_obs, rewards, truncated))).map_err(fail)
    }
}

impl RawVecEnv {
    fn check_obs(&self, len: usize) -> PyResult<()> {
        let l = self.inner.layout();
        let want = self.inner.len() * l.names.len() * l.observation;
        if len != want {
            return Err(fail(format!(
                "obs must be ({}, {}, {}) float32, got {len} values",
                self.inner.len(),
                l.names.len(),
                l.observation
            )));
        }
        Ok(())
    }
}

/// A recording being written: a GIF, MP4/WebM (through ffmpeg) or a folder of PNG frames,
/// staged beside its target and moved into place by `finish()` (dropped unfinished, nothing is
/// left behind).
#[pyclass(unsendable, module = "polity._polity")]
struct RawRecording {
    sink: Option<Box<dyn polity::record::FrameSink>>,
    size: polity::record::Size,
    frames: u64,
}

#[pymethods]
impl RawRecording {
    #[new]
    #[pyo3(signature = (out, width=960, height=540, fps=30, force=false))]
    fn new(out: std::path::PathBuf, width: u32, height: u32, fps: u32, force: bool) -> PyResult<RawRecording> {
        let size: polity::record::Size = format!("{width}x{height}").parse().map_err(fail)?;
        if fps == 0 {
            return Err(fail("fps must be at least 1"));
        }
        let mut output = polity::record::Output::parse(&out).map_err(fail)?;
        output.force = force;
        let sink = polity::record::encode::open(&output, size, fps).map_err(fail_writing)?;
        Ok(RawRecording { sink: Some(sink), size, frames: 0 })
    }

    /// Adds the picture of `env`'s world as it stands.
    fn frame(&mut self, env: &mut RawEnv) -> PyResult<()> {
        let sink = self.sink.as_mut().ok_or_else(|| fail("the recording is finished"))?;
        let canvas = env.inner.render(self.size);
        sink.frame(&canvas).map_err(|e| fail(format!("writing a frame: {e}")))?;
        self.frames += 1;
        Ok(())
    }

    /// Completes the output and moves it into place; returns the frames written.
    fn finish(&mut self) -> PyResult<u64> {
        let sink = self.sink.take().ok_or_else(|| fail("the recording is finished"))?;
        sink.finish().map_err(|e| fail(format!("finishing the recording: {e}")))?;
        Ok(self.frames)
    }
}

/// Writes a policy file for `group` of a scenario from a network trained elsewhere; returns
/// its header as JSON.
#[pyfunction]
#[pyo3(signature = (path, scenario_source, group, tensors, view=None, force=false, overrides=None))]
fn export_policy(
    path: std::path::PathBuf,
    scenario_source: &str,
    group: &str,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    view: Option<u32>,
    force: bool,
    overrides: Option<Vec<(String, Override)>>,
) -> PyResult<String> {
    let s = scenario(scenario_source, overrides, None)?;
    let header = env::export_policy(&s, group, view, &tensors, &path, force).map_err(fail_writing)?;
    Ok(serde_json::to_string(&header).expect("a header serialises"))
}

/// The seed `reset()` plays after `seed` when given none ([`env::next_seed`]).
#[pyfunction]
fn next_seed(seed: u64) -> u64 {
    env::next_seed(seed)
}

/// The built-in scenarios' names.
#[pyfunction]
fn builtins() -> Vec<String> {
    polity::scenario::BUILTINS.iter().map(|b| b.name.to_string()).collect()
}

/// Sizes the engine's thread pool (call before the first environment; `None`: every core).
#[pyfunction]
#[pyo3(signature = (threads=None))]
fn set_threads(threads: Option<usize>) -> PyResult<usize> {
    // (`set_threads(10**6)` started threads for a quarter of an hour; `--threads` has the same
    // bound.)
    let most = polity::parallel::max_threads();
    if let Some(n) = threads.filter(|&n| n > most) {
        return Err(fail(format!(
            "set_threads({n}): at most {most} here ({} per core, {} cores); more threads than cores only slow the work",
            polity::parallel::THREADS_PER_CORE,
            polity::parallel::cores()
        )));
    }
    Ok(polity::parallel::init(threads.and_then(std::num::NonZeroUsize::new)))
}

/// [`in_this_process`] for a world that is not `Send` (an [`Env`] holds a Bevy `App`, whose
/// runner, never called by a headless world, is not): in a forked process its work runs on
/// the process's own pool, this thread blocked until it is done.
fn in_this_process_unsent<R>(f: impl FnOnce() -> R) -> R {
    /// A value moved to the pool's thread and back while this one waits.
    struct Moved<T>(T);
    // SAFETY: the value is used by one thread at a time: `in_this_process` runs the closure on
    // this thread or, in a forked process, on a thread of the pool while this one blocks in
    // `install` until it returns, and the result comes back the same way. What makes an `Env`
    // not `Send` is the Bevy `App`'s runner closure, which a headless world never calls; it
    // holds no thread-bound state (no non-send resources, no thread-local it keeps).
    unsafe impl<T> Send for Moved<T> {}
    let f = Moved(f);
    in_this_process(move || {
        let f = f;
        Moved((f.0)())
    })
    .0
}

#[pymodule]
fn _polity(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Layout>()?;
    m.add_class::<RawEnv>()?;
    m.add_class::<RawVecEnv>()?;
    m.add_class::<RawRecording>()?;
    m.add_function(wrap_pyfunction!(export_policy, m)?)?;
    m.add_function(wrap_pyfunction!(builtins, m)?)?;
    m.add_function(wrap_pyfunction!(next_seed, m)?)?;
    m.add_function(wrap_pyfunction!(set_threads, m)?)?;
    m.add("PolityError", m.py().get_type::<PolityError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    // The engine's ranges, for `polity/` to check arguments against before they cross (a
    // Python int past u32 would otherwise be a bare OverflowError naming no argument).
    m.add("VIEWS", (*env::VIEWS.start(), *env::VIEWS.end()))?;
    let (lo, hi) = (polity::record::Size::MIN, polity::record::Size::MAX);
    m.add("FRAME_SIZES", ((lo.width, lo.height), (hi.width, hi.height)))?;
    Ok(())
}
