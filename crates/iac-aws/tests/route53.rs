//! The Route53 service module on a local moto server: an alias A record and a plain CNAME with a
//! TTL, upserted, read back equal to the template, found by zone, name and type (records cannot
//! be tagged), changed in place, and deleted exactly as they are.

mod common;

use std::collections::HashMap;

use iac_aws::desired;
use iac_aws::services::{self, Ctx, route53};
use iac_aws::state::{Observed, Tags};
use iac_core::model::{RecordSet, RecordTarget, RecordType};
use iac_core::{LogicalId, Stack, StackBuilder, Value};
use serde_json::{Map, Value as Json};

const ELB_ZONE: &str = "Z35SXDOTRQ7X7K";

async fn hosted_zone(clients: &iac_aws::Clients) -> String {
    let out = clients
        .route53
        .create_hosted_zone()
        .name("example.org")
        .caller_reference("iac-test")
        .send()
        .await
        .expect("create_hosted_zone");
    let id = out.hosted_zone().map(|z| z.id().to_owned()).expect("zone id");
    id.trim_start_matches("/hostedzone/").to_owned()
}

fn stack(zone: &str, lb_dns: &str, www_ttl: u32, www_target: &str) -> Stack {
    let mut b = StackBuilder::new("shop", "test");
    b.add(
        "SiteRecord",
        RecordSet {
            hosted_zone_id: Value::from(zone),
            name: "shop.example.org".into(),
            record_type: RecordType::A,
            target: RecordTarget::Alias {
                dns_name: lb_dns.into(),
                hosted_zone_id: ELB_ZONE.into(),
                evaluate_target_health: true,
            },
        },
    );
    b.add(
        "WwwRecord",
        RecordSet {
            hosted_zone_id: Value::from(zone),
            name: "www.example.org".into(),
            record_type: RecordType::Cname,
            target: RecordTarget::Values { ttl: www_ttl, values: vec![www_target.into()] },
        },
    );
    b.build().expect("stack builds")
}

fn desired(stack: &Stack, id: &str) -> (Json, Map<String, Json>, Tags) {
    let (props, tags) = common::desired_in(stack, &HashMap::new(), id, &common::ZONES[..1]);
    let map = props.as_object().cloned().unwrap_or_default();
    (props, map, tags)
}

fn entry<'a>(stack: &'a Stack, id: &str) -> &'a iac_core::model::ResourceEntry {
    stack.resource(&LogicalId::new(id).expect("id")).expect("entry")
}

