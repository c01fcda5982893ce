//! `ContainerService`: one [`Container`] as a REPLICA ECS service on Fargate behind an
//! application load balancer that terminates TLS.
//!
//! Adds the load balancer's security group (80/443 from the internet, shared with
//! [`super::WebTier`]), the tasks' group (the container port from the load balancer only), a
//! CloudWatch log group, the cluster (Container Insights on), optionally an encrypted EFS file
//! system for shared data (a mount target per private subnet behind a group that admits NFS only
//! from the tasks, and an access point with a fixed POSIX user and root directory), the
//! execution role (image pull, logs, the container's secrets) and the task role (mounting the
//! file system, plus the caller's statements), the task definition, the target group (IP
//! targets), the load balancer with its HTTP→HTTPS redirect and HTTPS listeners, the service
//! (deployment circuit breaker with rollback, 100%/200% so capacity never drops), and one
//! `EventBridge` Scheduler schedule per scheduled command, each running the task with its command
//! replaced, with the role the scheduler assumes.

use crate::app::Container;
use crate::id::LogicalId;
use crate::model::{
    AccessPoint, AwsLogs, CpuArchitecture, EcsCluster, EcsService, EfsVolume, FileSystem, Handle, HealthCheck,
    LoadBalancer, LogGroup, MountTarget, Peer, PerformanceMode, Policy, PosixUser, Role, Rule, RunTask, Schedule,
    ScheduleTarget, SecurityGroup, ServiceLoadBalancer, Statement, TargetGroup, TargetType, TaskDefinition,
    TaskNetwork,
};
use crate::patterns::network::Network;
use crate::patterns::web_tier::{PublicLoadBalancerProps, load_balancer_security_group, public_load_balancer};
use crate::stack::StackBuilder;
use crate::value::{Pseudo, SecretSource, Value};

/// The managed policy of the ECS agent (image pull from ECR, log streams).
pub const ECS_TASK_EXECUTION_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";
/// NFS.
pub const NFS_PORT: u16 = 2049;

/// A directory shared by every task, on EFS.
#[derive(Debug, Clone)]
pub struct SharedVolume {
    /// The volume's name; the container mounts it by this name (`Mount::source`).
    pub volume: String,
    /// The identity every file operation runs as (the application's user in the image).
    pub posix_user: PosixUser,
    /// The directory of the file system the tasks see as the volume's root, e.g. `/data`.
    pub root_directory: String,
    /// Permissions of that directory when the access point creates it, e.g. `0755`.
    pub permissions: String,
    /// Days without access before files move to Infrequent Access.
    pub transition_to_ia_days: Option<u32>,
}

/// A command run on a schedule as its own task (the container's command replaced).
#[derive(Debug, Clone)]
pub struct ScheduledCommand {
    /// Suffix of the logical ids, e.g. `ScheduleTick`.
    pub name: String,
    /// What it does.
    pub description: String,
    /// `rate(1 minute)` or `cron(0 3 * * ? *)`.
    pub expression: String,
    /// The command.
    pub command: Vec<String>,
}

/// What a container service looks like.
#[derive(Debug, Clone)]
pub struct ContainerServiceProps<'a> {
    /// Prefix of every logical id, e.g. `App`.
    pub name: &'a str,
    /// Where it runs: the load balancer in the public subnets, tasks and EFS in the private ones.
    pub network: &'a Network,
    /// The container (its first port receives the load balancer's traffic).
    pub container: Container,
    /// Task CPU units.
    pub cpu: u32,
    /// Task memory, MiB.
    pub memory_mib: u32,
    /// CPU architecture of the image.
    pub cpu_architecture: CpuArchitecture,
    /// Tasks kept running.
    pub desired_count: u32,
    /// The target group's health check.
    pub health_check: HealthCheck,
    /// Seconds a new task may fail health checks while it starts.
    pub health_check_grace_period_seconds: u32,
    /// ACM certificate of the HTTPS listener.
    pub certificate_arn: Value<String>,
    /// Refuse deletion of the load balancer through the API.
    pub deletion_protection: bool,
    /// Days the container's output is kept.
    pub log_retention_days: u32,
    /// A shared directory on EFS.
    pub shared_volume: Option<SharedVolume>,
    /// Commands run on a schedule.
    pub schedules: Vec<ScheduledCommand>,
    /// Time zone of the schedules' cron expressions.
    pub timezone: String,
    /// Extra permissions of the task role.
    pub statements: Vec<Statement>,
    /// Ports the tasks may open outside the VPC (443 for images and AWS APIs).
    pub internet_egress_ports: Vec<u16>,
    /// Ports the tasks may reach inside the VPC (the database's; NFS is added with a shared volume).
    pub vpc_egress_ports: Vec<u16>,
}

