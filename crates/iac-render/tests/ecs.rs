//! ECS, EFS, CloudWatch Logs and `EventBridge` Scheduler kinds, rendered to CloudFormation and
//! Terraform from one `ContainerService` stack: every kind's properties, references as
//! intrinsics and traversals, secrets as ECS `secrets` entries (never plain environment values).

use hcl::{Block, Body, Expression};
use iac_core::app::{Container, ContainerHealth};
use iac_core::model::{CpuArchitecture, HealthCheck, PosixUser};
use iac_core::patterns::{
    ContainerService, ContainerServiceProps, Network, NetworkProps, ScheduledCommand, SharedVolume,
};
use iac_core::stack::{Stack, StackBuilder};
use iac_core::value::{SecretRef, Value};
use iac_render::RenderError;
use serde_json::{Value as Json, json};

fn container(env: Vec<(&str, Value<String>)>) -> Container {
    let mut c = Container::new("web", "example/web:1.2.3")
        .with_port(8080, 8080)
        .with_mount("shared", "/srv/shared", false)
        .with_health(ContainerHealth {
            command: vec!["curl".into(), "-f".into(), "http://localhost:8080/health".into()],
            interval_seconds: 30,
            timeout_seconds: 5,
            retries: 3,
            start_period_seconds: 60,
        });
    for (k, v) in env {
        c = c.with_env(k, v);
    }
    c.working_dir = Some("/srv".into());
    c.stop_timeout_seconds = Some(30);
    c
}

fn stack_with(c: Container) -> Result<Stack, iac_core::CoreError> {
    let mut s = StackBuilder::new("demo", "dev");
    let network = Network::create(
        &mut s,
        &NetworkProps { cidr: "10.0.0.0/16".parse().unwrap(), zones: 2, subnet_prefix: 20, nat_per_zone: false },
    );
    ContainerService::create(
        &mut s,
        ContainerServiceProps {
            name: "App",
            network: &network,
            container: c,
            cpu: 256,
            memory_mib: 512,
            cpu_architecture: CpuArchitecture::Arm64,
            desired_count: 3,
            health_check: HealthCheck::http("/health"),
            health_check_grace_period_seconds: 90,
            certificate_arn: "arn:aws:acm:eu-west-1:123456789012:certificate/abc".into(),
            deletion_protection: false,
            log_retention_days: 30,
            shared_volume: Some(SharedVolume {
                volume: "shared".into(),
                posix_user: PosixUser { uid: 1000, gid: 1001 },
                root_directory: "/shared".into(),
                permissions: "0750".into(),
                transition_to_ia_days: Some(1),
            }),
            schedules: vec![ScheduledCommand {
                name: "Nightly".into(),
                description: "nightly cleanup".into(),
                expression: "cron(0 2 * * ? *)".into(),
                command: vec!["bin/cleanup".into(), "--all".into()],
            }],
            timezone: "Europe/London".into(),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: vec![5432],
        },
    );
    s.build()
}

fn stack() -> Stack {
    stack_with(container(vec![
        ("PLAIN", Value::from("1")),
        (
            "DB_PASSWORD",
            Value::Secret(SecretRef::secrets_manager("arn:aws:secretsmanager:eu-west-1:1:secret:db").key("password")),
        ),
        ("API_TOKEN", Value::Secret(SecretRef::ssm("/demo/token"))),
    ]))
    .unwrap()
}

fn cfn() -> Json {
    iac_render::cloudformation::template(&stack()).unwrap()
}

fn props<'a>(t: &'a Json, id: &str) -> &'a Json {
    &t["Resources"][id]["Properties"]
}

