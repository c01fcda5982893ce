//! Validation rules, references and the graph, each exercised on a small stack.

use iac_core::app::{Container, HostConfig};
use iac_core::diag::Severity;
use iac_core::model::*;
use iac_core::patterns::{Database, DatabaseProps, Network, NetworkProps};
use iac_core::stack::{Stack, StackBuilder};
use iac_core::validate::validate;
use iac_core::value::{Attr, AttrRef, SecretRef, Value};
use iac_core::{CoreError, LogicalId, graph::Graph};
use indexmap::IndexMap;

fn vpc(stack: &mut StackBuilder) -> Handle<Vpc> {
    stack.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true })
}

fn sg(stack: &mut StackBuilder, id: &str, vpc: &Handle<Vpc>, ingress: Vec<Rule>) -> Handle<SecurityGroup> {
    sg_in(stack, id, vpc.vpc_id(), ingress)
}

fn sg_in(stack: &mut StackBuilder, id: &str, vpc_id: Value<String>, ingress: Vec<Rule>) -> Handle<SecurityGroup> {
    stack.add(id, SecurityGroup { description: id.into(), vpc_id, ingress, egress: Vec::new() })
}

fn codes(stack: &Stack) -> Vec<(&'static str, String)> {
    validate(stack).into_iter().map(|d| (d.code.as_str(), d.path.to_string())).collect()
}

fn world(port: u16) -> Rule {
    Rule::tcp(port, Peer::Cidr("0.0.0.0/0".into()), "world")
}

fn db(stack: &mut StackBuilder, sgs: Vec<Value<String>>, mutate: impl FnOnce(&mut DbInstance)) -> Handle<DbInstance> {
    let mut d = DbInstance {
        identifier: Some("demo".into()),
        engine: Engine::Postgres,
        engine_version: "17.6".into(),
        instance_class: "db.t4g.micro".into(),
        allocated_storage_gib: 20,
        max_allocated_storage_gib: None,
        storage_type: "gp3".into(),
        storage_encrypted: true,
        multi_az: false,
        publicly_accessible: false,
        backup_retention_days: 7,
        deletion_protection: true,
        db_name: None,
        master_username: "app".into(),
        master_password: MasterPassword::ManagedByRds,
        port: None,
        security_group_ids: sgs,
        subnet_group_name: "sn".into(),
        parameter_group_name: None,
        iam_authentication: true,
        performance_insights: true,
        monitoring: None,
        log_exports: Vec::new(),
        auto_minor_version_upgrade: true,
        copy_tags_to_snapshot: true,
        source_db_instance: None,
    };
    mutate(&mut d);
    stack.add("Db", d)
}

#[test]
fn world_ingress_is_refused_except_web_ports_on_a_public_load_balancer() {
    let mut s = StackBuilder::new("demo", "dev");
    let v = vpc(&mut s);
    let lb_sg = sg(&mut s, "LbSg", &v, vec![world(80), world(443), world(8080)]);
    let app_sg = sg(&mut s, "AppSg", &v, vec![world(443), Rule::tcp(22, Peer::CidrV6("::/0".into()), "ssh")]);
    s.add(
        "Lb",
        LoadBalancer {
            name: None,
            scheme: Scheme::InternetFacing,
            subnet_ids: vec!["a".into(), "b".into()],
            security_group_ids: vec![lb_sg.group_id()],
            deletion_protection: true,
            drop_invalid_header_fields: true,
            idle_timeout_seconds: 60,
        },
    );
    let _ = app_sg;
    let stack = s.build().unwrap();
    let found = codes(&stack);
    let iac010: Vec<&String> = found.iter().filter(|(c, _)| *c == "IAC010").map(|(_, p)| p).collect();
    assert_eq!(iac010, ["demo/LbSg/Ingress[2]", "demo/AppSg/Ingress[0]", "demo/AppSg/Ingress[1]"], "{found:?}");
}

#[test]
fn internal_load_balancer_gets_no_exception() {
    let mut s = StackBuilder::new("demo", "dev");
    let v = vpc(&mut s);
    let lb_sg = sg(&mut s, "LbSg", &v, vec![world(443)]);
    s.add(
        "Lb",
        LoadBalancer {
            name: None,
            scheme: Scheme::Internal,
            subnet_ids: vec!["a".into(), "b".into()],
            security_group_ids: vec![lb_sg.group_id()],
            deletion_protection: true,
            drop_invalid_header_fields: true,
            idle_timeout_seconds: 60,
        },
    );
    assert!(codes(&s.build().unwrap()).iter().any(|(c, _)| *c == "IAC010"));
}

