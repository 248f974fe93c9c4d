//! The window icon: `assets/icon.png`, embedded in the binary, loaded through Bevy's asset
//! system (`embedded://polity/icon.png`) and handed to the window once it has loaded. Bevy
//! 0.19 has no icon setting on `Window`, so the icon goes to winit's window directly.

use std::path::{Path, PathBuf};

use bevy::asset::io::embedded::EmbeddedAssetRegistry;
use bevy::ecs::system::NonSendMarker;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;

/// Loads the icon and sets it on the primary window.
pub struct IconPlugin;

/// The icon while it is loading; removed once the window has it.
#[derive(Resource)]
struct WindowIcon(Handle<Image>);

impl Plugin for IconPlugin {
    fn build(&self, app: &mut App) {
        app.world_mut().resource_mut::<EmbeddedAssetRegistry>().insert_asset(
            PathBuf::new(),
            Path::new("polity/icon.png"),
            crate::paint::icon::PNG,
        );
        let icon = app.world().resource::<AssetServer>().load("embedded://polity/icon.png");
        app.insert_resource(WindowIcon(icon)).add_systems(Update, set_icon.run_if(resource_exists::<WindowIcon>));
    }
}

/// Hands the loaded icon to the window (on the main thread, where winit's windows live).
fn set_icon(
    mut commands: Commands,
    icon: Res<WindowIcon>,
    images: Res<Assets<Image>>,
    window: Query<Entity, With<PrimaryWindow>>,
    _main_thread: NonSendMarker,
) {
    let (Some(image), Ok(window)) = (images.get(&icon.0), window.single()) else { return };
    let set = bevy::winit::WINIT_WINDOWS.with_borrow(|windows| {
        let Some(w) = windows.get_window(window) else { return false };
        let rgba = image.data.clone().unwrap_or_default();
        match winit::window::Icon::from_rgba(rgba, image.width(), image.height()) {
            Ok(icon) => w.set_window_icon(Some(icon)),
            Err(e) => warn!("the window icon was not set: {e}"),
        }
        true
    });
    if set {
        commands.remove_resource::<WindowIcon>();
    }
}
