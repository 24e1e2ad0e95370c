//! The 3-D view: the noisy y of the selected chain (left) beside its jump x̂ (right),
//! each in its own viewport, both seen from the same orbiting camera pose and
//! aligned on the first jump, so they keep one orientation as the chain tumbles.

use super::impostor::{color_tag, ImpostorAssets};
use super::link::{Live, SnapshotArrived, StudioSet, SystemLoaded};
use super::offscreen::Offscreen;
use bevy::camera::visibility::{NoFrustumCulling, RenderLayers};
use bevy::camera::{CameraOutputMode, ClearColorConfig, RenderTarget, Viewport};
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::prelude::*;
use bevy::render::render_resource::BlendState;
use bevy::render::renderer::RenderAdapterInfo;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;
use bevy_egui::{EguiGlobalSettings, PrimaryEguiContext};
use walkjump_core::geometry::{centre, kabsch, rotate};
use walkjump_core::molecule::Element;

/// The two molecules sit this far apart and the cameras see less than this far, so
/// each viewport shows only its own molecule.
const SEPARATION: f32 = 10_000.0;
const FAR: f32 = 2_000.0;

/// The free part of the window (logical pixels) left by the egui panels.
#[derive(Resource, Default, Clone, Copy)]
pub struct CentralRect(pub Option<Rect>);

#[derive(Resource)]
pub struct Orbit {
    pub yaw: f32,
    pub pitch: f32,
    pub distance: f32,
    pub pan: Vec3,
}

impl Default for Orbit {
    fn default() -> Self {
        Orbit {
            yaw: 0.6,
            pitch: 0.35,
            distance: 14.0,
            pan: Vec3::ZERO,
        }
    }
}

#[derive(Component, Clone, Copy, PartialEq)]
enum Side {
    Walk,
    Jump,
}

impl Side {
    fn origin(self) -> Vec3 {
        match self {
            Side::Walk => Vec3::ZERO,
            Side::Jump => Vec3::X * SEPARATION,
        }
    }
}

#[derive(Component)]
struct AtomSphere {
    index: usize,
}

/// The view's memory: whether a loaded system still waits for its atoms, whether
/// they need placing, and the frame the molecule is aligned to.
#[derive(Resource, Default)]
struct ViewState {
    rebuild_pending: bool,
    place_pending: bool,
    reference: Option<Vec<f64>>,
    /// Positions as drawn (aligned), per side, for the bonds.
    drawn_y: Vec<Vec3>,
    drawn_x: Vec<Vec3>,
    trail: Vec<Vec<Vec3>>,
    bonds: Vec<(usize, usize)>,
}

pub struct ViewPlugin;

impl Plugin for ViewPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<CentralRect>()
            .init_resource::<Orbit>()
            .init_resource::<ViewState>()
            .insert_resource(GlobalAmbientLight {
                color: Color::WHITE,
                brightness: 350.0,
                affects_lightmapped_meshes: true,
            })
            .add_systems(Startup, setup)
            .add_systems(Update, fit_to_adapter)
            .add_systems(
                Update,
                (
                    rebuild_atoms,
                    place_atoms,
                    draw_bonds,
                    orbit_input,
                    place_cameras,
                )
                    .chain()
                    .in_set(StudioSet::Views),
            );
    }
}

/// Where the cameras draw: the window, or the offscreen image.
fn target(offscreen: Option<&Offscreen>) -> RenderTarget {
    match offscreen {
        Some(o) => RenderTarget::Image(o.image.clone().into()),
        None => RenderTarget::default(),
    }
}

fn setup(
    mut commands: Commands,
    mut egui_settings: ResMut<EguiGlobalSettings>,
    offscreen: Option<Res<Offscreen>>,
) {
    egui_settings.auto_create_primary_context = false;
    let offscreen = offscreen.as_deref();
    for side in [Side::Walk, Side::Jump] {
        commands.spawn((
            target(offscreen),
            Camera3d::default(),
            Camera {
                order: if side == Side::Walk { 0 } else { 1 },
                clear_color: if side == Side::Walk {
                    ClearColorConfig::Default
                } else {
                    ClearColorConfig::None
                },
                ..default()
            },
            Projection::Perspective(PerspectiveProjection {
                far: FAR,
                ..default()
            }),
            Transform::from_translation(side.origin() + Vec3::Z * 14.0),
            side,
        ));
        commands.spawn((
            DirectionalLight {
                illuminance: 6_000.0,
                ..default()
            },
            Transform::default(),
            side,
        ));
    }
    // egui draws over both viewports with its own camera.
    commands.spawn((
        PrimaryEguiContext,
        Camera2d,
        target(offscreen),
        RenderLayers::none(),
        Camera {
            order: 10,
            output_mode: CameraOutputMode::Write {
                blend_state: Some(BlendState::ALPHA_BLENDING),
                clear_color: ClearColorConfig::None,
            },
            clear_color: ClearColorConfig::Custom(Color::NONE),
            ..default()
        },
    ));
}

