//! A bucket policy (`aws_s3_bucket_policy`).

use hcl::Expression;
use iac_core::model::{BucketPolicy, Principal, ResourceEntry};
use indexmap::IndexMap;

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};
use crate::terraform::{func, object};

impl ToTerraform for BucketPolicy {
    fn arguments(&self, cx: &mut TfContext<'_>, _: &ResourceEntry) -> Result<Args, RenderError> {
        let mut statements = Vec::new();
        for st in &self.statements {
            let principal = match &st.principal {
                Principal::Any => Expression::from("*"),
                Principal::Service(s) => object([("Service", Expression::from(s.as_str()))]),
                Principal::Aws(v) => object([("AWS", cx.expr(v, "policy")?)]),
            };
            let actions: Vec<Expression> = st.actions.iter().map(|x| Expression::from(x.as_str())).collect();
            let mut pairs = vec![
                ("Sid", Expression::from(st.sid.as_str())),
                ("Effect", Expression::from(if st.allow { "Allow" } else { "Deny" })),
                ("Principal", principal),
                ("Action", Expression::Array(actions)),
                ("Resource", cx.exprs(&st.resources, "policy")?),
            ];
            if !st.conditions.is_empty() {
                let mut ops: IndexMap<String, Vec<(String, Expression)>> = IndexMap::new();
                for c in &st.conditions {
                    let value = match c.values.as_slice() {
                        [one] => cx.expr(one, "policy")?,
                        many => cx.exprs(many, "policy")?,
                    };
                    ops.entry(c.operator.clone()).or_default().push((c.key.clone(), value));
                }
                let cond = object(
                    ops.iter().map(|(op, kvs)| (op.as_str(), object(kvs.iter().map(|(k, v)| (k.as_str(), v.clone()))))),
                );
                pairs.push(("Condition", cond));
            }
            statements.push(object(pairs));
        }
        let document =
            object([("Version", Expression::from("2012-10-17")), ("Statement", Expression::Array(statements))]);
        let mut a = Args::default();
        a.set("bucket", cx.expr(&self.bucket, "bucket")?).set("policy", func("jsonencode", [document]));
        Ok(a)
    }
}
