// f(x) = ln(1 + e^(beta x)) / beta, and x where beta x > threshold; f'(x) = sigmoid(beta x).
// beta = params.p.x, threshold = params.p.y
fn act_f(x: f32) -> f32 {
    let beta = params.p.x;
    let z = beta * x;
    let y = (max(z, 0.0) + log1p_acc(exp_acc(-abs(z)))) / beta;
    return select(y, x, z > params.p.y);
}

fn act_df(x: f32) -> Parts {
    let z = params.p.x * x;
    if (z > params.p.y) {
        return plain(1.0);
    }
    if (z < 0.0) {
        return sigmoid_neg_parts(z);
    }
    return plain(sigmoid_acc(z));
}
