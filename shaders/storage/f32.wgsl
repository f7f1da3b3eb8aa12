// f32 storage: a word (8 elements) is two vec4<f32> in memory.

alias f32_mem = array<vec4<f32>, 2>;

fn f32_to_word(m: f32_mem) -> Word {
    return Word(m[0], m[1]);
}

fn f32_from_word(w: Word) -> f32_mem {
    return f32_mem(w.lo, w.hi);
}
