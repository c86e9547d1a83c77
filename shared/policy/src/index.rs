//! Which policies can match an activity, found by its action: most policies require one of a few exact
//! actions, so looking the action up once skips them for every other activity. Policies whose filter does
//! not pin the action (a prefix, a regex, a Zendesk `target.kind`) are always tried.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use saaswarden_core::activity::{Activity, App};

use crate::compile::CompiledPolicy;
use crate::filter::Matcher;

#[derive(Debug, Default)]
pub(crate) struct ActionIndex {
    /// Lower-cased action → the policies (by position, ascending) that require it.
    by_action: HashMap<Box<str>, Box<[u32]>, BuildHasherDefault<Fnv>>,
    /// Per app (in `App::ALL` order): the policies that apply to the app and do not pin the action.
    unpinned: [Box<[u32]>; 2],
    /// Every policy, for actions the index cannot look up (upper-case or non-ASCII).
    all: Box<[u32]>,
}

impl ActionIndex {
    pub fn build(policies: &[CompiledPolicy]) -> ActionIndex {
        let mut by_action: HashMap<Box<str>, Vec<u32>, BuildHasherDefault<Fnv>> = HashMap::default();
        let mut unpinned: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
        for (i, policy) in policies.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            match required_actions(&policy.matcher) {
                Some(actions) => {
                    for action in actions {
                        let list = by_action.entry(action.into()).or_default();
                        if list.last() != Some(&i) {
                            list.push(i);
                        }
                    }
                }
                None => {
                    for (slot, app) in App::ALL.iter().enumerate() {
                        if policy.apps.is_empty() || policy.apps.contains(app) {
                            unpinned[slot].push(i);
                        }
                    }
                }
            }
        }
        let all = (0..u32::try_from(policies.len()).unwrap_or(u32::MAX)).collect();
        ActionIndex {
            by_action: by_action.into_iter().map(|(k, v)| (k, v.into_boxed_slice())).collect(),
            unpinned: unpinned.map(Vec::into_boxed_slice),
            all,
        }
    }

    /// The positions of the policies that may match, ascending, as two sorted lists to merge.
    pub fn candidates(&self, activity: &Activity) -> (&[u32], &[u32]) {
        let action = activity.action.as_str();
        if !action.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
            return (&self.all, &[]);
        }
        let slot = App::ALL.iter().position(|a| *a == activity.app).unwrap_or(0);
        let pinned = self.by_action.get(action).map_or(&[][..], |v| &v[..]);
        (pinned, &self.unpinned[slot])
    }
}

/// Merges two ascending lists of positions (no duplicates between them) without allocating.
pub(crate) fn merged<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = usize> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x < y => {
                i += 1;
                *x
            }
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
                *x
            }
            (_, Some(y)) => {
                j += 1;
                *y
            }
            (Some(x), None) => {
                i += 1;
                *x
            }
            (None, None) => return None,
        };
        Some(next as usize)
    })
}

/// The exact (lower-cased) actions a filter requires one of, when it pins the action at all.
fn required_actions(matcher: &Matcher) -> Option<Vec<String>> {
    match matcher {
        Matcher::Leaf(leaf) => leaf.exact_actions(),
        // Any one pinned child is a necessary condition; the narrowest is the most useful.
        Matcher::All(children) => children.iter().filter_map(required_actions).min_by_key(Vec::len),
        // Every alternative must pin the action, or the union says nothing.
        Matcher::Any(children) => {
            let mut union = Vec::new();
            for child in children.iter() {
                union.extend(required_actions(child)?);
            }
            Some(union)
        }
        Matcher::Not(_) => None,
    }
}

/// FNV-1a: action names are short, trusted (they come from compiled policies and the apps' own action
/// names), so a fast non-cryptographic hash is enough.
#[derive(Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_order_and_drops_duplicates() {
        assert_eq!(merged(&[1, 4, 9], &[0, 4, 5, 12]).collect::<Vec<_>>(), vec![0, 1, 4, 5, 9, 12]);
        assert_eq!(merged(&[], &[2]).collect::<Vec<_>>(), vec![2]);
        assert_eq!(merged(&[3], &[]).collect::<Vec<_>>(), vec![3]);
    }
}
