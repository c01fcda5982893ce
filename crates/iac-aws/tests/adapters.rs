//! The typed adapters against every seed stack: every resource of a kind the SDK engine deploys,
//! in every environment of every stack, has CloudFormation properties its adapter takes whole
//! (an unknown key is an error at test time, never a silent drop on the SDK path). And a
//! property the adapter does not handle (an override) is refused by `plan`, naming it.

#![allow(clippy::print_stderr)] // the per-kind counts go to the test's output on purpose

mod common;

use std::collections::{BTreeMap, HashMap};

use common::{Moto, ZONES, fast};
use iac_aws::adapter::SdkKind;
use iac_aws::desired::{self, Facts};
use iac_aws::{AwsError, Engine, Options, services};
use iac_core::model::{Override, Subnet, Vpc};
use iac_core::value::{Pseudo, Value};
use iac_core::{Stack, StackBuilder};
use serde_json::{Value as Json, json};

/// A VPC and a subnet, with CloudFormation overrides on each.
fn network(vpc_override: Vec<Override>, subnet_override: Vec<Override>) -> Stack {
    let mut b = StackBuilder::new("typed", "test");
    let vpc = b.add_with(
        "Vpc",
        Vpc { cidr_block: "10.9.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true },
        |e| e.overrides.extend(vpc_override),
    );
    b.add_with(
        "PublicSubnet",
        Subnet {
            vpc_id: vpc.vpc_id(),
            cidr_block: "10.9.0.0/24".into(),
            availability_zone: Value::Pseudo(Pseudo::AvailabilityZone(0)),
            map_public_ip_on_launch: false,
        },
        |e| e.overrides.extend(subnet_override),
    );
    b.build().expect("builds")
}

/// An override of the CloudFormation properties.
fn cfn_override(path: &str, value: Json) -> Vec<Override> {
    vec![Override::cloudformation(path, value)]
}

#[test]
fn every_seed_resource_of_a_supported_kind_fits_its_adapter() {
    let registry = stacks::registry();
    let zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
    let observed = HashMap::new();
    let mut checked: BTreeMap<SdkKind, usize> = BTreeMap::new();
    let mut unresolved = Vec::new();
    let mut envs = 0;
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name));
            if !iac_render::Target::CloudFormation.applies_to(&stack) {
                continue;
            }
            envs += 1;
            let template = iac_render::cloudformation::template(&stack).expect("renders");
            // Parameters without a default get a stand-in value, as `--param` would.
            let params: BTreeMap<String, String> = stack
                .parameters()
                .iter()
                .filter(|(_, p)| p.default.is_none())
                .map(|(id, _)| (id.to_string(), format!("{id}-value")))
                .collect();
            let facts = Facts {
                stack: &stack,
                params: &params,
                region: "us-east-1",
                account: Some("123456789012"),
                zones: &zones,
                observed: &observed,
            };
            for entry in stack.resources() {
                let Ok(kind) = SdkKind::of(&entry.resource) else { continue };
                let id = entry.id.as_str();
                let where_ = format!("{}/{env} {id}", def.name);
                let raw = &template["Resources"][id]["Properties"];
                assert_eq!(template["Resources"][id]["Type"], json!(kind.cfn_type()), "{where_}");
                // As `plan` resolves them: what only exists after apply is a placeholder.
                let props = match desired::resolve(&facts, id, raw, false) {
                    Ok(Json::Object(props)) => props,
                    Ok(other) => panic!("{where_}: properties are not an object: {other}"),
                    Err(e) => {
                        unresolved.push(format!("{where_}: {e}"));
                        continue;
                    }
                };
                services::check(&stack, entry, &props).unwrap_or_else(|e| panic!("{where_}: {e}"));
                *checked.entry(kind).or_default() += 1;
            }
        }
    }
    eprintln!("{envs} environments; checked per kind: {checked:?}; not resolvable on the SDK path: {unresolved:#?}");
    assert!(envs >= 9, "every AWS environment of the seed stacks is rendered ({envs})");
    // Every kind the engine deploys appears in the seed stacks (so each adapter is exercised),
    // but those no seed stack uses, each checked by a test of its own below.
    let missing: Vec<SdkKind> =
        SdkKind::ALL.iter().copied().filter(|k| !checked.contains_key(k) && !NO_SEED_USE.contains(k)).collect();
    assert!(missing.is_empty(), "kinds no seed stack uses: {missing:?}");
    // Only secrets CloudFormation resolves itself stop the SDK path (a DB password from a secret).
    assert!(unresolved.iter().all(|u| u.contains("dynamic secret references")), "{unresolved:#?}");
}

/// Kinds the engine deploys that no seed stack uses; each has its own test here.
/// Kinds no seed stack uses, each deployed by a test of its own: the cache parameter group below,
/// the scheduled action in `tests/scheduled_action.rs` (no seed stack schedules a group's size).
const NO_SEED_USE: [SdkKind; 2] = [SdkKind::CacheParameterGroup, SdkKind::ScheduledAction];

