//! Which Slack audit action is which activity category, and which are administrative.
//!
//! "Administrative" follows MDCA: one identity acting on another identity or on the organisation's
//! configuration — roles, settings (`pref.*`), policies, app approval, exports, DLP and legal hold, IdP, and
//! user lifecycle. A user acting on their own data (downloading a file, sharing it) is not administrative.
//!
//! Rules are tried in order and the first match wins, so an exact action listed before a family prefix
//! overrides it (`manual_export_started` before `manual_export_`). Actions not listed are `Other`, not
//! administrative: Slack adds actions over time and an unknown one must never fail or over-alert.

use saaswarden_core::activity::Category::{
    Administrative, DataAccess, Export, Integration, Other, Settings, Sharing, SignInFailure, SignInSuccess, SignOut,
};
use saaswarden_core::activity::{Category, Outcome};

use self::Admin::{AtOrgLevel, No, Yes};

/// How an action counts, once the entry's circumstances are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Classification {
    pub category: Category,
    pub administrative: bool,
    pub outcome: Outcome,
}

/// What the entry says beyond its action name that changes how the action counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Circumstances {
    /// The actor acted on their own user account (entity user id = actor user id).
    pub on_own_account: bool,
    /// The action happened at the Enterprise organization level (`context.location.type = enterprise`),
    /// not in one workspace.
    pub org_level: bool,
}

pub(crate) fn classify(action: &str, circumstances: Circumstances) -> Classification {
    let outcome = outcome(action);
    let Some(rule) = RULES.iter().find(|rule| rule.pattern.matches(action)) else {
        return Classification { category: Category::Other, administrative: false, outcome };
    };
    if circumstances.on_own_account
        && let Some(category) = rule.on_own_account
    {
        return Classification { category, administrative: false, outcome };
    }
    let administrative = match rule.administrative {
        Admin::Yes => true,
        Admin::No => false,
        Admin::AtOrgLevel => circumstances.org_level,
    };
    Classification { category: rule.category, administrative, outcome }
}

