//! The per-IP facts cache. Audit logs repeat a small working set of IPs (offices, home connections, VPN
//! egress), so almost every lookup after the first few thousand is a hit.
//!
//! Policy: two generations. New facts go into the current generation; when it holds half the capacity it
//! becomes the previous generation (the old previous one is dropped) and a fresh one starts. A hit in the
//! previous generation moves the entry back into the current one. IPs in use therefore survive a rotation,
//! unlike with clear-when-full, at the bookkeeping cost of one extra hash probe on a miss, and without a
//! linked list or a dependency as in an LRU. The cache never holds more than `capacity` entries.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::intel::IpFacts;

/// How many IPs' facts are cached when `enrichment.cache_size` is not set: about 20 MB at most.
pub const DEFAULT_CACHE_SIZE: usize = 100_000;

pub(crate) struct FactCache {
    capacity: usize,
    generations: Mutex<Generations>,
}

struct Generations {
    current: HashMap<IpAddr, Arc<IpFacts>>,
    previous: HashMap<IpAddr, Arc<IpFacts>>,
    /// Entries in the current generation before it rotates: half the capacity.
    generation_capacity: usize,
}

impl fmt::Debug for FactCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FactCache").field("capacity", &self.capacity).field("len", &self.len()).finish()
    }
}

impl FactCache {
    /// A cache of at most `capacity` entries; below 2 turns caching off.
    pub(crate) fn new(capacity: usize) -> FactCache {
        let generations =
            Generations { current: HashMap::new(), previous: HashMap::new(), generation_capacity: capacity / 2 };
        FactCache { capacity, generations: Mutex::new(generations) }
    }

    /// The cached facts of `ip`, or `compute()`'s, cached. `compute` runs outside the lock: a database
    /// lookup takes microseconds, and other threads' hits need not wait for it.
    pub(crate) fn get_or_insert_with(&self, ip: IpAddr, compute: impl FnOnce() -> IpFacts) -> Arc<IpFacts> {
        if self.capacity < 2 {
            return Arc::new(compute());
        }
        if let Some(hit) = self.lock().get(ip) {
            return hit;
        }
        let facts = Arc::new(compute());
        // Another thread may have cached the same IP meanwhile: keep and return the first, so that every
        // caller gets the same Arc.
        let mut generations = self.lock();
        match generations.get(ip) {
            Some(hit) => hit,
            None => {
                generations.insert(ip, Arc::clone(&facts));
                facts
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        let generations = self.lock();
        generations.current.len() + generations.previous.len()
    }

    fn lock(&self) -> MutexGuard<'_, Generations> {
        // The maps are consistent after every statement, so a panic elsewhere while holding the lock leaves
        // nothing half-done to guard against.
        self.generations.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Generations {
    fn get(&mut self, ip: IpAddr) -> Option<Arc<IpFacts>> {
        if let Some(hit) = self.current.get(&ip) {
            return Some(Arc::clone(hit));
        }
        let hit = self.previous.remove(&ip)?;
        self.insert(ip, Arc::clone(&hit));
        Some(hit)
    }

    fn insert(&mut self, ip: IpAddr, facts: Arc<IpFacts>) {
        if self.current.len() >= self.generation_capacity {
            // Swapping reuses the old previous generation's allocation for the new current one.
            std::mem::swap(&mut self.current, &mut self.previous);
            self.current.clear();
        }
        self.current.insert(ip, facts);
    }
}
