//! An EBS volume attached to an instance (`aws_volume_attachment`). It stops its instance before
//! detaching, so the file system is unmounted cleanly when the host is replaced.

use iac_core::model::{ResourceEntry, VolumeAttachment};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for VolumeAttachment {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("device_name", self.device.as_str())
            .set("instance_id", cx.expr(&self.instance_id, "instance_id")?)
            .set("volume_id", cx.expr(&self.volume_id, "volume_id")?)
            .set("stop_instance_before_detaching", true);
        Ok(a)
    }
}
