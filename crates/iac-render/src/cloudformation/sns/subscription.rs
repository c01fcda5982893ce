//! A subscription to an SNS topic (`AWS::SNS::Subscription`).

use iac_core::model::{ResourceEntry, Subscription};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Subscription {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "TopicArn": cx.value(&self.topic_arn, "Endpoint")?,
            "Protocol": self.protocol.as_aws(),
            "Endpoint": cx.value(&self.endpoint, "Endpoint")?,
        }))
    }
}
