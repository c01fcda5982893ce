//! A launch template (`aws_launch_template`): the machine, tagged at launch, or only the metadata
//! options a single instance launches with.

use hcl::Expression;
use iac_core::model::{LaunchTemplate, MachineSpec, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

use super::metadata_options;

impl ToTerraform for LaunchTemplate {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let tags = cx.tags(entry);
        let Some(m) = &self.machine else {
            // The metadata options of a single instance, which tags itself.
            let mut a = Args::default();
            a.set_opt("name", cx.name(entry).map(Expression::from));
            a.nested("metadata_options", metadata_options());
            a.set_opt("tags", tags);
            return Ok(a);
        };
        let m: &MachineSpec = m;
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("image_id", cx.expr(&m.image_id, "image_id")?)
            .set("instance_type", cx.expr(&m.instance_type, "instance_type")?)
            .set("vpc_security_group_ids", cx.exprs(&m.security_group_ids, "vpc_security_group_ids")?)
            .set_opt("key_name", cx.opt_expr(m.key_name.as_ref(), "key_name")?)
            .set("ebs_optimized", true);
        if let Some(profile) = &m.instance_profile {
            let mut p = Args::default();
            p.set("name", cx.expr(profile, "iam_instance_profile")?);
            a.nested("iam_instance_profile", p);
        }
        if let Some(v) = &m.root_volume {
            let mut ebs = Args::default();
            ebs.set("volume_size", v.size_gib)
                .set("volume_type", v.volume_type.as_str())
                .set("encrypted", v.encrypted)
                .set("delete_on_termination", true);
            let mut bdm = Args::default();
            bdm.set("device_name", v.device_name.as_str()).nested("ebs", ebs);
            a.nested("block_device_mappings", bdm);
        }
        a.nested("metadata_options", metadata_options());
        let mut monitoring = Args::default();
        monitoring.set("enabled", m.detailed_monitoring);
        a.nested("monitoring", monitoring);
        if m.user_data.is_some() {
            a.set("user_data", cx.user_data()?);
        }
        if let Some(tags) = &tags {
            for kind in ["instance", "volume"] {
                let mut spec = Args::default();
                spec.set("resource_type", kind).set("tags", tags.clone());
                a.nested("tag_specifications", spec);
            }
        }
        a.set_opt("tags", tags);
        Ok(a)
    }
}
