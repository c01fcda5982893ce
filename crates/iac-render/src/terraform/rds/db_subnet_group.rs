//! A DB subnet group (`aws_db_subnet_group`).

use iac_core::model::{DbSubnetGroup, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

use super::subnet_group;

impl ToTerraform for DbSubnetGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        subnet_group(cx, entry, &self.description, &self.subnet_ids)
    }
}
