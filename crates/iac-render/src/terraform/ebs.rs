//! EBS data volumes and their attachments in Terraform. A volume that holds data keeps a final
//! snapshot if it is ever destroyed (`final_snapshot`, as CloudFormation's `Snapshot` policy);
//! an attachment stops its instance before detaching, so the file system is unmounted cleanly
//! when the host is replaced.

use hcl::Expression;
use iac_core::model::{Volume, VolumeAttachment};

use super::{Args, Renderer};
use crate::error::RenderError;

impl Renderer<'_> {
    pub(super) fn volume(&mut self, r: &Volume, tags: Option<Expression>) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("availability_zone", self.expr(&r.availability_zone, "availability_zone")?)
            .set("size", r.size_gib)
            .set("type", r.volume_type.as_str())
            .set("encrypted", r.encrypted)
            .set_opt("kms_key_id", self.opt_expr(r.kms_key_id.as_ref(), "kms_key_id")?)
            .set_opt("iops", r.iops.map(Expression::from))
            .set_opt("throughput", r.throughput_mibps.map(Expression::from))
            .set("final_snapshot", true)
            .set_opt("tags", tags);
        Ok(a)
    }

    pub(super) fn volume_attachment(&mut self, r: &VolumeAttachment) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("device_name", r.device.as_str())
            .set("instance_id", self.expr(&r.instance_id, "instance_id")?)
            .set("volume_id", self.expr(&r.volume_id, "volume_id")?)
            .set("stop_instance_before_detaching", true);
        Ok(a)
    }
}
