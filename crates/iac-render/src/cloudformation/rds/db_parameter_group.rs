//! A DB parameter group (`AWS::RDS::DBParameterGroup`).

use iac_core::model::{DbParameterGroup, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for DbParameterGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "DBParameterGroupName": cx.name(entry),
            "Description": self.description,
            "Family": self.family,
            "Parameters": self.parameters,
        }))
    }
}
