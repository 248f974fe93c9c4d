//! Mechanism state, kept by type: each mechanism puts its state in the world model as one
//! *part* and finds it again by type. A part says what an imagined copy of the world carries
//! of it ([`Part::imagined`]) and is saved and restored by name in checkpoints, so adding a
//! mechanism changes neither the world model nor `checkpoint.rs`.

use std::any::{Any, TypeId};
use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A mechanism's state in the world model.
pub trait Part: Any + Clone + Debug + Send + Sync {
    /// The name the part is saved under in checkpoints (unique, stable across versions).
    const NAME: &'static str;
    /// What a world model made for imagining (a planner's, a shadow's) carries of this
    /// part: a copy by default; `None` for what only the real world keeps (accounting,
    /// planners of its own, shadows).
    fn imagined(&self) -> Option<Self> {
        Some(self.clone())
    }
    /// The part as text, for checkpoints (usually [`to_ron`]).
    fn save(&self) -> Result<String, String>;
    /// Restores the part from what [`Part::save`] wrote (usually [`from_ron`]).
    fn load(&mut self, text: &str) -> Result<(), LoadError>;
}

/// Why a saved state could not be restored.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadError {
    /// It is not what the world saves, or not of this world: the file is damaged.
    Damaged(String),
    /// It is whole, but something it was saved with outside the file has changed since (a
    /// policy file trained again): the message says what, and what to do.
    Changed(String),
}

impl From<String> for LoadError {
    fn from(why: String) -> LoadError {
        LoadError::Damaged(why)
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Damaged(why) | LoadError::Changed(why) => f.write_str(why),
        }
    }
}

/// Implements [`Part`] for a serde type, saved as RON under `name`:
/// `serde_part!(TaxState, "tax");`, or with `imagined: none` for a part imagined copies do not
/// carry (accounting, planners, shadows).
#[macro_export]
macro_rules! serde_part {
    ($t:ty, $name:literal) => {
        impl $crate::model::Part for $t {
            const NAME: &'static str = $name;
            fn save(&self) -> Result<String, String> {
                $crate::model::parts::to_ron(self)
            }
            fn load(&mut self, text: &str) -> Result<(), $crate::model::parts::LoadError> {
                $crate::model::parts::from_ron(self, text)
            }
        }
    };
    ($t:ty, $name:literal, imagined: none) => {
        impl $crate::model::Part for $t {
            const NAME: &'static str = $name;
            fn imagined(&self) -> Option<Self> {
                None
            }
            fn save(&self) -> Result<String, String> {
                $crate::model::parts::to_ron(self)
            }
            fn load(&mut self, text: &str) -> Result<(), $crate::model::parts::LoadError> {
                $crate::model::parts::from_ron(self, text)
            }
        }
    };
}

/// A serde part as RON.
pub fn to_ron<T: Serialize>(part: &T) -> Result<String, String> {
    ron::to_string(part).map_err(|e| e.to_string())
}

/// Replaces a serde part with what `text` holds.
pub fn from_ron<T: DeserializeOwned>(part: &mut T, text: &str) -> Result<(), LoadError> {
    *part = ron::Options::default().from_str(text).map_err(|e| LoadError::Damaged(e.to_string()))?;
    Ok(())
}

