//! A trained policy's file: safetensors weights with a header saying what they were trained
//! for (the scenario, the group, the observation's length, the actions, the network's shape),
//! read and checked here without building the network, so a scenario naming a missing,
//! corrupt or mismatched file is refused with a located error before anything runs.
//!
//! The header is one safetensors metadata entry, `polity`, holding [`Header`] as JSON (one
//! entry, so the file's bytes do not depend on a hash map's order). Tensors are named as
//! [`Header::shapes`] lists them, prefixed `aK.` for agent `K` of the group when each agent
//! has its own network.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The header's format tag.
pub const FORMAT: &str = "polity-policy-1";

/// The metadata key the header is stored under.
pub const KEY: &str = "polity";

/// What a policy file says of itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The scenario it was trained in.
    pub scenario: String,
    /// The group whose policy it is.
    pub group: String,
    /// The observation's length.
    pub observation: usize,
    /// The number of actions.
    pub actions: usize,
    /// The observation window's radius.
    pub view: u32,
    /// Hidden layer widths.
    pub hidden: Vec<u32>,
    /// Networks in the file: 1 when the group shares one, else one per agent.
    pub networks: u32,
}

/// The name prefix of network `k`'s tensors in a file of `networks` networks: none for one
/// shared network, `aK.` for agent `K`'s own.
pub fn prefix(networks: u32, k: u32) -> String {
    if networks == 1 { String::new() } else { format!("a{k}.") }
}

impl Header {
    /// The shape of every tensor the file must hold, by name: the shared trunk's layers
    /// `trunk.L.weight` (width × inputs) and `.bias`, then the heads `actor.weight` (actions ×
    /// last width), `critic.weight` (1 × last width) and their biases.
    pub fn shapes(&self) -> Vec<(String, Vec<usize>)> {
        let mut out = Vec::new();
        let last = self.hidden.last().map_or(self.observation, |&w| w as usize);
        for k in 0..self.networks {
            let prefix = prefix(self.networks, k);
            let mut inputs = self.observation;
            for (l, &width) in self.hidden.iter().enumerate() {
                out.push((format!("{prefix}trunk.{l}.weight"), vec![width as usize, inputs]));
                out.push((format!("{prefix}trunk.{l}.bias"), vec![width as usize]));
                inputs = width as usize;
            }
            for (head, outputs) in [("actor", self.actions), ("critic", 1)] {
                out.push((format!("{prefix}{head}.weight"), vec![outputs, last]));
                out.push((format!("{prefix}{head}.bias"), vec![outputs]));
            }
        }
        out.sort();
        out
    }

    /// The metadata map a file stores this header in.
    pub fn metadata(&self) -> HashMap<String, String> {
        HashMap::from([(KEY.to_string(), serde_json::to_string(self).expect("a header serialises"))])
    }
}

