//! What the compose and Kubernetes renderers share: a service's environment resolved for one
//! platform (literals, or the key of a secret the operator provides) and the list of those
//! secrets, with where each one lives in AWS, for the files' headers.

use std::collections::BTreeMap;

use iac_core::Stack;
use iac_core::app::EnvVar;
use iac_core::value::{SecretRef, SecretSource, Value};
use iac_core::workload::{App, Platform, Service};

use crate::error::RenderError;

/// A variable's value on a container platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvValue {
    /// Written as it is.
    Literal(String),
    /// Read from the secret with this key (a compose variable, a Kubernetes Secret key).
    Secret(String),
}

/// A secret the operator provides, for the header of a file.
#[derive(Debug, Clone)]
pub(crate) struct SecretNeed {
    /// Variable or key.
    pub key: String,
    /// Where the value lives in AWS, or what it is made of.
    pub source: String,
}

/// `service`'s environment on `platform`, in order.
pub(crate) fn env(
    stack: &Stack,
    app: &App,
    service: &Service,
    platform: Platform,
) -> Result<Vec<(String, EnvValue)>, RenderError> {
    service
        .env_on(platform)
        .iter()
        .map(|e| {
            let value = if e.value.contains_secret() {
                EnvValue::Secret(app.secret_key(e).to_owned())
            } else {
                EnvValue::Literal(literal(&e.value).ok_or_else(|| unknown_here(stack, app, service, e, platform))?)
            };
            Ok((e.name.clone(), value))
        })
        .collect()
}

/// Every secret key of `app` on `platform`, sorted, each with its source. Two different values
/// under one key are an error.
pub(crate) fn secrets(stack: &Stack, app: &App, platform: Platform) -> Result<Vec<SecretNeed>, RenderError> {
    let mut keys: BTreeMap<String, (Value<String>, String)> = BTreeMap::new();
    for service in app.services_on(platform) {
        for e in service.env_on(platform).iter().filter(|e| e.value.contains_secret()) {
            let key = app.secret_key(e).to_owned();
            if let Some((other, first)) = keys.get(&key) {
                if other != &e.value {
                    return Err(RenderError::Unsupported {
                        stack: stack.name().to_owned(),
                        resource: format!("app:{}/{}", app.name, service.name()),
                        property: format!("Env.{}", e.name),
                        message: format!(
                            "the {} secret `{key}` means one value in `{first}` and another here; \
                             rename one variable or name the secrets with App::secret",
                            platform.name()
                        ),
                    });
                }
            } else {
                keys.insert(key, (e.value.clone(), service.name().to_owned()));
            }
        }
    }
    Ok(keys.into_iter().map(|(key, (value, _))| SecretNeed { source: describe(&key, &value), key }).collect())
}

fn literal(v: &Value<String>) -> Option<String> {
    match v {
        Value::Lit(s) => Some(s.clone()),
        Value::Join(parts) => parts.iter().map(literal).collect(),
        Value::Attr(_) | Value::Param(_) | Value::Pseudo(_) | Value::Secret(_) => None,
    }
}

fn unknown_here(stack: &Stack, app: &App, service: &Service, e: &EnvVar, platform: Platform) -> RenderError {
    RenderError::Unsupported {
        stack: stack.name().to_owned(),
        resource: format!("app:{}/{}", app.name, service.name()),
        property: format!("Env.{}", e.name),
        message: format!(
            "the value ({}) is known only where the stack is deployed on AWS, not in {}; \
             give the {} value with Service::env_for(Platform::{:?}, \"{}\", ...)",
            shown(&e.value),
            platform.name(),
            platform.name(),
            platform,
            e.name
        ),
    }
}

fn describe(key: &str, v: &Value<String>) -> String {
    match v {
        Value::Secret(s) => secret_source(s),
        _ => format!("the whole value of {key}: {}", shown(v)),
    }
}

