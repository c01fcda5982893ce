//! CloudFormation templates (JSON or YAML) from a stack.
//!
//! References become `Ref` / `Fn::GetAtt`, joins `Fn::Join`, the n-th zone
//! `Fn::Select`/`Fn::GetAZs`, and secrets dynamic references (`{{resolve:secretsmanager:...}}`)
//! that CloudFormation resolves without storing the value. Stateful resources get
//! `DeletionPolicy` and `UpdateReplacePolicy` of `Snapshot`; suppressed policy checks are written
//! as `Metadata.checkov.skip` with their reasons, where reviewers and checkov both see them.

use iac_core::Stack;
use iac_core::model::spec::{CfnAttr, Data, JoinPart, Tagging};
use iac_core::model::{
    AccessPoint, AppProtocol, AutoScalingGroup, Backend, DbInstance, EcsCluster, EcsService, FileSystem,
    HealthCheckType, Listener, ListenerAction, LoadBalancer, LogGroup, MachineSpec, MasterPassword, Peer, RecordTarget,
    Resource, ResourceEntry, RouteTarget, Rule, Schedule, ScheduleTarget, Scheme, SecurityGroup, Statement,
    TargetGroup, TaskDefinition, TaskNetwork, TrackedMetric,
};
use iac_core::model::{
    Bucket, BucketEncryption, BucketPolicy, CacheReplicationGroup, Distribution, Principal, ScheduledAction,
    ViewerCertificate,
};
use iac_core::naming;
use iac_core::stack::ParamKind;
use iac_core::value::{AttrRef, Literal, Pseudo, SecretEncoding, SecretRef, SecretSource, Value};
use serde_json::{Map, Value as Json, json};