/// A problem with a policy file: what is wrong and how to fix it.
#[derive(Clone, Debug, PartialEq)]
pub struct FileProblem {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

fn problem(message: impl Into<String>, hint: impl Into<String>) -> FileProblem {
    FileProblem { message: message.into(), hint: Some(hint.into()) }
}

/// The bytes of the policy file at `path`, a file ([`crate::input::check`]: `/dev/zero` was
/// read until the system ran out of memory). No size is refused: a group of many agents with
/// a network each (`shared: false`) may well hold gigabytes.
pub fn read_file(path: &str) -> std::io::Result<Vec<u8>> {
    crate::input::check(std::path::Path::new(path))?;
    std::fs::read(path)
}

/// Reads a policy file's header and checks that its tensors are those the header describes
/// (names, shapes, f32) and that every weight is a finite number.
pub fn read_header(path: &str) -> Result<Header, FileProblem> {
    read_checked(path).map(|(header, _)| header)
}

/// [`read_header`], and the hash of the weights ([`weights_hash`]), from one reading.
fn read_checked(path: &str) -> Result<(Header, u64), FileProblem> {
    let bytes = read_file(path).map_err(|e| {
        // A training's folder given for one of its files: name them.
        let mut files: Vec<String> = std::fs::read_dir(std::path::Path::new(path).join("policies"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".safetensors"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let hint = if files.is_empty() {
            let relative =
                if std::path::Path::new(path).is_absolute() { "" } else { " (relative to the working directory)" };
            format!("give the path of a file `polity train` wrote, e.g. DIR/policies/GROUP.safetensors{relative}")
        } else {
            let dir = path.trim_end_matches('/');
            let named: Vec<String> = files.iter().map(|f| format!("{dir}/policies/{f}")).collect();
            format!("this is a training's folder; give one of its policy files: {}", named.join(", "))
        };
        problem(format!("cannot read the policy file `{path}`: {e}"), hint)
    })?;
    let not_policy = |why: String| {
        problem(
            format!("`{path}` is not a Polity policy file: {why}"),
            "train one with `polity train SCENARIO --out DIR`; it writes DIR/policies/GROUP.safetensors",
        )
    };
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
        .map_err(|e| not_policy(format!("it is not a safetensors file, or it is cut short or damaged ({e})")))?;
    let text = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get(KEY))
        .ok_or_else(|| not_policy("it has no `polity` header".into()))?;
    let header: Header =
        serde_json::from_str(text).map_err(|e| not_policy(format!("its `polity` header does not read ({e})")))?;
    if header.format != FORMAT {
        return Err(not_policy(format!("its format is `{}`; this Polity reads `{FORMAT}`", header.format)));
    }
    let expected = header.shapes();
    let mut found: Vec<(String, Vec<usize>)> =
        meta.tensors().into_iter().map(|(name, info)| (name, info.shape.clone())).collect();
    found.sort();
    if found != expected {
        return Err(not_policy("its tensors are not those its header describes (the file is damaged)".into()));
    }
    if let Some((name, info)) = meta.tensors().into_iter().find(|(_, i)| i.dtype != safetensors::Dtype::F32) {
        return Err(not_policy(format!("tensor `{name}` is {:?}, not F32", info.dtype)));
    }
    // The data must be all there (read_metadata checks the offsets against the header only).
    let tensors =
        safetensors::SafeTensors::deserialize(&bytes).map_err(|e| not_policy(format!("its data is damaged ({e})")))?;
    // And every weight a number: a NaN or an infinity makes every choice NaN. The weights'
    // hash is taken on the way, in name order.
    let mut names = tensors.names();
    names.sort();
    let mut h = crate::hash::Fnv::new();
    for name in names {
        let view = tensors.tensor(name).map_err(|e| not_policy(format!("its data is damaged ({e})")))?;
        h.write(name.as_bytes());
        for b in view.data().chunks_exact(4) {
            h.write_u64(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64);
        }
        let bad = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .position(|v| !v.is_finite());
        if let Some(i) = bad {
            return Err(problem(
                format!("`{path}`: weight {i} of tensor `{name}` is not a finite number (NaN or ±infinity)"),
                "a training that diverged, or a damaged file: train again (a smaller learning_rate, or max_grad_norm, may keep it finite)",
            ));
        }
    }
    Ok((header, h.finish()))
}

/// A policy file's bytes from its header and its tensors' values (f32, row-major, by name), for
/// networks trained elsewhere (the Python API's `export_policy`): every tensor the header
/// describes must be given, with its shape's number of finite values, and nothing else.
pub fn encode(header: &Header, tensors: &[(String, Vec<f32>)]) -> Result<Vec<u8>, String> {
    let expected = header.shapes();
    let mut given: Vec<&str> = tensors.iter().map(|(n, _)| n.as_str()).collect();
    given.sort_unstable();
    let names: Vec<&str> = expected.iter().map(|(n, _)| n.as_str()).collect();
    if given != names {
        let missing: Vec<&str> = names.iter().filter(|n| !given.contains(n)).copied().collect();
        let extra: Vec<&str> = given.iter().filter(|n| !names.contains(n)).copied().collect();
        return Err(format!(
            "the tensors are not those a {}-input network with hidden widths {:?} and {} actions has: missing {missing:?}, unexpected {extra:?} (expected {names:?})",
            header.observation, header.hidden, header.actions
        ));
    }
    let mut bytes: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, shape) in &expected {
        let values = &tensors.iter().find(|(n, _)| n == name).expect("checked above").1;
        let want: usize = shape.iter().product();
        if values.len() != want {
            return Err(format!("tensor `{name}` has {} values; its shape {shape:?} needs {want}", values.len()));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(format!("tensor `{name}` holds {} at index {i}; weights must be finite", values[i]));
        }
        bytes.push((name.clone(), shape.clone(), values.iter().flat_map(|v| v.to_le_bytes()).collect()));
    }
    let views = bytes
        .iter()
        .map(|(n, shape, data)| {
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), data)
                .map(|v| (n.as_str(), v))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    safetensors::serialize(views, Some(header.metadata())).map_err(|e| e.to_string())
}

/// What a group needs of its policy file.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect<'a> {
    /// The group's name.
    pub group: &'a str,
    /// What its observation is made of in this scenario.
    pub seen: Seen,
    /// The number of actions.
    pub actions: usize,
    /// The group's network shape.
    pub hidden: &'a [u32],
    /// Networks the group needs: 1 when shared, else its count.
    pub networks: u32,
}

