//! A NAT gateway (`aws_nat_gateway`).

use iac_core::model::{NatGateway, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for NatGateway {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("allocation_id", cx.expr(&self.allocation_id, "allocation_id")?)
            .set("subnet_id", cx.expr(&self.subnet_id, "subnet_id")?)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
