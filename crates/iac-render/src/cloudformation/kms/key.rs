//! A KMS key (`AWS::KMS::Key`): the account administers the key through IAM (the key policy AWS
//! gives a key by default), and the named services may use it.

use iac_core::model::{KEY_DELETION_WINDOW_DAYS, Key, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Key {
    fn properties(&self, _: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut statements = vec![json!({
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": { "AWS": { "Fn::Join": ["", ["arn:aws:iam::", { "Ref": "AWS::AccountId" }, ":root"]] } },
            "Action": "kms:*",
            "Resource": "*",
        })];
        if !self.service_users.is_empty() {
            statements.push(json!({
                "Sid": "ServicesUseTheKey",
                "Effect": "Allow",
                "Principal": { "Service": self.service_users },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }));
        }
        Ok(json!({
            "Description": self.description,
            "EnableKeyRotation": true,
            "PendingWindowInDays": KEY_DELETION_WINDOW_DAYS,
            "KeyPolicy": { "Version": "2012-10-17", "Statement": statements },
        }))
    }
}
