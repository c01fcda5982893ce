//! EC2 launch templates, instances, auto scaling groups and scaling policies.

use serde::Serialize;

use crate::app::HostConfig;
pub use crate::app::RootVolume;
use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// What an instance runs: image, size, network, identity and boot script. Shared by
/// [`LaunchTemplate`] and [`Instance`].
#[derive(Debug, Clone, Serialize, Refs)]
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

/// `AWS::EC2::LaunchTemplate` / `aws_launch_template`. IMDSv2 is always required.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct LaunchTemplate {
    /// The template's name (physical); derived from stack, env and id when absent.
    pub name: Option<String>,
    /// What instances launched from it run; `None` for a template of the instance metadata
    /// options alone, which a single [`Instance`] carrying its own machine launches from
    /// ([`Instance::launch_template`]).
    pub machine: Option<MachineSpec>,
}

/// `AWS::EC2::Instance` / `aws_instance`, for single hosts.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Instance {
    /// The subnet (private in this project's patterns).
    pub subnet_id: Value<String>,
    /// What it runs.
    pub machine: MachineSpec,
    /// The launch template it is launched from, for what `AWS::EC2::Instance` cannot say itself:
    /// the instance metadata options (IMDSv2 required). [`crate::patterns::host::Host`] gives
    /// every host one (a [`LaunchTemplate`] without a machine), so CloudFormation, Terraform and
    /// the SDK path launch the same instance. Changing it replaces the instance.
    pub launch_template: Option<InstanceTemplate>,
}

/// The launch template of an [`Instance`]: its id and version.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct InstanceTemplate {
    /// The template's id.
    pub id: Value<String>,
    /// The version (usually the template's latest version number).
    pub version: Value<String>,
}

/// How the ASG decides an instance is unhealthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum HealthCheckType {
    /// EC2 status checks only.
    Ec2,
    /// The load balancer's target health as well.
    Elb,
}

/// `AWS::AutoScaling::AutoScalingGroup` / `aws_autoscaling_group`.
#[derive(Debug, Clone, Serialize, Refs)]
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

/// Predefined target tracking metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum TrackedMetric {
    /// `ASGAverageCPUUtilization`, in percent.
    AverageCpu,
    /// `ASGAverageNetworkIn`, bytes.
    AverageNetworkIn,
}

/// `AWS::AutoScaling::ScalingPolicy` / `aws_autoscaling_policy` (target tracking).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct ScalingPolicy {
    /// The group's name.
    pub auto_scaling_group_name: Value<String>,
    /// The metric to track.
    pub metric: TrackedMetric,
    /// The target value.
    pub target_value: f64,
}

impl ResourceKind for LaunchTemplate {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "LaunchTemplate",
        label: "launch template",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::LaunchTemplate"),
        terraform: Some("aws_launch_template"),
        attrs: &[by_ref(Attr::Id, "id"), get_att(Attr::LatestVersionNumber, "LatestVersionNumber", "latest_version")],
        naming: Naming::Explicit { max: 128 },
        tagging: Tagging::OwnRendering("TagSpecifications"),
        data: Data::None,
        replacement: crate::replace!["LaunchTemplateName"],
        replacement_notes: &[],
        teardown: 7,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
    fn host(&self) -> Option<&HostConfig> {
        self.machine.as_ref()?.user_data.as_ref()
    }
    fn machine(&self) -> Option<&MachineSpec> {
        self.machine.as_ref()
    }
}

impl ResourceKind for Instance {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Instance",
        label: "EC2 instance",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::Instance"),
        terraform: Some("aws_instance"),
        attrs: &[by_ref(Attr::Id, "id"), get_att(Attr::PrivateIp, "PrivateIp", "private_ip")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["AvailabilityZone", "CpuOptions", "ElasticGpuSpecifications", "ElasticInferenceAccelerators", "EnclaveOptions", "HibernationOptions", "HostResourceGroupArn", "ImageId": "an instance boots from its image once", "Ipv6AddressCount", "Ipv6Addresses", "KeyName", "LaunchTemplate", "LicenseSpecifications", "NetworkInterfaces", "PlacementGroupName", "PrivateIpAddress", "SecurityGroups", "SubnetId": "an instance lives in one subnet for life", "Tenancy": "the SDK path does not move a running instance between tenancies", "HostId": "the SDK path does not move a running instance between hosts", "BlockDeviceMappings": "the SDK path does not resize or swap the volumes of a running instance"],
        replacement_notes: &[
            ("Tenancy", "CloudFormation changes it with a stop and start; the SDK path replaces"),
            ("HostId", "as Tenancy"),
            (
                "BlockDeviceMappings",
                "CloudFormation updates some mappings in place; the SDK path replaces the instance (a data volume is a separate kind and is kept)",
            ),
        ],
        teardown: 6,
    };
    fn host(&self) -> Option<&HostConfig> {
        self.machine.user_data.as_ref()
    }
    fn machine(&self) -> Option<&MachineSpec> {
        Some(&self.machine)
    }
}

impl ResourceKind for AutoScalingGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "AutoScalingGroup",
        label: "auto scaling group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::AutoScaling::AutoScalingGroup"),
        terraform: Some("aws_autoscaling_group"),
        attrs: &[by_ref(Attr::Name, "name")],
        naming: Naming::Explicit { max: 255 },
        tagging: Tagging::OwnRendering("Tags"),
        data: Data::None,
        replacement: crate::replace!["InstanceId", "AutoScalingGroupName"],
        replacement_notes: &[],
        teardown: 2,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}

impl ResourceKind for ScalingPolicy {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "ScalingPolicy",
        label: "scaling policy",
        provider: Provider::Aws,
        cloudformation: Some("AWS::AutoScaling::ScalingPolicy"),
        terraform: Some("aws_autoscaling_policy"),
        attrs: &[by_ref(Attr::Arn, "arn")],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("a scaling policy takes no tags"),
        data: Data::None,
        replacement: crate::replace!["AutoScalingGroupName": "a policy moves to another group by being created there"],
        replacement_notes: &[],
        teardown: 1,
    };
}
