//! An access point of a file system (`aws_efs_access_point`).

use iac_core::model::{AccessPoint, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for AccessPoint {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut user = Args::default();
        user.set("uid", self.posix_user.uid).set("gid", self.posix_user.gid);
        let mut info = Args::default();
        info.set("owner_uid", self.posix_user.uid)
            .set("owner_gid", self.posix_user.gid)
            .set("permissions", self.permissions.as_str());
        let mut root = Args::default();
        root.set("path", self.root_directory.as_str()).nested("creation_info", info);
        let mut a = Args::default();
        a.set("file_system_id", cx.expr(&self.file_system_id, "file_system_id")?)
            .nested("posix_user", user)
            .nested("root_directory", root)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
