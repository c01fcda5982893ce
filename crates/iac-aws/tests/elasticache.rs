//! ElastiCache through the SDK engine on a local moto server, with Ichnaea dev's own Redis
//! replication group and subnet group (and the network and security groups they use): up from
//! nothing, read back equal to the template as far as moto describes it, its endpoint in the
//! attributes a dependant's Redis URL is made of, a second plan empty, a snapshot-retention change
//! applied as exactly that property, drift made through the SDK reported as that property, a new
//! group id planned as a replacement that loses data (refused without the flag, and with it the
//! old group deleted with a final snapshot named in the request and in the report), and destroy
//! refused without `--allow-data-loss`; with it the group goes first, with its final snapshot.
//!
//! What moto cannot do is listed in `services::elasticache`'s docs: no final snapshot is really
//! made (the request is checked instead), a deleted group stays `deleting`, and a subnet group
//! cannot be deleted (so a full destroy stops there on moto, after the replication group).

mod common;

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use iac_aws::engine::Event;
use iac_aws::{Action, Engine, Options};
use iac_core::Stack;
use iac_core::model::{Resource, ResourceEntry};

fn quiet(_: &Event) {}

const GROUP: &str = "ichnaea-dev-cache-replication-group";

/// Keeps the body of every `DeleteReplicationGroup` request.
#[derive(Debug, Default, Clone)]
struct Deletes(Arc<Mutex<Vec<String>>>);

impl Intercept for Deletes {
    fn name(&self) -> &'static str {
        "record-deletes"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let body =
            context.request().body().bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
        if body.contains("Action=DeleteReplicationGroup") {
            self.0.lock().expect("not poisoned").push(body);
        }
        Ok(())
    }
}

fn cache(edit: impl Fn(&mut ResourceEntry)) -> Stack {
    let seed = common::seed::stack("ichnaea", "dev");
    common::seed::part(&seed, &["CacheReplicationGroup"], edit)
}

fn edit_group(f: impl Fn(&mut iac_core::model::CacheReplicationGroup)) -> impl Fn(&mut ResourceEntry) {
    move |e| {
        if let Resource::CacheReplicationGroup(g) = &mut e.resource {
            f(g);
        }
    }
}

fn options(allow_data_loss: bool) -> Options {
    Options { timing: common::fast(), allow_data_loss, ..Options::default() }
}

