// f(x) = atan(x), f'(x) = 1 / (1 + x^2) (0 once x^2 overflows: the true value is subnormal).
fn act_f(x: f32) -> f32 {
    return atan_acc(x);
}

fn act_df(x: f32) -> f32 {
    return 1.0 / (1.0 + x * x);
}
