//! Secrets Manager secrets whose value is generated where the stack is deployed, such as a web
//! framework's session signing key (Rails' `SECRET_KEY_BASE`, Django's and Ichnaea's
//! `SECRET_KEY`): no parameter to fill in, no value in any template or state the model writes.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::model::{Handle, Statement};
use crate::value::{Refs, SecretRef, Value};

/// How the value is generated: `length` characters of letters and digits, and punctuation
/// unless it is excluded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct GeneratedValue {
    /// Characters, 1 to 4096.
    pub length: u32,
    /// No punctuation: the value goes into env files and URLs unquoted.
    pub exclude_punctuation: bool,
    /// Characters never used.
    pub exclude_characters: String,
}

/// `AWS::SecretsManager::Secret` with `GenerateSecretString` / `aws_secretsmanager_secret` plus
/// an `aws_secretsmanager_secret_version` whose value the AWS provider's
/// `aws_secretsmanager_random_password` data source generates once (later plans ignore it).
///
/// It holds data: the value cannot be made again, and losing it loses what it protects (a
/// session key: every user is logged out).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Secret {
    /// The secret's name (physical, unique in the account and region); `<stack>-<env>-<id>`
    /// when absent.
    pub name: Option<String>,
    /// What it is for.
    pub description: String,
    /// A customer-managed KMS key; the AWS-managed `aws/secretsmanager` key when absent.
    pub kms_key_id: Option<Value<String>>,
    /// How its value is generated.
    pub generate: GeneratedValue,
}
impl Secret {
    /// A secret of `length` letters and digits, generated at deploy time.
    pub fn generated(description: impl Into<String>, length: u32) -> Self {
        Self {
            name: None,
            description: description.into(),
            kms_key_id: None,
            generate: GeneratedValue { length, exclude_punctuation: true, exclude_characters: String::new() },
        }
    }
}

impl Handle<Secret> {
    /// The secret's ARN (its id in both backends).
    pub fn arn(&self) -> Value<String> {
        self.attr(Attr::Id)
    }

    /// Its value, read where it is used (at boot through the instance role, by the ECS agent).
    pub fn value(&self) -> SecretRef {
        SecretRef::secrets_manager(self.arn())
    }

    /// The IAM statement that lets a role read it.
    pub fn read_statement(&self) -> Statement {
        Statement {
            allow: true,
            actions: vec!["secretsmanager:GetSecretValue".into(), "secretsmanager:DescribeSecret".into()],
            resources: vec![self.arn()],
        }
    }
}

impl ResourceKind for Secret {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Secret",
        label: "Secrets Manager secret",
        provider: Provider::Aws,
        cloudformation: Some("AWS::SecretsManager::Secret"),
        terraform: Some("aws_secretsmanager_secret"),
        attrs: &[by_ref(Attr::Id, "id")],
        naming: Naming::Explicit { max: 512 },
        tagging: Tagging::Property("Tags"),
        data: Data::Holds { keep: Keep::Retain },
        replacement: crate::replace!["Name": "a secret is known by its name"],
        replacement_notes: &[],
        teardown: 13,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}
