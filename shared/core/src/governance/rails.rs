//! The safety rails every action passes, in this order: the allowed domains, protected identities (for
//! actions that lock a user out), approval mode, dry run. Then, outside this pure part: the identity
//! lookup (never a guess), the same checks on the resolved identity, protected groups through the
//! provider, and the hourly suspension budget (a conditional counter in the store).

use chrono::{DateTime, Utc};

use super::{ActionKind, Decision, DirectoryUser, Mode, Trigger};
use crate::config::GovernanceSettings;

/// What the pure rails say about a decision before anything is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precheck {
    /// Go on: resolve the identity and act.
    Proceed,
    /// Wait for an analyst's approval, for this reason.
    Pending(String),
    /// Do not act, for this reason.
    Skip(String),
}

/// The rails that need nothing but the decision and the settings.
pub fn precheck(decision: &Decision, settings: &GovernanceSettings) -> Precheck {
    let user = decision.user.trim();
    if let Some(reason) = domain_problem(user, settings) {
        return Precheck::Skip(reason);
    }
    if decision.action.is_disruptive() && protected_by_name(user, settings) {
        return Precheck::Skip(protected_reason(user, decision.action));
    }
    if decision.trigger == (Trigger::Automatic { mode: Mode::Approval }) {
        return Precheck::Pending(format!(
            "waiting for approval: `{}` asks approval for {}",
            decision.policy_id, decision.action
        ));
    }
    if settings.dry_run {
        return Precheck::Skip(format!(
            "dry run: would {} {user} (set governance.dry_run = false to act)",
            decision.action
        ));
    }
    Precheck::Proceed
}

/// The same rails on the identity the provider resolved (a mapping may point elsewhere): its UPN and mail
/// must be in an allowed domain and not protected by name. `Some(reason)` means skip.
pub fn resolved_identity_check(
    action: ActionKind,
    user: &DirectoryUser,
    settings: &GovernanceSettings,
) -> Option<String> {
    let names = std::iter::once(user.user_principal_name.as_str()).chain(user.mail.as_deref());
    for name in names {
        if let Some(reason) = domain_problem(name, settings) {
            return Some(format!("the Entra user {} ({}): {reason}", user.user_principal_name, user.id));
        }
        if action.is_disruptive() && protected_by_name(name, settings) {
            return Some(protected_reason(name, action));
        }
    }
    None
}

/// Whether `user` is protected by `protected_users` (emails or `@domain`), or by a `[groups]` group named
/// in `protected_groups` (expanded into `protected_users` when the configuration is read).
pub fn protected_by_name(user: &str, settings: &GovernanceSettings) -> bool {
    settings.protected_users.iter().any(|entry| {
        let entry = entry.trim();
        match entry.strip_prefix('@') {
            Some(domain) => user.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain)),
            None => entry.eq_ignore_ascii_case(user),
        }
    })
}

fn protected_reason(user: &str, action: ActionKind) -> String {
    format!("{user} is a protected identity (governance.protected_users / protected_groups): never {action}")
}

fn domain_problem(user: &str, settings: &GovernanceSettings) -> Option<String> {
    if settings.domain_allowed(user) {
        return None;
    }
    Some(if settings.allowed_domains.is_empty() {
        format!("{user}: no domain is allowed (governance.allowed_domains is empty)")
    } else {
        format!("{user} is outside the allowed domains ({})", settings.allowed_domains.join(", "))
    })
}

/// The clock hour (UTC) a suspension's budget is counted in: `2026-11-22T02`.
pub fn budget_window(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}
