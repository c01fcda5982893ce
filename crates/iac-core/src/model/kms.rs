//! KMS keys of the stack's own, for what the AWS-managed keys cannot do: an AWS service that
//! writes to an encrypted resource as itself (CloudWatch publishing an alarm to an encrypted SNS
//! topic) needs a key policy that names it, and the policies of AWS-managed keys cannot change.

use serde::Serialize;

use crate::value::Refs;

use crate::model::spec::prelude::*;

/// `AWS::KMS::Key` / `aws_kms_key`: a symmetric key, rotated every year, that the account
/// administers through IAM and that `service_users` may encrypt and decrypt with.
///
/// Deleting it is never immediate: KMS schedules the deletion 30 days ahead and it can be
/// cancelled until then, so the kind is not one that holds data; what it encrypts is.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Key {
    /// What it protects.
    pub description: String,
    /// Service principals (e.g. `cloudwatch.amazonaws.com`) allowed `kms:GenerateDataKey*` and
    /// `kms:Decrypt` with it.
    pub service_users: Vec<String>,
}
/// Days KMS waits before it deletes a key that is no longer in the stack.
pub const KEY_DELETION_WINDOW_DAYS: u32 = 30;

impl ResourceKind for Key {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Key",
        label: "KMS key",
        provider: Provider::Aws,
        cloudformation: Some("AWS::KMS::Key"),
        terraform: Some("aws_kms_key"),
        attrs: &[by_ref(Attr::Id, "key_id"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Unnamed,
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace![],
        replacement_notes: &[],
        teardown: 14,
    };
}