/// Antialiasing for the adapter: 4× MSAA on a GPU; none on a software rasteriser
/// (lavapipe, llvmpipe), where the multisampled targets, their resolve and the
/// write-back between the three cameras cost more of the frame than the spheres.
/// `WALKJUMP_MSAA=4` or `=off` overrides the choice (for comparing them).
fn fit_to_adapter(
    adapter: Option<Res<RenderAdapterInfo>>,
    mut done: Local<bool>,
    mut cams: Query<&mut Msaa, With<Camera>>,
) {
    if *done {
        return;
    }
    let Some(adapter) = adapter else {
        return;
    };
    *done = true;
    let software = adapter.device_type == wgpu::DeviceType::Cpu;
    let msaa = match std::env::var("WALKJUMP_MSAA").as_deref() {
        Ok("4") => Msaa::Sample4,
        Ok("off") | Ok("1") => Msaa::Off,
        _ if software => Msaa::Off,
        _ => Msaa::Sample4,
    };
    tracing::info!(
        "renderer: {} ({:?}), MSAA {:?}",
        adapter.name,
        adapter.device_type,
        msaa
    );
    for mut m in &mut cams {
        *m = msaa;
    }
}

fn element_style(e: Element, cluster: bool) -> (Color, f32) {
    if cluster {
        return (Color::srgb(0.35, 0.75, 0.85), 0.32);
    }
    match e {
        Element::H => (Color::srgb(0.92, 0.92, 0.92), 0.22),
        Element::C => (Color::srgb(0.45, 0.47, 0.5), 0.34),
        Element::N => (Color::srgb(0.25, 0.4, 0.95), 0.33),
        Element::O => (Color::srgb(0.95, 0.25, 0.2), 0.32),
        Element::S => (Color::srgb(0.95, 0.85, 0.25), 0.4),
        _ => (Color::srgb(0.8, 0.5, 0.8), 0.35),
    }
}

#[allow(clippy::too_many_arguments)]
fn rebuild_atoms(
    mut commands: Commands,
    live: Res<Live>,
    mut loaded: MessageReader<SystemLoaded>,
    mut state: ResMut<ViewState>,
    mut orbit: ResMut<Orbit>,
    old: Query<Entity, With<AtomSphere>>,
    impostors: Option<Res<ImpostorAssets>>,
) {
    if loaded.read().count() > 0 {
        state.rebuild_pending = true;
    }
    if !state.rebuild_pending {
        return;
    }
    let (Some(info), Some(imp)) = (live.info.as_ref(), impostors) else {
        return;
    };
    state.rebuild_pending = false;
    state.place_pending = true;
    state.reference = None;
    state.trail.clear();
    state.bonds = info.topology.bonds.clone();
    for e in &old {
        commands.entity(e).despawn();
    }
    for (i, atom) in info.topology.atoms.iter().enumerate() {
        let (color, radius) = element_style(atom.element, info.is_cluster);
        for side in [Side::Walk, Side::Jump] {
            commands.spawn((
                Mesh3d(imp.quad.clone()),
                MeshMaterial3d(imp.material.clone()),
                color_tag(color),
                // The quad turns to the camera in the shader, so its own bounds
                // say nothing about what is visible.
                NoFrustumCulling,
                Transform::from_translation(side.origin()).with_scale(Vec3::splat(radius)),
                AtomSphere { index: i },
                side,
            ));
        }
    }
    // Frame the molecule: clusters and peptides have other sizes and units.
    orbit.distance = if info.is_cluster {
        if info.topology.n_atoms() > 20 {
            11.0
        } else {
            7.0
        }
    } else {
        (info.topology.n_atoms() as f32).sqrt() * 2.6 + 4.0
    };
    orbit.pan = Vec3::ZERO;
}

/// Centre `x`, rotate it onto the reference; returns the rotation and centroid used.
fn aligned(x: &[f32], y: &[f32], reference: &[f64]) -> (Vec<Vec3>, Vec<Vec3>) {
    let mut xs: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let c = centre(&mut xs);
    let r = kabsch(&xs, reference);
    rotate(&mut xs, &r);
    let mut ys: Vec<f64> = y
        .chunks(3)
        .flat_map(|p| [p[0] as f64 - c[0], p[1] as f64 - c[1], p[2] as f64 - c[2]])
        .collect();
    rotate(&mut ys, &r);
    let v = |p: &[f64]| {
        p.chunks(3)
            .map(|a| Vec3::new(a[0] as f32, a[1] as f32, a[2] as f32))
            .collect()
    };
    (v(&xs), v(&ys))
}

