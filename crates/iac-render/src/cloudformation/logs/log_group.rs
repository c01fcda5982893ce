//! A CloudWatch Logs group (`AWS::Logs::LogGroup`).

use iac_core::model::{LogGroup, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for LogGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let mut p = json!({ "LogGroupName": cx.name(entry), "RetentionInDays": self.retention_days });
        if let Some(key) = &self.kms_key_arn {
            p["KmsKeyId"] = cx.value(key, "KmsKeyId")?;
        }
        Ok(p)
    }
}
