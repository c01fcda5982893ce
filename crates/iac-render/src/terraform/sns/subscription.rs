//! A subscription to an SNS topic (`aws_sns_topic_subscription`).

use iac_core::model::{ResourceEntry, Subscription};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Subscription {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("topic_arn", cx.expr(&self.topic_arn, "topic_arn")?)
            .set("protocol", self.protocol.as_aws())
            .set("endpoint", cx.expr(&self.endpoint, "endpoint")?);
        Ok(a)
    }
}
