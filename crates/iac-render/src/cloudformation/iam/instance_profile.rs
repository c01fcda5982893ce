//! An instance profile (`AWS::IAM::InstanceProfile`) for one role.

use iac_core::model::{InstanceProfile, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for InstanceProfile {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({ "InstanceProfileName": cx.name(entry), "Roles": [cx.value(&self.role, "")?] }))
    }
}
