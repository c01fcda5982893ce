//! A DigitalOcean droplet: CloudFormation cannot create it.

use iac_core::model::{Droplet, ResourceEntry};
use serde_json::Value as Json;

use super::not_aws;
use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Droplet {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Err(not_aws(cx, entry))
    }
}
