//! An SNS topic (`aws_sns_topic`), encrypted with a KMS key.

use hcl::Expression;
use iac_core::model::{ResourceEntry, Topic};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Topic {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("display_name", self.display_name.as_str())
            .set("kms_master_key_id", cx.expr(&self.kms_master_key_id, "kms_master_key_id")?)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
