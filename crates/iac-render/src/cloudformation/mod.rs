//! CloudFormation templates (JSON or YAML) from a stack.
//!
//! References become `Ref` / `Fn::GetAtt`, joins `Fn::Join`, the n-th zone
//! `Fn::Select`/`Fn::GetAZs`, and secrets dynamic references (`{{resolve:secretsmanager:...}}`)
//! that CloudFormation resolves without storing the value. Stateful resources get
//! `DeletionPolicy` and `UpdateReplacePolicy` of `Snapshot`; suppressed policy checks are written
//! as `Metadata.checkov.skip` with their reasons, where reviewers and checkov both see them.
//!
//! This module assembles the template and holds what every kind shares (`CfnContext`: values,
//! references, secrets, tags, names, user data); each kind's properties live in its own file,
//! grouped by AWS service (`ec2/vpc.rs`, `rds/db_instance.rs`, ...), as its `ToCloudFormation`
//! implementation.

use iac_core::Stack;
use iac_core::model::spec::{CfnAttr, Data, JoinPart, Tagging};
use iac_core::model::{Backend, Resource, ResourceEntry};
use iac_core::naming;
use iac_core::stack::ParamKind;
use iac_core::value::{AttrRef, Literal, Pseudo, SecretEncoding, SecretRef, SecretSource, Value};
use serde_json::{Map, Value as Json, json};

use crate::error::RenderError;
use crate::nested::Pieces;
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
mod raw;
mod rds;
mod route53;
mod s3;
mod scheduler;
mod secretsmanager;
mod sns;

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
    template_with(stack, &UserData::render(stack)?)
}

/// [`template`] with the stack's user data already rendered ([`UserData::render`]).
pub fn template_with(stack: &Stack, user_data: &UserData) -> Result<Json, RenderError> {
    let pieces = pieces(stack, user_data);
    let mut root = pieces.head;
    let resources = pieces.resources.collect::<Result<Map<String, Json>, RenderError>>()?;
    root.insert("Resources".into(), Json::Object(resources));
    root.extend((pieces.tail)()?);
    Ok(Json::Object(root))
}

/// The template in pieces: the sections before `Resources`, each resource rendered when the
/// caller reaches it, and the outputs after them ([`crate::nested::write`] writes a template
/// from them without holding it whole).
pub fn pieces<'a>(stack: &'a Stack, user_data: &'a UserData) -> Pieces<'a> {
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
            // CloudFormation checks that an image exists (and so its form); others by pattern.
            let ty = match p.kind {
                ParamKind::String | ParamKind::CertificateArn => "String",
                ParamKind::ImageId => "AWS::EC2::Image::Id",
            };
            o.insert("Type".into(), json!(ty));
            if let Some((pattern, words)) = p.kind.constraint().filter(|_| p.kind != ParamKind::ImageId) {
                o.insert("AllowedPattern".into(), json!(pattern));
                o.insert("ConstraintDescription".into(), json!(format!("must be {words}")));
            }
            o.insert("Description".into(), json!(p.description));
            if let Some(d) = &p.default {
                o.insert("Default".into(), json!(d));
            }
            params.insert(id.to_string(), Json::Object(o));
        }
        root.insert("Parameters".into(), Json::Object(params));
    }
    let resources = stack.resources().map(move |entry| Ok((entry.id.to_string(), resource(stack, user_data, entry)?)));
    let tail = move || outputs(stack, user_data);
    Pieces { head: root, resources: Box::new(resources), tail: Box::new(tail) }
}

