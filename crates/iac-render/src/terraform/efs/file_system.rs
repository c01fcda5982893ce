//! An EFS file system (`aws_efs_file_system`) and its backup policy (`aws_efs_backup_policy`).

use iac_core::model::{FileSystem, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::traversal;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for FileSystem {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("encrypted", self.encrypted).set_opt("kms_key_id", cx.opt_expr(self.kms_key_id.as_ref(), "kms_key_id")?);
        a.set("performance_mode", self.performance_mode.as_aws()).set("throughput_mode", "elastic");
        if let Some(days) = self.transition_to_ia_days {
            let mut ia = Args::default();
            ia.set("transition_to_ia", format!("AFTER_{days}_{}", if days == 1 { "DAY" } else { "DAYS" }));
            a.nested("lifecycle_policy", ia);
            let mut back = Args::default();
            back.set("transition_to_primary_storage_class", "AFTER_1_ACCESS");
            a.nested("lifecycle_policy", back);
        }
        a.set_opt("tags", cx.tags(entry));
        let label = cx.label().to_owned();
        let mut policy = Args::default();
        policy.set("status", if self.backups { "ENABLED" } else { "DISABLED" });
        let mut backup = Args::default();
        backup.set("file_system_id", traversal("aws_efs_file_system", &[&label, "id"])).nested("backup_policy", policy);
        cx.extra("aws_efs_backup_policy", label, backup);
        Ok(a)
    }
}
