//! Terraform: an [`iac_core::Stack`] as HCL for the AWS provider v5, written with `hcl-rs`.
//!
//! [`render`] gives three files:
//!
//! - `main.tf`: a header comment, the `terraform` block (Terraform >= 1.5, `hashicorp/aws ~> 5.0`),
//!   the `aws` provider with the stack's tags as `default_tags`, the `data` blocks the stack needs
//!   (region, account, availability zones, secrets), then one or more `resource` blocks per model
//!   resource in stack order.
//! - `variables.tf`: one `variable` per stack parameter, typed `string`, with a `validation` block
//!   for image ids and certificate ARNs.
//! - `outputs.tf`: one `output` per stack output.
//!
//! References are HCL traversals (`aws_lb.web_load_balancer.arn`), never interpolated strings;
//! joins are `join("", [...])` calls; secrets are `data` sources, never literals. Literal strings
//! are written by `hcl-rs`, which escapes `${` and `%{` as `$${` and `%%{`, so a boot script's
//! shell variables survive. Checkov suppressions become `#checkov:skip=CHECK:reason` comment lines
//! inside the resource block (hcl-rs has no comments, so they are inserted into the formatted
//! text). Terraform overrides set, replace or remove an argument of the resource block. Stateful
//! resources get `lifecycle { prevent_destroy = true }`. The output is deterministic.

use std::collections::HashSet;
use std::fmt::Write as _;

use hcl::expr::{FuncCall, Traversal, TraversalOperator, Variable};
use hcl::{Attribute, Block, BlockLabel, Body, Expression, Identifier, ObjectKey, Structure};
use iac_core::Stack;
use iac_core::app::HostConfig;
use iac_core::model::{
    AccessPoint, AppProtocol, AutoScalingGroup, Backend, DbInstance, DbParameterGroup, DbSubnetGroup, DoFirewall,
    Droplet, EcsCluster, EcsService, Eip, FileSystem, HealthCheckType, Instance, InstanceProfile, InternetGateway,
    LaunchTemplate, Listener, ListenerAction, LoadBalancer, LogGroup, MachineSpec, MasterPassword, MountTarget,
    NatGateway, Peer, Protocol, RawResource, RecordSet, RecordTarget, Resource, ResourceEntry, Role, Route, RouteTable,
    RouteTarget, Rule, RunTask, ScalingPolicy, Schedule, ScheduleTarget, Scheme, SecurityGroup, SecurityGroupIngress,
    Statement, Subnet, SubnetRouteTableAssociation, TargetGroup, TaskDefinition, TaskNetwork, TrackedMetric, Vpc,
    VpcGatewayAttachment,
};
use iac_core::model::{
    Bucket, BucketEncryption, BucketPolicy, CacheParameterGroup, CacheReplicationGroup, CacheSubnetGroup, Distribution,
    OriginAccessControl, Principal, ScheduledAction, ViewerCertificate,
};
use iac_core::naming;
use iac_core::stack::ParamKind;
use iac_core::value::{AttrRef, Literal, Pseudo, SecretEncoding, SecretRef, SecretSource, Value};
use indexmap::IndexMap;

use crate::ecs::{self, Node};
use crate::error::RenderError;
use crate::userdata::{self, Segment};

/// Rendered Terraform files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformFiles {
    /// `main.tf`: terraform and provider blocks, data sources and resources.
    pub main_tf: String,
    /// `variables.tf`: one variable per stack parameter.
    pub variables_tf: String,
    /// `outputs.tf`: one output per stack output.
    pub outputs_tf: String,
}

/// Terraform versions the output is written for.
const REQUIRED_VERSION: &str = ">= 1.5";
/// AWS provider versions the output is written for.
const AWS_PROVIDER_VERSION: &str = "~> 5.0";
/// DigitalOcean provider versions the output is written for.
const DIGITALOCEAN_PROVIDER_VERSION: &str = "~> 2.0";

/// Engine parameters that only take effect after a reboot: RDS refuses `immediate` for them, so
/// they are written with `apply_method = "pending-reboot"`.
const STATIC_DB_PARAMETERS: &[&str] = &[
    "innodb_log_file_size",
    "innodb_buffer_pool_instances",
    "innodb_read_io_threads",
    "innodb_write_io_threads",
    "innodb_log_buffer_size",
    "performance_schema",
    "shared_preload_libraries",
    "shared_buffers",
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_replication_slots",
    "max_locks_per_transaction",
    "max_prepared_transactions",
    "track_activity_query_size",
    "wal_buffers",
    "rds.logical_replication",
];

/// Renders `stack` as Terraform files.
pub fn render(stack: &Stack) -> Result<TerraformFiles, RenderError> {
    let mut r = Renderer::new(stack);
    let mut resources = Vec::new();
    for entry in stack.resources() {
        resources.push(r.entry(entry)?);
    }
    let outputs_tf = r.outputs()?;
    let variables_tf = r.variables()?;

    let mut main_tf = header(stack, "resources");
    main_tf.push('\n');
    let providers = Providers::of(stack);
    main_tf.push_str(&r.format(&terraform_block(providers))?);
    if providers.aws {
        main_tf.push('\n');
        main_tf.push_str(&r.format(&provider_block(stack))?);
    }
    if providers.digitalocean {
        main_tf.push('\n');
        main_tf.push_str(&r.format(&Args::default().into_block("provider", &["digitalocean"]))?);
    }
    for block in r.data_blocks() {
        main_tf.push('\n');
        let mut text = r.format(&block)?;
        if text.starts_with("data \"aws_availability_zones\"") {
            insert_skips(&mut text, &[ZONES_SKIP]);
        }
        main_tf.push_str(&text);
    }
    for text in resources {
        main_tf.push('\n');
        main_tf.push_str(&text);
    }
    Ok(TerraformFiles { main_tf, variables_tf, outputs_tf })
}

/// Subnets take zones by index from the region's list, which is sorted by name; AWS names new
/// zones with later letters, so an added zone never moves an existing subnet.
const ZONES_SKIP: (&str, &str) =
    ("CKV_AWS_394", "subnets take the first zones of the name-sorted list; new zones sort after them, so none moves");

/// Inserts `#checkov:skip=CHECK:reason` lines right after the opening line of a block.
fn insert_skips(text: &mut String, skips: &[(&str, &str)]) {
    let at = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut comments = String::new();
    for (check, reason) in skips {
        let _ = writeln!(comments, "  #checkov:skip={}:{}", one_line(check), one_line(reason));
    }
    text.insert_str(at, &comments);
}

/// The comment that opens each file.
fn header(stack: &Stack, what: &str) -> String {
    let mut out = format!("# Terraform {what} of stack `{}` ({}).\n", stack.name(), stack.env());
    let description = one_line(stack.description());
    if !description.is_empty() {
        let _ = writeln!(out, "# {description}");
    }
    out.push_str("# generated by iac-rs: do not edit.\n");
    out
}

/// `s` with line breaks replaced by spaces, for comments.
fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ").trim().to_owned()
}

/// The providers a stack needs: AWS unless every resource is a DigitalOcean one; DigitalOcean
/// when some resource is (its token comes from `DIGITALOCEAN_TOKEN`).
#[derive(Debug, Clone, Copy)]
struct Providers {
    aws: bool,
    digitalocean: bool,
}

impl Providers {
    fn of(stack: &Stack) -> Self {
        let digitalocean = stack.resources().any(|e| e.resource.is_digitalocean());
        let aws = !digitalocean || stack.resources().any(|e| !e.resource.is_digitalocean());
        Self { aws, digitalocean }
    }
}

fn terraform_block(p: Providers) -> Block {
    let mut providers = Args::default();
    if p.aws {
        providers.set(
            "aws",
            object([
                ("source", Expression::from("hashicorp/aws")),
                ("version", Expression::from(AWS_PROVIDER_VERSION)),
            ]),
        );
    }
    if p.digitalocean {
        providers.set(
            "digitalocean",
            object([
                ("source", Expression::from("digitalocean/digitalocean")),
                ("version", Expression::from(DIGITALOCEAN_PROVIDER_VERSION)),
            ]),
        );
    }
    let mut args = Args::default();
    args.set("required_version", REQUIRED_VERSION).nested("required_providers", providers);
    args.into_block("terraform", &[])
}

fn provider_block(stack: &Stack) -> Block {
    let mut default_tags = Args::default();
    default_tags.set("tags", tag_object(stack.tags().iter().map(|(k, v)| (k.as_str(), v.as_str()))));
    let mut args = Args::default();
    args.nested("default_tags", default_tags);
    args.into_block("provider", &["aws"])
}

/// The arguments of a block, in order.
#[derive(Debug, Default)]
pub(crate) struct Args(Vec<Structure>);

impl Args {
    /// Adds `key = expr`.
    pub(crate) fn set(&mut self, key: &str, expr: impl Into<Expression>) -> &mut Self {
        self.0.push(Structure::Attribute(Attribute::new(Identifier::unchecked(key), expr.into())));
        self
    }

    /// Adds `key = expr` when there is a value.
    pub(crate) fn set_opt(&mut self, key: &str, expr: Option<Expression>) -> &mut Self {
        if let Some(expr) = expr {
            self.set(key, expr);
        }
        self
    }

    /// Adds a nested block without labels.
    pub(crate) fn nested(&mut self, ident: &str, args: Args) -> &mut Self {
        self.0.push(Structure::Block(args.into_block(ident, &[])));
        self
    }

    /// Adds a nested block with labels (`provisioner "shell" { ... }`).
    pub(crate) fn nested_labeled(&mut self, ident: &str, labels: &[&str], args: Args) -> &mut Self {
        self.0.push(Structure::Block(args.into_block(ident, labels)));
        self
    }

    pub(crate) fn into_block(self, ident: &str, labels: &[&str]) -> Block {
        Block {
            identifier: Identifier::unchecked(ident),
            labels: labels.iter().map(|l| BlockLabel::String((*l).to_owned())).collect(),
            body: Body(self.0),
        }
    }
}

/// `root.a.b...`
pub(crate) fn traversal(root: &str, path: &[&str]) -> Expression {
    let ops = path.iter().map(|p| TraversalOperator::GetAttr(Identifier::unchecked(*p)));
    Expression::from(Traversal::new(Variable::unchecked(root), ops))
}

pub(crate) fn func(name: &str, args: impl IntoIterator<Item = Expression>) -> Expression {
    let mut call = FuncCall::new(Identifier::unchecked(name));
    call.args = args.into_iter().collect();
    Expression::from(call)
}

/// `join("", [parts...])`.
fn join(parts: Vec<Expression>) -> Expression {
    func("join", [Expression::String(String::new()), Expression::Array(parts)])
}

/// An object key: a bare identifier where HCL allows one, a quoted string otherwise.
fn object_key(key: &str) -> ObjectKey {
    match Identifier::new(key) {
        Ok(ident) if !matches!(key, "true" | "false" | "null") => ObjectKey::Identifier(ident),
        _ => ObjectKey::Expression(Expression::String(key.to_owned())),
    }
}

pub(crate) fn object<'k>(pairs: impl IntoIterator<Item = (&'k str, Expression)>) -> Expression {
    Expression::Object(pairs.into_iter().map(|(k, v)| (object_key(k), v)).collect())
}

pub(crate) fn tag_object<'t>(tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> Expression {
    object(tags.into_iter().map(|(k, v)| (k, Expression::from(v))))
}

/// A JSON value as an HCL literal expression (objects keep their order).
fn json_expr(v: &serde_json::Value) -> Expression {
    match v {
        serde_json::Value::Null => Expression::Null,
        serde_json::Value::Bool(b) => Expression::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Expression::from(u)
            } else if let Some(i) = n.as_i64() {
                Expression::from(i)
            } else {
                Expression::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_json::Value::String(s) => Expression::String(s.clone()),
        serde_json::Value::Array(items) => Expression::Array(items.iter().map(json_expr).collect()),
        serde_json::Value::Object(map) => object(map.iter().map(|(k, v)| (k.as_str(), json_expr(v)))),
    }
}