/// The object-safe face of a [`Part`].
trait AnyPart: Any + Debug + Send + Sync {
    fn name(&self) -> &'static str;
    fn clone_box(&self) -> Box<dyn AnyPart>;
    fn imagined_box(&self) -> Option<Box<dyn AnyPart>>;
    fn save(&self) -> Result<String, String>;
    fn load(&mut self, text: &str) -> Result<(), LoadError>;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

impl<T: Part> AnyPart for T {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn clone_box(&self) -> Box<dyn AnyPart> {
        Box::new(self.clone())
    }
    fn imagined_box(&self) -> Option<Box<dyn AnyPart>> {
        self.imagined().map(|p| Box::new(p) as Box<dyn AnyPart>)
    }
    fn save(&self) -> Result<String, String> {
        Part::save(self)
    }
    fn load(&mut self, text: &str) -> Result<(), LoadError> {
        Part::load(self, text)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// The parts of a world, at most one of each type, in the order they were added.
#[derive(Debug, Default)]
pub struct Parts(Vec<(TypeId, Box<dyn AnyPart>)>);

impl Clone for Parts {
    fn clone(&self) -> Parts {
        Parts(self.0.iter().map(|(t, p)| (*t, p.clone_box())).collect())
    }
}

impl Parts {
    /// Adds (or replaces) a part.
    pub fn insert<T: Part>(&mut self, part: T) {
        let id = TypeId::of::<T>();
        match self.0.iter_mut().find(|(t, _)| *t == id) {
            Some(slot) => slot.1 = Box::new(part),
            None => self.0.push((id, Box::new(part))),
        }
    }
    /// The part of type `T`, if the world has one.
    pub fn get<T: Part>(&self) -> Option<&T> {
        let id = TypeId::of::<T>();
        self.0.iter().find(|(t, _)| *t == id).and_then(|(_, p)| p.as_any().downcast_ref())
    }
    /// The part of type `T`, to change.
    pub fn get_mut<T: Part>(&mut self) -> Option<&mut T> {
        let id = TypeId::of::<T>();
        self.0.iter_mut().find(|(t, _)| *t == id).and_then(|(_, p)| p.as_any_mut().downcast_mut())
    }
    /// Whether the world has a part of type `T`.
    pub fn has<T: Part>(&self) -> bool {
        self.get::<T>().is_some()
    }
    /// Takes the part of type `T` out (a phase that changes two parts at once takes one out
    /// and puts it back with [`Parts::insert`]).
    pub fn remove<T: Part>(&mut self) -> Option<T> {
        let id = TypeId::of::<T>();
        let k = self.0.iter().position(|(t, _)| *t == id)?;
        let (_, p) = self.0.remove(k);
        p.into_any().downcast::<T>().ok().map(|b| *b)
    }
    /// Runs `f` with the part of type `T` taken out, then puts it back in its place.
    pub fn with<T: Part, R>(&mut self, f: impl FnOnce(&mut Parts, Option<&mut T>) -> R) -> R {
        let id = TypeId::of::<T>();
        let Some(k) = self.0.iter().position(|(t, _)| *t == id) else { return f(self, None) };
        let (_, p) = self.0.remove(k);
        let mut part = p.into_any().downcast::<T>().expect("a part is stored under its own type");
        let r = f(self, Some(&mut part));
        self.0.insert(k, (id, part));
        r
    }
    /// What an imagined copy of the world carries ([`Part::imagined`]).
    pub fn imagined(&self) -> Parts {
        Parts(self.0.iter().filter_map(|(t, p)| p.imagined_box().map(|b| (*t, b))).collect())
    }
    /// Every part saved as RON, by name.
    pub fn save(&self) -> Result<std::collections::BTreeMap<String, String>, String> {
        self.0
            .iter()
            .map(|(_, p)| Ok((p.name().to_string(), p.save().map_err(|e| format!("{}: {e}", p.name()))?)))
            .collect()
    }
    /// Restores every part from `saved`: the world must have exactly the parts saved (it was
    /// built from the same scenario).
    pub fn load(&mut self, saved: &std::collections::BTreeMap<String, String>) -> Result<(), LoadError> {
        let mine: std::collections::BTreeSet<&str> = self.0.iter().map(|(_, p)| p.name()).collect();
        let theirs: std::collections::BTreeSet<&str> = saved.keys().map(String::as_str).collect();
        if mine != theirs {
            return Err(format!("it holds the mechanism state {theirs:?} but its scenario makes {mine:?}").into());
        }
        for (_, p) in &mut self.0 {
            p.load(&saved[p.name()]).map_err(|e| match e {
                LoadError::Damaged(why) => LoadError::Damaged(format!("the state of `{}`: {why}", p.name())),
                changed => changed,
            })?;
        }
        Ok(())
    }
}
