//! Aquamark prod through the SDK engine on a local moto server: up from nothing, inventory equal
//! to the CloudFormation output resource for resource, idempotent, a config change planned
//! exactly, an interrupted apply finished by a rerun, and data safety on destroy.

#![allow(clippy::print_stderr)] // measurements are printed on purpose

mod common;

use common::AquamarkWorld;
use iac_aws::engine::Event;
use iac_aws::{Action, Engine, Options};

fn quiet(_: &Event) {}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aquamark_up_converges_changes_and_comes_down() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let world = AquamarkWorld::create(&moto, &clients).await;

    // Up from nothing.
    let engine = Engine::new(clients.clone(), world.stack(|t| t), world.options()).expect("engine");
    let plan = engine.plan().await.expect("plan");
    assert_eq!(plan.counts()[0], engine.stack().resources().len(), "everything is created:\n{plan}");
    let report = engine.apply(&plan, &quiet).await.expect("apply");
    assert_eq!(report.changed, engine.stack().resources().len());
    eprintln!("apply from nothing: {:.2} s, {} SDK calls", report.seconds, report.calls);

    // The inventory read back equals the CloudFormation output, resource for resource.
    let observed = engine.discover().await.expect("discover");
    let zones = engine.availability_zones().await.expect("zones");
    for entry in engine.stack().resources() {
        let o = observed.get(&entry.id).unwrap_or_else(|| panic!("{} was not found after apply", entry.id));
        let desired = engine.desired(&entry.id, &observed, &zones).expect("resolves");
        let diff = iac_aws::desired::changed(&serde_json::Value::Object(desired), &o.props);
        assert!(diff.is_empty(), "{} differs from the template in {diff:?}", entry.id);
    }
    let db = &observed[&iac_core::LogicalId::new("DatabaseInstance").unwrap()];
    for (k, v) in [("Engine", "postgres"), ("AllocatedStorage", "100"), ("BackupRetentionPeriod", "7")] {
        assert_eq!(db.props.get(k).map(|x| x.to_string().trim_matches('"').to_owned()).as_deref(), Some(v), "{k}");
    }
    assert_eq!(db.props.get("PubliclyAccessible"), Some(&serde_json::json!(false)));

    // Idempotent: a second plan changes nothing.
    let again = engine.plan().await.expect("plan");
    assert!(again.is_empty(), "second plan is not empty:\n{again}");

    // A config change plans exactly that update.
    let bigger = world.stack(|t| t.replace("backup_retention_days = 7 ", "backup_retention_days = 14 "));
    let engine2 = Engine::new(clients.clone(), bigger, world.options()).expect("engine");
    let plan = engine2.plan().await.expect("plan");
    let changed: Vec<(&str, &Action)> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| (c.id.as_str(), &c.action)).collect();
    assert_eq!(
        changed,
        [("DatabaseInstance", &Action::Update { changes: vec!["BackupRetentionPeriod".into()] })],
        "{plan}"
    );
    engine2.apply(&plan, &quiet).await.expect("apply the change");
    assert!(engine2.plan().await.expect("plan").is_empty());

    // Drift: a change made outside the tool is reported by property.
    clients
        .rds
        .modify_db_instance()
        .db_instance_identifier("aquamark")
        .backup_retention_period(3)
        .apply_immediately(true)
        .send()
        .await
        .expect("modify outside the tool");
    let drift = engine2.drift().await.expect("drift");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (drift[0].id.as_str(), drift[0].properties.as_slice()),
        ("DatabaseInstance", ["BackupRetentionPeriod".to_owned()].as_slice())
    );

    // Replacement: a target group's port cannot change in place; a database's identifier
    // cannot either, and that one would lose data, so apply refuses it without the flag.
    let moved = world.stack(|t| {
        t.replace("backup_retention_days = 7 ", "backup_retention_days = 14 ")
            .replace("identifier = \"aquamark\"", "identifier = \"aquamark2\"")
    });
    let engine3 = Engine::new(clients.clone(), moved, world.options()).expect("engine");
    let plan = engine3.plan().await.expect("plan");
    let db = plan.changes.iter().find(|c| c.id == "DatabaseInstance").expect("planned");
    assert!(matches!(db.action, Action::Replace { .. }) && db.data_loss, "{plan}");
    assert!(plan.to_string().contains("DATA LOSS"), "{plan}");
    let err = engine3.apply(&plan, &quiet).await.expect_err("refused").to_string();
    assert!(err.contains("refusing to replace or delete DatabaseInstance"), "{err}");

    // Destroy: the database is refused without the flag...
    let err = engine2.destroy(&quiet).await.expect_err("refused").to_string();
    assert!(err.contains("DatabaseInstance") && err.contains("--allow-data-loss"), "{err}");
    assert!(!engine2.discover().await.expect("discover").is_empty(), "nothing was deleted");
    // ... and snapshotted with it.
    let careless =
        Engine::new(clients.clone(), engine2.stack().clone(), Options { allow_data_loss: true, ..world.options() })
            .expect("engine");
    careless.destroy(&quiet).await.expect("destroy");
    assert!(careless.discover().await.expect("discover").is_empty(), "everything is gone");
    let snaps = clients.rds.describe_db_snapshots().send().await.expect("snapshots");
    assert!(
        snaps
            .db_snapshots()
            .iter()
            .any(|s| s.db_snapshot_identifier().is_some_and(|i| i.starts_with("aquamark-final"))),
        "a final snapshot exists"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_is_finished_by_a_rerun() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    for stop_after in [1, 7, 20] {
        moto.reset();
        let world = AquamarkWorld::create(&moto, &clients).await;
        let stack = world.stack(|t| t);
        let total = stack.resources().len();
        let engine =
            Engine::new(clients.clone(), stack.clone(), Options { fault_after: Some(stop_after), ..world.options() })
                .expect("engine");
        let plan = engine.plan().await.expect("plan");
        let err = engine.apply(&plan, &quiet).await.expect_err("the fault hook stops it");
        assert!(err.to_string().contains("fault hook"), "{err}");
        let rerun = Engine::new(clients.clone(), stack.clone(), world.options()).expect("engine");
        let plan = rerun.plan().await.expect("plan");
        // What finished is unchanged; what was cut off mid-way is updated; nothing is replaced or deleted.
        let [create, update, replace, delete, unchanged] = plan.counts();
        assert!(
            unchanged >= stop_after && replace + delete == 0 && create + update + unchanged == total,
            "after a stop at {stop_after}:\n{plan}"
        );
        rerun.apply(&plan, &quiet).await.expect("the rerun finishes");
        assert!(rerun.plan().await.expect("plan").is_empty(), "converged after a stop at {stop_after}");
    }
}
