//! A KMS key (`aws_kms_key`): the same key policy as CloudFormation's, as `jsonencode` of an object
//! whose account id is the `aws_caller_identity` data source.

use hcl::Expression;
use iac_core::model::{KEY_DELETION_WINDOW_DAYS, Key, ResourceEntry};
use iac_core::value::{Pseudo, Value};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};
use crate::terraform::{func, object};

impl ToTerraform for Key {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let tags = cx.tags(entry);
        let root = Value::join([Value::from("arn:aws:iam::"), Value::Pseudo(Pseudo::AccountId), Value::from(":root")]);
        let mut statements = vec![object([
            ("Sid", Expression::from("AccountAdministersTheKey")),
            ("Effect", Expression::from("Allow")),
            ("Principal", object([("AWS", cx.expr(&root, "policy")?)])),
            ("Action", Expression::from("kms:*")),
            ("Resource", Expression::from("*")),
        ])];
        if !self.service_users.is_empty() {
            let services = self.service_users.iter().map(|s| Expression::from(s.as_str())).collect();
            statements.push(object([
                ("Sid", Expression::from("ServicesUseTheKey")),
                ("Effect", Expression::from("Allow")),
                ("Principal", object([("Service", Expression::Array(services))])),
                (
                    "Action",
                    Expression::Array(vec![Expression::from("kms:Decrypt"), Expression::from("kms:GenerateDataKey*")]),
                ),
                ("Resource", Expression::from("*")),
            ]));
        }
        let policy =
            object([("Version", Expression::from("2012-10-17")), ("Statement", Expression::Array(statements))]);
        let mut a = Args::default();
        a.set("description", self.description.as_str())
            .set("enable_key_rotation", true)
            .set("deletion_window_in_days", KEY_DELETION_WINDOW_DAYS)
            .set("policy", func("jsonencode", [policy]))
            .set_opt("tags", tags);
        Ok(a)
    }
}
