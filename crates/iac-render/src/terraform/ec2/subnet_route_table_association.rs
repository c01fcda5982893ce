//! A subnet associated with a route table (`aws_route_table_association`).

use iac_core::model::{ResourceEntry, SubnetRouteTableAssociation};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for SubnetRouteTableAssociation {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("subnet_id", cx.expr(&self.subnet_id, "subnet_id")?)
            .set("route_table_id", cx.expr(&self.route_table_id, "route_table_id")?);
        Ok(a)
    }
}
