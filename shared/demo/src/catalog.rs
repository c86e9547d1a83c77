//! The tenant's things that activities act on: the Slack organisation and workspaces, channels, files,
//! apps, the settings admins change, and Zendesk tickets, rules and settings.

pub(crate) const TENANT: &str = "acme";
pub(crate) const DOMAIN: &str = "acme.example";
pub(crate) const ZENDESK_SUBDOMAIN: &str = "acme";

/// A Slack organisation or workspace, as `context.location` and `entity` name it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub id: &'static str,
    pub name: &'static str,
    pub domain: &'static str,
}

pub(crate) const ENTERPRISE: Place = Place { id: "E0A7CMQ2R", name: "Acme", domain: "acme" };

pub(crate) const WORKSPACE_ENGINEERING: usize = 0;
pub(crate) const WORKSPACE_SALES: usize = 1;
pub(crate) const WORKSPACE_SUPPORT: usize = 2;
pub(crate) const WORKSPACES: [Place; 3] = [
    Place { id: "T0A7EN6GB", name: "Acme Engineering", domain: "acme-eng" },
    Place { id: "T0A7SL4K2", name: "Acme Sales", domain: "acme-sales" },
    Place { id: "T0A7SP9KD", name: "Acme Support", domain: "acme-support" },
];

/// A channel of the catalog; channels people create later get generated names.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Channel {
    pub name: &'static str,
    pub private: bool,
}

pub(crate) const CHANNELS: [Channel; 24] = [
    Channel { name: "general", private: false },
    Channel { name: "random", private: false },
    Channel { name: "announcements", private: false },
    Channel { name: "eng-backend", private: false },
    Channel { name: "eng-frontend", private: false },
    Channel { name: "eng-oncall", private: false },
    Channel { name: "eng-releases", private: false },
    Channel { name: "design-reviews", private: false },
    Channel { name: "sales-pipeline", private: true },
    Channel { name: "sales-emea", private: false },
    Channel { name: "sales-na", private: false },
    Channel { name: "support-escalations", private: false },
    Channel { name: "support-tier2", private: true },
    Channel { name: "customer-feedback", private: false },
    Channel { name: "security", private: true },
    Channel { name: "it-helpdesk", private: false },
    Channel { name: "finance-ops", private: true },
    Channel { name: "hr-people", private: true },
    Channel { name: "marketing", private: false },
    Channel { name: "product-roadmap", private: false },
    Channel { name: "incident-room", private: false },
    Channel { name: "stockholm-office", private: false },
    Channel { name: "london-office", private: false },
    Channel { name: "san-diego-office", private: false },
];

const PROJECT_WORDS: [&str; 12] =
    ["atlas", "beacon", "comet", "delta", "ember", "falcon", "garnet", "harbor", "iris", "juniper", "kepler", "lumen"];

/// The name and privacy of channel `index`: catalog channels first, then project channels people create.
pub(crate) fn channel(index: u32) -> (String, bool) {
    match CHANNELS.get(index as usize) {
        Some(c) => (c.name.to_string(), c.private),
        None => {
            let word = PROJECT_WORDS[index as usize % PROJECT_WORDS.len()];
            (format!("proj-{word}-{index}"), index.is_multiple_of(3))
        }
    }
}

/// The index of the first channel created during the simulation.
pub(crate) const FIRST_PROJECT_CHANNEL: u32 = 1_000;

const FILE_STEMS: [(&str, &str, &str); 16] = [
    ("Q4-roadmap", "pdf", "Q4 roadmap"),
    ("board-deck", "pptx", "Board deck"),
    ("customer-list", "xlsx", "Customer list"),
    ("incident-report", "docx", "Incident report"),
    ("release-notes", "md", "Release notes"),
    ("pricing-2027", "xlsx", "Pricing 2027"),
    ("architecture", "png", "Architecture diagram"),
    ("onboarding-guide", "pdf", "Onboarding guide"),
    ("sales-forecast", "xlsx", "Sales forecast"),
    ("support-macros", "csv", "Support macros"),
    ("offsite-agenda", "docx", "Offsite agenda"),
    ("api-spec", "yaml", "API specification"),
    ("contract-draft", "pdf", "Contract draft"),
    ("screenshot", "png", "Screenshot"),
    ("meeting-notes", "md", "Meeting notes"),
    ("invoice", "pdf", "Invoice"),
];

/// How many distinct files people download and share.
pub(crate) const FILES: u32 = 20_000;

