//! KMS keys in CloudFormation: the account administers the key through IAM (the key policy
//! AWS gives a key by default), and the named services may use it.

use iac_core::model::{KEY_DELETION_WINDOW_DAYS, Key};
use serde_json::{Value as Json, json};

use super::Renderer;

impl Renderer<'_> {
    pub(super) fn key(x: &Key) -> Json {
        let mut statements = vec![json!({
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": { "AWS": { "Fn::Join": ["", ["arn:aws:iam::", { "Ref": "AWS::AccountId" }, ":root"]] } },
            "Action": "kms:*",
            "Resource": "*",
        })];
        if !x.service_users.is_empty() {
            statements.push(json!({
                "Sid": "ServicesUseTheKey",
                "Effect": "Allow",
                "Principal": { "Service": x.service_users },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }));
        }
        json!({
            "Description": x.description,
            "EnableKeyRotation": true,
            "PendingWindowInDays": KEY_DELETION_WINDOW_DAYS,
            "KeyPolicy": { "Version": "2012-10-17", "Statement": statements },
        })
    }
}