#[test]
fn cloudformation_task_definition_renders_the_container() {
    let t = cfn();
    assert_eq!(t["Resources"]["AppTaskDefinition"]["Type"], "AWS::ECS::TaskDefinition");
    let p = props(&t, "AppTaskDefinition");
    assert_eq!(p["Cpu"], "256");
    assert_eq!(p["Memory"], "512");
    assert_eq!(p["NetworkMode"], "awsvpc");
    assert_eq!(p["RequiresCompatibilities"], json!(["FARGATE"]));
    assert_eq!(p["RuntimePlatform"]["CpuArchitecture"], "ARM64");
    assert_eq!(p["ExecutionRoleArn"], json!({ "Fn::GetAtt": ["AppExecutionRole", "Arn"] }));
    assert_eq!(p["TaskRoleArn"], json!({ "Fn::GetAtt": ["AppTaskRole", "Arn"] }));
    let c = &p["ContainerDefinitions"][0];
    assert_eq!(c["Name"], "web");
    assert_eq!(c["Image"], "example/web:1.2.3");
    assert_eq!(c["Essential"], true);
    assert_eq!(c["WorkingDirectory"], "/srv");
    assert_eq!(c["StopTimeout"], 30);
    assert_eq!(c["PortMappings"], json!([{ "ContainerPort": 8080, "Protocol": "tcp" }]));
    assert_eq!(
        c["MountPoints"],
        json!([{ "SourceVolume": "shared", "ContainerPath": "/srv/shared", "ReadOnly": false }])
    );
    // An exec-form health command gets ECS's `CMD` marker.
    assert_eq!(c["HealthCheck"]["Command"], json!(["CMD", "curl", "-f", "http://localhost:8080/health"]));
    assert_eq!(c["HealthCheck"]["StartPeriod"], 60);
    // Log driver options keep their own (lowercase, dashed) keys.
    let logs = &c["LogConfiguration"];
    assert_eq!(logs["LogDriver"], "awslogs");
    assert_eq!(logs["Options"]["awslogs-group"], json!({ "Ref": "AppLogGroup" }));
    assert_eq!(logs["Options"]["awslogs-region"], json!({ "Ref": "AWS::Region" }));
    assert_eq!(logs["Options"]["awslogs-stream-prefix"], "app");
    let vol = &p["Volumes"][0];
    assert_eq!(vol["Name"], "shared");
    assert_eq!(vol["EFSVolumeConfiguration"]["FilesystemId"], json!({ "Ref": "AppFileSystem" }));
    assert_eq!(vol["EFSVolumeConfiguration"]["TransitEncryption"], "ENABLED");
    assert_eq!(
        vol["EFSVolumeConfiguration"]["AuthorizationConfig"],
        json!({ "AccessPointId": { "Ref": "AppAccessPoint" }, "IAM": "ENABLED" })
    );
}

