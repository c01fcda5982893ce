//! Every AWS environment of the five seed systems through the SDK engine on a local moto server:
//! up from nothing, a second plan empty, the inventory read back equal to the CloudFormation
//! rendering resource for resource and property for property (no property exempted), drift made
//! by a direct SDK call reported as exactly that property and converged again, an apply stopped
//! at a resource boundary finished by a rerun, destroy refused without `--allow-data-loss` and,
//! with it, leaving the final snapshots.
//!
//! One test per system (its environments in turn), each on its own moto server.

#![allow(clippy::print_stderr)] // the per-environment measurements are printed on purpose

mod common;

use common::SystemWorld;
use iac_aws::{Engine, Options};
use iac_core::model::{DbInstance, Vpc};

fn quiet(_: &iac_aws::engine::Event) {}

/// The whole life of one environment; returns its measurements for the table.
async fn lifecycle(moto: &common::Moto, system: &str, env: &str) -> String {
    moto.reset();
    let clients = moto.clients().await;
    let world = SystemWorld::create(moto).await;
    let stack = world.stack(system, env);
    let options = world.options(moto, &stack);
    let total = stack.resources().len();
    let what = format!("{system}/{env}");

    // Up from nothing.
    let engine = Engine::new(clients.clone(), stack.clone(), options.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    let plan = engine.plan().await.unwrap_or_else(|e| panic!("{what}: plan: {e}"));
    assert_eq!(plan.counts()[0], total, "{what}: everything is created:\n{plan}");
    let report = engine.apply(&plan, &quiet).await.unwrap_or_else(|e| panic!("{what}: apply: {e}"));
    assert_eq!(report.changed, total, "{what}");

    // Converged: a second plan is empty.
    let again = engine.plan().await.unwrap_or_else(|e| panic!("{what}: plan: {e}"));
    assert!(again.is_empty(), "{what}: second plan is not empty:\n{again}");

    // The inventory equals the CloudFormation rendering, resource for resource.
    let observed = engine.discover().await.unwrap_or_else(|e| panic!("{what}: discover: {e}"));
    let zones = engine.availability_zones().await.expect("zones");
    let mut properties = 0;
    for entry in stack.resources() {
        let o = observed.get(&entry.id).unwrap_or_else(|| panic!("{what}: {} was not found after apply", entry.id));
        let desired = engine.desired(&entry.id, &observed, &zones).unwrap_or_else(|e| panic!("{what}: {e}"));
        properties += desired.len();
        let diff = iac_aws::desired::changed(&serde_json::Value::Object(desired), &o.props);
        assert!(diff.is_empty(), "{what}: {} differs from its CloudFormation rendering in {diff:?}", entry.id);
    }
    assert_eq!(observed.len(), total, "{what}: exactly the stack's resources exist");

    // Drift made outside the tool is reported as exactly that property, and converged again.
    let (vpc_id, vpc) = stack
        .resources()
        .find_map(|e| e.resource.get::<Vpc>().map(|v| (e.id.clone(), v)))
        .unwrap_or_else(|| panic!("{what}: every AWS environment has a VPC"));
    clients
        .ec2
        .modify_vpc_attribute()
        .vpc_id(&observed[&vpc_id].physical_id)
        .enable_dns_hostnames(
            aws_sdk_ec2::types::AttributeBooleanValue::builder().value(!vpc.enable_dns_hostnames).build(),
        )
        .send()
        .await
        .expect("modify outside the tool");
    let drift = engine.drift().await.unwrap_or_else(|e| panic!("{what}: drift: {e}"));
    let found: Vec<(&str, &[String])> = drift.iter().map(|d| (d.id.as_str(), d.properties.as_slice())).collect();
    assert_eq!(found, [(vpc_id.as_str(), ["EnableDnsHostnames".to_owned()].as_slice())], "{what}");
    let repair = engine.plan().await.expect("plan");
    engine.apply(&repair, &quiet).await.unwrap_or_else(|e| panic!("{what}: repair: {e}"));
    assert!(engine.plan().await.expect("plan").is_empty(), "{what}: converged after the repair");

    // Destroy: refused while anything holds data, unless allowed; then the final snapshots stay.
    let holds_data: Vec<_> = stack.resources().filter(|e| e.resource.is_stateful()).map(|e| e.id.to_string()).collect();
    if !holds_data.is_empty() {
        let err = engine.destroy(&quiet).await.expect_err("refused without the flag").to_string();
        assert!(err.contains("--allow-data-loss") && err.contains(&holds_data[0]), "{what}: {err}");
        assert_eq!(engine.discover().await.expect("discover").len(), total, "{what}: nothing was deleted");
    }
    let careless = Engine::new(clients.clone(), stack.clone(), Options { allow_data_loss: true, ..options.clone() })
        .expect("engine");
    let down = careless.destroy(&quiet).await.unwrap_or_else(|e| panic!("{what}: destroy: {e}"));
    assert!(careless.discover().await.expect("discover").is_empty(), "{what}: everything is gone");
    let primaries: Vec<&DbInstance> =
        stack.resources().filter_map(|e| e.resource.get::<DbInstance>()).filter(|db| !db.is_replica()).collect();
    let snapshots = clients.rds.describe_db_snapshots().send().await.expect("snapshots");
    let finals = snapshots
        .db_snapshots()
        .iter()
        .filter(|s| s.db_snapshot_identifier().is_some_and(|i| i.contains("-final-")))
        .count();
    assert_eq!(finals, primaries.len(), "{what}: one final snapshot per primary database");

    // An apply stopped at a resource boundary is finished by a rerun: no duplicate, no orphan.
    let stop_after = total / 3;
    let cut = Engine::new(clients.clone(), stack.clone(), Options { fault_after: Some(stop_after), ..options.clone() })
        .expect("engine");
    let plan = cut.plan().await.expect("plan");
    let err = cut.apply(&plan, &quiet).await.expect_err("the fault hook stops it");
    assert!(err.to_string().contains("fault hook"), "{what}: {err}");
    let rerun = Engine::new(clients.clone(), stack.clone(), options.clone()).expect("engine");
    let plan = rerun.plan().await.unwrap_or_else(|e| panic!("{what}: plan after the stop: {e}"));
    let [_, _, replace, delete, unchanged] = plan.counts();
    assert!(unchanged >= stop_after && replace + delete == 0, "{what}: after a stop at {stop_after}:\n{plan}");
    rerun.apply(&plan, &quiet).await.unwrap_or_else(|e| panic!("{what}: the rerun: {e}"));
    assert!(rerun.plan().await.expect("plan").is_empty(), "{what}: converged after the rerun");
    assert_eq!(rerun.discover().await.expect("discover").len(), total, "{what}: no duplicate, no orphan");

    format!(
        "| {system} | {env} | {total} | {properties} | {} | {:.2} s | {} | {} deleted, {} final snapshot(s) |",
        report.calls, report.seconds, "converged", down.changed, finals
    )
}

async fn system(name: &str, envs: &[&str]) {
    let Some(moto) = common::Moto::start() else { return };
    let mut rows = Vec::new();
    for env in envs {
        rows.push(lifecycle(&moto, name, env).await);
    }
    eprintln!(
        "| system | env | resources | properties compared | SDK calls | apply wall | plan again | destroy |\n|---|---|---|---|---|---|---|---|\n{}",
        rows.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aquamark_dev_and_prod() {
    system("aquamark", &["dev", "prod"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "moto drops a CloudFront origin's OriginAccessControlId, so Ichnaea's asset distribution never converges there (tests/cloudfront.rs shows that is its only difference); run with --ignored to see it"]
async fn ichnaea_dev_and_prod() {
    system("ichnaea", &["dev", "prod"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concerto_dev_and_prod() {
    system("concerto", &["dev", "prod"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewbovis_prod() {
    system("viewbovis", &["prod"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postback_aws() {
    system("postback", &["aws"]).await;
}
