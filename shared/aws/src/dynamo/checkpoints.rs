//! Collector checkpoints in the checkpoints table: `pk` = tenant, `sk` = stream, JSON with a version.

use saaswarden_core::checkpoint::Checkpoint;
use saaswarden_store::{Checkpoints, StoreError, Versioned};

use super::{DynamoStore, get_n, get_s, is_condition_failure, key, n, s};
use crate::error::{backend, corrupt};

impl Checkpoints for DynamoStore {
    async fn load(&self, tenant: &str, stream: &str) -> Result<Versioned<Option<Checkpoint>>, StoreError> {
        let table = &self.tables.checkpoints;
        let found = self
            .get_one(table, key(tenant, stream), true, || {
                format!("DynamoDB table {table}: checkpoint {tenant}/{stream}")
            })
            .await?;
        let Some(item) = found else { return Ok(Versioned { value: None, version: 0 }) };
        let id = format!("{tenant}/{stream}");
        let body = get_s(&item, "body").ok_or_else(|| corrupt("checkpoint", id.clone(), "no body"))?;
        let value = serde_json::from_str(body).map_err(|e| corrupt("checkpoint", id, e))?;
        let version = get_n(&item, "version").and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
        Ok(Versioned { value: Some(value), version })
    }

    async fn save(
        &self,
        tenant: &str,
        stream: &str,
        checkpoint: &Checkpoint,
        expected_version: u64,
    ) -> Result<(), StoreError> {
        let table = &self.tables.checkpoints;
        let id = format!("{tenant}/{stream}");
        let body = serde_json::to_string(checkpoint).map_err(|e| corrupt("checkpoint", id.clone(), e))?;
        let mut item = key(tenant, stream);
        item.insert("body".into(), s(body));
        item.insert("version".into(), n(expected_version + 1));
        self.wrote(table, &item);
        let request = self.client.put_item().table_name(table).set_item(Some(item));
        let request = if expected_version == 0 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request.condition_expression("version = :v").expression_attribute_values(":v", n(expected_version))
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => {
                Err(StoreError::Conflict { what: "checkpoint", id, expected: expected_version })
            }
            Err(error) => Err(backend(format!("DynamoDB table {table}: save checkpoint {id}"), error)),
        }
    }
}
