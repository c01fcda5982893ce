//! IAM roles and instance profiles.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// One statement of an inline policy.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Statement {
    /// `Allow` when true, `Deny` otherwise.
    pub allow: bool,
    /// Actions, e.g. `secretsmanager:GetSecretValue`.
    pub actions: Vec<String>,
    /// Resource ARNs (never `*` for data access; validation warns).
    pub resources: Vec<Value<String>>,
}

/// A named inline policy.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Policy {
    /// Policy name, unique in the role.
    pub name: String,
    /// Statements.
    pub statements: Vec<Statement>,
}

/// `AWS::IAM::Role` / `aws_iam_role`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Role {
    /// What the role is for.
    pub description: String,
    /// Service principals allowed to assume it, e.g. `ec2.amazonaws.com`.
    pub assumed_by: Vec<String>,
    /// Managed policies attached.
    pub managed_policy_arns: Vec<Value<String>>,
    /// Inline policies.
    pub policies: Vec<Policy>,
}

/// `AWS::IAM::InstanceProfile` / `aws_iam_instance_profile`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct InstanceProfile {
    /// The role's name.
    pub role: Value<String>,
}

impl ResourceKind for Role {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Role",
        label: "IAM role",
        provider: Provider::Aws,
        cloudformation: Some("AWS::IAM::Role"),
        terraform: Some("aws_iam_role"),
        attrs: &[by_ref(Attr::Name, "name"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Derived { max: 64 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["RoleName", "Path"],
        replacement_notes: &[],
        teardown: 12,
    };
}

impl ResourceKind for InstanceProfile {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "InstanceProfile",
        label: "instance profile",
        provider: Provider::Aws,
        cloudformation: Some("AWS::IAM::InstanceProfile"),
        terraform: Some("aws_iam_instance_profile"),
        attrs: &[by_ref(Attr::Name, "name"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Derived { max: 64 },
        tagging: Tagging::Untagged("CloudFormation cannot tag an instance profile"),
        data: Data::None,
        replacement: crate::replace!["InstanceProfileName", "Path"],
        replacement_notes: &[],
        teardown: 11,
    };
}
