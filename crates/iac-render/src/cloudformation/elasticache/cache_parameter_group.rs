//! A cache parameter group (`AWS::ElastiCache::ParameterGroup`).

use iac_core::model::{CacheParameterGroup, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for CacheParameterGroup {
    fn properties(&self, _: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(
            json!({ "CacheParameterGroupFamily": self.family, "Description": self.description, "Properties": self.parameters }),
        )
    }
}
