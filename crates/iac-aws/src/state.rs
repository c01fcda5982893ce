//! State lives in AWS: every resource the engine creates carries the tags below, and discovery
//! reads them back. Kinds that cannot be tagged are found by their physical name (documented on
//! each service module).

use std::collections::BTreeMap;

use iac_core::LogicalId;
use serde::Serialize;
use serde_json::{Map, Value as Json};

/// Tag: the stack's name.
pub const TAG_STACK: &str = "iac:stack";
/// Tag: the environment.
pub const TAG_ENV: &str = "iac:env";
/// Tag: the logical id.
pub const TAG_ID: &str = "iac:id";
/// Tag: hash of the desired (resolved) properties when last applied.
pub const TAG_HASH: &str = "iac:hash";
/// Tag: the name the stack gives a resource whose physical name differs from it by design (the
/// green group of a blue/green rollout is `<name>-<rollout>`); plan compares this one.
pub const TAG_NAME: &str = "iac:name";

/// Tag: on a resource that holds data and was retained when its stack let go of it (a kind whose
/// spec keeps the resource itself, CloudFormation's `DeletionPolicy: Retain`): `<stack>/<env>/<id>`.
/// The ownership tags are removed, so discovery no longer sees it; creating the same resource
/// again (same name or creation token) takes it back.
pub const TAG_RETAINED: &str = "iac:retained";

/// A resource as it exists in AWS.
#[derive(Debug, Clone, Serialize)]
pub struct Observed {
    /// Its logical id (from the `iac:id` tag or the name).
    pub id: LogicalId,
    /// The CloudFormation type, e.g. `AWS::EC2::VPC`.
    pub cfn_type: String,
    /// The identifier used to read, update and delete it (`vpc-...`, an ARN, a name).
    pub physical_id: String,
    /// The `iac:hash` tag, if any.
    pub hash: Option<String>,
    /// Attributes other resources refer to, by CloudFormation name (`Ref`, `Arn`, `GroupId`,
    /// `DNSName`, `Endpoint.Address`...).
    pub attrs: BTreeMap<String, String>,
    /// Key properties read back, in CloudFormation's shape (compared with the desired ones for
    /// plan, drift and the inventory check).
    pub props: Map<String, Json>,
}

impl Observed {
    /// A new observation with `Ref` set to the physical id.
    pub fn new(id: LogicalId, cfn_type: &str, physical_id: impl Into<String>) -> Self {
        let physical_id = physical_id.into();
        let mut attrs = BTreeMap::new();
        attrs.insert("Ref".to_owned(), physical_id.clone());
        Self { id, cfn_type: cfn_type.to_owned(), physical_id, hash: None, attrs, props: Map::new() }
    }

    /// Adds an attribute.
    #[must_use]
    pub fn attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.attrs.insert(name.to_owned(), value.into());
        self
    }

    /// Adds a property read back.
    #[must_use]
    pub fn prop(mut self, name: &str, value: impl Into<Json>) -> Self {
        self.props.insert(name.to_owned(), value.into());
        self
    }
}

/// The tags of a resource: `(key, value)` pairs, in the order given.
pub type Tags = Vec<(String, String)>;

/// Reads `iac:id` and `iac:hash` out of a tag list, if the tags mark this stack and env.
pub fn ours(tags: &[(String, String)], stack: &str, env: &str) -> Option<(LogicalId, Option<String>)> {
    let get = |k: &str| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    if get(TAG_STACK) != Some(stack) || get(TAG_ENV) != Some(env) {
        return None;
    }
    let id = LogicalId::new(get(TAG_ID)?).ok()?;
    Some((id, get(TAG_HASH).map(str::to_owned)))
}

/// Whether `tags` let the stack `stack`/`env` take the resource as its `id`: no ownership tags
/// at all (a create cut off before its tags were written), its own tags, or `iac:retained` by
/// the same stack, environment and id. `Err` names who owns it otherwise.
pub fn claimable(tags: &[(String, String)], stack: &str, env: &str, id: &str) -> Result<(), String> {
    let get = |k: &str| tags.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let mine = format!("{stack}/{env}/{id}");
    match (get(TAG_STACK), get(TAG_ENV), get(TAG_ID), get(TAG_RETAINED)) {
        (None, None, None, None) => Ok(()),
        (None, None, None, Some(r)) if r == mine => Ok(()),
        (None, None, None, Some(r)) => Err(format!("retained by `{r}`")),
        (Some(s), Some(e), Some(i), _) if s == stack && e == env && i == id => Ok(()),
        (s, e, i, _) => {
            Err(format!("owned by stack `{}` env `{}` as `{}`", s.unwrap_or("?"), e.unwrap_or("?"), i.unwrap_or("?")))
        }
    }
}

/// The tags that retain a resource: `tags` without the ownership tags, plus `iac:retained`.
pub fn retained_tags(tags: &[(String, String)], stack: &str, env: &str, id: &str) -> Tags {
    let mut out: Tags = tags
        .iter()
        .filter(|(k, _)| ![TAG_STACK, TAG_ENV, TAG_ID, TAG_HASH, TAG_RETAINED].contains(&k.as_str()))
        .cloned()
        .collect();
    out.push((TAG_RETAINED.to_owned(), format!("{stack}/{env}/{id}")));
    out
}

/// The ownership tag keys a retained resource loses.
pub const OWNERSHIP_TAGS: [&str; 4] = [TAG_STACK, TAG_ENV, TAG_ID, TAG_HASH];

/// The `iac:hash` value in a tag list, if any.
pub fn hash_of(tags: &[(String, String)]) -> Option<String> {
    tags.iter().find(|(k, _)| k == TAG_HASH).map(|(_, v)| v.clone())
}

/// Splits `tags` into the `iac:hash` tag and the rest (the ownership tags), for kinds that put
/// the hash on last, once every part of the resource is in place.
pub fn split_hash(tags: &[(String, String)]) -> (Tags, Tags) {
    tags.iter().cloned().partition(|(k, _)| k == TAG_HASH)
}