impl<'a> ContainerServiceProps<'a> {
    /// Two Fargate tasks of 0.5 vCPU and 1 GiB (x86-64) running `container` behind an
    /// internet-facing load balancer that terminates HTTPS with `certificate_arn`; health check
    /// `GET /` with a 60 s grace period, logs kept 30 days, no shared volume or schedules, UTC,
    /// HTTPS egress only, deletion protection on. Change what differs with struct update syntax.
    pub fn new(
        name: &'a str,
        network: &'a Network,
        container: Container,
        certificate_arn: impl Into<Value<String>>,
    ) -> Self {
        Self {
            name,
            network,
            container,
            cpu: 512,
            memory_mib: 1024,
            cpu_architecture: CpuArchitecture::X86_64,
            desired_count: 2,
            health_check: HealthCheck::http("/"),
            health_check_grace_period_seconds: 60,
            certificate_arn: certificate_arn.into(),
            deletion_protection: true,
            log_retention_days: 30,
            shared_volume: None,
            schedules: Vec::new(),
            timezone: "UTC".into(),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: Vec::new(),
        }
    }
}

/// Handles of a container service.
#[derive(Debug, Clone)]
pub struct ContainerService {
    /// The name given in its props (the prefix of its logical ids).
    pub name: String,
    /// The cluster.
    pub cluster: Handle<EcsCluster>,
    /// The task definition.
    pub task_definition: Handle<TaskDefinition>,
    /// The service.
    pub service: Handle<EcsService>,
    /// The log group of the containers.
    pub log_group: Handle<LogGroup>,
    /// The load balancer.
    pub load_balancer: Handle<LoadBalancer>,
    /// Its target group (IP targets).
    pub target_group: Handle<TargetGroup>,
    /// The tasks' security group (admit it from the database).
    pub task_security_group: Handle<SecurityGroup>,
    /// The load balancer's security group.
    pub load_balancer_security_group: Handle<SecurityGroup>,
    /// The shared file system, if any.
    pub file_system: Option<Handle<FileSystem>>,
    /// The task role.
    pub task_role: Handle<Role>,
    /// The execution role.
    pub execution_role: Handle<Role>,
}

/// What the ECS agent must be allowed to read to inject the container's secrets.
fn secret_statements(container: &Container) -> Vec<Statement> {
    let mut secrets = Vec::new();
    let mut parameters = Vec::new();
    for e in &container.env {
        if let Value::Secret(s) = &e.value {
            match &s.source {
                SecretSource::SecretsManager(id) => secrets.push((**id).clone()),
                SecretSource::SsmSecureString(name) => parameters.push(Value::join([
                    Value::from("arn:aws:ssm:"),
                    Value::Pseudo(Pseudo::Region),
                    Value::from(":"),
                    Value::Pseudo(Pseudo::AccountId),
                    Value::from(format!(":parameter/{}", name.trim_start_matches('/'))),
                ])),
            }
        }
    }
    let mut out = Vec::new();
    if !secrets.is_empty() {
        out.push(Statement { allow: true, actions: vec!["secretsmanager:GetSecretValue".into()], resources: secrets });
    }
    if !parameters.is_empty() {
        out.push(Statement { allow: true, actions: vec!["ssm:GetParameters".into()], resources: parameters });
    }
    out
}

fn ecs_role(
    stack: &mut StackBuilder,
    id: &str,
    description: String,
    managed: Vec<Value<String>>,
    statements: Vec<Statement>,
) -> Handle<Role> {
    let policies = if statements.is_empty() { Vec::new() } else { vec![Policy { name: "app".into(), statements }] };
    stack.add(
        id,
        Role {
            description,
            assumed_by: vec!["ecs-tasks.amazonaws.com".into()],
            managed_policy_arns: managed,
            policies,
        },
    )
}

impl ContainerService {
    /// Adds the service's resources.
    pub fn create(stack: &mut StackBuilder, p: ContainerServiceProps<'_>) -> Self {
        stack.pattern("ContainerService", p.name, |stack| Self::add_resources(stack, p))
    }

