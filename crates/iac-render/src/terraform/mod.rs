//! Terraform: an [`iac_core::Stack`] as HCL for the AWS provider v6, written with `hcl-rs` and
//! laid out as `terraform fmt` lays it out (aligned `=` signs).
//!
//! [`render`] gives three files:
//!
//! - `main.tf`: a header comment, the `terraform` block (Terraform >= 1.5, `hashicorp/aws ~> 6.0`),
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
//! text). Terraform overrides set, replace or remove an argument or nested blocks of the resource
//! block. Stateful resources get `lifecycle { prevent_destroy = true }`. The output is
//! deterministic, laid out as `terraform fmt` lays it out.
//!
//! This module assembles the files and holds what every kind shares (`TfContext`: values,
//! references, data sources, secrets, tags, names, user data); each kind's arguments live in its
//! own file, grouped by service (`ec2/vpc.rs`, `rds/db_instance.rs`, ...), as its
//! `ToTerraform` implementation.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt::Write as _;

use hcl::expr::{FuncCall, Traversal, TraversalOperator, Variable};
use hcl::{Attribute, Block, BlockLabel, Body, Expression, Identifier, ObjectKey, Structure};
use iac_core::Stack;
use iac_core::model::{Backend, Resource, ResourceEntry};
use iac_core::naming;
use iac_core::value::{AttrRef, Literal, Pseudo, SecretEncoding, SecretRef, SecretSource, Value};
use indexmap::IndexMap;

use crate::error::RenderError;
use crate::userdata::{Segment, UserData};

mod autoscaling;
mod cloudfront;
mod cloudwatch;
mod digitalocean;
mod ec2;
mod ecs;
mod efs;
mod elasticache;
mod elbv2;
mod iam;
mod kms;
mod logs;
mod overrides;
mod raw;
mod rds;
mod route53;
mod s3;
mod scheduler;
mod secretsmanager;
mod sns;
#[cfg(test)]
mod tests;

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
const AWS_PROVIDER_VERSION: &str = "~> 6.0";
/// DigitalOcean provider versions the output is written for.
const DIGITALOCEAN_PROVIDER_VERSION: &str = "~> 2.0";

/// Terraform files with `main.tf` in pieces: the texts that make it, in order, written one
/// after the other and never joined (a stack's resources are most of its size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerraformParts {
    /// `main.tf`, piece by piece.
    pub main_tf: Vec<Cow<'static, str>>,
    /// `variables.tf`.
    pub variables_tf: String,
    /// `outputs.tf`.
    pub outputs_tf: String,
}

/// Renders `stack` as Terraform files.
pub fn render(stack: &Stack) -> Result<TerraformFiles, RenderError> {
    render_with(stack, &UserData::render(stack)?)
}

/// [`render`] with the stack's user data already rendered ([`UserData::render`]).
pub fn render_with(stack: &Stack, user_data: &UserData) -> Result<TerraformFiles, RenderError> {
    let parts = render_parts(stack, user_data)?;
    Ok(TerraformFiles {
        main_tf: parts.main_tf.concat(),
        variables_tf: parts.variables_tf,
        outputs_tf: parts.outputs_tf,
    })
}

