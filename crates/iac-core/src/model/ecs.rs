//! ECS on Fargate: clusters, task definitions (whose containers are [`crate::app::Container`]s,
//! the same definitions compose, Kubernetes and user data render) and replica services.

use serde::Serialize;

use crate::app::Container;
use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// `AWS::ECS::Cluster` / `aws_ecs_cluster`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct EcsCluster {
    /// The cluster's name; derived when absent.
    pub name: Option<String>,
    /// CloudWatch Container Insights (per-task CPU, memory and network metrics).
    pub container_insights: bool,
}

/// Where the containers of a task send their output: the `awslogs` driver into a log group.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct AwsLogs {
    /// The log group's name.
    pub group: Value<String>,
    /// Its region.
    pub region: Value<String>,
    /// Stream prefix (streams are `<prefix>/<container>/<task id>`).
    pub stream_prefix: String,
}

/// A task volume on an EFS file system, mounted through an access point with TLS in transit and
/// IAM authorization (the task role must be allowed to mount it).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct EfsVolume {
    /// The volume's name, which container mounts use as their `source`.
    pub name: String,
    /// The file system's id.
    pub file_system_id: Value<String>,
    /// The access point's id (it fixes the POSIX user and the root directory).
    pub access_point_id: Value<String>,
}

/// CPU architecture of a Fargate task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum CpuArchitecture {
    /// `X86_64`.
    X86_64,
    /// `ARM64` (Graviton).
    Arm64,
}

impl CpuArchitecture {
    /// The ECS API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            CpuArchitecture::X86_64 => "X86_64",
            CpuArchitecture::Arm64 => "ARM64",
        }
    }
}

/// `AWS::ECS::TaskDefinition` / `aws_ecs_task_definition`: Fargate, `awsvpc` networking.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct TaskDefinition {
    /// The family; derived when absent.
    pub family: Option<String>,
    /// Task CPU units (256, 512, 1024, 2048, 4096...).
    pub cpu: u32,
    /// Task memory in MiB (a Fargate size for the CPU).
    pub memory_mib: u32,
    /// The role the ECS agent uses to pull the image, read secrets and write logs.
    pub execution_role_arn: Value<String>,
    /// The role the application's code runs with.
    pub task_role_arn: Value<String>,
    /// The containers; the first one is the essential application container.
    pub containers: Vec<Container>,
    /// Log destination of every container.
    pub logs: Option<AwsLogs>,
    /// Shared volumes on EFS.
    pub volumes: Vec<EfsVolume>,
    /// CPU architecture.
    pub cpu_architecture: CpuArchitecture,
}

/// The load balancer a service registers its tasks with.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct ServiceLoadBalancer {
    /// Target group (IP targets).
    pub target_group_arn: Value<String>,
    /// The container that receives traffic.
    pub container_name: String,
    /// Its port.
    pub container_port: u16,
}

/// Where a task's network interface goes.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct TaskNetwork {
    /// Subnets (private ones).
    pub subnet_ids: Vec<Value<String>>,
    /// Security groups.
    pub security_group_ids: Vec<Value<String>>,
    /// A public address for each task (validation refuses it: tasks sit behind the load balancer).
    pub assign_public_ip: bool,
}

/// `AWS::ECS::Service` / `aws_ecs_service`: a REPLICA service on Fargate.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct EcsService {
    /// The service's name; derived when absent.
    pub name: Option<String>,
    /// The cluster's ARN.
    pub cluster: Value<String>,
    /// The task definition's ARN.
    pub task_definition: Value<String>,
    /// Tasks kept running.
    pub desired_count: u32,
    /// Network placement.
    pub network: TaskNetwork,
    /// Load balancer registration.
    pub load_balancer: Option<ServiceLoadBalancer>,
    /// Seconds the scheduler ignores failing load balancer health checks after a task starts.
    pub health_check_grace_period_seconds: u32,
    /// Lower bound of running tasks during a deployment, in percent of the desired count
    /// (100: capacity never drops).
    pub minimum_healthy_percent: u32,
    /// Upper bound during a deployment, in percent (200: a full new set starts beside the old).
    pub maximum_percent: u32,
    /// Stop a failing deployment and roll back to the last one that reached a steady state.
    pub circuit_breaker_rollback: bool,
}

impl ResourceKind for EcsCluster {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "EcsCluster",
        label: "ECS cluster",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ECS::Cluster"),
        terraform: Some("aws_ecs_cluster"),
        attrs: &[by_ref(Attr::Name, "name"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Explicit { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["ClusterName"],
        replacement_notes: &[],
        teardown: 8,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}

impl ResourceKind for TaskDefinition {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "TaskDefinition",
        label: "ECS task definition",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ECS::TaskDefinition"),
        terraform: Some("aws_ecs_task_definition"),
        attrs: &[by_ref(Attr::Arn, "arn")],
        naming: Naming::Explicit { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["Family", "ContainerDefinitions": "task definitions are immutable; a change registers a new revision", "Cpu", "EnableFaultInjection", "ExecutionRoleArn", "InferenceAccelerators", "Memory", "NetworkMode", "PlacementConstraints", "ProxyConfiguration", "RequiresCompatibilities", "RuntimePlatform", "TaskRoleArn", "Volumes", "PidMode", "IpcMode", "EphemeralStorage"],
        replacement_notes: &[],
        teardown: 7,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.family.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.family.as_mut()
    }
}

impl ResourceKind for EcsService {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "EcsService",
        label: "ECS service",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ECS::Service"),
        terraform: Some("aws_ecs_service"),
        attrs: &[get_att(Attr::Name, "Name", "name")],
        naming: Naming::Explicit { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["Cluster", "Role", "SchedulingStrategy", "ServiceName"],
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