/// The data sources the stack uses, emitted in a fixed order.
#[derive(Debug, Default)]
struct DataSources {
    region: bool,
    account: bool,
    zones: bool,
    /// Secret sources in first-use order: label and block.
    secrets: IndexMap<SecretSource, (String, Block)>,
}

/// One rendering pass over a stack.
struct Renderer<'a> {
    stack: &'a Stack,
    /// The logical id being rendered (a resource or an output), for error messages.
    resource: String,
    /// Its Terraform label, to name the data sources it needs.
    label: String,
    data: DataSources,
    /// `(type, label)` pairs already written, to refuse duplicates.
    written: HashSet<(String, String)>,
}

impl<'a> Renderer<'a> {
    fn new(stack: &'a Stack) -> Self {
        Self {
            stack,
            resource: String::new(),
            label: String::new(),
            data: DataSources::default(),
            written: HashSet::new(),
        }
    }

    fn unsupported(&self, property: &str, message: impl Into<String>) -> RenderError {
        RenderError::Unsupported {
            stack: self.stack.name().to_owned(),
            resource: self.resource.clone(),
            property: property.to_owned(),
            message: message.into(),
        }
    }

    fn format(&self, block: &Block) -> Result<String, RenderError> {
        hcl::format::to_string(block).map_err(|e| RenderError::Serialize {
            stack: self.stack.name().to_owned(),
            format: "HCL",
            source: Box::new(e),
        })
    }

    // ----- values -----

    /// A property value as an HCL expression.
    fn expr<T: Literal>(&mut self, v: &Value<T>, prop: &str) -> Result<Expression, RenderError> {
        match v {
            Value::Lit(lit) => Ok(json_expr(&lit.to_json())),
            Value::Attr(r) => self.attr(r, prop),
            Value::Param(id) => {
                if !self.stack.parameters().contains_key(id) {
                    return Err(self.unsupported(
                        prop,
                        format!("it refers to parameter `{id}`, which the stack does not declare; add it with `StackBuilder::parameter`"),
                    ));
                }
                Ok(traversal("var", &[&id.snake_case()]))
            }
            Value::Pseudo(p) => Ok(self.pseudo(*p)),
            Value::Join(parts) => {
                let parts = parts.iter().map(|p| self.expr(p, prop)).collect::<Result<Vec<_>, _>>()?;
                Ok(join(parts))
            }
            Value::Secret(s) => self.secret(s, prop),
        }
    }

    fn exprs<T: Literal>(&mut self, vs: &[Value<T>], prop: &str) -> Result<Expression, RenderError> {
        Ok(Expression::Array(vs.iter().map(|v| self.expr(v, prop)).collect::<Result<_, _>>()?))
    }

    fn opt_expr<T: Literal>(&mut self, v: Option<&Value<T>>, prop: &str) -> Result<Option<Expression>, RenderError> {
        v.map(|v| self.expr(v, prop)).transpose()
    }

    /// A reference to another resource's attribute, as a traversal.
    fn attr(&mut self, r: &AttrRef, prop: &str) -> Result<Expression, RenderError> {
        let Some(target) = self.stack.resource(&r.id) else {
            return Err(self.unsupported(prop, format!("it refers to `{}`, which is not in the stack", r.id)));
        };
        if !target.resource.supports(r.attr) {
            return Err(self.unsupported(
                prop,
                format!(
                    "it refers to {:?} of `{}`, a {} that has no such attribute",
                    r.attr,
                    r.id,
                    target.resource.kind_name()
                ),
            ));
        }
        let Some(ty) = target.resource.terraform_type() else {
            return Err(
                self.unsupported(prop, format!("it refers to `{}`, a raw resource without a Terraform form", r.id))
            );
        };
        let mut builder = Traversal::builder(Variable::unchecked(ty)).attr(Identifier::unchecked(r.id.snake_case()));
        let path = target.resource.spec().attr(r.attr).map_or("id", |a| a.terraform);
        for segment in path.split('.') {
            builder = match segment.parse::<u64>() {
                Ok(index) => builder.index(index),
                Err(_) => builder.attr(Identifier::unchecked(segment)),
            };
        }
        Ok(Expression::from(builder.build()))
    }

    fn pseudo(&mut self, p: Pseudo) -> Expression {
        match p {
            Pseudo::Region => {
                self.data.region = true;
                traversal("data", &["aws_region", "current", "name"])
            }
            Pseudo::AccountId => {
                self.data.account = true;
                traversal("data", &["aws_caller_identity", "current", "account_id"])
            }
            Pseudo::AvailabilityZone(i) => {
                self.data.zones = true;
                let t = Traversal::builder(Variable::unchecked("data"))
                    .attr(Identifier::unchecked("aws_availability_zones"))
                    .attr(Identifier::unchecked("available"))
                    .attr(Identifier::unchecked("names"))
                    .index(u64::from(i));
                Expression::from(t.build())
            }
        }
    }

    /// A secret, read through a data source (never a literal).
    fn secret(&mut self, s: &SecretRef, prop: &str) -> Result<Expression, RenderError> {
        if s.encoding == SecretEncoding::Url {
            return Err(self.unsupported(
                prop,
                "a URL-encoded secret cannot be a Terraform argument; pass the raw secret, or resolve it on the host (user data, container environment)",
            ));
        }
        let (ty, value_attr) = match &s.source {
            SecretSource::SecretsManager(_) => ("aws_secretsmanager_secret_version", "secret_string"),
            SecretSource::SsmSecureString(_) => ("aws_ssm_parameter", "value"),
        };
        let label = if let Some((label, _)) = self.data.secrets.get(&s.source) {
            label.clone()
        } else {
            let mut args = Args::default();
            match &s.source {
                SecretSource::SecretsManager(id) => {
                    let id = self.expr(id.as_ref(), prop)?;
                    args.set("secret_id", id);
                }
                SecretSource::SsmSecureString(name) => {
                    args.set("name", name.as_str()).set("with_decryption", true);
                }
            }
            let base = format!("{}_{}", self.label, prop);
            let mut label = base.clone();
            let mut n = 1;
            while self.data.secrets.values().any(|(l, _)| *l == label) {
                n += 1;
                label = format!("{base}_{n}");
            }
            let block = args.into_block("data", &[ty, &label]);
            self.data.secrets.insert(s.source.clone(), (label.clone(), block));
            label
        };
        let value = traversal("data", &[ty, &label, value_attr]);
        Ok(match &s.json_key {
            None => value,
            Some(key) => Expression::from(Traversal::new(
                func("jsondecode", [value]),
                [TraversalOperator::Index(Expression::String(key.clone()))],
            )),
        })
    }

    fn data_blocks(&self) -> Vec<Block> {
        let mut out = Vec::new();
        if self.data.region {
            out.push(Args::default().into_block("data", &["aws_region", "current"]));
        }
        if self.data.account {
            out.push(Args::default().into_block("data", &["aws_caller_identity", "current"]));
        }
        if self.data.zones {
            let mut args = Args::default();
            args.set("state", "available");
            out.push(args.into_block("data", &["aws_availability_zones", "available"]));
        }
        out.extend(self.data.secrets.values().map(|(_, b)| b.clone()));
        out
    }

    // ----- resources -----

    fn claim(&mut self, ty: &str, label: &str) -> Result<(), RenderError> {
        if self.written.insert((ty.to_owned(), label.to_owned())) {
            Ok(())
        } else {
            Err(self.unsupported(
                "label",
                format!("the Terraform address `{ty}.{label}` is produced twice; rename one of the resources"),
            ))
        }
    }

    /// One model resource as formatted `resource` blocks (the main block first).
    fn entry(&mut self, entry: &ResourceEntry) -> Result<String, RenderError> {
        self.resource = entry.id.to_string();
        self.label = entry.id.snake_case();
        let label = self.label.clone();
        let stack = self.stack;
        let tags = naming::tags(stack, entry);
        let tags = (!tags.is_empty()).then(|| tag_object(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
        let name = naming::physical_name(stack, entry);
        let mut extra: Vec<(String, String, Args)> = Vec::new();
        let Some(ty) = entry.resource.terraform_type().map(str::to_owned) else {
            return Err(self.unsupported(
                "terraform",
                "this raw resource has no Terraform form; set `RawResource::terraform` to its type and arguments",
            ));
        };
        let mut args = self.resource_args(entry, name, tags, &mut extra)?;

        for o in entry.overrides.iter().filter(|o| o.backend == Backend::Terraform) {
            let path: Vec<&str> = o.path.split('.').collect();
            apply_override(&mut args.0, &path, &o.value)
                .map_err(|message| self.unsupported(&o.path, format!("Terraform override: {message}")))?;
        }
        if !entry.depends_on.is_empty() {
            let mut deps = Vec::new();
            for id in &entry.depends_on {
                let Some(dep) = stack.resource(id) else {
                    return Err(self.unsupported("depends_on", format!("`{id}` is not in the stack")));
                };
                let Some(dep_ty) = dep.resource.terraform_type() else {
                    return Err(
                        self.unsupported("depends_on", format!("`{id}` is a raw resource without a Terraform form"))
                    );
                };
                deps.push(traversal(dep_ty, &[&id.snake_case()]));
            }
            args.set("depends_on", Expression::Array(deps));
        }
        if entry.resource.is_stateful() {
            let mut lifecycle = Args::default();
            lifecycle.set("prevent_destroy", true);
            args.nested("lifecycle", lifecycle);
        }

        self.claim(&ty, &label)?;
        let mut text = self.format(&args.into_block("resource", &[&ty, &label]))?;
        let skips: Vec<(&str, &str)> =
            entry.suppressions.iter().map(|s| (s.check.as_str(), s.reason.as_str())).collect();
        insert_skips(&mut text, &skips);
        for (ty, label, args) in extra {
            self.claim(&ty, &label)?;
            text.push('\n');
            text.push_str(&self.format(&args.into_block("resource", &[&ty, &label]))?);
        }
        Ok(text)
    }

    /// The Terraform type and arguments of one model resource (plus extra blocks it needs).
    fn resource_args(
        &mut self,
        entry: &ResourceEntry,
        name: Option<String>,
        tags: Option<Expression>,
        extra: &mut Vec<(String, String, Args)>,
    ) -> Result<Args, RenderError> {
        let stack = self.stack;
        Ok(match &entry.resource {
            Resource::Vpc(r) => self.vpc(r, tags)?,
            Resource::Subnet(r) => self.subnet(r, tags)?,
            Resource::InternetGateway(r) => Self::internet_gateway(r, tags),
            Resource::VpcGatewayAttachment(r) => self.attachment(r)?,
            Resource::RouteTable(r) => self.route_table(r, tags)?,
            Resource::Route(r) => self.route(r)?,
            Resource::SubnetRouteTableAssociation(r) => self.association(r)?,
            Resource::Eip(r) => Self::eip(r, tags),
            Resource::NatGateway(r) => self.nat_gateway(r, tags)?,
            Resource::SecurityGroup(r) => self.security_group(r, name, tags)?,
            Resource::SecurityGroupIngress(r) => self.ingress_rule(r)?,
            Resource::Role(r) => self.role(r, name, tags, extra)?,
            Resource::InstanceProfile(r) => self.instance_profile(r, name, tags)?,
            Resource::LaunchTemplate(r) => self.launch_template(r, name, tags)?,
            Resource::Instance(r) => self.instance(r, tags)?,
            Resource::AutoScalingGroup(r) => {
                let tag_pairs = naming::tags(stack, entry);
                self.auto_scaling_group(r, name, &tag_pairs)?
            }
            Resource::ScalingPolicy(r) => {
                let name = stack.physical_name(&entry.id, 255);
                self.scaling_policy(r, name)?
            }
            Resource::LoadBalancer(r) => self.load_balancer(r, name, tags)?,
            Resource::TargetGroup(r) => self.target_group(r, name, tags)?,
            Resource::Listener(r) => self.listener(r, extra)?,
            Resource::DbSubnetGroup(r) => self.db_subnet_group(r, name, tags)?,
            Resource::DbParameterGroup(r) => Self::db_parameter_group(r, name, tags),
            Resource::DbInstance(r) => self.db_instance(r, name, tags)?,
            Resource::RecordSet(r) => self.record_set(r)?,
            Resource::EcsCluster(r) => Self::ecs_cluster(r, name, tags),
            Resource::TaskDefinition(r) => self.task_definition(r, name, tags)?,
            Resource::EcsService(r) => self.ecs_service(r, name, tags)?,
            Resource::LogGroup(r) => self.log_group(r, name, tags)?,
            Resource::FileSystem(r) => self.file_system(r, tags, extra)?,
            Resource::MountTarget(r) => self.mount_target(r)?,
            Resource::AccessPoint(r) => self.access_point(r, tags)?,
            Resource::Schedule(r) => self.schedule(r, name)?,
            Resource::Droplet(r) => self.droplet(r)?,
            Resource::DoFirewall(r) => self.do_firewall(r)?,
            Resource::RawResource(r) => self.raw(r)?,
            Resource::CacheSubnetGroup(r) => self.cache_subnet_group(r, name, tags)?,
            Resource::CacheParameterGroup(r) => Self::cache_parameter_group(r, name, tags),
            Resource::CacheReplicationGroup(r) => self.cache_replication_group(r, name, tags)?,
            Resource::Bucket(r) => self.bucket(r, name, tags, extra)?,
            Resource::BucketPolicy(r) => self.bucket_policy(r)?,
            Resource::OriginAccessControl(r) => Self::origin_access_control(r, name),
            Resource::Distribution(r) => self.distribution(r, tags)?,
            Resource::ScheduledAction(r) => {
                let name = stack.physical_name(&entry.id, 255);
                self.scheduled_action(r, name)?
            }
        })
    }

    fn vpc(&mut self, r: &Vpc, tags: Option<Expression>) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("cidr_block", self.expr(&r.cidr_block, "cidr_block")?)
            .set("enable_dns_hostnames", r.enable_dns_hostnames)
            .set("enable_dns_support", r.enable_dns_support)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn subnet(&mut self, r: &Subnet, tags: Option<Expression>) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("vpc_id", self.expr(&r.vpc_id, "vpc_id")?)
            .set("cidr_block", self.expr(&r.cidr_block, "cidr_block")?)
            .set("availability_zone", self.expr(&r.availability_zone, "availability_zone")?)
            .set("map_public_ip_on_launch", r.map_public_ip_on_launch)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn internet_gateway(_: &InternetGateway, tags: Option<Expression>) -> Args {
        let mut a = Args::default();
        a.set_opt("tags", tags);
        a
    }

    fn attachment(&mut self, r: &VpcGatewayAttachment) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("internet_gateway_id", self.expr(&r.internet_gateway_id, "internet_gateway_id")?)
            .set("vpc_id", self.expr(&r.vpc_id, "vpc_id")?);
        Ok(a)
    }

    fn route_table(&mut self, r: &RouteTable, tags: Option<Expression>) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("vpc_id", self.expr(&r.vpc_id, "vpc_id")?).set_opt("tags", tags);
        Ok(a)
    }

