//! A CloudWatch Logs group (`aws_cloudwatch_log_group`).

use hcl::Expression;
use iac_core::model::{LogGroup, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for LogGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("retention_in_days", self.retention_days)
            .set_opt("kms_key_id", cx.opt_expr(self.kms_key_arn.as_ref(), "kms_key_id")?)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