/// File `index`: its name, Slack file type and title.
pub(crate) fn file(index: u32) -> (String, &'static str, String) {
    let (stem, filetype, title) = FILE_STEMS[index as usize % FILE_STEMS.len()];
    let version = index / FILE_STEMS.len() as u32;
    (format!("{stem}-{version}.{filetype}"), filetype, format!("{title} v{version}"))
}

/// A Slack app as `entity.app` and `context.app` name it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlackApp {
    pub id: &'static str,
    pub name: &'static str,
    pub directory_approved: bool,
    pub scopes: &'static [&'static str],
}

pub(crate) const APPS: [SlackApp; 16] = [
    SlackApp {
        id: "A0F7XDUAZ",
        name: "Google Drive",
        directory_approved: true,
        scopes: &["files:write", "links:read"],
    },
    SlackApp { id: "A0FBU3J4K", name: "Dropbox", directory_approved: true, scopes: &["files:write", "links:read"] },
    SlackApp { id: "A0DJXG2DQ", name: "Jira Cloud", directory_approved: true, scopes: &["files:read", "chat:write"] },
    SlackApp { id: "A0EUN8WBW", name: "Zoom", directory_approved: true, scopes: &["calls:write", "chat:write"] },
    SlackApp { id: "A0G1TK3QE", name: "Salesforce", directory_approved: true, scopes: &["chat:write", "users:read"] },
    SlackApp { id: "A0H5NRB2M", name: "Asana", directory_approved: true, scopes: &["chat:write", "links:read"] },
    SlackApp { id: "A0J8VD6CS", name: "PagerDuty", directory_approved: true, scopes: &["chat:write", "commands"] },
    SlackApp { id: "A0K2PW7FT", name: "GitHub", directory_approved: true, scopes: &["chat:write", "links:read"] },
    // Apps only the planted attacks approve or use.
    SlackApp {
        id: "A07DSPR0X",
        name: "Drive Sync Pro",
        directory_approved: false,
        scopes: &["files:read", "users:read"],
    },
    SlackApp { id: "A07FPDFC1", name: "Free PDF Converter", directory_approved: false, scopes: &["files:read"] },
    SlackApp {
        id: "A07QXPRT4",
        name: "QuickExport",
        directory_approved: false,
        scopes: &["channels:history", "files:read"],
    },
    SlackApp { id: "A07RMHLP8", name: "Remote Helper", directory_approved: false, scopes: &["admin", "users:read"] },
    SlackApp { id: "A07MSGARC", name: "Message Archiver", directory_approved: false, scopes: &["channels:history"] },
    SlackApp { id: "A07CNTSNC", name: "Contact Sync", directory_approved: false, scopes: &["users:read.email"] },
    SlackApp { id: "A07SCRNRC", name: "Screen Recorder Plus", directory_approved: false, scopes: &["files:write"] },
    SlackApp {
        id: "A07CALBRG",
        name: "Calendar Bridge",
        directory_approved: false,
        scopes: &["users:read", "chat:write"],
    },
];

/// Apps admins approve or restrict in their routine work.
pub(crate) const ROUTINE_APPS: std::ops::Range<usize> = 0..8;
/// The rogue app of the impersonation attack.
pub(crate) const ROGUE_APP: usize = 8;
/// Apps the admin-activity attacker approves.
pub(crate) const SHADY_APPS: std::ops::Range<usize> = 9..16;

/// An integration acting for a user: which app, and the one action it performs in the user's name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Integration {
    pub app: usize,
    pub shares: bool,
}

pub(crate) const INTEGRATIONS: [Integration; 3] = [
    Integration { app: 0, shares: true },  // Google Drive shares documents into channels
    Integration { app: 1, shares: true },  // Dropbox likewise
    Integration { app: 2, shares: false }, // Jira Cloud fetches attachments
];