    fn route(&mut self, r: &Route) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("route_table_id", self.expr(&r.route_table_id, "route_table_id")?)
            .set("destination_cidr_block", self.expr(&r.destination_cidr_block, "destination_cidr_block")?);
        match &r.target {
            RouteTarget::InternetGateway(v) => a.set("gateway_id", self.expr(v, "gateway_id")?),
            RouteTarget::NatGateway(v) => a.set("nat_gateway_id", self.expr(v, "nat_gateway_id")?),
        };
        Ok(a)
    }

    fn association(&mut self, r: &SubnetRouteTableAssociation) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("subnet_id", self.expr(&r.subnet_id, "subnet_id")?)
            .set("route_table_id", self.expr(&r.route_table_id, "route_table_id")?);
        Ok(a)
    }

    fn eip(_: &Eip, tags: Option<Expression>) -> Args {
        let mut a = Args::default();
        a.set("domain", "vpc").set_opt("tags", tags);
        a
    }

    fn nat_gateway(&mut self, r: &NatGateway, tags: Option<Expression>) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("allocation_id", self.expr(&r.allocation_id, "allocation_id")?)
            .set("subnet_id", self.expr(&r.subnet_id, "subnet_id")?)
            .set_opt("tags", tags);
        Ok(a)
    }

    /// An inline `ingress` or `egress` block of a security group.
    fn inline_rule(&mut self, rule: &Rule, prop: &str) -> Result<Args, RenderError> {
        let (from, to) = if rule.protocol == Protocol::All { (0, 0) } else { (rule.from_port, rule.to_port) };
        let mut a = Args::default();
        a.set("protocol", rule.protocol.as_aws()).set("from_port", from).set("to_port", to);
        match &rule.peer {
            Peer::Cidr(v) => a.set("cidr_blocks", vec![self.expr(v, prop)?]),
            Peer::CidrV6(v) => a.set("ipv6_cidr_blocks", vec![self.expr(v, prop)?]),
            Peer::Group(v) => a.set("security_groups", vec![self.expr(v, prop)?]),
        };
        a.set("description", rule.description.as_str());
        Ok(a)
    }

    fn security_group(
        &mut self,
        r: &SecurityGroup,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("description", r.description.as_str())
            .set("vpc_id", self.expr(&r.vpc_id, "vpc_id")?);
        // No inline ingress at all when the model has none: rules come from separate
        // `aws_vpc_security_group_ingress_rule` resources, which an inline list would fight.
        for rule in &r.ingress {
            let block = self.inline_rule(rule, "ingress")?;
            a.nested("ingress", block);
        }
        if r.egress.is_empty() {
            // Attribute form: no egress at all (not AWS's allow-all default).
            a.set("egress", Expression::Array(Vec::new()));
        }
        for rule in &r.egress {
            let block = self.inline_rule(rule, "egress")?;
            a.nested("egress", block);
        }
        a.set_opt("tags", tags);
        Ok(a)
    }

    fn ingress_rule(&mut self, r: &SecurityGroupIngress) -> Result<Args, RenderError> {
        let rule = &r.rule;
        let mut a = Args::default();
        a.set("security_group_id", self.expr(&r.group_id, "security_group_id")?)
            .set("ip_protocol", rule.protocol.as_aws());
        if rule.protocol != Protocol::All {
            a.set("from_port", rule.from_port).set("to_port", rule.to_port);
        }
        match &rule.peer {
            Peer::Group(v) => a.set("referenced_security_group_id", self.expr(v, "referenced_security_group_id")?),
            Peer::Cidr(v) => a.set("cidr_ipv4", self.expr(v, "cidr_ipv4")?),
            Peer::CidrV6(v) => a.set("cidr_ipv6", self.expr(v, "cidr_ipv6")?),
        };
        a.set("description", rule.description.as_str());
        Ok(a)
    }

    fn statement(&mut self, s: &Statement) -> Result<Expression, RenderError> {
        let actions: Vec<Expression> = s.actions.iter().map(|x| Expression::from(x.as_str())).collect();
        Ok(object([
            ("Effect", Expression::from(if s.allow { "Allow" } else { "Deny" })),
            ("Action", Expression::Array(actions)),
            ("Resource", self.exprs(&s.resources, "policy")?),
        ]))
    }

    fn role(
        &mut self,
        r: &Role,
        name: Option<String>,
        tags: Option<Expression>,
        extra: &mut Vec<(String, String, Args)>,
    ) -> Result<Args, RenderError> {
        let principals: Vec<Expression> = r.assumed_by.iter().map(|p| Expression::from(p.as_str())).collect();
        let assume = object([
            ("Version", Expression::from("2012-10-17")),
            (
                "Statement",
                Expression::Array(vec![object([
                    ("Effect", Expression::from("Allow")),
                    ("Principal", object([("Service", Expression::Array(principals))])),
                    ("Action", Expression::from("sts:AssumeRole")),
                ])]),
            ),
        ]);
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("description", r.description.as_str())
            .set("assume_role_policy", func("jsonencode", [assume]))
            .set_opt("tags", tags);

        let label = self.label.clone();
        for (i, arn) in r.managed_policy_arns.iter().enumerate() {
            let mut att = Args::default();
            att.set("role", traversal("aws_iam_role", &[&label, "name"]))
                .set("policy_arn", self.expr(arn, "managed_policy_arns")?);
            extra.push(("aws_iam_role_policy_attachment".into(), format!("{label}_{}", i + 1), att));
        }
        for policy in &r.policies {
            let statements = policy.statements.iter().map(|s| self.statement(s)).collect::<Result<Vec<_>, _>>()?;
            let document =
                object([("Version", Expression::from("2012-10-17")), ("Statement", Expression::Array(statements))]);
            let mut p = Args::default();
            p.set("name", policy.name.as_str())
                .set("role", traversal("aws_iam_role", &[&label, "id"]))
                .set("policy", func("jsonencode", [document]));
            let suffix: String = policy
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                .collect();
            extra.push(("aws_iam_role_policy".into(), format!("{label}_{suffix}"), p));
        }
        Ok(a)
    }

    fn instance_profile(
        &mut self,
        r: &InstanceProfile,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from)).set("role", self.expr(&r.role, "role")?).set_opt("tags", tags);
        Ok(a)
    }

    /// `base64encode(join("", [text, value, text...]))` of a host's user data.
    fn user_data(&mut self, host: &HostConfig) -> Result<Expression, RenderError> {
        let text = self.user_data_text(host, userdata::Cloud::Aws)?;
        Ok(func("base64encode", [text]))
    }

    /// The user data as text: one string, or `join("", [...])` around deploy-time values.
    fn user_data_text(&mut self, host: &HostConfig, cloud: userdata::Cloud) -> Result<Expression, RenderError> {
        let mut parts = Vec::new();
        for segment in userdata::segments_for(self.stack, host, cloud)? {
            parts.push(match segment {
                Segment::Text(text) => Expression::String(text),
                Segment::Value(v) => self.expr(&v, "user_data")?,
            });
        }
        Ok(if parts.len() == 1 && matches!(parts[0], Expression::String(_)) {
            parts.pop().unwrap_or(Expression::Null)
        } else {
            join(parts)
        })
    }

    fn metadata_options() -> Args {
        let mut a = Args::default();
        a.set("http_endpoint", "enabled").set("http_tokens", "required").set("http_put_response_hop_limit", 2);
        a
    }

    fn launch_template(
        &mut self,
        r: &LaunchTemplate,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let m: &MachineSpec = &r.machine;
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("image_id", self.expr(&m.image_id, "image_id")?)
            .set("instance_type", self.expr(&m.instance_type, "instance_type")?)
            .set("vpc_security_group_ids", self.exprs(&m.security_group_ids, "vpc_security_group_ids")?)
            .set_opt("key_name", self.opt_expr(m.key_name.as_ref(), "key_name")?)
            .set("ebs_optimized", true);
        if let Some(profile) = &m.instance_profile {
            let mut p = Args::default();
            p.set("name", self.expr(profile, "iam_instance_profile")?);
            a.nested("iam_instance_profile", p);
        }
        if let Some(v) = &m.root_volume {
            let mut ebs = Args::default();
            ebs.set("volume_size", v.size_gib)
                .set("volume_type", v.volume_type.as_str())
                .set("encrypted", v.encrypted)
                .set("delete_on_termination", true);
            let mut bdm = Args::default();
            bdm.set("device_name", v.device_name.as_str()).nested("ebs", ebs);
            a.nested("block_device_mappings", bdm);
        }
        a.nested("metadata_options", Self::metadata_options());
        let mut monitoring = Args::default();
        monitoring.set("enabled", m.detailed_monitoring);
        a.nested("monitoring", monitoring);
        if let Some(host) = &m.user_data {
            a.set("user_data", self.user_data(host)?);
        }
        if let Some(tags) = &tags {
            for kind in ["instance", "volume"] {
                let mut spec = Args::default();
                spec.set("resource_type", kind).set("tags", tags.clone());
                a.nested("tag_specifications", spec);
            }
        }
        a.set_opt("tags", tags);
        Ok(a)
    }

    fn instance(&mut self, r: &Instance, tags: Option<Expression>) -> Result<Args, RenderError> {
        let m = &r.machine;
        let mut a = Args::default();
        a.set("ami", self.expr(&m.image_id, "ami")?)
            .set("instance_type", self.expr(&m.instance_type, "instance_type")?)
            .set("subnet_id", self.expr(&r.subnet_id, "subnet_id")?)
            .set("vpc_security_group_ids", self.exprs(&m.security_group_ids, "vpc_security_group_ids")?)
            .set_opt("iam_instance_profile", self.opt_expr(m.instance_profile.as_ref(), "iam_instance_profile")?)
            .set_opt("key_name", self.opt_expr(m.key_name.as_ref(), "key_name")?)
            .set("monitoring", m.detailed_monitoring)
            .set("ebs_optimized", true);
        if let Some(v) = &m.root_volume {
            let mut root = Args::default();
            root.set("volume_size", v.size_gib)
                .set("volume_type", v.volume_type.as_str())
                .set("encrypted", v.encrypted);
            a.nested("root_block_device", root);
        }
        a.nested("metadata_options", Self::metadata_options());
        if let Some(host) = &m.user_data {
            a.set("user_data_base64", self.user_data(host)?);
        }
        a.set_opt("tags", tags);
        Ok(a)
    }

    fn auto_scaling_group(
        &mut self,
        r: &AutoScalingGroup,
        name: Option<String>,
        tags: &[(String, String)],
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("min_size", r.min_size)
            .set("max_size", r.max_size)
            .set("desired_capacity", r.desired_capacity)
            .set("vpc_zone_identifier", self.exprs(&r.subnet_ids, "vpc_zone_identifier")?);
        if !r.target_group_arns.is_empty() {
            a.set("target_group_arns", self.exprs(&r.target_group_arns, "target_group_arns")?);
        }
        a.set(
            "health_check_type",
            match r.health_check_type {
                HealthCheckType::Elb => "ELB",
                HealthCheckType::Ec2 => "EC2",
            },
        )
        .set("health_check_grace_period", r.health_check_grace_period);
        let mut lt = Args::default();
        lt.set("id", self.expr(&r.launch_template_id, "launch_template.id")?)
            .set("version", self.expr(&r.launch_template_version, "launch_template.version")?);
        a.nested("launch_template", lt);
        for (key, value) in tags {
            let mut tag = Args::default();
            tag.set("key", key.as_str()).set("value", value.as_str()).set("propagate_at_launch", true);
            a.nested("tag", tag);
        }
        Ok(a)
    }

    fn scaling_policy(&mut self, r: &ScalingPolicy, name: String) -> Result<Args, RenderError> {
        if !r.target_value.is_finite() {
            return Err(self.unsupported("target_value", "the target value is not a finite number"));
        }
        let mut metric = Args::default();
        metric.set(
            "predefined_metric_type",
            match r.metric {
                TrackedMetric::AverageCpu => "ASGAverageCPUUtilization",
                TrackedMetric::AverageNetworkIn => "ASGAverageNetworkIn",
            },
        );
        let mut tracking = Args::default();
        tracking.nested("predefined_metric_specification", metric).set("target_value", r.target_value);
        let mut a = Args::default();
        a.set("name", name)
            .set("autoscaling_group_name", self.expr(&r.auto_scaling_group_name, "autoscaling_group_name")?)
            .set("policy_type", "TargetTrackingScaling")
            .nested("target_tracking_configuration", tracking);
        Ok(a)
    }

    fn load_balancer(
        &mut self,
        r: &LoadBalancer,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("load_balancer_type", "application")
            .set("internal", r.scheme == Scheme::Internal)
            .set("subnets", self.exprs(&r.subnet_ids, "subnets")?)
            .set("security_groups", self.exprs(&r.security_group_ids, "security_groups")?)
            .set("enable_deletion_protection", r.deletion_protection)
            .set("drop_invalid_header_fields", r.drop_invalid_header_fields)
            .set("idle_timeout", r.idle_timeout_seconds)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn target_group(
        &mut self,
        r: &TargetGroup,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let h = &r.health_check;
        let mut hc = Args::default();
        hc.set("enabled", true)
            .set("path", h.path.as_str())
            .set("port", h.port.map_or_else(|| "traffic-port".to_owned(), |p| p.to_string()))
            .set("protocol", h.protocol.as_aws())
            .set("matcher", h.matcher.as_str())
            .set("interval", h.interval_seconds)
            .set("timeout", h.timeout_seconds)
            .set("healthy_threshold", h.healthy_threshold)
            .set("unhealthy_threshold", h.unhealthy_threshold);
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("port", r.port)
            .set("protocol", r.protocol.as_aws())
            .set("vpc_id", self.expr(&r.vpc_id, "vpc_id")?)
            .set("target_type", r.target_type.as_aws())
            .set("deregistration_delay", r.deregistration_delay_seconds)
            .nested("health_check", hc)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn listener(&mut self, r: &Listener, extra: &mut Vec<(String, String, Args)>) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("load_balancer_arn", self.expr(&r.load_balancer_arn, "load_balancer_arn")?)
            .set("port", r.port)
            .set("protocol", r.protocol.as_aws())
            .set_opt("ssl_policy", r.ssl_policy.as_deref().map(Expression::from));
        if let Some(first) = r.certificate_arns.first() {
            a.set("certificate_arn", self.expr(first, "certificate_arn")?);
        }
        let mut action = Args::default();
        match &r.default_action {
            ListenerAction::Forward(tg) => {
                action
                    .set("type", "forward")
                    .set("target_group_arn", self.expr(tg, "default_action.target_group_arn")?);
            }
            ListenerAction::RedirectToHttps { port } => {
                let mut redirect = Args::default();
                redirect
                    .set("port", port.to_string())
                    .set("protocol", AppProtocol::Https.as_aws())
                    .set("status_code", "HTTP_301");
                action.set("type", "redirect").nested("redirect", redirect);
            }
        }
        a.nested("default_action", action);
        let label = self.label.clone();
        for (i, cert) in r.certificate_arns.iter().enumerate().skip(1) {
            let mut c = Args::default();
            c.set("listener_arn", traversal("aws_lb_listener", &[&label, "arn"]))
                .set("certificate_arn", self.expr(cert, "certificate_arn")?);
            extra.push(("aws_lb_listener_certificate".into(), format!("{label}_{i}"), c));
        }
        Ok(a)
    }

    /// A DB or cache subnet group: the same arguments in both providers' resources (the names
    /// are lower-cased by AWS, so they are written that way).
    fn subnet_group(
        &mut self,
        description: &str,
        subnet_ids: &[Value<String>],
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(|n| Expression::from(n.to_lowercase())))
            .set("description", description)
            .set("subnet_ids", self.exprs(subnet_ids, "subnet_ids")?)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn db_subnet_group(
        &mut self,
        r: &DbSubnetGroup,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        self.subnet_group(&r.description, &r.subnet_ids, name, tags)
    }

    /// A DB or cache parameter group: the same arguments in both resources; parameters named in
    /// `static_parameters` only apply after a reboot, which Terraform must be told.
    fn parameter_group(
        family: &str,
        description: &str,
        parameters: &IndexMap<String, String>,
        static_parameters: &[&str],
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Args {
        let mut a = Args::default();
        a.set_opt("name", name.map(|n| Expression::from(n.to_lowercase())))
            .set("family", family)
            .set("description", description);
        for (key, value) in parameters {
            let mut p = Args::default();
            p.set("name", key.as_str()).set("value", value.as_str());
            if static_parameters.contains(&key.as_str()) {
                p.set("apply_method", "pending-reboot");
            }
            a.nested("parameter", p);
        }
        a.set_opt("tags", tags);
        a
    }

    fn db_parameter_group(r: &DbParameterGroup, name: Option<String>, tags: Option<Expression>) -> Args {
        Self::parameter_group(&r.family, &r.description, &r.parameters, STATIC_DB_PARAMETERS, name, tags)
    }

    fn db_instance(
        &mut self,
        r: &DbInstance,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let Some(identifier) = name else {
            return Err(self.unsupported("identifier", "the instance has no physical name"));
        };
        if let Some(source) = &r.source_db_instance {
            return self.db_replica(r, source, &identifier, tags);
        }
        let mut a = Args::default();
        a.set("identifier", identifier.as_str())
            .set("engine", r.engine.as_aws())
            .set("engine_version", r.engine_version.as_str())
            .set("instance_class", self.expr(&r.instance_class, "instance_class")?)
            .set("allocated_storage", r.allocated_storage_gib)
            .set_opt("max_allocated_storage", r.max_allocated_storage_gib.map(Expression::from))
            .set("storage_type", r.storage_type.as_str())
            .set("storage_encrypted", r.storage_encrypted)
            .set("multi_az", r.multi_az)
            .set("publicly_accessible", r.publicly_accessible)
            .set("backup_retention_period", r.backup_retention_days)
            .set("deletion_protection", r.deletion_protection)
            .set_opt("db_name", r.db_name.as_deref().map(Expression::from))
            .set("username", r.master_username.as_str());
        match &r.master_password {
            MasterPassword::ManagedByRds => a.set("manage_master_user_password", true),
            MasterPassword::Secret(s) => a.set("password", self.secret(s, "password")?),
        };
        a.set("port", r.port.unwrap_or_else(|| r.engine.default_port()))
            .set("vpc_security_group_ids", self.exprs(&r.security_group_ids, "vpc_security_group_ids")?)
            .set("db_subnet_group_name", self.expr(&r.subnet_group_name, "db_subnet_group_name")?)
            .set_opt("parameter_group_name", self.opt_expr(r.parameter_group_name.as_ref(), "parameter_group_name")?)
            .set("iam_database_authentication_enabled", r.iam_authentication)
            .set("performance_insights_enabled", r.performance_insights);
        if let Some((interval, role)) = &r.monitoring {
            a.set("monitoring_interval", *interval).set("monitoring_role_arn", self.expr(role, "monitoring_role_arn")?);
        }
        let logs: Vec<Expression> = r.log_exports.iter().map(|l| Expression::from(l.as_str())).collect();
        a.set("enabled_cloudwatch_logs_exports", Expression::Array(logs))
            .set("auto_minor_version_upgrade", r.auto_minor_version_upgrade)
            .set("copy_tags_to_snapshot", r.copy_tags_to_snapshot)
            .set("skip_final_snapshot", false)
            .set("final_snapshot_identifier", format!("{identifier}-final"))
            .set_opt("tags", tags);
        Ok(a)
    }

    /// A read replica: `replicate_source_db`, without what it inherits (user, password,
    /// database name, storage size); RDS takes no final snapshot of a replica.
    fn db_replica(
        &mut self,
        r: &DbInstance,
        source: &Value<String>,
        identifier: &str,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("identifier", identifier)
            .set("replicate_source_db", self.expr(source, "replicate_source_db")?)
            .set("engine", r.engine.as_aws())
            .set("engine_version", r.engine_version.as_str())
            .set("instance_class", self.expr(&r.instance_class, "instance_class")?)
            .set("storage_type", r.storage_type.as_str())
            .set("storage_encrypted", r.storage_encrypted)
            .set("multi_az", r.multi_az)
            .set("publicly_accessible", r.publicly_accessible)
            .set("deletion_protection", r.deletion_protection);
        if r.backup_retention_days > 0 {
            a.set("backup_retention_period", r.backup_retention_days);
        }
        a.set("port", r.port.unwrap_or_else(|| r.engine.default_port()))
            .set("vpc_security_group_ids", self.exprs(&r.security_group_ids, "vpc_security_group_ids")?)
            .set("db_subnet_group_name", self.expr(&r.subnet_group_name, "db_subnet_group_name")?)
            .set_opt("parameter_group_name", self.opt_expr(r.parameter_group_name.as_ref(), "parameter_group_name")?)
            .set("iam_database_authentication_enabled", r.iam_authentication)
            .set("performance_insights_enabled", r.performance_insights);
        if let Some((interval, role)) = &r.monitoring {
            a.set("monitoring_interval", *interval).set("monitoring_role_arn", self.expr(role, "monitoring_role_arn")?);
        }
        let logs: Vec<Expression> = r.log_exports.iter().map(|l| Expression::from(l.as_str())).collect();
        a.set("enabled_cloudwatch_logs_exports", Expression::Array(logs))
            .set("auto_minor_version_upgrade", r.auto_minor_version_upgrade)
            .set("copy_tags_to_snapshot", r.copy_tags_to_snapshot)
            .set("skip_final_snapshot", true)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn cache_subnet_group(
        &mut self,
        r: &CacheSubnetGroup,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        self.subnet_group(&r.description, &r.subnet_ids, name, tags)
    }

    fn cache_parameter_group(r: &CacheParameterGroup, name: Option<String>, tags: Option<Expression>) -> Args {
        Self::parameter_group(&r.family, &r.description, &r.parameters, &[], name, tags)
    }

    fn cache_replication_group(
        &mut self,
        r: &CacheReplicationGroup,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let Some(id) = name else {
            return Err(self.unsupported("replication_group_id", "the replication group has no physical name"));
        };
        let mut a = Args::default();
        a.set("replication_group_id", id.as_str())
            .set("description", r.description.as_str())
            .set("engine", "redis")
            .set("engine_version", r.engine_version.as_str())
            .set("node_type", self.expr(&r.node_type, "node_type")?)
            .set("num_cache_clusters", r.num_cache_clusters)
            .set("port", r.port())
            .set("automatic_failover_enabled", r.automatic_failover)
            .set("multi_az_enabled", r.multi_az)
            .set("at_rest_encryption_enabled", r.at_rest_encryption)
            .set("transit_encryption_enabled", r.transit_encryption);
        if r.transit_encryption {
            a.set("transit_encryption_mode", "required");
        }
        if let Some(token) = &r.auth_token {
            a.set("auth_token", self.secret(token, "auth_token")?);
        }
        a.set("security_group_ids", self.exprs(&r.security_group_ids, "security_group_ids")?)
            .set("subnet_group_name", self.expr(&r.subnet_group_name, "subnet_group_name")?)
            .set_opt("parameter_group_name", self.opt_expr(r.parameter_group_name.as_ref(), "parameter_group_name")?)
            .set("snapshot_retention_limit", r.snapshot_retention_days)
            .set_opt("snapshot_window", r.snapshot_window.as_deref().map(Expression::from))
            .set_opt("maintenance_window", r.maintenance_window.as_deref().map(Expression::from))
            .set("auto_minor_version_upgrade", r.auto_minor_version_upgrade)
            .set("final_snapshot_identifier", format!("{id}-final"))
            .set_opt("tags", tags);
        Ok(a)
    }

    /// The bucket, and its encryption, public access block, ownership, versioning and
    /// lifecycle as the separate resources provider v4+ wants (same label, other types).
    fn bucket(
        &mut self,
        r: &Bucket,
        name: Option<String>,
        tags: Option<Expression>,
        extra: &mut Vec<(String, String, Args)>,
    ) -> Result<Args, RenderError> {
        let label = self.label.clone();
        let mut a = Args::default();
        if let Some(n) = name {
            a.set("bucket", n);
        } else {
            let prefix = iac_core::naming::fit(&self.stack.physical_name(&self.resource_id()?, 255), 36);
            a.set("bucket_prefix", format!("{prefix}-"));
        }
        a.set_opt("tags", tags);
        let bucket_id = || traversal("aws_s3_bucket", &[&label, "id"]);

        let mut by_default = Args::default();
        match &r.encryption {
            BucketEncryption::S3Managed => {
                by_default.set("sse_algorithm", "AES256");
            }
            BucketEncryption::Kms { key_id } => {
                by_default.set("sse_algorithm", "aws:kms");
                by_default.set_opt("kms_master_key_id", self.opt_expr(key_id.as_ref(), "kms_master_key_id")?);
            }
        }
        let mut rule = Args::default();
        rule.nested("apply_server_side_encryption_by_default", by_default)
            .set("bucket_key_enabled", matches!(r.encryption, BucketEncryption::Kms { .. }));
        let mut sse = Args::default();
        sse.set("bucket", bucket_id()).nested("rule", rule);
        extra.push(("aws_s3_bucket_server_side_encryption_configuration".into(), label.clone(), sse));

        let block = r.block_public_access;
        let mut pab = Args::default();
        pab.set("bucket", bucket_id())
            .set("block_public_acls", block)
            .set("block_public_policy", block)
            .set("ignore_public_acls", block)
            .set("restrict_public_buckets", block);
        extra.push(("aws_s3_bucket_public_access_block".into(), label.clone(), pab));

        let mut own_rule = Args::default();
        own_rule.set("object_ownership", r.object_ownership.as_aws());
        let mut own = Args::default();
        own.set("bucket", bucket_id()).nested("rule", own_rule);
        extra.push(("aws_s3_bucket_ownership_controls".into(), label.clone(), own));

        let mut status = Args::default();
        status.set("status", if r.versioning { "Enabled" } else { "Suspended" });
        let mut versioning = Args::default();
        versioning.set("bucket", bucket_id()).nested("versioning_configuration", status);
        extra.push(("aws_s3_bucket_versioning".into(), label.clone(), versioning));

        if !r.lifecycle_rules.is_empty() {
            let mut lc = Args::default();
            lc.set("bucket", bucket_id());
            for rule in &r.lifecycle_rules {
                let mut filter = Args::default();
                filter.set("prefix", rule.prefix.as_str());
                let mut b = Args::default();
                b.set("id", rule.id.as_str()).set("status", "Enabled").nested("filter", filter);
                if let Some(d) = rule.expiration_days {
                    let mut e = Args::default();
                    e.set("days", d);
                    b.nested("expiration", e);
                }
                if let Some(d) = rule.noncurrent_expiration_days {
                    let mut e = Args::default();
                    e.set("noncurrent_days", d);
                    b.nested("noncurrent_version_expiration", e);
                }
                if let Some(d) = rule.abort_incomplete_upload_days {
                    let mut e = Args::default();
                    e.set("days_after_initiation", d);
                    b.nested("abort_incomplete_multipart_upload", e);
                }
                lc.nested("rule", b);
            }
            // Versioning first: S3 applies noncurrent-version rules only once it is on.
            lc.set("depends_on", Expression::Array(vec![traversal("aws_s3_bucket_versioning", &[&label])]));
            extra.push(("aws_s3_bucket_lifecycle_configuration".into(), label.clone(), lc));
        }
        Ok(a)
    }

    /// The logical id being rendered.
    fn resource_id(&self) -> Result<iac_core::LogicalId, RenderError> {
        iac_core::LogicalId::new(self.resource.as_str()).map_err(|e| self.unsupported("id", e.to_string()))
    }

    fn bucket_policy(&mut self, r: &BucketPolicy) -> Result<Args, RenderError> {
        let mut statements = Vec::new();
        for st in &r.statements {
            let principal = match &st.principal {
                Principal::Any => Expression::from("*"),
                Principal::Service(s) => object([("Service", Expression::from(s.as_str()))]),
                Principal::Aws(v) => object([("AWS", self.expr(v, "policy")?)]),
            };
            let actions: Vec<Expression> = st.actions.iter().map(|x| Expression::from(x.as_str())).collect();
            let mut pairs = vec![
                ("Sid", Expression::from(st.sid.as_str())),
                ("Effect", Expression::from(if st.allow { "Allow" } else { "Deny" })),
                ("Principal", principal),
                ("Action", Expression::Array(actions)),
                ("Resource", self.exprs(&st.resources, "policy")?),
            ];
            if !st.conditions.is_empty() {
                let mut ops: IndexMap<String, Vec<(String, Expression)>> = IndexMap::new();
                for c in &st.conditions {
                    let value = match c.values.as_slice() {
                        [one] => self.expr(one, "policy")?,
                        many => self.exprs(many, "policy")?,
                    };
                    ops.entry(c.operator.clone()).or_default().push((c.key.clone(), value));
                }
                let cond = object(
                    ops.iter().map(|(op, kvs)| (op.as_str(), object(kvs.iter().map(|(k, v)| (k.as_str(), v.clone()))))),
                );
                pairs.push(("Condition", cond));
            }
            statements.push(object(pairs));
        }
        let document =
            object([("Version", Expression::from("2012-10-17")), ("Statement", Expression::Array(statements))]);
        let mut a = Args::default();
        a.set("bucket", self.expr(&r.bucket, "bucket")?).set("policy", func("jsonencode", [document]));
        Ok(a)
    }

    fn origin_access_control(r: &OriginAccessControl, name: Option<String>) -> Args {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("description", r.description.as_str())
            .set("origin_access_control_origin_type", "s3")
            .set("signing_behavior", "always")
            .set("signing_protocol", "sigv4");
        a
    }

    fn distribution(&mut self, r: &Distribution, tags: Option<Expression>) -> Result<Args, RenderError> {
        let origin_id = "s3-origin";
        let mut a = Args::default();
        a.set("enabled", true)
            .set("comment", r.comment.as_str())
            .set_opt("default_root_object", r.default_root_object.as_deref().map(Expression::from));
        if !r.aliases.is_empty() {
            let aliases: Vec<Expression> = r.aliases.iter().map(|x| Expression::from(x.as_str())).collect();
            a.set("aliases", Expression::Array(aliases));
        }
        a.set("price_class", r.price_class.as_aws())
            .set("http_version", r.http_version.as_str())
            .set("is_ipv6_enabled", r.ipv6);
        let mut origin = Args::default();
        origin
            .set("origin_id", origin_id)
            .set("domain_name", self.expr(&r.origin_domain_name, "origin.domain_name")?)
            .set(
                "origin_access_control_id",
                self.expr(&r.origin_access_control_id, "origin.origin_access_control_id")?,
            );
        a.nested("origin", origin);
        let methods = || Expression::Array(vec![Expression::from("GET"), Expression::from("HEAD")]);
        let mut behavior = Args::default();
        behavior
            .set("target_origin_id", origin_id)
            .set("viewer_protocol_policy", "redirect-to-https")
            .set("allowed_methods", methods())
            .set("cached_methods", methods())
            .set("cache_policy_id", r.cache_policy_id.as_str())
            .set_opt("response_headers_policy_id", r.response_headers_policy_id.as_deref().map(Expression::from))
            .set("compress", true);
        a.nested("default_cache_behavior", behavior);
        let mut geo = Args::default();
        geo.set("restriction_type", "none").set("locations", Expression::Array(Vec::new()));
        let mut restrictions = Args::default();
        restrictions.nested("geo_restriction", geo);
        a.nested("restrictions", restrictions);
        let mut cert = Args::default();
        match &r.certificate {
            ViewerCertificate::CloudFrontDefault => {
                cert.set("cloudfront_default_certificate", true);
            }
            ViewerCertificate::Acm { certificate_arn, minimum_protocol_version } => {
                cert.set("acm_certificate_arn", self.expr(certificate_arn, "viewer_certificate.acm_certificate_arn")?)
                    .set("ssl_support_method", "sni-only")
                    .set("minimum_protocol_version", minimum_protocol_version.as_str());
            }
        }
        a.nested("viewer_certificate", cert);
        a.set_opt("tags", tags);
        Ok(a)
    }

    fn scheduled_action(&mut self, r: &ScheduledAction, name: String) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("scheduled_action_name", name)
            .set("autoscaling_group_name", self.expr(&r.auto_scaling_group_name, "autoscaling_group_name")?)
            .set("recurrence", r.recurrence.as_str())
            .set_opt("time_zone", r.time_zone.as_deref().map(Expression::from))
            .set_opt("min_size", r.min_size.map(Expression::from))
            .set_opt("max_size", r.max_size.map(Expression::from))
            .set_opt("desired_capacity", r.desired_capacity.map(Expression::from));
        Ok(a)
    }

    fn record_set(&mut self, r: &RecordSet) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("zone_id", self.expr(&r.hosted_zone_id, "zone_id")?)
            .set("name", self.expr(&r.name, "name")?)
            .set("type", r.record_type.as_aws());
        match &r.target {
            RecordTarget::Alias { dns_name, hosted_zone_id, evaluate_target_health } => {
                let mut alias = Args::default();
                alias
                    .set("name", self.expr(dns_name, "alias.name")?)
                    .set("zone_id", self.expr(hosted_zone_id, "alias.zone_id")?)
                    .set("evaluate_target_health", *evaluate_target_health);
                a.nested("alias", alias);
            }
            RecordTarget::Values { ttl, values } => {
                a.set("ttl", *ttl).set("records", self.exprs(values, "records")?);
            }
        }
        Ok(a)
    }

    fn raw(&self, r: &RawResource) -> Result<Args, RenderError> {
        let Some((ty, args)) = &r.terraform else {
            return Err(self.unsupported(
                "terraform",
                "this raw resource has no Terraform form; set `RawResource::terraform` to its type and arguments",
            ));
        };
        if Identifier::new(ty.as_str()).is_err() {
            return Err(self.unsupported("terraform", format!("`{ty}` is not a valid Terraform resource type")));
        }
        let serde_json::Value::Object(map) = args else {
            return Err(self.unsupported("terraform", "the Terraform arguments must be a JSON object"));
        };
        let mut a = Args::default();
        for (key, value) in map {
            if Identifier::new(key.as_str()).is_err() {
                return Err(self.unsupported(key, "not a valid Terraform argument name"));
            }
            a.set(key, json_expr(value));
        }
        Ok(a)
    }

    // ----- ECS, EFS, logs, schedules -----

    /// An ECS container definition tree as an HCL object (for `jsonencode`).
    fn node(&mut self, n: &Node, prop: &str) -> Result<Expression, RenderError> {
        Ok(match n {
            Node::Lit(v) => json_expr(v),
            Node::Value(v) => self.expr(v, prop)?,
            Node::Obj(pairs) => {
                let mut out = Vec::new();
                for (k, v) in pairs {
                    out.push((*k, self.node(v, prop)?));
                }
                object(out)
            }
            Node::Map(pairs) => {
                let mut out = Vec::new();
                for (k, v) in pairs {
                    out.push((k.as_str(), self.node(v, prop)?));
                }
                object(out)
            }
            Node::List(items) => Expression::Array(items.iter().map(|i| self.node(i, prop)).collect::<Result<_, _>>()?),
        })
    }

    fn ecs_cluster(r: &EcsCluster, name: Option<String>, tags: Option<Expression>) -> Args {
        let mut setting = Args::default();
        setting
            .set("name", "containerInsights")
            .set("value", if r.container_insights { "enabled" } else { "disabled" });
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from)).nested("setting", setting).set_opt("tags", tags);
        a
    }

    fn task_definition(
        &mut self,
        r: &TaskDefinition,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut containers = Vec::new();
        for c in &r.containers {
            let def = ecs::container_definition(c, r.logs.as_ref()).map_err(|p| {
                self.unsupported(&format!("container_definitions.{}.{}", c.name, p.property), p.message)
            })?;
            containers.push(self.node(&def, "container_definitions")?);
        }
        let mut platform = Args::default();
        platform.set("operating_system_family", "LINUX").set("cpu_architecture", r.cpu_architecture.as_aws());
        let mut a = Args::default();
        a.set_opt("family", name.map(Expression::from))
            .set("cpu", r.cpu.to_string())
            .set("memory", r.memory_mib.to_string())
            .set("network_mode", "awsvpc")
            .set("requires_compatibilities", Expression::Array(vec![Expression::from("FARGATE")]))
            .set("execution_role_arn", self.expr(&r.execution_role_arn, "execution_role_arn")?)
            .set("task_role_arn", self.expr(&r.task_role_arn, "task_role_arn")?)
            .set("container_definitions", func("jsonencode", [Expression::Array(containers)]))
            .nested("runtime_platform", platform);
        for v in &r.volumes {
            let mut auth = Args::default();
            auth.set("access_point_id", self.expr(&v.access_point_id, "volume.access_point_id")?).set("iam", "ENABLED");
            let mut efs = Args::default();
            efs.set("file_system_id", self.expr(&v.file_system_id, "volume.file_system_id")?)
                .set("transit_encryption", "ENABLED")
                .nested("authorization_config", auth);
            let mut vol = Args::default();
            vol.set("name", v.name.as_str()).nested("efs_volume_configuration", efs);
            a.nested("volume", vol);
        }
        a.set_opt("tags", tags);
        Ok(a)
    }

    fn network_configuration(&mut self, n: &TaskNetwork, prop: &str) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("subnets", self.exprs(&n.subnet_ids, prop)?)
            .set("security_groups", self.exprs(&n.security_group_ids, prop)?)
            .set("assign_public_ip", n.assign_public_ip);
        Ok(a)
    }

    fn ecs_service(
        &mut self,
        r: &EcsService,
        name: Option<String>,
        tags: Option<Expression>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("cluster", self.expr(&r.cluster, "cluster")?)
            .set("task_definition", self.expr(&r.task_definition, "task_definition")?)
            .set("desired_count", r.desired_count)
            .set("launch_type", "FARGATE")
            .set("platform_version", "LATEST")
            .set("scheduling_strategy", "REPLICA")
            .nested("network_configuration", self.network_configuration(&r.network, "network_configuration")?);
        if let Some(lb) = &r.load_balancer {
            let mut l = Args::default();
            l.set("target_group_arn", self.expr(&lb.target_group_arn, "load_balancer.target_group_arn")?)
                .set("container_name", lb.container_name.as_str())
                .set("container_port", lb.container_port);
            a.nested("load_balancer", l).set("health_check_grace_period_seconds", r.health_check_grace_period_seconds);
        }
        let mut breaker = Args::default();
        breaker.set("enable", r.circuit_breaker_rollback).set("rollback", r.circuit_breaker_rollback);
        a.set("deployment_minimum_healthy_percent", r.minimum_healthy_percent)
            .set("deployment_maximum_percent", r.maximum_percent)
            .nested("deployment_circuit_breaker", breaker)
            .set("propagate_tags", "SERVICE")
            .set("enable_ecs_managed_tags", true)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn log_group(&mut self, r: &LogGroup, name: Option<String>, tags: Option<Expression>) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("retention_in_days", r.retention_days)
            .set_opt("kms_key_id", self.opt_expr(r.kms_key_arn.as_ref(), "kms_key_id")?)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn file_system(
        &mut self,
        r: &FileSystem,
        tags: Option<Expression>,
        extra: &mut Vec<(String, String, Args)>,
    ) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("encrypted", r.encrypted).set_opt("kms_key_id", self.opt_expr(r.kms_key_id.as_ref(), "kms_key_id")?);
        a.set("performance_mode", r.performance_mode.as_aws()).set("throughput_mode", "elastic");
        if let Some(days) = r.transition_to_ia_days {
            let mut ia = Args::default();
            ia.set("transition_to_ia", format!("AFTER_{days}_{}", if days == 1 { "DAY" } else { "DAYS" }));
            a.nested("lifecycle_policy", ia);
            let mut back = Args::default();
            back.set("transition_to_primary_storage_class", "AFTER_1_ACCESS");
            a.nested("lifecycle_policy", back);
        }
        a.set_opt("tags", tags);
        let label = self.label.clone();
        let mut policy = Args::default();
        policy.set("status", if r.backups { "ENABLED" } else { "DISABLED" });
        let mut backup = Args::default();
        backup.set("file_system_id", traversal("aws_efs_file_system", &[&label, "id"])).nested("backup_policy", policy);
        extra.push(("aws_efs_backup_policy".into(), label, backup));
        Ok(a)
    }

    fn mount_target(&mut self, r: &MountTarget) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("file_system_id", self.expr(&r.file_system_id, "file_system_id")?)
            .set("subnet_id", self.expr(&r.subnet_id, "subnet_id")?)
            .set("security_groups", self.exprs(&r.security_group_ids, "security_groups")?);
        Ok(a)
    }

    fn access_point(&mut self, r: &AccessPoint, tags: Option<Expression>) -> Result<Args, RenderError> {
        let mut user = Args::default();
        user.set("uid", r.posix_user.uid).set("gid", r.posix_user.gid);
        let mut info = Args::default();
        info.set("owner_uid", r.posix_user.uid)
            .set("owner_gid", r.posix_user.gid)
            .set("permissions", r.permissions.as_str());
        let mut root = Args::default();
        root.set("path", r.root_directory.as_str()).nested("creation_info", info);
        let mut a = Args::default();
        a.set("file_system_id", self.expr(&r.file_system_id, "file_system_id")?)
            .nested("posix_user", user)
            .nested("root_directory", root)
            .set_opt("tags", tags);
        Ok(a)
    }

    fn schedule(&mut self, r: &Schedule, name: Option<String>) -> Result<Args, RenderError> {
        let mut window = Args::default();
        window.set("mode", "OFF");
        let mut retry = Args::default();
        retry
            .set("maximum_retry_attempts", iac_core::model::SCHEDULE_RETRIES)
            .set("maximum_event_age_in_seconds", iac_core::model::SCHEDULE_MAX_EVENT_AGE_SECONDS);
        let mut target = Args::default();
        match &r.target {
            ScheduleTarget::RunTask(t) => {
                target
                    .set("arn", self.expr(&t.cluster_arn, "target.arn")?)
                    .set("role_arn", self.expr(&r.role_arn, "target.role_arn")?)
                    .set("input", t.input())
                    .nested("ecs_parameters", self.schedule_ecs(t)?);
            }
            ScheduleTarget::Call { target_arn, input } => {
                target
                    .set("arn", self.expr(target_arn, "target.arn")?)
                    .set("role_arn", self.expr(&r.role_arn, "target.role_arn")?)
                    .set("input", self.expr(input, "target.input")?);
            }
        }
        target.nested("retry_policy", retry);
        let mut a = Args::default();
        a.set_opt("name", name.map(Expression::from))
            .set("description", r.description.as_str())
            .set("schedule_expression", r.expression.as_str())
            .set("schedule_expression_timezone", r.timezone.as_str())
            .set("state", if r.enabled { "ENABLED" } else { "DISABLED" })
            .nested("flexible_time_window", window)
            .nested("target", target);
        Ok(a)
    }

    fn schedule_ecs(&mut self, t: &RunTask) -> Result<Args, RenderError> {
        let mut ecs = Args::default();
        ecs.set("task_definition_arn", self.expr(&t.task_definition_arn, "target.ecs_parameters.task_definition_arn")?)
            .set("launch_type", "FARGATE")
            .set("platform_version", "LATEST")
            .set("task_count", 1)
            .nested("network_configuration", self.network_configuration(&t.network, "target.ecs_parameters")?);
        Ok(ecs)
    }

    /// The stack's tags as DigitalOcean tags (`key:value`; other characters become `-`).
    fn do_tags(&self) -> Expression {
        let tags = self.stack.tags().iter().map(|(k, v)| {
            let t: String = format!("{k}:{v}")
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() || ":-_".contains(c) { c } else { '-' })
                .collect();
            Expression::from(t)
        });
        Expression::Array(tags.collect())
    }

    fn droplet(&mut self, r: &Droplet) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("name", r.name.as_str())
            .set("region", r.region.as_str())
            .set("size", r.size.as_str())
            .set("image", r.image.as_str());
        if !r.ssh_keys.is_empty() {
            a.set("ssh_keys", Expression::Array(r.ssh_keys.iter().map(|k| Expression::from(k.as_str())).collect()));
        }
        a.set("monitoring", r.monitoring).set("backups", r.backups).set("ipv6", r.ipv6);
        if let Some(host) = &r.user_data {
            // The provider takes the document as text (it keeps a hash of it in the state).
            a.set("user_data", self.user_data_text(host, userdata::Cloud::Generic)?);
        }
        a.set("tags", self.do_tags());
        Ok(a)
    }

    fn do_firewall(&mut self, r: &DoFirewall) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set("name", r.name.as_str()).set("droplet_ids", self.exprs(&r.droplet_ids, "droplet_ids")?);
        let addresses = |v: &[String]| Expression::Array(v.iter().map(|x| Expression::from(x.as_str())).collect());
        for rule in &r.inbound {
            let mut b = Args::default();
            b.set("protocol", rule.protocol.as_str())
                .set("port_range", rule.ports.as_str())
                .set("source_addresses", addresses(&rule.addresses));
            a.nested("inbound_rule", b);
        }
        for rule in &r.outbound {
            let mut b = Args::default();
            b.set("protocol", rule.protocol.as_str())
                .set("port_range", rule.ports.as_str())
                .set("destination_addresses", addresses(&rule.addresses));
            a.nested("outbound_rule", b);
        }
        // No `tags`: on a firewall they select more droplets (any with one of those tags).
        Ok(a)
    }

    // ----- variables and outputs -----

    fn variables(&mut self) -> Result<String, RenderError> {
        let mut out = header(self.stack, "input variables");
        for (id, p) in self.stack.parameters() {
            let label = id.snake_case();
            let mut a = Args::default();
            a.set("type", Variable::unchecked("string"))
                .set("description", p.description.as_str())
                .set_opt("default", p.default.as_deref().map(Expression::from));
            let check = match p.kind {
                ParamKind::String => None,
                ParamKind::ImageId => {
                    Some(("^ami-[0-9a-f]{8,17}$", "The image id must look like ami-0123456789abcdef0."))
                }
                ParamKind::CertificateArn => {
                    Some(("^arn:aws[a-z-]*:acm:", "The certificate must be an ACM certificate ARN (arn:aws:acm:...)."))
                }
            };
            if let Some((pattern, message)) = check {
                let condition = func("can", [func("regex", [Expression::from(pattern), traversal("var", &[&label])])]);
                let mut v = Args::default();
                v.set("condition", condition).set("error_message", message);
                a.nested("validation", v);
            }
            out.push('\n');
            out.push_str(&self.format(&a.into_block("variable", &[&label]))?);
        }
        Ok(out)
    }

    fn outputs(&mut self) -> Result<String, RenderError> {
        let mut out = header(self.stack, "outputs");
        for (id, o) in self.stack.outputs() {
            self.resource = id.to_string();
            self.label = format!("output_{}", id.snake_case());
            let mut a = Args::default();
            a.set("description", o.description.as_str()).set("value", self.expr(&o.value, "value")?);
            if o.value.contains_secret() {
                a.set("sensitive", true);
            }
            out.push('\n');
            out.push_str(&self.format(&a.into_block("output", &[&id.snake_case()]))?);
        }
        Ok(out)
    }
}

