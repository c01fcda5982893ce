//! The Auto Scaling service module on a local moto server: a group behind a target group and its
//! target tracking policy are created, found again (the group by its tags, the policy by its
//! name), read back equal to the template, changed in place, and deleted (twice).
//!
//! The VPC, subnets, launch template and target groups are made with the raw EC2 and load
//! balancing clients, so these tests depend on no other service module.

mod common;

use std::collections::HashMap;

use aws_sdk_ec2::types::RequestLaunchTemplateData;
use aws_sdk_elasticloadbalancingv2::types::ProtocolEnum;
use common::{ZONES, apply, desired, id};
use iac_aws::Clients;
use iac_aws::desired;
use iac_aws::services::{self, Ctx, autoscaling};
use iac_aws::state::{Observed, TAG_HASH};
use iac_core::model::{AutoScalingGroup, HealthCheckType, Override, ScalingPolicy, TrackedMetric};
use iac_core::{LogicalId, Stack, StackBuilder};
use serde_json::json;

const GROUP: &str = "WebAutoScalingGroup";
const POLICY: &str = "WebCpuScalingPolicy";

/// The raw pieces the stack refers to.
struct Network {
    subnets: [String; 2],
    template: String,
    target_groups: [String; 2],
}

async fn network(clients: &Clients) -> Network {
    let ec2 = &clients.ec2;
    let vpc = ec2.create_vpc().cidr_block("10.1.0.0/16").send().await.expect("create_vpc");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_owned();
    let mut subnets = Vec::new();
    for (i, zone) in ZONES.iter().take(2).enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.1.{i}.0/24"))
            .availability_zone(*zone)
            .send()
            .await
            .expect("create_subnet");
        subnets.push(s.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_owned());
    }
    let data =
        |image: &str| RequestLaunchTemplateData::builder().image_id(image).instance_type("t3.micro".into()).build();
    let lt = ec2
        .create_launch_template()
        .launch_template_name("asgt-test-web")
        .launch_template_data(data("ami-11111111"))
        .send()
        .await
        .expect("create_launch_template");
    let template = lt.launch_template().and_then(|t| t.launch_template_id()).expect("template id").to_owned();
    // Version 2, for the update (moto ignores SourceVersion: send the whole data).
    ec2.create_launch_template_version()
        .launch_template_id(&template)
        .launch_template_data(data("ami-22222222"))
        .send()
        .await
        .expect("create_launch_template_version");
    let mut target_groups = Vec::new();
    for name in ["asgt-blue", "asgt-green"] {
        let tg = clients
            .elbv2
            .create_target_group()
            .name(name)
            .port(80)
            .protocol(ProtocolEnum::Http)
            .vpc_id(&vpc)
            .send()
            .await
            .expect("create_target_group");
        target_groups.push(tg.target_groups()[0].target_group_arn().expect("arn").to_owned());
    }
    Network {
        subnets: subnets.try_into().expect("two subnets"),
        template,
        target_groups: target_groups.try_into().expect("two target groups"),
    }
}

/// What the tests vary between the first apply and an update.
struct Knobs {
    version: &'static str,
    sizes: (u32, u32, u32),
    health: HealthCheckType,
    grace: u32,
    target_group: usize,
    cpu: f64,
    /// Keep the scaling policy in the stack.
    policy: bool,
}

const FIRST: Knobs = Knobs {
    version: "1",
    sizes: (1, 3, 2),
    health: HealthCheckType::Elb,
    grace: 300,
    target_group: 0,
    cpu: 60.0,
    policy: true,
};
/// Every knob turned: sizes, launch template version, health check, target group, policy target.
const SECOND: Knobs = Knobs {
    version: "2",
    sizes: (2, 4, 3),
    health: HealthCheckType::Ec2,
    grace: 120,
    target_group: 1,
    cpu: 45.0,
    policy: true,
};

