//! Auto Scaling kinds (`aws_autoscaling_*`): groups, scaling policies and scheduled actions.

mod auto_scaling_group;
mod scaling_policy;
mod scheduled_action;
