//! A route (`aws_route`) through an internet or NAT gateway.

use iac_core::model::{ResourceEntry, Route, RouteTarget};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Route {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("route_table_id", cx.expr(&self.route_table_id, "route_table_id")?)
            .set("destination_cidr_block", cx.expr(&self.destination_cidr_block, "destination_cidr_block")?);
        match &self.target {
            RouteTarget::InternetGateway(v) => a.set("gateway_id", cx.expr(v, "gateway_id")?),
            RouteTarget::NatGateway(v) => a.set("nat_gateway_id", cx.expr(v, "nat_gateway_id")?),
        };
        Ok(a)
    }
}
