//! Bias + activation (`bias_forward`, `bias_backward`) against the reference: the activation
//! of the f32-rounded sum within its bounds, the bias gradient within 2⁻¹⁸ of the sum of its
//! terms' magnitudes (plus half a unit of a 16-bit result's format, for the rounding to it, and
//! the smallest normal f32 per term, for terms flushed to 0).

mod common;

use gpu_activations::half::{bf16, f16};
use gpu_activations::{Activation, DType, Error, GpuActivations, GpuBuffer, reference, ulp};

/// (N, C, S): a dense layer's output (S = 1), a convolution's (S = H·W) and odd sizes; between
/// them every path a word takes to its biases (8 consecutive channels: S = 1 with C a multiple
/// of 8; one channel: S a multiple of 8; any other layout) and the grid paths, which read the
/// bias from a uniform buffer: rows of one channel (S = 512, and S = 448, whose rows end inside
/// a workgroup; S = 1,600, rows long enough for the wide workgroups, ending inside one), a dense layer's groups of 8 rows by pairs of words (7 rows, one short group;
/// 4,096 channels, the uniform buffer full; 3 and 5 words, the last pair a single word;
/// 20 rows, the last group short); past the uniform buffer (4,104 channels), 8 consecutive
/// channels read from the bias itself.
const SHAPES: &[(usize, usize, usize)] = &[
    (4, 5, 1),
    (2, 3, 16),
    (3, 5, 7),
    (1, 1, 300),
    (64, 33, 1),
    (5, 24, 1),
    (3, 4, 512),
    (2, 3, 448),
    (2, 3, 1600),
    (7, 512, 1),
    (9, 4096, 1),
    (20, 40, 1),
    (2, 4104, 1),
];

fn upload(gpu: &GpuActivations, dtype: DType, v: &[f32]) -> GpuBuffer {
    match dtype {
        DType::F32 => gpu.upload(v),
        DType::F16 => gpu.upload_typed(&v.iter().map(|&x| f16::from_f32(x)).collect::<Vec<_>>()),
        _ => gpu.upload_typed(&v.iter().map(|&x| bf16::from_f32(x)).collect::<Vec<_>>()),
    }
    .unwrap()
}

/// The values as `dtype` stores them.
fn stored(gpu: &GpuActivations, b: &GpuBuffer) -> Vec<f32> {
    gpu.download(b).unwrap()
}

fn check(
    gpu: &GpuActivations,
    dtype: DType,
    act: Activation,
    (n, c, s): (usize, usize, usize),
    seed: u64,
) {
    let len = n * c * s;
    let mut xs = common::specials();
    xs.extend(common::random_values(len, seed));
    xs.truncate(len);
    let bias: Vec<f32> =
        common::random_values(c, seed + 1).iter().map(|b| b.clamp(-4.0, 4.0)).collect();
    let gs = common::grads(len, seed + 2);
    let (x, b, g) = (upload(gpu, dtype, &xs), upload(gpu, dtype, &bias), upload(gpu, dtype, &gs));
    let (xs, bias, gs) = (stored(gpu, &x), stored(gpu, &b), stored(gpu, &g));
    let label = format!("{} {act} (N, C, S) = ({n}, {c}, {s})", dtype.name());

    let y = gpu.download(&gpu.bias_forward(act, &x, &b, c, s).unwrap()).unwrap();
    let (dx, db) = gpu.bias_backward(act, &x, &b, &g, c, s).unwrap();
    let (dx, db) = (gpu.download(&dx).unwrap(), gpu.download(&db).unwrap());
    let xb = reference::bias_input(&xs, &bias, c, s);
    common::assert_within_bounds_in(&format!("{label}: x + b, "), dtype, act, &xb, &gs, &y, &dx);
    let (want, magnitude) = reference::bias_grad(act, &xs, &bias, &gs, c, s);
    for k in 0..c {
        // plus the smallest normal f32 per term: a term below f32's normal range (ELU's f′ far
        // left) may be flushed to 0, as grad_x's own bounds allow
        let flushed = (len / c) as f64 * f32::MIN_POSITIVE as f64;
        let tolerance =
            magnitude[k] * 2f64.powi(-18) + flushed + 0.5 * ulp::ulp_of_in(dtype, want[k]);
        let ok = db[k] as f64 == want[k]
            || (db[k] as f64 - want[k]).abs() <= tolerance
            || (db[k].is_nan() && want[k].is_nan());
        assert!(
            ok,
            "{label}: grad_bias[{k}] = {:e}, reference {:e} (terms' magnitude {:e})",
            db[k], want[k], magnitude[k]
        );
    }
}

