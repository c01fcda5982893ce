//! A mount target of a file system in one subnet (`aws_efs_mount_target`).

use iac_core::model::{MountTarget, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for MountTarget {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("file_system_id", cx.expr(&self.file_system_id, "file_system_id")?)
            .set("subnet_id", cx.expr(&self.subnet_id, "subnet_id")?)
            .set("security_groups", cx.exprs(&self.security_group_ids, "security_groups")?);
        Ok(a)
    }
}
