//! The app without a window: the same scene and panels drawn into an image, for a
//! frame-rate figure on a machine with a GPU and no display (`gui --offscreen-bench`).
//! It runs wherever a Vulkan (or GL) adapter exists, lavapipe included; no X server.

use bevy::app::ScheduleRunnerPlugin;
use bevy::prelude::*;
use bevy::render::render_resource::{PollType, TextureFormat, TextureUsages};
use bevy::render::renderer::RenderDevice;
use bevy::render::{Render, RenderApp, RenderSystems};
use bevy::window::ExitCondition;
use std::time::Duration;

/// The image the cameras draw into when there is no window, and its size in pixels
/// (scale factor 1).
#[derive(Resource, Clone)]
pub struct Offscreen {
    pub image: Handle<Image>,
    pub size: UVec2,
}

/// A bevy app with no window that draws into a `w` × `h` image: the render loop runs
/// as fast as it can, and every frame waits for the device to finish, so frames per
/// second count finished pictures, not queued ones.
pub fn offscreen_app(w: u32, h: u32) -> App {
    let mut app = App::new();
    app.insert_resource(ClearColor(super::BACKGROUND))
        .add_plugins((
            DefaultPlugins
                .build()
                .disable::<bevy::log::LogPlugin>()
                .disable::<bevy::winit::WinitPlugin>()
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                }),
            ScheduleRunnerPlugin::run_loop(Duration::ZERO),
        ));
    let mut image = Image::new_target_texture(w, h, TextureFormat::Rgba8UnormSrgb, None);
    // Readable, so a test-mode screenshot can be taken of it.
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let handle = app.world_mut().resource_mut::<Assets<Image>>().add(image);
    app.insert_resource(Offscreen {
        image: handle,
        size: UVec2::new(w, h),
    });
    app.sub_app_mut(RenderApp)
        .add_systems(Render, wait_for_device.after(RenderSystems::Render));
    app
}

/// Without a swapchain nothing paces the loop: wait until the frame's work is done.
fn wait_for_device(device: Res<RenderDevice>) {
    if let Err(e) = device.poll(PollType::wait_indefinitely()) {
        tracing::warn!("offscreen frame: polling the device failed: {e}");
    }
}
