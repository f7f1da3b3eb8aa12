//! Reuse of device buffers: dropped outputs go back to a pool and the next operation of the same
//! size takes one, so steady-state work allocates nothing (and pays no zero-fill of new memory).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Most bytes of free buffers the pool keeps; past that, dropped buffers are freed.
const CAP_BYTES: u64 = 1 << 30;

#[derive(Default)]
pub(crate) struct Pool {
    free: Mutex<(HashMap<u64, Vec<wgpu::Buffer>>, u64)>,
}

impl Pool {
    /// A free buffer of exactly `size` bytes, if one is held.
    pub fn take(&self, size: u64) -> Option<wgpu::Buffer> {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        let buffer = free.0.get_mut(&size)?.pop()?;
        free.1 -= size;
        Some(buffer)
    }

    /// Keeps `buffer` for reuse, or frees it if the pool is full.
    pub fn put(&self, buffer: wgpu::Buffer) {
        let size = buffer.size();
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        if free.1 + size <= CAP_BYTES {
            free.1 += size;
            free.0.entry(size).or_default().push(buffer);
        }
    }

    /// Frees every held buffer.
    pub fn clear(&self) {
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        free.0.clear();
        free.1 = 0;
    }
}

/// A pooled buffer on loan: when the last handle on it is dropped (a tensor, or every view of a
/// batch's shared output), the buffer goes back to the pool.
pub(crate) struct Lease {
    pub buffer: wgpu::Buffer,
    pub pool: Arc<Pool>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.pool.put(self.buffer.clone());
    }
}
