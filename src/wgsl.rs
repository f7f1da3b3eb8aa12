//! The crate's accurate activations as WGSL source for your own shaders.
//!
//! [`library`] returns self-contained WGSL: for each activation asked for,
//! `fn <name>_forward(x: f32) -> f32` and `fn <name>_backward(x: f32, grad_out: f32) -> f32`
//! (`grad_out · f′(x)`), with the activation's parameters compiled in. It declares no bindings
//! and no entry points, and every other name in it starts with `gpuact_`, so it can be pasted
//! into any module: call the functions from a matrix product's epilogue, a fused kernel, a
//! fragment shader. The results are the crate's own (same code, same bounds, same NaN and kink
//! conventions), and the optimization barrier its numerics need against the shader compiler's
//! float rewrites lives inside the library, taken from the functions' arguments: nothing to
//! bind.
//!
//! ```
//! use gpu_activations::{wgsl, Activation};
//! let lib = wgsl::library(&[Activation::Gelu, Activation::LeakyRelu { alpha: 0.2 }])?;
//! assert!(lib.contains("fn gelu_forward(x: f32) -> f32"));
//! assert!(lib.contains("fn leaky_relu_backward(x: f32, grad_out: f32) -> f32"));
//! let kernel = format!(
//!     "{lib}
//!      @group(0) @binding(0) var<storage, read_write> v: array<f32>;
//!      @compute @workgroup_size(64)
//!      fn main(@builtin(global_invocation_id) id: vec3<u32>) {{
//!          if (id.x < arrayLength(&v)) {{ v[id.x] = gelu_forward(v[id.x]); }}
//!      }}"
//! );
//! # let _ = kernel;
//! # Ok::<(), gpu_activations::Error>(())
//! ```

use std::collections::{HashMap, HashSet};

use crate::error::Error;
use crate::table::activation::Activation;

const NUMERICS: &str = include_str!("../shaders/numerics.wgsl");
/// The prefix of every name the library declares besides the public functions.
const PREFIX: &str = "gpuact_";

/// WGSL source defining `<name>_forward` and `<name>_backward` for each of `acts` (see the
/// [module docs](self)). Errors: an activation whose parameters are out of their domain
/// ([`Error::InvalidParameter`]), or one named twice (their functions would clash; for two
/// parameter sets, rename one in your source). An empty list gives the shared numerics alone.
pub fn library(acts: &[Activation]) -> Result<String, Error> {
    let mut seen = HashSet::new();
    for act in acts {
        act.validate()?;
        if !seen.insert(act.name()) {
            return Err(Error::DuplicateName { name: act.name() });
        }
    }
    let mut names: HashMap<&str, String> =
        declared(NUMERICS).into_iter().map(|n| (n, format!("{PREFIX}{n}"))).collect();
    names.insert("barrier_zero", format!("{PREFIX}barrier_zero"));
    let mut out = format!(
        "// gpu-activations {}: accurate activations for your own WGSL (gpu_activations::wgsl).\n\
         // Public: <name>_forward(x) and <name>_backward(x, grad_out) for {}; every other name\n\
         // starts with {PREFIX}.\n\n\
         // The numerics' optimization barrier: a 0 the compiler cannot know, taken from each\n\
         // call's argument (1 only for one NaN pattern, whose result is NaN whatever it is).\n\
         var<private> {PREFIX}zero: u32;\n\n\
         fn {PREFIX}barrier_zero() -> u32 {{\n    return {PREFIX}zero;\n}}\n\n\
         fn {PREFIX}set_barrier(x: f32) {{\n    \
         {PREFIX}zero = select(0u, 1u, bitcast<u32>(x) == 0x7f800001u);\n}}\n\n{}\n",
        env!("CARGO_PKG_VERSION"),
        if acts.is_empty() { "none".to_string() } else { list(acts) },
        rename(NUMERICS, &names),
    );
    for act in acts {
        out.push_str(&activation(*act, &names));
    }
    Ok(out)
}

/// One activation's part: its snippet (its own names prefixed with `gpuact_<name>_`), its
/// parameters, and the two public functions (the elementwise kernel's `fwd1` and `bwd1`).
fn activation(act: Activation, shared: &HashMap<&str, String>) -> String {
    let name = act.name();
    let own = format!("{PREFIX}{name}_");
    let snippet = act.spec().wgsl;
    let mut names = shared.clone();
    for n in declared(snippet) {
        names.insert(n, format!("{own}{n}"));
    }
    names.insert("act_params", format!("{own}params"));
    let p = act.params().map(|v| format!("bitcast<f32>({:#010x}u)", v.to_bits()));
    let nan = format!("{PREFIX}nan_f32()");
    let is_nan = format!("{PREFIX}is_nan");
    format!(
        "// ---- {name}\n{}\n\
         fn {own}params() -> vec4<f32> {{\n    return vec4<f32>({});\n}}\n\n\
         fn {name}_forward(x: f32) -> f32 {{\n    {PREFIX}set_barrier(x);\n    \
         return select({own}act_f(x), {nan}, {is_nan}(x));\n}}\n\n\
         fn {name}_backward(x: f32, grad_out: f32) -> f32 {{\n    {PREFIX}set_barrier(x);\n    \
         let d = {own}act_df(x);\n    \
         let r = select({PREFIX}times_parts(grad_out, d), 0.0, d.m == 0.0);\n    \
         return select(r, {nan}, {is_nan}(x) || {is_nan}(grad_out));\n}}\n\n",
        rename(snippet, &names),
        p.join(", "),
    )
}

fn list(acts: &[Activation]) -> String {
    acts.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
}

/// The names a WGSL file declares at module scope (`fn`, `struct`, `const`, `alias` at the
/// start of a line).
fn declared(src: &str) -> Vec<&str> {
    src.lines()
        .filter_map(|line| {
            let rest = ["fn ", "struct ", "const ", "alias "]
                .iter()
                .find_map(|kw| line.strip_prefix(kw))?;
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
            Some(&rest[..end])
        })
        .collect()
}

/// `src` with every identifier in `names` replaced (not member names after a `.`, not parts of
/// numbers such as `0x7f800000u` or `1e-5`).
fn rename(src: &str, names: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(src.len() + src.len() / 4);
    let bytes = src.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !word(bytes[i]) {
            // Copy up to the next identifier or number (whole UTF-8 sequences).
            let start = i;
            while i < bytes.len() && !word(bytes[i]) {
                i += 1;
            }
            out.push_str(&src[start..i]);
            continue;
        }
        let start = i;
        let number = bytes[i].is_ascii_digit();
        while i < bytes.len() && (word(bytes[i]) || (number && bytes[i] == b'.')) {
            i += 1;
        }
        let token = &src[start..i];
        let member = start > 0 && bytes[start - 1] == b'.';
        match names.get(token) {
            Some(new) if !number && !member => out.push_str(new),
            _ => out.push_str(token),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_spares_members_numbers_and_other_words() {
        let names = HashMap::from([("exp_parts", "gpuact_exp_parts".to_string())]);
        let src = "let e = exp_parts(x).m + p.exp_parts + 1e5 + 0x7fu; // exp_parts_x";
        assert_eq!(
            rename(src, &names),
            "let e = gpuact_exp_parts(x).m + p.exp_parts + 1e5 + 0x7fu; // exp_parts_x"
        );
    }

    #[test]
    fn declared_names_are_found() {
        let src = "const A: f32 = 1.0;\nfn b(x: f32) -> f32 {\n    let c = 1;\n}\nstruct D {\n}\n";
        assert_eq!(declared(src), ["A", "b", "D"]);
    }
}
