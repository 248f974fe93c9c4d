//! Objects for side-effect worlds — vases and boxes that agents push, conveyor belts that
//! carry them — and the *effects* the world records: object transitions (a vase moved or
//! broken, a patch lost, apples taken from another agent, a store drained), each with the
//! tick, where it happened and who caused it. Impact accounting ([`crate::impact`]) compares
//! them with counterfactual worlds.
//!
//! The rules, shared by the ECS and the world model:
//! - an agent moving into an object pushes it one cell the same way if that cell is walkable
//!   and free of agents and objects; a vase pushed into a wall (or off the map) breaks and the
//!   agent takes its cell; a box that cannot move blocks the agent;
//! - after the moves, every object on a belt cell moves one cell along the belt, downstream
//!   objects first; a vase carried off the end of the belt (onto a cell that is not belt, or
//!   into a wall) breaks; an object whose next cell holds an agent or an object waits.

use serde::{Deserialize, Serialize};

/// No object.
const NONE: u32 = u32::MAX;

/// Vase or box.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum ObjectKind {
    /// Breaks when pushed into a wall or carried off a belt's end.
    Vase,
    /// Never breaks.
    Box,
}

/// One object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Object {
    /// Stable id: objects are numbered in map order from 0.
    pub id: u32,
    /// Vase or box.
    pub kind: ObjectKind,
    /// Column.
    pub x: u32,
    /// Row.
    pub y: u32,
    /// Where it started.
    pub home: (u32, u32),
    /// Broken (and gone from the map).
    pub broken: bool,
}

/// What an effect happened to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Subject {
    /// An object, by id.
    Object(u32),
    /// An apple patch, by number.
    Patch(u32),
    /// An agent, by id.
    Agent(u32),
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Object(i) => write!(f, "object:{i}"),
            Subject::Patch(i) => write!(f, "patch:{i}"),
            Subject::Agent(i) => write!(f, "agent:{i}"),
        }
    }
}

/// Who brought an effect about directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Cause {
    /// An agent's own move or pick.
    Agent(u32),
    /// The world's own dynamics (a belt).
    Environment,
}

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cause::Agent(i) => write!(f, "agent:{i}"),
            Cause::Environment => write!(f, "environment"),
        }
    }
}

/// One object transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Effect {
    /// The tick it happened in.
    pub tick: u64,
    /// What it happened to.
    pub subject: Subject,
    /// What happened.
    pub kind: EffectKind,
    /// Who did it.
    pub cause: Cause,
    /// Where (column).
    pub x: u32,
    /// Where (row).
    pub y: u32,
}

/// The objects and belts of a world.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Objects {
    width: u32,
    height: u32,
    list: Vec<Object>,
    /// Cell → index into `list` of the whole object standing there, or `NONE`; empty when
    /// the world has no objects.
    at: Vec<u32>,
    /// Cell → belt direction + 1, 0 for none; empty when the world has no belts.
    belts: Vec<u8>,
    #[serde(skip)]
    scratch: Vec<u32>,
}

const DIRS: [Dir; 4] = [Dir::North, Dir::East, Dir::South, Dir::West];

impl Objects {
    /// Objects at cells (in map order; ids follow it) and belts, on a `width × height` map.
    pub fn new(width: u32, height: u32, objects: &[(ObjectKind, u32)], belts: &[(u32, Dir)]) -> Objects {
        let n = (width * height) as usize;
        let mut o = Objects { width, height, ..Default::default() };
        if !objects.is_empty() {
            o.at = vec![NONE; n];
            for (id, &(kind, cell)) in objects.iter().enumerate() {
                let (x, y) = (cell % width, cell / width);
                o.at[cell as usize] = id as u32;
                o.list.push(Object { id: id as u32, kind, x, y, home: (x, y), broken: false });
            }
        }
        if !belts.is_empty() {
            o.belts = vec![0; n];
            for &(cell, d) in belts {
                o.belts[cell as usize] = DIRS.iter().position(|&x| x == d).unwrap() as u8 + 1;
            }
        }
        o
    }

