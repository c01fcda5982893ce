//! A single EC2 instance (`aws_instance`).

use iac_core::model::{Instance, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

use super::metadata_options;

impl ToTerraform for Instance {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let m = &self.machine;
        let mut a = Args::default();
        a.set("ami", cx.expr(&m.image_id, "ami")?)
            .set("instance_type", cx.expr(&m.instance_type, "instance_type")?)
            .set("subnet_id", cx.expr(&self.subnet_id, "subnet_id")?)
            .set("vpc_security_group_ids", cx.exprs(&m.security_group_ids, "vpc_security_group_ids")?)
            .set_opt("iam_instance_profile", cx.opt_expr(m.instance_profile.as_ref(), "iam_instance_profile")?)
            .set_opt("key_name", cx.opt_expr(m.key_name.as_ref(), "key_name")?)
            .set("monitoring", m.detailed_monitoring)
            .set("ebs_optimized", true);
        if let Some(v) = &m.root_volume {
            let mut root = Args::default();
            root.set("volume_size", v.size_gib)
                .set("volume_type", v.volume_type.as_str())
                .set("encrypted", v.encrypted);
            a.nested("root_block_device", root);
        }
        if let Some(t) = &self.launch_template {
            let mut lt = Args::default();
            lt.set("id", cx.expr(&t.id, "launch_template")?).set("version", cx.expr(&t.version, "launch_template")?);
            a.nested("launch_template", lt);
        }
        // Also inline (the same options as the template's), where scanners look for them.
        a.nested("metadata_options", metadata_options());
        if m.user_data.is_some() {
            a.set("user_data_base64", cx.user_data()?);
        }
        a.set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
