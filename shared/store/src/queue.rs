//! The local runtime's queue: batches in arrival order, one message group per user, in memory.

use std::collections::VecDeque;
use std::future::{Future, ready};
use std::sync::Mutex;

use crate::error::StoreError;
use crate::ports::{ActivityBatch, ActivityQueue};

#[derive(Debug, Default)]
pub struct InProcessQueue {
    batches: Mutex<VecDeque<ActivityBatch>>,
}

impl InProcessQueue {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next batch. A single consumer drains the queue in order, so each user's batches are
    /// handled one at a time and in order, as an SQS FIFO message group would deliver them.
    pub fn pop(&self) -> Option<ActivityBatch> {
        self.batches.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop_front()
    }

    pub fn len(&self) -> usize {
        self.batches.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ActivityQueue for InProcessQueue {
    fn send(&self, batches: Vec<ActivityBatch>) -> impl Future<Output = Result<(), StoreError>> + Send {
        self.batches.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extend(batches);
        ready(Ok(()))
    }
}
