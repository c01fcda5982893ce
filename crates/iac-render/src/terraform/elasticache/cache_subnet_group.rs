//! A cache subnet group (`aws_elasticache_subnet_group`).

use iac_core::model::{CacheSubnetGroup, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::rds::subnet_group;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for CacheSubnetGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        subnet_group(cx, entry, &self.description, &self.subnet_ids)
    }
}
