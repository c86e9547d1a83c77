//! An estimate of the DynamoDB capacity units the store consumes, for the cost bench: DynamoDB on demand
//! bills write units (per 1 KB of each item written, index entries included) and read units (per 4 KB
//! read, half for eventually consistent reads), not requests. moto does not compute them, so the store
//! adds them up from the item sizes it writes and reads, by DynamoDB's published sizing rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::types::AttributeValue;

use super::Item;

/// Capacity units consumed so far. Clones share the tally.
#[derive(Clone, Debug, Default)]
pub struct CapacityMeter {
    write_units: Arc<AtomicU64>,
    /// In half units: an eventually consistent read of up to 4 KB is half a unit.
    read_half_units: Arc<AtomicU64>,
    items_written: Arc<AtomicU64>,
}

/// A reading of the meter.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Capacity {
    pub write_units: u64,
    pub read_units: f64,
    pub items_written: u64,
}

impl CapacityMeter {
    pub fn new() -> CapacityMeter {
        CapacityMeter::default()
    }

    pub fn reading(&self) -> Capacity {
        Capacity {
            write_units: self.write_units.load(Ordering::Relaxed),
            read_units: self.read_half_units.load(Ordering::Relaxed) as f64 / 2.0,
            items_written: self.items_written.load(Ordering::Relaxed),
        }
    }

    pub fn reset(&self) {
        self.write_units.store(0, Ordering::Relaxed);
        self.read_half_units.store(0, Ordering::Relaxed);
        self.items_written.store(0, Ordering::Relaxed);
    }

    /// One item written, plus `index_units` for the index entries it makes.
    pub(crate) fn wrote(&self, item: &Item, index_units: u64) {
        self.write_units.fetch_add(write_units(item_size(item)) + index_units, Ordering::Relaxed);
        self.items_written.fetch_add(1, Ordering::Relaxed);
    }

    /// An update of a small item (a counter, a time): one unit.
    pub(crate) fn updated(&self) {
        self.write_units.fetch_add(1, Ordering::Relaxed);
    }

    /// One read request returning `bytes` (a GetItem, a BatchGetItem item, a Query page).
    pub(crate) fn read(&self, bytes: usize, consistent: bool) {
        let units = bytes.div_ceil(4096).max(1) as u64;
        self.read_half_units.fetch_add(if consistent { units * 2 } else { units }, Ordering::Relaxed);
    }
}

/// Write units for an item of `bytes`: one per started KB.
pub(crate) fn write_units(bytes: usize) -> u64 {
    bytes.div_ceil(1024).max(1) as u64
}

/// An item's size by DynamoDB's rules: attribute names plus values (numbers ≈ 1 byte per 2 digits + 1).
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        _ => 1,
    }
}

/// The bytes of a page of items, for read accounting.
pub(crate) fn items_size(items: &[Item]) -> usize {
    items.iter().map(item_size).sum()
}
