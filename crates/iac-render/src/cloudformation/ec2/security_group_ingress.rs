//! An ingress rule of its own (`AWS::EC2::SecurityGroupIngress`).

use iac_core::model::{ResourceEntry, SecurityGroupIngress};
use serde_json::Value as Json;

use super::rule;
use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for SecurityGroupIngress {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut p = rule(cx, &self.rule, true, "Rule")?;
        p["GroupId"] = cx.value(&self.group_id, "")?;
        Ok(p)
    }
}
