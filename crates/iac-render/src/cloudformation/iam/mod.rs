//! IAM kinds (`AWS::IAM::*`): roles and instance profiles.

mod instance_profile;
mod role;
