// f(x) = atan(x), f'(x) = 1 / (1 + x^2); past 2^40 it is 1/x^2, kept as parts so that
// grad_out * f'(x) stays accurate where f'(x) alone would underflow.
fn act_f(x: f32) -> f32 {
    return atan_acc(x);
}

fn act_df(x: f32) -> Parts {
    return recip_or_square_parts(1.0 + x * x, x);
}
