//! `WebTier`: an auto scaling group of instances behind an application load balancer.
//!
//! Adds the load balancer's security group (80/443 from the internet), the instances' group
//! (the instance port from the load balancer, plus the admin ranges), an instance role and
//! profile, a launch template with the host's user data, a target group with its health check,
//! an HTTP listener that redirects to HTTPS, an HTTPS listener with the certificate, the ASG in
//! the private subnets, and a target tracking scaling policy.

use crate::app::HostConfig;
use crate::model::{
    AppProtocol, AutoScalingGroup, Handle, HealthCheck, HealthCheckType, InstanceProfile, LaunchTemplate, Listener,
    ListenerAction, LoadBalancer, MachineSpec, Peer, Role, RootVolume, Rule, ScalingPolicy, Scheme, SecurityGroup,
    Statement, TargetGroup, TargetType, TrackedMetric,
};
use crate::patterns::network::Network;
use crate::stack::StackBuilder;
use crate::value::Value;

/// TLS policy for HTTPS listeners: TLS 1.3 and 1.2 only.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// What a web tier looks like.
#[derive(Debug, Clone)]
pub struct WebTierProps<'a> {
    /// Prefix of every logical id, e.g. `Web`.
    pub name: &'a str,
    /// Where it runs.
    pub network: &'a Network,
    /// The AMI (usually a parameter: the baked image of this release).
    pub image_id: Value<String>,
    /// Instance type.
    pub instance_type: String,
    /// What runs on each instance.
    pub host: HostConfig,
    /// Port the instances serve on.
    pub instance_port: u16,
    /// The target group's health check.
    pub health_check: HealthCheck,
    /// ACM certificate for the HTTPS listener.
    pub certificate_arn: Value<String>,
    /// ASG sizes.
    pub min_size: u32,
    /// ASG sizes.
    pub max_size: u32,
    /// ASG sizes.
    pub desired_capacity: u32,
    /// Average CPU the scaling policy keeps, in percent.
    pub cpu_target: f64,
    /// Ranges admitted on the instance port and SSH (e.g. the local subnet, the bastion's).
    pub admin_cidrs: Vec<String>,
    /// Root volume device and size.
    pub root_volume: RootVolume,
    /// Extra permissions of the instance role (reading a secret, a bucket).
    pub statements: Vec<Statement>,
    /// Ports the instances may open outside the VPC (443 for images and AWS APIs, 80 for
    /// packages); traffic inside the VPC is allowed on `vpc_egress_ports`.
    pub internet_egress_ports: Vec<u16>,
    /// Ports the instances may reach inside the VPC (the database's).
    pub vpc_egress_ports: Vec<u16>,
    /// Refuse deletion of the load balancer through the API.
    pub deletion_protection: bool,
}

impl<'a> WebTierProps<'a> {
    /// Two to four `t3.small` instances booting `image_id` behind an internet-facing load
    /// balancer that terminates HTTPS with `certificate_arn` and redirects HTTP; instances on port
    /// 80 with a health check of `GET /`, CPU target 50 %, a 20 GiB gp3 root volume
    /// (`/dev/xvda`), HTTPS egress only, deletion protection on. Change what differs with struct
    /// update syntax.
    pub fn new(
        name: &'a str,
        network: &'a Network,
        image_id: impl Into<Value<String>>,
        certificate_arn: impl Into<Value<String>>,
    ) -> Self {
        Self {
            name,
            network,
            image_id: image_id.into(),
            instance_type: "t3.small".into(),
            host: HostConfig { name: name.to_ascii_lowercase(), ..HostConfig::default() },
            instance_port: 80,
            health_check: HealthCheck::http("/"),
            certificate_arn: certificate_arn.into(),
            min_size: 2,
            max_size: 4,
            desired_capacity: 2,
            cpu_target: 50.0,
            admin_cidrs: Vec::new(),
            root_volume: RootVolume::gp3("/dev/xvda", 20),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: Vec::new(),
            deletion_protection: true,
        }
    }
}

/// Handles of a web tier.
#[derive(Debug, Clone)]
pub struct WebTier {
    /// The name given in its props (the prefix of its logical ids).
    pub name: String,
    /// The load balancer.
    pub load_balancer: Handle<LoadBalancer>,
    /// The target group the ASG registers in (blue/green shares it).
    pub target_group: Handle<TargetGroup>,
    /// The ASG.
    pub auto_scaling_group: Handle<AutoScalingGroup>,
    /// The launch template.
    pub launch_template: Handle<LaunchTemplate>,
    /// The instances' security group (admit it from the database).
    pub instance_security_group: Handle<SecurityGroup>,
    /// The load balancer's security group.
    pub load_balancer_security_group: Handle<SecurityGroup>,
    /// The instance role.
    pub role: Handle<Role>,
}

