//! One opened MaxMind DB file: its records decoded into the small structs of the modules that read them,
//! and the lenient field decoders those structs share.

use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use maxminddb::{MaxMindDbError, Reader};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::error::EnrichError;

/// How many networks are decoded at load to check that a database has the layout its setting needs. The
/// first networks of a real database are representative; a few hundred decode in well under a millisecond.
pub(crate) const LAYOUT_SAMPLE: usize = 500;

pub(crate) struct Database {
    setting: String,
    path: PathBuf,
    reader: Reader<Vec<u8>>,
    /// Whether an undecodable record has been reported at warn level already: one warning per database
    /// says it is damaged without flooding the log with one line per IP.
    warned: AtomicBool,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("setting", &self.setting)
            .field("path", &self.path)
            .field("database_type", &self.database_type())
            .finish_non_exhaustive()
    }
}

impl Database {
    /// Reads the whole file into memory (no mmap: the workspace forbids `unsafe`, and a city database of
    /// ~60 MB fits a Lambda comfortably).
    pub(crate) fn open(setting: String, path: PathBuf) -> Result<Database, EnrichError> {
        let bytes = read_source(&setting, &path)?;
        match Reader::from_source(bytes) {
            Ok(reader) => Ok(Database { setting, path, reader, warned: AtomicBool::new(false) }),
            Err(source) => Err(EnrichError::NotMaxMindDb { setting, path, source }),
        }
    }

    pub(crate) fn setting(&self) -> &str {
        &self.setting
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The metadata's `database_type`, e.g. `GeoIP2-City`, `GeoLite2-ASN`.
    pub(crate) fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// The record of the network holding `ip`, or None when no network holds it. An IPv6 address in an
    /// IPv4-only database is simply unknown. A record that cannot be decoded is logged and treated as
    /// unknown: one damaged record must not stop detection.
    pub(crate) fn record<'a, T: Deserialize<'a>>(&'a self, ip: IpAddr) -> Option<T> {
        if ip.is_ipv6() && self.reader.metadata().ip_version == 4 {
            return None;
        }
        match self.reader.lookup(ip).and_then(|found| found.decode::<T>()) {
            Ok(record) => record,
            Err(error) => {
                self.report_undecodable(ip, &error);
                None
            }
        }
    }

    /// The first `limit` records that have data, decoded, to check the database's layout at load.
    pub(crate) fn sample<'a, T: Deserialize<'a>>(&'a self, limit: usize) -> Result<Vec<T>, EnrichError> {
        let corrupt =
            |source| EnrichError::NotMaxMindDb { setting: self.setting.clone(), path: self.path.clone(), source };
        let mut records = Vec::new();
        for network in self.reader.networks(Default::default()).map_err(corrupt)?.take(limit) {
            if let Some(record) = network.and_then(|n| n.decode::<T>()).map_err(corrupt)? {
                records.push(record);
            }
        }
        Ok(records)
    }

    fn report_undecodable(&self, ip: IpAddr, error: &MaxMindDbError) {
        if self.warned.swap(true, Ordering::Relaxed) {
            tracing::debug!(setting = %self.setting, path = %self.path.display(), %ip, %error, "undecodable record");
        } else {
            tracing::warn!(
                setting = %self.setting,
                path = %self.path.display(),
                %ip,
                %error,
                "a record of the database cannot be decoded: IPs it covers stay unenriched; replace the file \
                 (further such errors are logged at debug level)"
            );
        }
    }
}

/// Reads a configured file, telling a missing file (probably a wrong path) from an unreadable one.
pub(crate) fn read_source(setting: &str, path: &Path) -> Result<Vec<u8>, EnrichError> {
    fs::read(path).map_err(|source| match source.kind() {
        ErrorKind::NotFound => EnrichError::Missing { setting: setting.to_string(), path: path.to_path_buf() },
        _ => EnrichError::Unreadable { setting: setting.to_string(), path: path.to_path_buf(), source },
    })
}

/// A coordinate or radius stored as a double (MaxMind), a float, an integer or a numeric string
/// (ip-location-db writes latitude and longitude as strings, empty when unknown). Anything else is unknown
/// rather than an error, so one odd field does not hide the rest of a record.
pub(crate) fn lenient_f64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    struct Number;

    impl Visitor<'_> for Number {
        type Value = Option<f64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number or a numeric string")
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(v.is_finite().then_some(v))
        }

        fn visit_f32<E: de::Error>(self, v: f32) -> Result<Self::Value, E> {
            self.visit_f64(f64::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }

        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    deserializer.deserialize_any(Number)
}

/// An unsigned 32-bit number stored as any unsigned or signed integer type or a decimal string.
pub(crate) fn lenient_u32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    struct Number;

    impl Visitor<'_> for Number {
        type Value = Option<u32>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an unsigned integer or a decimal string")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(u32::try_from(v).ok())
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(u32::try_from(v).ok())
        }

        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
            Ok(u32::try_from(v).ok())
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.trim().trim_start_matches("AS").parse().ok())
        }
    }

    deserializer.deserialize_any(Number)
}
