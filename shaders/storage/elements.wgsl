// Element-wise dispatches (the `_el` entry points of kernel.wgsl and cast.wgsl), for the
// heads and tails of views that do not fill whole words, and for views at different offsets
// modulo a word: invocation u writes the u-th 4-byte unit of y's range (one f32 or two 16-bit
// elements: no two invocations share a unit), each of its elements that lies in the range
// (put_y keeps the rest of the unit as it is). Elements of x and grad_out are read one by one,
// wherever they lie; none outside the range is read.

struct ElUnit {
    index: u32,     // the unit of y in its binding
    first: u32,     // the range index of its first element (wrapped past count before the range)
    ok: vec2<bool>, // which of its EL_Y elements lie in the range (none: past the range)
}

fn el_unit(wid: vec3<u32>, l: u32) -> ElUnit {
    let index = params.start.y / EL_Y + grid_index(wid, l);
    let first = index * EL_Y - params.start.y;
    let ok = vec2<bool>(first < params.count, EL_Y == 2u && first + 1u < params.count);
    return ElUnit(index, first, ok);
}