/// What an observation's length is made of, so a file trained with another one can be told
/// what differs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Seen {
    /// An agent group's: its window of radius `view`, and one rate a tax bracket.
    Agent { view: u32, brackets: usize },
    /// A learned principal's: one rate a tax bracket, two numbers an agent.
    Principal { brackets: usize, agents: usize },
}

impl Seen {
    /// The observation's length.
    pub fn len(&self) -> usize {
        match *self {
            Seen::Agent { view, brackets } => crate::rules::observation::size(view, brackets),
            Seen::Principal { brackets, agents } => crate::rules::observation::principal_size(brackets, agents),
        }
    }

    /// Whether the observation is empty (never).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Why a file whose observation is `h.observation` numbers long does not fit, and what to
    /// change: the view, the tax brackets or the agents, whichever differs.
    fn mismatch(&self, path: &str, h: &Header) -> FileProblem {
        let (trained, here) = (h.observation, self.len());
        let retrain = "or retrain the group in this scenario (`polity train SCENARIO --out DIR`)";
        let plural = |n: usize, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
        match *self {
            Seen::Agent { view, .. } if h.view != view => problem(
                format!(
                    "`{path}` was trained with view {} ({trained} numbers an observation), but this group's view is {view} ({here})",
                    h.view
                ),
                format!("set the group's `view: {}`, {retrain}", h.view),
            ),
            Seen::Agent { view, brackets } => {
                let base = crate::rules::observation::size(view, 0);
                match trained.checked_sub(base) {
                    // More brackets than a schedule has: the header's view and its observation
                    // disagree (an edited header); the view the length fits, if any, is named.
                    Some(b) if b > crate::rules::tax::MAX_BRACKETS => {
                        let fits = (1..=8u32).find(|&v| {
                            (0..=crate::rules::tax::MAX_BRACKETS)
                                .any(|b| crate::rules::observation::size(v, b) == trained)
                        });
                        problem(
                            format!(
                                "`{path}` is damaged: its header says view {}, whose observation is {base} numbers (and one more a tax bracket, at most {}), but its observation is {trained} numbers{}",
                                h.view,
                                crate::rules::tax::MAX_BRACKETS,
                                fits.map_or(String::new(), |v| format!(" (view {v}'s)"))
                            ),
                            retrain.trim_start_matches("or ").to_string(),
                        )
                    }
                    Some(b) => problem(
                        format!(
                            "`{path}` was trained in a world with {} (an observation holds each bracket's rate), but this scenario has {}",
                            plural(b, "tax bracket"),
                            plural(brackets, "tax bracket"),
                        ),
                        format!(
                            "{}, {retrain}",
                            if b == 0 {
                                "remove the scenario's `tax`".to_string()
                            } else {
                                format!("give the scenario's `tax` {} (`brackets: [...]`)", plural(b, "bracket"))
                            }
                        ),
                    ),
                    None => problem(
                        format!(
                            "`{path}` expects observations of {trained} numbers (view {}), but this group sees {here} here",
                            h.view
                        ),
                        retrain.trim_start_matches("or ").to_string(),
                    ),
                }
            }
            Seen::Principal { brackets, agents } => {
                // The same brackets and other agents, or the same agents and other brackets.
                let other = trained.checked_sub(2 + brackets).filter(|n| n % 2 == 0).map(|n| n / 2);
                let said = match other {
                    Some(a) if a != agents => format!(
                        "as with {} and {} agents; this scenario has {agents}",
                        plural(brackets, "tax bracket"),
                        a
                    ),
                    _ => format!(
                        "2, one a tax bracket and two an agent; here {} and {agents} agents make {here}",
                        plural(brackets, "bracket")
                    ),
                };
                problem(
                    format!("`{path}` expects observations of {trained} numbers ({said})"),
                    format!("keep the agents' count and the tax brackets of the training, {retrain}"),
                )
            }
        }
    }
}

