//! Configuration, custom policies and GeoIP databases: built into the binary, absent, or read from S3 at
//! cold start. Every error names the object (`s3://bucket/key`) and what was wrong with it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use aws_sdk_s3::Client;
use saaswarden_core::config::Config;
use saaswarden_core::enrich::{Enricher, NoEnrichment};
use saaswarden_enrich::IpIntel;
use saaswarden_policy::{Groups, PolicySet};

/// Where an asset comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// Built into the binary (the starter pack of policies; the default configuration).
    Bundled,
    /// Not used.
    None,
    /// An S3 object, or every object under a prefix (a key ending in `/`).
    S3 { bucket: String, key: String },
}

impl FromStr for Location {
    type Err = String;

    fn from_str(text: &str) -> Result<Location, String> {
        match text.trim() {
            "bundled" => Ok(Location::Bundled),
            "none" | "" => Ok(Location::None),
            other => match other.strip_prefix("s3://").and_then(|rest| rest.split_once('/')) {
                Some((bucket, key)) if !bucket.is_empty() => {
                    Ok(Location::S3 { bucket: bucket.to_string(), key: key.to_string() })
                }
                _ => Err(format!("`{other}` is neither `bundled`, `none` nor `s3://bucket/key`")),
            },
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Bundled => f.write_str("bundled"),
            Location::None => f.write_str("none"),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    #[error("{origin}: cannot read: {message}")]
    Read { origin: String, message: String },
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
}

/// Reads assets from S3.
#[derive(Clone, Debug)]
pub struct Assets {
    s3: Client,
}

impl Assets {
    pub fn new(s3: Client) -> Assets {
        Assets { s3 }
    }

    /// One object's text.
    pub async fn text(&self, bucket: &str, key: &str) -> Result<String, AssetError> {
        let bytes = self.bytes(bucket, key).await?;
        String::from_utf8(bytes).map_err(|_| AssetError::Invalid {
            origin: format!("s3://{bucket}/{key}"),
            message: "is not UTF-8 text".to_string(),
        })
    }

    async fn bytes(&self, bucket: &str, key: &str) -> Result<Vec<u8>, AssetError> {
        let origin = || format!("s3://{bucket}/{key}");
        let object = self.s3.get_object().bucket(bucket).key(key).send().await.map_err(|e| AssetError::Read {
            origin: origin(),
            message: aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
        })?;
        let body =
            object.body.collect().await.map_err(|e| AssetError::Read { origin: origin(), message: e.to_string() })?;
        Ok(body.into_bytes().to_vec())
    }

    /// The keys under `prefix`, sorted.
    async fn keys(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, AssetError> {
        let mut keys = Vec::new();
        let mut pages = self.s3.list_objects_v2().bucket(bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AssetError::Read {
                origin: format!("s3://{bucket}/{prefix}"),
                message: aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
            })?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        keys.retain(|k| !k.ends_with('/'));
        keys.sort();
        Ok(keys)
    }

    /// The configuration: the defaults when `bundled`/`none`, else the TOML object, checked.
    pub async fn config(&self, location: &Location) -> Result<Config, AssetError> {
        match location {
            Location::Bundled | Location::None => Ok(Config::default()),
            Location::S3 { bucket, key } => {
                let text = self.text(bucket, key).await?;
                Config::from_toml_str(&text, &location.to_string())
                    .map_err(|e| AssetError::Invalid { origin: location.to_string(), message: e.to_string() })
            }
        }
    }

    /// Custom policies: the built-in starter pack, none, or every `.yaml`/`.yml` object at or under the S3
    /// location. Every policy error is reported, each with its object and line.
    pub async fn policies(&self, location: &Location, config: &Config) -> Result<Option<PolicySet>, AssetError> {
        let sources = match location {
            Location::None => return Ok(None),
            Location::Bundled => saaswarden_policy::starter::sources(),
            Location::S3 { bucket, key } => {
                let keys = if key.is_empty() || key.ends_with('/') {
                    self.keys(bucket, key).await?
                } else {
                    vec![key.clone()]
                };
                let mut sources = Vec::new();
                for key in keys.iter().filter(|k| k.ends_with(".yaml") || k.ends_with(".yml")) {
                    sources.push((format!("s3://{bucket}/{key}"), self.text(bucket, key).await?));
                }
                if sources.is_empty() {
                    return Err(AssetError::Invalid {
                        origin: location.to_string(),
                        message: "holds no .yaml policy file".to_string(),
                    });
                }
                sources
            }
        };
        let groups = Groups::from_members(
            config.groups.iter().map(|(name, members)| (name.as_str(), members.iter().map(String::as_str))),
        )
        .map_err(|e| AssetError::Invalid { origin: "configuration `groups`".to_string(), message: e.to_string() })?;
        PolicySet::from_sources(&sources, &groups).map(Some).map_err(|errors| AssetError::Invalid {
            origin: location.to_string(),
            message: format!(
                "{} policy error(s):\n{}",
                errors.len(),
                errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n")
            ),
        })
    }

    /// IP enrichment per the configuration's `[enrichment]`, its files read from `location` (downloaded
    /// into `scratch`, Lambda's `/tmp`). Without a location, or with nothing configured, no enrichment.
    pub async fn enricher(
        &self,
        location: &Location,
        config: &Config,
        scratch: &Path,
    ) -> Result<Box<dyn Enricher>, AssetError> {
        let e = &config.enrichment;
        let configured = !e.city_db.is_empty()
            || !e.anonymous_db.is_empty()
            || !e.asn_db.is_empty()
            || !e.lists.is_empty()
            || !e.ranges.is_empty();
        let base: PathBuf = match location {
            _ if !configured => return Ok(Box::new(NoEnrichment)),
            Location::None | Location::Bundled => PathBuf::from("."),
            Location::S3 { bucket, key } => {
                let prefix = if key.is_empty() || key.ends_with('/') { key.clone() } else { format!("{key}/") };
                for object in self.keys(bucket, &prefix).await? {
                    let relative = object.strip_prefix(&prefix).unwrap_or(&object);
                    let path = scratch.join(relative);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent).map_err(|err| AssetError::Read {
                            origin: parent.display().to_string(),
                            message: err.to_string(),
                        })?;
                    }
                    let bytes = self.bytes(bucket, &object).await?;
                    std::fs::write(&path, bytes).map_err(|err| AssetError::Read {
                        origin: path.display().to_string(),
                        message: err.to_string(),
                    })?;
                }
                scratch.to_path_buf()
            }
        };
        let intel = IpIntel::load(e, &base).map_err(|err| AssetError::Invalid {
            origin: format!("{location} (enrichment)"),
            message: err.to_string(),
        })?;
        Ok(Box::new(intel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_print_back() {
        for text in ["bundled", "none", "s3://bucket/policies/", "s3://bucket/config.toml"] {
            assert_eq!(text.parse::<Location>().map(|l| l.to_string()), Ok(text.to_string()));
        }
        assert_eq!("s3://b/k".parse::<Location>(), Ok(Location::S3 { bucket: "b".into(), key: "k".into() }));
        let error = "https://example.com/x".parse::<Location>().err().unwrap_or_default();
        assert!(error.contains("https://example.com/x"), "{error}");
        assert!("s3://no-key".parse::<Location>().is_err());
    }
}
