//! A VPC (`aws_vpc`).

use iac_core::model::{ResourceEntry, Vpc};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Vpc {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("cidr_block", cx.expr(&self.cidr_block, "cidr_block")?)
            .set("enable_dns_hostnames", self.enable_dns_hostnames)
            .set("enable_dns_support", self.enable_dns_support)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
