// f(x) = x / (1 + |x|) (+-1 at +-inf); f'(x) = 1 / (1 + |x|)^2, as parts past 2^40.
fn act_f(x: f32) -> f32 {
    return select(x / (1.0 + abs(x)), sign(x), is_inf(x));
}

fn act_df(x: f32) -> Parts {
    let d = 1.0 + abs(x);
    return recip_or_square_parts(d * d, x);
}