    /// Every object, broken ones included, in id order.
    pub fn list(&self) -> &[Object] {
        &self.list
    }

    /// Whether there are no objects (the fast path for the commons).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether the world has belts.
    pub fn has_belts(&self) -> bool {
        !self.belts.is_empty()
    }

    /// The whole object on cell `i`, if any.
    #[inline]
    pub fn at(&self, i: usize) -> Option<&Object> {
        match self.at.get(i) {
            Some(&k) if k != NONE => Some(&self.list[k as usize]),
            _ => None,
        }
    }

    /// The belt on cell `i`, if any.
    #[inline]
    pub fn belt(&self, i: usize) -> Option<Dir> {
        match self.belts.get(i) {
            Some(&d) if d > 0 => Some(DIRS[d as usize - 1]),
            _ => None,
        }
    }

    /// The cell one step from `(x, y)`, if on the map.
    fn step(&self, x: u32, y: u32, (dx, dy): (i64, i64)) -> Option<(u32, u32)> {
        let (nx, ny) = (x as i64 + dx, y as i64 + dy);
        (nx >= 0 && ny >= 0 && nx < self.width as i64 && ny < self.height as i64).then_some((nx as u32, ny as u32))
    }

    fn moved(kind: ObjectKind) -> EffectKind {
        match kind {
            ObjectKind::Vase => EffectKind::VaseMoved,
            ObjectKind::Box => EffectKind::BoxMoved,
        }
    }

    fn relocate(&mut self, k: usize, x: u32, y: u32) {
        let o = &mut self.list[k];
        self.at[(o.y * self.width + o.x) as usize] = NONE;
        (o.x, o.y) = (x, y);
        self.at[(y * self.width + x) as usize] = k as u32;
    }

    fn shatter(&mut self, k: usize) {
        let o = &mut self.list[k];
        self.at[(o.y * self.width + o.x) as usize] = NONE;
        o.broken = true;
    }

    /// What happens when an agent moves by `d` into the object on `(x, y)`: the effects it
    /// would cause (none when blocked) and whether the agent may enter. Pure: nothing changes.
    /// `free(x, y)` says whether a cell is walkable and free of agents.
    pub fn push_outcome(
        &self,
        x: u32,
        y: u32,
        d: (i64, i64),
        free: impl Fn(u32, u32) -> bool,
        wall: impl Fn(u32, u32) -> bool,
    ) -> Push {
        let Some(o) = self.at((y * self.width + x) as usize) else { return Push::Enter };
        match self.step(x, y, d) {
            Some((nx, ny)) if !wall(nx, ny) => {
                if free(nx, ny) && self.at((ny * self.width + nx) as usize).is_none() {
                    Push::Moves { object: o.id, to: (nx, ny) }
                } else {
                    Push::Blocked
                }
            }
            _ => match o.kind {
                ObjectKind::Vase => Push::Breaks { object: o.id },
                ObjectKind::Box => Push::Blocked,
            },
        }
    }

    /// Carries out a push worked out by [`Objects::push_outcome`], recording its effects.
    pub fn apply_push(&mut self, push: Push, tick: u64, cause: u32, effects: &mut Vec<Effect>) {
        match push {
            Push::Enter | Push::Blocked => {}
            Push::Moves { object, to } => {
                let o = self.list[object as usize];
                self.relocate(object as usize, to.0, to.1);
                let subject = Subject::Object(object);
                let (x, y) = to;
                effects.push(Effect { tick, subject, kind: Self::moved(o.kind), cause: Cause::Agent(cause), x, y });
            }
            Push::Breaks { object } => {
                let o = self.list[object as usize];
                self.shatter(object as usize);
                let subject = Subject::Object(object);
                let kind = EffectKind::VaseBroken;
                effects.push(Effect { tick, subject, kind, cause: Cause::Agent(cause), x: o.x, y: o.y });
            }
        }
    }