/// The settings moto cannot read back (see the module docs of `services::elasticache`).
const PER_NODE: [&str; 5] =
    ["EngineVersion", "CacheSubnetGroupName", "SecurityGroupIds", "PreferredMaintenanceWindow", "NumCacheClusters"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn ichnaea_cache_up_converges_drifts_and_keeps_a_final_snapshot() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let deletes = Deletes::default();
    let clients = moto.clients_with(&[SharedInterceptor::new(deletes.clone())]).await;

    // Up from nothing, read back equal to the template.
    let engine = Engine::new(clients.clone(), cache(|_| {}), options(false)).expect("engine");
    let plan = engine.plan().await.expect("plan");
    assert_eq!(plan.counts()[0], engine.stack().resources().len(), "{plan}");
    engine.apply(&plan, &quiet).await.expect("apply");
    let observed = engine.discover().await.expect("discover");
    let zones = engine.availability_zones().await.expect("zones");
    for entry in engine.stack().resources() {
        let o = observed.get(&entry.id).unwrap_or_else(|| panic!("{} was not found after apply", entry.id));
        let desired = engine.desired(&entry.id, &observed, &zones).expect("resolves");
        let diff = iac_aws::desired::changed(&serde_json::Value::Object(desired.clone()), &o.props);
        assert!(diff.is_empty(), "{} differs from the template in {diff:?}", entry.id);
        if matches!(entry.resource, Resource::CacheReplicationGroup(_) | Resource::CacheSubnetGroup(_)) {
            for k in desired.keys().filter(|k| *k != "Tags" && !PER_NODE.contains(&k.as_str())) {
                assert!(o.props.contains_key(k), "{}: {k} is not read back", entry.id);
            }
        }
    }
    let group = &observed[&common::id("CacheReplicationGroup")];
    assert_eq!(group.physical_id, GROUP);
    assert!(group.attrs["PrimaryEndPoint.Address"].starts_with(&format!("master.{GROUP}.")), "{:?}", group.attrs);
    assert_eq!(group.attrs["PrimaryEndPoint.Port"], "6379");
    // (Moto gives no reader endpoint: its node group has no `ReaderEndpoint`.)
    assert_eq!(observed[&common::id("CacheSubnetGroup")].attrs["Ref"], "ichnaea-dev-cache-subnet-group");
    assert!(engine.plan().await.expect("plan").is_empty(), "a second plan is empty");

    // A retention change is exactly that property.
    let longer = cache(edit_group(|g| g.snapshot_retention_days = 3));
    let engine2 = Engine::new(clients.clone(), longer.clone(), options(false)).expect("engine");
    let plan = engine2.plan().await.expect("plan");
    let changed: Vec<(&str, &Action)> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| (c.id.as_str(), &c.action)).collect();
    assert_eq!(
        changed,
        [("CacheReplicationGroup", &Action::Update { changes: vec!["SnapshotRetentionLimit".into()] })],
        "{plan}"
    );
    engine2.apply(&plan, &quiet).await.expect("apply the change");
    assert!(engine2.plan().await.expect("plan").is_empty());
    let described =
        clients.elasticache.describe_replication_groups().replication_group_id(GROUP).send().await.expect("describe");
    assert_eq!(described.replication_groups()[0].snapshot_retention_limit(), Some(3));

    // Drift made through the SDK is that property.
    clients
        .elasticache
        .modify_replication_group()
        .replication_group_id(GROUP)
        .cache_node_type("cache.t4g.medium")
        .apply_immediately(true)
        .send()
        .await
        .expect("resize outside the tool");
    let drift = engine2.drift().await.expect("drift");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (drift[0].id.as_str(), drift[0].properties.as_slice()),
        ("CacheReplicationGroup", ["CacheNodeType".to_owned()].as_slice())
    );
    let plan = engine2.plan().await.expect("plan");
    engine2.apply(&plan, &quiet).await.expect("apply repairs the drift");
    assert!(engine2.drift().await.expect("drift").is_empty());

    // A new id replaces the group: data loss, refused without the flag...
    let moved = cache(edit_group(|g| {
        g.snapshot_retention_days = 3;
        g.replication_group_id = Some("ichnaea-dev-cache-2".into());
    }));
    let engine3 = Engine::new(clients.clone(), moved.clone(), options(false)).expect("engine");
    let plan = engine3.plan().await.expect("plan");
    let c = plan.changes.iter().find(|c| c.id == "CacheReplicationGroup").expect("planned");
    assert_eq!(
        c.action,
        Action::Replace { reason: "ReplicationGroupId changed: it cannot change in place".into() },
        "{plan}"
    );
    assert!(c.data_loss && plan.to_string().contains("a final snapshot is taken"), "{plan}");
    let err = engine3.apply(&plan, &quiet).await.expect_err("refused").to_string();
    assert!(err.contains("refusing to replace or delete CacheReplicationGroup"), "{err}");
    assert!(deletes.0.lock().expect("not poisoned").is_empty(), "nothing was deleted");
    // ... and with it the old group goes with a final snapshot, the new one comes.
    let allowed = Engine::new(clients.clone(), moved.clone(), options(true)).expect("engine");
    let report = allowed.apply(&plan, &quiet).await.expect("replace");
    assert!(report.kept.iter().any(|k| k.contains(&format!("final snapshot `{GROUP}-final-"))), "{:?}", report.kept);
    let sent = deletes.0.lock().expect("not poisoned").clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].contains(&format!("ReplicationGroupId={GROUP}")), "{}", sent[0]);
    assert!(sent[0].contains(&format!("FinalSnapshotIdentifier={GROUP}-final-")), "{}", sent[0]);
    let old =
        clients.elasticache.describe_replication_groups().replication_group_id(GROUP).send().await.expect("describe");
    assert_eq!(old.replication_groups()[0].status(), Some("deleting"));
    assert!(allowed.plan().await.expect("plan").is_empty(), "the deleting group is no longer the stack's");
    let found = allowed.discover().await.expect("discover");
    assert_eq!(found[&common::id("CacheReplicationGroup")].physical_id, "ichnaea-dev-cache-2");

    // Destroy is refused without the flag.
    let err = engine3.destroy(&quiet).await.expect_err("refused").to_string();
    assert!(err.contains("CacheReplicationGroup") && err.contains("--allow-data-loss"), "{err}");
    assert_eq!(deletes.0.lock().expect("not poisoned").len(), 1, "nothing more was deleted");

    // With it, the replication group goes first with its final snapshot; moto then cannot delete
    // the subnet group (no `DeleteCacheSubnetGroup`: HTTP 500), so the destroy stops there.
    let err = allowed.destroy(&quiet).await.expect_err("moto has no DeleteCacheSubnetGroup").to_string();
    assert!(err.contains("CacheSubnetGroup") && err.contains("DeleteCacheSubnetGroup"), "{err}");
    let sent = deletes.0.lock().expect("not poisoned").clone();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[1].contains("FinalSnapshotIdentifier=ichnaea-dev-cache-2-final-"), "{}", sent[1]);
}
