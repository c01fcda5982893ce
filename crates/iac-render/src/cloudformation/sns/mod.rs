//! SNS kinds (`AWS::SNS::*`): topics and subscriptions.

mod subscription;
mod topic;
