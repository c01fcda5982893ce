//! An instance profile (`aws_iam_instance_profile`) for one role.

use hcl::Expression;
use iac_core::model::{InstanceProfile, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for InstanceProfile {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("role", cx.expr(&self.role, "role")?)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
