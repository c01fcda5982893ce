//! Auto Scaling kinds (`AWS::AutoScaling::*`): groups, scaling policies and scheduled actions.

mod auto_scaling_group;
mod scaling_policy;
mod scheduled_action;
