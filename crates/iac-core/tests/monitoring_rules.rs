//! The alarm, notification, data volume and generated secret kinds: their patterns, their facts
//! and the rules that check them.

use iac_core::LogicalId;
use iac_core::app::{DataBind, HostConfig};
use iac_core::diag::Severity;
use iac_core::merge::{CopyOptions, add_copy};
use iac_core::model::*;
use iac_core::patterns::alarms::{self, Notifications};
use iac_core::patterns::{DataVolumeProps, Database, DatabaseProps, Host, HostProps, Network, NetworkProps};
use iac_core::stack::{Stack, StackBuilder};
use iac_core::validate::validate;
use iac_core::value::{Attr, AttrRef, HasRefs, Refs, Value};

fn codes(stack: &Stack) -> Vec<(&'static str, String)> {
    validate(stack).into_iter().map(|d| (d.code.as_str(), d.path.to_string())).collect()
}

fn has(stack: &Stack, code: &str, path: &str) -> bool {
    codes(stack).iter().any(|(c, p)| *c == code && p == path)
}

fn errors(stack: &Stack) -> Vec<(&'static str, String)> {
    validate(stack)
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| (d.code.as_str(), d.path.to_string()))
        .collect()
}

/// A MySQL database with a replica, alarms on both and a host with a data volume.
fn monitored(s: &mut StackBuilder) -> (Database, Handle<DbInstance>, Host) {
    let network = Network::create(s, &NetworkProps::default());
    let db = Database::create(s, DatabaseProps::mysql("Database", &network));
    let replica = db.add_read_replica(s, "1", None, false);
    let ops = Notifications::create(s, "Alarms", &["ops@example.org".to_owned(), "oncall@example.org".to_owned()]);
    ops.alarm(s, "DatabaseCpuAlarm", alarms::rds_cpu(&db.instance, 80.0));
    ops.alarm(s, "ReplicaLagAlarm", alarms::rds_replica_lag(&replica, 30.0));
    ops.alarm(s, "BinLogAlarm", alarms::rds_binlog_disk_usage(&db.instance, 10.0 * 1024.0 * 1024.0 * 1024.0));
    let host = Host::create(
        s,
        HostProps {
            host: HostConfig { name: "app".into(), ..HostConfig::default() },
            data_volume: Some(DataVolumeProps {
                binds: vec![DataBind {
                    source: "redis".into(),
                    target: "/var/lib/redis".into(),
                    owner: "redis:redis".into(),
                }],
                required_by: vec!["supervisor.service".into()],
                ..DataVolumeProps::ext4(20, "/srv/data")
            }),
            ..HostProps::new("App", &network, "ami-0123456789abcdef0")
        },
    );
    (db, replica, host)
}

