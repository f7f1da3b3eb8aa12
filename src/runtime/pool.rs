//! Reuse of device buffers: dropped tensors (outputs and uploads alike) go back to a pool and the
//! next allocation of the same size takes one, so steady-state work allocates nothing (and pays
//! no zero-fill of new memory).
//!
//! The policy, in [`GpuActivations::release_pooled`](crate::GpuActivations::release_pooled)'s
//! words: a free buffer is kept while it may be wanted again. One that no allocation has taken
//! back within [`IDLE_TICKS`] pool events (allocations and returns) is freed, and the free
//! buffers never exceed [`CAP_BYTES`] (the longest-idle go first). So the memory the pool holds
//! follows the sizes the recent work uses, not the largest burst ever seen.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Most bytes of free buffers the pool keeps; past that, the longest-idle are freed.
pub(crate) const CAP_BYTES: u64 = 1 << 30;
/// Pool events (takes and returns) a free buffer may sit unused before it is freed.
pub(crate) const IDLE_TICKS: u64 = 4096;
/// How often (in pool events) idle buffers are looked for.
const TRIM_EVERY: u64 = 64;

#[derive(Default)]
pub(crate) struct Pool {
    free: Mutex<Free>,
}

/// The free buffers by size, each with the tick it was returned at (oldest first).
#[derive(Default)]
struct Free {
    by_size: HashMap<u64, Vec<(u64, wgpu::Buffer)>>,
    bytes: u64,
    clock: u64,
    /// Whether freed buffers wait in `graveyard` for [`Pool::bury`] (the GL backend, where
    /// destroying a buffer takes the one shared context: see `GpuActivations::serialize`).
    defer: bool,
    graveyard: Vec<wgpu::Buffer>,
}

impl Free {
    /// Advances the clock, freeing what has been idle too long every [`TRIM_EVERY`] ticks.
    fn tick(&mut self) {
        self.clock += 1;
        if self.clock % TRIM_EVERY == 0 {
            let oldest_kept = self.clock.saturating_sub(IDLE_TICKS);
            self.evict(|stamp, _| stamp < oldest_kept);
        }
    }

    /// Frees every buffer `drop_it(stamp, size)` selects.
    fn evict(&mut self, drop_it: impl Fn(u64, u64) -> bool) {
        let mut freed = 0;
        let mut dead = Vec::new();
        for (&size, list) in self.by_size.iter_mut() {
            let (gone, kept): (Vec<_>, Vec<_>) =
                list.drain(..).partition(|(stamp, _)| drop_it(*stamp, size));
            *list = kept;
            freed += gone.len() as u64 * size;
            dead.extend(gone.into_iter().map(|(_, b)| b));
        }
        self.discard(dead);
        self.by_size.retain(|_, list| !list.is_empty());
        self.bytes -= freed;
    }

    /// Frees `buffers`, or keeps them for [`Pool::bury`] when freeing is deferred.
    fn discard(&mut self, buffers: impl IntoIterator<Item = wgpu::Buffer>) {
        if self.defer {
            self.graveyard.extend(buffers);
        }
    }

    /// The tick of the longest-idle free buffer.
    fn oldest(&self) -> Option<u64> {
        self.by_size.values().filter_map(|l| l.first()).map(|(stamp, _)| *stamp).min()
    }
}

impl Pool {
    /// A pool whose freed buffers are destroyed only by [`bury`](Self::bury), which the caller
    /// runs where destroying is safe.
    pub fn deferring() -> Pool {
        let pool = Pool::default();
        pool.lock().defer = true;
        pool
    }

    /// Destroys the buffers freed since the last call (a no-op unless deferring).
    pub fn bury(&self) {
        let dead = std::mem::take(&mut self.lock().graveyard);
        drop(dead);
    }

    fn lock(&self) -> MutexGuard<'_, Free> {
        // A panic elsewhere cannot leave the lists inconsistent (every update is one push,
        // pop or retain), so a poisoned lock is taken over as it is.
        self.free.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A free buffer of exactly `size` bytes, if one is held (the most recently returned).
    pub fn take(&self, size: u64) -> Option<wgpu::Buffer> {
        let mut free = self.lock();
        free.tick();
        let list = free.by_size.get_mut(&size)?;
        let (_, buffer) = list.pop()?;
        if list.is_empty() {
            free.by_size.remove(&size);
        }
        free.bytes -= size;
        Some(buffer)
    }

    /// Keeps `buffer` for reuse, freeing the longest-idle buffers if the pool would exceed its
    /// cap (or `buffer` itself, if it alone is larger).
    pub fn put(&self, buffer: wgpu::Buffer) {
        let size = buffer.size();
        let mut free = self.lock();
        if size > CAP_BYTES {
            free.discard([buffer]);
            return;
        }
        free.tick();
        while free.bytes + size > CAP_BYTES {
            let Some(oldest) = free.oldest() else { break };
            free.evict(|stamp, _| stamp <= oldest);
        }
        let stamp = free.clock;
        free.by_size.entry(size).or_default().push((stamp, buffer));
        free.bytes += size;
    }

    /// Frees every held buffer.
    pub fn clear(&self) {
        let mut free = self.lock();
        let all: Vec<wgpu::Buffer> =
            free.by_size.drain().flat_map(|(_, list)| list.into_iter().map(|(_, b)| b)).collect();
        free.discard(all);
        free.bytes = 0;
    }

    /// Bytes of free buffers held now.
    pub fn held_bytes(&self) -> u64 {
        self.lock().bytes
    }
}

/// A pooled buffer on loan: when the last handle on it is dropped (a tensor, or every view of a
/// batch's shared output), the buffer goes back to the pool, unless it was given to work whose
/// completion this crate cannot see (see [`Lease::retire`]).
pub(crate) struct Lease {
    pub buffer: wgpu::Buffer,
    pub pool: Arc<Pool>,
    /// False once the buffer has been recorded into a caller's encoder.
    pub reusable: AtomicBool,
}

impl Lease {
    pub fn new(buffer: wgpu::Buffer, pool: Arc<Pool>) -> Lease {
        Lease { buffer, pool, reusable: AtomicBool::new(true) }
    }

    /// Never return this buffer to the pool: it was recorded into an encoder the caller submits
    /// whenever it likes, so pooled reuse could overwrite it before that work runs. When the
    /// last handle is dropped it is freed instead, and wgpu keeps it alive until every
    /// submission that uses it has finished.
    pub fn retire(&self) {
        self.reusable.store(false, Ordering::Relaxed);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if self.reusable.load(Ordering::Relaxed) {
            self.pool.put(self.buffer.clone());
        } else {
            self.pool.lock().discard([self.buffer.clone()]);
        }
    }
}
