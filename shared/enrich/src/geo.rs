//! Where an IP is, from a city database in either of the two record layouts in use:
//!
//! * nested, MaxMind GeoIP2/GeoLite2 City (and DB-IP's own `.mmdb` downloads):
//!   `country.iso_code`, `city.names.en`, `location.{latitude, longitude, accuracy_radius}` (km);
//! * flat, DB-IP City Lite as published by the ip-location-db project:
//!   `country_code`, `city`, `latitude`, `longitude` (doubles, or strings that are empty when unknown),
//!   `state1`, … and no accuracy radius.
//!
//! The layout is recognised per record (a key is either a map or a string), so both kinds of file, and a
//! file mixing them, decode through one struct. Only what [`Geo`] holds is decoded; the rest of a record
//! (subdivisions, translations, postcode, time zone) is skipped.

use std::fmt;
use std::net::IpAddr;

use saaswarden_core::Geo;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::database::{Database, LAYOUT_SAMPLE, lenient_f64};
use crate::error::EnrichError;

/// Accuracy radius given to a record that names a city but has no radius of its own (the flat DB-IP
/// layout never has one). MaxMind's GeoLite2 City radii for city-level records are mostly 5–200 km; 50 km is
/// a city and its suburbs, so impossible travel does not fire between neighbouring towns.
pub const DEFAULT_CITY_ACCURACY_KM: f64 = 50.0;

/// Accuracy radius given to a record with coordinates but no city and no radius: the coordinates are then
/// a country's or region's centre. 1000 km is what MaxMind itself gives such records.
pub const DEFAULT_COUNTRY_ACCURACY_KM: f64 = 1000.0;

/// The two layouts, as far as a city record is concerned. Every field is optional: which ones are present
/// tells the layout.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CityRecord<'a> {
    /// Nested: `country.iso_code`.
    #[serde(borrow)]
    country: Option<Country<'a>>,
    /// Flat: `country_code`.
    country_code: Option<&'a str>,
    /// Nested: `city.names.en`; flat: `city`.
    #[serde(borrow)]
    city: Option<CityName<'a>>,
    /// Nested: `location.*`.
    location: Option<Location>,
    /// Flat.
    #[serde(default, deserialize_with = "lenient_f64")]
    latitude: Option<f64>,
    /// Flat.
    #[serde(default, deserialize_with = "lenient_f64")]
    longitude: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
struct Country<'a> {
    iso_code: Option<&'a str>,
}

#[derive(Debug, Default, Deserialize)]
struct Location {
    #[serde(default, deserialize_with = "lenient_f64")]
    latitude: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    longitude: Option<f64>,
    #[serde(default, deserialize_with = "lenient_f64")]
    accuracy_radius: Option<f64>,
}

/// `city`: a map holding `names.en` (nested layout) or the name itself (flat layout).
#[derive(Debug, Default)]
struct CityName<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for CityName<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        #[derive(Deserialize)]
        struct Names<'a> {
            #[serde(borrow)]
            en: Option<&'a str>,
        }

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = CityName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a city name or a map with `names.en`")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CityName(Some(v)))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut name = None;
                while let Some(key) = map.next_key::<&'de str>()? {
                    if key == "names" {
                        name = map.next_value::<Names<'de>>()?.en;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CityName(name))
            }
        }

        deserializer.deserialize_any(NameVisitor)
    }
}

/// Which layout a record is in, for the load-time log line and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// MaxMind GeoIP2/GeoLite2 City.
    Nested,
    /// DB-IP City Lite from ip-location-db.
    Flat,
}

impl fmt::Display for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layout::Nested => "MaxMind GeoIP2/GeoLite2 City layout",
            Layout::Flat => "DB-IP City Lite (ip-location-db) layout",
        })
    }
}

impl CityRecord<'_> {
    fn layout(&self) -> Layout {
        if self.location.is_some() || self.country.is_some() { Layout::Nested } else { Layout::Flat }
    }

    fn has_country(&self) -> bool {
        self.country_code().is_some()
    }

    fn country_code(&self) -> Option<&str> {
        self.country.as_ref().and_then(|c| c.iso_code).or(self.country_code).filter(|c| !c.trim().is_empty())
    }

    /// The record as a [`Geo`]. A `Geo` needs a country and coordinates: a record lacking either (a
    /// country database's records, a network located only to a continent) gives None, so that impossible
    /// travel never measures from a made-up point.
    pub(crate) fn to_geo(&self) -> Option<Geo> {
        let country = self.country_code()?;
        let (latitude, longitude, radius) = match &self.location {
            Some(location) => (location.latitude?, location.longitude?, location.accuracy_radius),
            None => (self.latitude?, self.longitude?, None),
        };
        if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
            return None;
        }
        let city = self.city.as_ref().and_then(|c| c.0).map(str::trim).filter(|c| !c.is_empty());
        let accuracy_km = radius.filter(|r| *r > 0.0).unwrap_or(if city.is_some() {
            DEFAULT_CITY_ACCURACY_KM
        } else {
            DEFAULT_COUNTRY_ACCURACY_KM
        });
        Some(Geo {
            country: country.trim().to_ascii_uppercase(),
            city: city.map(str::to_string),
            latitude,
            longitude,
            accuracy_km,
        })
    }
}

