//! An IAM role (`AWS::IAM::Role`) with its trust policy, managed and inline policies.

use iac_core::model::{ResourceEntry, Role, Statement};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Role {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let policies = self
            .policies
            .iter()
            .map(|p| Ok(json!({ "PolicyName": p.name, "PolicyDocument": policy_document(cx, &p.statements)? })))
            .collect::<Result<Vec<_>, RenderError>>()?;
        let mut p = json!({
            "RoleName": cx.name(entry),
            "Description": self.description,
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{ "Effect": "Allow", "Principal": { "Service": self.assumed_by }, "Action": "sts:AssumeRole" }],
            },
        });
        if !self.managed_policy_arns.is_empty() {
            p["ManagedPolicyArns"] = cx.list(&self.managed_policy_arns, "")?;
        }
        if !policies.is_empty() {
            p["Policies"] = Json::Array(policies);
        }
        Ok(p)
    }
}

fn policy_document(cx: &CfnContext<'_>, statements: &[Statement]) -> Result<Json, RenderError> {
    let st = statements
        .iter()
        .map(|s| {
            Ok(json!({
                "Effect": if s.allow { "Allow" } else { "Deny" },
                "Action": s.actions,
                "Resource": cx.list(&s.resources, "Policies")?,
            }))
        })
        .collect::<Result<Vec<_>, RenderError>>()?;
    Ok(json!({ "Version": "2012-10-17", "Statement": st }))
}