/// [`render_with`], `main.tf` in pieces.
pub fn render_parts(stack: &Stack, user_data: &UserData) -> Result<TerraformParts, RenderError> {
    let mut r = TfContext::new(stack, user_data);
    let mut resources = Vec::with_capacity(stack.resources().len());
    for entry in stack.resources() {
        let mut text = r.entry(entry)?;
        text.shrink_to_fit();
        resources.push(text);
    }
    let outputs_tf = r.outputs()?;
    let variables_tf = r.variables()?;

    let newline = || Cow::Borrowed("\n");
    let mut main_tf: Vec<Cow<'static, str>> = Vec::with_capacity(2 * resources.len() + 16);
    main_tf.push(header(stack, "resources").into());
    main_tf.push(newline());
    let providers = Providers::of(stack);
    main_tf.push(r.format(&terraform_block(providers))?.into());
    if providers.aws {
        main_tf.push(newline());
        main_tf.push(r.format(&provider_block(stack))?.into());
    }
    if providers.digitalocean {
        main_tf.push(newline());
        main_tf.push(r.format(&Args::default().into_block("provider", &["digitalocean"]))?.into());
    }
    for block in r.data_blocks() {
        main_tf.push(newline());
        let mut text = r.format(&block)?;
        if text.starts_with("data \"aws_availability_zones\"") {
            insert_skips(&mut text, &[ZONES_SKIP]);
        }
        main_tf.push(text.into());
    }
    for text in resources {
        main_tf.push(newline());
        main_tf.push(text.into());
    }
    Ok(TerraformParts { main_tf, variables_tf, outputs_tf })
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
pub(crate) fn json_expr(v: &serde_json::Value) -> Expression {
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
    /// Generators of secrets' values, in stack order.
    generated: Vec<Block>,
}

/// How a resource kind renders to Terraform: the arguments of its `resource` block, plus any
/// blocks of other types it needs ([`TfContext::extra`]). The block's type and label, overrides,
/// `depends_on`, `lifecycle` and checkov comments are added by the file assembly.
///
/// Every kind in [`Resource`] implements it, in its own file under its service; the dispatch
/// below is generated from the model's list of kinds, so a new kind does not compile until it
/// does.
pub(crate) trait ToTerraform {
    /// The arguments of the resource's main block.
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError>;
}

macro_rules! dispatch {
    ($($kind:ident,)*) => {
        /// The arguments of `entry`, through its kind's [`ToTerraform`]: one arm per kind,
        /// generated by [`iac_core::for_each_kind`], so there is no arm to forget.
        fn arguments(cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
            match &entry.resource {
                $( Resource::$kind(r) => <iac_core::model::$kind as ToTerraform>::arguments(r, cx, entry), )*
            }
        }
    };
}

iac_core::for_each_kind!(dispatch);

/// One rendering pass over a stack, and what a kind's rendering shares with every other: the
/// one rendering of values, references, data sources, secrets, tags, names and user data.
pub(crate) struct TfContext<'a> {
    stack: &'a Stack,
    /// Every host's user data, rendered once for every target.
    user_data: &'a UserData,
    /// The logical id being rendered (a resource or an output), for error messages.
    resource: String,
    /// Its Terraform label, to name the data sources it needs.
    label: String,
    data: DataSources,
    /// `(type, label)` pairs already written, to refuse duplicates.
    written: HashSet<(String, String)>,
    /// Blocks of other types the resource being rendered needs, in order: type, label, arguments.
    extra: Vec<(String, String, Args)>,
}

impl<'a> TfContext<'a> {
    fn new(stack: &'a Stack, user_data: &'a UserData) -> Self {
        Self {
            stack,
            user_data,
            resource: String::new(),
            label: String::new(),
            data: DataSources::default(),
            written: HashSet::new(),
            extra: Vec::new(),
        }
    }

