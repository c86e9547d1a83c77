use std::io;
use std::path::PathBuf;

/// Why the enrichment sources could not be loaded. Every variant names the setting and the file, and says
/// what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    #[error("{setting}: `{path}` does not exist (a relative path is resolved against the configuration file's folder)")]
    Missing { setting: String, path: PathBuf },

    #[error("{setting}: cannot read `{path}`: {source}")]
    Unreadable { setting: String, path: PathBuf, source: io::Error },

    /// Not a `.mmdb` file at all, or a truncated or corrupt one.
    #[error("{setting}: `{path}` is not a MaxMind DB file: {source}")]
    NotMaxMindDb { setting: String, path: PathBuf, source: maxminddb::MaxMindDbError },

    /// A valid MaxMind DB file of another kind than the setting needs (an ASN database given as the city
    /// database, say).
    #[error("{setting}: `{path}` is a `{database_type}` database whose records have none of the fields of {expected}")]
    WrongDatabase { setting: String, path: PathBuf, database_type: String, expected: &'static str },

    /// A country database given as the city database: it locates IPs in countries but has no coordinates,
    /// which impossible travel needs.
    #[error(
        "{setting}: `{path}` is a country database (`{database_type}`) without coordinates; impossible travel needs a city database: MaxMind GeoLite2/GeoIP2 City or DB-IP City Lite"
    )]
    CountryOnly { setting: String, path: PathBuf, database_type: String },

    #[error("{path} line {line}: `{text}` is neither an IP nor a CIDR")]
    BadListLine { path: PathBuf, line: usize, text: String },
}
