// f(x) = 1 / (1 + e^-x), f'(x) = e / (1 + e)^2 with e = e^-|x|.
fn act_f(x: f32) -> f32 {
    return sigmoid_acc(x);
}

fn act_df(x: f32) -> Parts {
    return logistic_slope(x);
}
