//! Property values and typed references.
//!
//! Every resource property that could come from somewhere else is a [`Value<T>`]: a literal, a
//! reference to another resource's attribute ([`AttrRef`]), a stack parameter, a join of string
//! parts, a secret reference, or a pseudo value such as the region. Each backend renders a
//! reference in its own syntax (`Fn::GetAtt`, an HCL traversal, the value read back from AWS); there
//! are no marker strings inside plain strings.

use serde::Serialize;

use crate::id::LogicalId;

pub use iac_derive::Refs;

/// A resource attribute that another resource can refer to.
///
/// The set is closed so that every backend can map each one; [`crate::model::Resource::supports`]
/// says which kinds expose which attributes, and validation rejects the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Attr {
    /// The primary identifier (`Ref` in CloudFormation, `id` in Terraform).
    Id,
    /// The ARN.
    Arn,
    /// The physical name (role name, group name, subnet group name...).
    Name,
    /// A load balancer's DNS name.
    DnsName,
    /// A load balancer's Route53 zone, for alias records.
    CanonicalHostedZoneId,
    /// A database's endpoint host name.
    EndpointAddress,
    /// A database's endpoint port.
    EndpointPort,
    /// The ARN of the Secrets Manager secret RDS manages for the master password.
    MasterUserSecretArn,
    /// A launch template's latest version number.
    LatestVersionNumber,
    /// An Elastic IP's allocation id.
    AllocationId,
    /// An instance's private IP address.
    PrivateIp,
    /// A VPC's primary CIDR block.
    CidrBlock,
    /// A cache replication group's reader endpoint host name (spreads reads over the replicas).
    ReaderEndpointAddress,
    /// A bucket's regional domain name (`<bucket>.s3.<region>.amazonaws.com`), a CloudFront origin.
    RegionalDomainName,
    /// A subnet's availability zone (where a data volume for an instance in it must be).
    AvailabilityZone,
}

impl Attr {
    /// The model's name of the attribute, e.g. `EndpointAddress`.
    pub fn name(self) -> &'static str {
        match self {
            Attr::Id => "Id",
            Attr::Arn => "Arn",
            Attr::Name => "Name",
            Attr::DnsName => "DnsName",
            Attr::CanonicalHostedZoneId => "CanonicalHostedZoneId",
            Attr::EndpointAddress => "EndpointAddress",
            Attr::EndpointPort => "EndpointPort",
            Attr::MasterUserSecretArn => "MasterUserSecretArn",
            Attr::LatestVersionNumber => "LatestVersionNumber",
            Attr::AllocationId => "AllocationId",
            Attr::PrivateIp => "PrivateIp",
            Attr::CidrBlock => "CidrBlock",
            Attr::ReaderEndpointAddress => "ReaderEndpointAddress",
            Attr::RegionalDomainName => "RegionalDomainName",
            Attr::AvailabilityZone => "AvailabilityZone",
        }
    }
}

/// A reference to an attribute of a resource in the same stack.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AttrRef {
    /// The resource referred to.
    pub id: LogicalId,
    /// Which of its attributes.
    pub attr: Attr,
}

/// Values known only where the stack is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Pseudo {
    /// The region deployed to.
    Region,
    /// The account deployed to.
    AccountId,
    /// The n-th availability zone of the region (0-based), in the provider's order.
    AvailabilityZone(u8),
}

/// Where a secret lives. Secrets are only ever references: no backend ever sees the value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum SecretSource {
    /// A Secrets Manager secret, by ARN or name (often another resource's attribute, such as
    /// [`Attr::MasterUserSecretArn`]).
    SecretsManager(Box<Value<String>>),
    /// An SSM `SecureString` parameter, by name.
    SsmSecureString(String),
}

/// How a secret's value is inserted where it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum SecretEncoding {
    /// As it is.
    #[default]
    Raw,
    /// Percent-encoded, for use inside a URL (a password in `DATABASE_URL`).
    Url,
}

/// A reference to a secret value, optionally one key of a JSON secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SecretRef {
    /// Where it lives.
    pub source: SecretSource,
    /// For a JSON secret, the key to read (`password` for RDS-managed secrets).
    pub json_key: Option<String>,
    /// How to insert it.
    pub encoding: SecretEncoding,
}

