//! An EBS data volume (`AWS::EC2::Volume`).

use iac_core::model::{ResourceEntry, Volume};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Volume {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "AvailabilityZone";
        let mut p = json!({
            "AvailabilityZone": cx.value(&self.availability_zone, prop)?,
            "Size": self.size_gib,
            "VolumeType": self.volume_type,
            "Encrypted": self.encrypted,
        });
        if let Some(key) = &self.kms_key_id {
            p["KmsKeyId"] = cx.value(key, prop)?;
        }
        if let Some(iops) = self.iops {
            p["Iops"] = json!(iops);
        }
        if let Some(throughput) = self.throughput_mibps {
            p["Throughput"] = json!(throughput);
        }
        Ok(p)
    }
}
