//! Atoms drawn as sphere impostors with the WGSL in `shaders/impostor.wgsl`: one
//! shared quad mesh and one shared material, so bevy batches every atom of both
//! views into instanced draws; each instance carries its colour in its mesh tag.

use bevy::asset::{load_internal_asset, uuid_handle};
use bevy::mesh::MeshTag;
use bevy::prelude::*;
use bevy::render::render_resource::AsBindGroup;
use bevy::shader::{Shader, ShaderRef};

const IMPOSTOR_SHADER: Handle<Shader> = uuid_handle!("5f0c3e4e-8f6b-4a55-9a1c-2b7de3a4c901");

#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct ImpostorMaterial {
    /// Ambient, diffuse, specular strength, specular exponent.
    #[uniform(0)]
    pub shading: Vec4,
}

impl Default for ImpostorMaterial {
    fn default() -> Self {
        ImpostorMaterial {
            shading: Vec4::new(0.28, 0.8, 0.35, 40.0),
        }
    }
}

impl Material for ImpostorMaterial {
    fn vertex_shader() -> ShaderRef {
        ShaderRef::Handle(IMPOSTOR_SHADER)
    }
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Handle(IMPOSTOR_SHADER)
    }
    // The depth comes from the ray cast, which the prepass and shadow shaders
    // would not know about; this view needs neither.
    fn enable_prepass() -> bool {
        false
    }
    fn enable_shadows() -> bool {
        false
    }
}

/// The shared quad and material every atom instance uses.
#[derive(Resource, Clone)]
pub struct ImpostorAssets {
    pub quad: Handle<Mesh>,
    pub material: Handle<ImpostorMaterial>,
}

pub struct ImpostorPlugin;

impl Plugin for ImpostorPlugin {
    fn build(&self, app: &mut App) {
        load_internal_asset!(
            app,
            IMPOSTOR_SHADER,
            "../../../shaders/impostor.wgsl",
            Shader::from_wgsl
        );
        app.add_plugins(MaterialPlugin::<ImpostorMaterial>::default())
            .add_systems(Startup, make_assets);
    }
}

fn make_assets(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ImpostorMaterial>>,
) {
    commands.insert_resource(ImpostorAssets {
        quad: meshes.add(Rectangle::new(2.0, 2.0)),
        material: materials.add(ImpostorMaterial::default()),
    });
}

/// The mesh tag that carries an sRGB colour to the shader.
pub fn color_tag(color: Color) -> MeshTag {
    let c = color.to_srgba();
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u32;
    MeshTag((byte(c.red) << 16) | (byte(c.green) << 8) | byte(c.blue))
}
