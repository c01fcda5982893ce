//! An SNS topic (`AWS::SNS::Topic`), encrypted with a KMS key.

use iac_core::model::{ResourceEntry, Topic};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Topic {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "TopicName": cx.name(entry),
            "DisplayName": self.display_name,
            "KmsMasterKeyId": cx.value(&self.kms_master_key_id, "KmsMasterKeyId")?,
        }))
    }
}