fn place_atoms(
    live: Res<Live>,
    mut arrived: MessageReader<SnapshotArrived>,
    mut state: ResMut<ViewState>,
    mut orbit: ResMut<Orbit>,
    mut atoms: Query<(&AtomSphere, &Side, &mut Transform)>,
) {
    if arrived.read().count() > 0 {
        state.place_pending = true;
    }
    if !state.place_pending {
        return;
    }
    let Some(snap) = live.snap.as_ref() else {
        return;
    };
    let n = snap.x.len() / 3;
    if atoms.iter().count() != 2 * n {
        return;
    }
    state.place_pending = false;
    if state.reference.is_none() {
        let mut r: Vec<f64> = snap.x.iter().map(|&v| v as f64).collect();
        centre(&mut r);
        // Frame the molecule by its size in the first jump.
        let extent = r
            .chunks(3)
            .map(|a| (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]).sqrt())
            .fold(0.0, f64::max) as f32;
        orbit.distance = extent * 3.4 + 2.0;
        state.reference = Some(r);
    }
    let reference = state.reference.clone().unwrap_or_default();
    let (xs, ys) = aligned(&snap.x, &snap.y, &reference);
    state.trail = snap
        .trail
        .iter()
        .map(|t| aligned(t, t, &reference).0)
        .collect();
    for (a, side, mut t) in &mut atoms {
        let p = match side {
            Side::Walk => ys[a.index],
            Side::Jump => xs[a.index],
        };
        t.translation = side.origin() + p;
    }
    state.drawn_x = xs;
    state.drawn_y = ys;
}

fn draw_bonds(state: Res<ViewState>, mut gizmos: Gizmos) {
    let bond = Color::srgba(0.8, 0.8, 0.85, 0.9);
    for (side, pos) in [(Side::Walk, &state.drawn_y), (Side::Jump, &state.drawn_x)] {
        for &(a, b) in &state.bonds {
            if a < pos.len() && b < pos.len() {
                gizmos.line(side.origin() + pos[a], side.origin() + pos[b], bond);
            }
        }
    }
    // A fading trail of the earlier jumps of this chain, atom by atom.
    let k = state.trail.len();
    for w in 1..k {
        let alpha = 0.6 * w as f32 / k as f32;
        let (p, q) = (&state.trail[w - 1], &state.trail[w]);
        for i in 0..p.len().min(q.len()) {
            gizmos.line(
                Side::Jump.origin() + p[i],
                Side::Jump.origin() + q[i],
                Color::srgba(1.0, 0.75, 0.3, alpha),
            );
        }
    }
}

fn orbit_input(
    mut orbit: ResMut<Orbit>,
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    wants: Res<EguiWantsInput>,
) {
    if wants.wants_any_pointer_input() {
        return;
    }
    let d = motion.delta;
    if buttons.pressed(MouseButton::Left) {
        orbit.yaw -= d.x * 0.008;
        orbit.pitch = (orbit.pitch + d.y * 0.008).clamp(-1.5, 1.5);
    }
    if buttons.pressed(MouseButton::Right) || buttons.pressed(MouseButton::Middle) {
        let rot = Quat::from_euler(EulerRot::YXZ, orbit.yaw, -orbit.pitch, 0.0);
        let s = orbit.distance * 0.0015;
        let delta = rot * Vec3::new(-d.x * s, d.y * s, 0.0);
        orbit.pan += delta;
    }
    if scroll.delta.y != 0.0 {
        orbit.distance = (orbit.distance * (1.0 - scroll.delta.y * 0.1)).clamp(1.0, 500.0);
    }
}

fn place_cameras(
    orbit: Res<Orbit>,
    central: Res<CentralRect>,
    window: Query<&Window, With<PrimaryWindow>>,
    offscreen: Option<Res<Offscreen>>,
    mut cams: Query<(&Side, &mut Camera, &mut Transform), Without<DirectionalLight>>,
    mut lights: Query<(&Side, &mut Transform), With<DirectionalLight>>,
) {
    let rot = Quat::from_euler(EulerRot::YXZ, orbit.yaw, -orbit.pitch, 0.0);
    let eye = rot * Vec3::Z * orbit.distance;
    // (logical size, scale factor, physical size) of what the cameras draw into.
    let (logical, sf, max) = match (window.single(), offscreen) {
        (Ok(win), _) => (
            Vec2::new(win.width(), win.height()),
            win.scale_factor(),
            UVec2::new(win.physical_width(), win.physical_height()),
        ),
        (Err(_), Some(o)) => (o.size.as_vec2(), 1.0, o.size),
        _ => return,
    };
    let rect = central
        .0
        .unwrap_or(Rect::new(0.0, 0.0, logical.x, logical.y));
    let half = rect.width() / 2.0;
    for (side, mut cam, mut t) in &mut cams {
        let target = side.origin() + orbit.pan;
        *t = Transform::from_translation(target + eye).looking_at(target, rot * Vec3::Y);
        let x0 = rect.min.x + if *side == Side::Jump { half } else { 0.0 };
        let pos = UVec2::new((x0 * sf) as u32, (rect.min.y * sf) as u32);
        let size = UVec2::new(
            ((half * sf) as u32).max(1),
            ((rect.height() * sf) as u32).max(1),
        );
        if pos.x + size.x <= max.x && pos.y + size.y <= max.y {
            cam.viewport = Some(Viewport {
                physical_position: pos,
                physical_size: size,
                ..default()
            });
        }
    }
    // Light from over the viewer's shoulder, whichever way the camera looks.
    for (_, mut t) in &mut lights {
        *t = Transform::from_rotation(rot * Quat::from_euler(EulerRot::YXZ, 0.4, -0.5, 0.0));
    }
}
