// f(x) = tanh(x), f'(x) = sech^2(x) = 4 e / (1 + e)^2 with e = e^-2|x|.
fn act_f(x: f32) -> f32 {
    return tanh_acc(x);
}

fn act_df(x: f32) -> Parts {
    let s = logistic_slope(2.0 * x);
    return Parts(4.0 * s.m, s.k);
}
