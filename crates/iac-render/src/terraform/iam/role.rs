//! An IAM role (`aws_iam_role`), its managed policy attachments and inline policies (blocks of their own).

use hcl::Expression;
use iac_core::model::{ResourceEntry, Role, Statement};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};
use crate::terraform::{func, object, traversal};

impl ToTerraform for Role {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let principals: Vec<Expression> = self.assumed_by.iter().map(|p| Expression::from(p.as_str())).collect();
        let assume = object([
            ("Version", Expression::from("2012-10-17")),
            (
                "Statement",
                Expression::Array(vec![object([
                    ("Effect", Expression::from("Allow")),
                    ("Principal", object([("Service", Expression::Array(principals))])),
                    ("Action", Expression::from("sts:AssumeRole")),
                ])]),
            ),
        ]);
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("description", self.description.as_str())
            .set("assume_role_policy", func("jsonencode", [assume]))
            .set_opt("tags", cx.tags(entry));

        let label = cx.label().to_owned();
        for (i, arn) in self.managed_policy_arns.iter().enumerate() {
            let mut att = Args::default();
            att.set("role", traversal("aws_iam_role", &[&label, "name"]))
                .set("policy_arn", cx.expr(arn, "managed_policy_arns")?);
            cx.extra("aws_iam_role_policy_attachment", format!("{label}_{}", i + 1), att);
        }
        for policy in &self.policies {
            let statements = policy.statements.iter().map(|s| statement(cx, s)).collect::<Result<Vec<_>, _>>()?;
            let document =
                object([("Version", Expression::from("2012-10-17")), ("Statement", Expression::Array(statements))]);
            let mut p = Args::default();
            p.set("name", policy.name.as_str())
                .set("role", traversal("aws_iam_role", &[&label, "id"]))
                .set("policy", func("jsonencode", [document]));
            let suffix: String = policy
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                .collect();
            cx.extra("aws_iam_role_policy", format!("{label}_{suffix}"), p);
        }
        Ok(a)
    }
}

fn statement(cx: &mut TfContext<'_>, s: &Statement) -> Result<Expression, RenderError> {
    let actions: Vec<Expression> = s.actions.iter().map(|x| Expression::from(x.as_str())).collect();
    Ok(object([
        ("Effect", Expression::from(if s.allow { "Allow" } else { "Deny" })),
        ("Action", Expression::Array(actions)),
        ("Resource", cx.exprs(&s.resources, "policy")?),
    ]))
}
