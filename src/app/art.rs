//! The app's art through Bevy's asset system: `assets/palette.txt` and `assets/sprites.txt`
//! are embedded in the binary (`embedded://polity/…`, so `polity` runs from any folder), loaded
//! by the asset server with their own loaders, and resolved into [`AppArt`] — the world view's
//! colours and sprites, the legend's, and the panels' theme colours — once both have loaded,
//! and again whenever either changes. Nothing is drawn before that.
//!
//! The files are the ones the recorder reads at compile time (`paint::art::EMBEDDED`), read
//! here at run time by the same `const fn`s, so the app's world view and a recorded video
//! look alike pixel for pixel. A file that does not resolve is an error with its line (the
//! art loaded before it, if any, is kept).

use std::path::{Path, PathBuf};

use bevy::asset::io::Reader;
use bevy::asset::io::embedded::EmbeddedAssetRegistry;
use bevy::asset::{AssetLoader, LoadContext};
use bevy::prelude::*;
use bevy_egui::egui::Color32;

use crate::paint::art::{ArtError, WorldArt, world_art};
use crate::paint::{sprite, theme};

/// Registers the art's files and loaders, loads them, and keeps [`AppArt`] resolved.
pub struct ArtPlugin;

/// An art file's text, as the asset server loaded it.
#[derive(Asset, TypePath, Debug)]
pub struct ArtText(pub String);

/// Reads an art file (UTF-8 text); what it means is resolved by [`resolve`].
#[derive(Default, TypePath)]
struct ArtTextLoader;

impl AssetLoader for ArtTextLoader {
    type Asset = ArtText;
    type Settings = ();
    type Error = std::io::Error;
    async fn load(&self, reader: &mut dyn Reader, _: &(), _: &mut LoadContext<'_>) -> Result<ArtText, Self::Error> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        String::from_utf8(bytes)
            .map(ArtText)
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "an art file is not UTF-8 text"))
    }
    fn extensions(&self) -> &[&str] {
        &["txt"]
    }
}

/// The files, by their asset paths, and the embedded bytes behind them.
const FILES: [(&str, &str); 2] = [("polity/palette.txt", theme::PALETTE), ("polity/sprites.txt", sprite::SPRITES)];

/// The loading (or loaded) files.
#[derive(Resource)]
struct ArtHandles {
    palette: Handle<ArtText>,
    sprites: Handle<ArtText>,
}

/// The panels' theme colours (`app.*` in the palette).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UiColors {
    /// Behind the world.
    pub background: [u8; 4],
    /// The ring around the selected agent.
    pub selected: [u8; 4],
    /// "Polity" in the status bar.
    pub title: Color32,
    /// "paused".
    pub paused: Color32,
    /// Ticks per frame, fast-forward, training under way.
    pub running: Color32,
    /// An error notice; a scenario that did not load.
    pub error: Color32,
    /// That scenario's problems.
    pub problems: Color32,
    /// Any other notice.
    pub notice: Color32,
    /// The Record button.
    pub record: Color32,
}

/// What the app draws with, resolved from the loaded files.
#[derive(Resource, Clone, Copy, Debug, PartialEq)]
pub struct AppArt {
    /// The world view's (and the legend's) colours and sprites.
    pub world: WorldArt,
    /// The panels' colours.
    pub ui: UiColors,
}

/// An egui colour (alpha dropped).
pub fn egui_color([r, g, b, _]: [u8; 4]) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// The app's art from a palette file's and a sprite file's text.
pub fn app_art(palette: &str, sprites: &str) -> Result<AppArt, ArtError> {
    let world = world_art(palette.as_bytes(), sprites.as_bytes())?;
    let c = |name: &str| theme::color_in(palette.as_bytes(), name.as_bytes());
    let ui = UiColors {
        background: c("app.background")?,
        selected: c("app.selected")?,
        title: egui_color(c("app.title")?),
        paused: egui_color(c("app.paused")?),
        running: egui_color(c("app.running")?),
        error: egui_color(c("app.error")?),
        problems: egui_color(c("app.problems")?),
        notice: egui_color(c("app.notice")?),
        record: egui_color(c("app.record")?),
    };
    Ok(AppArt { world, ui })
}

impl Plugin for ArtPlugin {
    fn build(&self, app: &mut App) {
        {
            let registry = app.world_mut().resource_mut::<EmbeddedAssetRegistry>();
            for (path, text) in FILES {
                registry.insert_asset(PathBuf::new(), Path::new(path), text.as_bytes());
            }
        }
        app.init_asset::<ArtText>().register_asset_loader(ArtTextLoader);
        let server = app.world().resource::<AssetServer>();
        let handles = ArtHandles {
            palette: server.load("embedded://polity/palette.txt"),
            sprites: server.load("embedded://polity/sprites.txt"),
        };
        app.insert_resource(handles).add_systems(PreUpdate, resolve);
    }
}

/// Resolves [`AppArt`] when both files are loaded and either has changed (or none is yet).
fn resolve(
    mut commands: Commands,
    handles: Res<ArtHandles>,
    texts: Res<Assets<ArtText>>,
    mut changes: MessageReader<AssetEvent<ArtText>>,
    art: Option<Res<AppArt>>,
    mut clear: ResMut<ClearColor>,
) {
    let changed = changes.read().count() > 0;
    if art.is_some() && !changed {
        return;
    }
    let (Some(palette), Some(sprites)) = (texts.get(&handles.palette), texts.get(&handles.sprites)) else { return };
    match app_art(&palette.0, &sprites.0) {
        Ok(new) => {
            if art.is_none_or(|a| *a != new) {
                let [r, g, b, _] = new.ui.background;
                clear.0 = Color::srgb_u8(r, g, b);
                commands.insert_resource(new);
            }
        }
        Err(e) => error!("assets/{}: {e}", e.file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asset_server_loads_the_embedded_art() {
        // The asset plugin alone, with the art plugin, in a headless app: what it resolves is
        // the art the recorder draws with, and the palette's `app.*` colours.
        let mut app = App::new();
        app.add_plugins((MinimalPlugins, AssetPlugin::default())).insert_resource(ClearColor::default());
        app.add_plugins(ArtPlugin);
        for _ in 0..200 {
            app.update();
            if app.world().contains_resource::<AppArt>() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        let art = *app.world().get_resource::<AppArt>().expect("the art loaded");
        assert_eq!(art.world, crate::paint::art::EMBEDDED);
        assert_eq!(art.ui.selected, theme::color("app.selected"));
        assert_eq!(app.world().resource::<ClearColor>().0, {
            let [r, g, b, _] = theme::color("app.background");
            Color::srgb_u8(r, g, b)
        });
    }

    #[test]
    fn a_palette_without_an_app_colour_is_an_error_naming_the_file() {
        let palette = theme::PALETTE.replace("app.record ", "app.recrd ");
        let e = app_art(&palette, sprite::SPRITES).unwrap_err();
        assert_eq!((e.file, e.what), ("palette.txt", "a colour missing from assets/palette.txt"));
        let e = app_art(theme::PALETTE, "").unwrap_err();
        assert_eq!(e.file, "sprites.txt");
    }
}
