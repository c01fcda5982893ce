//! A route (`AWS::EC2::Route`) through an internet or NAT gateway.

use iac_core::model::{ResourceEntry, Route, RouteTarget};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Route {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut p = json!({
            "RouteTableId": cx.value(&self.route_table_id, "")?,
            "DestinationCidrBlock": cx.value(&self.destination_cidr_block, "")?,
        });
        match &self.target {
            RouteTarget::InternetGateway(g) => p["GatewayId"] = cx.value(g, "")?,
            RouteTarget::NatGateway(g) => p["NatGatewayId"] = cx.value(g, "")?,
        }
        Ok(p)
    }
}
