//! CloudFormation templates (JSON or YAML) from a stack.
//!
//! References become `Ref` / `Fn::GetAtt`, joins `Fn::Join`, the n-th zone
//! `Fn::Select`/`Fn::GetAZs`, and secrets dynamic references (`{{resolve:secretsmanager:...}}`)
//! that CloudFormation resolves without storing the value. Stateful resources get
//! `DeletionPolicy` and `UpdateReplacePolicy` of `Snapshot`; suppressed policy checks are written
//! as `Metadata.checkov.skip` with their reasons, where reviewers and checkov both see them.

use iac_core::Stack;
use iac_core::model::{
    AppProtocol, AutoScalingGroup, Backend, DbInstance, HealthCheckType, Listener, ListenerAction, LoadBalancer,
    MachineSpec, MasterPassword, ParamKind, Peer, RecordTarget, Resource, ResourceEntry, RouteTarget, Rule, Scheme,
    SecurityGroup, Statement, TargetGroup, TrackedMetric,
};
use iac_core::naming;
use iac_core::value::{Attr, AttrRef, Literal, Pseudo, SecretEncoding, SecretRef, SecretSource, Value};
use serde_json::{Map, Value as Json, json};

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
    let doc = template(stack)?;
    let ser = |e: Box<dyn std::error::Error + Send + Sync>, f: &'static str| RenderError::Serialize {
        stack: stack.name().to_owned(),
        format: f,
        source: e,
    };
    match format {
        Format::Json => serde_json::to_string_pretty(&doc).map(|s| s + "\n").map_err(|e| ser(Box::new(e), "JSON")),
        Format::Yaml => serde_yaml_ng::to_string(&doc)
            .map(|text| quote_yaml11_booleans(&text))
            .map_err(|e| ser(Box::new(e), "YAML")),
    }
}

