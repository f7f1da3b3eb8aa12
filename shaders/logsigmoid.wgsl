// f(x) = ln sigmoid(x) = min(x, 0) - ln(1 + e^-|x|); f'(x) = sigmoid(-x), as parts for x > 0.
fn act_f(x: f32) -> f32 {
    return min(x, 0.0) - log1p_unit(exp_nonpos(-abs(x)));
}

fn act_df(x: f32) -> Parts {
    if (x > 0.0) {
        return sigmoid_neg_parts(-x);
    }
    return plain(sigmoid_acc(-x));
}
