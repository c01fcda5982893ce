//! A subnet (`AWS::EC2::Subnet`).

use iac_core::model::{ResourceEntry, Subnet};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Subnet {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "VpcId": cx.value(&self.vpc_id, "")?,
            "CidrBlock": cx.value(&self.cidr_block, "")?,
            "AvailabilityZone": cx.value(&self.availability_zone, "")?,
            "MapPublicIpOnLaunch": self.map_public_ip_on_launch,
        }))
    }
}
