//! Where the dispatches of one elementwise operation read and write.
//!
//! Tensors of the crate's own start at bindable offsets and own whole words, padding
//! included: the word kernel covers them in binding-sized chunks. Views of an application's
//! buffer ([`wrap`](crate::GpuActivations::wrap)) may start at any element and own nothing past
//! their last one. When every tensor of the operation lies at the same offset modulo one word
//! (8 elements), the words wholly inside the views run through the word kernel, each tensor
//! bound from the device-aligned offset at or before its first word and started there (its
//! `start` word); the head before the first whole word and the tail after the last run element
//! by element. Otherwise the whole range runs element by element (correct, slower).

use crate::runtime::buffer::GpuBuffer;
use crate::runtime::layout::WORD;

/// One tensor of an operation and its word binding number in the kernels (x 1, y 2, grad_out 3;
/// its element binding is that plus 4).
pub(crate) type Operand<'a> = (u32, &'a GpuBuffer);

/// One dispatch: whole words, or a range of elements.
pub(crate) struct Piece<'a> {
    /// Element by element (the `_el` entry points).
    pub elements: bool,
    /// Words, or 4-byte units of y, to cover.
    pub n: u64,
    /// Elements of the range (element pieces).
    pub count: u64,
    /// The tensors' element where the piece starts.
    pub first: u64,
    /// Where each tensor's part starts in its binding (words, or elements), indexed by its
    /// word binding number − 1.
    pub start: [u32; 3],
    /// (binding number, buffer, offset, size) of each tensor.
    pub bindings: Vec<(u32, &'a wgpu::Buffer, u64, u64)>,
}

/// The device limits a plan respects.
pub(crate) struct Limits {
    /// `min_storage_buffer_offset_alignment`.
    pub align: u64,
    /// The most bytes one binding may cover.
    pub binding_bytes: u64,
    /// The most words a word dispatch may cover (its grid).
    pub max_words: u64,
    /// The most units an element dispatch may cover (its grid).
    pub max_units: u64,
}

/// The dispatches covering `operands` (all of one length; y is binding 2).
pub(crate) fn plan<'a>(operands: &[Operand<'a>], limits: &Limits) -> Vec<Piece<'a>> {
    let Some(&(_, first)) = operands.first() else { return Vec::new() };
    let n = first.len() as u64;
    if n == 0 {
        return Vec::new();
    }
    let mut pieces = Vec::new();
    if operands.iter().all(|(_, t)| !t.wrapped) {
        // Own tensors: whole padded words from bindable offsets.
        words(&mut pieces, operands, limits, 0, n.div_ceil(WORD));
        return pieces;
    }
    let phase = |t: &GpuBuffer| (t.offset / t.dtype().size_in_bytes()) % WORD;
    let in_phase = operands.iter().all(|(_, t)| phase(t) == phase(first));
    let head = if in_phase { ((WORD - phase(first)) % WORD).min(n) } else { n };
    let body = (n - head) / WORD;
    elements(&mut pieces, operands, limits, 0, head);
    words(&mut pieces, operands, limits, head, body);
    elements(&mut pieces, operands, limits, head + body * WORD, n);
    pieces
}

/// Where a binding of `t` from its element `element` begins: the device-aligned offset at or
/// before that element, and the element's distance from it in bytes.
fn bind_from(t: &GpuBuffer, element: u64, limits: &Limits) -> (u64, u64) {
    let at = t.offset + element * t.dtype().size_in_bytes();
    let base = at / limits.align * limits.align;
    (base, at - base)
}

/// `count` words from element `from` (a word boundary of every tensor), in chunks.
fn words<'a>(
    pieces: &mut Vec<Piece<'a>>,
    operands: &[Operand<'a>],
    limits: &Limits,
    from: u64,
    count: u64,
) {
    // A binding may begin up to one alignment before its first word.
    let chunk = operands
        .iter()
        .map(|(_, t)| {
            let wb = t.layout().word_bytes();
            (limits.binding_bytes / wb).saturating_sub(limits.align.div_ceil(wb))
        })
        .fold(limits.max_words, u64::min)
        .max(1);
    let mut done = 0;
    while done < count {
        let k = chunk.min(count - done);
        let first = from + done * WORD;
        let mut piece =
            Piece { elements: false, n: k, count: 0, first, start: [0; 3], bindings: Vec::new() };
        for &(slot, t) in operands {
            let wb = t.layout().word_bytes();
            let (base, lead) = bind_from(t, first, limits);
            let start = lead / wb;
            piece.start[slot as usize - 1] = start as u32;
            piece.bindings.push((slot, &t.buffer, base, (start + k) * wb));
        }
        pieces.push(piece);
        done += k;
    }
}

/// Elements `[from, to)`, in chunks.
fn elements<'a>(
    pieces: &mut Vec<Piece<'a>>,
    operands: &[Operand<'a>],
    limits: &Limits,
    from: u64,
    to: u64,
) {
    let chunk = operands
        .iter()
        .map(|(_, t)| {
            limits.binding_bytes.saturating_sub(limits.align + 4) / t.dtype().size_in_bytes()
        })
        .fold(limits.max_units, u64::min)
        .max(1);
    let mut at_element = from;
    while at_element < to {
        let k = chunk.min(to - at_element);
        let mut piece = Piece {
            elements: true,
            n: 0,
            count: k,
            first: at_element,
            start: [0; 3],
            bindings: Vec::new(),
        };
        for &(slot, t) in operands {
            let size = t.dtype().size_in_bytes();
            let (base, lead) = bind_from(t, at_element, limits);
            let start = lead / size;
            let end = (base + lead + k * size).next_multiple_of(4);
            piece.start[slot as usize - 1] = start as u32;
            piece.bindings.push((slot + 4, &t.buffer, base, end - base));
            if slot == 2 {
                let per_unit = 4 / size;
                piece.n = (start + k - 1) / per_unit - start / per_unit + 1;
            }
        }
        pieces.push(piece);
        at_element += k;
    }
}
