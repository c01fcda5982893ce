//! The alarm, notification, data volume and generated secret kinds rendered to CloudFormation,
//! Terraform and the host's boot script.

use iac_core::Stack;
use iac_core::app::{DataBind, HostConfig};
use iac_core::model::Secret;
use iac_core::patterns::alarms::{self, Notifications};
use iac_core::patterns::{DataVolumeProps, Database, DatabaseProps, Host, HostProps, Network, NetworkProps};
use iac_core::stack::StackBuilder;
use iac_render::userdata::{self, Segment};
use iac_render::{Format, cloudformation, terraform};
use serde_json::json;

fn stack() -> (Stack, Host) {
    let mut s = StackBuilder::new("demo", "dev");
    let network = Network::create(&mut s, &NetworkProps::default());
    let db = Database::create(&mut s, DatabaseProps::mysql("Database", &network));
    let replica = db.add_read_replica(&mut s, "1", None, false);
    let ops = Notifications::create(&mut s, "Alarms", &["ops@example.org".to_owned()]);
    ops.alarm(&mut s, "ReplicaLagAlarm", alarms::rds_replica_lag(&replica, 30.0));
    let secret = s.add("SecretKey", Secret::generated("session signing key", 64));
    let host = Host::create(
        &mut s,
        HostProps {
            host: HostConfig { name: "app".into(), ..HostConfig::default() },
            statements: vec![secret.read_statement()],
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
    (s.build().unwrap(), host)
}

#[test]
fn cloudformation_keeps_the_data_and_generates_the_secret() {
    let (stack, _) = stack();
    let t = cloudformation::template(&stack).unwrap();
    let r = &t["Resources"];
    assert_eq!(r["AppDataVolume"]["Type"], "AWS::EC2::Volume");
    assert_eq!(r["AppDataVolume"]["DeletionPolicy"], "Snapshot");
    assert_eq!(r["AppDataVolume"]["UpdateReplacePolicy"], "Snapshot");
    let volume = &r["AppDataVolume"]["Properties"];
    assert_eq!(volume["AvailabilityZone"], json!({ "Fn::GetAtt": ["PrivateSubnet1", "AvailabilityZone"] }));
    assert_eq!(
        (volume["VolumeType"].clone(), volume["Encrypted"].clone(), volume["Size"].clone()),
        (json!("gp3"), json!(true), json!(20))
    );
    let attachment = &r["AppDataVolumeAttachment"];
    assert!(attachment.get("DeletionPolicy").is_none());
    assert_eq!(
        attachment["Properties"],
        json!({ "InstanceId": { "Ref": "AppInstance" }, "VolumeId": { "Ref": "AppDataVolume" }, "Device": "/dev/sdf" })
    );

    let secret = &r["SecretKey"];
    assert_eq!(
        (secret["DeletionPolicy"].clone(), secret["UpdateReplacePolicy"].clone()),
        (json!("Retain"), json!("Retain"))
    );
    assert_eq!(
        secret["Properties"]["GenerateSecretString"],
        json!({ "PasswordLength": 64, "ExcludePunctuation": true })
    );
    assert!(secret["Properties"].get("SecretString").is_none());
    let policy = serde_json::to_string(&r["AppRole"]["Properties"]["Policies"]).unwrap();
    assert!(policy.contains(r#""Resource":[{"Ref":"SecretKey"}]"#), "{policy}");

    let topic = &r["AlarmsTopic"]["Properties"];
    // CloudWatch may use the topic's key (the AWS-managed `aws/sns` would drop every notification).
    assert_eq!(topic["KmsMasterKeyId"], json!({ "Fn::GetAtt": ["AlarmsKey", "Arn"] }));
    let key = &r["AlarmsKey"]["Properties"];
    assert_eq!(key["EnableKeyRotation"], true);
    assert_eq!(key["KeyPolicy"]["Statement"][1]["Principal"], json!({ "Service": ["cloudwatch.amazonaws.com"] }));
    assert_eq!(key["KeyPolicy"]["Statement"][1]["Action"], json!(["kms:Decrypt", "kms:GenerateDataKey*"]));
    assert_eq!(r["AlarmsEmail1"]["Properties"]["Protocol"], "email");
    let alarm = &r["ReplicaLagAlarm"]["Properties"];
    assert_eq!(
        alarm["Dimensions"],
        json!([{ "Name": "DBInstanceIdentifier", "Value": { "Ref": "DatabaseReplica1" } }])
    );
    assert_eq!(alarm["AlarmActions"], json!([{ "Ref": "AlarmsTopic" }]));
    assert_eq!(alarm["OKActions"], alarm["AlarmActions"]);
    assert_eq!((alarm["TreatMissingData"].clone(), alarm["DatapointsToAlarm"].clone()), (json!("breaching"), json!(3)));
    assert!(alarm["Tags"].as_array().is_some_and(|t| !t.is_empty()));
    // YAML renders too.
    assert!(cloudformation::render(&stack, Format::Yaml).unwrap().contains("AWS::CloudWatch::Alarm"));
}

/// The block that starts with `header`, the padding `terraform fmt` puts before `=` taken out.
fn block(main: &str, header: &str) -> String {
    let start = main.find(header).unwrap_or_else(|| panic!("no `{header}` in\n{main}"));
    let end = main[start..].find("\n}\n").map_or(main.len(), |i| start + i + 3);
    let mut text = main[start..end].to_owned();
    while text.contains("  =") {
        text = text.replace("  =", " =");
    }
    text
}

#[test]
fn terraform_keeps_the_data_and_generates_the_secret_once() {
    let (stack, _) = stack();
    let files = terraform::render(&stack).unwrap();
    let main = &files.main_tf;
    hcl::parse(main).expect("HCL");
    let volume = block(main, "resource \"aws_ebs_volume\" \"app_data_volume\"");
    assert!(volume.contains("availability_zone = aws_subnet.private_subnet1.availability_zone"), "{volume}");
    assert!(volume.contains("final_snapshot = true") && volume.contains("prevent_destroy = true"), "{volume}");
    let attachment = block(main, "resource \"aws_volume_attachment\" \"app_data_volume_attachment\"");
    assert!(attachment.contains("instance_id = aws_instance.app_instance.id"), "{attachment}");
    assert!(attachment.contains("stop_instance_before_detaching = true") && !attachment.contains("prevent_destroy"));

    let generator = block(main, "data \"aws_secretsmanager_random_password\" \"secret_key\"");
    assert!(generator.contains("password_length = 64") && generator.contains("exclude_punctuation = true"));
    let secret = block(main, "resource \"aws_secretsmanager_secret\" \"secret_key\"");
    assert!(secret.contains("name = \"demo-dev-secret-key\"") && secret.contains("prevent_destroy = true"), "{secret}");
    let version = block(main, "resource \"aws_secretsmanager_secret_version\" \"secret_key\"");
    assert!(version.contains("secret_id = aws_secretsmanager_secret.secret_key.id"), "{version}");
    assert!(version.contains("secret_string = data.aws_secretsmanager_random_password.secret_key.random_password"));
    assert!(version.contains("ignore_changes = [\n      secret_string\n    ]"), "{version}");

    let alarm = block(main, "resource \"aws_cloudwatch_metric_alarm\" \"replica_lag_alarm\"");
    assert!(alarm.contains("DBInstanceIdentifier = aws_db_instance.database_replica1.identifier"), "{alarm}");
    assert!(alarm.contains("alarm_actions = [\n    aws_sns_topic.alarms_topic.arn\n  ]"), "{alarm}");
    assert!(alarm.contains("ok_actions = [\n    aws_sns_topic.alarms_topic.arn\n  ]"), "{alarm}");
    let topic = block(main, "resource \"aws_sns_topic\" \"alarms_topic\"");
    assert!(topic.contains("kms_master_key_id = aws_kms_key.alarms_key.arn"), "{topic}");
    let key = block(main, "resource \"aws_kms_key\" \"alarms_key\"");
    assert!(key.contains("enable_key_rotation = true") && key.contains("policy = jsonencode("), "{key}");
    assert!(key.contains("data.aws_caller_identity.current.account_id") && key.contains("cloudwatch.amazonaws.com"));
    let subscription = block(main, "resource \"aws_sns_topic_subscription\" \"alarms_email1\"");
    assert!(subscription.contains("protocol = \"email\"") && subscription.contains("endpoint = \"ops@example.org\""));
}

#[test]
fn the_boot_script_mounts_the_volume_by_its_id_and_orders_the_units_after_it() {
    let (stack, host) = stack();
    let iac_core::model::Resource::Instance(instance) = &stack.resource(host.instance.id()).unwrap().resource else {
        panic!("an instance")
    };
    let segments = userdata::segments(&stack, instance.machine.user_data.as_ref().unwrap()).unwrap();
    let mut text = String::new();
    let mut values = Vec::new();
    for s in segments {
        match s {
            Segment::Text(t) => text.push_str(&t),
            Segment::Value(v) => {
                text.push_str("<value>");
                values.push(v);
            }
        }
    }
    assert!(values.contains(&host.data_volume.as_ref().unwrap().volume_id()), "{values:?}");
    for needle in [
        "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${1//-/}",
        "if [ -z \"$(blkid -o value -s TYPE \"$device\" || true)\" ]; then",
        "defaults,nofail,x-systemd.device-timeout=5min 0 2",
        "iac_data_volume '<value>' /dev/xvdf /srv/data ext4",
        "iac_data_bind /srv/data redis /var/lib/redis redis:redis",
        "bind,nofail,x-systemd.requires-mounts-for=%s",
        "printf '[Unit]\\nRequiresMountsFor=%s\\n' /var/lib/redis\n",
        "printf 'ConditionPathIsMountPoint=%s\\n' /var/lib/redis\n",
        "} > /etc/systemd/system/supervisor.service.d/iac-data.conf",
        // A volume that cannot be mounted is reported; what keeps its data on it is not started.
        "iac_data_failed '<value>' /srv/data supervisor.service",
    ] {
        assert!(text.contains(needle), "`{needle}` not in\n{text}");
    }
    // Mounted before anything else of the setup runs.
    assert!(text.find("iac_data_volume '").unwrap() < text.find("iac: boot setup of app finished").unwrap());
}

#[test]
fn a_bake_carries_no_data_volume() {
    let (stack, host) = stack();
    let iac_core::model::Resource::Instance(instance) = &stack.resource(host.instance.id()).unwrap().resource else {
        panic!("an instance")
    };
    let bake = iac_core::app::Bake {
        name: "img".into(),
        base: iac_core::app::BaseImage::Id("ami-1".into()),
        instance_type: "t3.small".into(),
        ssh_username: "ubuntu".into(),
        root_volume: iac_core::model::RootVolume::gp3("/dev/sda1", 20),
        host: instance.machine.user_data.clone().unwrap(),
    };
    let script = userdata::bake_script(&stack, &bake).unwrap();
    assert!(!script.contains("iac_data_volume"), "{script}");
}
