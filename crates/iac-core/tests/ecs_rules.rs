//! Validation of the ECS, EFS, logs and scheduler kinds (IAC120-IAC136), and the
//! `ContainerService` pattern's output passing every rule.

use iac_core::app::Container;
use iac_core::diag::Severity;
use iac_core::model::*;
use iac_core::patterns::{
    ContainerService, ContainerServiceProps, Network, NetworkProps, ScheduledCommand, SharedVolume,
};
use iac_core::stack::{Stack, StackBuilder};
use iac_core::validate::validate;
use iac_core::value::{SecretRef, Value};

/// Codes and paths of every diagnostic.
fn codes(stack: &Stack) -> Vec<(&'static str, String)> {
    validate(stack).into_iter().map(|d| (d.code.as_str(), d.path.to_string())).collect()
}

fn has(stack: &Stack, code: &str, path: &str) -> bool {
    codes(stack).iter().any(|(c, p)| *c == code && p == path)
}

fn task(containers: Vec<Container>, volumes: Vec<EfsVolume>, cpu: u32, memory_mib: u32) -> TaskDefinition {
    TaskDefinition {
        family: None,
        cpu,
        memory_mib,
        execution_role_arn: "arn:aws:iam::1:role/exec".into(),
        task_role_arn: "arn:aws:iam::1:role/task".into(),
        containers,
        logs: None,
        volumes,
        cpu_architecture: CpuArchitecture::X86_64,
    }
}

fn volume(name: &str) -> EfsVolume {
    EfsVolume { name: name.into(), file_system_id: "fs-1".into(), access_point_id: "fsap-1".into() }
}

#[test]
fn containers_are_pinned_and_secrets_are_whole_references() {
    let mut s = StackBuilder::new("demo", "dev");
    let good = Container::new("ok", "example/app:1.0").with_env("DB_PASSWORD", Value::Secret(SecretRef::ssm("/pw")));
    let bad = Container::new("bad", "example/app:latest")
        .with_env("DB_PASSWORD", "hunter2")
        .with_env(
            "URL",
            Value::join([Value::from("mysql://u:"), Value::Secret(SecretRef::ssm("/pw")), Value::from("@h")]),
        )
        .with_env("ENCODED", Value::Secret(SecretRef::ssm("/pw").url_encoded()))
        .with_mount("nowhere", "/data", false)
        .with_port(8080, 80);
    s.add("Task", task(vec![good, bad], vec![volume("data")], 256, 512));
    let stack = s.build().unwrap();
    let p = "demo/Task/ContainerDefinitions[1]";
    assert!(has(&stack, "IAC120", &format!("{p}.Image")), "{:?}", codes(&stack));
    assert!(has(&stack, "IAC121", &format!("{p}.Environment.DB_PASSWORD")));
    assert!(has(&stack, "IAC122", &format!("{p}.Environment.URL")));
    assert!(has(&stack, "IAC180", &format!("{p}.Secrets.ENCODED")));
    assert!(has(&stack, "IAC123", &format!("{p}.MountPoints")));
    assert!(has(&stack, "IAC127", &format!("{p}.PortMappings")));
    // The first container is fine: nothing reported under it.
    assert!(codes(&stack).iter().all(|(_, path)| !path.contains("ContainerDefinitions[0]")), "{:?}", codes(&stack));
    let d = validate(&stack).into_iter().find(|d| d.code == "IAC123").unwrap();
    assert!(d.message.contains("nowhere") && d.hint.contains("data"), "{d}");
}

#[test]
fn fargate_sizes_are_checked() {
    for (cpu, memory, ok) in [
        (256, 512, true),
        (256, 4096, false),
        (512, 2048, true),
        (512, 1536, false),
        (1024, 8192, true),
        (300, 1024, false),
    ] {
        let mut s = StackBuilder::new("demo", "dev");
        s.add("Task", task(vec![Container::new("a", "example/a:1")], Vec::new(), cpu, memory));
        let stack = s.build().unwrap();
        assert_eq!(!has(&stack, "IAC124", "demo/Task/Memory"), ok, "{cpu}/{memory}");
    }
    let mut s = StackBuilder::new("demo", "dev");
    s.add("Task", task(Vec::new(), Vec::new(), 256, 512));
    assert!(has(&s.build().unwrap(), "IAC125", "demo/Task/ContainerDefinitions"));
}