impl SecretRef {
    /// A Secrets Manager secret by ARN or name.
    pub fn secrets_manager(id: impl Into<Value<String>>) -> Self {
        Self {
            source: SecretSource::SecretsManager(Box::new(id.into())),
            json_key: None,
            encoding: SecretEncoding::Raw,
        }
    }

    /// An SSM `SecureString` parameter by name.
    pub fn ssm(name: impl Into<String>) -> Self {
        Self { source: SecretSource::SsmSecureString(name.into()), json_key: None, encoding: SecretEncoding::Raw }
    }

    /// Reads one key of a JSON secret.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.json_key = Some(key.into());
        self
    }

    /// Percent-encodes the value where it is inserted.
    #[must_use]
    pub fn url_encoded(mut self) -> Self {
        self.encoding = SecretEncoding::Url;
        self
    }
}

/// A property value: a literal or something resolved by the backend.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum Value<T> {
    /// A literal.
    Lit(T),
    /// Another resource's attribute.
    Attr(AttrRef),
    /// A stack parameter, by id.
    Param(LogicalId),
    /// A pseudo value such as the region.
    Pseudo(Pseudo),
    /// String parts concatenated (only built through [`Value::join`]).
    Join(Vec<Value<String>>),
    /// A secret, resolved where it is consumed and never written out.
    Secret(SecretRef),
}

/// Types that can be literals in a [`Value`].
pub trait Literal: Clone + std::fmt::Debug {
    /// The literal as JSON (what CloudFormation and Terraform both accept).
    fn to_json(&self) -> serde_json::Value;
}

macro_rules! literal_via_json {
    ($($t:ty),*) => {$(
        impl Literal for $t {
            fn to_json(&self) -> serde_json::Value { serde_json::json!(self) }
        }
        impl From<$t> for Value<$t> {
            fn from(v: $t) -> Self { Value::Lit(v) }
        }
    )*};
}
literal_via_json!(String, bool, u16, u32, u64, i64, f64);

impl From<&str> for Value<String> {
    fn from(v: &str) -> Self {
        Value::Lit(v.to_owned())
    }
}

impl From<&String> for Value<String> {
    fn from(v: &String) -> Self {
        Value::Lit(v.clone())
    }
}

impl From<SecretRef> for Value<String> {
    fn from(v: SecretRef) -> Self {
        Value::Secret(v)
    }
}

impl<T> From<AttrRef> for Value<T> {
    fn from(v: AttrRef) -> Self {
        Value::Attr(v)
    }
}

impl<T> Value<T> {
    /// The literal, if this is one.
    pub fn as_lit(&self) -> Option<&T> {
        match self {
            Value::Lit(v) => Some(v),
            _ => None,
        }
    }

    /// A parameter reference.
    pub fn param(id: &LogicalId) -> Self {
        Value::Param(id.clone())
    }

    /// Adds every reference inside this value to `out`.
    pub fn collect_refs(&self, out: &mut Refs) {
        match self {
            Value::Lit(_) | Value::Pseudo(_) => {}
            Value::Attr(r) => out.attrs.push(r.clone()),
            Value::Param(p) => out.params.push(p.clone()),
            Value::Join(parts) => parts.iter().for_each(|p| p.collect_refs(out)),
            Value::Secret(s) => s.collect_refs(out),
        }
    }

    /// Calls `f` on every reference inside this value, which may change it in place.
    pub fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        match self {
            Value::Lit(_) | Value::Pseudo(_) => {}
            Value::Attr(r) => f(RefMut::Attr(r)),
            Value::Param(p) => f(RefMut::Param(p)),
            Value::Join(parts) => parts.iter_mut().for_each(|p| p.rewrite_refs(f)),
            Value::Secret(s) => s.rewrite_refs(f),
        }
    }

    /// True when the value contains a secret anywhere.
    pub fn contains_secret(&self) -> bool {
        match self {
            Value::Secret(_) => true,
            Value::Join(parts) => parts.iter().any(Value::contains_secret),
            _ => false,
        }
    }
}

