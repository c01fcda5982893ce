//! A subnet (`aws_subnet`).

use iac_core::model::{ResourceEntry, Subnet};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Subnet {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("vpc_id", cx.expr(&self.vpc_id, "vpc_id")?)
            .set("cidr_block", cx.expr(&self.cidr_block, "cidr_block")?)
            .set("availability_zone", cx.expr(&self.availability_zone, "availability_zone")?)
            .set("map_public_ip_on_launch", self.map_public_ip_on_launch)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
