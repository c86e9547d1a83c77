//! Environment variables, read through a lookup so tests pass their own, with errors that name the variable.

use std::collections::HashMap;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SettingError {
    #[error("environment variable `{variable}` is not set ({purpose})")]
    Missing { variable: String, purpose: &'static str },
    #[error("environment variable `{variable}`: {message}")]
    Invalid { variable: String, message: String },
}

type Lookup = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The function's environment.
pub struct Settings {
    lookup: Lookup,
}

impl Settings {
    pub fn from_env() -> Settings {
        Settings { lookup: Box::new(|name| std::env::var(name).ok()) }
    }

    pub fn from_map(values: HashMap<String, String>) -> Settings {
        Settings { lookup: Box::new(move |name| values.get(name).cloned()) }
    }

    /// The variable's value, `None` when unset or blank.
    pub fn get(&self, variable: &str) -> Option<String> {
        (self.lookup)(variable).filter(|v| !v.trim().is_empty())
    }

    pub fn required(&self, variable: &str, purpose: &'static str) -> Result<String, SettingError> {
        self.get(variable).ok_or_else(|| SettingError::Missing { variable: variable.to_string(), purpose })
    }

    /// Parses the variable, or gives `default` when it is unset.
    pub fn parsed<T>(&self, variable: &str, default: T) -> Result<T, SettingError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.get(variable) {
            None => Ok(default),
            Some(text) => text.trim().parse().map_err(|e: T::Err| SettingError::Invalid {
                variable: variable.to_string(),
                message: format!("`{text}`: {e}"),
            }),
        }
    }

    /// A yes/no flag: `true`/`false` (any case), `1`/`0`.
    pub fn flag(&self, variable: &str, default: bool) -> Result<bool, SettingError> {
        match self.get(variable).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if v == "true" || v == "1" => Ok(true),
            Some(v) if v == "false" || v == "0" => Ok(false),
            Some(v) => Err(SettingError::Invalid {
                variable: variable.to_string(),
                message: format!("`{v}` is not a flag: use true or false"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_map(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn errors_name_the_variable_and_the_value() {
        let s = settings(&[("RETENTION_DAYS", "soon"), ("DRY_RUN", "maybe"), ("BLANK", "  ")]);
        let days = s.parsed::<u32>("RETENTION_DAYS", 180).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(days.starts_with("environment variable `RETENTION_DAYS`: `soon`"), "{days}");
        let flag = s.flag("DRY_RUN", true).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(flag.contains("`DRY_RUN`") && flag.contains("maybe"), "{flag}");
        let missing = s.required("BLANK", "the queue").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(missing, "environment variable `BLANK` is not set (the queue)");
        assert_eq!(s.parsed::<u32>("UNSET", 7), Ok(7));
    }
}
