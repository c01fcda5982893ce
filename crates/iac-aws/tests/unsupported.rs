//! Kinds without an SDK module (ECS, logs, schedules, monitoring, secrets) are refused up front, by name.

use iac_core::model::{EcsCluster, LogGroup, Vpc};
use iac_core::stack::StackBuilder;

#[test]
fn ecs_kinds_are_refused_with_the_resource_named() {
    let mut s = StackBuilder::new("demo", "dev");
    s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    s.add("Cluster", EcsCluster { name: None, container_insights: true });
    s.add("Logs", LogGroup { name: None, retention_days: 30, kms_key_arn: None });
    let err = iac_aws::check_supported(&s.build().unwrap()).unwrap_err().to_string();
    assert!(err.contains("stack `demo` resource `Cluster`: a ECS cluster cannot be deployed"), "{err}");
    assert!(err.contains("render the stack to CloudFormation or Terraform"), "{err}");

    let mut s = StackBuilder::new("demo", "dev");
    s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    assert!(iac_aws::check_supported(&s.build().unwrap()).is_ok());
}

#[test]
fn volumes_and_their_attachments_are_supported() {
    use iac_core::model::{Volume, VolumeAttachment};
    let mut s = StackBuilder::new("demo", "dev");
    s.add("Data", Volume::gp3("eu-west-1a", 10));
    s.add(
        "Attach",
        VolumeAttachment { instance_id: "i-1".into(), volume_id: "vol-1".into(), device: "/dev/sdf".into() },
    );
    assert!(iac_aws::check_supported(&s.build().unwrap()).is_ok());
}

#[test]
fn monitoring_and_secret_kinds_are_refused_by_name() {
    use iac_core::model::{Key, Secret, Subscription, SubscriptionProtocol, Topic};
    type AddKind = fn(&mut StackBuilder);
    let cases: [(&str, &str, AddKind); 4] = [
        ("Topic", "SNS topic", |s| {
            s.add("Topic", Topic::encrypted("alarms"));
        }),
        ("Email", "SNS subscription", |s| {
            let email = Subscription {
                topic_arn: "arn:aws:sns:eu-west-1:123456789012:alarms".into(),
                protocol: SubscriptionProtocol::Email,
                endpoint: "ops@example.org".into(),
            };
            s.add("Email", email);
        }),
        ("Signing", "Secrets Manager secret", |s| {
            s.add("Signing", Secret::generated("signing key", 64));
        }),
        ("Key", "KMS key", |s| {
            s.add(
                "Key",
                Key { description: "alarm topic".into(), service_users: vec!["cloudwatch.amazonaws.com".into()] },
            );
        }),
    ];
    for (id, label, add) in cases {
        let mut s = StackBuilder::new("demo", "dev");
        s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
        add(&mut s);
        let err = iac_aws::check_supported(&s.build().unwrap()).unwrap_err().to_string();
        assert!(err.contains(&format!("stack `demo` resource `{id}`: a {label} cannot be deployed")), "{id}: {err}");
    }
}
