//! The configuration file (TOML), parsed and validated in one place so that every later reader gets typed,
//! checked values. Errors name the file, the line and the setting.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use ipnet::IpNet;

use serde::{Deserialize, Deserializer};

use crate::alert::Severity;
use crate::governance::GovernanceSetting;

mod governance;
mod sources;
pub use governance::{DEFAULT_SUSPENSIONS_PER_HOUR, GovernanceSettings, GraphSettings, is_object_id};
pub use sources::{SLACK_BASE_URL, SourceSettings};

/// Why a configuration was rejected. The message always names the file and the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{origin}: {message}")]
    Parse { origin: String, message: String },
    #[error("{origin}: setting `{setting}`: {message}")]
    Invalid { origin: String, setting: String, message: String },
}

/// The whole configuration. Every field has a default, so an empty file (or none) is a working setup.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The tenant id activities are recorded under when a source does not name one.
    pub tenant: String,
    /// Custom activity policy files or folders (docs/policies.md); relative to the configuration's folder.
    pub policies: Vec<PathBuf>,
    /// Named sets of users: each member an email or `@domain` (that exact domain). Usable in policies
    /// (`actor.group`) and in the detections' `include_groups` / `exclude_groups`.
    pub groups: BTreeMap<String, Vec<String>>,
    pub enrichment: EnrichmentSettings,
    pub detections: Detections,
    /// Identity-provider actions and their safety rails (docs/governance.md).
    pub governance: GovernanceSettings,
    /// Audit logs to collect over HTTP (`saaswarden collect`, the collector Lambda); docs/connectors.md.
    pub sources: Vec<SourceSettings>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            tenant: "default".to_string(),
            policies: Vec::new(),
            groups: BTreeMap::new(),
            enrichment: EnrichmentSettings::default(),
            detections: Detections::default(),
            governance: GovernanceSettings::default(),
            sources: Vec::new(),
        }
    }
}

impl Config {
    /// Parses and validates a configuration; `origin` (usually the file path) prefixes every error.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { origin: origin.to_string(), message: describe_toml_error(text, &e) })?;
        config.validate(origin)?;
        config.expand_groups(origin)?;
        config.governance.expand_groups(&config.groups);
        Ok(config)
    }

    /// Turns each detection's `include_groups` / `exclude_groups` into members of its user lists, so the
    /// scope check stays a plain comparison.
    fn expand_groups(&mut self, origin: &str) -> Result<(), ConfigError> {
        let groups = self.groups.clone();
        let mut problem = None;
        self.detections.for_each_common(|policy, common| {
            for (list, names, users) in [
                ("include_groups", &common.include_groups, &mut *common.include_users),
                ("exclude_groups", &common.exclude_groups, &mut *common.exclude_users),
            ] {
                for name in names.iter() {
                    match groups.get(name) {
                        Some(members) => users.extend(members.iter().map(|m| m.trim().to_lowercase())),
                        None if problem.is_none() => {
                            problem = Some((format!("detections.{policy}.{list}"), format!("unknown group `{name}`")))
                        }
                        None => {}
                    }
                }
            }
        });
        match problem {
            Some((setting, message)) => Err(ConfigError::Invalid { origin: origin.to_string(), setting, message }),
            None => Ok(()),
        }
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |setting: &str, message: String| ConfigError::Invalid {
            origin: origin.to_string(),
            setting: setting.to_string(),
            message,
        };
        if self.tenant.trim().is_empty() || self.tenant.contains('#') {
            return Err(invalid("tenant", "must be non-empty and must not contain `#`".into()));
        }
        for (name, members) in &self.groups {
            for member in members {
                if !is_member(member) {
                    return Err(invalid(
                        &format!("groups.{name}"),
                        format!("member `{member}` is neither an email nor `@domain` (like `@contractors.example`)"),
                    ));
                }
            }
        }
        for (i, range) in self.enrichment.ranges.iter().enumerate() {
            if !is_tag(&range.tag) {
                return Err(invalid(
                    &format!("enrichment.ranges[{i}].tag"),
                    format!("`{}` is not a tag: use lower-case letters, digits, `_` or `-`", range.tag),
                ));
            }
            if range.cidrs.is_empty() && range.path.is_none() {
                return Err(invalid(
                    &format!("enrichment.ranges[{i}]"),
                    "give the range's networks: `cidrs = [\"10.0.0.0/8\"]`, or `path` to a file of them (one IP or \
                     CIDR a line)"
                        .into(),
                ));
            }
        }
        for (i, list) in self.enrichment.lists.iter().enumerate() {
            if !is_tag(&list.tag) {
                return Err(invalid(
                    &format!("enrichment.lists[{i}].tag"),
                    format!("`{}` is not a tag: use lower-case letters, digits, `_` or `-`", list.tag),
                ));
            }
        }
        let d = &self.detections;
        let positive = [
            ("detections.impossible_travel.max_speed_kmh", d.impossible_travel.max_speed_kmh),
            ("detections.unusual_admin_activity.deviations", d.unusual_admin_activity.deviations),
            ("detections.unusual_impersonated_activity.deviations", d.unusual_impersonated_activity.deviations),
        ];
        for (setting, value) in positive {
            if !(value.is_finite() && value > 0.0) {
                return Err(invalid(setting, format!("is {value}, must be a positive number")));
            }
        }
        if !(d.impossible_travel.min_distance_km.is_finite() && d.impossible_travel.min_distance_km >= 0.0) {
            return Err(invalid("detections.impossible_travel.min_distance_km", "must be 0 or more".into()));
        }
        let failed = &self.detections.multiple_failed_logins;
        if failed.threshold < 2 {
            return Err(invalid(
                "detections.multiple_failed_logins.threshold",
                format!("is {}, must be at least 2 (one failure is not a burst)", failed.threshold),
            ));
        }
        if failed.window.is_zero() {
            return Err(invalid("detections.multiple_failed_logins.window", "must be longer than 0s".into()));
        }
        sources::validate(&self.sources, &self.tenant, invalid)?;
        self.governance.validate(&self.groups, invalid)?;
        Ok(())
    }
}