/// A city database whose layout was checked at load.
#[derive(Debug)]
pub(crate) struct CityDb {
    db: Database,
}

impl CityDb {
    /// Checks that the file's first networks carry coordinates in one of the two layouts: a country
    /// database and a database of another kind (ASN, Anonymous IP) are refused with a message that says
    /// which file and what is needed, rather than enriching nothing in silence.
    pub(crate) fn open(db: Database) -> Result<CityDb, EnrichError> {
        let sample: Vec<CityRecord<'_>> = db.sample(LAYOUT_SAMPLE)?;
        let layout = sample.iter().find(|r| r.to_geo().is_some()).map(CityRecord::layout);
        let has_country = sample.iter().any(CityRecord::has_country);
        match layout {
            Some(layout) => tracing::info!(
                setting = db.setting(),
                path = %db.path().display(),
                database_type = db.database_type(),
                %layout,
                "city database loaded"
            ),
            None if has_country => {
                return Err(EnrichError::CountryOnly {
                    setting: db.setting().to_string(),
                    path: db.path().to_path_buf(),
                    database_type: db.database_type().to_string(),
                });
            }
            None => {
                return Err(EnrichError::WrongDatabase {
                    setting: db.setting().to_string(),
                    path: db.path().to_path_buf(),
                    database_type: db.database_type().to_string(),
                    expected: "a city database: MaxMind GeoIP2/GeoLite2 City (`country.iso_code`, \
                               `location.latitude`, …) or DB-IP City Lite (`country_code`, `latitude`, …)",
                });
            }
        }
        Ok(CityDb { db })
    }

    pub(crate) fn geo(&self, ip: IpAddr) -> Option<Geo> {
        self.db.record::<CityRecord<'_>>(ip).and_then(|r| r.to_geo())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(country: &'static str, city: &'static str, latitude: f64, longitude: f64) -> CityRecord<'static> {
        CityRecord {
            country_code: Some(country),
            city: Some(CityName(Some(city))),
            latitude: Some(latitude),
            longitude: Some(longitude),
            ..CityRecord::default()
        }
    }

    fn nested(country: Option<&'static str>, location: Location) -> CityRecord<'static> {
        CityRecord { country: Some(Country { iso_code: country }), location: Some(location), ..CityRecord::default() }
    }

    fn at(latitude: f64, longitude: f64, accuracy_radius: Option<f64>) -> Location {
        Location { latitude: Some(latitude), longitude: Some(longitude), accuracy_radius }
    }

    #[test]
    fn a_geo_needs_a_country_and_both_coordinates() {
        let cases = [
            ("no country", nested(None, at(48.0, 9.0, Some(100.0)))),
            ("blank country", nested(Some(" "), at(48.0, 9.0, Some(100.0)))),
            ("no latitude", nested(Some("DE"), Location { latitude: None, ..at(0.0, 9.0, None) })),
            ("no longitude", CityRecord { longitude: None, ..flat("FR", "Paris", 48.85, 2.35) }),
            ("country only", CityRecord { country_code: Some("FR"), ..CityRecord::default() }),
            ("latitude out of range", flat("FR", "Paris", 91.0, 2.35)),
            ("longitude out of range", flat("FR", "Paris", 48.85, -180.5)),
            ("nothing", CityRecord::default()),
        ];
        for (why, record) in cases {
            assert_eq!(record.to_geo(), None, "{why}");
        }
    }

    #[test]
    fn a_missing_or_zero_radius_gets_the_default_for_a_city_or_a_country() {
        let cases = [
            (nested(Some("SE"), at(59.3, 18.1, Some(7.0))), 7.0),
            (nested(Some("SE"), at(59.3, 18.1, None)), DEFAULT_COUNTRY_ACCURACY_KM),
            (nested(Some("SE"), at(59.3, 18.1, Some(0.0))), DEFAULT_COUNTRY_ACCURACY_KM),
            (flat("SE", "Stockholm", 59.3, 18.1), DEFAULT_CITY_ACCURACY_KM),
            (flat("SE", "  ", 59.3, 18.1), DEFAULT_COUNTRY_ACCURACY_KM),
        ];
        for (record, expected) in cases {
            let geo = record.to_geo().expect("located");
            assert_eq!(geo.accuracy_km, expected, "{record:?}");
        }
    }

    #[test]
    fn country_codes_are_upper_case_and_blank_city_names_are_none() {
        let geo = flat(" jp", " ", 34.69, 135.5).to_geo().expect("located");
        assert_eq!((geo.country.as_str(), geo.city), ("JP", None));
    }

    #[test]
    fn nested_coordinates_win_over_stray_flat_ones() {
        let record =
            CityRecord { latitude: Some(1.0), longitude: Some(1.0), ..nested(Some("SE"), at(59.3, 18.1, None)) };
        let geo = record.to_geo().expect("located");
        assert_eq!((geo.latitude, geo.longitude), (59.3, 18.1));
        assert_eq!(record.layout(), Layout::Nested);
        assert_eq!(flat("FR", "Paris", 48.85, 2.35).layout(), Layout::Flat);
    }
}
