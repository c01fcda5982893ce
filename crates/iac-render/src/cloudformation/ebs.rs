//! EBS data volumes and their attachments in CloudFormation.

use iac_core::model::{ResourceEntry, Volume, VolumeAttachment};
use serde_json::{Value as Json, json};

use super::{Ctx, Renderer};
use crate::error::RenderError;

impl Renderer<'_> {
    pub(super) fn volume(&self, entry: &ResourceEntry, x: &Volume) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "AvailabilityZone".into() };
        let mut p = json!({
            "AvailabilityZone": self.str_value(&x.availability_zone, &ctx)?,
            "Size": x.size_gib,
            "VolumeType": x.volume_type,
            "Encrypted": x.encrypted,
        });
        if let Some(key) = &x.kms_key_id {
            p["KmsKeyId"] = self.str_value(key, &ctx)?;
        }
        if let Some(iops) = x.iops {
            p["Iops"] = json!(iops);
        }
        if let Some(throughput) = x.throughput_mibps {
            p["Throughput"] = json!(throughput);
        }
        Ok(p)
    }

    pub(super) fn volume_attachment(&self, entry: &ResourceEntry, x: &VolumeAttachment) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "InstanceId".into() };
        Ok(json!({
            "InstanceId": self.str_value(&x.instance_id, &ctx)?,
            "VolumeId": self.str_value(&x.volume_id, &ctx)?,
            "Device": x.device,
        }))
    }
}
