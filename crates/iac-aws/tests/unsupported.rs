//! Kinds without an SDK module (ECS, EFS, logs, schedules) are refused up front, by name.

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