fn is_member(member: &str) -> bool {
    let member = member.trim();
    match member.strip_prefix('@') {
        Some(domain) => domain.contains('.') && !domain.contains('@'),
        None => member.split_once('@').is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@')),
    }
}

fn is_tag(tag: &str) -> bool {
    !tag.is_empty() && tag.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Where IP facts come from: GeoIP databases, IP lists and the organisation's own ranges. Relative paths
/// are relative to the configuration file's folder.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrichmentSettings {
    /// City databases (`.mmdb`): MaxMind GeoIP2/GeoLite2 City or DB-IP City Lite; the layout is detected.
    /// One path, or a list tried in order (DB-IP Lite ships IPv4 and IPv6 as two files).
    pub city_db: DatabaseFiles,
    /// MaxMind Anonymous-IP databases: tags `anonymous`, `anonymous_vpn`, `tor`, `public_proxy`,
    /// `residential_proxy`, `hosting`.
    pub anonymous_db: DatabaseFiles,
    /// MaxMind/GeoLite2 ASN databases: the network's owner.
    pub asn_db: DatabaseFiles,
    /// Plain-text IP lists (one IP or CIDR a line, `#` comments), each giving its tag to the IPs it lists.
    pub lists: Vec<IpList>,
    /// The organisation's own named ranges. An IP in one carries only the organisation's tags: they
    /// override what a feed or database says.
    pub ranges: Vec<NamedRange>,
    /// How many IPs' facts are cached.
    pub cache_size: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpList {
    pub path: PathBuf,
    pub tag: String,
}

/// A named range: its networks inline (`cidrs`), in a file (`path`, the format of `[[enrichment.lists]]`),
/// or both.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedRange {
    /// The tag the range gives (`corporate`, `corporate_vpn`, `risky`, any name).
    pub tag: String,
    #[serde(default)]
    pub cidrs: Vec<IpNet>,
    /// A file of the range's networks: one IP or CIDR a line, `#` comments.
    #[serde(default)]
    pub path: Option<PathBuf>,
}

/// Turns a TOML error into "line L, column C: message" so a user can jump to it.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end().to_string();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before.len() - line_start + 1;
            // Quoting the line names the setting even when the parser's message does not.
            let source = text[line_start..].lines().next().unwrap_or("").trim();
            format!("line {line}, column {column}: `{source}`: {message}")
        }
        None => message,
    }
}

