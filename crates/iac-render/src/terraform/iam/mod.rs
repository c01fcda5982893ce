//! IAM kinds (`aws_iam_role`, `aws_iam_instance_profile`): roles and instance profiles.

mod instance_profile;
mod role;