fn stack(net: &Network, k: &Knobs) -> Stack {
    let mut b = StackBuilder::new("asgt", "test");
    b.tag("app", "asgt");
    let (min_size, max_size, desired_capacity) = k.sizes;
    let asg = b.add_with(
        GROUP,
        AutoScalingGroup {
            name: None,
            launch_template_id: net.template.as_str().into(),
            launch_template_version: k.version.into(),
            min_size,
            max_size,
            desired_capacity,
            subnet_ids: net.subnets.iter().map(|s| s.as_str().into()).collect(),
            target_group_arns: vec![net.target_groups[k.target_group].as_str().into()],
            health_check_type: k.health,
            health_check_grace_period: k.grace,
        },
        |e| {
            // Named metrics: moto records them (it records nothing for "all metrics").
            e.overrides.push(Override::cloudformation(
                "MetricsCollection",
                json!([{ "Granularity": "1Minute", "Metrics": ["GroupInServiceInstances", "GroupMaxSize"] }]),
            ));
        },
    );
    if k.policy {
        b.add(
            POLICY,
            ScalingPolicy {
                auto_scaling_group_name: asg.name(),
                metric: TrackedMetric::AverageCpu,
                target_value: k.cpu,
            },
        );
    }
    b.build().expect("stack builds")
}

async fn found(ctx: &Ctx<'_>) -> HashMap<LogicalId, Observed> {
    autoscaling::discover(ctx).await.expect("discover").into_iter().map(|o| (o.id.clone(), o)).collect()
}