async fn records(clients: &iac_aws::Clients, zone: &str) -> Vec<aws_sdk_route53::types::ResourceRecordSet> {
    let out = clients.route53.list_resource_record_sets().hosted_zone_id(zone).send().await.expect("list records");
    out.resource_record_sets().iter().filter(|r| !matches!(r.r#type().as_str(), "NS" | "SOA")).cloned().collect()
}

#[tokio::test]
async fn route53_records_lifecycle() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let zone = hosted_zone(&clients).await;
    let lb = "shop-test-web-lb-1.us-east-1.elb.amazonaws.com";

    let stack1 = stack(&zone, lb, 300, "shop.example.org");
    let ctx = Ctx { clients: &clients, stack: &stack1, timing: common::fast() };
    let mut observed = HashMap::new();
    for id in ["SiteRecord", "WwwRecord"] {
        let (props, map, tags) = desired(&stack1, id);
        let o = services::create(&ctx, entry(&stack1, id), &map, &tags)
            .await
            .unwrap_or_else(|e| panic!("create {id}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{id}: read back differs in {diff:?}: {:?}", o.props);
        observed.insert(o.id.clone(), o);
    }
    let site = &observed[&LogicalId::new("SiteRecord").unwrap()];
    assert_eq!(site.physical_id, format!("{zone}|shop.example.org|A"));
    assert_eq!(site.attrs["Ref"], site.physical_id);
    let www = &observed[&LogicalId::new("WwwRecord").unwrap()];
    assert_eq!(www.props["TTL"], "300");

    // In the zone: the alias and the CNAME, once each.
    let now = records(&clients, &zone).await;
    assert_eq!(now.len(), 2, "{now:?}");
    let alias = now.iter().find(|r| r.r#type().as_str() == "A").and_then(|r| r.alias_target()).expect("alias");
    assert_eq!(alias.hosted_zone_id(), ELB_ZONE);
    assert!(alias.evaluate_target_health());

    // Discovery by zone, name and type; no hash (records take no tags); read-back equals desired.
    let found = route53::discover(&ctx).await.expect("discover");
    assert_eq!(found.len(), 2, "{found:?}");
    for o in &found {
        let (props, _, _) = desired(&stack1, o.id.as_str());
        assert_eq!(o.hash, None);
        assert!(desired::changed(&props, &o.props).is_empty(), "{}: {:?}", o.id, desired::changed(&props, &o.props));
        assert_eq!(o.physical_id, observed[&o.id].physical_id);
    }

    // A change shows as a difference, and an update applies it in place.
    let stack2 = stack(&zone, "shop-test-web-lb-2.us-east-1.elb.amazonaws.com", 60, "shop2.example.org");
    let ctx2 = Ctx { clients: &clients, stack: &stack2, timing: common::fast() };
    for id in ["SiteRecord", "WwwRecord"] {
        let (props, map, tags) = desired(&stack2, id);
        let current = observed[&LogicalId::new(id).unwrap()].clone();
        assert!(!desired::changed(&props, &current.props).is_empty(), "{id}: the change is visible");
        let o = services::update(&ctx2, entry(&stack2, id), &current, &map, &tags)
            .await
            .unwrap_or_else(|e| panic!("update {id}: {e}"));
        assert!(desired::changed(&props, &o.props).is_empty(), "{id}: {:?}", desired::changed(&props, &o.props));
        assert_eq!(o.physical_id, current.physical_id);
        observed.insert(o.id.clone(), o);
    }
    let now = records(&clients, &zone).await;
    assert_eq!(now.len(), 2, "an upsert replaces, never duplicates: {now:?}");
    let cname = now.iter().find(|r| r.r#type().as_str() == "CNAME").expect("cname");
    assert_eq!(cname.ttl(), Some(60));
    assert_eq!(cname.resource_records()[0].value(), "shop2.example.org");

    // Delete each exactly as it is now; a second delete is a no-op.
    for id in ["SiteRecord", "WwwRecord"] {
        let o = observed[&LogicalId::new(id).unwrap()].clone();
        services::delete(&ctx2, &o).await.unwrap_or_else(|e| panic!("delete {id}: {e}"));
        services::delete(&ctx2, &o).await.unwrap_or_else(|e| panic!("second delete {id}: {e}"));
    }
    assert!(records(&clients, &zone).await.is_empty());
    assert!(route53::discover(&ctx2).await.expect("discover").is_empty());
    // The zone is empty again, so it can go.
    clients.route53.delete_hosted_zone().id(&zone).send().await.expect("empty zone deletes");
}

#[tokio::test]
async fn a_record_in_a_missing_zone_is_simply_absent() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack1 = stack("ZNOSUCHZONE0000", "lb.example.com", 300, "x.example.org");
    let ctx = Ctx { clients: &clients, stack: &stack1, timing: common::fast() };
    assert!(route53::discover(&ctx).await.expect("discover").is_empty());
    let gone = Observed::new(
        LogicalId::new("WwwRecord").unwrap(),
        "AWS::Route53::RecordSet",
        "ZNOSUCHZONE0000|www.example.org|CNAME",
    );
    services::delete(&ctx, &gone).await.expect("deleting from a missing zone succeeds");
}

#[test]
fn replacement_properties() {
    let r = services::replaced_by("AWS::Route53::RecordSet");
    for p in ["HostedZoneId", "Name", "Type"] {
        assert!(r.contains(&p), "{p}");
    }
    assert!(!r.contains(&"TTL"));
}
