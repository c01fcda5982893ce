//! IAM roles and instance profiles.

use serde::Serialize;

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
