//! What an IP is, from a MaxMind GeoIP2 Anonymous IP database: its `is_*` flags become tags.

use std::net::IpAddr;

use serde::Deserialize;

use crate::database::{Database, LAYOUT_SAMPLE};
use crate::error::EnrichError;

#[derive(Debug, Default, Deserialize)]
struct AnonymousRecord {
    is_anonymous: Option<bool>,
    is_anonymous_vpn: Option<bool>,
    is_tor_exit_node: Option<bool>,
    is_public_proxy: Option<bool>,
    is_residential_proxy: Option<bool>,
    is_hosting_provider: Option<bool>,
}

impl AnonymousRecord {
    /// Each flag with the tag it gives, in the order of the tag names so that the result is sorted.
    fn flags(&self) -> [(Option<bool>, &'static str); 6] {
        [
            (self.is_anonymous, "anonymous"),
            (self.is_anonymous_vpn, "anonymous_vpn"),
            (self.is_hosting_provider, "hosting"),
            (self.is_public_proxy, "public_proxy"),
            (self.is_residential_proxy, "residential_proxy"),
            (self.is_tor_exit_node, "tor"),
        ]
    }

    fn tags(&self) -> impl Iterator<Item = &'static str> {
        self.flags().into_iter().filter_map(|(flag, tag)| (flag == Some(true)).then_some(tag))
    }

    fn has_any_flag(&self) -> bool {
        self.flags().iter().any(|(flag, _)| flag.is_some())
    }
}

#[derive(Debug)]
pub(crate) struct AnonymousDb {
    db: Database,
}

impl AnonymousDb {
    pub(crate) fn open(db: Database) -> Result<AnonymousDb, EnrichError> {
        let recognised = db.sample::<AnonymousRecord>(LAYOUT_SAMPLE)?.iter().any(AnonymousRecord::has_any_flag);
        if !recognised {
            return Err(EnrichError::WrongDatabase {
                setting: db.setting().to_string(),
                path: db.path().to_path_buf(),
                database_type: db.database_type().to_string(),
                expected: "a MaxMind GeoIP2 Anonymous IP database (`is_anonymous`, `is_tor_exit_node`, …)",
            });
        }
        tracing::info!(
            setting = db.setting(),
            path = %db.path().display(),
            database_type = db.database_type(),
            "anonymous-IP database loaded"
        );
        Ok(AnonymousDb { db })
    }

    /// The tags of `ip`: `anonymous`, `anonymous_vpn`, `hosting`, `public_proxy`, `residential_proxy`,
    /// `tor`.
    /// Adds the IP's tags; whether this database has a record for it.
    pub(crate) fn tags(&self, ip: IpAddr, into: &mut Vec<String>) -> bool {
        match self.db.record::<AnonymousRecord>(ip) {
            Some(record) => {
                into.extend(record.tags().map(str::to_string));
                true
            }
            None => false,
        }
    }
}