/// Sets, replaces or (for `null`) removes the argument at `path` inside a block body. A path
/// with more segments goes through nested blocks (each segment must name exactly one block).
/// Replacing a nested block with a JSON object writes a block with those arguments; an array of
/// objects writes one block each.
fn apply_override(body: &mut Vec<Structure>, path: &[&str], value: &serde_json::Value) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return Err("the path is empty".into());
    };
    if Identifier::new(*first).is_err() {
        return Err(format!("`{first}` is not a valid Terraform argument name"));
    }
    let is_key = |s: &Structure| match s {
        Structure::Attribute(a) => a.key.as_str() == *first,
        Structure::Block(b) => b.identifier.as_str() == *first,
    };
    if !rest.is_empty() {
        let mut blocks = body.iter_mut().filter_map(|s| match s {
            Structure::Block(b) if b.identifier.as_str() == *first => Some(b),
            _ => None,
        });
        let (Some(block), None) = (blocks.next(), blocks.next()) else {
            return Err(format!(
                "a nested path must go through exactly one `{first}` block; set the whole `{first}` argument instead"
            ));
        };
        return apply_override(&mut block.body.0, rest, value);
    }
    let position = body.iter().position(is_key);
    let was_block = position.is_some_and(|i| matches!(body[i], Structure::Block(_)));
    body.retain(|s| !is_key(s));
    if value.is_null() {
        return Ok(());
    }
    let new: Vec<Structure> = match value {
        serde_json::Value::Object(map) if was_block => vec![Structure::Block(json_block(first, map)?)],
        serde_json::Value::Array(items)
            if was_block && !items.is_empty() && items.iter().all(serde_json::Value::is_object) =>
        {
            items
                .iter()
                .filter_map(serde_json::Value::as_object)
                .map(|m| json_block(first, m).map(Structure::Block))
                .collect::<Result<_, _>>()?
        }
        _ => vec![Structure::Attribute(Attribute::new(Identifier::unchecked(*first), json_expr(value)))],
    };
    let at = position.unwrap_or(body.len()).min(body.len());
    body.splice(at..at, new);
    Ok(())
}

