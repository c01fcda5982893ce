//! SNS topics and subscriptions in Terraform.

use hcl::Expression;
use iac_core::model::{Subscription, Topic};

use super::{Args, Renderer};
use crate::error::RenderError;

impl Renderer<'_> {
    pub(super) fn topic(
        &mut self,
        r: &Topic,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("display_name", r.display_name.as_str())
            .set("kms_master_key_id", self.expr(&r.kms_master_key_id, "kms_master_key_id")?)
            .set_opt("tags", tags);
        Ok(a)
    }

    pub(super) fn subscription(&mut self, r: &Subscription) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("topic_arn", self.expr(&r.topic_arn, "topic_arn")?)
            .set("protocol", r.protocol.as_aws())
            .set("endpoint", self.expr(&r.endpoint, "endpoint")?);
        Ok(a)
    }
}
