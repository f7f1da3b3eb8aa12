// f(x) = ln(1 + e^z) / beta with z = beta x, and x where z > threshold (compared in f32, as
// PyTorch does); f'(x) = sigmoid(z). beta = params.p.x, threshold = params.p.y.
// z is carried as an exact sum hi + lo so that e^-|z| keeps full accuracy for any beta.
// beta x as an exact sum hi + lo (beta = 1, the common case, needs no splitting).
fn beta_x(x: f32) -> vec2<f32> {
    if (params.p.x == 1.0) {
        return vec2<f32>(x, 0.0);
    }
    return mul_exact(params.p.x, x);
}

fn act_f(x: f32) -> f32 {
    let beta = params.p.x;
    let z = beta_x(x);
    let s = select(1.0, -1.0, z.x > 0.0); // e^-|z| = e^(s z)
    let p = exp_sum_parts(s * z.x, s * z.y);
    let y = (max(beta * x, 0.0) + log1p_acc(scale2(p.m, p.k))) / beta;
    return select(y, x, beta * x > params.p.y);
}

fn act_df(x: f32) -> Parts {
    let beta = params.p.x;
    if (beta * x > params.p.y) {
        return plain(1.0);
    }
    let z = beta_x(x);
    if (z.x < 0.0) {
        let p = exp_sum_parts(z.x, z.y); // sigmoid(z) = e^z / (1 + e^z)
        return Parts(p.m / (1.0 + scale2(p.m, p.k)), p.k);
    }
    return plain(sigmoid_acc(z.x + z.y));
}
