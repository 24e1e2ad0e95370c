// Atoms as ray-cast sphere impostors: every atom is one instance of a shared quad.
// The vertex stage turns the quad to face the camera and pushes it to the sphere's
// front; the fragment stage intersects the eye ray with the sphere, so silhouettes
// and depth are exact however few vertices there are.
//
// Per instance: the centre and radius come from the mesh transform (translation and
// uniform scale), the colour from the mesh tag (sRGB bytes packed as 0xRRGGBB).

#import bevy_pbr::{
    mesh_functions,
    view_transformations::{position_world_to_view, position_view_to_clip, view_z_to_depth_ndc},
}

// x: ambient, y: diffuse, z: specular strength, w: specular exponent.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> shading: vec4<f32>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
};

struct VertexOutput {
    @builtin(position) clip_position: vec4<f32>,
    // Point on the quad, the sphere centre and its radius, all in view space.
    @location(0) quad_view: vec3<f32>,
    @location(1) centre_view: vec3<f32>,
    @location(2) radius: f32,
    @location(3) color: vec3<f32>,
};

struct FragmentOutput {
    @location(0) color: vec4<f32>,
    @builtin(frag_depth) depth: f32,
};

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    return pow(c, vec3<f32>(2.2));
}

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    let world_from_local = mesh_functions::get_world_from_local(v.instance_index);
    let centre_world = world_from_local[3].xyz;
    let radius = length(world_from_local[0].xyz);
    let centre_view = position_world_to_view(centre_world);
    // The quad sits one radius in front of the centre; there, a half-width of one
    // radius (plus a margin) covers the whole silhouette under perspective.
    let quad_view = centre_view + vec3<f32>(v.position.xy * radius * 1.15, radius);

    let tag = mesh_functions::get_tag(v.instance_index);
    let rgb = vec3<f32>(
        f32((tag >> 16u) & 0xffu),
        f32((tag >> 8u) & 0xffu),
        f32(tag & 0xffu),
    ) / 255.0;

    var out: VertexOutput;
    out.clip_position = position_view_to_clip(quad_view);
    out.quad_view = quad_view;
    out.centre_view = centre_view;
    out.radius = radius;
    out.color = srgb_to_linear(rgb);
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> FragmentOutput {
    // Eye ray from the view-space origin through this fragment of the quad.
    let dir = normalize(in.quad_view);
    let b = dot(dir, in.centre_view);
    let c = dot(in.centre_view, in.centre_view) - in.radius * in.radius;
    let disc = b * b - c;
    if disc < 0.0 {
        discard;
    }
    let hit = dir * (b - sqrt(disc));
    let n = (hit - in.centre_view) / in.radius;

    // A head light slightly above and left of the eye, Blinn-Phong.
    let light = normalize(vec3<f32>(-0.35, 0.5, 1.0));
    let view_dir = -dir;
    let diffuse = max(dot(n, light), 0.0);
    let half_v = normalize(light + view_dir);
    let spec = pow(max(dot(n, half_v), 0.0), shading.w);
    let rgb = in.color * (shading.x + shading.y * diffuse) + vec3<f32>(shading.z * spec);

    var out: FragmentOutput;
    out.color = vec4<f32>(rgb, 1.0);
    out.depth = view_z_to_depth_ndc(hit.z);
    return out;
}
