//! KMS kinds (`aws_kms_key`): keys.

mod key;
