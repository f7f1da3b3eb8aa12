// f(x) = scale x for x > 0, scale alpha (e^x - 1) otherwise, with PyTorch's constants.
const SELU_SCALE: f32 = 1.0507009873554805;
const SELU_SCALE_ALPHA: f32 = 1.7580993408473766; // scale * alpha

fn act_f(x: f32) -> f32 {
    return select(SELU_SCALE_ALPHA * expm1_nonpos(x), SELU_SCALE * x, x > 0.0);
}

fn act_df(x: f32) -> Parts {
    if (x > 0.0) {
        return plain(SELU_SCALE);
    }
    let e = exp_parts(x);
    return Parts(SELU_SCALE_ALPHA * e.m, e.k);
}
