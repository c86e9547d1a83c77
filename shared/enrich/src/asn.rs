//! Who owns an IP's network, from a MaxMind GeoLite2/GeoIP2 ASN database (ip-location-db's ASN files use
//! the same field names).

use std::net::IpAddr;

use serde::Deserialize;

use crate::database::{Database, LAYOUT_SAMPLE, lenient_u32};
use crate::error::EnrichError;

#[derive(Debug, Default, Deserialize)]
struct AsnRecord<'a> {
    #[serde(default, deserialize_with = "lenient_u32")]
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<&'a str>,
}

/// The autonomous system a network belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AutonomousSystem {
    pub(crate) number: Option<u32>,
    pub(crate) organization: Option<String>,
}

#[derive(Debug)]
pub(crate) struct AsnDb {
    db: Database,
}

impl AsnDb {
    pub(crate) fn open(db: Database) -> Result<AsnDb, EnrichError> {
        let recognised = db
            .sample::<AsnRecord<'_>>(LAYOUT_SAMPLE)?
            .iter()
            .any(|r| r.autonomous_system_number.is_some() || r.autonomous_system_organization.is_some());
        if !recognised {
            return Err(EnrichError::WrongDatabase {
                setting: db.setting().to_string(),
                path: db.path().to_path_buf(),
                database_type: db.database_type().to_string(),
                expected: "an ASN database (`autonomous_system_number`, `autonomous_system_organization`)",
            });
        }
        tracing::info!(
            setting = db.setting(),
            path = %db.path().display(),
            database_type = db.database_type(),
            "ASN database loaded"
        );
        Ok(AsnDb { db })
    }

    pub(crate) fn lookup(&self, ip: IpAddr) -> Option<AutonomousSystem> {
        let record = self.db.record::<AsnRecord<'_>>(ip)?;
        let organization = record.autonomous_system_organization.map(str::trim).filter(|o| !o.is_empty());
        if record.autonomous_system_number.is_none() && organization.is_none() {
            return None;
        }
        Some(AutonomousSystem {
            number: record.autonomous_system_number,
            organization: organization.map(str::to_string),
        })
    }
}
