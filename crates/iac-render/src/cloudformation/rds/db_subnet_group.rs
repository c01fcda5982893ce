//! A DB subnet group (`AWS::RDS::DBSubnetGroup`).

use iac_core::model::{DbSubnetGroup, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for DbSubnetGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "DBSubnetGroupName": cx.name(entry),
            "DBSubnetGroupDescription": self.description,
            "SubnetIds": cx.list(&self.subnet_ids, "")?,
        }))
    }
}