/// Slack names refusals in the action itself (`user_login_failed`, `file_download_blocked`); every other
/// action records something that happened. `anomaly` is Slack's own detection, neither.
fn outcome(action: &str) -> Outcome {
    if action == "anomaly" {
        Outcome::Unknown
    } else if action.ends_with("_failed") || action.ends_with("_blocked") {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

enum Pattern {
    Exact(&'static str),
    Prefix(&'static str),
}

impl Pattern {
    fn matches(&self, action: &str) -> bool {
        match self {
            Pattern::Exact(name) => action == *name,
            Pattern::Prefix(prefix) => action.starts_with(prefix),
        }
    }
}

#[derive(Clone, Copy)]
enum Admin {
    Yes,
    No,
    /// Installing or removing an app for the whole organization is an org admin's act; in one workspace
    /// members may be allowed to do it themselves.
    AtOrgLevel,
}

struct Rule {
    pattern: Pattern,
    category: Category,
    administrative: Admin,
    /// The category when the actor does this to their own account, which is then not administrative
    /// (changing one's own email is a profile setting; changing someone else's is account takeover risk).
    on_own_account: Option<Category>,
}

const fn exact(action: &'static str, category: Category, administrative: Admin) -> Rule {
    Rule { pattern: Pattern::Exact(action), category, administrative, on_own_account: None }
}

const fn family(prefix: &'static str, category: Category, administrative: Admin) -> Rule {
    Rule { pattern: Pattern::Prefix(prefix), category, administrative, on_own_account: None }
}

impl Rule {
    const fn except_on_own_account(self, category: Category) -> Rule {
        Rule { on_own_account: Some(category), ..self }
    }
}

#[rustfmt::skip]
const RULES: &[Rule] = &[
    // Sign-in and sessions of the actor themselves.
    exact("user_login",                          SignInSuccess,  No),
    exact("cli_login",                           SignInSuccess,  No),
    exact("user_login_failed",                   SignInFailure,  No),
    exact("user_logout",                         SignOut,        No),
    exact("user_logout_compromised",             SignOut,        No),
    exact("user_session_invalidated",            SignOut,        No),
    // Privilege.
    family("role_change_",                       Administrative, Yes),
    exact("owner_transferred",                   Administrative, Yes),
    exact("permissions_assigned",                Administrative, Yes),
    exact("permissions_removed",                 Administrative, Yes),
    exact("role_assigned",                       Administrative, Yes),
    exact("role_removed",                        Administrative, Yes),
    // User lifecycle and other people's sessions.
    exact("user_created",                        Administrative, Yes),
    exact("user_deactivated",                    Administrative, Yes),
    exact("user_reactivated",                    Administrative, Yes),
    exact("guest_created",                       Administrative, Yes),
    exact("user_email_updated",                  Administrative, Yes).except_on_own_account(Settings),
    exact("user_session_reset_by_admin",         Administrative, Yes),
    exact("bulk_session_reset_by_admin",         Administrative, Yes),
    // Identity provider, network and data-governance policy.
    family("idp_",                               Administrative, Yes),
    exact("team_authorized_ip_range_set",        Administrative, Yes),
    family("legal_hold_policy_",                 Administrative, Yes),
    family("native_dlp_rule_",                   Administrative, Yes),
    family("ekm_",                               Administrative, Yes),
    family("corporate_exports_",                 Administrative, Yes),
    // Organization and workspace settings.
    family("pref.",                              Settings,       Yes),
    // Apps: approving or restricting an app decides for everyone; so does anything done at org level.
    exact("app_approved",                        Integration,    Yes),
    exact("app_restricted",                      Integration,    Yes),
    family("org_app_",                           Integration,    Yes),
    exact("app_installed",                       Integration,    AtOrgLevel),
    exact("app_uninstalled",                     Integration,    AtOrgLevel),
    exact("app_scopes_expanded",                 Integration,    AtOrgLevel),
    family("app_resources_",                     Integration,    No),
    exact("bot_token_upgraded",                  Integration,    No),
    // Data the actor reads. Slack has logged the blocked download under both names.
    exact("file_downloaded",                     DataAccess,     No),
    exact("file_download_blocked",               DataAccess,     No),
    exact("file_downloaded_blocked",             DataAccess,     No),
    // Data the actor makes visible to others.
    exact("file_shared",                         Sharing,        No),
    exact("file_public_link_created",            Sharing,        No),
    exact("private_channel_converted_to_public", Sharing,        No),
    family("public_channel_",                    Sharing,        No),
    // Exports: starting one is the admin's decision; progress and completion are Slack's bookkeeping.
    exact("channels_export_started",             Export,         Yes),
    exact("manual_export_started",               Export,         Yes),
    exact("scheduled_export_started",            Export,         Yes),
    family("channels_export_",                   Export,         No),
    family("manual_export_",                     Export,         No),
    family("scheduled_export_",                  Export,         No),
    // Slack's own anomaly detection; `details.reason` stays in the raw entry for the alert.
    exact("anomaly",                             Other,          No),
];

#[cfg(test)]
mod tests {
    use super::*;

    const ANYWHERE: Circumstances = Circumstances { on_own_account: false, org_level: false };
    const ORG: Circumstances = Circumstances { on_own_account: false, org_level: true };
    const OWN: Circumstances = Circumstances { on_own_account: true, org_level: false };

    #[test]
    fn actions_map_to_category_administrative_flag_and_outcome() {
        use Outcome::{Failure, Success, Unknown};
        #[rustfmt::skip]
        let cases = [
            ("user_login",                           ANYWHERE, SignInSuccess,  false, Success),
            ("cli_login",                            ANYWHERE, SignInSuccess,  false, Success),
            ("user_login_failed",                    ANYWHERE, SignInFailure,  false, Failure),
            ("user_logout",                          ANYWHERE, SignOut,        false, Success),
            ("user_logout_compromised",              ANYWHERE, SignOut,        false, Success),
            ("user_session_invalidated",             ANYWHERE, SignOut,        false, Success),
            ("role_change_to_admin",                 ANYWHERE, Administrative, true,  Success),
            ("role_change_to_guest",                 ANYWHERE, Administrative, true,  Success),
            ("owner_transferred",                    ANYWHERE, Administrative, true,  Success),
            ("permissions_removed",                  ANYWHERE, Administrative, true,  Success),
            ("user_deactivated",                     ANYWHERE, Administrative, true,  Success),
            ("guest_created",                        ANYWHERE, Administrative, true,  Success),
            ("user_email_updated",                   ANYWHERE, Administrative, true,  Success),
            ("user_email_updated",                   OWN,      Settings,       false, Success),
            ("user_session_reset_by_admin",          ANYWHERE, Administrative, true,  Success),
            ("bulk_session_reset_by_admin",          ANYWHERE, Administrative, true,  Success),
            ("idp_configuration_deleted",            ANYWHERE, Administrative, true,  Success),
            ("idp_prod_configuration_updated",       ANYWHERE, Administrative, true,  Success),
            ("team_authorized_ip_range_set",         ANYWHERE, Administrative, true,  Success),
            ("legal_hold_policy_released",           ANYWHERE, Administrative, true,  Success),
            ("native_dlp_rule_deactivated",          ANYWHERE, Administrative, true,  Success),
            ("ekm_unenrolled",                       ANYWHERE, Administrative, true,  Success),
            ("corporate_exports_approved",           ANYWHERE, Administrative, true,  Success),
            ("pref.two_factor_auth_changed",         ANYWHERE, Settings,       true,  Success),
            ("pref.sso_setting_changed",             ORG,      Settings,       true,  Success),
            ("app_approved",                         ANYWHERE, Integration,    true,  Success),
            ("app_restricted",                       ANYWHERE, Integration,    true,  Success),
            ("org_app_workspace_added",              ANYWHERE, Integration,    true,  Success),
            ("app_installed",                        ANYWHERE, Integration,    false, Success),
            ("app_installed",                        ORG,      Integration,    true,  Success),
            ("app_uninstalled",                      ORG,      Integration,    true,  Success),
            ("app_scopes_expanded",                  ANYWHERE, Integration,    false, Success),
            ("app_resources_granted",                ORG,      Integration,    false, Success),
            ("bot_token_upgraded",                   ANYWHERE, Integration,    false, Success),
            ("file_downloaded",                      ANYWHERE, DataAccess,     false, Success),
            ("file_download_blocked",                ANYWHERE, DataAccess,     false, Failure),
            ("file_downloaded_blocked",              ANYWHERE, DataAccess,     false, Failure),
            ("file_shared",                          ANYWHERE, Sharing,        false, Success),
            ("file_public_link_created",             ANYWHERE, Sharing,        false, Success),
            ("private_channel_converted_to_public",  ANYWHERE, Sharing,        false, Success),
            ("public_channel_created",               ANYWHERE, Sharing,        false, Success),
            ("manual_export_started",                ANYWHERE, Export,         true,  Success),
            ("channels_export_started",              ANYWHERE, Export,         true,  Success),
            ("scheduled_export_started",             ANYWHERE, Export,         true,  Success),
            ("manual_export_completed",              ANYWHERE, Export,         false, Success),
            ("scheduled_export_completed",           ANYWHERE, Export,         false, Success),
            ("anomaly",                              ANYWHERE, Other,          false, Unknown),
            ("some_action_slack_adds_next_year",     ORG,      Other,          false, Success),
            ("workflow_step_failed",                 ANYWHERE, Other,          false, Failure),
        ];
        for (action, circumstances, category, administrative, outcome) in cases {
            let got = classify(action, circumstances);
            assert_eq!(got, Classification { category, administrative, outcome }, "{action} with {circumstances:?}");
        }
    }

    #[test]
    fn administrative_actions_on_own_account_stay_administrative_unless_listed() {
        // Promoting oneself is exactly what an attacker with a stolen admin session does.
        let got = classify("role_change_to_owner", OWN);
        assert_eq!(got.category, Administrative);
        assert!(got.administrative);
    }
}