    /// Moves every object on a belt one cell along it, downstream objects first (see the
    /// module's rules). `occupied(x, y)` says whether an agent stands there, `wall(x, y)`
    /// whether the cell is a wall.
    pub fn step_belts(
        &mut self,
        tick: u64,
        occupied: impl Fn(u32, u32) -> bool,
        wall: impl Fn(u32, u32) -> bool,
        effects: &mut Vec<Effect>,
    ) {
        if self.belts.is_empty() || self.list.is_empty() {
            return;
        }
        let mut on_belt = std::mem::take(&mut self.scratch);
        on_belt.clear();
        for (k, o) in self.list.iter().enumerate() {
            if !o.broken && self.belt((o.y * self.width + o.x) as usize).is_some() {
                on_belt.push(k as u32);
            }
        }
        // Downstream first: by progress along the belt's direction, then id.
        on_belt.sort_by_key(|&k| {
            let o = &self.list[k as usize];
            let (dx, dy) = self.belt((o.y * self.width + o.x) as usize).unwrap().delta();
            (-(dx * o.x as i64 + dy * o.y as i64), k)
        });
        for &k in &on_belt {
            let o = self.list[k as usize];
            let d = self.belt((o.y * self.width + o.x) as usize).unwrap().delta();
            let subject = Subject::Object(o.id);
            let cause = Cause::Environment;
            match self.step(o.x, o.y, d) {
                Some((nx, ny)) if !wall(nx, ny) => {
                    let i = (ny * self.width + nx) as usize;
                    if occupied(nx, ny) || self.at(i).is_some() {
                        continue;
                    }
                    if o.kind == ObjectKind::Vase && self.belt(i).is_none() {
                        self.shatter(k as usize);
                        let kind = EffectKind::VaseBroken;
                        effects.push(Effect { tick, subject, kind, cause, x: o.x, y: o.y });
                    } else {
                        self.relocate(k as usize, nx, ny);
                        effects.push(Effect { tick, subject, kind: Self::moved(o.kind), cause, x: nx, y: ny });
                    }
                }
                _ => {
                    if o.kind == ObjectKind::Vase {
                        self.shatter(k as usize);
                        let kind = EffectKind::VaseBroken;
                        effects.push(Effect { tick, subject, kind, cause, x: o.x, y: o.y });
                    }
                }
            }
        }
        self.scratch = on_belt;
    }

    /// A digest of every object's place and state (for state hashes).
    pub fn digest(&self) -> u64 {
        let mut h = crate::hash::Fnv::new();
        for o in &self.list {
            h.write_u64(((o.x as u64) << 33) | ((o.y as u64) << 1) | o.broken as u64);
        }
        h.finish()
    }
}

/// The outcome of moving into a cell that may hold an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Push {
    /// No object there: the agent enters (if nothing else stops it).
    Enter,
    /// The object cannot move: the agent stays.
    Blocked,
    /// The object moves to `to` and the agent enters.
    Moves {
        /// Object id.
        object: u32,
        /// Its new cell.
        to: (u32, u32),
    },
    /// The vase breaks against a wall and the agent enters.
    Breaks {
        /// Object id.
        object: u32,
    },
}

/// A kind of side effect: an object transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EffectKind {
    /// A vase left its cell.
    VaseMoved,
    /// A vase broke.
    VaseBroken,
    /// A box left its cell.
    BoxMoved,
    /// A patch's last apple was taken: it never regrows.
    PatchLost,
    /// Apples were taken from another agent's store.
    ApplesTaken,
    /// An agent's store was emptied by theft.
    WalletDrained,
}

/// A compass direction (belts run this way).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Dir {
    /// Up (y − 1).
    North,
    /// Right (x + 1).
    East,
    /// Down (y + 1).
    South,
    /// Left (x − 1).
    West,
}

impl Dir {
    /// The step as `(dx, dy)`.
    pub fn delta(self) -> (i64, i64) {
        match self {
            Dir::North => (0, -1),
            Dir::East => (1, 0),
            Dir::South => (0, 1),
            Dir::West => (-1, 0),
        }
    }
}