/// Settings of the built-in detections, one table each under `[detections.<policy id>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Detections {
    pub anonymous_ip: AnonymousIpSettings,
    pub infrequent_country: InfrequentCountrySettings,
    pub suspicious_ip: SuspiciousIpSettings,
    pub impossible_travel: ImpossibleTravelSettings,
    pub terminated_user: TerminatedUserSettings,
    pub multiple_failed_logins: FailedLoginSettings,
    pub unusual_admin_activity: UnusualActivitySettings,
    pub unusual_impersonated_activity: UnusualActivitySettings,
}

impl Detections {
    /// The governance settings of a built-in detection; `None` when `policy_id` is not one.
    pub fn governance(&self, policy_id: &str) -> Option<&[GovernanceSetting]> {
        Some(match policy_id {
            "anonymous_ip" => &self.anonymous_ip.governance,
            "infrequent_country" => &self.infrequent_country.governance,
            "suspicious_ip" => &self.suspicious_ip.governance,
            "impossible_travel" => &self.impossible_travel.governance,
            "terminated_user" => &self.terminated_user.governance,
            "multiple_failed_logins" => &self.multiple_failed_logins.governance,
            "unusual_admin_activity" => &self.unusual_admin_activity.governance,
            "unusual_impersonated_activity" => &self.unusual_impersonated_activity.governance,
            _ => return None,
        })
    }

    pub(crate) fn for_each_common(&mut self, mut f: impl FnMut(&str, ScopeLists<'_>)) {
        f("anonymous_ip", self.anonymous_ip.scope_lists());
        f("infrequent_country", self.infrequent_country.scope_lists());
        f("suspicious_ip", self.suspicious_ip.scope_lists());
        f("impossible_travel", self.impossible_travel.scope_lists());
        f("terminated_user", self.terminated_user.scope_lists());
        f("multiple_failed_logins", self.multiple_failed_logins.scope_lists());
        f("unusual_admin_activity", self.unusual_admin_activity.scope_lists());
        f("unusual_impersonated_activity", self.unusual_impersonated_activity.scope_lists());
    }
}

/// How much an impossible-travel detection suppresses (MDCA's sensitivity): `low` applies system, tenant
/// and user suppressions, `medium` system and user, `high` system only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sensitivity {
    Low,
    Medium,
    High,
}

/// The files of one kind of database: `city_db = "a.mmdb"` or `city_db = ["v4.mmdb", "v6.mmdb"]`, tried in
/// order for each IP (the first file that has a record for it answers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatabaseFiles(pub Vec<PathBuf>);

impl DatabaseFiles {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &PathBuf> {
        self.0.iter()
    }
}

impl<T: Into<PathBuf>> From<T> for DatabaseFiles {
    fn from(path: T) -> Self {
        DatabaseFiles(vec![path.into()])
    }
}

impl<'de> Deserialize<'de> for DatabaseFiles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a path string or a list of path strings")]
        enum OneOrMany {
            One(PathBuf),
            Many(Vec<PathBuf>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(path) => DatabaseFiles(vec![path]),
            OneOrMany::Many(paths) => DatabaseFiles(paths),
        })
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// What every built-in detection has: on/off, severity, learning period and user scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub enabled: bool,
    pub severity: Severity,
    /// No alert for a user (or a tenant) seen for less than this.
    pub learning_period: Duration,
    /// Users (emails or `@domain`) never alerted on by this detection.
    pub exclude_users: Vec<String>,
    /// When non-empty, only these users are alerted on.
    pub include_users: Vec<String>,
}

/// A detection's scope lists, for expanding groups into them.
pub(crate) struct ScopeLists<'a> {
    pub include_users: &'a mut Vec<String>,
    pub exclude_users: &'a mut Vec<String>,
    pub include_groups: &'a [String],
    pub exclude_groups: &'a [String],
}

impl Common {
    /// Whether the detection may alert on `user`. List entries are emails or `@domain` (that exact domain).
    pub fn in_scope(&self, user: &str) -> bool {
        let listed = |entry: &String| match entry.strip_prefix('@') {
            Some(domain) => user.rsplit_once('@').is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain)),
            None => entry.eq_ignore_ascii_case(user),
        };
        !self.exclude_users.iter().any(listed)
            && (self.include_users.is_empty() || self.include_users.iter().any(listed))
    }
}

