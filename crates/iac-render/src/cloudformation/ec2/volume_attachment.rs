//! An EBS volume attached to an instance (`AWS::EC2::VolumeAttachment`).

use iac_core::model::{ResourceEntry, VolumeAttachment};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for VolumeAttachment {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "InstanceId": cx.value(&self.instance_id, "InstanceId")?,
            "VolumeId": cx.value(&self.volume_id, "InstanceId")?,
            "Device": self.device,
        }))
    }
}
