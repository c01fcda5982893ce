//! KMS kinds (`AWS::KMS::*`): keys.

mod key;
