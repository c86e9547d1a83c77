//! Which policies can match an activity, decided once per *shape* of activity and remembered.
//!
//! A shape is what an activity has in common with many others: its app, action, category, outcome,
//! administrative and impersonated flags, and target kind. Each policy's filter is evaluated over the shape
//! alone, three-valued: a leaf over one of those fields is decided, any other leaf is unknown, and
//! `all`/`any`/`not` combine them (false wins in `all`, true in `any`). Policies whose filter is *false* for
//! the shape cannot match any activity of that shape and are skipped. This covers exact actions, action
//! prefixes and regexes, Zendesk target kinds and categories alike, at the cost of one lookup per activity.
//! There are a few hundred shapes in a tenant's traffic; the table is capped so that a flood of odd
//! actions cannot grow it without bound (beyond the cap, shapes are computed and not kept).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, RwLock};

use saaswarden_core::activity::{Activity, App, Category, Outcome};

use crate::compile::CompiledPolicy;
use crate::filter::Matcher;

/// Shapes kept at most; each is a few dozen bytes plus its candidate list.
const MAX_SHAPES: usize = 16_384;

/// Action (exactly as the activity has it) → the shapes seen with it and their candidates.
type ShapeTable = HashMap<Box<str>, Vec<(Shape, Arc<[u32]>)>, BuildHasherDefault<Fnv>>;

#[derive(Debug, Default)]
pub(crate) struct ShapeIndex {
    by_action: RwLock<ShapeTable>,
}

/// The fields, besides the action, that a shape fixes.
#[derive(Debug, Clone, PartialEq)]
struct Shape {
    app: App,
    category: Category,
    outcome: Outcome,
    administrative: bool,
    impersonated: bool,
    target_kind: Option<Box<str>>,
}

impl Shape {
    fn of(activity: &Activity) -> Shape {
        Shape {
            app: activity.app,
            category: activity.category,
            outcome: activity.outcome,
            administrative: activity.administrative,
            impersonated: activity.impersonator.is_some(),
            target_kind: activity.target.as_ref().map(|t| t.kind.as_str().into()),
        }
    }

    fn fits(&self, activity: &Activity) -> bool {
        self.app == activity.app
            && self.category == activity.category
            && self.outcome == activity.outcome
            && self.administrative == activity.administrative
            && self.impersonated == activity.impersonator.is_some()
            && self.target_kind.as_deref() == activity.target.as_ref().map(|t| t.kind.as_str())
    }
}

impl ShapeIndex {
    /// The positions (ascending) of the policies that may match `activity`.
    pub fn candidates(&self, policies: &[CompiledPolicy], activity: &Activity) -> Arc<[u32]> {
        if let Ok(table) = self.by_action.read()
            && let Some(found) = table
                .get(activity.action.as_str())
                .and_then(|shapes| shapes.iter().find(|(shape, _)| shape.fits(activity)))
        {
            return Arc::clone(&found.1);
        }
        let computed: Arc<[u32]> = policies
            .iter()
            .enumerate()
            .filter(|(_, policy)| policy.apps.is_empty() || policy.apps.contains(&activity.app))
            .filter(|(_, policy)| decide(&policy.matcher, activity) != Some(false))
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect();
        // A poisoned lock only means another thread panicked mid-insert: the table is still valid.
        let mut table = self.by_action.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let kept: usize = table.values().map(Vec::len).sum();
        if kept < MAX_SHAPES {
            let shapes = table.entry(activity.action.as_str().into()).or_default();
            if !shapes.iter().any(|(shape, _)| shape.fits(activity)) {
                shapes.push((Shape::of(activity), Arc::clone(&computed)));
            }
        }
        computed
    }
}

