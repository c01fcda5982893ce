//! An internet gateway attached to a VPC (`AWS::EC2::VPCGatewayAttachment`).

use iac_core::model::{ResourceEntry, VpcGatewayAttachment};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for VpcGatewayAttachment {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(
            json!({ "VpcId": cx.value(&self.vpc_id, "")?, "InternetGatewayId": cx.value(&self.internet_gateway_id, "")? }),
        )
    }
}