impl WebTier {
    /// Adds the tier's resources.
    pub fn create(stack: &mut StackBuilder, p: WebTierProps<'_>) -> Self {
        stack.pattern("WebTier", p.name, |stack| Self::add_resources(stack, p))
    }

    /// [`Self::create`] inside its pattern scope.
    #[allow(clippy::too_many_lines)] // one declaration per resource, read top to bottom
    fn add_resources(stack: &mut StackBuilder, p: WebTierProps<'_>) -> Self {
        let n = p.name;
        let lb_sg = load_balancer_security_group(stack, n, p.network, p.instance_port, "instances");
        let mut ingress = vec![Rule::tcp(p.instance_port, Peer::Group(lb_sg.group_id()), "from the load balancer")];
        for cidr in &p.admin_cidrs {
            ingress.push(Rule::tcp(p.instance_port, Peer::Cidr(cidr.as_str().into()), "HTTP from the local subnet"));
            ingress.push(Rule::tcp(22, Peer::Cidr(cidr.as_str().into()), "SSH from the local subnet (bastion hop)"));
        }
        let egress = super::egress_rules(&p.internet_egress_ports, &p.vpc_egress_ports, p.network);
        let instance_sg = stack.add(
            &format!("{n}InstanceSecurityGroup"),
            SecurityGroup {
                description: format!("{} {} {n} instances", stack.name(), stack.env()),
                vpc_id: p.network.vpc_id.clone(),
                ingress,
                egress,
            },
        );
        let role = super::instance_role(
            stack,
            &format!("{n}InstanceRole"),
            format!("{} {} {n} instances", stack.name(), stack.env()),
            p.statements,
        );
        let profile = stack.add(&format!("{n}InstanceProfile"), InstanceProfile { role: role.name() });
        let lt = stack.add_with(
            &format!("{n}LaunchTemplate"),
            LaunchTemplate {
                name: None,
                machine: Some(MachineSpec {
                    image_id: p.image_id,
                    instance_type: p.instance_type.into(),
                    security_group_ids: vec![instance_sg.group_id()],
                    instance_profile: Some(profile.name()),
                    root_volume: Some(p.root_volume),
                    user_data: Some(p.host),
                    key_name: None,
                    detailed_monitoring: true,
                }),
            },
            |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_341",
                    "hop limit 2 lets containers on the Docker bridge reach IMDSv2 for the instance role's credentials",
                ));
            },
        );
        let (tg, lb) = public_load_balancer(
            stack,
            PublicLoadBalancerProps {
                name: n,
                network: p.network,
                security_group: &lb_sg,
                target_port: p.instance_port,
                target_type: TargetType::Instance,
                health_check: p.health_check,
                certificate_arn: p.certificate_arn,
                deletion_protection: p.deletion_protection,
            },
        );
        let asg = stack.add(
            &format!("{n}AutoScalingGroup"),
            AutoScalingGroup {
                name: None,
                launch_template_id: lt.template_id(),
                launch_template_version: lt.latest_version(),
                min_size: p.min_size,
                max_size: p.max_size,
                desired_capacity: p.desired_capacity,
                subnet_ids: p.network.private_subnets.clone(),
                target_group_arns: vec![tg.arn()],
                health_check_type: HealthCheckType::Elb,
                health_check_grace_period: 300,
            },
        );
        stack.add(
            &format!("{n}CpuScalingPolicy"),
            ScalingPolicy {
                auto_scaling_group_name: asg.name(),
                metric: TrackedMetric::AverageCpu,
                target_value: p.cpu_target,
            },
        );
        Self {
            name: n.to_owned(),
            load_balancer: lb,
            target_group: tg,
            auto_scaling_group: asg,
            launch_template: lt,
            instance_security_group: instance_sg,
            load_balancer_security_group: lb_sg,
            role,
        }
    }
}

/// The security group of a public load balancer: HTTP and HTTPS from the internet in, the
/// targets' port inside the VPC out (`targets` names them in the rule) (`<name>LoadBalancerSecurityGroup`).
pub(crate) fn load_balancer_security_group(
    stack: &mut StackBuilder,
    n: &str,
    network: &Network,
    target_port: u16,
    targets: &str,
) -> Handle<SecurityGroup> {
    stack.add_with(
        &format!("{n}LoadBalancerSecurityGroup"),
        SecurityGroup {
            description: format!(
                "{} {} {n} load balancer: HTTP and HTTPS from the internet",
                stack.name(),
                stack.env()
            ),
            vpc_id: network.vpc_id.clone(),
            ingress: vec![
                Rule::tcp(80, Peer::Cidr("0.0.0.0/0".into()), "HTTP from the internet (redirected to HTTPS)"),
                Rule::tcp(443, Peer::Cidr("0.0.0.0/0".into()), "HTTPS from the internet"),
            ],
            egress: vec![Rule::tcp(
                target_port,
                Peer::Cidr(network.cidr.clone()),
                format!("to the {targets} inside the VPC"),
            )],
        },
        |e| {
            e.suppressions.push(super::suppress(
                "CKV_AWS_260",
                "port 80 of the public load balancer only answers with a permanent redirect to HTTPS",
            ));
        },
    )
}

