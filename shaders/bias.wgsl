// Bias + activation, fused: y = f(x + bias[c]) and its backward, for x laid out (N, C, S)
// row-major, element e in channel c = (e / S) % C. params.shape is (C, S, then the magic
// numbers of C and S, see div_rem) in the forward pass, whose dispatch starts at element
// params.start.w; (C, S, blocks, block length) in the backward pass. Appended by the host to the
// elementwise module of an activation on f32 storage (16-bit tensors go through f32).
//
// The sum x + bias[c] is rounded once in f32, as two separate operations would round it, and
// passes through the barrier (opaque() in numerics.wgsl) so that no rewrite merges it with
// the activation's arithmetic.

// The bias is always a tensor of the crate's own (wrapped or 16-bit biases are copied first), so
// it starts at offset 0 and is padded to whole words: it is read as vec4s, so that the 8
// consecutive channels of a dense layer's word are two loads.
@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> partials: array<f32>;

// bias[c]
fn bias_at(c: u32) -> f32 {
    return bias[c >> 2u][c & 3u];
}

fn biased4(x: vec4<f32>, b: vec4<f32>) -> vec4<f32> {
    let s = x + b;
    return vec4<f32>(opaque(s.x), opaque(s.y), opaque(s.z), opaque(s.w));
}

// The high 32 bits of a * b (WGSL has no 64-bit integers): four 16-bit products.
fn mul_hi(a: u32, b: u32) -> u32 {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = ((a0 * b0) >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    return a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}

// n / d and n % d without a division (a division by a value known only at run time is a
// scalar loop per lane on a CPU adapter): magic = floor(2^32 / d) (2^32 - 1 for d = 1), set
// by the host, gives a quotient at most 1 short, which one step corrects.
fn div_rem(n: u32, d: u32, magic: u32) -> vec2<u32> {
    let q = mul_hi(n, magic);
    let r = n - q * d;
    let over = r >= d;
    return vec2<u32>(select(q, q + 1u, over), select(r, r - d, over));
}

// How a word finds its biases, set per pipeline by the host (BiasWords in pipeline.rs) so that
// the compiled kernel keeps only its own path: 0 any layout, 1 the 8 elements share a channel
// (spatial a multiple of 8, words aligned), 2 they are 8 consecutive channels (spatial 1,
// channels a multiple of 8, words aligned); 3 and 5 are the first on a grid of its own, in
// blocks of two sizes, and 4 the second (bias_forward_rows and bias_forward_columns below).
override BIAS_WORDS: u32 = 0u;

// The biases of the 8 elements from e0.
fn bias_word(e0: u32) -> Word {
    let channels = params.shape.x;
    let spatial = params.shape.y;
    if (BIAS_WORDS == 2u) {
        let c = div_rem(e0, channels, params.shape.z).y >> 2u; // a multiple of 8, as a vec4 index
        return Word(bias[c], bias[c + 1u]);
    }
    let row = div_rem(e0, spatial, params.shape.w); // (row, position in it)
    var c = div_rem(row.x, channels, params.shape.z).y;
    if (BIAS_WORDS == 1u) {
        let b = vec4<f32>(bias_at(c));
        return Word(b, b);
    }
    // Any layout: one load when the 8 share a channel, otherwise the channel stepped per
    // element without branches.
    var r = row.y;
    if (r + 7u < spatial) {
        let b = vec4<f32>(bias_at(c));
        return Word(b, b);
    }
    var v: array<f32, 8>;
    for (var k = 0u; k < 8u; k++) {
        v[k] = bias_at(c);
        r += 1u;
        let next = r == spatial;
        r = select(r, 0u, next);
        c = select(c, c + 1u, next);
        c = select(c, 0u, c == channels);
    }
    return Word(vec4<f32>(v[0], v[1], v[2], v[3]), vec4<f32>(v[4], v[5], v[6], v[7]));
}

@compute @workgroup_size(WG)
fn bias_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let i = grid_index(wid, l);
    if (i < params.n) {
        biased_word(i, bias_word(params.start.w + 8u * i));
    }
}

// y = f(x + b) for word `word` of the dispatch.
fn biased_word(word: u32, b: Word) {
    let x = load_x(in_binding(params.start.x, word));
    store_y(in_binding(params.start.y, word), fwd_word(Word(biased4(x.lo, b.lo), biased4(x.hi, b.hi))));
}

// The grid paths (BIAS_WORDS 3 to 5, chosen by the host for whole batches of at most
// 4 * BIAS_UNIFORM_VEC4S channels) read a copy of the bias in a uniform buffer, and no channel is
// divided out of an index. On a CPU adapter a storage buffer is read lane by lane, one element
// at a time; a uniform buffer at an address that every invocation shares is one load, and
// otherwise one gather per element.
@group(0) @binding(9) var<uniform> bias_u: array<vec4<f32>, BIAS_UNIFORM_VEC4S>;

