//! The configuration file (TOML), parsed and validated in one place so that every later reader gets typed,
//! checked values. Errors name the file, the line and the setting.

use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::alert::Severity;

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
    pub detections: Detections,
}

impl Default for Config {
    fn default() -> Self {
        Config { tenant: "default".to_string(), detections: Detections::default() }
    }
}

impl Config {
    /// Parses and validates a configuration; `origin` (usually the file path) prefixes every error.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            origin: origin.to_string(),
            message: describe_toml_error(text, &e),
        })?;
        config.validate(origin)?;
        Ok(config)
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
        Ok(())
    }
}

/// Turns a TOML error into "line L, column C: message" so a user can jump to it.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim_end().to_string();
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// Settings of the built-in detections, one table each under `[detections.<policy id>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Detections {
    pub multiple_failed_logins: FailedLoginSettings,
}

/// What every built-in detection has: on/off, severity, learning period and user scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub enabled: bool,
    pub severity: Severity,
    /// No alert for a user (or a tenant) seen for less than this.
    pub learning_period: Duration,
    /// Users (emails) never alerted on by this detection.
    pub exclude_users: Vec<String>,
    /// When non-empty, only these users are alerted on.
    pub include_users: Vec<String>,
}

impl Common {
    pub fn in_scope(&self, user: &str) -> bool {
        !self.exclude_users.iter().any(|u| u.eq_ignore_ascii_case(user))
            && (self.include_users.is_empty() || self.include_users.iter().any(|u| u.eq_ignore_ascii_case(user)))
    }
}

/// Declares a detection's settings struct: the [`Common`] fields plus its own, all with defaults, unknown
/// keys rejected. (serde's `flatten` cannot be combined with `deny_unknown_fields`, hence a macro.)
macro_rules! detection_settings {
    (
        $(#[$meta:meta])*
        $name:ident { severity: $severity:expr, $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)? }
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
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    severity: $severity,
                    learning_period: Duration::from_secs(7 * 86_400),
                    exclude_users: Vec::new(),
                    include_users: Vec::new(),
                    $( $field: $default, )*
                }
            }
        }

        impl $name {
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
    /// `multiple_failed_logins`: a burst of failed sign-ins by one user.
    FailedLoginSettings {
        severity: Severity::Medium,
        /// Failures within `window` needed for an alert.
        threshold: u32 = 5,
        /// The sliding window failures are counted in.
        #[serde(deserialize_with = "duration")]
        window: Duration = Duration::from_secs(10 * 60),
    }
}

/// Durations are written as humans do: `90s`, `10m`, `7d`, `1h 30m`.
pub(crate) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text)
        .map_err(|e| serde::de::Error::custom(format!("`{text}` is not a duration ({e}); write e.g. 90s, 10m, 7d")))
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
    fn errors_name_file_line_and_setting() {
        let cases = [
            ("tenant = \"a\"\nbogus = 1\n", "c.toml: line 2", "bogus"),
            ("[detections.multiple_failed_logins]\nwindow = \"soon\"\n", "c.toml: line 2", "not a duration"),
            ("[detections.multiple_failed_logins]\nseverity = \"urgent\"\n", "c.toml: line 2", "unknown severity"),
            ("[detections.multiple_failed_logins]\nthreshold = 1\n", "c.toml", "detections.multiple_failed_logins.threshold"),
            ("[detections.no_such_detection]\n", "c.toml: line 1", "no_such_detection"),
            ("tenant = \"\"\n", "c.toml", "`tenant`"),
        ];
        for (text, place, field) in cases {
            let error = Config::from_toml_str(text, "c.toml").expect_err(text).to_string();
            assert!(error.starts_with(place), "{error:?} should start with {place:?}");
            assert!(error.contains(field), "{error:?} should name {field:?}");
        }
    }
}