/// Declares a detection's settings struct: the [`Common`] fields plus its own, all with defaults, unknown
/// keys rejected. (serde's `flatten` cannot be combined with `deny_unknown_fields`, hence a macro.)
macro_rules! detection_settings {
    (
        $(#[$meta:meta])*
        $name:ident {
            severity: $severity:expr,
            learning_period: $learning:expr,
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct $name {
            pub enabled: bool,
            pub severity: Severity,
            #[serde(deserialize_with = "duration")]
            pub learning_period: Duration,
            pub exclude_users: Vec<String>,
            pub include_users: Vec<String>,
            pub exclude_groups: Vec<String>,
            pub include_groups: Vec<String>,
            /// Governance actions for this detection's alerts (docs/governance.md); none by default.
            pub governance: Vec<GovernanceSetting>,
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    severity: $severity,
                    learning_period: $learning,
                    exclude_users: Vec::new(),
                    include_users: Vec::new(),
                    exclude_groups: Vec::new(),
                    include_groups: Vec::new(),
                    governance: Vec::new(),
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
            pub(crate) fn scope_lists(&mut self) -> ScopeLists<'_> {
                ScopeLists {
                    include_users: &mut self.include_users,
                    exclude_users: &mut self.exclude_users,
                    include_groups: &self.include_groups,
                    exclude_groups: &self.exclude_groups,
                }
            }

            pub fn common(&self) -> Common {
                Common {
                    enabled: self.enabled,
                    severity: self.severity,
                    learning_period: self.learning_period,
                    exclude_users: self.exclude_users.clone(),
                    include_users: self.include_users.clone(),
                }
            }
        }
    };
}

detection_settings! {
    /// `anonymous_ip`: successful interactive activity from an anonymizing IP.
    AnonymousIpSettings {
        severity: Severity::Medium,
        learning_period: Duration::ZERO,
        /// IP tags that make an IP anonymous.
        tags: Vec<String> = strings(&["anonymous", "anonymous_vpn", "tor", "public_proxy", "residential_proxy"]),
        /// Tags of the organisation's trusted ranges: never alerted on.
        trusted_tags: Vec<String> = strings(&["corporate", "corporate_vpn"]),
        /// An IP used by at least this many of the tenant's users is taken as mis-tagged (0: never).
        shared_ip_users: u32 = 5,
        /// Anonymous activity within this time of the user's open incident (a new Tor exit, the next day)
        /// grows its alert; after a longer pause a new alert starts.
        #[serde(deserialize_with = "duration")]
        incident_gap: Duration = Duration::from_secs(24 * 3600),
    }
}

detection_settings! {
    /// `infrequent_country`: activity from a country the user has not used recently.
    InfrequentCountrySettings {
        severity: Severity::Medium,
        learning_period: Duration::from_secs(7 * 86_400),
        /// How long a country the user used stays familiar.
        #[serde(deserialize_with = "duration")]
        baseline: Duration = Duration::from_secs(30 * 86_400),
        /// Also suppress countries at least this many of the tenant's users use (0: off — the user's own
        /// history alone decides).
        tenant_users: u32 = 0,
        /// Tags of the organisation's ranges whose country is never a user's infrequent country (e.g.
        /// `corporate_vpn` when the VPN exits abroad). Off by default: a tagged range then hides a stolen
        /// session that comes in through it.
        ignored_tags: Vec<String> = Vec::new(),
    }
}

detection_settings! {
    /// `suspicious_ip`: activity from an IP on a threat-intelligence list.
    SuspiciousIpSettings {
        severity: Severity::High,
        learning_period: Duration::ZERO,
        /// IP tags that make an IP suspicious: give your threat lists one of these tags.
        tags: Vec<String> = strings(&["suspicious", "botnet", "malware", "password_spray", "threat"]),
        trusted_tags: Vec<String> = strings(&["corporate", "corporate_vpn"]),
    }
}

detection_settings! {
    /// `impossible_travel`: two activities of one user too far apart for the time between them.
    ImpossibleTravelSettings {
        severity: Severity::High,
        learning_period: Duration::from_secs(7 * 86_400),
        /// Faster than this (after subtracting both locations' accuracy) is impossible. Airliners cruise at
        /// about 900 km/h.
        max_speed_kmh: f64 = 1000.0,
        /// Closer than this (after accuracy) is never travel.
        min_distance_km: f64 = 500.0,
        sensitivity: Sensitivity = Sensitivity::Medium,
        /// Tags of trusted ranges (both ends trusted: no alert below high sensitivity).
        trusted_tags: Vec<String> = strings(&["corporate", "corporate_vpn"]),
        /// Tags of IPs whose location says nothing about the user (cloud and hosting providers).
        ignored_tags: Vec<String> = strings(&["hosting"]),
        /// A country the user was active in on at least this many days of the baseline is one of their
        /// regular places (medium and low sensitivity).
        regular_days: u32 = 3,
        /// A country at least this many of the tenant's users use is a regular place of the tenant (low).
        tenant_users: u32 = 5,
        /// Impossible travel within this time of the user's open incident (a session that keeps flipping
        /// between places) grows its alert; after a longer pause a new alert starts.
        #[serde(deserialize_with = "duration")]
        incident_gap: Duration = Duration::from_secs(24 * 3600),
    }
}

detection_settings! {
    /// `terminated_user`: activity by an identity the directory records as deleted or disabled.
    TerminatedUserSettings {
        severity: Severity::High,
        learning_period: Duration::ZERO,
        /// Activity this long after the termination is still tolerated (sessions ending, clock skew).
        #[serde(deserialize_with = "duration")]
        grace: Duration = Duration::from_secs(15 * 60),
    }
}

detection_settings! {
    /// `unusual_admin_activity` and `unusual_impersonated_activity`: a user's activity of that kind in an
    /// hour far above their own baseline, or of kinds they never performed.
    UnusualActivitySettings {
        severity: Severity::Medium,
        learning_period: Duration::from_secs(7 * 86_400),
        /// Never alert on fewer activities in the hour than this.
        min_activities: u32 = 10,
        /// How many standard deviations above the user's mean busiest hour is unusual.
        deviations: f64 = 3.0,
        /// Alert when an hour holds at least this many kinds (actions) the user never performed before.
        new_kinds: u32 = 3,
        /// How far back the baseline looks.
        #[serde(deserialize_with = "duration")]
        baseline: Duration = Duration::from_secs(30 * 86_400),
        /// Learn weekly habits too: on a weekday whose busiest hour reached `min_activities` on at least two
        /// earlier same weekdays of the baseline (Monday onboarding), an hour must also stand out from that
        /// weekday's own peaks.
        weekly: bool = true,
    }
}

detection_settings! {
    /// `multiple_failed_logins`: a burst of failed sign-ins by one user.
    FailedLoginSettings {
        severity: Severity::Medium,
        learning_period: Duration::from_secs(7 * 86_400),
        /// Failures within `window` needed for an alert.
        threshold: u32 = 5,
        /// The sliding window failures are counted in.
        #[serde(deserialize_with = "duration")]
        window: Duration = Duration::from_secs(10 * 60),
        /// A burst that pauses for at most this long and resumes is one attack: its failures join the
        /// burst's alert. A longer pause ends the burst (never shorter than `window`).
        #[serde(deserialize_with = "duration")]
        incident_gap: Duration = Duration::from_secs(60 * 60),
    }
}

const MAX_DURATION: Duration = Duration::from_secs(10 * 365 * 86_400);

/// Durations are written as humans do: `90s`, `10m`, `7d`, `1h 30m`.
pub(crate) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    let duration = humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a duration ({e}); write e.g. 90s, 10m, 7d")))?;
    // Ten years is beyond any sensible window, and keeps date arithmetic far from overflowing.
    if duration > MAX_DURATION {
        return Err(serde::de::Error::custom(format!("`{text}` is too long: at most 10 years")));
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults() {
        let config = Config::from_toml_str("", "c.toml").expect("valid");
        assert_eq!(config.tenant, "default");
        assert_eq!(config.detections.multiple_failed_logins.threshold, 5);
        assert_eq!(config.detections.multiple_failed_logins.window, Duration::from_secs(600));
    }

    #[test]
    fn settings_are_read() {
        let text = "tenant = \"acme\"\n[detections.multiple_failed_logins]\nthreshold = 8\nwindow = \"15m\"\nseverity = \"high\"\nexclude_users = [\"svc@acme.com\"]\n";
        let config = Config::from_toml_str(text, "c.toml").expect("valid");
        let failed = &config.detections.multiple_failed_logins;
        assert_eq!((failed.threshold, failed.window, failed.severity), (8, Duration::from_secs(900), Severity::High));
        assert!(!failed.common().in_scope("SVC@acme.com"));
    }

    #[test]
    fn groups_expand_into_detection_scopes_by_email_and_domain() {
        let text = "[groups]\ntravellers = [\"Ann@acme.example\", \"@contractors.example\"]\n\
                    [detections.infrequent_country]\nexclude_groups = [\"travellers\"]\n";
        let config = Config::from_toml_str(text, "c.toml").expect("valid");
        let scope = config.detections.infrequent_country.common();
        let cases = [
            ("ann@acme.example", false),
            ("bob@contractors.example", false),
            ("bob@eu.contractors.example", true),
            ("carl@acme.example", true),
        ];
        for (user, expected) in cases {
            assert_eq!(scope.in_scope(user), expected, "{user}");
        }
        assert!(config.detections.anonymous_ip.common().in_scope("ann@acme.example"), "other detections unaffected");
    }

    #[test]
    fn a_range_takes_its_networks_inline_from_a_file_or_both() {
        let text = "[[enrichment.ranges]]\ntag = \"corporate\"\npath = \"egress.txt\"\n\
                    [[enrichment.ranges]]\ntag = \"corporate_vpn\"\ncidrs = [\"10.8.0.0/16\"]\npath = \"vpn.txt\"\n\
                    [[enrichment.ranges]]\ntag = \"lab\"\ncidrs = [\"192.0.2.0/24\"]\n";
        let config = Config::from_toml_str(text, "c.toml").expect("valid");
        let ranges: Vec<(&str, usize, Option<&str>)> = config
            .enrichment
            .ranges
            .iter()
            .map(|r| (r.tag.as_str(), r.cidrs.len(), r.path.as_deref().and_then(|p| p.to_str())))
            .collect();
        assert_eq!(
            ranges,
            [("corporate", 0, Some("egress.txt")), ("corporate_vpn", 1, Some("vpn.txt")), ("lab", 1, None)]
        );
    }

    #[test]
    fn errors_name_file_line_and_setting() {
        let cases = [
            ("tenant = \"a\"\nbogus = 1\n", "c.toml: line 2", "bogus"),
            ("[detections.multiple_failed_logins]\nwindow = \"soon\"\n", "c.toml: line 2", "not a duration"),
            ("[detections.multiple_failed_logins]\nseverity = \"urgent\"\n", "c.toml: line 2", "unknown severity"),
            (
                "[detections.multiple_failed_logins]\nthreshold = 1\n",
                "c.toml",
                "detections.multiple_failed_logins.threshold",
            ),
            ("[detections.no_such_detection]\n", "c.toml: line 1", "no_such_detection"),
            ("tenant = \"\"\n", "c.toml", "`tenant`"),
            ("[[enrichment.ranges]]\ntag = \"corporate\"\ncidrs = [\"10.0.0.0/33\"]\n", "c.toml: line 3", "cidrs"),
            ("[[enrichment.ranges]]\ntag = \"Corp Net\"\ncidrs = []\n", "c.toml", "enrichment.ranges[0].tag"),
            ("[[enrichment.lists]]\npath = \"tor.txt\"\n", "c.toml: line 1", "tag"),
            ("[[enrichment.ranges]]\ntag = \"corporate\"\n", "c.toml", "enrichment.ranges[0]"),
            ("[[enrichment.ranges]]\ntag = \"corporate\"\npath = 3\n", "c.toml: line 3", "path"),
            ("[groups]\nadmins = [\"not-an-email\"]\n", "c.toml", "groups.admins"),
            ("[detections.terminated_user]\ngrace = \"1000000y\"\n", "c.toml: line 2", "too long"),
            (
                "[detections.anonymous_ip]\nexclude_groups = [\"nobody\"]\n",
                "c.toml",
                "detections.anonymous_ip.exclude_groups",
            ),
        ];
        for (text, place, field) in cases {
            let error = Config::from_toml_str(text, "c.toml").expect_err(text).to_string();
            assert!(error.starts_with(place), "{error:?} should start with {place:?}");
            assert!(error.contains(field), "{error:?} should name {field:?}");
        }
    }
}
