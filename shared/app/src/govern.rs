//! Governance decisions become identity-provider actions, safely: automatic ones from the settings of the
//! policy or detection that raised an alert, manual ones when an analyst approves; retry and revert.
//!
//! Exactly once: every execution first claims its governance log entry — a conditional create keyed by
//! (tenant, alert, action) — and only the delivery that claimed it acts. Later steps (approval, retry,
//! revert) are conditional on the entry's version. A crash between the claim and the provider's answer
//! leaves the entry `running`; it is retried by hand, never automatically (an action must not run twice
//! behind the analyst's back).

use chrono::{DateTime, Utc};
use saaswarden_core::config::GovernanceSettings;
use saaswarden_core::governance::{
    ActionKind, Decision, DirectoryUser, GovernanceEntry, GovernanceStatus, IdentityProvider, IdpError, Lookup,
    Precheck, Receipt, Trigger, budget_window, decisions_for_alert, lookup_for, notice_for, precheck,
    resolved_identity_check,
};
use saaswarden_core::{Alert, Config};
use saaswarden_store::{AlertStore, Claim, GovernanceLog, StoreError, Versioned};
use tracing::{info, warn};

pub mod directory_sync;

pub use directory_sync::{DIRECTORY_SYNC_STATE, SyncReport, sync_directory};

#[derive(Debug, thiserror::Error)]
pub enum GovernError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("identity provider: {0}")]
    Idp(#[from] IdpError),
    #[error("{0}")]
    Invalid(String),
}

/// What governance runs with: its settings, the log, and the identity provider.
pub struct Governor<'a, L, P> {
    pub settings: &'a GovernanceSettings,
    pub log: &'a L,
    pub idp: &'a P,
}

/// The result of handing one decision in.
#[derive(Debug, Clone, PartialEq)]
pub enum Executed {
    /// This delivery claimed the entry; it ends in the entry's status.
    Claimed(GovernanceEntry),
    /// Another delivery claimed it first: nothing was done.
    AlreadyClaimed(GovernanceEntry),
}

impl Executed {
    pub fn entry(&self) -> &GovernanceEntry {
        match self {
            Executed::Claimed(entry) | Executed::AlreadyClaimed(entry) => entry,
        }
    }
}

/// Counts of one pass over alerts' automatic decisions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GovernReport {
    pub decisions: usize,
    pub succeeded: usize,
    pub pending: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Decisions whose entry another delivery had claimed.
    pub already_claimed: usize,
}

