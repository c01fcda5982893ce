//! A cache parameter group (`aws_elasticache_parameter_group`).

use iac_core::model::{CacheParameterGroup, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::rds::parameter_group;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for CacheParameterGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        Ok(parameter_group(cx, entry, &self.family, &self.description, &self.parameters, &[]))
    }
}
