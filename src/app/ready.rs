//! Whether the renderer draws yet: the render world counts the frames it has rendered in a row
//! with no pipeline still compiling, and the command line's screenshot and recording wait for
//! a few of them. Bevy compiles shaders in the background, so under load (Mesa's software
//! Vulkan on a busy CI machine) the first dozens of frames can show only the clear colour.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bevy::prelude::*;
use bevy::render::render_resource::PipelineCache;
use bevy::render::{Render, RenderApp, RenderSystems};

/// Frames rendered in a row with every pipeline compiled before a capture from the command
/// line may start.
pub const READY_FRAMES: u32 = 3;

/// Frames to wait for the renderer before giving up on a command-line capture.
pub const GIVE_UP_AFTER_FRAMES: u32 = 3000;

/// Shared by the main world (reads) and the render world (counts).
#[derive(Resource, Clone, Default)]
pub struct RenderReady(Arc<AtomicU32>);

impl RenderReady {
    /// Whether the last [`READY_FRAMES`] frames were rendered with every pipeline compiled.
    pub fn drawing(&self) -> bool {
        self.0.load(Ordering::Acquire) >= READY_FRAMES
    }
}

/// Counts, in the render world, the frames rendered with no pipeline waiting.
pub struct RenderReadyPlugin;

impl Plugin for RenderReadyPlugin {
    fn build(&self, app: &mut App) {
        let ready = RenderReady::default();
        app.insert_resource(ready.clone());
        if let Some(render) = app.get_sub_app_mut(RenderApp) {
            render.insert_resource(ready).add_systems(Render, count.in_set(RenderSystems::Cleanup));
        }
    }
}

fn count(cache: Res<PipelineCache>, ready: Res<RenderReady>) {
    if cache.waiting_pipelines().next().is_some() {
        ready.0.store(0, Ordering::Release);
    } else {
        ready.0.fetch_add(1, Ordering::AcqRel);
    }
}