fn service(task_definition: Value<String>, mutate: impl FnOnce(&mut EcsService)) -> EcsService {
    let mut svc = EcsService {
        name: None,
        cluster: "arn:aws:ecs:eu-west-1:1:cluster/c".into(),
        task_definition,
        desired_count: 2,
        network: TaskNetwork {
            subnet_ids: vec!["subnet-1".into()],
            security_group_ids: vec!["sg-1".into()],
            assign_public_ip: false,
        },
        load_balancer: Some(ServiceLoadBalancer {
            target_group_arn: "arn:tg".into(),
            container_name: "web".into(),
            container_port: 80,
        }),
        health_check_grace_period_seconds: 60,
        minimum_healthy_percent: 100,
        maximum_percent: 200,
        circuit_breaker_rollback: true,
    };
    mutate(&mut svc);
    svc
}

#[test]
fn services_stay_private_keep_capacity_and_name_a_real_container() {
    let mut s = StackBuilder::new("demo", "dev");
    let td = s.add("Task", task(vec![Container::new("web", "example/web:1").with_port(80, 80)], Vec::new(), 256, 512));
    s.add("Good", service(td.arn(), |_| {}));
    s.add(
        "Bad",
        service(td.arn(), |x| {
            x.network.assign_public_ip = true;
            x.minimum_healthy_percent = 50;
            x.load_balancer.as_mut().unwrap().container_port = 8080;
        }),
    );
    let stack = s.build().unwrap();
    assert!(codes(&stack).iter().all(|(_, p)| !p.starts_with("demo/Good")), "{:?}", codes(&stack));
    assert!(has(&stack, "IAC131", "demo/Bad/NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp"));
    assert!(has(&stack, "IAC134", "demo/Bad/LoadBalancers[0]"));
    let capacity = validate(&stack).into_iter().find(|d| d.code == "IAC133").unwrap();
    assert_eq!(capacity.severity, Severity::Warning);
}

#[test]
fn file_systems_are_encrypted_backed_up_stateful_and_admit_only_tiers() {
    let mut s = StackBuilder::new("demo", "dev");
    let vpc =
        s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    let fs = s.add(
        "Fs",
        FileSystem {
            encrypted: false,
            kms_key_id: None,
            performance_mode: PerformanceMode::GeneralPurpose,
            backups: false,
            transition_to_ia_days: None,
        },
    );
    let open = s.add(
        "FsSg",
        SecurityGroup {
            description: "nfs".into(),
            vpc_id: vpc.vpc_id(),
            ingress: vec![Rule::tcp(2049, Peer::Cidr("10.0.0.0/16".into()), "the whole VPC")],
            egress: Vec::new(),
        },
    );
    s.add(
        "Mt",
        MountTarget {
            file_system_id: fs.file_system_id(),
            subnet_id: "subnet-1".into(),
            security_group_ids: vec![open.group_id()],
        },
    );
    s.add(
        "Ap",
        AccessPoint {
            file_system_id: fs.file_system_id(),
            posix_user: PosixUser { uid: 1, gid: 1 },
            root_directory: "/".into(),
            permissions: "0755".into(),
        },
    );
    let public = s.add(
        "Public",
        Subnet {
            vpc_id: vpc.vpc_id(),
            cidr_block: "10.0.0.0/24".into(),
            availability_zone: "eu-west-1a".into(),
            map_public_ip_on_launch: true,
        },
    );
    s.add(
        "PublicMt",
        MountTarget {
            file_system_id: fs.file_system_id(),
            subnet_id: public.subnet_id(),
            security_group_ids: Vec::new(),
        },
    );
    let stack = s.build().unwrap();
    assert!(has(&stack, "IAC135", "demo/Fs/Encrypted"), "{:?}", codes(&stack));
    assert!(has(&stack, "IAC126", "demo/FsSg/Ingress[0]"));
    assert!(has(&stack, "IAC128", "demo/Ap/RootDirectory.Path"));
    assert!(has(&stack, "IAC137", "demo/PublicMt/SubnetId"), "{:?}", codes(&stack));
    assert!(!has(&stack, "IAC137", "demo/Mt/SubnetId"));
    let backups = validate(&stack).into_iter().find(|d| d.code == "IAC136").unwrap();
    assert_eq!(backups.severity, Severity::Warning);
    let entry = stack.resources().find(|e| e.id.as_str() == "Fs").unwrap();
    assert!(entry.resource.is_stateful());
}