impl<L, P> Governor<'_, L, P>
where
    L: GovernanceLog + Sync,
    P: IdentityProvider + Sync,
{
    /// Executes the automatic decisions of `alerts` (per the configuration's detection settings and the
    /// policies' own), each at most once.
    pub async fn govern_alerts(
        &self,
        alerts: &[Alert],
        config: &Config,
        now: DateTime<Utc>,
    ) -> Result<GovernReport, GovernError> {
        let mut report = GovernReport::default();
        for alert in alerts {
            for decision in decisions_for_alert(alert, config) {
                report.decisions += 1;
                match self.execute(&decision, now).await? {
                    Executed::AlreadyClaimed(_) => report.already_claimed += 1,
                    Executed::Claimed(entry) => match entry.status {
                        GovernanceStatus::Succeeded => report.succeeded += 1,
                        GovernanceStatus::Pending => report.pending += 1,
                        GovernanceStatus::Skipped => report.skipped += 1,
                        _ => report.failed += 1,
                    },
                }
            }
        }
        Ok(report)
    }

    /// Hands one decision in: claims its entry, applies the rails, acts. A decision whose entry exists
    /// already (a redelivery) does nothing.
    pub async fn execute(&self, decision: &Decision, now: DateTime<Utc>) -> Result<Executed, GovernError> {
        let (status, reason) = match precheck(decision, self.settings) {
            Precheck::Proceed => (GovernanceStatus::Running, None),
            Precheck::Pending(reason) => (GovernanceStatus::Pending, Some(reason)),
            Precheck::Skip(reason) => (GovernanceStatus::Skipped, Some(reason)),
        };
        let entry = GovernanceEntry::new(decision, status, reason, now);
        if let Claim::Existing(existing) = self.log.claim_action(&entry).await? {
            info!(entry = %entry.id, status = %existing.value.status, "governance decision already claimed");
            return Ok(Executed::AlreadyClaimed(existing.value));
        }
        if status != GovernanceStatus::Running {
            return Ok(Executed::Claimed(entry));
        }
        let budgeted =
            matches!(decision.trigger, Trigger::Automatic { .. }) && decision.action == ActionKind::SuspendUser;
        let by = actor(&decision.trigger, &decision.policy_id);
        Ok(Executed::Claimed(self.run(Versioned { value: entry, version: 1 }, &by, budgeted, now).await?))
    }

    /// An analyst approves an action on an alert: a pending (or skipped) entry runs; with no entry yet,
    /// one is claimed and run. Manual actions are outside the hourly budget (a person decided).
    pub async fn approve(
        &self,
        alerts: &impl AlertStore,
        alert_id: &str,
        action: ActionKind,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<GovernanceEntry, GovernError> {
        let Some(alert) = alerts.get(alert_id).await? else {
            return Err(GovernError::Invalid(format!(
                "no alert with id `{alert_id}` (list them with `saaswarden alerts list`)"
            )));
        };
        let decision = Decision::new(&alert, action, Trigger::Manual { by: by.to_string() });
        let Some(stored) = self.log.governance_entry(&decision.entry_id()).await? else {
            return Ok(self.execute(&decision, now).await?.entry().clone());
        };
        // Pending waits for exactly this; a skipped one (a dry run, say) may be approved once the settings
        // allow it — the rails run again either way.
        if !matches!(stored.value.status, GovernanceStatus::Pending | GovernanceStatus::Skipped) {
            return Err(GovernError::Invalid(format!(
                "{action} on alert {alert_id} is already {} (entry {}){}",
                stored.value.status,
                stored.value.id,
                if stored.value.status == GovernanceStatus::Failed {
                    ": use `governance retry` to run it again"
                } else {
                    ""
                }
            )));
        }
        self.restart(stored, decision, by, "approved", now).await
    }

    /// Runs a failed entry (or one a crash left running) again, as `by`.
    pub async fn retry(&self, id: &str, by: &str, now: DateTime<Utc>) -> Result<GovernanceEntry, GovernError> {
        let stored = self.entry(id).await?;
        if !matches!(stored.value.status, GovernanceStatus::Failed | GovernanceStatus::Running) {
            return Err(GovernError::Invalid(format!(
                "governance entry {id} is {}: only failed (or interrupted, running) entries are retried",
                stored.value.status
            )));
        }
        let mut decision = stored.value.decision.clone();
        decision.trigger = Trigger::Manual { by: by.to_string() };
        self.restart(stored, decision, by, "retried", now).await
    }

    /// Undoes a suspension: re-enables the user.
    pub async fn revert(&self, id: &str, by: &str, now: DateTime<Utc>) -> Result<GovernanceEntry, GovernError> {
        let Versioned { value: mut entry, version } = self.entry(id).await?;
        if !entry.action.is_revertible() {
            return Err(GovernError::Invalid(format!(
                "governance entry {id} is {}: only suspend-user can be reverted (a sent mail or revoked sessions cannot)",
                entry.action
            )));
        }
        if entry.status != GovernanceStatus::Succeeded {
            return Err(GovernError::Invalid(format!(
                "governance entry {id} is {}: only a succeeded suspension can be reverted",
                entry.status
            )));
        }
        let Some(target) = entry.target.clone() else {
            return Err(GovernError::Invalid(format!("governance entry {id} records no Entra user to re-enable")));
        };
        if self.settings.dry_run {
            return Err(GovernError::Invalid(format!(
                "dry run: would re-enable {target}; set governance.dry_run = false to revert"
            )));
        }
        match self.idp.set_account_enabled(&target, true).await {
            Ok(receipt) => {
                entry.request_id = receipt.request_id;
                entry.error = None;
                entry.record(GovernanceStatus::Reverted, by, Some(format!("re-enabled {target}")), now);
            }
            Err(error) => {
                entry.request_id = error.request_id.clone();
                entry.error = Some(describe(&error));
                entry.record(
                    GovernanceStatus::Succeeded,
                    by,
                    Some(format!("revert failed: {}", describe(&error))),
                    now,
                );
                self.log.save_governance_entry(&entry, version).await?;
                return Err(GovernError::Idp(error));
            }
        }
        self.log.save_governance_entry(&entry, version).await?;
        Ok(entry)
    }

    async fn entry(&self, id: &str) -> Result<Versioned<GovernanceEntry>, GovernError> {
        self.log.governance_entry(id).await?.ok_or_else(|| {
            GovernError::Invalid(format!("no governance entry `{id}` (list them with `saaswarden governance log`)"))
        })
    }

    /// Moves a stored entry back to running (conditionally: two analysts cannot both start it) and runs
    /// it, after the rails again — the configuration may have changed since.
    async fn restart(
        &self,
        stored: Versioned<GovernanceEntry>,
        decision: Decision,
        by: &str,
        verb: &str,
        now: DateTime<Utc>,
    ) -> Result<GovernanceEntry, GovernError> {
        let Versioned { value: mut entry, version } = stored;
        entry.decision = decision;
        let (status, detail) = match precheck(&entry.decision, self.settings) {
            Precheck::Proceed => (GovernanceStatus::Running, format!("{verb} by {by}")),
            Precheck::Pending(reason) | Precheck::Skip(reason) => (GovernanceStatus::Skipped, reason),
        };
        // The previous call's outcome stays in its own step; this one has made no call yet.
        entry.error = None;
        entry.request_id = None;
        entry.record(status, by, Some(detail), now);
        self.log.save_governance_entry(&entry, version).await?;
        if status != GovernanceStatus::Running {
            return Ok(entry);
        }
        self.run(Versioned { value: entry, version: version + 1 }, by, false, now).await
    }

    /// Resolves the identity, applies the identity rails and the budget, acts, and records the outcome.
    async fn run(
        &self,
        stored: Versioned<GovernanceEntry>,
        by: &str,
        budgeted: bool,
        now: DateTime<Utc>,
    ) -> Result<GovernanceEntry, GovernError> {
        let Versioned { value: mut entry, version } = stored;
        let (status, detail) = match self.act(&mut entry, budgeted, now).await? {
            Ok((status, detail)) => (status, detail),
            Err(error) => {
                warn!(entry = %entry.id, action = %entry.action, error = %describe(&error), "governance action failed");
                entry.request_id = error.request_id.clone().or(entry.request_id.take());
                entry.error = Some(describe(&error));
                (GovernanceStatus::Failed, Some(describe(&error)))
            }
        };
        entry.record(status, by, detail, now);
        self.log.save_governance_entry(&entry, version).await?;
        info!(entry = %entry.id, action = %entry.action, status = %entry.status, "governance action recorded");
        Ok(entry)
    }

    /// The provider part of a run: `Ok(Ok(status, detail))` for a decided outcome, `Ok(Err(_))` for a
    /// provider failure, `Err` for a store failure.
    async fn act(
        &self,
        entry: &mut GovernanceEntry,
        budgeted: bool,
        now: DateTime<Utc>,
    ) -> Result<Result<(GovernanceStatus, Option<String>), IdpError>, GovernError> {
        let lookup = lookup_for(&entry.user, self.settings);
        let user = match self.idp.find_user(&lookup).await {
            Ok(Some(user)) => user,
            Ok(None) => return Ok(Err(unmapped(&entry.user, &lookup))),
            Err(error) => return Ok(Err(error)),
        };
        entry.target = Some(user.id.clone());
        if let Some(reason) = resolved_identity_check(entry.action, &user, self.settings) {
            return Ok(Ok((GovernanceStatus::Skipped, Some(reason))));
        }
        if entry.action.is_disruptive() {
            let groups = self.settings.protected_group_ids();
            if !groups.is_empty() {
                match self.idp.member_groups(&user.id, &groups).await {
                    Ok(member) if !member.is_empty() => {
                        let reason = format!(
                            "{} is a member of protected group(s) {}: never {}",
                            user.user_principal_name,
                            member.join(", "),
                            entry.action
                        );
                        return Ok(Ok((GovernanceStatus::Skipped, Some(reason))));
                    }
                    Ok(_) => {}
                    Err(mut error) => {
                        // Not knowing whether a user is protected means not acting.
                        error.message =
                            format!("cannot check the protected groups, so nothing was done: {}", error.message);
                        return Ok(Err(error));
                    }
                }
            }
        }
        if budgeted {
            let limit = self.settings.suspensions_per_hour;
            if !self.log.take_budget(&entry.tenant, &budget_window(now), limit).await? {
                let reason = format!(
                    "suspension budget used up ({limit} per hour for tenant {}): waiting for approval \
                     (`saaswarden governance approve {} --action suspend-user`)",
                    entry.tenant, entry.alert_id
                );
                return Ok(Ok((GovernanceStatus::Pending, Some(reason))));
            }
        }
        let result = self.call(entry, &user).await;
        Ok(result.map(|receipt| {
            entry.request_id = receipt.request_id;
            entry.error = None;
            (GovernanceStatus::Succeeded, Some(format!("{} {}", entry.action, user.user_principal_name)))
        }))
    }

    async fn call(&self, entry: &GovernanceEntry, user: &DirectoryUser) -> Result<Receipt, IdpError> {
        match entry.action {
            ActionKind::NotifyUser => self.idp.notify(user, &notice_for(&entry.decision)).await,
            ActionKind::RequireSignIn => self.idp.revoke_sessions(&user.id).await,
            ActionKind::SuspendUser => self.idp.set_account_enabled(&user.id, false).await,
        }
    }
}

fn unmapped(user: &str, lookup: &Lookup) -> IdpError {
    IdpError::local(match lookup {
        Lookup::Mapped(target) => {
            format!("{user} is mapped to the Entra user `{target}` (governance.identities), which does not exist")
        }
        Lookup::ByEmail(email) => format!(
            "no Entra user has the UPN or mail {email}: map the app user in governance.identities (nothing is guessed)"
        ),
    })
}

fn actor(trigger: &Trigger, policy_id: &str) -> String {
    match trigger {
        Trigger::Automatic { .. } => format!("policy:{policy_id}"),
        Trigger::Manual { by } => by.clone(),
    }
}

/// The provider's error as the log shows it: status, code, message.
fn describe(error: &IdpError) -> String {
    let mut parts = Vec::new();
    if let Some(status) = error.status {
        parts.push(format!("HTTP {status}"));
    }
    if let Some(code) = &error.code {
        parts.push(code.clone());
    }
    parts.push(error.message.clone());
    parts.join(": ")
}
