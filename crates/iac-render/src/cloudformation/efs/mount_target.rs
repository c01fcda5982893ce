//! A mount target of a file system in one subnet (`AWS::EFS::MountTarget`).

use iac_core::model::{MountTarget, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for MountTarget {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "FileSystemId": cx.value(&self.file_system_id, "")?,
            "SubnetId": cx.value(&self.subnet_id, "")?,
            "SecurityGroups": cx.list(&self.security_group_ids, "")?,
        }))
    }
}