/// The `Outputs` section, when the stack has outputs.
fn outputs(stack: &Stack, user_data: &UserData) -> Result<Map<String, Json>, RenderError> {
    let mut root = Map::new();
    if !stack.outputs().is_empty() {
        let mut outputs = Map::new();
        for (id, o) in stack.outputs() {
            let value = CfnContext::new(stack, user_data, id.as_str()).value(&o.value, "Value")?;
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
    Ok(root)
}

/// Renders the template as text in `format`.
pub fn render(stack: &Stack, format: Format) -> Result<String, RenderError> {
    crate::nested::to_text(stack.name(), &template(stack)?, format)
}

/// How a resource kind renders to CloudFormation: its `Properties` (the tags of kinds tagged
/// through a property, overrides, policies and metadata are added by the template assembly).
///
/// Every kind in [`Resource`] implements it, in its own file under its service; the dispatch
/// below is generated from the model's list of kinds, so a new kind does not compile until it
/// does. A kind CloudFormation cannot create returns an error that says which target to use.
pub(crate) trait ToCloudFormation {
    /// The resource's `Properties`.
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError>;
}

macro_rules! dispatch {
    ($($kind:ident,)*) => {
        /// The properties of `entry`, through its kind's [`ToCloudFormation`]: one arm per kind,
        /// generated by [`iac_core::for_each_kind`], so there is no arm to forget.
        fn properties(cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
            match &entry.resource {
                $( Resource::$kind(r) => <iac_core::model::$kind as ToCloudFormation>::properties(r, cx, entry), )*
            }
        }
    };
}

iac_core::for_each_kind!(dispatch);

/// What a kind's rendering shares with every other: the stack, the resource being rendered (for
/// errors), and the one rendering of values, references, secrets, tags, names and user data.
pub(crate) struct CfnContext<'a> {
    stack: &'a Stack,
    /// Every host's user data, rendered once for every target.
    user_data: &'a UserData,
    /// The logical id being rendered (a resource or an output), for error messages.
    resource: &'a str,
}

impl<'a> CfnContext<'a> {
    fn new(stack: &'a Stack, user_data: &'a UserData, resource: &'a str) -> Self {
        Self { stack, user_data, resource }
    }

    /// The stack being rendered.
    pub(crate) fn stack(&self) -> &'a Stack {
        self.stack
    }

    /// An error about `property` of the resource being rendered.
    pub(crate) fn unsupported(&self, property: &str, message: impl Into<String>) -> RenderError {
        RenderError::Unsupported {
            stack: self.stack.name().to_owned(),
            resource: self.resource.to_owned(),
            property: property.to_owned(),
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

    /// A property value: a literal, or the intrinsic function that resolves it at deploy time.
    pub(crate) fn value<T: Literal>(&self, v: &Value<T>, property: &str) -> Result<Json, RenderError> {
        Ok(match v {
            Value::Lit(l) => l.to_json(),
            Value::Attr(r) => self.attr(r),
            Value::Param(p) => json!({ "Ref": p.as_str() }),
            Value::Pseudo(Pseudo::Region) => json!({ "Ref": "AWS::Region" }),
            Value::Pseudo(Pseudo::AccountId) => json!({ "Ref": "AWS::AccountId" }),
            Value::Pseudo(Pseudo::AvailabilityZone(i)) => json!({ "Fn::Select": [i, { "Fn::GetAZs": "" }] }),
            Value::Join(parts) => {
                let parts = parts.iter().map(|p| self.value(p, property)).collect::<Result<Vec<_>, _>>()?;
                json!({ "Fn::Join": ["", parts] })
            }
            Value::Secret(s) => self.dynamic_reference(s, property)?,
        })
    }

    /// A list of values.
    pub(crate) fn list(&self, vs: &[Value<String>], property: &str) -> Result<Json, RenderError> {
        Ok(Json::Array(vs.iter().map(|v| self.value(v, property)).collect::<Result<_, _>>()?))
    }

    /// `{{resolve:...}}`: CloudFormation reads the secret at deploy time and never stores it.
    pub(crate) fn dynamic_reference(&self, s: &SecretRef, property: &str) -> Result<Json, RenderError> {
        if s.encoding == SecretEncoding::Url {
            return Err(self.unsupported(
                property,
                "a URL-encoded secret can only be resolved at boot (user data) or by the container runtime; \
                 pass the secret on its own here",
            ));
        }
        match &s.source {
            SecretSource::SsmSecureString(name) => Ok(json!(format!("{{{{resolve:ssm-secure:{name}}}}}"))),
            SecretSource::SecretsManager(id) => {
                let key = s.json_key.as_deref().unwrap_or("");
                let id = self.value(id.as_ref(), property)?;
                let suffix = format!(":SecretString:{key}}}}}");
                Ok(match id {
                    Json::String(id) => json!(format!("{{{{resolve:secretsmanager:{id}{suffix}")),
                    other => json!({ "Fn::Join": ["", ["{{resolve:secretsmanager:", other, suffix]] }),
                })
            }
        }
    }

    /// The resource's tags as `[{Key, Value}]`.
    pub(crate) fn tags(&self, entry: &ResourceEntry) -> Json {
        Json::Array(naming::tags(self.stack, entry).into_iter().map(|(k, v)| json!({ "Key": k, "Value": v })).collect())
    }

    /// The resource's physical name (empty for a kind without one).
    pub(crate) fn name(&self, entry: &ResourceEntry) -> Json {
        json!(naming::physical_name(self.stack, entry).unwrap_or_default())
    }

    /// The user data of the resource being rendered (rendered once for every target,
    /// [`UserData`]): `Fn::Base64` of an `Fn::Join` around the values resolved at deploy time.
    pub(crate) fn user_data(&self) -> Result<Json, RenderError> {
        let segments =
            self.user_data.of(self.resource).ok_or_else(|| UserData::missing(self.stack, self.resource, "UserData"))?;
        let parts = segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => Ok(json!(t)),
                Segment::Value(v) => self.value(v, "UserData"),
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        Ok(json!({ "Fn::Base64": { "Fn::Join": ["", parts] } }))
    }
}

/// One resource: its type, dependencies, deletion policies, metadata and properties.
fn resource(stack: &Stack, user_data: &UserData, entry: &ResourceEntry) -> Result<Json, RenderError> {
    let mut cx = CfnContext::new(stack, user_data, entry.id.as_str());
    let mut props = properties(&mut cx, entry)?;
    let Some(ty) = entry.resource.cloudformation_type() else {
        return Err(cx.unsupported("Type", format!("a {} has no CloudFormation type", entry.resource.kind_name())));
    };
    let spec = entry.resource.spec();
    if let Tagging::Property(key) = spec.tagging {
        let tags = cx.tags(entry);
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
