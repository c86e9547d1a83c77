//! Opaque pagination cursors: what the next page continues from, base64url JSON so clients pass it back
//! unread and the encoding can change.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// Where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cursor {
    /// Alerts (newest first): how many matches the earlier pages held.
    Offset(usize),
    /// Activities (oldest first, then by id): the last one returned.
    After { at: DateTime<Utc>, id: String },
}

impl Cursor {
    pub fn encode(&self) -> String {
        // A cursor is our own value: serialising it cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| ApiError::BadRequest("cursor: not a cursor this API returned".into()))?;
        serde_json::from_slice(&bytes)
            .map_err(|_| ApiError::BadRequest("cursor: not a cursor this API returned".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_a_bad_request() {
        let after = Cursor::After { at: DateTime::<Utc>::UNIX_EPOCH, id: "slack:1".into() };
        assert_eq!(Cursor::decode(&after.encode()).expect("decodes"), after);
        assert_eq!(Cursor::decode(&Cursor::Offset(40).encode()).expect("decodes"), Cursor::Offset(40));
        assert!(matches!(Cursor::decode("not-a-cursor!"), Err(ApiError::BadRequest(_))));
    }
}
