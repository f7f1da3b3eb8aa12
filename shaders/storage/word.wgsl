// The unit the elementwise and cast kernels move: a word of 8 elements, held as two vec4<f32>
// whatever the storage (the arithmetic is f32). Each storage format (f32.wgsl, f16.wgsl,
// bf16.wgsl) says how a word lies in memory (<format>_mem) and converts it to and from a Word
// (<format>_to_word, <format>_from_word); the host binds the tensors as arrays of <format>_mem.
//
// The 16-bit formats keep two values per u32, the even index in the low half, as they lie in
// memory on a little-endian host: a word is one vec4<u32>.

struct Word {
    lo: vec4<f32>, // elements 0..4
    hi: vec4<f32>, // elements 4..8
}

// The four 16-bit values packed in two u32s, each in the low half of a u32.
fn halves(w: vec2<u32>) -> vec4<u32> {
    return vec4<u32>(w.x & 0xffffu, w.x >> 16u, w.y & 0xffffu, w.y >> 16u);
}

// Four 16-bit values (each in the low half of a u32) packed two per u32.
fn pairs(h: vec4<u32>) -> vec2<u32> {
    return vec2<u32>(h.x | (h.y << 16u), h.z | (h.w << 16u));
}
