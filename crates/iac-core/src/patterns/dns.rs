//! `Dns`: records that point a domain at a stack's endpoints.

use crate::model::{Handle, LoadBalancer, RecordSet, RecordTarget, RecordType};
use crate::stack::StackBuilder;
use crate::value::Value;

/// An alias `A` record `name` in `zone` pointing at a load balancer.
pub fn alias_record(
    stack: &mut StackBuilder,
    id: &str,
    hosted_zone_id: impl Into<Value<String>>,
    name: impl Into<Value<String>>,
    lb: &Handle<LoadBalancer>,
) -> Handle<RecordSet> {
    stack.add(
        id,
        RecordSet {
            hosted_zone_id: hosted_zone_id.into(),
            name: name.into(),
            record_type: RecordType::A,
            target: RecordTarget::Alias {
                dns_name: lb.dns_name(),
                hosted_zone_id: lb.canonical_hosted_zone_id(),
                evaluate_target_health: true,
            },
        },
    )
}
