//! The ECS and CloudWatch Logs service modules on a local moto server.
//!
//! - Concerto's own log group, cluster, task definition (Fargate, EFS volume, a Secrets Manager
//!   secret, awslogs, a health check) and service (behind Concerto's target group, circuit
//!   breaker with rollback), and the scheduled console command its config documents, are created through their adapters, read
//!   back equal to the template, found again by their tags, drift made by direct SDK calls is
//!   reported as exactly that property, and they are deleted. Its network, security groups,
//!   roles and target group are made by their own adapters; the RDS instance and the EFS file
//!   system and access point are stand-in observations (the attributes the task definition reads:
//!   moto's ECS checks none of them).
//! - Through the engine, on a small stack of the same kinds: apply from nothing, a second plan
//!   empty, an image change planned as a task definition replacement (the spec's reason) with the
//!   service and the schedule updated, a new revision registered beside the old one, the service
//!   moved to it (its update waits for a steady state for real: moto reports the desired count
//!   running after an `UpdateService`), and only then the old revision deregistered; a create whose
//!   steady-state wait times out (moto's new services never start a task) finished by a rerun
//!   without a second service; destroy.
//!
//! What moto cannot show: tasks never start, so a new service is never stable (the tests skip
//! that wait with `SteadyState::Skip`, and check that the real wait times out), nothing is
//! registered in the target group, and the circuit breaker never trips.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_ecs::types::{ClusterSetting, ClusterSettingName, TaskDefinitionStatus};
use common::{ZONES, apply, id};
use iac_aws::desired;
use iac_aws::services::{self, Ctx, SteadyState, Timing, ecs, logs, scheduler};
use iac_aws::state::Observed;
use iac_aws::{Action, AwsError, Clients, Engine, Options};
use iac_core::app::Container;
use iac_core::model::{
    AppProtocol, AwsLogs, CpuArchitecture, EcsCluster, EcsService, HealthCheck, LogGroup, RunTask, Schedule,
    ScheduleTarget, SecurityGroup, ServiceLoadBalancer, Subnet, TargetGroup, TargetType, TaskDefinition, TaskNetwork,
    Vpc,
};
use iac_core::value::{Pseudo, Value};
use iac_core::{LogicalId, Stack, StackBuilder};
use serde_json::json;

/// Moto's timing, without the wait for a new service's steady state (moto never starts tasks).
fn skip_steady() -> Timing {
    Timing { steady_state: SteadyState::Skip, ..common::fast() }
}