// BIAS_WORDS 5 and 3, rows of one channel: workgroup (block of a row, channel c, batch n)
// covers a block of words of row (n, c) and reads one bias; params.shape is (C, words per row).
// Blocks of WG words where rows fill them (a quarter as many workgroups to run as in blocks of
// BIAS_GRID_WG: relu at 1.04-1.06 x the activation alone instead of 1.10-1.14 x), else of
// BIAS_GRID_WG (BiasWords::WideChannelRows and ChannelRows, chosen by the host).
@compute @workgroup_size(WG)
fn bias_forward_rows_wide(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    channel_row_word(wid, wid.x * WG + l);
}

@compute @workgroup_size(BIAS_GRID_WG)
fn bias_forward_rows(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    channel_row_word(wid, wid.x * BIAS_GRID_WG + l);
}

// Word `position` of row (wid.z, wid.y), if the row has it.
fn channel_row_word(wid: vec3<u32>, position: u32) {
    let channels = params.shape.x;
    let row_words = params.shape.y;
    if (position < row_words) {
        let v = vec4<f32>(bias_u[wid.y >> 2u][wid.y & 3u]);
        biased_word((wid.z * channels + wid.y) * row_words + position, Word(v, v));
    }
}

// BIAS_WORDS 4, a dense layer's (rows, C): invocation g of the grid moves a pair of words, 2p
// and 2p + 1 (channels 16p to 16p + 15; the second word only when the row has it), of the
// BIAS_ROWS rows from BIAS_ROWS * (g / pairs), p = g % pairs. It gathers its 16 biases once
// for all those rows (one gather per element and row was 1.2-1.3 x the time of the activation
// alone). The workgroup takes its rows one at a time, a barrier after each: a CPU adapter runs
// a workgroup 8 invocations after another, each up to its next barrier, so each 8 go on along
// a row from where the 8 before them stopped, as in the activation alone (without the
// barriers each 8 walk their BIAS_ROWS rows, 4 KB apart, at once: 1.2-1.3 x; with one every 2
// or 4 rows: 1.12-1.28 x; one word per invocation instead of two: 1.06-1.20 x). params.shape
// is (rows, words per row, pairs per row, the magic number of pairs; see div_rem).
@compute @workgroup_size(WG)
fn bias_forward_columns(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let q = div_rem(grid_index(wid, l), params.shape.z, params.shape.w); // (group of rows, pair)
    let word = 2u * q.y;
    let b = array<Word, 2>(
        Word(bias_u[2u * word], bias_u[2u * word + 1u]),
        Word(bias_u[2u * word + 2u], bias_u[2u * word + 3u]),
    );
    let row = BIAS_ROWS * q.x;
    // BIAS_ROWS (set by the host) rows, written out: the same rows in a loop, a barrier in
    // each turn, ran at 1.24-1.42 x the activation alone (relu 1.40-1.42) against 0.96-1.08 x.
    const_assert BIAS_ROWS == 8u;
    biased_pair(row, word, b);
    workgroupBarrier();
    biased_pair(row + 1u, word, b);
    workgroupBarrier();
    biased_pair(row + 2u, word, b);
    workgroupBarrier();
    biased_pair(row + 3u, word, b);
    workgroupBarrier();
    biased_pair(row + 4u, word, b);
    workgroupBarrier();
    biased_pair(row + 5u, word, b);
    workgroupBarrier();
    biased_pair(row + 6u, word, b);
    workgroupBarrier();
    biased_pair(row + 7u, word, b);
}

// Words `word` and `word + 1` of row `row` of a dense layer, those that exist.
fn biased_pair(row: u32, word: u32, b: array<Word, 2>) {
    let row_words = params.shape.y;
    if (row < params.shape.x) {
        let w = row * row_words + word;
        biased_word(w, b[0]);
        if (word + 1u < row_words) {
            biased_word(w + 1u, b[1]);
        }
    }
}

// Workgroup (b, c): block b of channel c's elements (params.shape.w of them), each element's
// gradient grad_out * f'(x + bias[c]) written to y and summed; partials receives blocks * C
// sums (params.shape.z blocks per channel), which the host adds up per channel.
@compute @workgroup_size(WG)
fn bias_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) l: u32) {
    let b = wid.x;
    let c = wid.y;
    let channels = params.shape.x;
    let spatial = params.shape.y;
    let per_channel = params.count / channels;
    let start = b * params.shape.w;
    let end = min(start + params.shape.w, per_channel);
    let bc = bias_at(c);
    var acc = 0.0;
    for (var j = start + l; j < end; j += WG) {
        // j-th element of channel c: batch j / S, position j % S
        let e = ((j / spatial) * channels + c) * spatial + j % spatial;
        let d = bwd1(opaque(el_x(e) + bc), el_g(e));
        ye[e] = bitcast<u32>(d);
        acc += d;
    }
    let sum = workgroup_sum(l, acc);
    if (l == 0u) {
        partials[c * params.shape.z + b] = sum;
    }
}
