//! An EFS file system (`AWS::EFS::FileSystem`).

use iac_core::model::{FileSystem, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for FileSystem {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut lifecycle = Vec::new();
        if let Some(days) = self.transition_to_ia_days {
            lifecycle
                .push(json!({ "TransitionToIA": format!("AFTER_{days}_{}", if days == 1 { "DAY" } else { "DAYS" }) }));
            lifecycle.push(json!({ "TransitionToPrimaryStorageClass": "AFTER_1_ACCESS" }));
        }
        let mut p = json!({
            "Encrypted": self.encrypted,
            "PerformanceMode": self.performance_mode.as_aws(),
            "ThroughputMode": "elastic",
            "BackupPolicy": { "Status": if self.backups { "ENABLED" } else { "DISABLED" } },
        });
        if let Some(key) = &self.kms_key_id {
            p["KmsKeyId"] = cx.value(key, "KmsKeyId")?;
        }
        if !lifecycle.is_empty() {
            p["LifecyclePolicies"] = Json::Array(lifecycle);
        }
        Ok(p)
    }
}