/// A nested block whose arguments are a JSON object's members.
fn json_block(ident: &str, map: &serde_json::Map<String, serde_json::Value>) -> Result<Block, String> {
    let mut a = Args::default();
    for (key, value) in map {
        if Identifier::new(key.as_str()).is_err() {
            return Err(format!("`{key}` is not a valid Terraform argument name"));
        }
        a.set(key, json_expr(value));
    }
    Ok(a.into_block(ident, &[]))
}

#[cfg(test)]
mod tests {
    use iac_core::StackBuilder;
    use iac_core::app::{Container, CronJob, HostConfig, HostFile};
    use iac_core::model::{Engine, HealthCheck, Override, RootVolume};
    use iac_core::patterns::{Database, DatabaseProps, Network, NetworkProps, WebTier, WebTierProps, alias_record};
    use iac_core::stack::Parameter;
    use indexmap::IndexMap;

    use super::*;

    fn host() -> HostConfig {
        HostConfig {
            name: "web".into(),
            packages: vec!["curl".into()],
            docker: true,
            files: vec![HostFile {
                path: "/usr/local/bin/hello".into(),
                mode: 0o755,
                content: "#!/bin/sh\necho \"${HOME} %{literal}\"\n".into(),
            }],
            containers: Vec::new(),
            cron: vec![CronJob {
                name: "tick".into(),
                schedule: "*/5 * * * *".into(),
                user: "root".into(),
                command: "echo ${PATH}".into(),
            }],
            ..HostConfig::default()
        }
    }

