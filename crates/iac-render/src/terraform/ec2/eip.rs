//! An Elastic IP (`aws_eip`) in the VPC domain.

use iac_core::model::{Eip, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Eip {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("domain", "vpc").set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
