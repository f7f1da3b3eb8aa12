// f32 storage for the elementwise kernel: one word of the kernel is one vec4<f32> in memory.

@group(0) @binding(1) var<storage, read> xs: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> ys: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> gs: array<vec4<f32>>;

fn load_x(i: u32) -> vec4<f32> {
    return xs[i];
}

fn load_g(i: u32) -> vec4<f32> {
    return gs[i];
}

fn load_y(i: u32) -> vec4<f32> {
    return ys[i];
}

fn store_y(i: u32, v: vec4<f32>) {
    ys[i] = v;
}
