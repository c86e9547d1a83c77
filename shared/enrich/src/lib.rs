//! The IP enrichment adapter: turns an activity's IP into where it is (country, city, latitude and
//! longitude, accuracy radius), what it is (tags such as `tor`, `anonymous_vpn`, `hosting` or a list's own
//! tag) and who owns the network (ASN organisation). The facts come from MaxMind DB files (a city database
//! in the MaxMind GeoIP2/GeoLite2 or the DB-IP City Lite layout, an Anonymous-IP database, an ASN
//! database), plain-text IP lists and the organisation's own named ranges, and are cached per IP.
//!
//! [`IpIntel`] implements the domain's [`saaswarden_core::enrich::Enricher`] port. This crate depends on
//! `saaswarden-core` only: never on storage, AWS or the command line.

mod anonymous;
mod asn;
mod cache;
mod database;
mod error;
mod geo;
mod intel;
mod lists;

pub use cache::DEFAULT_CACHE_SIZE;
pub use error::EnrichError;
pub use geo::{DEFAULT_CITY_ACCURACY_KM, DEFAULT_COUNTRY_ACCURACY_KM};
pub use intel::{IpFacts, IpIntel};
