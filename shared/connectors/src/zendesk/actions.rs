//! Which Zendesk audit entry is which activity category, and which are administrative.
//!
//! Zendesk's `action` is only a verb (`create`, `destroy`, `exported`, `login`, `update`); what was acted on
//! is `source_type`. The audit log is an admin-facing change log, so almost everything in it is a
//! configuration or user change; the decisions below follow MDCA's "administrative activity": one
//! identity acting on another identity or on the account's configuration.
//!
//! - `login` is a sign-in of the actor. Zendesk documents only successful ones ("Successful sign-in …");
//!   a description that says the sign-in failed is read as a failure in case Zendesk starts logging them.
//! - `exported` is a data export, which only admins can start: `Export`, administrative.
//! - `user` changes (role, suspension, identity, deletion) are administrative when done to someone else;
//!   an agent editing their own profile is a setting of their own, not administrative.
//! - Account-level configuration (account settings, brands, business rules, SLA policies, fields, forms,
//!   groups, security settings, user settings in Admin Center) is `Settings`, administrative: it applies to
//!   everyone. `account_setting` is also where assuming users is switched on ("Account Assumption").
//! - API tokens, OAuth clients and custom roles hand out access: `Administrative`.
//! - Marketplace and private apps (`zendesk/app_market/app`, `app_installation`, …) are `Integration`,
//!   administrative: only admins install apps in Zendesk.
//! - `ticket` entries record agents working tickets: `DataAccess`, not administrative.
//! - Any other `source_type` is `Other`, not administrative: Zendesk adds types over time and an unknown one
//!   must never fail or over-alert.

use saaswarden_core::activity::{Category, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Classification {
    pub category: Category,
    pub administrative: bool,
    pub outcome: Outcome,
}

/// What an entry says that decides its category.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts<'a> {
    pub action: &'a str,
    pub source_type: Option<&'a str>,
    pub change_description: Option<&'a str>,
    /// The actor changed their own user record (`source_type = user`, `source_id = actor_id`).
    pub on_own_account: bool,
}

const ACCOUNT_CONFIGURATION: &[&str] = &[
    "account",
    "account_setting",
    "user_setting",
    "brand",
    "rule",
    "trigger",
    "automation",
    "macro",
    "view",
    "sla_policy",
    "ticket_field",
    "ticket_form",
    "user_field",
    "organization_field",
    "group",
    "security_setting",
    "security_settings",
];

const ACCESS_GRANTS: &[&str] = &["api_token", "apitoken", "oauth_client", "oauth_token", "custom_role"];

pub(crate) fn classify(facts: Facts<'_>) -> Classification {
    let success = |category, administrative| Classification { category, administrative, outcome: Outcome::Success };
    let action = facts.action.trim().to_ascii_lowercase();
    if action == "login" {
        return sign_in(facts.change_description);
    }
    if action == "exported" {
        return success(Category::Export, true);
    }
    let source_type = facts.source_type.map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
    match source_type.as_str() {
        "user" if facts.on_own_account => success(Category::Settings, false),
        "user" => success(Category::Administrative, true),
        "ticket" => success(Category::DataAccess, false),
        t if ACCESS_GRANTS.contains(&t) => success(Category::Administrative, true),
        t if ACCOUNT_CONFIGURATION.contains(&t) => success(Category::Settings, true),
        t if is_app(t) => success(Category::Integration, true),
        _ => success(Category::Other, false),
    }
}

fn sign_in(change_description: Option<&str>) -> Classification {
    let description = change_description.unwrap_or_default().trim().to_lowercase();
    let failed = !description.starts_with("successful")
        && ["fail", "unsuccessful", "denied", "invalid"].iter().any(|word| description.contains(word));
    if failed {
        Classification { category: Category::SignInFailure, administrative: false, outcome: Outcome::Failure }
    } else {
        Classification { category: Category::SignInSuccess, administrative: false, outcome: Outcome::Success }
    }
}

/// `zendesk/app_market/app`, `app_installation`, `apps`: a word of the type is "app". Matching words, not
/// substrings, keeps `apitoken` and future types like `approval_request` out.
fn is_app(source_type: &str) -> bool {
    source_type.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == "app" || word == "apps")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_map_to_category_administrative_flag_and_outcome() {
        use Category::*;
        use Outcome::{Failure, Success};
        #[rustfmt::skip]
        let cases = [
            ("login",    Some("user"),                    Some("Successful sign-in using Zendesk password from https://acme.zendesk.com/access/login"), false, SignInSuccess, false, Success),
            ("login",    Some("user"),                    Some("SUCCESSFUL SIGN-IN using Google"), false, SignInSuccess,  false, Success),
            ("login",    Some("user"),                    Some("Failed sign-in: invalid password"), false, SignInFailure,  false, Failure),
            ("login",    Some("user"),                    Some("Unsuccessful sign-in attempt"), false,      SignInFailure,  false, Failure),
            ("login",    Some("user"),                    None,                                 false,      SignInSuccess,  false, Success),
            ("exported", Some("ticket"),                  Some("Exported tickets (CSV)"),       false,      Export,         true,  Success),
            ("update",   Some("user"),                    Some("Role changed from Administrator to End User"), false, Administrative, true, Success),
            ("update",   Some("user"),                    Some("Phone changed"),                true,       Settings,       false, Success),
            ("create",   Some("user"),                    None,                                 false,      Administrative, true,  Success),
            ("destroy",  Some("user"),                    None,                                 false,      Administrative, true,  Success),
            ("create",   Some("api_token"),               None,                                 false,      Administrative, true,  Success),
            ("destroy",  Some("apitoken"),                None,                                 false,      Administrative, true,  Success),
            ("update",   Some("account_setting"),         Some("Account Assumption turned on"), false,      Settings,       true,  Success),
            ("update",   Some("Account_Setting "),        None,                                 false,      Settings,       true,  Success),
            ("update",   Some("rule"),                    None,                                 false,      Settings,       true,  Success),
            ("update",   Some("user_setting"),            None,                                 false,      Settings,       true,  Success),
            ("create",   Some("zendesk/app_market/app"),  None,                                 false,      Integration,    true,  Success),
            ("create",   Some("app_installation"),        None,                                 false,      Integration,    true,  Success),
            ("update",   Some("ticket"),                  None,                                 false,      DataAccess,     false, Success),
            ("update",   Some("approval_request"),        None,                                 false,      Other,          false, Success),
            ("update",   Some("hologram"),                None,                                 false,      Other,          false, Success),
            ("update",   None,                            None,                                 false,      Other,          false, Success),
            ("teleport", Some("user"),                    None,                                 false,      Administrative, true,  Success),
        ];
        for (action, source_type, change_description, on_own_account, category, administrative, outcome) in cases {
            let got = classify(Facts { action, source_type, change_description, on_own_account });
            assert_eq!(
                got,
                Classification { category, administrative, outcome },
                "{action} {source_type:?} {change_description:?}"
            );
        }
    }
}
