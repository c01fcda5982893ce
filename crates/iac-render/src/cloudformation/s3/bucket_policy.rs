//! A bucket policy (`AWS::S3::BucketPolicy`).

use iac_core::model::{BucketPolicy, Principal, ResourceEntry};
use serde_json::{Map, Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for BucketPolicy {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut statements = Vec::new();
        for st in &self.statements {
            let principal = match &st.principal {
                Principal::Any => json!("*"),
                Principal::Service(s) => json!({ "Service": s }),
                Principal::Aws(v) => json!({ "AWS": cx.value(v, "")? }),
            };
            let mut o = json!({
                "Sid": st.sid,
                "Effect": if st.allow { "Allow" } else { "Deny" },
                "Principal": principal,
                "Action": st.actions,
                "Resource": cx.list(&st.resources, "")?,
            });
            if !st.conditions.is_empty() {
                let mut cond = Map::new();
                for c in &st.conditions {
                    let values = cx.list(&c.values, "")?;
                    let values = match values {
                        Json::Array(mut v) if v.len() == 1 => v.pop().unwrap_or(Json::Null),
                        other => other,
                    };
                    let op = cond.entry(c.operator.clone()).or_insert_with(|| json!({}));
                    op[c.key.as_str()] = values;
                }
                o["Condition"] = Json::Object(cond);
            }
            statements.push(o);
        }
        Ok(json!({
            "Bucket": cx.value(&self.bucket, "")?,
            "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
        }))
    }
}