impl Value<String> {
    /// Concatenates parts; adjacent literals are merged and a single part is returned as is.
    pub fn join<I, V>(parts: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<Value<String>>,
    {
        let mut out: Vec<Value<String>> = Vec::new();
        for part in parts {
            match part.into() {
                Value::Join(inner) => {
                    for p in inner {
                        push_merged(&mut out, p);
                    }
                }
                p => push_merged(&mut out, p),
            }
        }
        out.retain(|p| !matches!(p, Value::Lit(s) if s.is_empty()));
        match out.len() {
            0 => Value::Lit(String::new()),
            1 => out.pop().expect("one part"),
            _ => Value::Join(out),
        }
    }
}

fn push_merged(out: &mut Vec<Value<String>>, part: Value<String>) {
    if let (Some(Value::Lit(prev)), Value::Lit(next)) = (out.last_mut(), &part) {
        prev.push_str(next);
    } else {
        out.push(part);
    }
}

impl SecretRef {
    /// Adds the references in the secret's location to `out`.
    pub fn collect_refs(&self, out: &mut Refs) {
        if let SecretSource::SecretsManager(id) = &self.source {
            id.collect_refs(out);
        }
    }

    /// Calls `f` on the references in the secret's location.
    pub fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        if let SecretSource::SecretsManager(id) = &mut self.source {
            id.rewrite_refs(f);
        }
    }
}

/// One reference inside a value, open for rewriting (see [`HasRefs::rewrite_refs`]): how a
/// stack's copy gets its ids prefixed without touching any rendered text.
#[derive(Debug)]
pub enum RefMut<'a> {
    /// An attribute reference.
    Attr(&'a mut AttrRef),
    /// A parameter reference.
    Param(&'a mut LogicalId),
}

/// The references a resource (or part of one) makes.
#[derive(Debug, Default, Clone)]
pub struct Refs {
    /// Attribute references.
    pub attrs: Vec<AttrRef>,
    /// Parameter references.
    pub params: Vec<LogicalId>,
}

/// Anything that may contain references.
///
/// Model types derive it (`#[derive(Refs)]`, from iac-derive): both walks are generated from
/// the fields, each walked through its own type. Only the types that carry references themselves
/// ([`Value`], [`SecretRef`]), the containers below and the leaves without references implement
/// it by hand.
pub trait HasRefs {
    /// Adds every reference to `out`.
    fn collect_refs(&self, out: &mut Refs);
    /// Calls `f` on every reference (the same ones [`HasRefs::collect_refs`] finds), which may
    /// change it in place.
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>));
}

impl<T> HasRefs for Value<T> {
    fn collect_refs(&self, out: &mut Refs) {
        Value::collect_refs(self, out);
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        Value::rewrite_refs(self, f);
    }
}

impl<T: HasRefs> HasRefs for Vec<T> {
    fn collect_refs(&self, out: &mut Refs) {
        for v in self {
            v.collect_refs(out);
        }
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        for v in self {
            v.rewrite_refs(f);
        }
    }
}

impl<T: HasRefs> HasRefs for Option<T> {
    fn collect_refs(&self, out: &mut Refs) {
        if let Some(v) = self {
            v.collect_refs(out);
        }
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        if let Some(v) = self {
            v.rewrite_refs(f);
        }
    }
}

impl HasRefs for SecretRef {
    fn collect_refs(&self, out: &mut Refs) {
        SecretRef::collect_refs(self, out);
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        SecretRef::rewrite_refs(self, f);
    }
}

impl<T: HasRefs + ?Sized> HasRefs for Box<T> {
    fn collect_refs(&self, out: &mut Refs) {
        (**self).collect_refs(out);
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        (**self).rewrite_refs(f);
    }
}

macro_rules! tuple_refs {
    ($( ($($t:ident . $i:tt),+) )*) => {$(
        impl<$($t: HasRefs),+> HasRefs for ($($t,)+) {
            fn collect_refs(&self, out: &mut Refs) {
                $( self.$i.collect_refs(out); )+
            }
            fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
                $( self.$i.rewrite_refs(f); )+
            }
        }
    )*};
}
tuple_refs!((A.0, B.1)(A.0, B.1, C.2));

/// Map keys are names (a parameter, a sysctl key, a tag), never references: only the values are
/// walked.
impl<K, V: HasRefs, S> HasRefs for indexmap::IndexMap<K, V, S> {
    fn collect_refs(&self, out: &mut Refs) {
        for v in self.values() {
            v.collect_refs(out);
        }
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        for v in self.values_mut() {
            v.rewrite_refs(f);
        }
    }
}

