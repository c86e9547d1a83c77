//! The streams a configured `[[sources]]` entry reads, ready to collect: Slack's audit log; Zendesk's
//! audit log, and its access log too when `access_logs = true`. The command line and the collector Lambda
//! both build their sources here, so a new stream is added once.

use saaswarden_core::App;
use saaswarden_core::checkpoint::Window;
use saaswarden_core::config::SourceSettings;

use crate::feed::Feed;
use crate::http::{HttpClient, HttpError, RetryPolicy, Secret};
use crate::input::RawEntry;
use crate::slack::SlackClient;
use crate::source::{AuditSource, Order, Page, SourceError};
use crate::zendesk::{ZendeskClient, ZendeskUsers};

/// One stream of one source, whichever API it speaks.
pub enum Stream {
    Slack(SlackClient),
    Zendesk(ZendeskClient),
}

/// Why a source's streams could not be built. Names the setting; never holds the token.
#[derive(Debug, thiserror::Error)]
pub enum StreamsError {
    #[error("base_url is required for Zendesk")]
    MissingBaseUrl,
    #[error(transparent)]
    Http(#[from] HttpError),
}

/// The streams of `source`, each with its own HTTP client and so its own request budget: the source's
/// `requests_per_minute` for its audit log, and at most [`SourceSettings::access_logs_requests_per_minute`]
/// for Zendesk's access log.
pub fn streams(source: &SourceSettings, token: Secret) -> Result<Vec<Stream>, StreamsError> {
    let http = HttpClient::new(RetryPolicy::for_source(source))?;
    match source.app {
        App::Slack => Ok(vec![Stream::Slack(SlackClient::from_settings(source, token, http))]),
        App::Zendesk => {
            let audit = ZendeskClient::from_settings(source, token, http).ok_or(StreamsError::MissingBaseUrl)?;
            let mut streams = Vec::with_capacity(2);
            if source.access_logs {
                let policy = RetryPolicy {
                    requests_per_minute: source.access_logs_requests_per_minute(),
                    ..RetryPolicy::for_source(source)
                };
                let access = audit.access_logs(HttpClient::new(policy)?, source.access_logs_page_size());
                streams.push(Stream::Zendesk(audit));
                streams.push(Stream::Zendesk(access));
            } else {
                streams.push(Stream::Zendesk(audit));
            }
            Ok(streams)
        }
    }
}

impl AuditSource for Stream {
    fn feed(&self) -> Feed {
        match self {
            Stream::Slack(client) => client.feed(),
            Stream::Zendesk(client) => client.feed(),
        }
    }

    fn order(&self) -> Order {
        match self {
            Stream::Slack(client) => client.order(),
            Stream::Zendesk(client) => client.order(),
        }
    }

    fn http(&self) -> &HttpClient {
        match self {
            Stream::Slack(client) => client.http(),
            Stream::Zendesk(client) => client.http(),
        }
    }

    async fn page(&self, window: Window, cursor: Option<&str>) -> Result<Page, SourceError> {
        match self {
            Stream::Slack(client) => client.page(window, cursor).await,
            Stream::Zendesk(client) => client.page(window, cursor).await,
        }
    }

    async fn prepare(&self, entries: &[RawEntry]) -> Result<ZendeskUsers, SourceError> {
        match self {
            Stream::Slack(client) => client.prepare(entries).await,
            Stream::Zendesk(client) => client.prepare(entries).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use saaswarden_core::Config;

    use super::*;

    fn feeds(sources: &str) -> Vec<Vec<Feed>> {
        let config = Config::from_toml_str(sources, "c.toml").expect("config");
        config
            .sources
            .iter()
            .map(|source| {
                let streams = streams(source, Secret::new("t")).expect("streams");
                streams.iter().map(AuditSource::feed).collect()
            })
            .collect()
    }

    #[test]
    fn each_source_reads_its_logs_and_zendesk_access_logs_only_when_asked() {
        let zendesk = "app = \"zendesk\"\nbase_url = \"https://a.zendesk.com\"\ntoken_env = \"T\"\n";
        let config = format!(
            "[[sources]]\napp = \"slack\"\ntoken_env = \"S\"\n[[sources]]\n{zendesk}[[sources]]\ntenant = \"b\"\n{zendesk}access_logs = true\n"
        );
        assert_eq!(
            feeds(&config),
            [vec![Feed::SlackAudit], vec![Feed::ZendeskAudit], vec![Feed::ZendeskAudit, Feed::ZendeskAccess]]
        );
        let names: Vec<&str> = [Feed::SlackAudit, Feed::ZendeskAudit, Feed::ZendeskAccess].map(Feed::stream).to_vec();
        assert_eq!(names, ["slack", "zendesk", "zendesk_access"]);
    }
}