    /// The stack being rendered.
    pub(crate) fn stack(&self) -> &'a Stack {
        self.stack
    }

    /// The Terraform label of the resource being rendered.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// The resource's tags as an object, unless it has none.
    pub(crate) fn tags(&self, entry: &ResourceEntry) -> Option<Expression> {
        let tags = naming::tags(self.stack, entry);
        (!tags.is_empty()).then(|| tag_object(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
    }

    /// The resource's physical name, for a kind that has one.
    pub(crate) fn name(&self, entry: &ResourceEntry) -> Option<String> {
        naming::physical_name(self.stack, entry)
    }

    /// Adds a block of another type that the resource being rendered needs (a policy
    /// attachment, a bucket's configuration...), written after its main block.
    pub(crate) fn extra(&mut self, ty: &str, label: String, args: Args) {
        self.extra.push((ty.to_owned(), label, args));
    }

    /// Adds a `data` block that generates a value for the resource being rendered (a secret's),
    /// written with the other data sources, after the secrets read.
    pub(crate) fn generator(&mut self, block: Block) {
        self.data.generated.push(block);
    }

    /// An error about `property` of the resource being rendered.
    pub(crate) fn unsupported(&self, property: &str, message: impl Into<String>) -> RenderError {
        RenderError::Unsupported {
            stack: self.stack.name().to_owned(),
            resource: self.resource.clone(),
            property: property.to_owned(),
            message: message.into(),
        }
    }

    /// `block` as `terraform fmt` lays it out.
    fn format(&self, block: &Block) -> Result<String, RenderError> {
        let text = hcl::format::to_string(block).map_err(|e| RenderError::Serialize {
            stack: self.stack.name().to_owned(),
            format: "HCL",
            source: Box::new(e),
        })?;
        Ok(crate::hcl_layout::align_assignments(&text))
    }

    // ----- values -----

    /// A property value as an HCL expression.
    pub(crate) fn expr<T: Literal>(&mut self, v: &Value<T>, prop: &str) -> Result<Expression, RenderError> {
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

    /// A list of values as an HCL array.
    pub(crate) fn exprs<T: Literal>(&mut self, vs: &[Value<T>], prop: &str) -> Result<Expression, RenderError> {
        Ok(Expression::Array(vs.iter().map(|v| self.expr(v, prop)).collect::<Result<_, _>>()?))
    }

    /// An optional value.
    pub(crate) fn opt_expr<T: Literal>(
        &mut self,
        v: Option<&Value<T>>,
        prop: &str,
    ) -> Result<Option<Expression>, RenderError> {
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
                traversal("data", &["aws_region", "current", "region"])
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
    pub(crate) fn secret(&mut self, s: &SecretRef, prop: &str) -> Result<Expression, RenderError> {
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
        out.extend(self.data.generated.iter().cloned());
        out
    }

    /// `base64encode(join("", [text, value, text...]))` of the user data of the resource being
    /// rendered.
    pub(crate) fn user_data(&mut self) -> Result<Expression, RenderError> {
        let text = self.user_data_text()?;
        Ok(func("base64encode", [text]))
    }

    /// The user data of the resource being rendered (rendered once for every target, for the
    /// cloud it runs on) as text: one string, or `join("", [...])` around deploy-time values.
    pub(crate) fn user_data_text(&mut self) -> Result<Expression, RenderError> {
        let user_data = self.user_data;
        let segments =
            user_data.of(&self.resource).ok_or_else(|| UserData::missing(self.stack, &self.resource, "user_data"))?;
        let mut parts = Vec::new();
        for segment in segments {
            parts.push(match segment {
                Segment::Text(text) => Expression::String(text.clone()),
                Segment::Value(v) => self.expr(v, "user_data")?,
            });
        }
        Ok(if parts.len() == 1 && matches!(parts[0], Expression::String(_)) {
            parts.pop().unwrap_or(Expression::Null)
        } else {
            join(parts)
        })
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
        self.extra.clear();
        let label = self.label.clone();
        let stack = self.stack;
        let Some(ty) = entry.resource.terraform_type().map(str::to_owned) else {
            return Err(self.unsupported(
                "terraform",
                "this raw resource has no Terraform form; set `RawResource::terraform` to its type and arguments",
            ));
        };
        let mut args = arguments(self, entry)?;
        let extra = std::mem::take(&mut self.extra);

        for o in entry.overrides.iter().filter(|o| o.backend == Backend::Terraform) {
            let path: Vec<&str> = o.path.split('.').collect();
            overrides::apply(&mut args.0, &path, &o.value, o.shape)
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

    // ----- variables and outputs -----

    fn variables(&mut self) -> Result<String, RenderError> {
        let mut out = header(self.stack, "input variables");
        for (id, p) in self.stack.parameters() {
            let label = id.snake_case();
            let mut a = Args::default();
            a.set("type", Variable::unchecked("string"))
                .set("description", p.description.as_str())
                .set_opt("default", p.default.as_deref().map(Expression::from));
            let check = p.kind.constraint().map(|(pattern, words)| (pattern, format!("The value must be {words}.")));
            if let Some((pattern, message)) = check {
                let condition = func("can", [func("regex", [Expression::from(pattern), traversal("var", &[&label])])]);
                let mut v = Args::default();
                v.set("condition", condition).set("error_message", message.as_str());
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