/// Concerto dev, with the scheduled console command its config documents (commented out there:
/// the image's own cron runs the guide's two) switched on, so the stack has an ECS `RunTask`
/// schedule and the role the scheduler assumes.
fn concerto() -> Stack {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../stacks/config/concerto/dev.toml");
    let text = std::fs::read_to_string(path).expect("dev config");
    let example = ["[[schedules]]", "name = ", "description = ", "expression = ", "command = "];
    let text: String = text
        .lines()
        .map(|l| match l.strip_prefix("# ") {
            Some(rest) if example.iter().any(|e| rest.starts_with(e)) => rest,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("\n[[schedules]]\n"), "the config documents a scheduled command");
    let source = stacks::ConfigSource { file: "dev.toml".into(), text };
    stacks::registry().build("concerto", "dev", Some(&source)).expect("concerto builds")
}

/// Stand-ins for the kinds of other service modules the task definition refers to.
fn stand_ins(observed: &mut HashMap<LogicalId, Observed>) {
    let db = Observed::new(id("DatabaseInstance"), "AWS::RDS::DBInstance", "concerto-dev-db")
        .attr("Endpoint.Address", "concerto-dev-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com")
        .attr("MasterUserSecret.SecretArn", "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf");
    let fs = Observed::new(id("AppFileSystem"), "AWS::EFS::FileSystem", "fs-0123456789abcdef0")
        .attr("Arn", "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0");
    let ap = Observed::new(id("AppAccessPoint"), "AWS::EFS::AccessPoint", "fsap-0123456789abcdef0");
    for o in [db, fs, ap] {
        observed.insert(o.id.clone(), o);
    }
}

async fn discovered(ctx: &Ctx<'_>) -> HashMap<LogicalId, Observed> {
    let mut all = ecs::discover(ctx).await.expect("ecs discovers");
    all.extend(logs::discover(ctx).await.expect("logs discovers"));
    all.extend(scheduler::discover(ctx).await.expect("scheduler discovers"));
    all.into_iter().map(|o| (o.id.clone(), o)).collect()
}

const NETWORK: [&str; 8] = [
    "Vpc",
    "PrivateSubnet1",
    "PrivateSubnet2",
    "AppLoadBalancerSecurityGroup",
    "AppTaskSecurityGroup",
    "AppTargetGroup",
    "AppExecutionRole",
    "AppTaskRole",
];
const OURS: [&str; 6] =
    ["AppLogGroup", "AppCluster", "AppTaskDefinition", "AppService", "AppSchedulerRole", "AppSessionsLog"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one scenario, read top to bottom
async fn concerto_ecs_logs_and_schedules_round_trip() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = concerto();
    let ctx = Ctx { clients: &clients, stack: &stack, timing: skip_steady() };
    let mut observed = HashMap::new();
    stand_ins(&mut observed);
    for name in NETWORK {
        apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
    }
    // Each of ours created and read back equal to the template, no property exempted.
    for name in OURS {
        let (props, o) = apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name} read back differs in {diff:?}:\n{:#?}\nwant {props:#}", o.props);
        if name != "AppSchedulerRole" {
            let template_keys: Vec<&String> =
                props.as_object().expect("object").keys().filter(|k| *k != "Tags").collect();
            let read: Vec<&String> = template_keys.iter().copied().filter(|k| o.props.contains_key(*k)).collect();
            assert_eq!(read, template_keys, "{name}: every property of the template is read back");
        }
    }
    let td = observed[&id("AppTaskDefinition")].clone();
    assert!(td.physical_id.ends_with(":task-definition/concerto-dev-app-task-definition:1"), "{}", td.physical_id);
    let service = observed[&id("AppService")].clone();
    assert_eq!(service.attrs["Name"], "concerto-dev-app-service");
    assert_eq!(service.props["TaskDefinition"], json!(td.physical_id));
    assert!(observed[&id("AppLogGroup")].attrs["Arn"].ends_with(":log-group:concerto-dev-app-log-group:*"));
    assert!(observed[&id("AppCluster")].attrs["Arn"].ends_with(":cluster/concerto-dev-app-cluster"));
    assert!(observed[&id("AppSessionsLog")].attrs["Arn"].ends_with(":schedule/default/concerto-dev-app-sessions-log"));

    // Found again by their tags (schedules: by name and description marker), with the hash.
    let found = discovered(&ctx).await;
    for name in ["AppLogGroup", "AppCluster", "AppTaskDefinition", "AppService", "AppSessionsLog"] {
        let o = found.get(&id(name)).unwrap_or_else(|| panic!("{name} is discovered: {:?}", found.keys()));
        assert_eq!(o.hash, observed[&id(name)].hash, "{name}: the hash is read back");
        let (props, _) = common::desired(&stack, &observed, name);
        assert!(desired::changed(&props, &o.props).is_empty(), "{name}: {:?}", desired::changed(&props, &o.props));
        assert_eq!(o.physical_id, observed[&id(name)].physical_id);
    }
    assert_eq!(found.len(), 5, "{:?}", found.keys());

    // Drift made by direct SDK calls is exactly that property.
    let ecs = &clients.ecs;
    ecs.update_cluster()
        .cluster("concerto-dev-app-cluster")
        .settings(ClusterSetting::builder().name(ClusterSettingName::ContainerInsights).value("disabled").build())
        .send()
        .await
        .expect("update_cluster");
    clients
        .logs
        .put_retention_policy()
        .log_group_name("concerto-dev-app-log-group")
        .retention_in_days(1)
        .send()
        .await
        .expect("put_retention_policy");
    ecs.update_service()
        .cluster("concerto-dev-app-cluster")
        .service(&service.physical_id)
        .desired_count(5)
        .send()
        .await
        .expect("update_service");
    // The schedule's own description (with the engine's marker) kept: only the expression changes.
    let tick = clients.scheduler.get_schedule().name("concerto-dev-app-sessions-log").send().await.expect("get");
    clients
        .scheduler
        .update_schedule()
        .name("concerto-dev-app-sessions-log")
        .set_description(tick.description().map(str::to_owned))
        .schedule_expression("rate(5 minutes)")
        .set_schedule_expression_timezone(tick.schedule_expression_timezone().map(str::to_owned))
        .set_flexible_time_window(tick.flexible_time_window().cloned())
        .set_state(tick.state().cloned())
        .set_target(tick.target().cloned())
        .send()
        .await
        .expect("update_schedule");
    let drifted = discovered(&ctx).await;
    let expect = [
        ("AppCluster", vec!["ClusterSettings"]),
        ("AppLogGroup", vec!["RetentionInDays"]),
        ("AppService", vec!["DesiredCount"]),
        ("AppTaskDefinition", vec![]),
    ];
    for (name, props) in expect {
        let (want, _) = common::desired(&stack, &observed, name);
        assert_eq!(desired::changed(&want, &drifted[&id(name)].props), props, "{name}");
    }
    let (want, _) = common::desired(&stack, &observed, "AppSessionsLog");
    assert_eq!(desired::changed(&want, &drifted[&id("AppSessionsLog")].props), ["ScheduleExpression"]);

    // Updates in place put each back (the service's update waits for a steady state for real:
    // moto reports the desired count running after an UpdateService).
    let waiting = Ctx { timing: common::fast(), ..ctx };
    for name in ["AppCluster", "AppLogGroup", "AppService", "AppSessionsLog"] {
        let (props, o) =
            apply(&waiting, &mut observed, name, true).await.unwrap_or_else(|e| panic!("update {name}: {e}"));
        assert!(desired::changed(&props, &o.props).is_empty(), "{name}: {:?}", desired::changed(&props, &o.props));
    }

    // Delete (twice: gone is success), dependants first.
    for name in OURS.iter().rev().filter(|n| **n != "AppSchedulerRole") {
        let current = observed[&id(name)].clone();
        services::delete(&ctx, &current).await.unwrap_or_else(|e| panic!("delete {name}: {e}"));
        services::delete(&ctx, &current).await.unwrap_or_else(|e| panic!("delete {name} again: {e}"));
    }
    assert!(discovered(&ctx).await.is_empty(), "nothing of ours is left");
    let old = ecs.describe_task_definition().task_definition(&td.physical_id).send().await.expect("still described");
    assert_eq!(old.task_definition().and_then(|d| d.status()), Some(&TaskDefinitionStatus::Inactive));
}

// ---------------------------------------------------------------------------------------------
// Through the engine.

/// A small stack of the same kinds: network, target group, log group, cluster, task definition,
/// service and a scheduled task; `image` is the container's.
fn small(image: &str, desired_count: u32) -> Stack {
    let mut b = StackBuilder::new("ecst", "test");
    b.tag("app", "ecst");
    let vpc =
        b.add("Vpc", Vpc { cidr_block: "10.30.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    let subnets: Vec<Value<String>> = (0..2)
        .map(|k| {
            b.add(
                format!("PrivateSubnet{}", k + 1).as_str(),
                Subnet {
                    vpc_id: vpc.vpc_id(),
                    cidr_block: format!("10.30.{k}.0/24").into(),
                    availability_zone: Value::Pseudo(Pseudo::AvailabilityZone(k)),
                    map_public_ip_on_launch: false,
                },
            )
            .subnet_id()
        })
        .collect();
    let sg = b.add(
        "TaskSecurityGroup",
        SecurityGroup { description: "tasks".into(), vpc_id: vpc.vpc_id(), ingress: Vec::new(), egress: Vec::new() },
    );
    let tg = b.add(
        "WebTargetGroup",
        TargetGroup {
            name: None,
            port: 80,
            protocol: AppProtocol::Http,
            vpc_id: vpc.vpc_id(),
            health_check: HealthCheck::http("/health"),
            deregistration_delay_seconds: 30,
            target_type: TargetType::Ip,
        },
    );
    let logs = b.add("WebLogGroup", LogGroup { name: None, retention_days: 30, kms_key_arn: None });
    let cluster = b.add("WebCluster", EcsCluster { name: None, container_insights: true });
    let container = Container::new("web", image).with_command(["serve"]);
    let container = Container { ports: vec![iac_core::app::PortMapping::tcp(80, 80)], ..container };
    let task = b.add(
        "WebTaskDefinition",
        TaskDefinition {
            family: None,
            cpu: 256,
            memory_mib: 512,
            execution_role_arn: "arn:aws:iam::123456789012:role/ecst-execution".into(),
            task_role_arn: "arn:aws:iam::123456789012:role/ecst-task".into(),
            containers: vec![container],
            logs: Some(AwsLogs {
                group: logs.name(),
                region: Value::Pseudo(Pseudo::Region),
                stream_prefix: "web".into(),
            }),
            volumes: Vec::new(),
            cpu_architecture: CpuArchitecture::Arm64,
        },
    );
    let network = TaskNetwork { subnet_ids: subnets, security_group_ids: vec![sg.group_id()], assign_public_ip: false };
    b.add(
        "WebService",
        EcsService {
            name: None,
            cluster: cluster.arn(),
            task_definition: task.arn(),
            desired_count,
            network: network.clone(),
            load_balancer: Some(ServiceLoadBalancer {
                target_group_arn: tg.arn(),
                container_name: "web".into(),
                container_port: 80,
            }),
            health_check_grace_period_seconds: 60,
            minimum_healthy_percent: 100,
            maximum_percent: 200,
            circuit_breaker_rollback: true,
        },
    );
    b.add(
        "NightlyJob",
        Schedule {
            name: None,
            description: "the nightly job".into(),
            expression: "cron(0 3 * * ? *)".into(),
            timezone: "Europe/London".into(),
            role_arn: "arn:aws:iam::123456789012:role/ecst-scheduler".into(),
            target: ScheduleTarget::RunTask(RunTask {
                cluster_arn: cluster.arn(),
                task_definition_arn: task.arn(),
                network,
                container_name: "web".into(),
                command: vec!["job".into()],
            }),
            enabled: true,
        },
    );
    b.build().expect("the stack builds")
}

fn options(timing: Timing) -> Options {
    Options { timing, ..Options::default() }
}

async fn revisions(clients: &Clients, status: TaskDefinitionStatus) -> Vec<String> {
    let out = clients
        .ecs
        .list_task_definitions()
        .family_prefix("ecst-test-web-task-definition")
        .status(status)
        .send()
        .await
        .expect("list_task_definitions");
    out.task_definition_arns().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one scenario, read top to bottom
async fn a_task_definition_is_replaced_beside_the_old_revision() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let noop = |_: &iac_aws::engine::Event| {};

    // From nothing; a second plan is empty and the inventory equals the template.
    let engine = Engine::new(clients.clone(), small("nginx:1.27.0", 2), options(skip_steady())).expect("valid");
    let plan = engine.plan().await.expect("plans");
    engine.apply(&plan, &noop).await.expect("applies");
    let again = engine.plan().await.expect("plans");
    let moved: Vec<_> = again.changes.iter().filter(|c| c.action != Action::Unchanged).collect();
    assert!(moved.is_empty(), "a second plan is empty: {moved:#?}");
    let found = engine.discover().await.expect("discovers");
    let zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
    for (lid, o) in &found {
        let want = engine.desired(lid, &found, &zones).expect("resolves");
        let diff = desired::changed(&json!(want), &o.props);
        assert!(diff.is_empty(), "{lid}: {diff:?}");
    }
    let first = found[&id("WebTaskDefinition")].physical_id.clone();

    // A new image: the task definition is replaced (the spec's reason), its dependants updated.
    let engine = Engine::new(clients.clone(), small("nginx:1.27.1", 2), options(common::fast())).expect("valid");
    let plan = engine.plan().await.expect("plans");
    let action = |name: &str| plan.changes.iter().find(|c| c.id == name).expect("planned").action.clone();
    assert_eq!(
        action("WebTaskDefinition"),
        Action::Replace {
            reason: "ContainerDefinitions changed: task definitions are immutable; a change registers a new revision"
                .into()
        },
        "{plan:?}"
    );
    assert!(matches!(action("WebService"), Action::Update { .. }), "{:?}", action("WebService"));
    assert!(matches!(action("NightlyJob"), Action::Update { .. }), "{:?}", action("NightlyJob"));
    // The old revision stays active until the service has moved (the order of the events).
    let events = std::sync::Mutex::new(Vec::new());
    let record = |e: &iac_aws::engine::Event| {
        if let iac_aws::engine::Event::Finished { id, action, .. } = e {
            events.lock().expect("not poisoned").push(format!("{action} {id}"));
        }
    };
    engine.apply(&plan, &record).await.expect("applies, waiting for the service's steady state");
    let events = events.into_inner().expect("not poisoned");
    let at = |e: &str| events.iter().position(|x| x == e).unwrap_or_else(|| panic!("{e} in {events:?}"));
    assert!(at("replace WebTaskDefinition") < at("update WebService"), "{events:?}");
    assert!(at("update WebService") < at("delete WebTaskDefinition"), "{events:?}");
    assert!(at("update NightlyJob") < at("delete WebTaskDefinition"), "{events:?}");
    let found = engine.discover().await.expect("discovers");
    let second = found[&id("WebTaskDefinition")].physical_id.clone();
    assert!(second.ends_with(":2") && first.ends_with(":1"), "{first} then {second}");
    assert_eq!(found[&id("WebService")].props["TaskDefinition"], json!(second));
    assert_eq!(found[&id("NightlyJob")].props["Target"]["EcsParameters"]["TaskDefinitionArn"], json!(second));
    assert_eq!(revisions(&clients, TaskDefinitionStatus::Active).await, std::slice::from_ref(&second));
    assert_eq!(revisions(&clients, TaskDefinitionStatus::Inactive).await, std::slice::from_ref(&first));
    assert_eq!(engine.plan().await.expect("plans").counts()[4], 10, "converged");

    // A desired count changed in place: planned as exactly that property.
    let engine = Engine::new(clients.clone(), small("nginx:1.27.1", 3), options(common::fast())).expect("valid");
    let plan = engine.plan().await.expect("plans");
    assert_eq!(
        plan.changes.iter().find(|c| c.id == "WebService").expect("planned").action,
        Action::Update { changes: vec!["DesiredCount".into()] }
    );
    engine.apply(&plan, &noop).await.expect("applies");

    // Destroy, then a create whose wait for a steady state cannot end on moto times out...
    engine.destroy(&noop).await.expect("destroys");
    assert!(engine.discover().await.expect("discovers").is_empty());
    assert!(revisions(&clients, TaskDefinitionStatus::Active).await.is_empty());
    let short = Timing { timeout: Duration::from_millis(300), ..common::fast() };
    let engine = Engine::new(clients.clone(), small("nginx:1.27.1", 2), options(short)).expect("valid");
    let plan = engine.plan().await.expect("plans");
    let err = engine.apply(&plan, &noop).await.expect_err("moto's new service never becomes stable");
    assert!(
        matches!(&err, AwsError::Timeout { id, state, .. } if id == "WebService" && state.contains("steady state")),
        "{err}"
    );
    // ... and a rerun finishes it without a second service.
    let engine = Engine::new(clients.clone(), small("nginx:1.27.1", 2), options(skip_steady())).expect("valid");
    let plan = engine.plan().await.expect("plans");
    engine.apply(&plan, &noop).await.expect("the rerun finishes");
    let services = clients.ecs.list_services().cluster("ecst-test-web-cluster").send().await.expect("list_services");
    assert_eq!(services.service_arns().len(), 1, "{:?}", services.service_arns());
    assert_eq!(engine.plan().await.expect("plans").counts()[4], 10, "converged");
    engine.destroy(&noop).await.expect("destroys");
}

#[test]
fn replacement_properties_are_the_specs() {
    assert!(services::replaced_by("AWS::ECS::TaskDefinition").contains(&"ContainerDefinitions"));
    assert_eq!(services::replaced_by("AWS::ECS::Cluster"), ["ClusterName"]);
    assert_eq!(services::replaced_by("AWS::Logs::LogGroup"), ["LogGroupName"]);
    assert_eq!(services::replaced_by("AWS::Scheduler::Schedule"), ["Name"]);
    assert_eq!(services::replaced_by("AWS::AutoScaling::ScheduledAction"), ["AutoScalingGroupName"]);
}
