//! SNS topics and subscriptions in CloudFormation.

use iac_core::model::{ResourceEntry, Subscription, Topic};
use serde_json::{Value as Json, json};

use super::{Ctx, Renderer};
use crate::error::RenderError;

impl Renderer<'_> {
    pub(super) fn topic(&self, entry: &ResourceEntry, x: &Topic) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "KmsMasterKeyId".into() };
        Ok(json!({
            "TopicName": self.name(entry),
            "DisplayName": x.display_name,
            "KmsMasterKeyId": self.str_value(&x.kms_master_key_id, &ctx)?,
        }))
    }

    pub(super) fn subscription(&self, entry: &ResourceEntry, x: &Subscription) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "Endpoint".into() };
        Ok(json!({
            "TopicArn": self.str_value(&x.topic_arn, &ctx)?,
            "Protocol": x.protocol.as_aws(),
            "Endpoint": self.str_value(&x.endpoint, &ctx)?,
        }))
    }
}
