//! A cache subnet group (`AWS::ElastiCache::SubnetGroup`).

use iac_core::model::{CacheSubnetGroup, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for CacheSubnetGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "CacheSubnetGroupName": cx.name(entry),
            "Description": self.description,
            "SubnetIds": cx.list(&self.subnet_ids, "")?,
        }))
    }
}