    fn stack() -> Stack {
        let mut s = StackBuilder::new("demo", "dev");
        s.description("A demo stack.");
        let image = s.parameter(
            "ImageId",
            Parameter { kind: ParamKind::ImageId, description: "The baked AMI".into(), default: None },
        );
        let cert = s.parameter(
            "CertificateArn",
            Parameter { kind: ParamKind::CertificateArn, description: "The certificate".into(), default: None },
        );
        let network = Network::create(
            &mut s,
            &NetworkProps { cidr: "10.20.0.0/16".parse().unwrap(), zones: 2, subnet_prefix: 20, nat_per_zone: false },
        );
        let db = Database::create(
            &mut s,
            DatabaseProps {
                name: "Database",
                network: &network,
                engine: Engine::Mysql,
                engine_version: "8.0.39".into(),
                family: "mysql8.0".into(),
                parameters: IndexMap::from([("innodb_log_file_size".to_owned(), "268435456".to_owned())]),
                instance_class: "db.t4g.small".into(),
                allocated_storage_gib: 20,
                max_allocated_storage_gib: Some(100),
                backup_retention_days: 7,
                multi_az: false,
                identifier: None,
                db_name: "app".into(),
                master_username: "app".into(),
                monitoring_interval: 60,
            },
        );
        let mut host = host();
        host.containers.push(
            Container::new("app", "example/app:1.0.0")
                .with_env("DB_HOST", db.instance.endpoint_address())
                .with_env("DATABASE_URL", db.url("mysql"))
                .with_port(80, 8080),
        );
        let web = WebTier::create(
            &mut s,
            WebTierProps {
                name: "Web",
                network: &network,
                image_id: image.value(),
                instance_type: "t3.small".into(),
                host,
                instance_port: 80,
                health_check: HealthCheck::http("/ping"),
                certificate_arn: cert.value(),
                min_size: 1,
                max_size: 3,
                desired_capacity: 1,
                cpu_target: 60.0,
                admin_cidrs: Vec::new(),
                root_volume: RootVolume::gp3("/dev/xvda", 20),
                statements: vec![db.read_secret_statement()],
                internet_egress_ports: vec![443],
                vpc_egress_ports: vec![db.port],
                deletion_protection: true,
            },
        );
        db.allow_from(&mut s, &web);
        alias_record(&mut s, "WebRecord", "Z123456ABCDEFG", "www.example.org", &web.load_balancer);
        s.output("Url", "the site", Value::join([Value::from("https://"), web.load_balancer.dns_name()]));
        s.output("DbEndpoint", "the database", db.instance.endpoint_address());
        s.build().unwrap()
    }

