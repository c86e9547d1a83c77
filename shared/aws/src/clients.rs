//! The SDK clients and resource names, built once per process (a Lambda cold start) and passed down.

use aws_config::SdkConfig;

/// Every AWS client the adapters use, from one shared configuration.
#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
}

impl AwsClients {
    pub fn new(config: &SdkConfig) -> AwsClients {
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            eventbridge: aws_sdk_eventbridge::Client::new(config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
        }
    }

    /// Clients whose every request is tallied by `counter` (the cost bench).
    pub fn counted(config: &SdkConfig, counter: &crate::metrics::RequestCounter) -> AwsClients {
        AwsClients {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(config).interceptor(counter.clone()).build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(config).interceptor(counter.clone()).build(),
            ),
            eventbridge: aws_sdk_eventbridge::Client::from_conf(
                aws_sdk_eventbridge::config::Builder::from(config).interceptor(counter.clone()).build(),
            ),
            secrets: aws_sdk_secretsmanager::Client::from_conf(
                aws_sdk_secretsmanager::config::Builder::from(config).interceptor(counter.clone()).build(),
            ),
        }
    }

    /// Clients from the environment's credentials and region (the Lambda execution role).
    pub async fn from_env() -> AwsClients {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        AwsClients::new(&config)
    }
}

/// The DynamoDB table names (the template's outputs; in Lambda, environment variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    /// The audit trail: activity chunks per user, the IP index, evidence pointers.
    pub activities: String,
    /// Detector state: per-user state, tenant records, place usage.
    pub state: String,
    /// Alerts with their resolution history; its stream feeds the notifier.
    pub alerts: String,
    /// Terminated identities.
    pub directory: String,
    /// Collector checkpoints.
    pub checkpoints: String,
    /// The governance log.
    pub governance: String,
}

/// The environment variables holding the table names, in the order of [`Tables`]' fields.
pub const TABLE_VARIABLES: [&str; 6] =
    ["ACTIVITIES_TABLE", "STATE_TABLE", "ALERTS_TABLE", "DIRECTORY_TABLE", "CHECKPOINTS_TABLE", "GOVERNANCE_TABLE"];

impl Tables {
    /// The table names from the environment; the error names every missing variable.
    pub fn from_env() -> Result<Tables, String> {
        Tables::from_lookup(|name| std::env::var(name).ok())
    }

    /// The table names from any lookup (the environment, a test's stack outputs).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Tables, String> {
        let values: Vec<Option<String>> =
            TABLE_VARIABLES.iter().map(|name| lookup(name).filter(|value| !value.trim().is_empty())).collect();
        let missing: Vec<&str> =
            TABLE_VARIABLES.iter().zip(&values).filter(|(_, value)| value.is_none()).map(|(name, _)| *name).collect();
        if !missing.is_empty() {
            return Err(format!("missing table name setting(s): {} (set by infra/template.yaml)", missing.join(", ")));
        }
        let mut names = values.into_iter().flatten();
        let mut next = || names.next().unwrap_or_default();
        Ok(Tables {
            activities: next(),
            state: next(),
            alerts: next(),
            directory: next(),
            checkpoints: next(),
            governance: next(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_table_settings_are_all_named() {
        let error = Tables::from_lookup(|name| (name == "STATE_TABLE").then(|| "s".to_string())).expect_err("missing");
        assert!(error.contains("ACTIVITIES_TABLE") && error.contains("GOVERNANCE_TABLE"), "{error}");
        assert!(!error.contains("STATE_TABLE"), "{error}");
        let tables = Tables::from_lookup(|name| Some(name.to_lowercase())).expect("all set");
        assert_eq!((tables.activities.as_str(), tables.governance.as_str()), ("activities_table", "governance_table"));
    }
}