#[test]
fn fused_bias_and_activation_match_the_reference() {
    let gpu = common::gpu();
    for dtype in [DType::F32, DType::F16, DType::Bf16] {
        for (k, act) in Activation::ALL.iter().enumerate() {
            for (j, &shape) in SHAPES.iter().enumerate() {
                check(&gpu, dtype, *act, shape, (k * 10 + j) as u64);
            }
        }
    }
}

#[test]
fn verification_accepts_the_bias_operations() {
    let mut gpu = common::gpu();
    gpu.set_verify(true);
    for act in [Activation::Gelu, Activation::Silu, Activation::Relu] {
        check(&gpu, DType::F32, act, (8, 16, 9), 5);
        check(&gpu, DType::Bf16, act, (3, 4, 5), 6);
    }
}

#[test]
fn bias_operations_read_views() {
    let gpu = common::gpu();
    let usage =
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST;
    let app = gpu.device().create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 256,
        usage,
        mapped_at_creation: false,
    });
    let xs = common::random_values(24, 3);
    gpu.queue().write_buffer(&app, 12, bytemuck::cast_slice(&xs));
    gpu.queue().write_buffer(&app, 140, bytemuck::cast_slice(&[0.5f32, -0.25, 2.0]));
    let (x, b) =
        (gpu.wrap(&app, 12, 24, DType::F32).unwrap(), gpu.wrap(&app, 140, 3, DType::F32).unwrap());
    let (xo, bo) = (gpu.upload(&xs).unwrap(), gpu.upload(&[0.5, -0.25, 2.0]).unwrap());
    let from_view = gpu
        .download(&gpu.bias_forward(Activation::Elu { alpha: 1.0 }, &x, &b, 3, 2).unwrap())
        .unwrap();
    let from_own = gpu
        .download(&gpu.bias_forward(Activation::Elu { alpha: 1.0 }, &xo, &bo, 3, 2).unwrap())
        .unwrap();
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(from_view), bits(from_own));
}

#[test]
fn bad_bias_arguments_are_errors() {
    let gpu = common::gpu();
    let x = gpu.upload(&[1.0; 12]).unwrap();
    let b3 = gpu.upload(&[0.0; 3]).unwrap();
    let g = gpu.upload(&[1.0; 12]).unwrap();
    let act = Activation::Relu;
    assert!(matches!(
        gpu.bias_forward(act, &x, &b3, 4, 1),
        Err(Error::LengthMismatch { what: "bias", .. })
    ));
    assert!(
        matches!(gpu.bias_forward(act, &x, &b3, 3, 5), Err(Error::Shape(_))),
        "3 · 5 does not divide 12"
    );
    assert!(matches!(gpu.bias_forward(act, &x, &b3, 3, 0), Err(Error::Shape(_))));
    assert!(matches!(
        gpu.bias_forward(act, &x, &gpu.cast(&b3, DType::F16).unwrap(), 3, 1),
        Err(Error::DTypeMismatch { .. })
    ));
    assert!(matches!(
        gpu.bias_forward(Activation::Elu { alpha: f32::NAN }, &x, &b3, 3, 1),
        Err(Error::InvalidParameter { .. })
    ));
    assert!(matches!(
        gpu.bias_backward(act, &x, &b3, &b3, 3, 1),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(matches!(gpu.bias_backward(act, &x, &b3, &g, 3, 5), Err(Error::Shape(_))));
    // Empty input: an empty result and a zero bias gradient.
    let empty = gpu.upload(&[]).unwrap();
    let (dx, db) = gpu.bias_backward(act, &empty, &b3, &empty, 3, 2).unwrap();
    assert!(dx.is_empty());
    assert_eq!(gpu.download(&db).unwrap(), vec![0.0; 3]);
}
