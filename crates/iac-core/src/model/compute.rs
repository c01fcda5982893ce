//! EC2 launch templates, instances, auto scaling groups and scaling policies.

use serde::Serialize;

use crate::app::HostConfig;
pub use crate::app::RootVolume;
use crate::impl_refs;
use crate::value::Value;

/// What an instance runs: image, size, network, identity and boot script. Shared by
/// [`LaunchTemplate`] and [`Instance`].
#[derive(Debug, Clone, Serialize)]
pub struct MachineSpec {
    /// The AMI, usually a parameter.
    pub image_id: Value<String>,
    /// Instance type, e.g. `t3.small`.
    pub instance_type: Value<String>,
    /// Security groups.
    pub security_group_ids: Vec<Value<String>>,
    /// Instance profile name.
    pub instance_profile: Option<Value<String>>,
    /// Root volume.
    pub root_volume: Option<RootVolume>,
    /// Host setup rendered to cloud-init user data.
    pub user_data: Option<HostConfig>,
    /// An EC2 key pair for SSH through the bastion hop (none: use SSM Session Manager).
    pub key_name: Option<Value<String>>,
    /// Detailed (1-minute) monitoring.
    pub detailed_monitoring: bool,
}
impl_refs!(MachineSpec { image_id, instance_type, security_group_ids, instance_profile, user_data, key_name });

/// `AWS::EC2::LaunchTemplate` / `aws_launch_template`. IMDSv2 is always required.
#[derive(Debug, Clone, Serialize)]
pub struct LaunchTemplate {
    /// The template's name (physical); derived from stack, env and id when absent.
    pub name: Option<String>,
    /// What instances launched from it run.
    pub machine: MachineSpec,
}
impl_refs!(LaunchTemplate { machine });

/// `AWS::EC2::Instance` / `aws_instance`, for single hosts.
#[derive(Debug, Clone, Serialize)]
pub struct Instance {
    /// The subnet (private in this project's patterns).
    pub subnet_id: Value<String>,
    /// What it runs.
    pub machine: MachineSpec,
}
impl_refs!(Instance { subnet_id, machine });

/// How the ASG decides an instance is unhealthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum HealthCheckType {
    /// EC2 status checks only.
    Ec2,
    /// The load balancer's target health as well.
    Elb,
}

/// `AWS::AutoScaling::AutoScalingGroup` / `aws_autoscaling_group`.
#[derive(Debug, Clone, Serialize)]
pub struct AutoScalingGroup {
    /// The ASG's name (physical); derived when absent.
    pub name: Option<String>,
    /// Launch template id.
    pub launch_template_id: Value<String>,
    /// Launch template version (usually the latest version number).
    pub launch_template_version: Value<String>,
    /// Minimum size.
    pub min_size: u32,
    /// Maximum size.
    pub max_size: u32,
    /// Desired capacity.
    pub desired_capacity: u32,
    /// Subnets (private).
    pub subnet_ids: Vec<Value<String>>,
    /// Target groups to register instances in.
    pub target_group_arns: Vec<Value<String>>,
    /// Health check source.
    pub health_check_type: HealthCheckType,
    /// Seconds before health checks count after launch.
    pub health_check_grace_period: u32,
}
impl_refs!(AutoScalingGroup { launch_template_id, launch_template_version, subnet_ids, target_group_arns });

/// Predefined target tracking metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TrackedMetric {
    /// `ASGAverageCPUUtilization`, in percent.
    AverageCpu,
    /// `ASGAverageNetworkIn`, bytes.
    AverageNetworkIn,
}

/// `AWS::AutoScaling::ScalingPolicy` / `aws_autoscaling_policy` (target tracking).
#[derive(Debug, Clone, Serialize)]
pub struct ScalingPolicy {
    /// The group's name.
    pub auto_scaling_group_name: Value<String>,
    /// The metric to track.
    pub metric: TrackedMetric,
    /// The target value.
    pub target_value: f64,
}
impl_refs!(ScalingPolicy { auto_scaling_group_name });
