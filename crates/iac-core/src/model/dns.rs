//! Route53 records.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// Record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum RecordType {
    /// IPv4 address (or alias).
    A,
    /// IPv6 address (or alias).
    Aaaa,
    /// Canonical name.
    Cname,
}

impl RecordType {
    /// The Route53 spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
        }
    }
}

/// What a record answers.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum RecordTarget {
    /// An alias to an AWS resource (load balancer, distribution).
    Alias {
        /// The target's DNS name.
        dns_name: Value<String>,
        /// The target's hosted zone.
        hosted_zone_id: Value<String>,
        /// Answer only while the target is healthy.
        evaluate_target_health: bool,
    },
    /// Plain values with a TTL.
    Values {
        /// TTL in seconds.
        ttl: u32,
        /// The values.
        values: Vec<Value<String>>,
    },
}

/// `AWS::Route53::RecordSet` / `aws_route53_record`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct RecordSet {
    /// The hosted zone's id.
    pub hosted_zone_id: Value<String>,
    /// Fully qualified name, e.g. `survey.example.org`.
    pub name: Value<String>,
    /// Type.
    pub record_type: RecordType,
    /// Answer.
    pub target: RecordTarget,
}

impl ResourceKind for RecordSet {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "RecordSet",
        label: "DNS record",
        provider: Provider::Aws,
        cloudformation: Some("AWS::Route53::RecordSet"),
        terraform: Some("aws_route53_record"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("Route53 records take no tags"),
        data: Data::None,
        replacement: crate::replace!["HostedZoneName", "HostedZoneId", "Name": "a record is identified by its name, type and set identifier", "Type": "a record is identified by its name, type and set identifier", "SetIdentifier": "a record is identified by its name, type and set identifier"],
        replacement_notes: &[
            ("Name", "part of the schema's primary identifier: CloudFormation replaces the record too"),
            ("Type", "as Name"),
            ("SetIdentifier", "as Name"),
        ],
        teardown: 0,
    };
    fn unique_dns_names_mut(&mut self) -> Vec<&mut String> {
        match &mut self.name {
            Value::Lit(name) => vec![name],
            _ => Vec::new(),
        }
    }
}