    /// [`Self::create`] inside its pattern scope.
    #[allow(clippy::too_many_lines)] // one declaration per resource, read top to bottom
    fn add_resources(stack: &mut StackBuilder, p: ContainerServiceProps<'_>) -> Self {
        let n = p.name;
        let what = format!("{} {} {n}", stack.name(), stack.env());
        let port = p.container.ports.first().map_or(80, |m| m.container);
        let container_name = p.container.name.clone();

        let lb_sg = load_balancer_security_group(stack, n, p.network, port, "tasks");
        let mut vpc_ports = p.vpc_egress_ports.clone();
        if p.shared_volume.is_some() && !vpc_ports.contains(&NFS_PORT) {
            vpc_ports.push(NFS_PORT);
        }
        let task_sg = stack.add(
            &format!("{n}TaskSecurityGroup"),
            SecurityGroup {
                description: format!("{what} tasks: the container port from the load balancer only"),
                vpc_id: p.network.vpc_id.clone(),
                ingress: vec![Rule::tcp(port, Peer::Group(lb_sg.group_id()), "from the load balancer")],
                egress: super::egress_rules(&p.internet_egress_ports, &vpc_ports, p.network),
            },
        );
        let log_group = stack.add_with(
            &format!("{n}LogGroup"),
            LogGroup { name: None, retention_days: p.log_retention_days, kms_key_arn: None },
            |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_158",
                    "CloudWatch Logs encrypts every log group at rest with its own keys; the stack holds no customer-managed KMS key",
                ));
                if p.log_retention_days < 365 {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_338",
                        "a shorter retention by this environment's choice: its logs are for debugging, not audit",
                    ));
                }
            },
        );
        let cluster = stack.add(&format!("{n}Cluster"), EcsCluster { name: None, container_insights: true });

        let mut task_statements = p.statements;
        let mut volumes = Vec::new();
        let mut file_system = None;
        if let Some(shared) = &p.shared_volume {
            let fs_sg = stack.add(
                &format!("{n}FileSystemSecurityGroup"),
                SecurityGroup {
                    description: format!("{what} file system: NFS from the tasks only"),
                    vpc_id: p.network.vpc_id.clone(),
                    ingress: vec![Rule::tcp(NFS_PORT, Peer::Group(task_sg.group_id()), "NFS from the tasks")],
                    egress: Vec::new(),
                },
            );
            let fs = stack.add_with(
                &format!("{n}FileSystem"),
                FileSystem {
                    encrypted: true,
                    kms_key_id: None,
                    performance_mode: PerformanceMode::GeneralPurpose,
                    backups: true,
                    transition_to_ia_days: shared.transition_to_ia_days,
                },
                |e| {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_184",
                        "encrypted with the AWS-managed EFS key; the stack holds no customer-managed KMS key",
                    ));
                },
            );
            for (i, subnet) in p.network.private_subnets.iter().enumerate() {
                stack.add(
                    &format!("{n}MountTarget{}", i + 1),
                    MountTarget {
                        file_system_id: fs.file_system_id(),
                        subnet_id: subnet.clone(),
                        security_group_ids: vec![fs_sg.group_id()],
                    },
                );
            }
            let ap = stack.add(
                &format!("{n}AccessPoint"),
                AccessPoint {
                    file_system_id: fs.file_system_id(),
                    posix_user: shared.posix_user,
                    root_directory: shared.root_directory.clone(),
                    permissions: shared.permissions.clone(),
                },
            );
            task_statements.push(Statement {
                allow: true,
                actions: vec!["elasticfilesystem:ClientMount".into(), "elasticfilesystem:ClientWrite".into()],
                resources: vec![fs.arn()],
            });
            volumes.push(EfsVolume {
                name: shared.volume.clone(),
                file_system_id: fs.file_system_id(),
                access_point_id: ap.access_point_id(),
            });
            file_system = Some(fs);
        }

        let execution_role = ecs_role(
            stack,
            &format!("{n}ExecutionRole"),
            format!("{what}: the ECS agent pulls the image, writes logs and reads the container's secrets"),
            vec![Value::from(ECS_TASK_EXECUTION_POLICY)],
            secret_statements(&p.container),
        );
        let task_role = ecs_role(
            stack,
            &format!("{n}TaskRole"),
            format!("{what}: the application in the tasks"),
            Vec::new(),
            task_statements,
        );
        let read_only = p.container.read_only_root_filesystem;
        let task_definition = stack.add_with(
            &format!("{n}TaskDefinition"),
            TaskDefinition {
                family: None,
                cpu: p.cpu,
                memory_mib: p.memory_mib,
                execution_role_arn: execution_role.arn(),
                task_role_arn: task_role.arn(),
                containers: vec![p.container],
                logs: Some(AwsLogs {
                    group: log_group.name(),
                    region: Value::Pseudo(Pseudo::Region),
                    stream_prefix: n.to_ascii_lowercase(),
                }),
                volumes,
                cpu_architecture: p.cpu_architecture,
            },
            |e| {
                if !read_only {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_336",
                        "the image's web server and PHP write caches and sockets under its own tree; shared data lives on the mounted volume",
                    ));
                }
            },
        );
        let (target_group, load_balancer) = public_load_balancer(
            stack,
            PublicLoadBalancerProps {
                name: n,
                network: p.network,
                security_group: &lb_sg,
                target_port: port,
                target_type: TargetType::Ip,
                health_check: p.health_check,
                certificate_arn: p.certificate_arn,
                deletion_protection: p.deletion_protection,
            },
        );
        let tasks_network = TaskNetwork {
            subnet_ids: p.network.private_subnets.clone(),
            security_group_ids: vec![task_sg.group_id()],
            assign_public_ip: false,
        };
        // The target group must belong to a load balancer before a service registers with it.
        let listener = LogicalId::new(format!("{n}HttpsListener")).ok();
        let service = stack.add_with(
            &format!("{n}Service"),
            EcsService {
                name: None,
                cluster: cluster.arn(),
                task_definition: task_definition.arn(),
                desired_count: p.desired_count,
                network: tasks_network.clone(),
                load_balancer: Some(ServiceLoadBalancer {
                    target_group_arn: target_group.arn(),
                    container_name: container_name.clone(),
                    container_port: port,
                }),
                health_check_grace_period_seconds: p.health_check_grace_period_seconds,
                minimum_healthy_percent: 100,
                maximum_percent: 200,
                circuit_breaker_rollback: true,
            },
            |e| e.depends_on.extend(listener),
        );

        if !p.schedules.is_empty() {
            let scheduler_role = stack.add(
                &format!("{n}SchedulerRole"),
                Role {
                    description: format!("{what}: EventBridge Scheduler starts the scheduled tasks"),
                    assumed_by: vec!["scheduler.amazonaws.com".into()],
                    managed_policy_arns: Vec::new(),
                    policies: vec![Policy {
                        name: "run-task".into(),
                        statements: vec![
                            Statement {
                                allow: true,
                                actions: vec!["ecs:RunTask".into()],
                                resources: vec![task_definition.arn()],
                            },
                            Statement {
                                allow: true,
                                actions: vec!["iam:PassRole".into()],
                                resources: vec![execution_role.arn(), task_role.arn()],
                            },
                        ],
                    }],
                },
            );
            for s in p.schedules {
                stack.add_with(
                    &format!("{n}{}", s.name),
                    Schedule {
                        name: None,
                        description: s.description,
                        expression: s.expression,
                        timezone: p.timezone.clone(),
                        role_arn: scheduler_role.arn(),
                        target: ScheduleTarget::RunTask(RunTask {
                            cluster_arn: cluster.arn(),
                            task_definition_arn: task_definition.arn(),
                            network: tasks_network.clone(),
                            container_name: container_name.clone(),
                            command: s.command,
                        }),
                        enabled: true,
                    },
                    |e| {
                        e.suppressions.push(super::suppress(
                            "CKV_AWS_297",
                            "the schedule's input holds only a command line, no data worth a customer-managed KMS key",
                        ));
                    },
                );
            }
        }

        Self {
            name: n.to_owned(),
            cluster,
            task_definition,
            service,
            log_group,
            load_balancer,
            target_group,
            task_security_group: task_sg,
            load_balancer_security_group: lb_sg,
            file_system,
            task_role,
            execution_role,
        }
    }
}

impl super::Tier for ContainerService {
    fn tier_name(&self) -> &str {
        &self.name
    }
    fn tier_group(&self) -> &Handle<SecurityGroup> {
        &self.task_security_group
    }
}

impl ContainerService {
    /// Admits `tier` to its tasks on `port` (a rule resource `<ContainerService>From<tier>`).
    pub fn allow_from(&self, stack: &mut StackBuilder, tier: &impl super::Tier, port: u16) {
        super::admit(
            stack,
            &self.name,
            &self.task_security_group,
            port,
            tier.tier_name(),
            tier.tier_group().group_id(),
            "TCP",
        );
    }
}