/// Reads `path` and checks it fits the group: its name, the observation's length, the actions,
/// the network's shape.
pub fn check(path: &str, want: &Expect) -> Result<Header, FileProblem> {
    let h = read_header(path)?;
    let retrain =
        "train the group in this scenario (`polity train SCENARIO --out DIR`) and use DIR/policies/GROUP.safetensors";
    if h.group != want.group && want.group == "principal" {
        // (The principal is no group: "not of group `principal`" said the wrong thing.)
        return Err(problem(
            format!(
                "`{path}` holds the policy of agent group `{}` of scenario `{}`, not a learned principal's",
                h.group, h.scenario
            ),
            format!(
                "an agent group's file plays that group (`--policy {}={path}`); a principal's file is \
                 DIR/policies/principal.safetensors of a training whose principal learns (`polity train SCENARIO --out DIR`)",
                h.group
            ),
        ));
    }
    if h.group != want.group {
        return Err(problem(
            format!(
                "`{path}` holds the policy of group `{}` of scenario `{}`, not of group `{}`",
                h.group, h.scenario, want.group
            ),
            retrain,
        ));
    }
    if h.observation != want.seen.len() {
        return Err(want.seen.mismatch(path, &h));
    }
    if h.actions != want.actions {
        // The principal's actions are its tax rates' choices (brackets × rate steps).
        return Err(if want.group == "principal" {
            problem(
                format!(
                    "`{path}` chooses among {} tax-rate actions, the principal here among {} (its tax brackets and `rate_step`)",
                    h.actions, want.actions
                ),
                "keep the tax brackets and `rate_step` of the training, or train the principal in this scenario \
                 (`polity train SCENARIO --out DIR`) and use DIR/policies/principal.safetensors",
            )
        } else {
            problem(
                format!("`{path}` chooses among {} actions, agents here among {}", h.actions, want.actions),
                retrain,
            )
        });
    }
    if h.hidden != want.hidden {
        return Err(problem(
            format!("`{path}` has hidden layers {:?}, the group's policy says {:?}", h.hidden, want.hidden),
            format!("set the group's `hidden: {:?}`", h.hidden),
        ));
    }
    if h.networks != want.networks {
        return Err(problem(
            format!("`{path}` holds {} network(s); the group needs {}", h.networks, want.networks),
            "keep the group's `count` and `shared` as they were in training",
        ));
    }
    Ok(h)
}

/// A policy file a run played (listed in its `run.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlayedPolicy {
    /// The group (`principal` for a learned principal).
    pub group: String,
    /// The file, an absolute path.
    pub file: String,
    /// [`weights_hash`] of the file, 16 hex digits, as `train.json` lists it.
    pub weights_hash: String,
}

/// The digest of a policy file's weights as `Policy::hash` takes it from the loaded network
/// (`train.json`'s `weights_hash`): FNV-1a over each tensor's name and then its values' f32
/// bits, tensors in name order. Checked as [`read_header`] checks the file.
pub fn weights_hash(path: &str) -> Result<u64, FileProblem> {
    read_checked(path).map(|(_, hash)| hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(observation: usize, view: u32) -> Header {
        Header {
            format: FORMAT.into(),
            scenario: "s".into(),
            group: "g".into(),
            observation,
            actions: 5,
            view,
            hidden: vec![8],
            networks: 1,
        }
    }

    #[test]
    fn a_mismatched_observation_names_what_differs() {
        use crate::rules::observation::{principal_size, size};
        let here = Seen::Agent { view: 3, brackets: 0 };
        // Another view.
        let e = here.mismatch("p", &header(size(2, 0), 2));
        assert!(
            e.message.contains("trained with view 2 (231 numbers an observation), but this group's view is 3 (447)"),
            "{}",
            e.message
        );
        assert!(e.hint.unwrap().starts_with("set the group's `view: 2`, or retrain"));
        // The same view and three tax brackets: the brackets are named, not the view.
        let e = here.mismatch("p", &header(size(3, 3), 3));
        assert!(e.message.contains("trained in a world with 3 tax brackets"), "{}", e.message);
        assert!(e.message.ends_with("but this scenario has 0 tax brackets"), "{}", e.message);
        assert!(e.hint.unwrap().starts_with("give the scenario's `tax` 3 brackets"));
        // Trained without taxes, played with one bracket.
        let e = Seen::Agent { view: 3, brackets: 1 }.mismatch("p", &header(size(3, 0), 3));
        assert!(e.message.contains("with 0 tax brackets") && e.message.contains("has 1 tax bracket"), "{}", e.message);
        assert!(e.hint.unwrap().starts_with("remove the scenario's `tax`"));
        // A header whose view was edited (view 2, a view-3 observation): damaged, not 216
        // tax brackets.
        let e = Seen::Agent { view: 2, brackets: 0 }.mismatch("p", &header(size(3, 0), 2));
        assert!(
            e.message.contains("`p` is damaged: its header says view 2")
                && e.message.ends_with("447 numbers (view 3's)"),
            "{}",
            e.message
        );
        // A principal trained with 10 agents, played with 12 (3 brackets both).
        let e = Seen::Principal { brackets: 3, agents: 12 }.mismatch("p", &header(principal_size(3, 10), 0));
        assert!(e.message.contains("(as with 3 tax brackets and 10 agents; this scenario has 12)"), "{}", e.message);
        // One the agents cannot explain (an odd remainder): the parts are said.
        let e = Seen::Principal { brackets: 3, agents: 12 }.mismatch("p", &header(principal_size(2, 12), 0));
        assert!(e.message.contains("here 3 brackets and 12 agents make 29"), "{}", e.message);
    }
}