#[test]
fn a_monitored_stack_with_a_data_volume_is_valid() {
    let mut s = StackBuilder::new("demo", "dev");
    monitored(&mut s);
    let stack = s.build().unwrap();
    assert!(errors(&stack).is_empty(), "{:?}", errors(&stack));
    let kinds: Vec<&str> = stack.resources().map(|e| e.resource.spec().kind).collect();
    for kind in ["Key", "Topic", "Subscription", "Alarm", "Volume", "VolumeAttachment"] {
        assert!(kinds.contains(&kind), "{kind} missing: {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "Subscription").count(), 2);
}

#[test]
fn alarms_notify_the_topic_on_typed_dimensions() {
    let mut s = StackBuilder::new("demo", "dev");
    let (db, replica, _) = monitored(&mut s);
    let stack = s.build().unwrap();
    let alarm = |id: &str| match &stack.resource(&LogicalId::new(id).unwrap()).unwrap().resource {
        Resource::Alarm(a) => a.clone(),
        other => panic!("{id} is a {}", other.kind_name()),
    };
    let topic = Value::Attr(AttrRef { id: LogicalId::new("AlarmsTopic").unwrap(), attr: Attr::Arn });
    let lag = alarm("ReplicaLagAlarm");
    assert_eq!((lag.namespace.as_str(), lag.metric_name.as_str()), ("AWS/RDS", "ReplicaLag"));
    assert_eq!(lag.dimensions[0].name, "DBInstanceIdentifier");
    assert_eq!(lag.dimensions[0].value, replica.identifier());
    assert_eq!(lag.missing_data, MissingData::Breaching);
    assert_eq!((lag.alarm_actions.clone(), lag.ok_actions.clone()), (vec![topic.clone()], vec![topic]));
    let binlog = alarm("BinLogAlarm");
    assert_eq!(binlog.metric_name, "BinLogDiskUsage");
    assert_eq!(binlog.dimensions[0].value, db.instance.identifier());
    assert_eq!(alarm("DatabaseCpuAlarm").metric_name, "CPUUtilization");
}

#[test]
fn the_data_volume_is_in_the_hosts_zone_and_outlives_the_host() {
    let mut s = StackBuilder::new("demo", "dev");
    let (_, _, host) = monitored(&mut s);
    let stack = s.build().unwrap();
    let volume_id = host.data_volume.as_ref().expect("a data volume").id().clone();
    let entry = stack.resource(&volume_id).unwrap();
    let Resource::Volume(volume) = &entry.resource else { panic!("not a volume") };
    assert_eq!(
        volume.availability_zone,
        Value::Attr(AttrRef { id: LogicalId::new("PrivateSubnet1").unwrap(), attr: Attr::AvailabilityZone })
    );
    assert!(volume.encrypted && volume.volume_type == "gp3");
    // It holds data (a snapshot is kept) and refers to nothing of the instance, so replacing the
    // instance cannot replace it; the attachment refers to both and is replaced with the instance.
    assert!(entry.resource.is_stateful());
    assert_eq!(Volume::SPEC.data, spec::Data::Holds { keep: spec::Keep::Snapshot });
    assert!(entry.resource.refs().attrs.iter().all(|r| r.id != *host.instance.id()));
    let attachment = stack.resource(&LogicalId::new("AppDataVolumeAttachment").unwrap()).unwrap();
    let refs: Vec<LogicalId> = attachment.resource.refs().attrs.into_iter().map(|r| r.id).collect();
    assert!(refs.contains(host.instance.id()) && refs.contains(&volume_id));
    assert!(VolumeAttachment::SPEC.replacement("InstanceId").is_some());
    assert!(!attachment.resource.is_stateful());
    // The host's setup mounts it, found by the volume's id.
    let Resource::Instance(instance) = &stack.resource(host.instance.id()).unwrap().resource else { panic!() };
    let mounts = &instance.machine.user_data.as_ref().unwrap().data_mounts;
    assert_eq!(mounts.len(), 1);
    assert_eq!(mounts[0].volume_id, Value::Attr(AttrRef { id: volume_id, attr: Attr::Id }));
    assert_eq!(mounts[0].required_paths(), ["/var/lib/redis"]);
}

#[test]
fn a_data_volume_of_a_host_in_a_subnet_given_by_id_needs_its_zone() {
    let network = Network::existing("vpc-1", "10.0.0.0/16", vec![], vec![Value::from("subnet-1")]);
    let mut s = StackBuilder::new("demo", "dev");
    Host::create(
        &mut s,
        HostProps {
            data_volume: Some(DataVolumeProps::ext4(10, "/data")),
            ..HostProps::new("App", &network, "ami-0123456789abcdef0")
        },
    );
    let err = s.build().unwrap_err().to_string();
    assert!(err.contains("IAC211") && err.contains("AppDataVolume"), "{err}");

    let mut s = StackBuilder::new("demo", "dev");
    Host::create(
        &mut s,
        HostProps {
            data_volume: Some(DataVolumeProps {
                availability_zone: Some("eu-west-1a".into()),
                ..DataVolumeProps::ext4(10, "/data")
            }),
            ..HostProps::new("App", &network, "ami-0123456789abcdef0")
        },
    );
    assert!(s.build().is_ok());
}

#[test]
fn copies_rewrite_the_volume_a_host_mounts() {
    let mut s = StackBuilder::new("demo", "dev");
    monitored(&mut s);
    let source = s.build().unwrap();
    let mut target = StackBuilder::new("many", "dev");
    add_copy(&mut target, &source, &CopyOptions { prefix: "C001".into(), outputs: false });
    let copy = target.build().unwrap();
    assert!(errors(&copy).is_empty(), "{:?}", errors(&copy));
    let Resource::Instance(i) = &copy.resource(&LogicalId::new("C001AppInstance").unwrap()).unwrap().resource else {
        panic!()
    };
    let mut refs = Refs::default();
    i.machine.user_data.as_ref().unwrap().collect_refs(&mut refs);
    assert!(refs.attrs.iter().any(|r| r.id.as_str() == "C001AppDataVolume"), "{:?}", refs.attrs);
}

#[test]
fn generated_secrets_hold_data_and_are_read_through_the_role() {
    let mut s = StackBuilder::new("demo", "dev");
    let secret = s.add("SecretKey", Secret::generated("session signing key", 64));
    let stack = s.build().unwrap();
    assert!(stack.resource(secret.id()).unwrap().resource.is_stateful());
    assert_eq!(Secret::SPEC.data, spec::Data::Holds { keep: spec::Keep::Retain });
    let statement = secret.read_statement();
    assert_eq!(statement.resources, vec![secret.arn()]);
    assert!(statement.actions.contains(&"secretsmanager:GetSecretValue".to_owned()));
    assert_eq!(secret.value(), iac_core::value::SecretRef::secrets_manager(secret.arn()));
    assert!(errors(&stack).is_empty());
}

#[test]
fn rules_of_the_new_kinds_fire() {
    let mut s = StackBuilder::new("demo", "dev");
    let topic = s.add("Topic", Topic { kms_master_key_id: Value::from(""), ..Topic::encrypted("x".repeat(101)) });
    s.add(
        "Email",
        Subscription {
            topic_arn: topic.arn(),
            protocol: SubscriptionProtocol::Email,
            endpoint: "ops at example".into(),
        },
    );
    let base = Alarm {
        name: None,
        description: "CPU".into(),
        namespace: "AWS/EC2".into(),
        metric_name: "CPUUtilization".into(),
        dimensions: vec![Dimension { name: "InstanceId".into(), value: "i-1".into() }],
        statistic: Statistic::Average,
        period_seconds: 300,
        evaluation_periods: 3,
        datapoints_to_alarm: None,
        threshold: 80.0,
        comparison: Comparison::GreaterThan,
        missing_data: MissingData::Missing,
        alarm_actions: Vec::new(),
        ok_actions: Vec::new(),
    };
    s.add("BadPeriod", Alarm { period_seconds: 45, ..base.clone() });
    s.add("BadPoints", Alarm { datapoints_to_alarm: Some(4), ..base.clone() });
    s.add("TooLong", Alarm { period_seconds: 3600, evaluation_periods: 25, ..base.clone() });
    s.add("Silent", base);
    s.add("Plain", Volume { encrypted: false, size_gib: 0, ..Volume::gp3("eu-west-1a", 1) });
    s.add(
        "Attach",
        VolumeAttachment { instance_id: "i-1".into(), volume_id: "vol-1".into(), device: "/dev/sda1".into() },
    );
    s.add("Huge", Secret::generated("too long", 5000));
    let stack = s.build().unwrap();
    for (code, path) in [
        ("IAC200", "demo/Topic/KmsMasterKeyId"),
        ("IAC201", "demo/Topic/DisplayName"),
        ("IAC202", "demo/Email/Endpoint"),
        ("IAC203", "demo/BadPeriod/Period"),
        ("IAC204", "demo/BadPoints/EvaluationPeriods"),
        ("IAC205", "demo/TooLong/EvaluationPeriods"),
        ("IAC206", "demo/Silent/AlarmActions"),
        ("IAC207", "demo/Plain/Encrypted"),
        ("IAC208", "demo/Plain/Size"),
        ("IAC209", "demo/Attach/Device"),
        ("IAC212", "demo/Huge/GenerateSecretString.PasswordLength"),
    ] {
        assert!(has(&stack, code, path), "{code} at {path}: {:?}", codes(&stack));
    }
    let silent = validate(&stack).into_iter().find(|d| d.code == "IAC206").unwrap();
    assert_eq!(silent.severity, Severity::Warning);
}

#[test]
fn a_droplet_cannot_mount_an_ebs_volume() {
    let mut s = StackBuilder::new("demo", "dev");
    let volume = s.add("Data", Volume::gp3("eu-west-1a", 10));
    let host = HostConfig {
        name: "d".into(),
        data_mounts: vec![iac_core::app::DataMount {
            volume_id: volume.volume_id(),
            xen_device: "/dev/xvdf".into(),
            mount_point: "/data".into(),
            file_system: iac_core::app::FileSystemType::Ext4,
            binds: Vec::new(),
            required_by: Vec::new(),
        }],
        ..HostConfig::default()
    };
    s.add(
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
    let stack = s.build().unwrap();
    assert!(has(&stack, "IAC210", "demo/Droplet/UserData.DataMounts"), "{:?}", codes(&stack));
}