    fn block<'b>(body: &'b Body, ty: &str, label: &str) -> &'b Block {
        body.blocks()
            .find(|b| {
                b.identifier() == "resource"
                    && b.labels().first().map(BlockLabel::as_str) == Some(ty)
                    && b.labels().get(1).map(BlockLabel::as_str) == Some(label)
            })
            .unwrap_or_else(|| panic!("no resource {ty}.{label}"))
    }

    fn attr<'b>(b: &'b Block, key: &str) -> Option<&'b Expression> {
        b.body().attributes().find(|a| a.key() == key).map(Attribute::expr)
    }

    fn nested<'b>(b: &'b Block, ident: &str) -> Vec<&'b Block> {
        b.body().blocks().filter(|n| n.identifier() == ident).collect()
    }

    #[test]
    fn renders_files_that_parse() {
        let tf = render(&stack()).unwrap();
        for text in [&tf.main_tf, &tf.variables_tf, &tf.outputs_tf] {
            hcl::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        }
        assert!(tf.main_tf.starts_with("# Terraform resources of stack `demo` (dev).\n# A demo stack.\n"));
        assert!(tf.main_tf.contains("generated by iac-rs: do not edit"));
        assert!(tf.main_tf.contains("required_version = \">= 1.5\""));
        assert!(tf.main_tf.contains("data \"aws_availability_zones\" \"available\""));
        assert!(tf.main_tf.contains("data \"aws_region\" \"current\""));
        assert!(!tf.main_tf.contains("aws_caller_identity"), "unused data sources are left out");
        let body = hcl::parse(&tf.main_tf).unwrap();
        let provider = body.blocks().find(|b| b.identifier() == "provider").unwrap();
        let default_tags = nested(provider, "default_tags")[0];
        let tags = attr(default_tags, "tags").unwrap().to_string();
        assert!(tags.contains("\"iac:stack\" = \"demo\""), "{tags}");
    }

    #[test]
    fn rendering_is_deterministic() {
        let s = stack();
        assert_eq!(render(&s).unwrap(), render(&s).unwrap());
        assert_eq!(render(&s).unwrap(), render(&stack()).unwrap());
    }

    #[test]
    fn references_are_traversals() {
        let tf = render(&stack()).unwrap();
        assert!(tf.main_tf.contains("load_balancer_arn = aws_lb.web_load_balancer.arn"), "{}", tf.main_tf);
        assert!(!tf.main_tf.contains("\"${"), "no interpolated references");
        let body = hcl::parse(&tf.main_tf).unwrap();
        let subnet = block(&body, "aws_subnet", "private_subnet2");
        assert_eq!(
            attr(subnet, "availability_zone").unwrap().to_string(),
            "data.aws_availability_zones.available.names[1]"
        );
        let lt = block(&body, "aws_launch_template", "web_launch_template");
        assert_eq!(attr(lt, "image_id").unwrap().to_string(), "var.image_id");
        let asg = block(&body, "aws_autoscaling_group", "web_auto_scaling_group");
        let lt_ref = nested(asg, "launch_template")[0];
        assert_eq!(
            attr(lt_ref, "version").unwrap().to_string(),
            "aws_launch_template.web_launch_template.latest_version"
        );
        // The inline policy reads the RDS-managed secret through an indexed traversal.
        let policy = block(&body, "aws_iam_role_policy", "web_instance_role_app");
        assert!(
            attr(policy, "policy")
                .unwrap()
                .to_string()
                .contains("aws_db_instance.database_instance.master_user_secret[0].secret_arn")
        );
        let record = block(&body, "aws_route53_record", "web_record");
        let alias = nested(record, "alias")[0];
        assert_eq!(attr(alias, "zone_id").unwrap().to_string(), "aws_lb.web_load_balancer.zone_id");
        let out = hcl::parse(&tf.outputs_tf).unwrap();
        let url = out.blocks().find(|b| b.labels()[0].as_str() == "url").unwrap();
        assert_eq!(
            attr(url, "value").unwrap().to_string(),
            "join(\"\", [\"https://\", aws_lb.web_load_balancer.dns_name])"
        );
    }

    #[test]
    fn database_is_protected_and_parameters_wait_for_reboot() {
        let tf = render(&stack()).unwrap();
        let body = hcl::parse(&tf.main_tf).unwrap();
        let db = block(&body, "aws_db_instance", "database_instance");
        let lifecycle = nested(db, "lifecycle");
        assert_eq!(lifecycle.len(), 1);
        assert_eq!(attr(lifecycle[0], "prevent_destroy"), Some(&Expression::Bool(true)));
        assert_eq!(attr(db, "manage_master_user_password"), Some(&Expression::Bool(true)));
        assert_eq!(attr(db, "skip_final_snapshot"), Some(&Expression::Bool(false)));
        assert_eq!(
            attr(db, "final_snapshot_identifier"),
            Some(&Expression::String("demo-dev-database-instance-final".into()))
        );
        assert!(nested(block(&body, "aws_vpc", "vpc"), "lifecycle").is_empty());
        let pg = block(&body, "aws_db_parameter_group", "database_parameter_group");
        let param = nested(pg, "parameter")[0];
        assert_eq!(attr(param, "apply_method"), Some(&Expression::String("pending-reboot".into())));
    }

    #[test]
    fn security_groups_follow_the_model() {
        let tf = render(&stack()).unwrap();
        let body = hcl::parse(&tf.main_tf).unwrap();
        let db_sg = block(&body, "aws_security_group", "database_security_group");
        assert!(nested(db_sg, "ingress").is_empty() && attr(db_sg, "ingress").is_none(), "ingress omitted");
        assert_eq!(attr(db_sg, "egress"), Some(&Expression::Array(Vec::new())));
        let rule = block(&body, "aws_vpc_security_group_ingress_rule", "database_from_web");
        assert_eq!(
            attr(rule, "referenced_security_group_id").unwrap().to_string(),
            "aws_security_group.web_instance_security_group.id"
        );
        assert_eq!(attr(rule, "from_port").unwrap().to_string(), "3306");
        let lb_sg = block(&body, "aws_security_group", "web_load_balancer_security_group");
        assert_eq!(nested(lb_sg, "ingress").len(), 2);
        assert_eq!(nested(lb_sg, "egress").len(), 1);
    }

    #[test]
    fn checkov_skips_are_comments_inside_the_block() {
        let tf = render(&stack()).unwrap();
        let start = tf.main_tf.find("resource \"aws_lb\" \"web_load_balancer\" {\n").unwrap();
        let end = start + tf.main_tf[start..].find("\n}\n").unwrap();
        let block_text = &tf.main_tf[start..end];
        assert!(block_text.contains("\n  #checkov:skip=CKV_AWS_91:access logs need"), "{block_text}");
        assert!(block_text.contains("\n  #checkov:skip=CKV2_AWS_28:"));
        let db_start = tf.main_tf.find("resource \"aws_db_instance\" \"database_instance\" {\n").unwrap();
        let leading: Vec<&str> =
            tf.main_tf[db_start..].lines().skip(1).take_while(|l| l.starts_with("  #checkov:skip=")).collect();
        assert!(leading.iter().any(|l| l.starts_with("  #checkov:skip=CKV_AWS_157:single-AZ")), "{leading:?}");
    }

    #[test]
    fn user_data_keeps_shell_variables_literal() {
        let tf = render(&stack()).unwrap();
        assert!(tf.main_tf.contains("$${HOME} %%{literal}"), "escaped in the file");
        let body = hcl::parse(&tf.main_tf).unwrap();
        let lt = block(&body, "aws_launch_template", "web_launch_template");
        let Some(Expression::FuncCall(b64)) = attr(lt, "user_data") else { panic!("base64encode call") };
        assert_eq!(b64.name.to_string(), "base64encode");
        let Expression::FuncCall(joined) = &b64.args[0] else { panic!("join call") };
        let Expression::Array(parts) = &joined.args[1] else { panic!("join list") };
        let texts: String = parts
            .iter()
            .filter_map(|p| match p {
                Expression::String(s) => Some(s.as_str()),
                Expression::TemplateExpr(t) => panic!("literal text parsed as a template: {t:?}"),
                _ => None,
            })
            .collect();
        assert!(texts.contains("echo \"${HOME} %{literal}\""), "{texts}");
        assert!(texts.contains("echo ${PATH}"));
        let refs: Vec<String> =
            parts.iter().filter(|p| !matches!(p, Expression::String(_))).map(ToString::to_string).collect();
        assert!(refs.contains(&"aws_db_instance.database_instance.address".to_owned()), "{refs:?}");
        assert!(refs.contains(&"data.aws_region.current.name".to_owned()), "{refs:?}");
        assert!(!tf.main_tf.contains("aws_secretsmanager_secret_version"), "secrets in user data are read at boot");
    }

    #[test]
    fn variables_are_typed_and_validated() {
        let tf = render(&stack()).unwrap();
        assert!(tf.variables_tf.contains("type = string") || tf.variables_tf.contains("type        = string"));
        let body = hcl::parse(&tf.variables_tf).unwrap();
        let image = body.blocks().find(|b| b.labels()[0].as_str() == "image_id").unwrap();
        let validation = nested(image, "validation")[0];
        assert_eq!(
            attr(validation, "condition").unwrap().to_string(),
            "can(regex(\"^ami-[0-9a-f]{8,17}$\", var.image_id))"
        );
        assert_eq!(attr(image, "type").unwrap().to_string(), "string");
        let cert = body.blocks().find(|b| b.labels()[0].as_str() == "certificate_arn").unwrap();
        assert!(attr(nested(cert, "validation")[0], "condition").unwrap().to_string().contains("^arn:aws[a-z-]*:acm:"));
    }

    #[test]
    fn secrets_become_data_sources_and_url_encoding_is_refused() {
        let mut s = StackBuilder::new("demo", "dev");
        s.add(
            "Sg",
            SecurityGroup { description: "x".into(), vpc_id: "vpc-1".into(), ingress: Vec::new(), egress: Vec::new() },
        );
        s.output("Pw", "a secret", Value::Secret(SecretRef::ssm("/app/pw").key("password")));
        let tf = render(&s.build().unwrap()).unwrap();
        assert!(tf.main_tf.contains("data \"aws_ssm_parameter\" \"output_pw_value\""), "{}", tf.main_tf);
        assert!(tf.main_tf.contains("with_decryption = true"));
        assert!(tf.outputs_tf.contains("jsondecode(data.aws_ssm_parameter.output_pw_value.value)[\"password\"]"));
        assert!(tf.outputs_tf.contains("sensitive = true") || tf.outputs_tf.contains("sensitive   = true"));

        let mut s = StackBuilder::new("demo", "dev");
        s.output("Pw", "a secret", Value::Secret(SecretRef::ssm("/app/pw").url_encoded()));
        let err = render(&s.build().unwrap()).unwrap_err();
        assert!(matches!(err, RenderError::Unsupported { ref resource, .. } if resource == "Pw"), "{err}");
    }

    #[test]
    fn db_password_from_a_secret_and_extra_certificates() {
        let mut s = StackBuilder::new("demo", "dev");
        s.add(
            "Db",
            DbInstance {
                identifier: Some("legacy".into()),
                engine: Engine::Postgres,
                engine_version: "16.4".into(),
                instance_class: "db.t4g.micro".into(),
                allocated_storage_gib: 20,
                max_allocated_storage_gib: None,
                storage_type: "gp3".into(),
                storage_encrypted: true,
                multi_az: true,
                publicly_accessible: false,
                backup_retention_days: 7,
                deletion_protection: true,
                db_name: None,
                master_username: "admin".into(),
                master_password: MasterPassword::Secret(SecretRef::secrets_manager("legacy/db").key("password")),
                port: None,
                security_group_ids: Vec::new(),
                subnet_group_name: "legacy-subnets".into(),
                parameter_group_name: None,
                iam_authentication: true,
                performance_insights: false,
                monitoring: None,
                log_exports: Vec::new(),
                auto_minor_version_upgrade: true,
                copy_tags_to_snapshot: true,
                source_db_instance: None,
            },
        );
        s.add(
            "Https",
            Listener {
                load_balancer_arn: "arn:aws:elasticloadbalancing:lb".into(),
                port: 443,
                protocol: AppProtocol::Https,
                certificate_arns: vec!["arn:aws:acm:one".into(), "arn:aws:acm:two".into()],
                ssl_policy: None,
                default_action: ListenerAction::Forward("arn:aws:elasticloadbalancing:tg".into()),
            },
        );
        s.output("Account", "the account", Value::Pseudo(Pseudo::AccountId));
        let tf = render(&s.build().unwrap()).unwrap();
        let body = hcl::parse(&tf.main_tf).unwrap();
        let db = block(&body, "aws_db_instance", "db");
        assert_eq!(
            attr(db, "password").unwrap().to_string(),
            "jsondecode(data.aws_secretsmanager_secret_version.db_password.secret_string)[\"password\"]"
        );
        assert!(attr(db, "manage_master_user_password").is_none());
        assert_eq!(attr(db, "port").unwrap().to_string(), "5432");
        assert!(
            tf.main_tf
                .contains("data \"aws_secretsmanager_secret_version\" \"db_password\" {\n  secret_id = \"legacy/db\"")
        );
        assert!(tf.main_tf.contains("data \"aws_caller_identity\" \"current\" {}"));
        let cert = block(&body, "aws_lb_listener_certificate", "https_1");
        assert_eq!(attr(cert, "listener_arn").unwrap().to_string(), "aws_lb_listener.https.arn");
        assert_eq!(attr(cert, "certificate_arn"), Some(&Expression::String("arn:aws:acm:two".into())));
    }

    #[test]
    fn overrides_depends_on_and_raw_resources() {
        let mut s = StackBuilder::new("demo", "dev");
        let vpc = s.add_with(
            "Vpc",
            Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true },
            |e| {
                e.overrides.push(Override {
                    backend: Backend::Terraform,
                    path: "instance_tenancy".into(),
                    value: serde_json::json!("default"),
                });
                e.overrides.push(Override {
                    backend: Backend::Terraform,
                    path: "enable_dns_support".into(),
                    value: serde_json::Value::Null,
                });
                e.overrides.push(Override {
                    backend: Backend::CloudFormation,
                    path: "Ignored".into(),
                    value: serde_json::json!(1),
                });
            },
        );
        s.add_with(
            "Topic",
            RawResource {
                cloudformation: None,
                terraform: Some((
                    "aws_sns_topic".into(),
                    serde_json::json!({"name": "alerts", "tags": {"team": "ops", "cost:center": "42"}}),
                )),
            },
            |e| e.depends_on.push(vpc.id().clone()),
        );
        let tf = render(&s.build().unwrap()).unwrap();
        let body = hcl::parse(&tf.main_tf).unwrap();
        let v = block(&body, "aws_vpc", "vpc");
        assert_eq!(attr(v, "instance_tenancy"), Some(&Expression::String("default".into())));
        assert!(attr(v, "enable_dns_support").is_none());
        assert!(attr(v, "Ignored").is_none());
        let topic = block(&body, "aws_sns_topic", "topic");
        assert_eq!(attr(topic, "depends_on"), Some(&Expression::Array(vec![traversal("aws_vpc", &["vpc"])])));
        assert!(attr(topic, "tags").unwrap().to_string().contains("\"cost:center\" = \"42\""));

        let mut s = StackBuilder::new("demo", "dev");
        s.add("Topic", RawResource { cloudformation: None, terraform: None });
        let err = render(&s.build().unwrap()).unwrap_err().to_string();
        assert!(err.contains("Topic") && err.contains("no Terraform form"), "{err}");
    }
}
