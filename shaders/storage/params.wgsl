// The uniform block of the elementwise and cast kernels (mirrored by `Params` in
// src/elementwise/dispatch.rs).
//
// A dispatch covers either whole words of every tensor (the word entry points: n words, and
// start.x, start.y, start.z the first word of x, y and grad_out in their bindings) or a range
// of elements (the `_el` entry points, for the heads and tails of views that do not cover whole
// words: n 4-byte units of y, count elements, start.x/y/z the first element of the range in
// each binding). Bindings begin at offsets the device can bind, at or before the tensor.

struct Params {
    n: u32,
    row: u32,   // workgroups per row of the grid (past 65,535 workgroups it spills into y)
    zero: u32,  // always 0, read at run time: see opaque() in numerics.wgsl
    count: u32, // elements in the range (element entry points)
    start: vec4<u32>, // and start.w: the tensors' element where the dispatch starts
    shape: vec4<u32>, // the bias kernels' shape (see bias.wgsl)
    p: vec4<f32>, // the activation's parameters
}

@group(0) @binding(0) var<uniform> params: Params;

// Whether a tensor of the dispatch starts past the start of its binding (a view bound from an
// aligned-down offset, params.start not all 0), set per pipeline by the host (Access::shifted in
// src/runtime/pipeline.rs): the kernel for tensors that start where they are bound, the common
// case, adds nothing to its indices (the additions cost GELU's backward 5 % on lavapipe).
override SHIFTED: bool = true;

// Word (or unit) i of a tensor that starts at `start` in its binding.
fn in_binding(start: u32, i: u32) -> u32 {
    return select(i, start + i, SHIFTED);
}

// The position of invocation l of workgroup wid in the grid (WG invocations per workgroup,
// params.row workgroups per row): the word it moves in the word entry points, its unit (from
// the first) in the element ones, so that neighbouring invocations touch neighbouring memory.
fn grid_index(wid: vec3<u32>, l: u32) -> u32 {
    return (wid.x + wid.y * params.row) * WG + l;
}
