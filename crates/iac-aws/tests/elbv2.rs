//! The `elbv2` service module on a local moto server: a target group, an application load balancer
//! and its two listeners (HTTP redirect, HTTPS forward) are created, found again by their tags,
//! read back equal to the template, changed in place, and deleted (twice).
//!
//! The network (VPC, subnets, security group) is made with the raw EC2 client and the certificate
//! with a raw ACM call (a made-up ARN is refused by `CreateListener`), so these tests depend on no
//! other service module.

mod common;

use std::collections::HashMap;

use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ProtocolEnum};
use common::{ZONES, apply, desired, id};
use iac_aws::Clients;
use iac_aws::desired;
use iac_aws::services::{self, Ctx, elbv2};
use iac_aws::state::Observed;
use iac_core::model::{
    AppProtocol, HealthCheck, Listener, ListenerAction, LoadBalancer, Scheme, TargetGroup, TargetType,
};
use iac_core::{LogicalId, Stack, StackBuilder};
use serde_json::json;

const SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// What the tests vary between the first apply and an update.
#[derive(Clone)]
struct Knobs {
    health_path: &'static str,
    deregistration_delay: u32,
    idle_timeout: u32,
    ssl_policy: &'static str,
    https_port: u16,
    /// How many of the network's subnets the load balancer uses.
    zones: usize,
}

const FIRST: Knobs = Knobs {
    health_path: "/ping",
    deregistration_delay: 30,
    idle_timeout: 60,
    ssl_policy: SSL_POLICY,
    https_port: 443,
    zones: 2,
};

/// The raw pieces the stack refers to.
struct Network {
    vpc: String,
    subnets: [String; 3],
    group: String,
    certificate: String,
}

async fn network(moto: &common::Moto, clients: &Clients) -> Network {
    let ec2 = &clients.ec2;
    let vpc = ec2.create_vpc().cidr_block("10.0.0.0/16").send().await.expect("create_vpc");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_owned();
    let mut subnets = Vec::new();
    for (i, zone) in ZONES.iter().enumerate() {
        let s = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.0.{i}.0/24"))
            .availability_zone(*zone)
            .send()
            .await
            .expect("create_subnet");
        subnets.push(s.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_owned());
    }
    let group = ec2
        .create_security_group()
        .group_name("elbt-lb")
        .description("load balancer")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("create_security_group");
    let group = group.group_id().expect("group id").to_owned();
    let subnets: [String; 3] = subnets.try_into().expect("three subnets");
    Network { vpc, subnets, group, certificate: moto.acm_certificate("example.com") }
}

fn stack(net: &Network, k: &Knobs) -> Stack {
    let mut b = StackBuilder::new("elbt", "test");
    b.tag("app", "elbt");
    let tg = b.add(
        "WebTargetGroup",
        TargetGroup {
            name: None,
            port: 80,
            protocol: AppProtocol::Http,
            vpc_id: net.vpc.as_str().into(),
            health_check: HealthCheck { matcher: "200-299".into(), ..HealthCheck::http(k.health_path) },
            deregistration_delay_seconds: k.deregistration_delay,
            target_type: TargetType::Instance,
        },
    );
    let lb = b.add(
        "WebLoadBalancer",
        LoadBalancer {
            name: None,
            scheme: Scheme::InternetFacing,
            subnet_ids: net.subnets.iter().take(k.zones).map(|s| s.as_str().into()).collect(),
            security_group_ids: vec![net.group.as_str().into()],
            deletion_protection: true,
            drop_invalid_header_fields: true,
            idle_timeout_seconds: k.idle_timeout,
        },
    );
    b.add(
        "WebHttpListener",
        Listener {
            load_balancer_arn: lb.arn(),
            port: 80,
            protocol: AppProtocol::Http,
            certificate_arns: Vec::new(),
            ssl_policy: None,
            default_action: ListenerAction::RedirectToHttps { port: k.https_port },
        },
    );
    b.add(
        "WebHttpsListener",
        Listener {
            load_balancer_arn: lb.arn(),
            port: k.https_port,
            protocol: AppProtocol::Https,
            certificate_arns: vec![net.certificate.as_str().into()],
            ssl_policy: Some(k.ssl_policy.into()),
            default_action: ListenerAction::Forward(tg.arn()),
        },
    );
    b.build().expect("stack builds")
}

fn ctx<'a>(clients: &'a Clients, stack: &'a Stack) -> Ctx<'a> {
    Ctx { clients, stack, timing: common::fast() }
}