async fn in_service(clients: &Clients, name: &str) -> usize {
    let out = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .expect("describe");
    out.auto_scaling_groups().first().map_or(0, |g| {
        g.instances().iter().filter(|i| i.lifecycle_state().is_some_and(|s| s.as_str() == "InService")).count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_and_policy_round_trip() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let net = network(&clients).await;
    let first = stack(&net, &FIRST);
    let ctx = Ctx { clients: &clients, stack: &first, timing: common::fast() };

    // Create: the group waits for its two instances, the policy is read back by name.
    let mut observed = HashMap::new();
    for name in [GROUP, POLICY] {
        let (props, o) = apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name} read back differs in {diff:?}: {:#?}", o.props);
    }
    let group = &observed[&id(GROUP)];
    assert_eq!(group.physical_id, "asgt-test-web-auto-scaling-group");
    assert_eq!(group.attrs["Ref"], group.physical_id, "Ref is the group name");
    assert_eq!(in_service(&clients, &group.physical_id).await, 2);
    assert_eq!(group.props["VPCZoneIdentifier"], json!(net.subnets), "a list again, not the API's joined string");
    assert_eq!(group.props["DesiredCapacity"], json!("2"));
    assert_eq!(group.props["MetricsCollection"][0]["Granularity"], json!("1Minute"));
    let policy = &observed[&id(POLICY)];
    assert!(
        policy.physical_id.starts_with("arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:"),
        "{}",
        policy.physical_id
    );
    assert!(
        policy.physical_id.ends_with(
            ":autoScalingGroupName/asgt-test-web-auto-scaling-group:policyName/asgt-test-WebCpuScalingPolicy"
        )
    );
    assert_eq!(policy.attrs["Ref"], policy.physical_id, "Ref is the policy ARN");
    assert_eq!(policy.props["TargetTrackingConfiguration"]["TargetValue"], json!(60.0));

    // The group's tags reach its instances, but not the hash.
    let tags = clients.autoscaling.describe_tags().send().await.expect("describe_tags");
    assert!(tags.tags().iter().any(|t| t.key() == Some(TAG_HASH)), "{tags:?}");
    for t in tags.tags() {
        assert_eq!(t.propagate_at_launch(), Some(t.key() != Some(TAG_HASH)), "{t:?}");
    }

    // Discovery: the group by its tags (with its hash), the policy by its name (no hash).
    let seen = found(&ctx).await;
    assert_eq!(seen.len(), 2, "{:?}", seen.keys().collect::<Vec<_>>());
    assert_eq!(seen[&id(GROUP)].hash, observed[&id(GROUP)].hash);
    assert_eq!(seen[&id(POLICY)].hash, None, "a policy cannot be tagged");
    for name in [GROUP, POLICY] {
        assert_eq!(seen[&id(name)].physical_id, observed[&id(name)].physical_id, "{name}");
        let (props, _) = desired(&first, &seen, name);
        let diff = desired::changed(&props, &seen[&id(name)].props);
        assert!(diff.is_empty(), "{name} discovered differs in {diff:?}");
    }
    let other = StackBuilder::new("asgt", "prod").build().expect("stack");
    assert!(
        autoscaling::discover(&Ctx { stack: &other, ..ctx }).await.expect("discover").is_empty(),
        "another env sees nothing"
    );

    // Update in place: sizes, launch template version, health check, target group, policy target.
    let second = stack(&net, &SECOND);
    let ctx2 = Ctx { stack: &second, ..ctx };
    for name in [GROUP, POLICY] {
        let current = observed[&id(name)].clone();
        let (after, _) = desired(&second, &observed, name);
        let planned = desired::changed(&after, &current.props);
        assert!(!planned.is_empty(), "{name}: the change shows in what is read back");
        for p in &planned {
            assert!(!services::replaced_by(&current.cfn_type).contains(&p.as_str()), "{name}: {p} changes in place");
        }
        let (props, o) = apply(&ctx2, &mut observed, name, true).await.unwrap_or_else(|e| panic!("update {name}: {e}"));
        assert_eq!(o.physical_id, current.physical_id, "{name} was updated, not replaced");
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name} after update differs in {diff:?}: {:#?}", o.props);
    }
    let seen = found(&ctx2).await;
    let group = &seen[&id(GROUP)];
    assert_eq!(group.props["LaunchTemplate"]["Version"], json!("2"));
    assert_eq!(group.props["TargetGroupARNs"], json!([net.target_groups[1]]), "blue detached, green attached");
    assert_eq!(group.props["HealthCheckType"], json!("EC2"));
    assert_eq!(group.hash, observed[&id(GROUP)].hash, "the new hash is tagged");
    assert_eq!(in_service(&clients, &group.physical_id).await, 3);
    assert_eq!(seen[&id(POLICY)].props["TargetTrackingConfiguration"]["TargetValue"], json!(45.0));

    // A policy that left the stack is still found (by its name), so plan can delete it.
    let third = stack(&net, &Knobs { policy: false, ..SECOND });
    let orphans = found(&Ctx { stack: &third, ..ctx }).await;
    assert_eq!(
        orphans.get(&id(POLICY)).map(|o| o.physical_id.as_str()),
        Some(observed[&id(POLICY)].physical_id.as_str())
    );

    // Delete, then again: already gone is fine.
    for name in [POLICY, GROUP] {
        services::delete(&ctx2, &observed[&id(name)]).await.unwrap_or_else(|e| panic!("delete {name}: {e}"));
    }
    assert!(found(&ctx2).await.is_empty(), "everything is gone");
    let left = clients.autoscaling.describe_auto_scaling_groups().send().await.expect("describe");
    assert!(left.auto_scaling_groups().is_empty());
    for name in [POLICY, GROUP] {
        services::delete(&ctx2, &observed[&id(name)]).await.unwrap_or_else(|e| panic!("second delete {name}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_with_no_instances_is_ready_at_once_and_a_missing_template_is_an_error() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let net = network(&clients).await;
    let empty = stack(&net, &Knobs { sizes: (0, 2, 0), ..FIRST });
    let ctx = Ctx { clients: &clients, stack: &empty, timing: common::fast() };
    let mut observed = HashMap::new();
    let (props, o) = apply(&ctx, &mut observed, GROUP, false).await.expect("create");
    assert!(desired::changed(&props, &o.props).is_empty(), "{:?}", o.props);
    assert_eq!(in_service(&clients, &o.physical_id).await, 0);
    services::delete(&ctx, &o).await.expect("delete");

    // A launch template that does not exist: the error names the resource and the call.
    let broken = Network { template: "lt-0123456789abcdef0".into(), ..net };
    let broken = stack(&broken, &FIRST);
    let ctx = Ctx { stack: &broken, ..ctx };
    let err = apply(&ctx, &mut HashMap::new(), GROUP, false).await.expect_err("no such template").to_string();
    assert!(err.contains(GROUP) && err.contains("autoscaling CreateAutoScalingGroup"), "{err}");
}

#[test]
fn only_the_group_name_forces_a_replacement() {
    // `InstanceId` (a group made from a running instance) is never rendered by the model.
    assert_eq!(services::replaced_by("AWS::AutoScaling::AutoScalingGroup"), ["InstanceId", "AutoScalingGroupName"]);
    assert_eq!(services::replaced_by("AWS::AutoScaling::ScalingPolicy"), ["AutoScalingGroupName"]);
}
