//! A DigitalOcean firewall: CloudFormation cannot create it.

use iac_core::model::{DoFirewall, ResourceEntry};
use serde_json::Value as Json;

use super::not_aws;
use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for DoFirewall {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Err(not_aws(cx, entry))
    }
}
