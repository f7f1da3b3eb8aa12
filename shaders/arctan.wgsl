// f(x) = atan(x), f'(x) = 1 / (1 + x^2); past 2^40 it is 1/x^2 = (1/f^2) 2^(-2e) for x = f 2^e,
// kept as parts so that grad_out * f'(x) stays accurate where f'(x) alone would underflow.
fn act_f(x: f32) -> f32 {
    return atan_acc(x);
}

fn act_df(x: f32) -> Parts {
    if (abs(x) < 1.099511627776e12) {
        return plain(1.0 / (1.0 + x * x));
    }
    let b = bitcast<u32>(x);
    if ((b & 0x7fffffffu) == 0x7f800000u) {
        return plain(0.0); // x = +-inf
    }
    let e = i32((b >> 23u) & 0xffu) - 126;                 // |x| = f * 2^e
    let f = bitcast<f32>((b & 0x007fffffu) | 0x3f000000u); // f in [0.5, 1)
    return Parts(1.0 / (f * f), -2 * e);
}