#[test]
fn a_cache_parameter_group_fits_its_adapter() {
    use iac_core::model::CacheParameterGroup;
    let mut b = StackBuilder::new("typed", "test");
    let parameters =
        [("maxmemory-policy".to_owned(), "allkeys-lru".to_owned()), ("timeout".to_owned(), "300".to_owned())];
    b.add(
        "CacheParams",
        CacheParameterGroup {
            description: "typed test cache parameters".into(),
            family: "redis7".into(),
            parameters: parameters.into_iter().collect(),
        },
    );
    let stack = b.build().expect("builds");
    let template = iac_render::cloudformation::template(&stack).expect("renders");
    let props = template["Resources"]["CacheParams"]["Properties"].as_object().expect("properties").clone();
    assert_eq!(props["Properties"]["maxmemory-policy"], json!("allkeys-lru"));
    let entry = stack.resources().next().expect("the group");
    services::check(&stack, entry, &props).expect("the adapter takes every property the renderer writes");
}

#[test]
fn an_unknown_property_is_refused_with_its_name() {
    let stack = network(Vec::new(), cfn_override("Ipv6Native", json!(true)));
    let entry = stack.resources().find(|e| e.id.as_str() == "PublicSubnet").expect("the subnet");
    let zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
    let (params, observed) = (BTreeMap::new(), HashMap::new());
    let facts = Facts {
        stack: &stack,
        params: &params,
        region: "us-east-1",
        account: None,
        zones: &zones,
        observed: &observed,
    };
    let template = iac_render::cloudformation::template(&stack).expect("renders");
    let props = desired::resolve(&facts, "PublicSubnet", &template["Resources"]["PublicSubnet"]["Properties"], false)
        .expect("resolves");
    let mut props = props.as_object().expect("object").clone();
    let err = services::check(&stack, entry, &props).expect_err("Ipv6Native is not handled");
    let text = err.to_string();
    assert!(matches!(&err, AwsError::Property { property, .. } if property == "Ipv6Native"), "{text}");
    assert!(
        text.contains("stack `typed` resource `PublicSubnet` property `Ipv6Native`")
            && text.contains("the SDK path does not support this property yet"),
        "{text}"
    );

    props.remove("Ipv6Native");
    assert!(services::check(&stack, entry, &props).is_ok());
    // A value of the wrong shape is named too.
    props.insert("MapPublicIpOnLaunch".into(), json!("sometimes"));
    let text = services::check(&stack, entry, &props).expect_err("not a boolean").to_string();
    assert!(text.contains("property `MapPublicIpOnLaunch`") && text.contains("sometimes"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_refuses_an_override_the_sdk_path_would_drop() {
    let Some(moto) = Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = network(Vec::new(), cfn_override("Ipv6Native", json!(true)));
    let engine = Engine::new(clients.clone(), stack, Options { timing: fast(), ..Options::default() }).expect("valid");
    let err = engine.plan().await.expect_err("the override is refused").to_string();
    assert!(
        err.contains("resource `PublicSubnet` property `Ipv6Native`") && err.contains("does not support this property"),
        "{err}"
    );
    // Without it, the same stack plans (and nothing was touched).
    let engine =
        Engine::new(clients, network(Vec::new(), Vec::new()), Options { timing: fast(), ..Options::default() })
            .expect("valid");
    assert_eq!(engine.plan().await.expect("plans").counts(), [2, 0, 0, 0, 0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_account_id_is_looked_up_once_through_sts() {
    let Some(moto) = Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let tags = json!([{ "Key": "account", "Value": { "Ref": "AWS::AccountId" } }]);
    let stack = network(cfn_override("Tags", tags), Vec::new());
    let engine = Engine::new(clients.clone(), stack, Options { timing: fast(), ..Options::default() }).expect("valid");
    assert_eq!(engine.account().await.expect("STS answers"), Some("123456789012"));
    let calls = clients.calls();
    assert_eq!(engine.account().await.expect("cached"), Some("123456789012"));
    assert_eq!(clients.calls(), calls, "looked up once per engine");
    let vpc = iac_core::LogicalId::new("Vpc").expect("valid");
    let zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
    let desired = engine.desired(&vpc, &HashMap::new(), &zones).expect("resolves");
    assert_eq!(desired["Tags"], json!([{ "Key": "account", "Value": "123456789012" }]));
    // That tag list is not the engine's own: the SDK path refuses it rather than drop it.
    let err = engine.plan().await.expect_err("the tags differ").to_string();
    assert!(err.contains("resource `Vpc` property `Tags`"), "{err}");

    // A stack that does not use the account makes no STS call.
    let engine = Engine::new(clients.clone(), network(Vec::new(), Vec::new()), Options::default()).expect("valid");
    let calls = clients.calls();
    assert_eq!(engine.account().await.expect("not needed"), None);
    assert_eq!(clients.calls(), calls);
}