/// A settings change: the `pref.*` action, the previous and the new value.
pub(crate) type PrefChange = (&'static str, &'static str, &'static str);

/// Settings admins change in their routine work.
pub(crate) const ROUTINE_PREFS: [PrefChange; 6] = [
    ("pref.allow_calls", "true", "false"),
    ("pref.allow_calls", "false", "true"),
    ("pref.emoji_only_admins", "false", "true"),
    ("pref.emoji_only_admins", "true", "false"),
    ("pref.who_can_manage_shared_channels", "owners_only", "admins"),
    ("pref.who_can_manage_shared_channels", "admins", "owners_only"),
];

/// Security settings the admin-activity attacker weakens.
pub(crate) const ATTACK_PREFS: [PrefChange; 10] = [
    ("pref.two_factor_auth_changed", "required", "optional"),
    ("pref.sso_setting_changed", "required", "optional"),
    ("pref.session_duration_changed", "168", "720"),
    ("pref.disallow_public_file_urls", "true", "false"),
    ("pref.who_can_manage_shared_channels", "owners_only", "everyone"),
    ("pref.allow_calls", "false", "true"),
    ("pref.emoji_only_admins", "true", "false"),
    ("pref.session_duration_changed", "720", "2160"),
    ("pref.two_factor_auth_changed", "optional", "disabled"),
    ("pref.sso_setting_changed", "optional", "disabled"),
];

/// Zendesk: ticket subjects (ticket `id` has subject `id % len`).
pub(crate) const TICKET_SUBJECTS: [&str; 16] = [
    "Cannot reset my password",
    "Invoice shows the wrong amount",
    "Export to CSV fails",
    "Feature request: dark mode",
    "Login page is slow",
    "How do I add a team member?",
    "Refund request",
    "API returns 500 on /orders",
    "Change billing address",
    "Mobile app crashes on start",
    "Two-factor code not arriving",
    "Cancel my subscription",
    "Data import stuck at 90%",
    "Question about the enterprise plan",
    "Webhook deliveries delayed",
    "Wrong time zone in reports",
];

pub(crate) const FIRST_TICKET: u32 = 48_000;
pub(crate) const TICKETS: u32 = 9_000;

pub(crate) const TICKET_CHANGES: [&str; 8] = [
    "Status changed from New to Open",
    "Status changed from Open to Pending",
    "Status changed from Pending to Open",
    "Status changed from Open to Solved",
    "Priority changed from Normal to High",
    "Priority changed from High to Normal",
    "Group changed from Tier 1 to Tier 2",
    "Tags changed from billing to billing refund",
];

/// Zendesk users admins change the role of: contractors and light agents who never act themselves.
pub(crate) const ZENDESK_CONTRACTORS: [&str; 12] = [
    "Dana Whitfield",
    "Marco Bellini",
    "Priya Raman",
    "Tomas Lindqvist",
    "Keiko Mori",
    "Samuel Osei",
    "Ines Carvalho",
    "Lukas Brandt",
    "Amara Nwosu",
    "Oskar Nyberg",
    "Grace Holloway",
    "Rafael Ortega",
];

/// The Zendesk id of contractor `index`.
pub(crate) fn contractor_id(index: usize) -> i64 {
    395_112_000_000 + index as i64 * 7_919
}

pub(crate) const CONTRACTOR_ROLE_CHANGES: [&str; 2] =
    ["Role changed from End User to Light Agent", "Role changed from Light Agent to End User"];

/// Account settings admins switch: (source_label, change_description).
pub(crate) const ACCOUNT_SETTINGS: [(&str, &str); 6] = [
    ("Customer satisfaction", "Turned on"),
    ("Customer satisfaction", "Turned off"),
    ("Side conversations", "Turned on"),
    ("Ticket sharing", "Turned off"),
    ("Agent collision", "Turned on"),
    ("Requester can reopen solved tickets", "Turned off"),
];

/// Business rules admins create: (source_label, change_description).
pub(crate) const RULES: [(&str, &str); 5] = [
    ("Trigger: Notify requester of comment update", "Created"),
    ("Automation: Close ticket 4 days after solved", "Created"),
    ("Macro: Refund approved", "Created"),
    ("Trigger: Escalate VIP tickets", "Created"),
    ("View: Unassigned tickets older than 1 day", "Created"),
];

/// The Zendesk system actor: its id resolves to no user, on purpose.
pub(crate) const ZENDESK_SYSTEM_ID: i64 = -1;
pub(crate) const ZENDESK_SYSTEM_NAME: &str = "Zendesk";

/// User agents. People keep one desktop and one browser agent for the whole run.
pub(crate) const DESKTOP_UAS: [&str; 3] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonar/4.41.105",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonar/4.41.105",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Slack/4.41.105 Chrome/130.0.6723.191 Electron/33.2.1 Safari/537.36 Sonar/4.41.105",
];
pub(crate) const BROWSER_UAS: [&str; 4] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.6; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
];
pub(crate) const INTEGRATION_UA: &str = "Slack-Integration/1.0 (+https://api.slack.com/apps)";
pub(crate) const TOR_BROWSER_UA: &str = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0";
pub(crate) const ATTACKER_BROWSER_UA: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36";
pub(crate) const STUFFING_TOOL_UA: &str = "python-requests/2.32.3";
pub(crate) const ROGUE_APP_UA: &str = "DriveSyncPro/2.3 (+https://drivesync.example)";