use crate::ecs::{self, Node};
use crate::error::RenderError;
use crate::userdata::{self, Segment};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.template.json`, two-space indented.
    Json,
    /// `.template.yaml`.
    Yaml,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
        }
    }
}

/// Renders the template as a JSON document.
pub fn template(stack: &Stack) -> Result<Json, RenderError> {
    let r = Renderer { stack };
    let mut root = Map::new();
    root.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    let description = if stack.description().is_empty() {
        format!("{} ({})", stack.name(), stack.env())
    } else {
        format!("{} ({}): {}", stack.name(), stack.env(), stack.description())
    };
    root.insert("Description".into(), json!(description));
    root.insert(
        "Metadata".into(),
        json!({ "iac": { "stack": stack.name(), "env": stack.env(), "generator": concat!("iac-rs ", env!("CARGO_PKG_VERSION")) } }),
    );
    if !stack.parameters().is_empty() {
        let mut params = Map::new();
        for (id, p) in stack.parameters() {
            let mut o = Map::new();
            match p.kind {
                ParamKind::String => {
                    o.insert("Type".into(), json!("String"));
                }
                ParamKind::ImageId => {
                    o.insert("Type".into(), json!("AWS::EC2::Image::Id"));
                }
                ParamKind::CertificateArn => {
                    o.insert("Type".into(), json!("String"));
                    o.insert(
                        "AllowedPattern".into(),
                        json!("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$"),
                    );
                    o.insert("ConstraintDescription".into(), json!("must be the ARN of an ACM certificate"));
                }
            }
            o.insert("Description".into(), json!(p.description));
            if let Some(d) = &p.default {
                o.insert("Default".into(), json!(d));
            }
            params.insert(id.to_string(), Json::Object(o));
        }
        root.insert("Parameters".into(), Json::Object(params));
    }
    let mut resources = Map::new();
    for entry in stack.resources() {
        resources.insert(entry.id.to_string(), r.resource(entry)?);
    }
    root.insert("Resources".into(), Json::Object(resources));
    if !stack.outputs().is_empty() {
        let mut outputs = Map::new();
        for (id, o) in stack.outputs() {
            let value = r.value(&o.value, &Ctx::output(id.as_str()))?;
            outputs.insert(
                id.to_string(),
                json!({
                    "Description": o.description,
                    "Value": value,
                    "Export": { "Name": format!("{}-{}-{}", stack.name(), stack.env(), id) },
                }),
            );
        }
        root.insert("Outputs".into(), Json::Object(outputs));
    }
    Ok(Json::Object(root))
}

/// Renders the template as text in `format`.
pub fn render(stack: &Stack, format: Format) -> Result<String, RenderError> {
    crate::nested::to_text(stack.name(), &template(stack)?, format)
}

/// Where a value is rendered, for error messages.
struct Ctx<'a> {
    resource: &'a str,
    property: String,
}

impl<'a> Ctx<'a> {
    fn output(id: &'a str) -> Self {
        Self { resource: id, property: "Value".into() }
    }
}

struct Renderer<'a> {
    stack: &'a Stack,
}

impl Renderer<'_> {
    fn unsupported(&self, ctx: &Ctx<'_>, message: impl Into<String>) -> RenderError {
        RenderError::Unsupported {
            stack: self.stack.name().to_owned(),
            resource: ctx.resource.to_owned(),
            property: ctx.property.clone(),
            message: message.into(),
        }
    }

    fn attr(&self, r: &AttrRef) -> Json {
        let id = r.id.as_str();
        let spec = self.stack.resource(&r.id).and_then(|e| e.resource.spec().attr(r.attr));
        match spec.map(|a| &a.cloudformation) {
            Some(CfnAttr::GetAtt(name)) => json!({ "Fn::GetAtt": [id, name] }),
            Some(CfnAttr::Constant(value)) => json!(value),
            Some(CfnAttr::Join(parts)) => {
                let parts: Vec<Json> = parts
                    .iter()
                    .map(|p| match p {
                        JoinPart::Text(t) => json!(t),
                        JoinPart::Pseudo(name) => json!({ "Ref": name }),
                        JoinPart::SelfRef => json!({ "Ref": id }),
                    })
                    .collect();
                json!({ "Fn::Join": ["", parts] })
            }
            // `Ref`, and references validation has already refused (unknown ids or attributes).
            Some(CfnAttr::Ref) | None => json!({ "Ref": id }),
        }
    }

    fn value<T: Literal>(&self, v: &Value<T>, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        Ok(match v {
            Value::Lit(l) => l.to_json(),
            Value::Attr(r) => self.attr(r),
            Value::Param(p) => json!({ "Ref": p.as_str() }),
            Value::Pseudo(Pseudo::Region) => json!({ "Ref": "AWS::Region" }),
            Value::Pseudo(Pseudo::AccountId) => json!({ "Ref": "AWS::AccountId" }),
            Value::Pseudo(Pseudo::AvailabilityZone(i)) => json!({ "Fn::Select": [i, { "Fn::GetAZs": "" }] }),
            Value::Join(parts) => {
                let parts = parts.iter().map(|p| self.value(p, ctx)).collect::<Result<Vec<_>, _>>()?;
                json!({ "Fn::Join": ["", parts] })
            }
            Value::Secret(s) => self.dynamic_reference(s, ctx)?,
        })
    }

    fn str_value(&self, v: &Value<String>, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        self.value(v, ctx)
    }

    fn list(&self, vs: &[Value<String>], ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        Ok(Json::Array(vs.iter().map(|v| self.value(v, ctx)).collect::<Result<_, _>>()?))
    }

    /// `{{resolve:...}}`: CloudFormation reads the secret at deploy time and never stores it.
    fn dynamic_reference(&self, s: &SecretRef, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        if s.encoding == SecretEncoding::Url {
            return Err(self.unsupported(
                ctx,
                "a URL-encoded secret can only be resolved at boot (user data) or by the container runtime; \
                 pass the secret on its own here",
            ));
        }
        match &s.source {
            SecretSource::SsmSecureString(name) => Ok(json!(format!("{{{{resolve:ssm-secure:{name}}}}}"))),
            SecretSource::SecretsManager(id) => {
                let key = s.json_key.as_deref().unwrap_or("");
                let id = self.str_value(id, ctx)?;
                let suffix = format!(":SecretString:{key}}}}}");
                Ok(match id {
                    Json::String(id) => json!(format!("{{{{resolve:secretsmanager:{id}{suffix}")),
                    other => json!({ "Fn::Join": ["", ["{{resolve:secretsmanager:", other, suffix]] }),
                })
            }
        }
    }

    fn tags(&self, entry: &ResourceEntry) -> Json {
        Json::Array(naming::tags(self.stack, entry).into_iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect())
    }

    fn name(&self, entry: &ResourceEntry) -> Json {
        json!(naming::physical_name(self.stack, entry).unwrap_or_default())
    }

    #[allow(clippy::too_many_lines, clippy::many_single_char_names)] // one arm per resource kind
    fn resource(&self, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let ctx = |p: &str| Ctx { resource: entry.id.as_str(), property: p.to_owned() };
        let c = ctx("");
        let v = |x: &Value<String>| self.str_value(x, &c);
        let mut props: Json = match &entry.resource {
            Resource::Vpc(x) => {
                json!({ "CidrBlock": v(&x.cidr_block)?, "EnableDnsHostnames": x.enable_dns_hostnames, "EnableDnsSupport": x.enable_dns_support })
            }
            Resource::Subnet(x) => json!({
                "VpcId": v(&x.vpc_id)?, "CidrBlock": v(&x.cidr_block)?, "AvailabilityZone": v(&x.availability_zone)?,
                "MapPublicIpOnLaunch": x.map_public_ip_on_launch,
            }),
            Resource::InternetGateway(_) => json!({}),
            Resource::VpcGatewayAttachment(x) => {
                json!({ "VpcId": v(&x.vpc_id)?, "InternetGatewayId": v(&x.internet_gateway_id)? })
            }
            Resource::RouteTable(x) => json!({ "VpcId": v(&x.vpc_id)? }),
            Resource::Route(x) => {
                let mut p = json!({ "RouteTableId": v(&x.route_table_id)?, "DestinationCidrBlock": v(&x.destination_cidr_block)? });
                match &x.target {
                    RouteTarget::InternetGateway(g) => p["GatewayId"] = v(g)?,
                    RouteTarget::NatGateway(g) => p["NatGatewayId"] = v(g)?,
                }
                p
            }
            Resource::SubnetRouteTableAssociation(x) => {
                json!({ "SubnetId": v(&x.subnet_id)?, "RouteTableId": v(&x.route_table_id)? })
            }
            Resource::Eip(_) => json!({ "Domain": "vpc" }),
            Resource::NatGateway(x) => json!({ "SubnetId": v(&x.subnet_id)?, "AllocationId": v(&x.allocation_id)? }),
            Resource::SecurityGroup(x) => self.security_group(entry, x)?,
            Resource::SecurityGroupIngress(x) => {
                let mut p = self.rule(&x.rule, true, &ctx("Rule"))?;
                p["GroupId"] = v(&x.group_id)?;
                p
            }
            Resource::Role(x) => {
                let policies = x
                    .policies
                    .iter()
                    .map(|p| Ok(json!({ "PolicyName": p.name, "PolicyDocument": self.policy_document(&p.statements, &ctx("Policies"))? })))
                    .collect::<Result<Vec<_>, RenderError>>()?;
                let mut p = json!({
                    "RoleName": self.name(entry),
                    "Description": x.description,
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{ "Effect": "Allow", "Principal": { "Service": x.assumed_by }, "Action": "sts:AssumeRole" }],
                    },
                });
                if !x.managed_policy_arns.is_empty() {
                    p["ManagedPolicyArns"] = self.list(&x.managed_policy_arns, &c)?;
                }
                if !policies.is_empty() {
                    p["Policies"] = Json::Array(policies);
                }
                p
            }
            Resource::InstanceProfile(x) => json!({ "InstanceProfileName": self.name(entry), "Roles": [v(&x.role)?] }),
            Resource::LaunchTemplate(x) => {
                let mut data = self.machine(entry, &x.machine)?;
                let tags = self.tags(entry);
                data["TagSpecifications"] = json!([
                    { "ResourceType": "instance", "Tags": tags },
                    { "ResourceType": "volume", "Tags": tags },
                ]);
                json!({
                    "LaunchTemplateName": self.name(entry),
                    "LaunchTemplateData": data,
                    "TagSpecifications": [{ "ResourceType": "launch-template", "Tags": tags }],
                })
            }
            Resource::Instance(x) => {
                let mut p = self.machine(entry, &x.machine)?;
                p["SubnetId"] = v(&x.subnet_id)?;
                if let Some(Json::Object(profile)) = p.get("IamInstanceProfile").cloned() {
                    p["IamInstanceProfile"] = profile.get("Name").cloned().unwrap_or(Json::Null);
                }
                if let Some(Json::Object(m)) = p.get("Monitoring").cloned() {
                    p["Monitoring"] = m.get("Enabled").cloned().unwrap_or(json!(false));
                }
                // AWS::EC2::Instance takes metadata options only through a launch template;
                // IMDSv2 for single hosts is enforced by the account default instead.
                if let Json::Object(o) = &mut p {
                    o.remove("MetadataOptions");
                }
                p
            }
            Resource::AutoScalingGroup(x) => self.asg(entry, x)?,
            Resource::ScalingPolicy(x) => json!({
                "AutoScalingGroupName": v(&x.auto_scaling_group_name)?,
                "PolicyType": "TargetTrackingScaling",
                "TargetTrackingConfiguration": {
                    "PredefinedMetricSpecification": { "PredefinedMetricType": match x.metric {
                        TrackedMetric::AverageCpu => "ASGAverageCPUUtilization",
                        TrackedMetric::AverageNetworkIn => "ASGAverageNetworkIn",
                    } },
                    "TargetValue": x.target_value,
                },
            }),
            Resource::LoadBalancer(x) => self.load_balancer(entry, x)?,
            Resource::TargetGroup(x) => self.target_group(entry, x)?,
            Resource::Listener(x) => self.listener(x, &c)?,
            Resource::DbSubnetGroup(x) => {
                json!({ "DBSubnetGroupName": self.name(entry), "DBSubnetGroupDescription": x.description, "SubnetIds": self.list(&x.subnet_ids, &c)? })
            }
            Resource::DbParameterGroup(x) => {
                json!({ "DBParameterGroupName": self.name(entry), "Description": x.description, "Family": x.family, "Parameters": x.parameters })
            }
            Resource::DbInstance(x) => self.db_instance(entry, x)?,
            Resource::RecordSet(x) => {
                let mut p = json!({ "HostedZoneId": v(&x.hosted_zone_id)?, "Name": v(&x.name)?, "Type": x.record_type.as_aws() });
                match &x.target {
                    RecordTarget::Alias { dns_name, hosted_zone_id, evaluate_target_health } => {
                        p["AliasTarget"] = json!({
                            "DNSName": v(dns_name)?, "HostedZoneId": v(hosted_zone_id)?, "EvaluateTargetHealth": evaluate_target_health,
                        });
                    }
                    RecordTarget::Values { ttl, values } => {
                        p["TTL"] = json!(ttl.to_string());
                        p["ResourceRecords"] = self.list(values, &c)?;
                    }
                }
                p
            }
            Resource::EcsCluster(x) => Self::ecs_cluster(&self.name(entry), x),
            Resource::TaskDefinition(x) => self.task_definition(entry, x)?,
            Resource::EcsService(x) => self.ecs_service(entry, x)?,
            Resource::LogGroup(x) => self.log_group(entry, x)?,
            Resource::FileSystem(x) => self.file_system(entry, x)?,
            Resource::MountTarget(x) => json!({
                "FileSystemId": v(&x.file_system_id)?, "SubnetId": v(&x.subnet_id)?,
                "SecurityGroups": self.list(&x.security_group_ids, &c)?,
            }),
            Resource::AccessPoint(x) => self.access_point(x, &c)?,
            Resource::Schedule(x) => self.schedule(entry, x)?,
            Resource::CacheSubnetGroup(x) => {
                json!({ "CacheSubnetGroupName": self.name(entry), "Description": x.description, "SubnetIds": self.list(&x.subnet_ids, &c)? })
            }
            Resource::CacheParameterGroup(x) => {
                json!({ "CacheParameterGroupFamily": x.family, "Description": x.description, "Properties": x.parameters })
            }
            Resource::CacheReplicationGroup(x) => self.cache_replication_group(entry, x)?,
            Resource::Bucket(x) => self.bucket(entry, x)?,
            Resource::BucketPolicy(x) => self.bucket_policy(x, &c)?,
            Resource::OriginAccessControl(x) => json!({ "OriginAccessControlConfig": {
                    "Name": self.name(entry),
                    "Description": x.description,
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                } }),
            Resource::Distribution(x) => self.distribution(x, &c)?,
            Resource::ScheduledAction(x) => self.scheduled_action(x, &c)?,
            Resource::Droplet(_) | Resource::DoFirewall(_) => {
                return Err(self.unsupported(
                    &ctx("Type"),
                    format!(
                        "a {} is not an AWS resource and CloudFormation cannot create it; render this stack with \
                         `--target terraform` (the digitalocean provider)",
                        entry.resource.kind_name()
                    ),
                ));
            }
            Resource::RawResource(x) => {
                match &x.cloudformation {
                    Some((_, props)) => props.clone(),
                    None => {
                        return Err(self.unsupported(&ctx("cloudformation"), "this raw resource has no CloudFormation form; give one or leave the stack out of this target"));
                    }
                }
            }
        };
        let Some(ty) = entry.resource.cloudformation_type() else {
            return Err(
                self.unsupported(&ctx("Type"), format!("a {} has no CloudFormation type", entry.resource.kind_name()))
            );
        };
        let spec = entry.resource.spec();
        if let Tagging::Property(key) = spec.tagging {
            let tags = self.tags(entry);
            if tags.as_array().is_some_and(|t| !t.is_empty()) {
                props[key] = tags;
            }
        }
        for o in entry.overrides.iter().filter(|o| o.backend == Backend::CloudFormation) {
            set_path(&mut props, &o.path, o.value.clone());
        }
        let mut out = Map::new();
        out.insert("Type".into(), json!(ty));
        if !entry.depends_on.is_empty() {
            out.insert("DependsOn".into(), json!(entry.depends_on.iter().map(ToString::to_string).collect::<Vec<_>>()));
        }
        if let (true, Data::Holds { keep }) = (entry.resource.is_stateful(), spec.data) {
            out.insert("DeletionPolicy".into(), json!(keep.cloudformation()));
            out.insert("UpdateReplacePolicy".into(), json!(keep.cloudformation()));
        }
        if !entry.suppressions.is_empty() {
            let skip: Vec<Json> =
                entry.suppressions.iter().map(|s| json!({ "id": s.check, "comment": s.reason })).collect();
            out.insert("Metadata".into(), json!({ "checkov": { "skip": skip } }));
        }
        out.insert("Properties".into(), props);
        Ok(Json::Object(out))
    }

    fn rule(&self, r: &Rule, ingress: bool, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        let mut o = json!({ "IpProtocol": r.protocol.as_aws(), "Description": r.description });
        if r.protocol != iac_core::model::Protocol::All {
            o["FromPort"] = json!(r.from_port);
            o["ToPort"] = json!(r.to_port);
        }
        match &r.peer {
            Peer::Cidr(c) => o["CidrIp"] = self.str_value(c, ctx)?,
            Peer::CidrV6(c) => o["CidrIpv6"] = self.str_value(c, ctx)?,
            Peer::Group(g) => {
                let key = if ingress { "SourceSecurityGroupId" } else { "DestinationSecurityGroupId" };
                o[key] = self.str_value(g, ctx)?;
            }
        }
        Ok(o)
    }

    fn security_group(&self, entry: &ResourceEntry, x: &SecurityGroup) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "SecurityGroupIngress".into() };
        let ingress = x.ingress.iter().map(|r| self.rule(r, true, &ctx)).collect::<Result<Vec<_>, _>>()?;
        let egress = if x.egress.is_empty() {
            // No rule means "allow all" to CloudFormation; this one matches nothing (as the CDK does).
            vec![json!({
                "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32",
                "Description": "Disallow all egress",
            })]
        } else {
            x.egress.iter().map(|r| self.rule(r, false, &ctx)).collect::<Result<Vec<_>, _>>()?
        };
        let mut p = json!({
            "GroupName": self.name(entry),
            "GroupDescription": x.description,
            "VpcId": self.str_value(&x.vpc_id, &ctx)?,
            "SecurityGroupEgress": egress,
        });
        if !ingress.is_empty() {
            p["SecurityGroupIngress"] = Json::Array(ingress);
        }
        Ok(p)
    }

    fn policy_document(&self, statements: &[Statement], ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        let st = statements
            .iter()
            .map(|s| {
                Ok(json!({
                    "Effect": if s.allow { "Allow" } else { "Deny" },
                    "Action": s.actions,
                    "Resource": self.list(&s.resources, ctx)?,
                }))
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        Ok(json!({ "Version": "2012-10-17", "Statement": st }))
    }

    fn user_data(&self, entry: &ResourceEntry, host: &iac_core::app::HostConfig) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "UserData".into() };
        let parts = userdata::segments(self.stack, host)?
            .into_iter()
            .map(|s| match s {
                Segment::Text(t) => Ok(json!(t)),
                Segment::Value(v) => self.str_value(&v, &ctx),
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        Ok(json!({ "Fn::Base64": { "Fn::Join": ["", parts] } }))
    }

    /// Launch template data; [`Resource::Instance`] adapts the few keys that differ.
    fn machine(&self, entry: &ResourceEntry, m: &MachineSpec) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "LaunchTemplateData".into() };
        let mut d = json!({
            "ImageId": self.str_value(&m.image_id, &ctx)?,
            "InstanceType": self.str_value(&m.instance_type, &ctx)?,
            "SecurityGroupIds": self.list(&m.security_group_ids, &ctx)?,
            "EbsOptimized": true,
            "Monitoring": { "Enabled": m.detailed_monitoring },
            "MetadataOptions": { "HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 2 },
        });
        if let Some(p) = &m.instance_profile {
            d["IamInstanceProfile"] = json!({ "Name": self.str_value(p, &ctx)? });
        }
        if let Some(v) = &m.root_volume {
            d["BlockDeviceMappings"] = json!([{
                "DeviceName": v.device_name,
                "Ebs": { "VolumeSize": v.size_gib, "VolumeType": v.volume_type, "Encrypted": v.encrypted, "DeleteOnTermination": true },
            }]);
        }
        if let Some(k) = &m.key_name {
            d["KeyName"] = self.str_value(k, &ctx)?;
        }
        if let Some(host) = &m.user_data {
            d["UserData"] = self.user_data(entry, host)?;
        }
        Ok(d)
    }

    fn asg(&self, entry: &ResourceEntry, x: &AutoScalingGroup) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "LaunchTemplate".into() };
        let tags: Vec<Json> = naming::tags(self.stack, entry)
            .into_iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v, "PropagateAtLaunch": true }))
            .collect();
        Ok(json!({
            "AutoScalingGroupName": self.name(entry),
            "LaunchTemplate": {
                "LaunchTemplateId": self.str_value(&x.launch_template_id, &ctx)?,
                "Version": self.str_value(&x.launch_template_version, &ctx)?,
            },
            "MinSize": x.min_size.to_string(),
            "MaxSize": x.max_size.to_string(),
            "DesiredCapacity": x.desired_capacity.to_string(),
            "VPCZoneIdentifier": self.list(&x.subnet_ids, &ctx)?,
            "TargetGroupARNs": self.list(&x.target_group_arns, &ctx)?,
            "HealthCheckType": match x.health_check_type { HealthCheckType::Elb => "ELB", HealthCheckType::Ec2 => "EC2" },
            "HealthCheckGracePeriod": x.health_check_grace_period,
            "MetricsCollection": [{ "Granularity": "1Minute" }],
            "Tags": tags,
        }))
    }

    fn load_balancer(&self, entry: &ResourceEntry, x: &LoadBalancer) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "Subnets".into() };
        Ok(json!({
            "Name": self.name(entry),
            "Type": "application",
            "Scheme": match x.scheme { Scheme::InternetFacing => "internet-facing", Scheme::Internal => "internal" },
            "Subnets": self.list(&x.subnet_ids, &ctx)?,
            "SecurityGroups": self.list(&x.security_group_ids, &ctx)?,
            "LoadBalancerAttributes": [
                { "Key": "deletion_protection.enabled", "Value": x.deletion_protection.to_string() },
                { "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": x.drop_invalid_header_fields.to_string() },
                { "Key": "idle_timeout.timeout_seconds", "Value": x.idle_timeout_seconds.to_string() },
            ],
        }))
    }

    fn target_group(&self, entry: &ResourceEntry, x: &TargetGroup) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "VpcId".into() };
        let h = &x.health_check;
        Ok(json!({
            "Name": self.name(entry),
            "Port": x.port,
            "Protocol": x.protocol.as_aws(),
            "VpcId": self.str_value(&x.vpc_id, &ctx)?,
            "TargetType": x.target_type.as_aws(),
            "HealthCheckEnabled": true,
            "HealthCheckPath": h.path,
            "HealthCheckPort": h.port.map_or_else(|| "traffic-port".to_owned(), |p| p.to_string()),
            "HealthCheckProtocol": h.protocol.as_aws(),
            "HealthCheckIntervalSeconds": h.interval_seconds,
            "HealthCheckTimeoutSeconds": h.timeout_seconds,
            "HealthyThresholdCount": h.healthy_threshold,
            "UnhealthyThresholdCount": h.unhealthy_threshold,
            "Matcher": { "HttpCode": h.matcher },
            "TargetGroupAttributes": [{ "Key": "deregistration_delay.timeout_seconds", "Value": x.deregistration_delay_seconds.to_string() }],
        }))
    }

    fn listener(&self, x: &Listener, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        let action = match &x.default_action {
            ListenerAction::Forward(tg) => json!({ "Type": "forward", "TargetGroupArn": self.str_value(tg, ctx)? }),
            ListenerAction::RedirectToHttps { port } => json!({
                "Type": "redirect",
                "RedirectConfig": { "Protocol": "HTTPS", "Port": port.to_string(), "StatusCode": "HTTP_301" },
            }),
        };
        let mut p = json!({
            "LoadBalancerArn": self.str_value(&x.load_balancer_arn, ctx)?,
            "Port": x.port,
            "Protocol": x.protocol.as_aws(),
            "DefaultActions": [action],
        });
        if x.protocol == AppProtocol::Https {
            let certs = x
                .certificate_arns
                .iter()
                .map(|c| Ok(json!({ "CertificateArn": self.str_value(c, ctx)? })))
                .collect::<Result<Vec<_>, RenderError>>()?;
            p["Certificates"] = Json::Array(certs);
            if let Some(policy) = &x.ssl_policy {
                p["SslPolicy"] = json!(policy);
            }
        }
        Ok(p)
    }

    fn db_instance(&self, entry: &ResourceEntry, x: &DbInstance) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "DBInstance".into() };
        if let Some(source) = &x.source_db_instance {
            return self.db_replica(entry, x, source, &ctx);
        }
        let mut p = json!({
            "DBInstanceIdentifier": self.name(entry),
            "Engine": x.engine.as_aws(),
            "EngineVersion": x.engine_version,
            "DBInstanceClass": self.str_value(&x.instance_class, &ctx)?,
            "AllocatedStorage": x.allocated_storage_gib.to_string(),
            "StorageType": x.storage_type,
            "StorageEncrypted": x.storage_encrypted,
            "MultiAZ": x.multi_az,
            "PubliclyAccessible": x.publicly_accessible,
            "BackupRetentionPeriod": x.backup_retention_days,
            "DeletionProtection": x.deletion_protection,
            "MasterUsername": x.master_username,
            "VPCSecurityGroups": self.list(&x.security_group_ids, &ctx)?,
            "DBSubnetGroupName": self.str_value(&x.subnet_group_name, &ctx)?,
            "EnableIAMDatabaseAuthentication": x.iam_authentication,
            "EnablePerformanceInsights": x.performance_insights,
            "EnableCloudwatchLogsExports": x.log_exports,
            "AutoMinorVersionUpgrade": x.auto_minor_version_upgrade,
            "CopyTagsToSnapshot": x.copy_tags_to_snapshot,
        });
        if let Some(max) = x.max_allocated_storage_gib {
            p["MaxAllocatedStorage"] = json!(max);
        }
        if let Some(name) = &x.db_name {
            p["DBName"] = json!(name);
        }
        if let Some(port) = x.port {
            p["Port"] = json!(port.to_string());
        }
        if let Some(pg) = &x.parameter_group_name {
            p["DBParameterGroupName"] = self.str_value(pg, &ctx)?;
        }
        if let Some((interval, role)) = &x.monitoring {
            p["MonitoringInterval"] = json!(interval);
            p["MonitoringRoleArn"] = self.str_value(role, &ctx)?;
        }
        match &x.master_password {
            MasterPassword::ManagedByRds => p["ManageMasterUserPassword"] = json!(true),
            MasterPassword::Secret(s) => p["MasterUserPassword"] = self.dynamic_reference(s, &ctx)?,
        }
        Ok(p)
    }

    /// An ECS container definition tree with CloudFormation's (capitalised) property names.
    fn node(&self, n: &Node, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        Ok(match n {
            Node::Lit(v) => v.clone(),
            Node::Value(v) => self.str_value(v, ctx)?,
            Node::Obj(pairs) => {
                let mut m = Map::new();
                for (k, v) in pairs {
                    let mut key = k.to_string();
                    if let Some(first) = key.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    m.insert(key, self.node(v, ctx)?);
                }
                Json::Object(m)
            }
            Node::Map(pairs) => {
                let mut m = Map::new();
                for (k, v) in pairs {
                    m.insert(k.clone(), self.node(v, ctx)?);
                }
                Json::Object(m)
            }
            Node::List(items) => Json::Array(items.iter().map(|i| self.node(i, ctx)).collect::<Result<_, _>>()?),
        })
    }

    fn ecs_cluster(name: &Json, x: &EcsCluster) -> Json {
        json!({
            "ClusterName": name,
            "ClusterSettings": [{ "Name": "containerInsights", "Value": if x.container_insights { "enabled" } else { "disabled" } }],
        })
    }

    fn task_definition(&self, entry: &ResourceEntry, x: &TaskDefinition) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "ContainerDefinitions".into() };
        let mut containers = Vec::new();
        for c in &x.containers {
            let def = ecs::container_definition(c, x.logs.as_ref()).map_err(|p| {
                self.unsupported(
                    &Ctx {
                        resource: entry.id.as_str(),
                        property: format!("ContainerDefinitions.{}.{}", c.name, p.property),
                    },
                    p.message,
                )
            })?;
            containers.push(self.node(&def, &ctx)?);
        }
        let volumes = x
            .volumes
            .iter()
            .map(|vol| {
                Ok(json!({
                    "Name": vol.name,
                    "EFSVolumeConfiguration": {
                        "FilesystemId": self.str_value(&vol.file_system_id, &ctx)?,
                        "TransitEncryption": "ENABLED",
                        "AuthorizationConfig": { "AccessPointId": self.str_value(&vol.access_point_id, &ctx)?, "IAM": "ENABLED" },
                    },
                }))
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        let mut p = json!({
            "Family": self.name(entry),
            "Cpu": x.cpu.to_string(),
            "Memory": x.memory_mib.to_string(),
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": { "CpuArchitecture": x.cpu_architecture.as_aws(), "OperatingSystemFamily": "LINUX" },
            "ExecutionRoleArn": self.str_value(&x.execution_role_arn, &ctx)?,
            "TaskRoleArn": self.str_value(&x.task_role_arn, &ctx)?,
            "ContainerDefinitions": containers,
        });
        if !volumes.is_empty() {
            p["Volumes"] = Json::Array(volumes);
        }
        Ok(p)
    }

    fn awsvpc(&self, n: &TaskNetwork, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        Ok(json!({
            "AwsvpcConfiguration": {
                "Subnets": self.list(&n.subnet_ids, ctx)?,
                "SecurityGroups": self.list(&n.security_group_ids, ctx)?,
                "AssignPublicIp": if n.assign_public_ip { "ENABLED" } else { "DISABLED" },
            },
        }))
    }

    fn ecs_service(&self, entry: &ResourceEntry, x: &EcsService) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "Service".into() };
        let mut p = json!({
            "ServiceName": self.name(entry),
            "Cluster": self.str_value(&x.cluster, &ctx)?,
            "TaskDefinition": self.str_value(&x.task_definition, &ctx)?,
            "DesiredCount": x.desired_count,
            "LaunchType": "FARGATE",
            "PlatformVersion": "LATEST",
            "SchedulingStrategy": "REPLICA",
            "NetworkConfiguration": self.awsvpc(&x.network, &ctx)?,
            "DeploymentConfiguration": {
                "MinimumHealthyPercent": x.minimum_healthy_percent,
                "MaximumPercent": x.maximum_percent,
                "DeploymentCircuitBreaker": { "Enable": x.circuit_breaker_rollback, "Rollback": x.circuit_breaker_rollback },
            },
            "PropagateTags": "SERVICE",
            "EnableECSManagedTags": true,
        });
        if let Some(lb) = &x.load_balancer {
            p["LoadBalancers"] = json!([{
                "TargetGroupArn": self.str_value(&lb.target_group_arn, &ctx)?,
                "ContainerName": lb.container_name,
                "ContainerPort": lb.container_port,
            }]);
            p["HealthCheckGracePeriodSeconds"] = json!(x.health_check_grace_period_seconds);
        }
        Ok(p)
    }

    fn log_group(&self, entry: &ResourceEntry, x: &LogGroup) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "KmsKeyId".into() };
        let mut p = json!({ "LogGroupName": self.name(entry), "RetentionInDays": x.retention_days });
        if let Some(key) = &x.kms_key_arn {
            p["KmsKeyId"] = self.str_value(key, &ctx)?;
        }
        Ok(p)
    }

    fn file_system(&self, entry: &ResourceEntry, x: &FileSystem) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "KmsKeyId".into() };
        let mut lifecycle = Vec::new();
        if let Some(days) = x.transition_to_ia_days {
            lifecycle
                .push(json!({ "TransitionToIA": format!("AFTER_{days}_{}", if days == 1 { "DAY" } else { "DAYS" }) }));
            lifecycle.push(json!({ "TransitionToPrimaryStorageClass": "AFTER_1_ACCESS" }));
        }
        let mut p = json!({
            "Encrypted": x.encrypted,
            "PerformanceMode": x.performance_mode.as_aws(),
            "ThroughputMode": "elastic",
            "BackupPolicy": { "Status": if x.backups { "ENABLED" } else { "DISABLED" } },
        });
        if let Some(key) = &x.kms_key_id {
            p["KmsKeyId"] = self.str_value(key, &ctx)?;
        }
        if !lifecycle.is_empty() {
            p["LifecyclePolicies"] = Json::Array(lifecycle);
        }
        Ok(p)
    }

    fn access_point(&self, x: &AccessPoint, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        let (uid, gid) = (x.posix_user.uid.to_string(), x.posix_user.gid.to_string());
        Ok(json!({
            "FileSystemId": self.str_value(&x.file_system_id, ctx)?,
            "PosixUser": { "Uid": uid, "Gid": gid },
            "RootDirectory": {
                "Path": x.root_directory,
                "CreationInfo": { "OwnerUid": uid, "OwnerGid": gid, "Permissions": x.permissions },
            },
        }))
    }

    fn schedule(&self, entry: &ResourceEntry, x: &Schedule) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "Target".into() };
        let retry = json!({
            "MaximumRetryAttempts": iac_core::model::SCHEDULE_RETRIES,
            "MaximumEventAgeInSeconds": iac_core::model::SCHEDULE_MAX_EVENT_AGE_SECONDS,
        });
        let target = match &x.target {
            ScheduleTarget::RunTask(t) => json!({
                "Arn": self.str_value(&t.cluster_arn, &ctx)?,
                "RoleArn": self.str_value(&x.role_arn, &ctx)?,
                "Input": t.input(),
                "EcsParameters": {
                    "TaskDefinitionArn": self.str_value(&t.task_definition_arn, &ctx)?,
                    "LaunchType": "FARGATE",
                    "PlatformVersion": "LATEST",
                    "TaskCount": 1,
                    "NetworkConfiguration": self.awsvpc(&t.network, &ctx)?,
                },
                "RetryPolicy": retry,
            }),
            ScheduleTarget::Call { target_arn, input } => json!({
                "Arn": self.str_value(target_arn, &ctx)?,
                "RoleArn": self.str_value(&x.role_arn, &ctx)?,
                "Input": self.str_value(input, &ctx)?,
                "RetryPolicy": retry,
            }),
        };
        Ok(json!({
            "Name": self.name(entry),
            "Description": x.description,
            "ScheduleExpression": x.expression,
            "ScheduleExpressionTimezone": x.timezone,
            "FlexibleTimeWindow": { "Mode": "OFF" },
            "State": if x.enabled { "ENABLED" } else { "DISABLED" },
            "Target": target,
        }))
    }
}

/// Words that YAML 1.1 (CloudFormation's and cfn-lint's parsers) reads as booleans but YAML 1.2
/// (the serializer) writes bare, e.g. `EventBridge` Scheduler's `Mode: OFF`.
const YAML11_BOOLEANS: &[&str] =
    &["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"];

/// Quotes bare scalar values (`key: OFF`, `- OFF`) that a YAML 1.1 parser would read as booleans.
/// Real booleans are written `true`/`false`, so every such bare word is a string. The content of
/// block scalars (`|`, `>`: scripts) is left as it is.
pub(crate) fn quote_yaml11_booleans(text: &str) -> String {
    let indent = |s: &str| s.len() - s.trim_start().len();
    let mut out = String::with_capacity(text.len());
    // Indentation of the line that opened a block scalar, while inside one.
    let mut block: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        if let Some(opened) = block {
            if body.trim().is_empty() || indent(body) > opened {
                out.push_str(line);
                continue;
            }
            block = None;
        }
        let value_at = body.rfind(": ").map(|i| i + 2).or_else(|| {
            let trimmed = body.trim_start();
            trimmed.starts_with("- ").then(|| body.len() - trimmed.len() + 2)
        });
        let value = value_at.map_or("", |i| &body[i..]);
        if value.starts_with('|') || value.starts_with('>') {
            block = Some(indent(body));
        }
        match value_at {
            Some(i) if YAML11_BOOLEANS.contains(&value) => {
                out.push_str(&body[..i]);
                out.push('\'');
                out.push_str(value);
                out.push('\'');
                out.push_str(newline);
            }
            _ => out.push_str(line),
        }
    }
    out
}

impl Renderer<'_> {
    /// A read replica: what it inherits from the source (master user and password, database
    /// name, storage size and encryption) is left out, as CloudFormation asks.
    fn db_replica(
        &self,
        entry: &ResourceEntry,
        x: &DbInstance,
        source: &Value<String>,
        ctx: &Ctx<'_>,
    ) -> Result<Json, RenderError> {
        let mut p = json!({
            "DBInstanceIdentifier": self.name(entry),
            "SourceDBInstanceIdentifier": self.str_value(source, ctx)?,
            "Engine": x.engine.as_aws(),
            "EngineVersion": x.engine_version,
            "DBInstanceClass": self.str_value(&x.instance_class, ctx)?,
            "StorageType": x.storage_type,
            "MultiAZ": x.multi_az,
            "PubliclyAccessible": x.publicly_accessible,
            "DeletionProtection": x.deletion_protection,
            "VPCSecurityGroups": self.list(&x.security_group_ids, ctx)?,
            "DBSubnetGroupName": self.str_value(&x.subnet_group_name, ctx)?,
            "EnableIAMDatabaseAuthentication": x.iam_authentication,
            "EnablePerformanceInsights": x.performance_insights,
            "EnableCloudwatchLogsExports": x.log_exports,
            "AutoMinorVersionUpgrade": x.auto_minor_version_upgrade,
            "CopyTagsToSnapshot": x.copy_tags_to_snapshot,
        });
        if x.backup_retention_days > 0 {
            p["BackupRetentionPeriod"] = json!(x.backup_retention_days);
        }
        if let Some(port) = x.port {
            p["Port"] = json!(port.to_string());
        }
        if let Some(pg) = &x.parameter_group_name {
            p["DBParameterGroupName"] = self.str_value(pg, ctx)?;
        }
        if let Some((interval, role)) = &x.monitoring {
            p["MonitoringInterval"] = json!(interval);
            p["MonitoringRoleArn"] = self.str_value(role, ctx)?;
        }
        Ok(p)
    }

    fn cache_replication_group(&self, entry: &ResourceEntry, x: &CacheReplicationGroup) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "ReplicationGroup".into() };
        let mut p = json!({
            "ReplicationGroupId": self.name(entry),
            "ReplicationGroupDescription": x.description,
            "Engine": "redis",
            "EngineVersion": x.engine_version,
            "CacheNodeType": self.str_value(&x.node_type, &ctx)?,
            "NumCacheClusters": x.num_cache_clusters,
            "Port": x.port(),
            "AutomaticFailoverEnabled": x.automatic_failover,
            "MultiAZEnabled": x.multi_az,
            "AtRestEncryptionEnabled": x.at_rest_encryption,
            "TransitEncryptionEnabled": x.transit_encryption,
            "SecurityGroupIds": self.list(&x.security_group_ids, &ctx)?,
            "CacheSubnetGroupName": self.str_value(&x.subnet_group_name, &ctx)?,
            "SnapshotRetentionLimit": x.snapshot_retention_days,
            "AutoMinorVersionUpgrade": x.auto_minor_version_upgrade,
        });
        if x.transit_encryption {
            p["TransitEncryptionMode"] = json!("required");
        }
        if let Some(token) = &x.auth_token {
            p["AuthToken"] = self.dynamic_reference(token, &ctx)?;
        }
        if let Some(pg) = &x.parameter_group_name {
            p["CacheParameterGroupName"] = self.str_value(pg, &ctx)?;
        }
        if let Some(w) = &x.snapshot_window {
            p["SnapshotWindow"] = json!(w);
        }
        if let Some(w) = &x.maintenance_window {
            p["PreferredMaintenanceWindow"] = json!(w);
        }
        Ok(p)
    }

    fn bucket(&self, entry: &ResourceEntry, x: &Bucket) -> Result<Json, RenderError> {
        let ctx = Ctx { resource: entry.id.as_str(), property: "BucketEncryption".into() };
        let by_default = match &x.encryption {
            BucketEncryption::S3Managed => json!({ "SSEAlgorithm": "AES256" }),
            BucketEncryption::Kms { key_id } => {
                let mut d = json!({ "SSEAlgorithm": "aws:kms" });
                if let Some(k) = key_id {
                    d["KMSMasterKeyID"] = self.str_value(k, &ctx)?;
                }
                d
            }
        };
        let bucket_key = matches!(x.encryption, BucketEncryption::Kms { .. });
        let block = x.block_public_access;
        let mut p = json!({
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [
                { "ServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bucket_key },
            ] },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": block, "BlockPublicPolicy": block, "IgnorePublicAcls": block, "RestrictPublicBuckets": block,
            },
            "OwnershipControls": { "Rules": [{ "ObjectOwnership": x.object_ownership.as_aws() }] },
            "VersioningConfiguration": { "Status": if x.versioning { "Enabled" } else { "Suspended" } },
        });
        if let Some(name) = &x.name {
            p["BucketName"] = json!(name);
        }
        if !x.lifecycle_rules.is_empty() {
            let rules: Vec<Json> = x
                .lifecycle_rules
                .iter()
                .map(|r| {
                    let mut o = json!({ "Id": r.id, "Status": "Enabled" });
                    if !r.prefix.is_empty() {
                        o["Prefix"] = json!(r.prefix);
                    }
                    if let Some(d) = r.expiration_days {
                        o["ExpirationInDays"] = json!(d);
                    }
                    if let Some(d) = r.noncurrent_expiration_days {
                        o["NoncurrentVersionExpiration"] = json!({ "NoncurrentDays": d });
                    }
                    if let Some(d) = r.abort_incomplete_upload_days {
                        o["AbortIncompleteMultipartUpload"] = json!({ "DaysAfterInitiation": d });
                    }
                    o
                })
                .collect();
            p["LifecycleConfiguration"] = json!({ "Rules": rules });
        }
        Ok(p)
    }

    fn bucket_policy(&self, x: &BucketPolicy, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        let mut statements = Vec::new();
        for st in &x.statements {
            let principal = match &st.principal {
                Principal::Any => json!("*"),
                Principal::Service(s) => json!({ "Service": s }),
                Principal::Aws(v) => json!({ "AWS": self.str_value(v, ctx)? }),
            };
            let mut o = json!({
                "Sid": st.sid,
                "Effect": if st.allow { "Allow" } else { "Deny" },
                "Principal": principal,
                "Action": st.actions,
                "Resource": self.list(&st.resources, ctx)?,
            });
            if !st.conditions.is_empty() {
                let mut cond = Map::new();
                for c in &st.conditions {
                    let values = self.list(&c.values, ctx)?;
                    let values = match values {
                        Json::Array(mut v) if v.len() == 1 => v.pop().unwrap_or(Json::Null),
                        other => other,
                    };
                    let op = cond.entry(c.operator.clone()).or_insert_with(|| json!({}));
                    op[c.key.as_str()] = values;
                }
                o["Condition"] = Json::Object(cond);
            }
            statements.push(o);
        }
        Ok(json!({
            "Bucket": self.str_value(&x.bucket, ctx)?,
            "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
        }))
    }

    fn distribution(&self, x: &Distribution, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        let origin_id = "s3-origin";
        let mut behavior = json!({
            "TargetOriginId": origin_id,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["GET", "HEAD"],
            "CachedMethods": ["GET", "HEAD"],
            "CachePolicyId": x.cache_policy_id,
            "Compress": true,
        });
        if let Some(id) = &x.response_headers_policy_id {
            behavior["ResponseHeadersPolicyId"] = json!(id);
        }
        let certificate = match &x.certificate {
            ViewerCertificate::CloudFrontDefault => json!({ "CloudFrontDefaultCertificate": true }),
            ViewerCertificate::Acm { certificate_arn, minimum_protocol_version } => json!({
                "AcmCertificateArn": self.str_value(certificate_arn, ctx)?,
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": minimum_protocol_version,
            }),
        };
        let mut config = json!({
            "Enabled": true,
            "Comment": x.comment,
            "Origins": [{
                "Id": origin_id,
                "DomainName": self.str_value(&x.origin_domain_name, ctx)?,
                "OriginAccessControlId": self.str_value(&x.origin_access_control_id, ctx)?,
                // OAC replaces the legacy identity; CloudFront still wants the empty S3 config.
                "S3OriginConfig": { "OriginAccessIdentity": "" },
            }],
            "DefaultCacheBehavior": behavior,
            "PriceClass": x.price_class.as_aws(),
            "HttpVersion": x.http_version,
            "IPV6Enabled": x.ipv6,
            "ViewerCertificate": certificate,
        });
        if let Some(root) = &x.default_root_object {
            config["DefaultRootObject"] = json!(root);
        }
        if !x.aliases.is_empty() {
            config["Aliases"] = json!(x.aliases);
        }
        Ok(json!({ "DistributionConfig": config }))
    }

    fn scheduled_action(&self, x: &ScheduledAction, ctx: &Ctx<'_>) -> Result<Json, RenderError> {
        let mut p = json!({
            "AutoScalingGroupName": self.str_value(&x.auto_scaling_group_name, ctx)?,
            "Recurrence": x.recurrence,
        });
        if let Some(tz) = &x.time_zone {
            p["TimeZone"] = json!(tz);
        }
        if let Some(n) = x.min_size {
            p["MinSize"] = json!(n);
        }
        if let Some(n) = x.max_size {
            p["MaxSize"] = json!(n);
        }
        if let Some(n) = x.desired_capacity {
            p["DesiredCapacity"] = json!(n);
        }
        Ok(p)
    }
}

/// Sets (or with `null`, removes) the value at a dotted path, creating objects on the way.
fn set_path(root: &mut Json, path: &str, value: Json) {
    let mut cur = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !cur.is_object() {
            *cur = Json::Object(Map::new());
        }
        let obj = cur.as_object_mut().expect("object");
        if parts.peek().is_none() {
            if value.is_null() {
                obj.remove(part);
            } else {
                obj.insert(part.to_owned(), value);
            }
            return;
        }
        cur = obj.entry(part.to_owned()).or_insert_with(|| Json::Object(Map::new()));
    }
}

#[cfg(test)]
mod yaml_tests {
    use super::quote_yaml11_booleans;

    #[test]
    fn yaml11_booleans_are_quoted_outside_block_scalars() {
        let text = "A:\n  Mode: OFF\n  List:\n  - on\n  - 'no'\n  Real: true\n  Script: |-\n    #!/bin/sh\n    x: no\n\n    - OFF\n  After: Yes\nB: offline\n";
        let want = "A:\n  Mode: 'OFF'\n  List:\n  - 'on'\n  - 'no'\n  Real: true\n  Script: |-\n    #!/bin/sh\n    x: no\n\n    - OFF\n  After: 'Yes'\nB: offline\n";
        assert_eq!(quote_yaml11_booleans(text), want);
    }
}

#[cfg(test)]
mod schedule_and_droplet_tests {
    use iac_core::StackBuilder;
    use iac_core::model::{Droplet, Schedule, ScheduleTarget};

    use super::*;

    #[test]
    fn schedules_render_and_droplets_are_refused() {
        let mut s = StackBuilder::new("demo", "dev");
        s.add(
            "Start",
            Schedule {
                description: "start".into(),
                expression: "cron(0 8 * * ? *)".into(),
                timezone: "Europe/London".into(),
                name: None,
                target: ScheduleTarget::Call {
                    target_arn: Schedule::universal_target("ec2", "startInstances").into(),
                    input: "{\"InstanceIds\":[\"i-1\"]}".into(),
                },
                role_arn: "arn:aws:iam::123456789012:role/r".into(),
                enabled: true,
            },
        );
        let yaml = render(&s.build().unwrap(), Format::Yaml).unwrap();
        assert!(yaml.contains("Mode: 'OFF'") && yaml.contains("State: ENABLED"), "{yaml}");
        assert!(yaml.contains("Arn: arn:aws:scheduler:::aws-sdk:ec2:startInstances"), "{yaml}");

        let mut s = StackBuilder::new("demo", "dev");
        s.add(
            "Box",
            Droplet {
                name: "box".into(),
                region: "lon1".into(),
                size: "s-1vcpu-1gb".into(),
                image: "ubuntu-24-04-x64".into(),
                ssh_keys: Vec::new(),
                monitoring: true,
                backups: false,
                ipv6: false,
                user_data: None,
            },
        );
        let err = render(&s.build().unwrap(), Format::Json).unwrap_err().to_string();
        assert!(
            err.contains("`Box`") && err.contains("DigitalOcean droplet") && err.contains("--target terraform"),
            "{err}"
        );
    }
}
