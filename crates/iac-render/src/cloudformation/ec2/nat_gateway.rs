//! A NAT gateway (`AWS::EC2::NatGateway`).

use iac_core::model::{NatGateway, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for NatGateway {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({ "SubnetId": cx.value(&self.subnet_id, "")?, "AllocationId": cx.value(&self.allocation_id, "")? }))
    }
}
