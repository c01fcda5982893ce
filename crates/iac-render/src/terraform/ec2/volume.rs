//! An EBS data volume (`aws_ebs_volume`). A volume that holds data keeps a final snapshot if it
//! is ever destroyed (`final_snapshot`, as CloudFormation's `Snapshot` policy).

use hcl::Expression;
use iac_core::model::{ResourceEntry, Volume};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Volume {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("availability_zone", cx.expr(&self.availability_zone, "availability_zone")?)
            .set("size", self.size_gib)
            .set("type", self.volume_type.as_str())
            .set("encrypted", self.encrypted)
            .set_opt("kms_key_id", cx.opt_expr(self.kms_key_id.as_ref(), "kms_key_id")?)
            .set_opt("iops", self.iops.map(Expression::from))
            .set_opt("throughput", self.throughput_mibps.map(Expression::from))
            .set("final_snapshot", true)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