#[test]
fn database_rules_fire() {
    let mut s = StackBuilder::new("demo", "dev");
    let v = vpc(&mut s);
    let db_sg = sg(&mut s, "DbSg", &v, vec![Rule::tcp(5432, Peer::Cidr("10.0.0.0/8".into()), "range")]);
    db(&mut s, vec![db_sg.group_id()], |d| {
        d.publicly_accessible = true;
        d.deletion_protection = false;
        d.storage_encrypted = false;
        d.backup_retention_days = 0;
        d.identifier = Some("Bad_Name".into());
    });
    let found: Vec<&str> = codes(&s.build().unwrap()).into_iter().map(|(c, _)| c).collect();
    for code in ["IAC011", "IAC020", "IAC021", "IAC022", "IAC023", "IAC025"] {
        assert!(found.contains(&code), "{code} missing from {found:?}");
    }
}

#[test]
fn database_without_security_group_is_refused() {
    let mut s = StackBuilder::new("demo", "dev");
    db(&mut s, Vec::new(), |_| {});
    assert!(codes(&s.build().unwrap()).iter().any(|(c, p)| *c == "IAC024" && p == "demo/Db/VPCSecurityGroups"));
}

#[test]
fn the_database_pattern_admits_only_named_tiers() {
    let mut s = StackBuilder::new("demo", "dev");
    let net = Network::create(
        &mut s,
        &NetworkProps { cidr: "10.0.0.0/16".parse().unwrap(), zones: 2, subnet_prefix: 20, nat_per_zone: false },
    );
    let db = Database::create(
        &mut s,
        DatabaseProps {
            name: "Database",
            network: &net,
            engine: Engine::Postgres,
            engine_version: "17.6".into(),
            family: "postgres17".into(),
            parameters: IndexMap::new(),
            instance_class: "db.t4g.micro".into(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: false,
            identifier: None,
            db_name: "app".into(),
            master_username: "app".into(),
            monitoring_interval: 0,
        },
    );
    let app = sg_in(&mut s, "AppSg", net.vpc_id.clone(), Vec::new());
    db.allow_from(&mut s, &("App", &app));
    // A range instead of a tier is refused even when added as a separate rule.
    s.add(
        "DatabaseFromOffice",
        SecurityGroupIngress {
            group_id: db.security_group.group_id(),
            rule: Rule::tcp(5432, Peer::Cidr("192.168.0.0/16".into()), "office"),
        },
    );
    let stack = s.build().unwrap();
    let found = codes(&stack);
    assert_eq!(
        found.iter().filter(|(c, _)| c.starts_with("IAC01")).collect::<Vec<_>>(),
        [&("IAC011", "demo/DatabaseFromOffice/Rule".to_owned())],
        "{found:?}"
    );
    let url = db.url("postgresql");
    assert!(url.contains_secret());
}

#[test]
fn unpinned_images_and_literal_secrets_are_refused() {
    let mut s = StackBuilder::new("demo", "dev");
    let host = HostConfig {
        name: "h".into(),
        containers: vec![
            Container::new("a", "nginx").with_env("DB_PASSWORD", "hunter2"),
            Container::new("b", "nginx:latest").with_env("API_TOKEN", SecretRef::ssm("/demo/token")),
        ],
        ..HostConfig::default()
    };
    s.add(
        "Host",
        Instance {
            subnet_id: "subnet-1".into(),
            machine: MachineSpec {
                image_id: "ami-12345678".into(),
                instance_type: "t3.micro".into(),
                security_group_ids: Vec::new(),
                instance_profile: None,
                root_volume: Some(RootVolume {
                    device_name: "/dev/xvda".into(),
                    size_gib: 8,
                    volume_type: "gp3".into(),
                    encrypted: false,
                }),
                user_data: Some(host),
                key_name: None,
                detailed_monitoring: false,
            },
            launch_template: None,
        },
    );
    let found = codes(&s.build().unwrap());
    let want = [
        ("IAC040", "demo/Host/BlockDeviceMappings[0].Ebs.Encrypted"),
        ("IAC041", "demo/Host/UserData.Containers[0].Image"),
        ("IAC042", "demo/Host/UserData.Containers[0].Env.DB_PASSWORD"),
        ("IAC041", "demo/Host/UserData.Containers[1].Image"),
    ];
    for (code, path) in want {
        assert!(found.iter().any(|(c, p)| *c == code && p == path), "{code} {path} missing from {found:?}");
    }
    assert!(!found.iter().any(|(_, p)| p.contains("API_TOKEN")), "a secret reference is fine: {found:?}");
}

#[test]
fn references_are_checked() {
    let mut s = StackBuilder::new("demo", "dev");
    let v = vpc(&mut s);
    s.add(
        "Subnet",
        Subnet {
            vpc_id: Value::Attr(AttrRef { id: LogicalId::new("Missing").unwrap(), attr: Attr::Id }),
            cidr_block: Value::Attr(AttrRef { id: v.id().clone(), attr: Attr::DnsName }),
            availability_zone: Value::Param(LogicalId::new("Zone").unwrap()),
            map_public_ip_on_launch: true,
        },
    );
    let diags = validate(&s.build().unwrap());
    let found: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(found, ["IAC004", "IAC005", "IAC006", "IAC037"], "{diags:#?}");
    assert_eq!(diags[3].severity, Severity::Warning);
    assert!(diags[1].message.contains("VPC has no such attribute"), "{}", diags[1].message);
}

#[test]
fn builder_collects_bad_and_duplicate_ids() {
    let mut s = StackBuilder::new("Demo", "dev");
    vpc(&mut s);
    vpc(&mut s);
    s.add("bad-id", InternetGateway {});
    let Err(CoreError::Invalid { diagnostics, .. }) = s.build() else { panic!("must fail") };
    let found: Vec<&str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(found, ["IAC007", "IAC002", "IAC001"], "{diagnostics:#?}");
}

#[test]
fn builder_reports_duplicate_bakes_and_apps() {
    use iac_core::app::{Bake, BaseImage};
    use iac_core::workload::{App, Service};
    let bake = || Bake {
        name: "web".into(),
        base: BaseImage::Id("ami-12345678".into()),
        instance_type: "t3.small".into(),
        ssh_username: "ubuntu".into(),
        root_volume: RootVolume::gp3("/dev/sda1", 20),
        host: HostConfig::default(),
    };
    let app = || App::new("shop").service(Service::new(Container::new("web", "shop/web:1.2.3")));
    let mut s = StackBuilder::new("demo", "dev");
    s.bake(bake()).bake(bake()).app(app()).app(app());
    let Err(CoreError::Invalid { diagnostics, .. }) = s.build() else { panic!("must fail") };
    let found: Vec<(&str, String)> = diagnostics.iter().map(|d| (d.code.as_str(), d.path.to_string())).collect();
    assert_eq!(found, [("IAC008", "demo/web".to_owned()), ("IAC009", "demo/app:shop".to_owned())]);
}

#[test]
#[allow(clippy::many_single_char_names)]
fn graph_orders_and_names_cycles() {
    let mut s = StackBuilder::new("demo", "dev");
    let a = LogicalId::new("A").unwrap();
    let b = LogicalId::new("B").unwrap();
    let c = LogicalId::new("C").unwrap();
    let rt = |dep: &LogicalId| RouteTable { vpc_id: Value::Attr(AttrRef { id: dep.clone(), attr: Attr::Id }) };
    s.add("A", rt(&b));
    s.add("B", rt(&c));
    s.add("C", rt(&a));
    let stack = s.build().unwrap();
    let err = Graph::new(&stack).unwrap_err().to_string();
    assert!(err.contains("A -> B -> C -> A"), "{err}");
    assert!(validate(&stack).iter().any(|d| d.code == "IAC003"));

    let mut s = StackBuilder::new("demo", "dev");
    let v = vpc(&mut s);
    let igw = s.add("Igw", InternetGateway {});
    s.add("Attach", VpcGatewayAttachment { vpc_id: v.vpc_id(), internet_gateway_id: igw.gateway_id() });
    let rtb = s.add("Rt", RouteTable { vpc_id: v.vpc_id() });
    s.add_with(
        "Route",
        Route {
            route_table_id: rtb.route_table_id(),
            destination_cidr_block: "0.0.0.0/0".into(),
            target: RouteTarget::InternetGateway(igw.gateway_id()),
        },
        |e| e.depends_on.push(LogicalId::new("Attach").unwrap()),
    );
    let stack = s.build().unwrap();
    let g = Graph::new(&stack).unwrap();
    let order: Vec<&str> = g.order().iter().map(LogicalId::as_str).collect();
    assert_eq!(order, ["Vpc", "Igw", "Attach", "Rt", "Route"]);
    let reverse: Vec<&str> = g.reverse_order().map(LogicalId::as_str).collect();
    assert_eq!(reverse, ["Route", "Rt", "Attach", "Igw", "Vpc"]);
    let (total, path) = g.critical_path(&stack, |e| if e.id.as_str() == "Attach" { 10 } else { 1 });
    assert_eq!(total, 12);
    assert_eq!(path.iter().map(LogicalId::as_str).collect::<Vec<_>>(), ["Vpc", "Attach", "Route"]);
}

#[test]
fn physical_names_fit_limits() {
    let mut s = StackBuilder::new("a-rather-long-stack-name", "production");
    s.add(
        "ApplicationLoadBalancerForTheWebTier",
        LoadBalancer {
            name: None,
            scheme: Scheme::Internal,
            subnet_ids: vec!["a".into(), "b".into()],
            security_group_ids: Vec::new(),
            deletion_protection: true,
            drop_invalid_header_fields: true,
            idle_timeout_seconds: 60,
        },
    );
    let stack = s.build().unwrap();
    let entry = stack.resources().next().unwrap();
    let name = iac_core::naming::physical_name(&stack, entry).unwrap();
    assert!(name.len() <= 32, "{name}");
    assert!(name.starts_with("a-rather-long-stack-na"), "{name}");
    assert_eq!(name, iac_core::naming::physical_name(&stack, entry).unwrap());
}

#[test]
fn subnet_ranges_must_fit_the_vpc() {
    let mut s = StackBuilder::new("demo", "dev");
    let v = vpc(&mut s);
    let subnet = |cidr: &str| Subnet {
        vpc_id: v.vpc_id(),
        cidr_block: cidr.into(),
        availability_zone: "eu-west-1a".into(),
        map_public_ip_on_launch: false,
    };
    s.add("Inside", subnet("10.0.16.0/20"));
    s.add("Outside", subnet("10.1.0.0/20"));
    s.add("Garbled", subnet("10.0.0.1/20"));
    s.add("Empty", subnet(""));
    let found = codes(&s.build().unwrap());
    let bad: Vec<&str> = found.iter().filter(|(c, _)| *c == "IAC038").map(|(_, p)| p.as_str()).collect();
    assert_eq!(bad, ["demo/Garbled/CidrBlock", "demo/Empty/CidrBlock"], "{found:?}");
    assert!(found.iter().any(|(c, p)| *c == "IAC039" && p == "demo/Outside/CidrBlock"), "{found:?}");

    // Three zones of /18 do not fit twice (public and private) in a /17.
    let mut s = StackBuilder::new("demo", "dev");
    Network::create(
        &mut s,
        &NetworkProps { cidr: "10.0.0.0/17".parse().unwrap(), zones: 3, subnet_prefix: 18, nat_per_zone: false },
    );
    let found = codes(&s.build().unwrap());
    assert!(found.iter().any(|(c, p)| *c == "IAC038" && p == "demo/PublicSubnet3/CidrBlock"), "{found:?}");
}

#[test]
fn bakes_are_validated() {
    use iac_core::app::{Bake, BaseImage};
    let mut s = StackBuilder::new("demo", "dev");
    s.bake(Bake {
        name: "Web_Image".into(),
        base: BaseImage::Id("ami-12345678".into()),
        instance_type: "t3.small".into(),
        ssh_username: "ubuntu".into(),
        root_volume: RootVolume {
            device_name: "/dev/sda1".into(),
            size_gib: 20,
            volume_type: "gp3".into(),
            encrypted: false,
        },
        host: HostConfig {
            name: "web".into(),
            containers: vec![Container::new("app", "nginx")],
            ..HostConfig::default()
        },
    });
    let found = codes(&s.build().unwrap());
    for (code, path) in [
        ("IAC044", "demo/bake:Web_Image"),
        ("IAC040", "demo/bake:Web_Image/RootVolume.Encrypted"),
        ("IAC041", "demo/bake:Web_Image/UserData.Containers[0].Image"),
    ] {
        assert!(found.iter().any(|(c, p)| *c == code && p == path), "{code} {path} missing from {found:?}");
    }
}

#[test]
fn rollout_order_is_data_and_is_checked() {
    use iac_core::rollout::{Role, RoleKind, RolloutPlan, RunsOn, Step};
    // Order checks only: where the roles run is checked by `validate_resources`.
    let role =
        |name: &str, kind| Role { name: name.into(), kind, runs_on: RunsOn::Instance(LogicalId::new("Host").unwrap()) };
    let migrate =
        |on: &str| Step::RunOnce { role: on.into(), command: vec!["alembic".into(), "upgrade".into(), "head".into()] };
    // Ichnaea's order: stop scheduler and workers, migrate (on a role that is up), start them,
    // switch web.
    let roles =
        vec![role("web", RoleKind::Web), role("worker", RoleKind::Workers), role("scheduler", RoleKind::Singleton)];
    let good = RolloutPlan {
        roles: roles.clone(),
        steps: vec![
            Step::Stop("scheduler".into()),
            Step::Stop("worker".into()),
            migrate("web"),
            Step::Start("scheduler".into()),
            Step::Start("worker".into()),
            Step::Switch("web".into()),
        ],
    };
    assert!(good.validate("ichnaea").is_empty(), "{:?}", good.validate("ichnaea"));
    assert_eq!(good.steps[2].to_string(), "run `alembic upgrade head` on web");

    // A command on a stopped role; a scheduler started without stopping it would run twice; a
    // stopped worker left down; a step that does not fit its role; an unknown role; the web
    // role never upgraded.
    let bad = RolloutPlan {
        roles,
        steps: vec![
            Step::Stop("worker".into()),
            migrate("worker"),
            Step::Start("scheduler".into()),
            Step::Switch("worker".into()),
            Step::Stop("db".into()),
        ],
    };
    let found: Vec<(&str, String)> =
        bad.validate("ichnaea").into_iter().map(|d| (d.code.as_str(), d.message)).collect();
    let codes: Vec<&str> = found.iter().map(|(c, _)| *c).collect();
    assert_eq!(codes, ["IAC079", "IAC072", "IAC071", "IAC070", "IAC073", "IAC074"], "{found:?}");
    assert!(found[0].1.contains("while it is stopped"), "{found:?}");
    assert!(found[1].1.contains("a singleton would run twice"), "{found:?}");
}

fn host_instance(s: &mut StackBuilder, id: &str, host: HostConfig) {
    s.add(
        id,
        Instance {
            subnet_id: "subnet-1".into(),
            machine: MachineSpec {
                image_id: "ami-12345678".into(),
                instance_type: "t3.micro".into(),
                security_group_ids: Vec::new(),
                instance_profile: None,
                root_volume: None,
                user_data: Some(host),
                key_name: None,
                detailed_monitoring: false,
            },
            launch_template: None,
        },
    );
}

#[test]
fn host_setup_rules_fire() {
    use iac_core::app::{
        Firewall, FirewallRule, HostFile, LocationAction, NginxLocation, NginxSite, ServiceType, SupervisorProgram,
        Swap, SystemdTimer, SystemdUnit, UnitRestart,
    };
    let mut s = StackBuilder::new("demo", "dev");
    let mut bad_unit = SystemdUnit::new("worker", "").exec(["python3", "job.py"]).exec(["/bin/true"]);
    bad_unit.after = vec!["network-online".into()];
    let mut oneshot = SystemdUnit::new("job.service", "a job").of_type(ServiceType::Oneshot).exec(["/bin/true"]);
    oneshot.restart = UnitRestart::Always;
    let container = SystemdUnit::container(Container::new("app", "example/app"), "app").exec(["/bin/true"]);
    let mut site = NginxSite::proxy("web site", "bad name!", 0);
    site.locations.push(NginxLocation { path: "/x".into(), action: LocationAction::TryFiles(vec!["$uri".into()]) });
    let mut sysctl = std::collections::BTreeMap::new();
    sysctl.insert("vm swappiness".to_owned(), "10".to_owned());
    let host = HostConfig {
        name: "h".into(),
        files: vec![
            HostFile { path: "etc/app.conf".into(), mode: 0o644, content: String::new() },
            HostFile { path: "/etc/a".into(), mode: 0o644, content: String::new() },
            HostFile { path: "/etc/a".into(), mode: 0o644, content: String::new() },
        ],
        swap: Some(Swap { swappiness: Some(150), ..Swap::file(0) }),
        firewall: Some(Firewall {
            rules: vec![
                FirewallRule::tcp(22, Vec::<String>::new(), "ssh"),
                FirewallRule::tcp(80, ["0.0.0.0/0"], "web"),
                FirewallRule::tcp(8086, Vec::<String>::new(), "influx"),
                FirewallRule::tcp(8083, ["10.0.0.0/33"], "admin"),
            ],
        }),
        sysctl,
        units: vec![bad_unit, oneshot, container],
        timers: vec![SystemdTimer {
            name: "nightly.timer".into(),
            description: "nightly".into(),
            on_calendar: vec!["*-*-* 25:00".into()],
            unit: None,
            persistent: true,
        }],
        supervisor: vec![SupervisorProgram::new("red is", ["redis-server", "--port", "100%"])],
        nginx_sites: vec![site],
        ..HostConfig::default()
    };
    host_instance(&mut s, "Host", host);
    let stack = s.build().unwrap();
    let found = codes(&stack);
    let want = [
        ("IAC165", "demo/Host/UserData.Files[0].Path"),
        ("IAC174", "demo/Host/UserData.Files[2]"),
        ("IAC173", "demo/Host/UserData.Swap.Size"),
        ("IAC189", "demo/Host/UserData.Swap.Swappiness"),
        ("IAC167", "demo/Host/UserData.Firewall.Rules[2]"),
        ("IAC169", "demo/Host/UserData.Firewall.Rules[3].Sources"),
        ("IAC172", "demo/Host/UserData.Sysctl.vm swappiness"),
        ("IAC160", "demo/Host/UserData.Units[0].Name"),
        ("IAC179", "demo/Host/UserData.Units[0].Description"),
        ("IAC160", "demo/Host/UserData.Units[0].Dependencies"),
        ("IAC161", "demo/Host/UserData.Units[0].ExecStart[0]"),
        ("IAC186", "demo/Host/UserData.Units[0].ExecStart"),
        ("IAC187", "demo/Host/UserData.Units[1].Restart"),
        ("IAC162", "demo/Host/UserData.Units[2].ExecStart"),
        ("IAC041", "demo/Host/UserData.Units[2].Container.Image"),
        ("IAC163", "demo/Host/UserData.Timers[0].OnCalendar"),
        ("IAC164", "demo/Host/UserData.Timers[0].Unit"),
        ("IAC170", "demo/Host/UserData.Supervisor[0].Name"),
        ("IAC161", "demo/Host/UserData.Supervisor[0].Command"),
        ("IAC188", "demo/Host/UserData.Supervisor[0].Command"),
        ("IAC171", "demo/Host/UserData.NginxSites[0].Name"),
        ("IAC190", "demo/Host/UserData.NginxSites[0].ServerNames"),
        ("IAC166", "demo/Host/UserData.NginxSites[0].Locations[0]"),
        ("IAC194", "demo/Host/UserData.NginxSites[0].Locations[1]"),
    ];
    for (code, path) in want {
        assert!(found.iter().any(|(c, p)| *c == code && p == path), "{code} {path} missing from {found:#?}");
    }
    // SSH open to everyone is a warning; 80 open to everyone is fine.
    let diags = validate(&stack);
    let ssh = diags.iter().find(|d| d.code == "IAC168").expect("a warning for SSH");
    assert_eq!(ssh.severity, Severity::Warning);
    assert_eq!(ssh.path.to_string(), "demo/Host/UserData.Firewall.Rules[0]");
    assert!(!found.iter().any(|(_, p)| p.ends_with("Rules[1]")), "{found:?}");
}

#[test]
fn a_sound_host_setup_passes() {
    use iac_core::app::{
        Firewall, FirewallRule, NginxSite, ServiceType, SupervisorProgram, Swap, SystemdTimer, SystemdUnit,
    };
    let mut s = StackBuilder::new("demo", "dev");
    let mut report = SystemdUnit::new("report.service", "nightly report")
        .of_type(ServiceType::Oneshot)
        .exec(["/usr/local/bin/report"]);
    report.wanted_by.clear();
    let host = HostConfig {
        name: "h".into(),
        swap: Some(Swap { swappiness: Some(10), vfs_cache_pressure: Some(50), ..Swap::file(4096) }),
        firewall: Some(Firewall {
            rules: vec![
                FirewallRule::tcp(80, Vec::<String>::new(), "web"),
                FirewallRule::tcp(8086, ["10.0.0.0/8"], "admin"),
            ],
        }),
        units: vec![report, SystemdUnit::container(Container::new("app", "example/app:1.2.3"), "the app")],
        timers: vec![SystemdTimer {
            name: "report.timer".into(),
            description: "nightly".into(),
            on_calendar: vec!["*-*-* 22:00:00 Europe/London".into()],
            unit: None,
            persistent: true,
        }],
        supervisor: vec![SupervisorProgram::new("redis", ["/usr/bin/redis-server", "--appendonly", "yes"])],
        nginx_sites: vec![NginxSite::proxy("app", "app.example.org", 3000)],
        ..HostConfig::default()
    };
    host_instance(&mut s, "Host", host);
    assert!(validate(&s.build().unwrap()).is_empty());
}

#[test]
fn droplets_schedules_and_bakes_with_setup() {
    use iac_core::app::{Bake, BaseImage, FirewallProtocol, Swap};
    let mut s = StackBuilder::new("demo", "dev");
    let host = HostConfig {
        name: "h".into(),
        containers: vec![Container::new("app", "example/app:1").with_env("API_TOKEN", SecretRef::ssm("/t"))],
        ..HostConfig::default()
    };
    let d = s.add(
        "Droplet",
        Droplet {
            name: "d".into(),
            region: "lon1".into(),
            size: "s-1vcpu-1gb".into(),
            image: "ubuntu-24-04-x64".into(),
            ssh_keys: Vec::new(),
            monitoring: true,
            backups: false,
            ipv6: false,
            user_data: Some(host),
        },
    );
    s.add(
        "Firewall",
        DoFirewall {
            name: "f".into(),
            droplet_ids: vec![d.droplet_id()],
            inbound: vec![
                DoFirewallRule {
                    protocol: FirewallProtocol::Tcp,
                    ports: "80".into(),
                    addresses: vec!["0.0.0.0/0".into()],
                },
                DoFirewallRule {
                    protocol: FirewallProtocol::Tcp,
                    ports: "6379".into(),
                    addresses: vec!["::/0".into()],
                },
                DoFirewallRule {
                    protocol: FirewallProtocol::Tcp,
                    ports: "8086".into(),
                    addresses: vec!["10.0.0.0".into()],
                },
            ],
            outbound: Vec::new(),
        },
    );
    s.add(
        "Start",
        Schedule {
            description: "start".into(),
            expression: "cron(0 8 * * *)".into(),
            timezone: String::new(),
            name: None,
            target: ScheduleTarget::Call {
                target_arn: Schedule::universal_target("ec2", "startInstances").into(),
                input: "{}".into(),
            },
            role_arn: "arn:aws:iam::123456789012:role/x".into(),
            enabled: true,
        },
    );
    s.bake(Bake {
        name: "img".into(),
        base: BaseImage::Id("ami-12345678".into()),
        instance_type: "t3.small".into(),
        ssh_username: "ubuntu".into(),
        root_volume: RootVolume::gp3("/dev/sda1", 20),
        host: HostConfig { name: "img".into(), swap: Some(Swap::file(1024)), ..HostConfig::default() },
    });
    let found = codes(&s.build().unwrap());
    for (code, path) in [
        ("IAC176", "demo/Droplet/UserData.Containers"),
        ("IAC177", "demo/Firewall/InboundRules[1]"),
        ("IAC169", "demo/Firewall/InboundRules[2].Addresses"),
        ("IAC129", "demo/Start/ScheduleExpression"),
        ("IAC178", "demo/Start/ScheduleExpressionTimezone"),
        ("IAC175", "demo/bake:img/Host"),
    ] {
        assert!(found.iter().any(|(c, p)| *c == code && p == path), "{code} {path} missing from {found:#?}");
    }
    assert!(!found.iter().any(|(_, p)| p.ends_with("InboundRules[0]")), "80 may be open: {found:?}");
}