const ORDER: [&str; 4] = ["WebTargetGroup", "WebLoadBalancer", "WebHttpListener", "WebHttpsListener"];

async fn found(ctx: &Ctx<'_>) -> HashMap<LogicalId, Observed> {
    elbv2::discover(ctx).await.expect("discover").into_iter().map(|o| (o.id.clone(), o)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one scenario, read top to bottom
async fn load_balancer_target_group_and_listeners_round_trip() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let net = network(&moto, &clients).await;
    let first = stack(&net, &FIRST);
    let ctx = ctx(&clients, &first);

    // Create, in dependency order, each read back equal to the template.
    let mut observed = HashMap::new();
    for name in ORDER {
        let (props, o) = apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name} read back differs in {diff:?}: {:#?}", o.props);
        assert!(
            o.physical_id.starts_with("arn:aws:elasticloadbalancing:us-east-1:123456789012:"),
            "{name}: {}",
            o.physical_id
        );
        assert_eq!(o.attrs["Ref"], o.physical_id, "{name}: Ref is the ARN");
    }
    let lb = &observed[&id("WebLoadBalancer")];
    assert!(lb.attrs["DNSName"].ends_with(".elb.amazonaws.com"), "{:?}", lb.attrs);
    assert!(!lb.attrs["CanonicalHostedZoneID"].is_empty());
    assert!(lb.attrs["LoadBalancerFullName"].starts_with("app/elbt-test-web-load-balancer/"), "{:?}", lb.attrs);
    assert_eq!(lb.props["Name"], json!("elbt-test-web-load-balancer"));
    assert!(
        lb.props["LoadBalancerAttributes"]
            .as_array()
            .is_some_and(|a| a.contains(&json!({ "Key": "deletion_protection.enabled", "Value": "true" }))),
        "{:?}",
        lb.props
    );
    let tg = &observed[&id("WebTargetGroup")];
    assert_eq!(tg.props["Matcher"], json!({ "HttpCode": "200-299" }));
    assert_eq!(
        tg.props["TargetGroupAttributes"],
        json!([{ "Key": "deregistration_delay.timeout_seconds", "Value": "30" }])
    );
    let https = &observed[&id("WebHttpsListener")];
    assert_eq!(https.props["SslPolicy"], json!(SSL_POLICY));
    assert_eq!(https.props["DefaultActions"][0]["TargetGroupArn"], json!(tg.physical_id));
    assert!(!observed[&id("WebHttpListener")].props.contains_key("SslPolicy"), "plain HTTP reads back no TLS policy");

    // Discovery finds all four by their tags, with their hashes, equal to the template.
    let seen = found(&ctx).await;
    assert_eq!(seen.len(), 4, "{:?}", seen.keys().collect::<Vec<_>>());
    for name in ORDER {
        let o = &seen[&id(name)];
        let made = &observed[&id(name)];
        assert_eq!(o.physical_id, made.physical_id, "{name}");
        assert_eq!(o.hash, made.hash, "{name}: the iac:hash tag is read back");
        assert_eq!(o.attrs, made.attrs, "{name}");
        let (props, _) = desired(&first, &seen, name);
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name} discovered differs in {diff:?}");
    }
    // Another stack (or environment) sees none of it.
    let other = StackBuilder::new("elbt", "prod").build().expect("stack");
    assert!(
        elbv2::discover(&Ctx { clients: &clients, stack: &other, timing: common::fast() })
            .await
            .expect("discover")
            .is_empty()
    );

    // Update in place: health check, attributes, TLS policy, ports and the redirect.
    let second = stack(
        &net,
        &Knobs {
            health_path: "/health",
            deregistration_delay: 10,
            idle_timeout: 120,
            ssl_policy: "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
            https_port: 8443,
            zones: 3,
        },
    );
    let ctx2 = Ctx { stack: &second, ..ctx };
    for name in ORDER {
        let (before, _) = desired(&first, &observed, name);
        let (after, _) = desired(&second, &observed, name);
        let current = &observed[&id(name)];
        let mut planned = desired::changed(&after, &current.props);
        planned.sort();
        if name == "WebLoadBalancer" {
            assert_eq!(planned, ["LoadBalancerAttributes", "Subnets"], "{name}");
        } else {
            assert!(!planned.is_empty(), "{name}: the change is visible in what was read back ({before} -> {after})");
        }
        for p in &planned {
            assert!(!services::replaced_by(&current.cfn_type).contains(&p.as_str()), "{name}: {p} changes in place");
        }
        let arn = current.physical_id.clone();
        let (props, o) = apply(&ctx2, &mut observed, name, true).await.unwrap_or_else(|e| panic!("update {name}: {e}"));
        assert_eq!(o.physical_id, arn, "{name} was updated, not replaced");
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name} after update differs in {diff:?}: {:#?}", o.props);
    }
    let seen = found(&ctx2).await;
    assert_eq!(seen[&id("WebTargetGroup")].props["HealthCheckPath"], json!("/health"));
    assert_eq!(seen[&id("WebHttpsListener")].props["Port"], json!(8443));
    assert_eq!(seen[&id("WebLoadBalancer")].props["Subnets"].as_array().map(Vec::len), Some(3));
    assert_eq!(seen[&id("WebHttpListener")].props["DefaultActions"][0]["RedirectConfig"]["Port"], json!("8443"));
    for name in ORDER {
        assert_eq!(seen[&id(name)].hash, observed[&id(name)].hash, "{name}: the new hash is tagged");
    }

    // Delete (the load balancer despite its deletion protection), then again: already gone is fine.
    for name in ORDER.iter().rev() {
        let o = &observed[&id(name)];
        services::delete(&ctx2, o).await.unwrap_or_else(|e| panic!("delete {name}: {e}"));
    }
    assert!(found(&ctx2).await.is_empty(), "everything is gone");
    for name in ORDER.iter().rev() {
        services::delete(&ctx2, &observed[&id(name)]).await.unwrap_or_else(|e| panic!("second delete {name}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untagged_listener_is_found_through_its_load_balancer() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let net = network(&moto, &clients).await;
    let stack = stack(&net, &FIRST);
    let ctx = ctx(&clients, &stack);
    let mut observed = HashMap::new();
    for name in ["WebTargetGroup", "WebLoadBalancer"] {
        apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
    }
    // Made by another tool, without tags: port 80 on this stack's load balancer.
    let lb = observed[&id("WebLoadBalancer")].physical_id.clone();
    let raw = clients
        .elbv2
        .create_listener()
        .load_balancer_arn(&lb)
        .port(80)
        .protocol(ProtocolEnum::Http)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&observed[&id("WebTargetGroup")].physical_id)
                .build(),
        )
        .send()
        .await
        .expect("create_listener");
    let arn = raw.listeners()[0].listener_arn().expect("arn").to_owned();
    // And one on a port the stack does not have: not ours.
    clients
        .elbv2
        .create_listener()
        .load_balancer_arn(&lb)
        .port(9000)
        .protocol(ProtocolEnum::Http)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&observed[&id("WebTargetGroup")].physical_id)
                .build(),
        )
        .send()
        .await
        .expect("create_listener");

    let seen = found(&ctx).await;
    let listener = seen.get(&id("WebHttpListener")).expect("the untagged port-80 listener is matched to the entry");
    assert_eq!(listener.physical_id, arn);
    assert_eq!(listener.hash, None, "untagged: no hash, so plan compares what it reads back");
    let (props, _) = desired(&stack, &seen, "WebHttpListener");
    assert_eq!(desired::changed(&props, &listener.props), ["DefaultActions"], "forward, where the stack redirects");
    assert_eq!(seen.len(), 3, "{:?}", seen.keys().collect::<Vec<_>>());

    // The update puts it right and tags it.
    let (props, o) = apply(&ctx, &mut seen.clone(), "WebHttpListener", true).await.expect("update");
    assert!(desired::changed(&props, &o.props).is_empty(), "{:?}", o.props);
    let again = found(&ctx).await;
    assert_eq!(again[&id("WebHttpListener")].hash, Some(desired::hash(&props)), "tagged by the update");
    assert_eq!(again[&id("WebHttpListener")].physical_id, arn);
}

#[test]
fn replacement_properties_are_the_documented_ones() {
    assert_eq!(services::replaced_by("AWS::ElasticLoadBalancingV2::LoadBalancer"), ["Name", "Type", "Scheme"]);
    assert!(services::replaced_by("AWS::ElasticLoadBalancingV2::TargetGroup").contains(&"Port"));
    assert!(!services::replaced_by("AWS::ElasticLoadBalancingV2::TargetGroup").contains(&"HealthCheckPath"));
    assert_eq!(services::replaced_by("AWS::ElasticLoadBalancingV2::Listener"), ["LoadBalancerArn"]);
    assert!(services::replaced_by("AWS::EC2::NoSuchType").is_empty(), "a type without an adapter");
}