#[test]
fn schedules_and_log_groups() {
    let mut s = StackBuilder::new("demo", "dev");
    let run = |command: Vec<String>| RunTask {
        cluster_arn: "arn:c".into(),
        task_definition_arn: "arn:t".into(),
        network: TaskNetwork {
            subnet_ids: vec!["subnet-1".into()],
            security_group_ids: Vec::new(),
            assign_public_ip: false,
        },
        container_name: "web".into(),
        command,
    };
    for (id, expression, command) in [
        ("Ok", "rate(1 minute)", vec!["tick".to_owned()]),
        ("Cron5", "cron(0 3 * * *)", vec!["x".to_owned()]),
        ("Crontab", "0 3 * * *", vec!["x".to_owned()]),
        ("NoCommand", "rate(1 day)", Vec::new()),
    ] {
        s.add(
            id,
            Schedule {
                name: None,
                description: id.into(),
                expression: expression.into(),
                timezone: "UTC".into(),
                role_arn: "arn:r".into(),
                target: ScheduleTarget::RunTask(run(command)),
                enabled: true,
            },
        );
    }
    s.add("Logs", LogGroup { name: None, retention_days: 31, kms_key_arn: None });
    s.add("GoodLogs", LogGroup { name: None, retention_days: 365, kms_key_arn: None });
    let stack = s.build().unwrap();
    let found = codes(&stack);
    assert!(found.iter().all(|(_, p)| !p.starts_with("demo/Ok/") && !p.starts_with("demo/GoodLogs/")), "{found:?}");
    assert!(has(&stack, "IAC129", "demo/Cron5/ScheduleExpression"));
    assert!(has(&stack, "IAC129", "demo/Crontab/ScheduleExpression"));
    assert!(has(&stack, "IAC130", "demo/NoCommand/Target.Input"));
    assert!(has(&stack, "IAC132", "demo/Logs/RetentionInDays"));
}

#[test]
fn the_container_service_pattern_passes_every_rule() {
    let mut s = StackBuilder::new("demo", "prod");
    let network = Network::create(
        &mut s,
        &NetworkProps { cidr: "10.0.0.0/16".parse().unwrap(), zones: 2, subnet_prefix: 20, nat_per_zone: true },
    );
    let svc = ContainerService::create(
        &mut s,
        ContainerServiceProps {
            name: "App",
            network: &network,
            container: Container::new("web", "example/web:1.0")
                .with_port(80, 80)
                .with_mount("data", "/data", false)
                .with_env("SECRET_KEY", Value::Secret(SecretRef::secrets_manager("arn:aws:secretsmanager:x"))),
            cpu: 512,
            memory_mib: 1024,
            cpu_architecture: CpuArchitecture::X86_64,
            desired_count: 2,
            health_check: HealthCheck::http("/health"),
            health_check_grace_period_seconds: 60,
            certificate_arn: "arn:aws:acm:eu-west-1:1:certificate/x".into(),
            deletion_protection: true,
            log_retention_days: 365,
            shared_volume: Some(SharedVolume {
                volume: "data".into(),
                posix_user: PosixUser { uid: 33, gid: 33 },
                root_directory: "/data".into(),
                permissions: "0755".into(),
                transition_to_ia_days: None,
            }),
            schedules: vec![ScheduledCommand {
                name: "Tick".into(),
                description: "tick".into(),
                expression: "rate(1 minute)".into(),
                command: vec!["tick".into()],
            }],
            timezone: "UTC".into(),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: vec![3306],
        },
    );
    assert!(svc.file_system.is_some());
    // Tasks and mount targets in a public subnet (routed to the internet gateway) are refused.
    s.add(
        "StrayMt",
        MountTarget {
            file_system_id: svc.file_system.as_ref().unwrap().file_system_id(),
            subnet_id: network.public_subnets[0].clone(),
            security_group_ids: Vec::new(),
        },
    );
    let td = svc.task_definition.arn();
    s.add(
        "StrayService",
        service(td, |x| {
            x.network.subnet_ids = vec![network.private_subnets[0].clone(), network.public_subnets[1].clone()];
            x.load_balancer = None;
        }),
    );
    let stack = s.build().unwrap();
    assert_eq!(
        codes(&stack),
        [
            ("IAC137", "demo/StrayMt/SubnetId".to_owned()),
            ("IAC138", "demo/StrayService/NetworkConfiguration.AwsvpcConfiguration.Subnets[1]".to_owned())
        ],
        "the pattern's own resources pass every rule"
    );
    // The tasks' group admits the container port from the load balancer's group only.
    let Some(Resource::SecurityGroup(sg)) = stack.resource(svc.task_security_group.id()).map(|e| &e.resource) else {
        panic!("task group")
    };
    assert_eq!(sg.ingress.len(), 1);
    assert!(matches!(&sg.ingress[0].peer, Peer::Group(_)));
    assert!(sg.egress.iter().any(|r| r.from_port == 2049), "NFS to the file system");
    let kinds: Vec<&str> = stack.resources().map(|e| e.resource.kind_name()).collect();
    for kind in [
        "ECS cluster",
        "ECS task definition",
        "ECS service",
        "log group",
        "EFS file system",
        "EFS mount target",
        "EFS access point",
        "schedule",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
    let mount_targets = stack.resources().filter(|e| e.id.as_str().starts_with("AppMountTarget")).count();
    assert_eq!(mount_targets, 2, "one per private subnet");
}
