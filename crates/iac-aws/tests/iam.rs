//! The IAM service module on a local moto server: a role with a trust policy, managed and
//! inline policies, and its instance profile; read back equal to the template, found by name
//! and checked by tags (a same-named role of another stack is not adopted), updated in place,
//! and deleted in the right order.

mod common;

use std::collections::HashMap;

use iac_aws::desired;
use iac_aws::services::{self, Ctx, iam};
use iac_aws::state::{Observed, Tags};
use iac_core::model::{InstanceProfile, Policy, Role, Statement};
use iac_core::{LogicalId, Stack, StackBuilder, Value};
use serde_json::{Map, Value as Json};

/// A customer managed policy (moto has no AWS managed ones unless told to load them).
async fn managed_policy(clients: &iac_aws::Clients, name: &str) -> String {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}"#;
    let out = clients.iam.create_policy().policy_name(name).policy_document(doc).send().await.expect("create_policy");
    out.policy().and_then(|p| p.arn()).expect("policy arn").to_owned()
}

fn role(description: &str, managed: &[&str], bucket: &str) -> Role {
    Role {
        description: description.into(),
        assumed_by: vec!["ec2.amazonaws.com".into()],
        managed_policy_arns: managed.iter().map(|a| Value::from(*a)).collect(),
        policies: vec![Policy {
            name: "app".into(),
            statements: vec![Statement {
                allow: true,
                actions: vec!["s3:GetObject".into(), "s3:PutObject".into()],
                resources: vec![Value::from(format!("arn:aws:s3:::{bucket}/*").as_str())],
            }],
        }],
    }
}

/// `WebRole` + `WebProfile`, plus `extra` roles.
fn stack(env: &str, web: Role, extra: &[&str]) -> Stack {
    let mut b = StackBuilder::new("shop", env);
    let r = b.add("WebRole", web);
    b.add("WebProfile", InstanceProfile { role: r.name() });
    for id in extra {
        b.add(id, role("extra", &[], "extra"));
    }
    b.build().expect("stack builds")
}

fn desired(stack: &Stack, observed: &HashMap<LogicalId, Observed>, id: &str) -> (Json, Map<String, Json>, Tags) {
    let (props, tags) = common::desired_in(stack, observed, id, &common::ZONES[..2]);
    let map = props.as_object().cloned().unwrap_or_default();
    (props, map, tags)
}

fn entry<'a>(stack: &'a Stack, id: &str) -> &'a iac_core::model::ResourceEntry {
    stack.resource(&LogicalId::new(id).expect("id")).expect("entry")
}

fn lid(id: &str) -> LogicalId {
    LogicalId::new(id).expect("id")
}

