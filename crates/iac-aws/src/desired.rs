//! The desired state of each resource: its CloudFormation properties (rendered by
//! `iac-render`, so the SDK path and the template can never disagree) with every intrinsic
//! function resolved against what exists: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Select`,
//! `Fn::GetAZs`, `Fn::Base64`, parameters and pseudo parameters.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use base64::Engine as _;
use iac_core::{LogicalId, Stack};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::error::AwsError;
use crate::state::Observed;

/// Placeholder of a value known only once a dependency exists (shown by `plan`).
pub const AFTER_APPLY: &str = "(known after apply)";

/// What values resolve against.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The stack.
    pub stack: &'a Stack,
    /// Parameter values given by the user (defaults fill the rest).
    pub params: &'a BTreeMap<String, String>,
    /// The region.
    pub region: &'a str,
    /// The account (moto: 123456789012), looked up once per run when the stack uses
    /// `AWS::AccountId` (`None`: not looked up, and using it is an error).
    pub account: Option<&'a str>,
    /// Availability zones of the region, sorted by name.
    pub zones: &'a [String],
    /// Resources that exist now.
    pub observed: &'a HashMap<LogicalId, Observed>,
}

/// Resolves the CloudFormation properties `props` of resource `id`. With `strict`, an attribute
/// of a resource that does not exist yet is an error; otherwise it becomes [`AFTER_APPLY`].
pub fn resolve(facts: &Facts<'_>, id: &str, props: &Json, strict: bool) -> Result<Json, AwsError> {
    Resolver { facts, id, strict }.value(props, "Properties")
}

struct Resolver<'a, 'b> {
    facts: &'a Facts<'b>,
    id: &'a str,
    strict: bool,
}

impl Resolver<'_, '_> {
    fn err(&self, property: &str, message: impl Into<String>) -> AwsError {
        AwsError::Resolve {
            stack: self.facts.stack.name().to_owned(),
            id: self.id.to_owned(),
            property: property.to_owned(),
            message: message.into(),
        }
    }

    fn attr(&self, target: &str, attr: &str, property: &str) -> Result<Json, AwsError> {
        let found =
            LogicalId::new(target).ok().and_then(|t| self.facts.observed.get(&t)).and_then(|o| o.attrs.get(attr));
        match found {
            Some(v) => Ok(Json::String(v.clone())),
            None if !self.strict => Ok(Json::String(AFTER_APPLY.to_owned())),
            None => Err(self.err(property, format!("`{target}` has no `{attr}` yet; it must be created first"))),
        }
    }

    fn reference(&self, name: &str, property: &str) -> Result<Json, AwsError> {
        match name {
            "AWS::Region" => return Ok(Json::String(self.facts.region.to_owned())),
            "AWS::Partition" => return Ok(Json::String(partition(self.facts.region).to_owned())),
            "AWS::URLSuffix" => {
                let suffix =
                    if partition(self.facts.region) == "aws-cn" { "amazonaws.com.cn" } else { "amazonaws.com" };
                return Ok(Json::String(suffix.to_owned()));
            }
            "AWS::AccountId" => {
                return match self.facts.account {
                    Some(account) => Ok(Json::String(account.to_owned())),
                    None => Err(self.err(property, "`AWS::AccountId` is not known here (it is looked up through STS)")),
                };
            }
            _ => {}
        }
        if let Some(p) = LogicalId::new(name).ok().and_then(|p| self.facts.stack.parameters().get(&p).map(|x| (p, x))) {
            return match self.facts.params.get(name).cloned().or_else(|| p.1.default.clone()) {
                Some(v) => Ok(Json::String(v)),
                None => Err(self.err(property, format!("parameter `{name}` has no value; pass --param {name}=VALUE"))),
            };
        }
        self.attr(name, "Ref", property)
    }

    fn string(&self, v: &Json, property: &str) -> Result<String, AwsError> {
        match self.value(v, property)? {
            Json::String(s) => Ok(s),
            Json::Number(n) => Ok(n.to_string()),
            Json::Bool(b) => Ok(b.to_string()),
            other => Err(self.err(property, format!("expected a string, found {other}"))),
        }
    }