/// What [`public_load_balancer`] needs.
pub(crate) struct PublicLoadBalancerProps<'a> {
    /// Prefix of the logical ids.
    pub name: &'a str,
    /// Where it runs (public subnets).
    pub network: &'a Network,
    /// From [`load_balancer_security_group`].
    pub security_group: &'a Handle<SecurityGroup>,
    /// Port of the targets.
    pub target_port: u16,
    /// Instances (an ASG) or IP addresses (ECS tasks).
    pub target_type: TargetType,
    /// The target group's health check.
    pub health_check: HealthCheck,
    /// ACM certificate of the HTTPS listener.
    pub certificate_arn: Value<String>,
    /// Refuse deletion of the load balancer through the API.
    pub deletion_protection: bool,
}

/// An internet-facing application load balancer that terminates TLS: the target group
/// (`<name>TargetGroup`), the balancer (`<name>LoadBalancer`), an HTTP listener that redirects to
/// HTTPS (`<name>HttpListener`) and the HTTPS listener that forwards (`<name>HttpsListener`).
pub(crate) fn public_load_balancer(
    stack: &mut StackBuilder,
    p: PublicLoadBalancerProps<'_>,
) -> (Handle<TargetGroup>, Handle<LoadBalancer>) {
    let n = p.name;
    let tg = stack.add(
        &format!("{n}TargetGroup"),
        TargetGroup {
            name: None,
            port: p.target_port,
            protocol: AppProtocol::Http,
            vpc_id: p.network.vpc_id.clone(),
            health_check: p.health_check,
            deregistration_delay_seconds: 30,
            target_type: p.target_type,
        },
    );
    let deletion_protection = p.deletion_protection;
    let lb = stack.add_with(
        &format!("{n}LoadBalancer"),
        LoadBalancer {
            name: None,
            scheme: Scheme::InternetFacing,
            subnet_ids: p.network.public_subnets.clone(),
            security_group_ids: vec![p.security_group.group_id()],
            deletion_protection: p.deletion_protection,
            drop_invalid_header_fields: true,
            idle_timeout_seconds: 60,
        },
        |e| {
            e.suppressions.push(super::suppress(
                "CKV_AWS_91",
                "access logs need a log bucket per account and region; they are switched on by the logging baseline",
            ));
            e.suppressions.push(super::suppress(
                "CKV2_AWS_28",
                "a WAF web ACL is attached by the organisation's firewall manager policy, not by this stack",
            ));
            if !deletion_protection {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_150",
                    "deletion protection is off by this environment's choice: the load balancer holds no data and is recreated freely",
                ));
            }
            e.suppressions.push(super::suppress(
                "CKV2_AWS_20",
                "the HTTP listener only redirects to HTTPS (checkov cannot follow the redirect action)",
            ));
        },
    );
    stack.add(
        &format!("{n}HttpListener"),
        Listener {
            load_balancer_arn: lb.arn(),
            port: 80,
            protocol: AppProtocol::Http,
            certificate_arns: Vec::new(),
            ssl_policy: None,
            default_action: ListenerAction::RedirectToHttps { port: 443 },
        },
    );
    stack.add(
        &format!("{n}HttpsListener"),
        Listener {
            load_balancer_arn: lb.arn(),
            port: 443,
            protocol: AppProtocol::Https,
            certificate_arns: vec![p.certificate_arn],
            ssl_policy: Some(DEFAULT_SSL_POLICY.into()),
            default_action: ListenerAction::Forward(tg.arn()),
        },
    );
    (tg, lb)
}

impl super::Tier for WebTier {
    fn tier_name(&self) -> &str {
        &self.name
    }
    fn tier_group(&self) -> &Handle<SecurityGroup> {
        &self.instance_security_group
    }
}

impl WebTier {
    /// Admits `tier` to its instances on `port` (a rule resource `<WebTier>From<tier>`).
    pub fn allow_from(&self, stack: &mut StackBuilder, tier: &impl super::Tier, port: u16) {
        super::admit(
            stack,
            &self.name,
            &self.instance_security_group,
            port,
            tier.tier_name(),
            tier.tier_group().group_id(),
            "TCP",
        );
    }
}
