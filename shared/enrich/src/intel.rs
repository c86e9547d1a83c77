//! [`IpIntel`]: every configured source behind one cached lookup, and the [`Enricher`] port on top of it.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use saaswarden_core::config::{DatabaseFiles, EnrichmentSettings};
use saaswarden_core::enrich::Enricher;
use saaswarden_core::{Activity, Geo};

use crate::anonymous::AnonymousDb;
use crate::asn::AsnDb;
use crate::cache::{DEFAULT_CACHE_SIZE, FactCache};
use crate::database::Database;
use crate::error::EnrichError;
use crate::geo::CityDb;
use crate::lists::{OrgRange, TaggedList};

/// What is known about one IP.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IpFacts {
    /// Where the IP is, when the city database has a country and coordinates for it.
    pub geo: Option<Geo>,
    /// Sorted and deduplicated: the anonymous-IP database's tags and the tags of the lists holding the IP,
    /// or, for an IP in one of the organisation's ranges, only those ranges' tags.
    pub tags: Vec<String>,
    /// The autonomous system number.
    pub asn: Option<u32>,
    /// The autonomous system's organisation (`Amazon.com, Inc.`, `Telstra Pty Ltd`).
    pub asn_org: Option<String>,
}

/// The IP facts of every configured source: city, anonymous-IP and ASN databases, IP lists and the
/// organisation's ranges, cached per IP. Build it once per process and share it (it is `Send + Sync`).
pub struct IpIntel {
    /// Each kind's files in the configured order: the first with a record for an IP answers.
    city: Vec<CityDb>,
    anonymous: Vec<AnonymousDb>,
    asn: Vec<AsnDb>,
    lists: Vec<TaggedList>,
    org_ranges: Vec<OrgRange>,
    cache: FactCache,
}

impl fmt::Debug for IpIntel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IpIntel")
            .field("city", &self.city)
            .field("anonymous", &self.anonymous)
            .field("asn", &self.asn)
            .field("lists", &self.lists.iter().map(TaggedList::path).collect::<Vec<_>>())
            .field("org_ranges", &self.org_ranges.iter().map(|r| r.tag.as_str()).collect::<Vec<_>>())
            .field("cache", &self.cache)
            .finish()
    }
}

impl IpIntel {
    /// Opens every database and list the settings name; relative paths are resolved against `base_dir`
    /// (the configuration file's folder). Fails on the first source that is missing, unreadable or not
    /// what its setting needs, naming the setting and the file.
    pub fn load(settings: &EnrichmentSettings, base_dir: &Path) -> Result<IpIntel, EnrichError> {
        // A setting with several files names the one at fault by its place in the list.
        let open = |setting: &str, files: &DatabaseFiles| -> Result<Vec<Database>, EnrichError> {
            let several = files.0.len() > 1;
            files
                .iter()
                .enumerate()
                .map(|(i, path)| {
                    let name =
                        if several { format!("enrichment.{setting}[{i}]") } else { format!("enrichment.{setting}") };
                    Database::open(name, base_dir.join(path))
                })
                .collect()
        };
        let city = open("city_db", &settings.city_db)?.into_iter().map(CityDb::open).collect::<Result<_, _>>()?;
        let anonymous = open("anonymous_db", &settings.anonymous_db)?
            .into_iter()
            .map(AnonymousDb::open)
            .collect::<Result<_, _>>()?;
        let asn = open("asn_db", &settings.asn_db)?.into_iter().map(AsnDb::open).collect::<Result<_, _>>()?;
        let lists = settings
            .lists
            .iter()
            .enumerate()
            .map(|(index, list)| TaggedList::load(index, list, base_dir))
            .collect::<Result<Vec<_>, _>>()?;
        let org_ranges = settings
            .ranges
            .iter()
            .enumerate()
            .map(|(index, range)| OrgRange::load(index, range, base_dir))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(IpIntel {
            city,
            anonymous,
            asn,
            lists,
            org_ranges,
            cache: FactCache::new(settings.cache_size.unwrap_or(DEFAULT_CACHE_SIZE)),
        })
    }

    /// Facts about one IP (cached). An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is looked up as the
    /// IPv4 address it maps, and shares its cache entry.
    pub fn lookup(&self, ip: IpAddr) -> Arc<IpFacts> {
        let ip = ip.to_canonical();
        self.cache.get_or_insert_with(ip, || self.facts(ip))
    }

    fn facts(&self, ip: IpAddr) -> IpFacts {
        let geo = self.city.iter().find_map(|city| city.geo(ip));
        let owner = self.asn.iter().find_map(|asn| asn.lookup(ip));
        // The organisation knows its own networks better than any feed: its corporate VPN egress may well
        // be listed as a VPN or hosting provider, and must not look anonymous.
        let mut tags: Vec<String> =
            self.org_ranges.iter().filter(|range| range.contains(ip)).map(|range| range.tag.clone()).collect();
        if tags.is_empty() {
            for anonymous in &self.anonymous {
                if anonymous.tags(ip, &mut tags) {
                    break;
                }
            }
            tags.extend(self.lists.iter().filter(|list| list.contains(ip)).map(|list| list.tag.clone()));
        }
        tags.sort_unstable();
        tags.dedup();
        let (asn, asn_org) = owner.map_or((None, None), |o| (o.number, o.organization));
        IpFacts { geo, tags, asn, asn_org }
    }

    /// How many IPs' facts are cached now.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

impl Enricher for IpIntel {
    /// Sets the activity's `geo`, `ip_tags` and `asn_org` from its IP's facts. Each is replaced only when
    /// the facts have it, so an activity without an IP, or whose IP nothing is known about, is left as it
    /// was.
    fn enrich(&self, activity: &mut Activity) {
        let Some(ip) = activity.ip else {
            return;
        };
        let facts = self.lookup(ip);
        if let Some(geo) = &facts.geo {
            activity.geo = Some(geo.clone());
        }
        if !facts.tags.is_empty() {
            activity.ip_tags.clone_from(&facts.tags);
        }
        if let Some(org) = &facts.asn_org {
            activity.asn_org = Some(org.clone());
        }
    }
}