/// Quotes plain scalars that YAML 1.1 readers (cfn-lint, `PyYAML`) take for booleans, such as a
/// scheduler's `Mode: OFF`; the YAML writer follows YAML 1.2, where they are strings.
fn quote_yaml11_booleans(text: &str) -> String {
    const WORDS: [&str; 16] =
        ["y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"];
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches('\n');
        let value_at = body.rfind(": ").map(|i| i + 2).or_else(|| {
            let trimmed = body.trim_start();
            trimmed.starts_with("- ").then(|| body.len() - trimmed.len() + 2)
        });
        match value_at {
            Some(i) if WORDS.contains(&&body[i..]) => {
                out.push_str(&body[..i]);
                out.push('\'');
                out.push_str(&body[i..]);
                out.push('\'');
                out.push_str(&line[body.len()..]);
            }
            _ => out.push_str(line),
        }
    }
    out
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
        let kind = self.stack.resource(&r.id).map(|e| &e.resource);
        let get_att = |name: &str| json!({ "Fn::GetAtt": [id, name] });
        match (kind, r.attr) {
            (Some(Resource::SecurityGroup(_)), Attr::Id) => get_att("GroupId"),
            (Some(Resource::Vpc(_)), Attr::CidrBlock) => get_att("CidrBlock"),
            (Some(Resource::LaunchTemplate(_)), Attr::LatestVersionNumber) => get_att("LatestVersionNumber"),
            (Some(Resource::Eip(_)), Attr::AllocationId) => get_att("AllocationId"),
            (Some(Resource::Instance(_)), Attr::PrivateIp) => get_att("PrivateIp"),
            (Some(Resource::Role(_) | Resource::InstanceProfile(_) | Resource::Schedule(_)), Attr::Arn) => {
                get_att("Arn")
            }
            (Some(Resource::LoadBalancer(_)), Attr::DnsName) => get_att("DNSName"),
            (Some(Resource::LoadBalancer(_)), Attr::CanonicalHostedZoneId) => get_att("CanonicalHostedZoneID"),
            (Some(Resource::DbInstance(_)), Attr::EndpointAddress) => get_att("Endpoint.Address"),
            (Some(Resource::DbInstance(_)), Attr::EndpointPort) => get_att("Endpoint.Port"),
            (Some(Resource::DbInstance(_)), Attr::MasterUserSecretArn) => get_att("MasterUserSecret.SecretArn"),
            (Some(Resource::DbInstance(_)), Attr::Arn) => get_att("DBInstanceArn"),
            // Everything else is what `Ref` returns: ids, names and (for ELB kinds) ARNs.
            _ => json!({ "Ref": id }),
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
        let (ty, mut props): (String, Json) = match &entry.resource {
            Resource::Vpc(x) => (
                "AWS::EC2::VPC".into(),
                json!({ "CidrBlock": v(&x.cidr_block)?, "EnableDnsHostnames": x.enable_dns_hostnames, "EnableDnsSupport": x.enable_dns_support }),
            ),
            Resource::Subnet(x) => (
                "AWS::EC2::Subnet".into(),
                json!({
                    "VpcId": v(&x.vpc_id)?, "CidrBlock": v(&x.cidr_block)?, "AvailabilityZone": v(&x.availability_zone)?,
                    "MapPublicIpOnLaunch": x.map_public_ip_on_launch,
                }),
            ),
            Resource::InternetGateway(_) => ("AWS::EC2::InternetGateway".into(), json!({})),
            Resource::VpcGatewayAttachment(x) => (
                "AWS::EC2::VPCGatewayAttachment".into(),
                json!({ "VpcId": v(&x.vpc_id)?, "InternetGatewayId": v(&x.internet_gateway_id)? }),
            ),
            Resource::RouteTable(x) => ("AWS::EC2::RouteTable".into(), json!({ "VpcId": v(&x.vpc_id)? })),
            Resource::Route(x) => {
                let mut p = json!({ "RouteTableId": v(&x.route_table_id)?, "DestinationCidrBlock": v(&x.destination_cidr_block)? });
                match &x.target {
                    RouteTarget::InternetGateway(g) => p["GatewayId"] = v(g)?,
                    RouteTarget::NatGateway(g) => p["NatGatewayId"] = v(g)?,
                }
                ("AWS::EC2::Route".into(), p)
            }
            Resource::SubnetRouteTableAssociation(x) => (
                "AWS::EC2::SubnetRouteTableAssociation".into(),
                json!({ "SubnetId": v(&x.subnet_id)?, "RouteTableId": v(&x.route_table_id)? }),
            ),
            Resource::Eip(_) => ("AWS::EC2::EIP".into(), json!({ "Domain": "vpc" })),
            Resource::NatGateway(x) => (
                "AWS::EC2::NatGateway".into(),
                json!({ "SubnetId": v(&x.subnet_id)?, "AllocationId": v(&x.allocation_id)? }),
            ),
            Resource::SecurityGroup(x) => ("AWS::EC2::SecurityGroup".into(), self.security_group(entry, x)?),
            Resource::SecurityGroupIngress(x) => {
                let mut p = self.rule(&x.rule, true, &ctx("Rule"))?;
                p["GroupId"] = v(&x.group_id)?;
                ("AWS::EC2::SecurityGroupIngress".into(), p)
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
                ("AWS::IAM::Role".into(), p)
            }
            Resource::InstanceProfile(x) => (
                "AWS::IAM::InstanceProfile".into(),
                json!({ "InstanceProfileName": self.name(entry), "Roles": [v(&x.role)?] }),
            ),
            Resource::LaunchTemplate(x) => {
                let mut data = self.machine(entry, &x.machine)?;
                let tags = self.tags(entry);
                data["TagSpecifications"] = json!([
                    { "ResourceType": "instance", "Tags": tags },
                    { "ResourceType": "volume", "Tags": tags },
                ]);
                (
                    "AWS::EC2::LaunchTemplate".into(),
                    json!({
                        "LaunchTemplateName": self.name(entry),
                        "LaunchTemplateData": data,
                        "TagSpecifications": [{ "ResourceType": "launch-template", "Tags": tags }],
                    }),
                )
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
                ("AWS::EC2::Instance".into(), p)
            }
            Resource::AutoScalingGroup(x) => ("AWS::AutoScaling::AutoScalingGroup".into(), self.asg(entry, x)?),
            Resource::ScalingPolicy(x) => (
                "AWS::AutoScaling::ScalingPolicy".into(),
                json!({
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
            ),
            Resource::LoadBalancer(x) => {
                ("AWS::ElasticLoadBalancingV2::LoadBalancer".into(), self.load_balancer(entry, x)?)
            }
            Resource::TargetGroup(x) => {
                ("AWS::ElasticLoadBalancingV2::TargetGroup".into(), self.target_group(entry, x)?)
            }
            Resource::Listener(x) => ("AWS::ElasticLoadBalancingV2::Listener".into(), self.listener(x, &c)?),
            Resource::DbSubnetGroup(x) => (
                "AWS::RDS::DBSubnetGroup".into(),
                json!({ "DBSubnetGroupName": self.name(entry), "DBSubnetGroupDescription": x.description, "SubnetIds": self.list(&x.subnet_ids, &c)? }),
            ),
            Resource::DbParameterGroup(x) => (
                "AWS::RDS::DBParameterGroup".into(),
                json!({ "DBParameterGroupName": self.name(entry), "Description": x.description, "Family": x.family, "Parameters": x.parameters }),
            ),
            Resource::DbInstance(x) => ("AWS::RDS::DBInstance".into(), self.db_instance(entry, x)?),
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
                ("AWS::Route53::RecordSet".into(), p)
            }
            Resource::Schedule(x) => (
                "AWS::Scheduler::Schedule".into(),
                json!({
                    "Name": self.name(entry),
                    "Description": x.description,
                    "ScheduleExpression": x.expression,
                    "ScheduleExpressionTimezone": x.timezone,
                    "FlexibleTimeWindow": { "Mode": "OFF" },
                    "State": if x.enabled { "ENABLED" } else { "DISABLED" },
                    "Target": {
                        "Arn": v(&x.target_arn)?,
                        "RoleArn": v(&x.role_arn)?,
                        "Input": v(&x.input)?,
                    },
                }),
            ),
            Resource::Droplet(_) | Resource::DoFirewall(_) => {
                return Err(self.unsupported(
                    &ctx("Type"),
                    format!(
                        "a {} is not an AWS resource and CloudFormation cannot create it; render this stack with `--target terraform` (the digitalocean provider)",
                        entry.resource.kind_name()
                    ),
                ));
            }
            Resource::RawResource(x) => {
                match &x.cloudformation {
                    Some((ty, props)) => (ty.clone(), props.clone()),
                    None => {
                        return Err(self.unsupported(&ctx("cloudformation"), "this raw resource has no CloudFormation form; give one or leave the stack out of this target"));
                    }
                }
            }
        };
        let tags = self.tags(entry);
        let has_own_tags = matches!(
            entry.resource,
            Resource::AutoScalingGroup(_) | Resource::LaunchTemplate(_) | Resource::RawResource(_)
        );
        if !has_own_tags && tags.as_array().is_some_and(|t| !t.is_empty()) {
            props["Tags"] = tags;
        }
        for o in entry.overrides.iter().filter(|o| o.backend == Backend::CloudFormation) {
            set_path(&mut props, &o.path, o.value.clone());
        }
        let mut out = Map::new();
        out.insert("Type".into(), json!(ty));
        if !entry.depends_on.is_empty() {
            out.insert("DependsOn".into(), json!(entry.depends_on.iter().map(ToString::to_string).collect::<Vec<_>>()));
        }
        if entry.resource.is_stateful() {
            out.insert("DeletionPolicy".into(), json!("Snapshot"));
            out.insert("UpdateReplacePolicy".into(), json!("Snapshot"));
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
            "TargetType": "instance",
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
mod tests {
    use iac_core::StackBuilder;
    use iac_core::model::{Droplet, Schedule};

    use super::*;

    #[test]
    fn yaml_11_booleans_are_quoted() {
        let text = "A:\n  Mode: OFF\n  State: ENABLED\n  List:\n  - yes\n  - 'no'\n  Note: it is off\n";
        assert_eq!(
            quote_yaml11_booleans(text),
            "A:\n  Mode: 'OFF'\n  State: ENABLED\n  List:\n  - 'yes'\n  - 'no'\n  Note: it is off\n"
        );
    }

    #[test]
    fn schedules_render_and_droplets_are_refused() {
        let mut s = StackBuilder::new("demo", "dev");
        s.add(
            "Start",
            Schedule {
                description: "start".into(),
                expression: "cron(0 8 * * ? *)".into(),
                timezone: "Europe/London".into(),
                target_arn: Schedule::universal_target("ec2", "startInstances").into(),
                input: "{\"InstanceIds\":[\"i-1\"]}".into(),
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