fn secret_source(s: &SecretRef) -> String {
    let key = s.json_key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default();
    match &s.source {
        SecretSource::SsmSecureString(name) => format!("SSM parameter `{name}`{key}"),
        SecretSource::SecretsManager(id) => format!("Secrets Manager secret {}{key}", shown(id)),
    }
}

/// A value for people: literals as they are, everything else as `<...>`.
fn shown(v: &Value<String>) -> String {
    match v {
        Value::Lit(s) => s.clone(),
        Value::Attr(r) => format!("<{}.{:?}>", r.id, r.attr),
        Value::Param(p) => format!("<parameter {p}>"),
        Value::Pseudo(p) => format!("<{p:?}>"),
        Value::Join(parts) => parts.iter().map(shown).collect(),
        Value::Secret(_) => "<secret>".into(),
    }
}

/// Block-style YAML of a JSON value, written so that YAML 1.1 and 1.2 readers (`PyYAML`, `go-yaml`)
/// read it alike: a string is plain only when it starts with a letter or `/`, has no `: ` or
/// ` #`, and is not `yes`, `no`, `on`, `off`, `y`, `n`, `true`, `false` or `null` in any case;
/// every other string is double-quoted. So `80:80` (a base-60 number to YAML 1.1), `no` and
/// `'3306'` stay strings everywhere. Keys keep their order; sequences are indented under their
/// key.
pub(crate) fn to_yaml(v: &serde_json::Value) -> String {
    let mut out = String::new();
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => map(&mut out, m, 0),
        serde_json::Value::Array(a) if !a.is_empty() => seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn map(out: &mut String, m: &serde_json::Map<String, serde_json::Value>, indent: usize) {
    for (k, v) in m {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(k));
        out.push(':');
        value_after(out, v, indent + 2);
    }
}

fn seq(out: &mut String, a: &[serde_json::Value], indent: usize) {
    for v in a {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match v {
            serde_json::Value::Object(m) if !m.is_empty() => {
                // The first key on the dash's line, the rest aligned under it.
                let mut inner = String::new();
                map(&mut inner, m, indent + 2);
                out.push(' ');
                out.push_str(&inner[indent + 2..]);
            }
            _ => value_after(out, v, indent + 2),
        }
    }
}

/// A value after `key:` or `-`: nested collections on the next lines, scalars on this one.
fn value_after(out: &mut String, v: &serde_json::Value, indent: usize) {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            map(out, m, indent);
        }
        serde_json::Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            seq(out, a, indent);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => string(s),
        serde_json::Value::Object(_) => "{}".into(),
        serde_json::Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

fn string(s: &str) -> String {
    const AMBIGUOUS: [&str; 9] = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    let plain = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || " ._/@+=,:-*".contains(c))
        && !s.contains(": ")
        && !s.ends_with([':', ' '])
        && !AMBIGUOUS.contains(&s.to_ascii_lowercase().as_str());
    if plain { s.to_owned() } else { serde_json::Value::String(s.to_owned()).to_string() }
}

#[cfg(test)]
mod tests {
    use super::to_yaml;
    use serde_json::json;

    #[test]
    fn yaml_keeps_strings_strings_in_every_reader() {
        let doc = json!({
            "restart": "no",
            "ports": ["80:80"],
            "port": "3306",
            "flag": "Yes",
            "schedule": "*/5 * * * *",
            "cmd": "curl -fsS http://localhost/health || exit 1",
            "list": [{ "name": "a", "value": "1" }, { "name": "b" }],
            "empty": {},
            "n": 3,
        });
        let text = to_yaml(&doc);
        assert_eq!(
            text,
            "restart: \"no\"\nports:\n  - \"80:80\"\nport: \"3306\"\nflag: \"Yes\"\nschedule: \"*/5 * * * *\"\n\
             cmd: \"curl -fsS http://localhost/health || exit 1\"\nlist:\n  - name: a\n    value: \"1\"\n  - name: b\n\
             empty: {}\n\"n\": 3\n"
        );
        let back: serde_json::Value = serde_yaml_ng::from_str(&text).expect("valid YAML");
        assert_eq!(back, doc);
    }
}