    fn value(&self, v: &Json, property: &str) -> Result<Json, AwsError> {
        match v {
            Json::Object(o) if o.len() == 1 => {
                let (k, arg) = o.iter().next().expect("one entry");
                match k.as_str() {
                    "Ref" => self.reference(arg.as_str().unwrap_or_default(), property),
                    "Fn::GetAtt" => {
                        let parts: Vec<&str> = arg.as_array().map(|a| a.iter().filter_map(Json::as_str).collect()).unwrap_or_default();
                        match parts.as_slice() {
                            [target, attr] => self.attr(target, attr, property),
                            _ => Err(self.err(property, format!("malformed Fn::GetAtt {arg}"))),
                        }
                    }
                    "Fn::Join" => {
                        let sep = arg[0].as_str().unwrap_or_default();
                        let parts = arg[1].as_array().cloned().unwrap_or_default();
                        let strings = parts.iter().map(|p| self.string(p, property)).collect::<Result<Vec<_>, _>>()?;
                        Ok(Json::String(strings.join(sep)))
                    }
                    "Fn::Select" => {
                        let index = arg[0].as_u64().unwrap_or(0);
                        let list = self.value(&arg[1], property)?;
                        let item = list.as_array().and_then(|l| l.get(usize::try_from(index).unwrap_or(usize::MAX))).cloned();
                        item.ok_or_else(|| self.err(property, format!("Fn::Select index {index} is out of range ({list})")))
                    }
                    "Fn::GetAZs" => Ok(Json::Array(self.facts.zones.iter().cloned().map(Json::String).collect())),
                    "Fn::Base64" => {
                        let text = self.string(arg, property)?;
                        Ok(Json::String(base64::engine::general_purpose::STANDARD.encode(text)))
                    }
                    _ => self.object(o, property),
                }
            }
            Json::Object(o) => self.object(o, property),
            Json::Array(a) => Ok(Json::Array(a.iter().map(|x| self.value(x, property)).collect::<Result<_, _>>()?)),
            Json::String(s) if s.starts_with("{{resolve:") => Err(self.err(
                property,
                "dynamic secret references are resolved by CloudFormation only; the SDK engine does not read secret values \
                 (use a password managed by RDS)",
            )),
            other => Ok(other.clone()),
        }
    }

    fn object(&self, o: &Map<String, Json>, property: &str) -> Result<Json, AwsError> {
        let mut out = Map::new();
        for (k, v) in o {
            let path = if property == "Properties" { k.clone() } else { format!("{property}.{k}") };
            out.insert(k.clone(), self.value(v, &path)?);
        }
        Ok(Json::Object(out))
    }
}

/// A short stable hash of resolved properties (the `iac:hash` tag).
pub fn hash(props: &Json) -> String {
    let digest = Sha256::digest(serde_json::to_vec(props).expect("JSON serialises"));
    digest.iter().take(8).fold(String::with_capacity(16), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// Properties of `desired` that differ from what `observed` read back (only those the service
/// reads back are compared), as dotted names.
pub fn changed(desired: &Json, observed: &Map<String, Json>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, seen) in observed {
        let want = desired.get(k).unwrap_or(&Json::Null);
        if !same(want, seen) {
            out.push(k.clone());
        }
    }
    out
}

/// Loose equality: numbers and numeric strings, `"true"` and `true`, and lists in any order.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::String(s), Json::Number(n)) | (Json::Number(n), Json::String(s)) => s == &n.to_string(),
        (Json::String(s), Json::Bool(x)) | (Json::Bool(x), Json::String(s)) => s == &x.to_string(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len()
                && x.iter().all(|i| y.iter().any(|j| same(i, j)))
                && y.iter().all(|j| x.iter().any(|i| same(i, j)))
        }
        (Json::Object(x), Json::Object(y)) => x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w))),
        _ => a == b,
    }
}
/// The partition of `region`, as CloudFormation's `AWS::Partition` gives it.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}
