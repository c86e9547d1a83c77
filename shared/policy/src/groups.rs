//! User groups: names the configuration gives to sets of people, so a policy says `actor.group in [admins]`
//! instead of repeating addresses.
//!
//! A member is either an email address (`alice@acme.example`) or a whole email domain written with a leading
//! `@` (`@contractors.example`). A domain member matches addresses at exactly that domain, not its
//! subdomains: `@acme.example` does not cover `bob@eu.acme.example` (list `@eu.acme.example` too), so a
//! group never silently grows when a new subdomain appears. Matching ignores case.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Group name → members, validated. Cheap to clone; compiled policies share the member sets.
#[derive(Debug, Clone, Default)]
pub struct Groups {
    groups: BTreeMap<String, Arc<GroupSet>>,
}

/// Why a group definition was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("group `{group}`: member `{member}`: {reason}")]
pub struct GroupError {
    pub group: String,
    pub member: String,
    pub reason: String,
}

impl Groups {
    pub fn new() -> Self {
        Groups::default()
    }

    /// Builds the groups from name → members, checking every member is an email or an `@domain`.
    pub fn from_members<I, M, S>(groups: I) -> Result<Groups, GroupError>
    where
        I: IntoIterator<Item = (S, M)>,
        M: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Groups::default();
        for (name, members) in groups {
            out.insert(name.as_ref(), members)?;
        }
        Ok(out)
    }

    /// Adds (or replaces) one group.
    pub fn insert<M, S>(&mut self, name: &str, members: M) -> Result<(), GroupError>
    where
        M: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = GroupSet::default();
        for member in members {
            let member = member.as_ref().trim();
            let error = |reason: &str| GroupError {
                group: name.to_string(),
                member: member.to_string(),
                reason: reason.to_string(),
            };
            if let Some(domain) = member.strip_prefix('@') {
                if domain.is_empty() || domain.contains('@') || !domain.contains('.') {
                    return Err(error("a domain member is `@` followed by a domain, like `@contractors.example`"));
                }
                set.domains.insert(domain.to_lowercase());
            } else {
                match member.split_once('@') {
                    Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => {
                        set.emails.insert(member.to_lowercase());
                    }
                    _ => return Err(error("expected an email address or `@domain`")),
                }
            }
        }
        self.groups.insert(name.to_string(), Arc::new(set));
        Ok(())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }

    /// Whether `email` belongs to the group; `false` for an unknown group.
    pub fn contains(&self, group: &str, email: &str) -> bool {
        self.groups.get(group).is_some_and(|g| g.contains(email))
    }

    pub(crate) fn get(&self, group: &str) -> Option<&Arc<GroupSet>> {
        self.groups.get(group)
    }
}

/// One group's members, lower-cased.
#[derive(Debug, Default)]
pub(crate) struct GroupSet {
    emails: HashSet<String>,
    domains: HashSet<String>,
}

impl GroupSet {
    /// Allocation-free for the lower-case addresses the normalizers produce; a mixed-case address falls
    /// back to a linear, case-insensitive scan rather than being lower-cased into a new string.
    pub(crate) fn contains(&self, email: &str) -> bool {
        let Some((_, domain)) = email.rsplit_once('@') else {
            return false;
        };
        if email.bytes().any(|b| b.is_ascii_uppercase()) || !email.is_ascii() {
            return self.emails.iter().any(|m| crate::filter::eq_fold(email, m))
                || self.domains.iter().any(|d| crate::filter::eq_fold(domain, d));
        }
        self.emails.contains(email) || self.domains.contains(domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups() -> Groups {
        Groups::from_members([
            ("admins", vec!["alice@acme.example", "Bob@Acme.example"]),
            ("contractors", vec!["@contractors.example"]),
        ])
        .expect("valid groups")
    }

    #[test]
    fn membership_by_email_and_by_exact_domain_ignores_case() {
        let g = groups();
        #[rustfmt::skip]
        let cases = [
            ("admins",      "alice@acme.example",       true),
            ("admins",      "ALICE@acme.example",       true),
            ("admins",      "bob@acme.example",         true),
            ("admins",      "carol@acme.example",       false),
            ("contractors", "dan@contractors.example",  true),
            ("contractors", "dan@CONTRACTORS.example",  true),
            ("contractors", "dan@eu.contractors.example", false),
            ("contractors", "not-an-email",             false),
            ("nobody",      "alice@acme.example",       false),
        ];
        for (group, email, expected) in cases {
            assert_eq!(g.contains(group, email), expected, "{group} {email}");
        }
    }

    #[test]
    fn members_must_be_emails_or_domains() {
        for bad in ["alice", "@", "@localhost", "a@b@c", "@a@b.c"] {
            let err = Groups::from_members([("g", vec![bad])]).expect_err(bad);
            assert_eq!(err.group, "g");
        }
    }
}