/// The filter's value over the activity's shape: `None` when it depends on anything else.
fn decide(matcher: &Matcher, activity: &Activity) -> Option<bool> {
    match matcher {
        Matcher::Leaf(leaf) => leaf.is_shape_field().then(|| leaf.matches(activity)),
        Matcher::All(children) => {
            let mut known = true;
            for child in children.iter() {
                match decide(child, activity) {
                    Some(false) => return Some(false),
                    Some(true) => {}
                    None => known = false,
                }
            }
            known.then_some(true)
        }
        Matcher::Any(children) => {
            let mut known = true;
            for child in children.iter() {
                match decide(child, activity) {
                    Some(true) => return Some(true),
                    Some(false) => {}
                    None => known = false,
                }
            }
            known.then_some(false)
        }
        Matcher::Not(inner) => decide(inner, activity).map(|value| !value),
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
    use saaswarden_core::activity::{App, Category, Target};
    use saaswarden_core::testing::{activity, t0};

    use crate::{Groups, PolicySet};

    fn policy(id: &str, apps: &str, filter: &str) -> (String, String) {
        let text = format!(
            "id: {id}\nname: {id}\nseverity: low\napps: [{apps}]\nfilter: {filter}\nalert:\n  title: \"{id}\"\n"
        );
        (format!("{id}.yaml"), text)
    }

    fn set() -> PolicySet {
        let sources = [
            policy("exact", "slack", "{ field: action, op: equals, value: owner_transferred }"),
            policy("prefix", "slack", "{ field: action, op: prefix, value: pref. }"),
            policy("regex", "slack", "{ field: action, op: regex, value: \"_export_(started|downloaded)$\" }"),
            policy("not_login", "slack", "{ not: { field: action, op: equals, value: user_login } }"),
            policy(
                "any_mixed",
                "slack",
                "{ any: [ { field: action, op: equals, value: app_installed }, \
                 { field: actor.email, op: suffix, value: \"@evil.example\" } ] }",
            ),
            policy("zendesk_kind", "zendesk", "{ field: target.kind, op: equals, value: api_token }"),
            policy("category", "", "{ field: category, op: equals, value: administrative }"),
            policy("email_only", "", "{ field: actor.email, op: equals, value: bob@acme.example }"),
        ];
        PolicySet::from_sources(&sources, &Groups::new()).unwrap_or_else(|e| panic!("policies compile: {e:?}"))
    }

    fn ids(set: &PolicySet, activity: &saaswarden_core::Activity) -> Vec<String> {
        let candidates = set.index().candidates(set.policies(), activity);
        candidates.iter().map(|&i| set.policies()[i as usize].id().to_string()).collect()
    }

    #[test]
    fn a_shape_keeps_only_the_policies_its_fields_do_not_rule_out() {
        let set = set();
        let login = activity("1", "alice@acme.example", t0());
        assert_eq!(ids(&set, &login), ["any_mixed", "email_only"], "a sign-in is only tried on shape-free filters");

        let pref = login.clone().with_action("pref.sso_setting_changed", Category::Administrative);
        assert_eq!(ids(&set, &pref), ["prefix", "not_login", "any_mixed", "category", "email_only"]);

        let export = login.clone().with_action("manual_export_started", Category::DataAccess);
        assert_eq!(ids(&set, &export), ["regex", "not_login", "any_mixed", "email_only"]);

        let mut token = activity("2", "carol@acme.example", t0()).with_app(App::Zendesk);
        token.action = "create".into();
        token.category = Category::Administrative;
        token.target = Some(Target { kind: "api_token".into(), id: None, name: None });
        assert_eq!(ids(&set, &token), ["zendesk_kind", "category", "email_only"]);
        // Same action, another target kind: another shape, remembered separately.
        token.target = Some(Target { kind: "ticket".into(), id: None, name: None });
        assert_eq!(ids(&set, &token), ["category", "email_only"]);
    }

    #[test]
    fn every_matching_policy_is_a_candidate_and_answers_are_stable_once_remembered() {
        let set = set();
        let base = activity("1", "bob@evil.example", t0());
        let actions = ["user_login", "owner_transferred", "pref.x", "scheduled_export_downloaded", "app_installed"];
        for action in actions {
            for category in [Category::SignInSuccess, Category::Administrative, Category::DataAccess] {
                let probe = base.clone().with_action(action, category);
                let matching: Vec<&str> = set.policies().iter().filter(|p| p.matches(&probe)).map(|p| p.id()).collect();
                let first = ids(&set, &probe);
                for id in &matching {
                    assert!(first.iter().any(|c| c == id), "{id} matches {action} but was not a candidate");
                }
                assert_eq!(ids(&set, &probe), first, "the remembered answer equals the computed one");
            }
        }
    }
}