fn hash_of(tags: &Tags) -> Option<String> {
    tags.iter().find(|(k, _)| k == "iac:hash").map(|(_, v)| v.clone())
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn iam_role_and_profile_lifecycle() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let ssm = managed_policy(&clients, "ssm-read").await;
    let logs = managed_policy(&clients, "logs-write").await;

    let stack1 = stack("test", role("shop test web", &[&ssm], "shop-data"), &["WorkerRole"]);
    let ctx = Ctx { clients: &clients, stack: &stack1, timing: common::fast() };
    let mut observed: HashMap<LogicalId, Observed> = HashMap::new();
    for id in ["WebRole", "WorkerRole", "WebProfile"] {
        let (props, map, tags) = desired(&stack1, &observed, id);
        let o = services::create(&ctx, entry(&stack1, id), &map, &tags)
            .await
            .unwrap_or_else(|e| panic!("create {id}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{id}: read back differs in {diff:?}: {:?}", o.props);
        observed.insert(o.id.clone(), o);
    }
    let web = &observed[&lid("WebRole")];
    assert_eq!(web.attrs["Ref"], "shop-test-web-role");
    assert_eq!(web.attrs["Arn"], "arn:aws:iam::123456789012:role/shop-test-web-role");
    let profile = &observed[&lid("WebProfile")];
    assert_eq!(profile.attrs["Ref"], "shop-test-web-profile");
    assert_eq!(profile.attrs["Arn"], "arn:aws:iam::123456789012:instance-profile/shop-test-web-profile");
    assert_eq!(profile.props["Roles"], serde_json::json!(["shop-test-web-role"]));

    // What IAM holds: path `/`, the trust policy, both kinds of policy, the tags.
    let got = clients.iam.get_role().role_name("shop-test-web-role").send().await.expect("get_role");
    let r = got.role().expect("role");
    assert_eq!(r.path(), "/");
    assert_eq!(r.description(), Some("shop test web"));
    let attached =
        clients.iam.list_attached_role_policies().role_name("shop-test-web-role").send().await.expect("attached");
    assert_eq!(attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect::<Vec<_>>(), [ssm.as_str()]);
    let inline = clients.iam.list_role_policies().role_name("shop-test-web-role").send().await.expect("inline");
    assert_eq!(inline.policy_names(), ["app"]);
    let tags = clients.iam.list_role_tags().role_name("shop-test-web-role").send().await.expect("tags");
    let tag = |k: &str| tags.tags().iter().find(|t| t.key() == k).map(|t| t.value().to_owned());
    assert_eq!(tag("iac:stack").as_deref(), Some("shop"));
    assert_eq!(tag("iac:id").as_deref(), Some("WebRole"));
    assert_eq!(tag("iac:hash"), web.hash);
    // The instance profile carries the stack's tags too (CloudFormation cannot tag one).
    let p = clients
        .iam
        .get_instance_profile()
        .instance_profile_name("shop-test-web-profile")
        .send()
        .await
        .expect("profile");
    let ptags = p.instance_profile().expect("profile").tags();
    assert!(ptags.iter().any(|t| t.key() == "iac:id" && t.value() == "WebProfile"), "{ptags:?}");
    assert!(ptags.iter().any(|t| t.key() == "iac:env" && t.value() == "test"), "{ptags:?}");

    // Discovery by name, with the hash from the tags and the read-back equal to the template.
    let found = iam::discover(&ctx).await.expect("discover");
    assert_eq!(found.len(), 3, "{found:?}");
    for o in &found {
        let (props, _, tags) = desired(&stack1, &observed, o.id.as_str());
        assert_eq!(o.hash, hash_of(&tags), "{} hash", o.id);
        assert!(desired::changed(&props, &o.props).is_empty(), "{}: {:?}", o.id, desired::changed(&props, &o.props));
    }

    // A role named like one of ours but tagged for another stack is never adopted.
    let staging = stack("staging", role("staging web", &[], "x"), &[]);
    clients
        .iam
        .create_role()
        .role_name("shop-staging-web-role")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[]}"#)
        .tags(aws_sdk_iam::types::Tag::builder().key("iac:stack").value("someone-else").build().unwrap())
        .tags(aws_sdk_iam::types::Tag::builder().key("iac:env").value("staging").build().unwrap())
        .tags(aws_sdk_iam::types::Tag::builder().key("iac:id").value("WebRole").build().unwrap())
        .send()
        .await
        .expect("foreign role");
    let staging_ctx = Ctx { clients: &clients, stack: &staging, timing: common::fast() };
    assert!(iam::discover(&staging_ctx).await.expect("discover").is_empty(), "a foreign role was adopted");

    // A role removed from the stack is still found (by its name prefix), so it can be deleted.
    let stack2 = stack("test", role("shop test web, v2", &[&logs], "shop-data-v2"), &[]);
    let ctx2 = Ctx { clients: &clients, stack: &stack2, timing: common::fast() };
    let found = iam::discover(&ctx2).await.expect("discover");
    assert!(found.iter().any(|o| o.id.as_str() == "WorkerRole"), "the orphan role is found: {found:?}");

    // Update in place: description, managed policy swapped, inline policy changed, re-tagged.
    let (props, map, tags) = desired(&stack2, &observed, "WebRole");
    let o = services::update(&ctx2, entry(&stack2, "WebRole"), &observed[&lid("WebRole")], &map, &tags)
        .await
        .expect("update role");
    assert!(desired::changed(&props, &o.props).is_empty(), "{:?}", desired::changed(&props, &o.props));
    assert_eq!(o.props["Description"], "shop test web, v2");
    assert_eq!(o.props["ManagedPolicyArns"], serde_json::json!([logs]));
    assert!(o.props["Policies"].to_string().contains("shop-data-v2"), "{}", o.props["Policies"]);
    let tags_now = clients.iam.list_role_tags().role_name("shop-test-web-role").send().await.expect("tags");
    let hash_now = tags_now.tags().iter().find(|t| t.key() == "iac:hash").map(|t| t.value().to_owned());
    assert_eq!(hash_now, hash_of(&tags));
    let (_, map, tags) = desired(&stack2, &observed, "WebProfile");
    let p = services::update(&ctx2, entry(&stack2, "WebProfile"), &observed[&lid("WebProfile")], &map, &tags)
        .await
        .expect("update profile");
    assert_eq!(p.props["Roles"], serde_json::json!(["shop-test-web-role"]));
    observed.insert(o.id.clone(), o);

    // Delete the role first, while it is still in the profile: it is taken out, its policies
    // detached and deleted, then it goes. Then the profile, the orphan, and each a second time.
    for id in ["WebRole", "WebProfile", "WorkerRole"] {
        let o = observed[&lid(id)].clone();
        services::delete(&ctx2, &o).await.unwrap_or_else(|e| panic!("delete {id}: {e}"));
        services::delete(&ctx2, &o).await.unwrap_or_else(|e| panic!("second delete {id}: {e}"));
    }
    assert!(clients.iam.get_role().role_name("shop-test-web-role").send().await.is_err());
    assert!(clients.iam.get_instance_profile().instance_profile_name("shop-test-web-profile").send().await.is_err());
    assert!(iam::discover(&ctx2).await.expect("discover").is_empty());
    // The foreign role is untouched.
    assert!(clients.iam.get_role().role_name("shop-staging-web-role").send().await.is_ok());
}

#[tokio::test]
async fn a_role_half_created_is_not_trusted() {
    // A run killed after CreateRole but before the policies were attached leaves a role without
    // the hash tag, so the engine re-applies it instead of planning "unchanged".
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack1 = stack("test", role("web", &[], "b"), &[]);
    let ctx = Ctx { clients: &clients, stack: &stack1, timing: common::fast() };
    let observed = HashMap::new();
    let (_, map, _) = desired(&stack1, &observed, "WebRole");
    let mut tags = iac_core::naming::tags(&stack1, entry(&stack1, "WebRole"));
    let iam_tags: Vec<aws_sdk_iam::types::Tag> =
        tags.drain(..).map(|(k, v)| aws_sdk_iam::types::Tag::builder().key(k).value(v).build().unwrap()).collect();
    clients
        .iam
        .create_role()
        .role_name("shop-test-web-role")
        .assume_role_policy_document(map["AssumeRolePolicyDocument"].to_string())
        .set_tags(Some(iam_tags))
        .send()
        .await
        .expect("create_role");
    let found = iam::discover(&ctx).await.expect("discover");
    let web = found.iter().find(|o| o.id.as_str() == "WebRole").expect("found by name and tags");
    assert_eq!(web.hash, None);
    assert!(!desired::changed(&Json::Object(map), &web.props).is_empty(), "the missing inline policy shows");
}