/// Keys are names, never references, as for [`indexmap::IndexMap`].
impl<K, V: HasRefs> HasRefs for std::collections::BTreeMap<K, V> {
    fn collect_refs(&self, out: &mut Refs) {
        for v in self.values() {
            v.collect_refs(out);
        }
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        for v in self.values_mut() {
            v.rewrite_refs(f);
        }
    }
}

/// A set's elements cannot change in place: rewriting takes them out and puts them back.
impl<T: HasRefs + Ord> HasRefs for std::collections::BTreeSet<T> {
    fn collect_refs(&self, out: &mut Refs) {
        for v in self {
            v.collect_refs(out);
        }
    }
    fn rewrite_refs(&mut self, f: &mut dyn FnMut(RefMut<'_>)) {
        *self = std::mem::take(self)
            .into_iter()
            .map(|mut v| {
                v.rewrite_refs(f);
                v
            })
            .collect();
    }
}

/// Types that hold no references: their walks find nothing. A field of one of these types needs
/// no attribute in `#[derive(Refs)]`.
macro_rules! no_refs {
    ($($t:ty),* $(,)?) => {$(
        impl HasRefs for $t {
            fn collect_refs(&self, _: &mut Refs) {}
            fn rewrite_refs(&mut self, _: &mut dyn FnMut(RefMut<'_>)) {}
        }
    )*};
}
no_refs!(String, bool, u8, u16, u32, u64, usize, i32, i64, f64, serde_json::Value);

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> LogicalId {
        LogicalId::new(s).unwrap()
    }

    #[test]
    fn join_merges_literals_and_flattens() {
        let host = Value::Attr(AttrRef { id: id("Db"), attr: Attr::EndpointAddress });
        let inner = Value::join(["a", "b"]);
        assert_eq!(inner, Value::Lit("ab".into()));
        let v = Value::join([Value::from("postgres://"), host.clone(), Value::from(":"), Value::from("5432")]);
        assert_eq!(v, Value::Join(vec![Value::Lit("postgres://".into()), host.clone(), Value::Lit(":5432".into())]));
        let nested = Value::join([v.clone(), Value::from("/db")]);
        let Value::Join(parts) = nested else { panic!("join") };
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], Value::Lit(":5432/db".into()));
    }

    /// A field marked `#[refs(skip)]` is left out of both walks; every other one is walked
    /// through its type, tuples and maps included.
    #[derive(Clone, Refs)]
    struct Probe {
        walked: Value<String>,
        #[refs(skip)]
        skipped: Vec<Value<String>>,
        nested: Option<(u32, Box<Value<String>>)>,
        by_name: indexmap::IndexMap<String, SecretRef>,
    }

    #[test]
    fn derived_walks_visit_every_field_but_skipped_ones() {
        let attr = |s: &str| Value::Attr(AttrRef { id: id(s), attr: Attr::Id });
        let mut probe = Probe {
            walked: attr("A"),
            skipped: vec![attr("Skipped")],
            nested: Some((1, Box::new(attr("B")))),
            by_name: indexmap::IndexMap::from([("k".to_owned(), SecretRef::secrets_manager(attr("C")))]),
        };
        let mut refs = Refs::default();
        probe.collect_refs(&mut refs);
        let ids: Vec<&str> = refs.attrs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["A", "B", "C"]);
        probe.rewrite_refs(&mut |r| {
            if let RefMut::Attr(a) = r {
                a.id = id(&format!("X{}", a.id));
            }
        });
        let mut refs = Refs::default();
        probe.collect_refs(&mut refs);
        let ids: Vec<&str> = refs.attrs.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["XA", "XB", "XC"]);
        assert_eq!(probe.skipped, vec![attr("Skipped")]);
    }

    #[test]
    fn refs_are_found_inside_joins_and_secrets() {
        let secret = SecretRef::secrets_manager(Value::Attr(AttrRef { id: id("Db"), attr: Attr::MasterUserSecretArn }))
            .key("password")
            .url_encoded();
        let v = Value::join([Value::from("x"), Value::Secret(secret), Value::Param(id("Ami"))]);
        let mut refs = Refs::default();
        v.collect_refs(&mut refs);
        assert_eq!(refs.attrs, vec![AttrRef { id: id("Db"), attr: Attr::MasterUserSecretArn }]);
        assert_eq!(refs.params, vec![id("Ami")]);
        assert!(v.contains_secret());
        assert!(!Value::from("x").contains_secret());
    }
}
