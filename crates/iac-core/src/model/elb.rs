//! Application load balancers, target groups and listeners.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// Who can reach a load balancer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum Scheme {
    /// Public DNS name and addresses.
    InternetFacing,
    /// Private addresses only.
    Internal,
}

/// `AWS::ElasticLoadBalancingV2::LoadBalancer` / `aws_lb` (application).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct LoadBalancer {
    /// The load balancer's name (at most 32 characters); derived when absent.
    pub name: Option<String>,
    /// Public or internal.
    pub scheme: Scheme,
    /// Subnets, one per zone (public ones for an internet-facing balancer).
    pub subnet_ids: Vec<Value<String>>,
    /// Security groups.
    pub security_group_ids: Vec<Value<String>>,
    /// Refuse deletion through the API.
    pub deletion_protection: bool,
    /// Drop requests with invalid headers (request smuggling defence).
    pub drop_invalid_header_fields: bool,
    /// Idle timeout in seconds.
    pub idle_timeout_seconds: u32,
}

/// Application protocol of a listener or target group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum AppProtocol {
    /// HTTP.
    Http,
    /// HTTPS.
    Https,
}

impl AppProtocol {
    /// The ELB API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            AppProtocol::Http => "HTTP",
            AppProtocol::Https => "HTTPS",
        }
    }
}

/// A target group's health check.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct HealthCheck {
    /// Path requested, e.g. `/ping`.
    pub path: String,
    /// Port (`None`: the traffic port).
    pub port: Option<u16>,
    /// Protocol.
    pub protocol: AppProtocol,
    /// HTTP codes that count as healthy, e.g. `200`.
    pub matcher: String,
    /// Seconds between checks.
    pub interval_seconds: u32,
    /// Seconds before a check times out.
    pub timeout_seconds: u32,
    /// Successes before healthy.
    pub healthy_threshold: u32,
    /// Failures before unhealthy.
    pub unhealthy_threshold: u32,
}

impl HealthCheck {
    /// An HTTP check of `path` expecting 200, every 15 s.
    pub fn http(path: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            port: None,
            protocol: AppProtocol::Http,
            matcher: "200".into(),
            interval_seconds: 15,
            timeout_seconds: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
        }
    }
}

/// What a target group's targets are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum TargetType {
    /// EC2 instances (an ASG registers them).
    Instance,
    /// IP addresses (ECS tasks with `awsvpc` networking register theirs).
    Ip,
}

impl TargetType {
    /// The ELB API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            TargetType::Instance => "instance",
            TargetType::Ip => "ip",
        }
    }
}

/// `AWS::ElasticLoadBalancingV2::TargetGroup` / `aws_lb_target_group`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct TargetGroup {
    /// The group's name (at most 32 characters); derived when absent.
    pub name: Option<String>,
    /// Port on the instances.
    pub port: u16,
    /// Protocol to the instances.
    pub protocol: AppProtocol,
    /// The VPC.
    pub vpc_id: Value<String>,
    /// Health check.
    pub health_check: HealthCheck,
    /// Seconds to drain connections from a deregistered target.
    pub deregistration_delay_seconds: u32,
    /// Instances or IP addresses.
    pub target_type: TargetType,
}

/// What a listener does with a request.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum ListenerAction {
    /// Send it to a target group (ARN).
    Forward(Value<String>),
    /// Answer with a permanent redirect to HTTPS on `port`.
    RedirectToHttps {
        /// HTTPS port, 443.
        port: u16,
    },
}

/// `AWS::ElasticLoadBalancingV2::Listener` / `aws_lb_listener`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Listener {
    /// The load balancer's ARN.
    pub load_balancer_arn: Value<String>,
    /// Port.
    pub port: u16,
    /// Protocol.
    pub protocol: AppProtocol,
    /// ACM certificate ARNs (HTTPS).
    pub certificate_arns: Vec<Value<String>>,
    /// TLS policy (HTTPS), e.g. `ELBSecurityPolicy-TLS13-1-2-2021-06`.
    pub ssl_policy: Option<String>,
    /// The default action.
    pub default_action: ListenerAction,
}

impl ResourceKind for LoadBalancer {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "LoadBalancer",
        label: "load balancer",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ElasticLoadBalancingV2::LoadBalancer"),
        terraform: Some("aws_lb"),
        attrs: &[
            by_ref(Attr::Arn, "arn"),
            get_att(Attr::DnsName, "DNSName", "dns_name"),
            get_att(Attr::CanonicalHostedZoneId, "CanonicalHostedZoneID", "zone_id"),
        ],
        naming: Naming::Explicit { max: 32 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["Name", "Type", "Scheme": "a load balancer is internal or internet-facing for life"],
        replacement_notes: &[],
        teardown: 4,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}

impl ResourceKind for TargetGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "TargetGroup",
        label: "target group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ElasticLoadBalancingV2::TargetGroup"),
        terraform: Some("aws_lb_target_group"),
        attrs: &[by_ref(Attr::Arn, "arn")],
        naming: Naming::Explicit { max: 32 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace![
            "TargetType",
            "ProtocolVersion",
            "Port",
            "Name",
            "VpcId",
            "Protocol",
            "IpAddressType"
        ],
        replacement_notes: &[],
        teardown: 5,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}

impl ResourceKind for Listener {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Listener",
        label: "listener",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ElasticLoadBalancingV2::Listener"),
        terraform: Some("aws_lb_listener"),
        attrs: &[by_ref(Attr::Arn, "arn")],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("the load balancer carries the stack's tags; its listeners are found through it"),
        data: Data::None,
        replacement: crate::replace!["LoadBalancerArn"],
        replacement_notes: &[],
        teardown: 3,
    };
}