#[test]
fn secrets_become_ecs_secrets_entries_never_environment_values() {
    let t = cfn();
    let c = &props(&t, "AppTaskDefinition")["ContainerDefinitions"][0];
    assert_eq!(c["Environment"], json!([{ "Name": "PLAIN", "Value": "1" }]));
    assert_eq!(
        c["Secrets"],
        json!([
            { "Name": "DB_PASSWORD", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:1:secret:db:password::" },
            { "Name": "API_TOKEN", "ValueFrom": "/demo/token" },
        ])
    );
    let text = serde_json::to_string(&t).unwrap();
    assert!(!text.contains("{{resolve:"), "ECS resolves the secrets itself, CloudFormation never does");
    // The execution role may read exactly those secrets.
    let policy = &props(&t, "AppExecutionRole")["Policies"][0]["PolicyDocument"]["Statement"];
    assert_eq!(policy[0]["Action"], json!(["secretsmanager:GetSecretValue"]));
    assert_eq!(policy[0]["Resource"], json!(["arn:aws:secretsmanager:eu-west-1:1:secret:db"]));
    assert_eq!(policy[1]["Action"], json!(["ssm:GetParameters"]));

    let tf = iac_render::terraform::render(&stack()).unwrap().main_tf;
    assert!(
        tf.contains(r#"secrets = [{ name = "DB_PASSWORD", valueFrom = "arn:aws:secretsmanager:eu-west-1:1:secret:db:password::" }, { name = "API_TOKEN", valueFrom = "/demo/token" }]"#),
        "{tf}"
    );
    assert!(!tf.contains("aws_secretsmanager_secret_version"), "no data source reads the secret");
}

#[test]
fn a_secret_inside_a_larger_value_or_url_encoded_is_refused() {
    let joined = Value::join([Value::from("mysql://u:"), Value::Secret(SecretRef::ssm("/pw")), Value::from("@db")]);
    let s = stack_with(container(vec![("DATABASE_URL", joined)])).unwrap();
    for err in [iac_render::cloudformation::template(&s).unwrap_err(), iac_render::terraform::render(&s).unwrap_err()] {
        assert!(
            matches!(&err, RenderError::Unsupported { resource, property, .. }
            if resource == "AppTaskDefinition" && property.ends_with("web.Environment.DATABASE_URL")),
            "{err}"
        );
        assert!(err.to_string().contains("its own variable"), "{err}");
    }
    let encoded = Value::Secret(SecretRef::secrets_manager("arn:x").key("password").url_encoded());
    let s = stack_with(container(vec![("DB_PASSWORD", encoded)])).unwrap();
    let err = iac_render::cloudformation::template(&s).unwrap_err().to_string();
    assert!(err.contains("Secrets.DB_PASSWORD") && err.contains("URL-encode"), "{err}");
}

#[test]
fn cloudformation_service_cluster_and_logs() {
    let t = cfn();
    let r = &t["Resources"];
    assert_eq!(r["AppCluster"]["Type"], "AWS::ECS::Cluster");
    assert_eq!(
        props(&t, "AppCluster")["ClusterSettings"],
        json!([{ "Name": "containerInsights", "Value": "enabled" }])
    );
    let svc = &r["AppService"];
    assert_eq!(svc["Type"], "AWS::ECS::Service");
    assert_eq!(svc["DependsOn"], json!(["AppHttpsListener"]), "the target group belongs to the load balancer first");
    let p = &svc["Properties"];
    assert_eq!(p["Cluster"], json!({ "Fn::GetAtt": ["AppCluster", "Arn"] }));
    assert_eq!(p["TaskDefinition"], json!({ "Ref": "AppTaskDefinition" }));
    assert_eq!(p["SchedulingStrategy"], "REPLICA");
    assert_eq!(p["LaunchType"], "FARGATE");
    assert_eq!(p["DesiredCount"], 3);
    assert_eq!(p["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"], "DISABLED");
    assert_eq!(
        p["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"],
        json!([{ "Ref": "PrivateSubnet1" }, { "Ref": "PrivateSubnet2" }])
    );
    assert_eq!(
        p["DeploymentConfiguration"],
        json!({ "MinimumHealthyPercent": 100, "MaximumPercent": 200, "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true } })
    );
    assert_eq!(
        p["LoadBalancers"],
        json!([{ "TargetGroupArn": { "Ref": "AppTargetGroup" }, "ContainerName": "web", "ContainerPort": 8080 }])
    );
    assert_eq!(p["HealthCheckGracePeriodSeconds"], 90);
    assert_eq!(props(&t, "AppTargetGroup")["TargetType"], "ip");
    assert_eq!(props(&t, "AppTargetGroup")["Port"], 8080);
    let lg = props(&t, "AppLogGroup");
    assert_eq!(r["AppLogGroup"]["Type"], "AWS::Logs::LogGroup");
    assert_eq!(lg["LogGroupName"], "demo-dev-app-log-group");
    assert_eq!(lg["RetentionInDays"], 30);
    assert!(lg.get("KmsKeyId").is_none());
}

#[test]
fn cloudformation_file_system_is_retained_and_private() {
    let t = cfn();
    let r = &t["Resources"];
    let fs = &r["AppFileSystem"];
    assert_eq!(fs["Type"], "AWS::EFS::FileSystem");
    assert_eq!(fs["DeletionPolicy"], "Retain");
    assert_eq!(fs["UpdateReplacePolicy"], "Retain");
    let p = &fs["Properties"];
    assert_eq!(p["Encrypted"], true);
    assert_eq!(p["PerformanceMode"], "generalPurpose");
    assert_eq!(p["BackupPolicy"], json!({ "Status": "ENABLED" }));
    assert_eq!(p["LifecyclePolicies"][0], json!({ "TransitionToIA": "AFTER_1_DAY" }));
    assert!(p.get("Tags").is_none() && p["FileSystemTags"].as_array().is_some_and(|t| !t.is_empty()));
    for i in [1, 2] {
        let mt = &r[format!("AppMountTarget{i}")];
        assert_eq!(mt["Type"], "AWS::EFS::MountTarget");
        assert_eq!(mt["Properties"]["SubnetId"], json!({ "Ref": format!("PrivateSubnet{i}") }));
        assert_eq!(
            mt["Properties"]["SecurityGroups"],
            json!([{ "Fn::GetAtt": ["AppFileSystemSecurityGroup", "GroupId"] }])
        );
        assert!(mt["Properties"].get("Tags").is_none());
    }
    // NFS only from the tasks' group.
    let ingress = &props(&t, "AppFileSystemSecurityGroup")["SecurityGroupIngress"];
    assert_eq!(ingress.as_array().unwrap().len(), 1);
    assert_eq!(ingress[0]["FromPort"], 2049);
    assert_eq!(ingress[0]["SourceSecurityGroupId"], json!({ "Fn::GetAtt": ["AppTaskSecurityGroup", "GroupId"] }));
    let ap = props(&t, "AppAccessPoint");
    assert_eq!(ap["PosixUser"], json!({ "Uid": "1000", "Gid": "1001" }));
    assert_eq!(
        ap["RootDirectory"],
        json!({ "Path": "/shared", "CreationInfo": { "OwnerUid": "1000", "OwnerGid": "1001", "Permissions": "0750" } })
    );
    assert!(ap["AccessPointTags"].is_array());
    // The task role may mount and write the file system, nothing else.
    let st = &props(&t, "AppTaskRole")["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(st["Action"], json!(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]));
    assert_eq!(st["Resource"], json!([{ "Fn::GetAtt": ["AppFileSystem", "Arn"] }]));
}

#[test]
fn cloudformation_schedule_runs_the_task_with_the_command() {
    let t = cfn();
    let s = &t["Resources"]["AppNightly"];
    assert_eq!(s["Type"], "AWS::Scheduler::Schedule");
    let p = &s["Properties"];
    assert_eq!(p["ScheduleExpression"], "cron(0 2 * * ? *)");
    assert_eq!(p["ScheduleExpressionTimezone"], "Europe/London");
    assert_eq!(p["FlexibleTimeWindow"], json!({ "Mode": "OFF" }));
    assert!(p.get("Tags").is_none(), "schedules take no tags");
    let target = &p["Target"];
    assert_eq!(target["Arn"], json!({ "Fn::GetAtt": ["AppCluster", "Arn"] }));
    assert_eq!(target["RoleArn"], json!({ "Fn::GetAtt": ["AppSchedulerRole", "Arn"] }));
    let input: Json = serde_json::from_str(target["Input"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({ "containerOverrides": [{ "name": "web", "command": ["bin/cleanup", "--all"] }] }));
    let ecs = &target["EcsParameters"];
    assert_eq!(ecs["TaskDefinitionArn"], json!({ "Ref": "AppTaskDefinition" }));
    assert_eq!(ecs["LaunchType"], "FARGATE");
    assert_eq!(ecs["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"], "DISABLED");
    let role = props(&t, "AppSchedulerRole");
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        json!(["scheduler.amazonaws.com"])
    );
    let st = &role["Policies"][0]["PolicyDocument"]["Statement"];
    assert_eq!(st[0]["Action"], json!(["ecs:RunTask"]));
    assert_eq!(st[1]["Action"], json!(["iam:PassRole"]));
}

// ----- Terraform -----

fn tf() -> Body {
    let files = iac_render::terraform::render(&stack()).unwrap();
    hcl::parse(&files.main_tf).unwrap_or_else(|e| panic!("{e}\n{}", files.main_tf))
}

fn block<'a>(body: &'a Body, ty: &str, label: &str) -> &'a Block {
    body.blocks()
        .find(|b| b.identifier() == "resource" && b.labels()[0].as_str() == ty && b.labels()[1].as_str() == label)
        .unwrap_or_else(|| panic!("no {ty}.{label}"))
}

/// An argument's expression as one line of HCL.
fn attr(b: &Block, key: &str) -> String {
    let text = b.body().attributes().find(|a| a.key() == key).map(|a| a.expr().to_string());
    let text = text.unwrap_or_else(|| panic!("no {key}"));
    text.lines().map(str::trim).collect::<Vec<_>>().join("").replace(",]", "]")
}

fn nested<'a>(b: &'a Block, ident: &str) -> Vec<&'a Block> {
    b.body().blocks().filter(|x| x.identifier() == ident).collect()
}

#[test]
fn terraform_task_definition_and_service() {
    let body = tf();
    let td = block(&body, "aws_ecs_task_definition", "app_task_definition");
    assert_eq!(attr(td, "cpu"), "\"256\"");
    assert_eq!(attr(td, "network_mode"), "\"awsvpc\"");
    assert_eq!(attr(td, "execution_role_arn"), "aws_iam_role.app_execution_role.arn");
    let defs = attr(td, "container_definitions");
    assert!(defs.starts_with("jsonencode(["), "{defs}");
    assert!(
        defs.contains("\"awslogs-group\" = aws_cloudwatch_log_group.app_log_group.name")
            || defs.contains("awslogs-group = aws_cloudwatch_log_group.app_log_group.name"),
        "{defs}"
    );
    let Some(Expression::FuncCall(call)) =
        td.body().attributes().find(|a| a.key() == "container_definitions").map(|a| a.expr().clone())
    else {
        panic!("jsonencode call")
    };
    assert_eq!(call.name.to_string(), "jsonencode");
    let vol = nested(td, "volume")[0];
    let efs = nested(vol, "efs_volume_configuration")[0];
    assert_eq!(attr(efs, "file_system_id"), "aws_efs_file_system.app_file_system.id");
    assert_eq!(attr(efs, "transit_encryption"), "\"ENABLED\"");
    assert_eq!(
        attr(nested(efs, "authorization_config")[0], "access_point_id"),
        "aws_efs_access_point.app_access_point.id"
    );

    let svc = block(&body, "aws_ecs_service", "app_service");
    assert_eq!(attr(svc, "cluster"), "aws_ecs_cluster.app_cluster.arn");
    assert_eq!(attr(svc, "task_definition"), "aws_ecs_task_definition.app_task_definition.arn");
    assert_eq!(attr(svc, "scheduling_strategy"), "\"REPLICA\"");
    assert_eq!(attr(svc, "deployment_minimum_healthy_percent"), "100");
    assert_eq!(attr(svc, "deployment_maximum_percent"), "200");
    assert_eq!(attr(svc, "depends_on"), "[aws_lb_listener.app_https_listener]");
    let breaker = nested(svc, "deployment_circuit_breaker")[0];
    assert_eq!((attr(breaker, "enable"), attr(breaker, "rollback")), ("true".into(), "true".into()));
    assert_eq!(attr(nested(svc, "network_configuration")[0], "assign_public_ip"), "false");
    let lb = nested(svc, "load_balancer")[0];
    assert_eq!(attr(lb, "target_group_arn"), "aws_lb_target_group.app_target_group.arn");
    assert_eq!(attr(lb, "container_port"), "8080");
    assert_eq!(attr(block(&body, "aws_lb_target_group", "app_target_group"), "target_type"), "\"ip\"");
    let cluster = block(&body, "aws_ecs_cluster", "app_cluster");
    assert_eq!(attr(nested(cluster, "setting")[0], "value"), "\"enabled\"");
    let lg = block(&body, "aws_cloudwatch_log_group", "app_log_group");
    assert_eq!(attr(lg, "retention_in_days"), "30");
}

#[test]
fn terraform_file_system_is_protected() {
    let body = tf();
    let fs = block(&body, "aws_efs_file_system", "app_file_system");
    assert_eq!(attr(fs, "encrypted"), "true");
    assert_eq!(attr(nested(fs, "lifecycle")[0], "prevent_destroy"), "true");
    assert_eq!(nested(fs, "lifecycle_policy").len(), 2);
    let backup = block(&body, "aws_efs_backup_policy", "app_file_system");
    assert_eq!(attr(backup, "file_system_id"), "aws_efs_file_system.app_file_system.id");
    assert_eq!(attr(nested(backup, "backup_policy")[0], "status"), "\"ENABLED\"");
    let mt = block(&body, "aws_efs_mount_target", "app_mount_target2");
    assert_eq!(attr(mt, "subnet_id"), "aws_subnet.private_subnet2.id");
    assert_eq!(attr(mt, "security_groups"), "[aws_security_group.app_file_system_security_group.id]");
    let ap = block(&body, "aws_efs_access_point", "app_access_point");
    assert_eq!(attr(nested(ap, "posix_user")[0], "uid"), "1000");
    let root = nested(ap, "root_directory")[0];
    assert_eq!(attr(root, "path"), "\"/shared\"");
    assert_eq!(attr(nested(root, "creation_info")[0], "permissions"), "\"0750\"");
}

#[test]
fn terraform_schedule() {
    let body = tf();
    let s = block(&body, "aws_scheduler_schedule", "app_nightly");
    assert_eq!(attr(s, "schedule_expression"), "\"cron(0 2 * * ? *)\"");
    assert_eq!(attr(nested(s, "flexible_time_window")[0], "mode"), "\"OFF\"");
    let target = nested(s, "target")[0];
    assert_eq!(attr(target, "arn"), "aws_ecs_cluster.app_cluster.arn");
    assert_eq!(attr(target, "role_arn"), "aws_iam_role.app_scheduler_role.arn");
    assert!(attr(target, "input").contains("bin/cleanup"));
    let ecs = nested(target, "ecs_parameters")[0];
    assert_eq!(attr(ecs, "task_definition_arn"), "aws_ecs_task_definition.app_task_definition.arn");
    assert_eq!(attr(nested(ecs, "network_configuration")[0], "assign_public_ip"), "false");
    assert_eq!(attr(nested(target, "retry_policy")[0], "maximum_retry_attempts"), "2");
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(
        iac_render::cloudformation::template(&stack()).unwrap(),
        iac_render::cloudformation::template(&stack()).unwrap()
    );
    assert_eq!(iac_render::terraform::render(&stack()).unwrap(), iac_render::terraform::render(&stack()).unwrap());
}

#[test]
fn udp_ports_keep_their_protocol() {
    let mut c = container(Vec::new());
    c = c.with_udp_port(25826, 25826);
    let t = iac_render::cloudformation::template(&stack_with(c).unwrap()).unwrap();
    let ports = &props(&t, "AppTaskDefinition")["ContainerDefinitions"][0]["PortMappings"];
    assert_eq!(
        *ports,
        json!([{ "ContainerPort": 8080, "Protocol": "tcp" }, { "ContainerPort": 25826, "Protocol": "udp" }])
    );
}
