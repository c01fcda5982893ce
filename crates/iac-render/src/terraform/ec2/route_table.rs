//! A route table (`aws_route_table`).

use iac_core::model::{ResourceEntry, RouteTable};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for RouteTable {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("vpc_id", cx.expr(&self.vpc_id, "vpc_id")?).set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
