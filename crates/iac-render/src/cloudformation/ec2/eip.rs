//! An Elastic IP (`AWS::EC2::EIP`) in the VPC domain.

use iac_core::model::{Eip, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Eip {
    fn properties(&self, _: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({ "Domain": "vpc" }))
    }
}
