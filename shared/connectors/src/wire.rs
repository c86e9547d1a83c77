//! Tolerant decoding shared by the wire models.
//!
//! Both apps add fields and occasionally change a field's type. An optional field of the wrong type must
//! not cost the whole entry, so the wire models decode every optional field through these functions: a
//! value that does not fit becomes `None` and the entry still normalizes (the raw entry keeps the value).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Any nested value: `None` when it does not decode as `T`.
pub(crate) fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = Value::deserialize(deserializer)?;
    Ok(T::deserialize(value).ok())
}

/// A text field: a string, or a number written as text (ids and session ids come as either). Blank is `None`.
pub(crate) fn text<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Value::deserialize(deserializer)? {
        // Most texts come with nothing to trim: kept as decoded rather than copied again.
        Value::String(text) if !text.is_empty() && text.trim().len() == text.len() => Some(text),
        other => text_of(&other),
    })
}

pub(crate) fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            let trimmed = s.trim();
            (!trimmed.is_empty()).then(|| trimmed.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer id: a JSON integer or a string of digits.
pub(crate) fn integer<'de, D>(deserializer: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(integer_of(&Value::deserialize(deserializer)?))
}

pub(crate) fn integer_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A flag: `None` unless it is a JSON boolean.
pub(crate) fn flag<'de, D>(deserializer: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(Value::deserialize(deserializer)?.as_bool())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn text_accepts_strings_and_numbers_and_drops_the_rest() {
        let cases = [
            (json!("abc"), Some("abc")),
            (json!("  padded  "), Some("padded")),
            (json!(847288190092_u64), Some("847288190092")),
            (json!(""), None),
            (json!("   "), None),
            (json!(null), None),
            (json!(true), None),
            (json!({"id": "x"}), None),
            (json!(["x"]), None),
        ];
        for (value, expected) in cases {
            assert_eq!(text_of(&value).as_deref(), expected, "{value}");
        }
    }

    #[test]
    fn integer_accepts_numbers_and_digit_strings() {
        let cases = [
            (json!(1234), Some(1234)),
            (json!(-1), Some(-1)),
            (json!(" 42 "), Some(42)),
            (json!("4x"), None),
            (json!(1.5), None),
            (json!(null), None),
        ];
        for (value, expected) in cases {
            assert_eq!(integer_of(&value), expected, "{value}");
        }
    }
}
