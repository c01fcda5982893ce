//! The ECS container definition of an [`iac_core::app::Container`], built once as a tree of
//! literals and deploy-time values with the ECS API's (camelCase) keys. CloudFormation writes it
//! with its property names (the same keys, capitalised) and Terraform as the `jsonencode`d
//! `container_definitions`.
//!
//! Secret environment values never become plain `environment` entries: each is a `secrets`
//! entry whose `valueFrom` is the secret's ARN (with `:<json key>::` for one key of a JSON
//! secret) or the SSM parameter's name, which the ECS agent resolves when the task starts.

use iac_core::app::Container;
use iac_core::model::AwsLogs;
use iac_core::value::{SecretEncoding, SecretRef, SecretSource, Value};

/// A container definition, backend-neutral.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// A literal.
    Lit(serde_json::Value),
    /// A value resolved by the backend (a reference, a parameter, a join).
    Value(Value<String>),
    /// An object whose keys are ECS API field names (camelCase; CloudFormation capitalises them).
    Obj(Vec<(&'static str, Node)>),
    /// An object with free-form keys, written as they are (log driver options).
    Map(Vec<(String, Node)>),
    /// A list.
    List(Vec<Node>),
}

/// A problem with one property of the container, for the renderer's error.
pub(crate) struct Problem {
    /// The property, e.g. `Secrets.DB_PASSWORD`.
    pub property: String,
    /// What is wrong and what to do.
    pub message: String,
}

fn lit(v: impl Into<serde_json::Value>) -> Node {
    Node::Lit(v.into())
}

fn strings(items: &[String]) -> Node {
    Node::List(items.iter().map(|s| lit(s.as_str())).collect())
}

/// `valueFrom` of a secret: the ARN with `:<key>::` for one key of a JSON secret, or an SSM
/// parameter's name.
fn value_from(name: &str, s: &SecretRef) -> Result<Node, Problem> {
    if s.encoding != SecretEncoding::Raw {
        return Err(Problem {
            property: format!("Secrets.{name}"),
            message: "ECS injects secrets as they are and cannot URL-encode one; pass the raw secret".into(),
        });
    }
    Ok(match (&s.source, &s.json_key) {
        (SecretSource::SecretsManager(id), None) => Node::Value((**id).clone()),
        (SecretSource::SecretsManager(id), Some(key)) => {
            Node::Value(Value::join([(**id).clone(), Value::from(format!(":{key}::"))]))
        }
        (SecretSource::SsmSecureString(param), None) => lit(param.as_str()),
        (SecretSource::SsmSecureString(_), Some(_)) => {
            return Err(Problem {
                property: format!("Secrets.{name}"),
                message: "ECS reads a JSON key only from Secrets Manager; store the value in its own SSM parameter"
                    .into(),
            });
        }
    })
}

/// The container definition of `c`, sending its output to `logs`.
pub(crate) fn container_definition(c: &Container, logs: Option<&AwsLogs>) -> Result<Node, Problem> {
    let mut o: Vec<(&'static str, Node)> =
        vec![("name", lit(c.name.as_str())), ("image", lit(c.image.to_string())), ("essential", lit(true))];
    if !c.command.is_empty() {
        o.push(("command", strings(&c.command)));
    }
    if let Some(cpu) = c.cpu_units {
        o.push(("cpu", lit(cpu)));
    }
    if let Some(memory) = c.memory_mib {
        o.push(("memory", lit(memory)));
    }
    if let Some(user) = &c.user {
        o.push(("user", lit(user.as_str())));
    }
    if let Some(dir) = &c.working_dir {
        o.push(("workingDirectory", lit(dir.as_str())));
    }
    if let Some(t) = c.stop_timeout_seconds {
        o.push(("stopTimeout", lit(t)));
    }
    if !c.ports.is_empty() {
        let ports = c
            .ports
            .iter()
            .map(|p| Node::Obj(vec![("containerPort", lit(p.container)), ("protocol", lit(p.protocol.as_lower()))]))
            .collect();
        o.push(("portMappings", Node::List(ports)));
    }
    let mut env = Vec::new();
    let mut secrets = Vec::new();
    for e in &c.env {
        match &e.value {
            Value::Secret(s) => {
                secrets.push(Node::Obj(vec![("name", lit(e.name.as_str())), ("valueFrom", value_from(&e.name, s)?)]));
            }
            v if v.contains_secret() => {
                return Err(Problem {
                    property: format!("Environment.{}", e.name),
                    message:
                        "a secret inside a larger value cannot be injected by ECS; give the secret its own variable"
                            .into(),
                });
            }
            v => env.push(Node::Obj(vec![("name", lit(e.name.as_str())), ("value", Node::Value(v.clone()))])),
        }
    }
    if !env.is_empty() {
        o.push(("environment", Node::List(env)));
    }
    if !secrets.is_empty() {
        o.push(("secrets", Node::List(secrets)));
    }
    if !c.mounts.is_empty() {
        let mounts = c
            .mounts
            .iter()
            .map(|m| {
                Node::Obj(vec![
                    ("sourceVolume", lit(m.source.as_str())),
                    ("containerPath", lit(m.target.as_str())),
                    ("readOnly", lit(m.read_only)),
                ])
            })
            .collect();
        o.push(("mountPoints", Node::List(mounts)));
    }
    if let Some(h) = &c.health {
        let command = match h.command.first().map(String::as_str) {
            Some("CMD" | "CMD-SHELL") => strings(&h.command),
            _ => Node::List(std::iter::once(lit("CMD")).chain(h.command.iter().map(|a| lit(a.as_str()))).collect()),
        };
        o.push((
            "healthCheck",
            Node::Obj(vec![
                ("command", command),
                ("interval", lit(h.interval_seconds)),
                ("timeout", lit(h.timeout_seconds)),
                ("retries", lit(h.retries)),
                ("startPeriod", lit(h.start_period_seconds)),
            ]),
        ));
    }
    if let Some(l) = logs {
        o.push((
            "logConfiguration",
            Node::Obj(vec![
                ("logDriver", lit("awslogs")),
                (
                    "options",
                    Node::Map(vec![
                        ("awslogs-group".into(), Node::Value(l.group.clone())),
                        ("awslogs-region".into(), Node::Value(l.region.clone())),
                        ("awslogs-stream-prefix".into(), lit(l.stream_prefix.as_str())),
                    ]),
                ),
            ]),
        ));
    }
    o.push(("readonlyRootFilesystem", lit(c.read_only_root_filesystem)));
    Ok(Node::Obj(o))
}
