//! EFS through the SDK engine on a local moto server, with Concerto prod's own file system, its
//! two mount targets and its access point (and the network and load balancer their security
//! groups refer to): up from nothing and read
//! back equal to the template, a second plan empty, a lifecycle change applied as exactly that
//! property, drift made through the SDK reported as that property, a performance-mode change
//! planned as a replacement that loses data (refused without the flag), and data safety: destroy
//! refuses without `--allow-data-loss`, and with it deletes the mount targets and the access point
//! and keeps the file system (retained, detached), which a later apply takes back through its
//! creation token. A create sent twice (a retried request) makes one file system.

mod common;

use iac_aws::engine::Event;
use iac_aws::services::{self, Ctx};
use iac_aws::{Action, Engine, Options};
use iac_core::Stack;
use iac_core::model::{PerformanceMode, Resource, ResourceEntry};

fn quiet(_: &Event) {}

fn file_system(edit: impl Fn(&mut ResourceEntry)) -> Stack {
    let seed = common::seed::stack("concerto", "prod");
    common::seed::part(
        &seed,
        &["AppFileSystem", "AppMountTarget1", "AppMountTarget2", "AppAccessPoint", "AppLoadBalancer"],
        edit,
    )
}

fn options(allow_data_loss: bool) -> Options {
    Options { timing: common::fast(), allow_data_loss, ..Options::default() }
}

fn edit_fs(f: impl Fn(&mut iac_core::model::FileSystem)) -> impl Fn(&mut ResourceEntry) {
    move |e| {
        if let Resource::FileSystem(fs) = &mut e.resource {
            f(fs);
        }
    }
}

async fn file_systems(clients: &iac_aws::Clients) -> Vec<aws_sdk_efs::types::FileSystemDescription> {
    clients.efs.describe_file_systems().send().await.expect("describe").file_systems().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn concerto_file_system_up_converges_drifts_and_is_retained() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;

    // Up from nothing, read back equal to the template.
    let engine = Engine::new(clients.clone(), file_system(|_| {}), options(false)).expect("engine");
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
        if matches!(entry.resource, Resource::FileSystem(_) | Resource::MountTarget(_) | Resource::AccessPoint(_)) {
            for k in desired.keys().filter(|k| !k.ends_with("Tags")) {
                assert!(o.props.contains_key(k), "{}: {k} is not read back", entry.id);
            }
        }
    }
    let fs = observed[&common::id("AppFileSystem")].clone();
    assert!(fs.physical_id.starts_with("fs-"), "{fs:?}");
    assert!(fs.attrs["Arn"].ends_with(&fs.physical_id));
    assert_eq!(fs.props["BackupPolicy"], serde_json::json!({ "Status": "ENABLED" }));
    let ap = &observed[&common::id("AppAccessPoint")];
    assert_eq!(ap.props["FileSystemId"], serde_json::json!(fs.physical_id));
    for mt in ["AppMountTarget1", "AppMountTarget2"] {
        assert_eq!(observed[&common::id(mt)].props["FileSystemId"], serde_json::json!(fs.physical_id), "{mt}");
    }
    assert!(engine.plan().await.expect("plan").is_empty(), "a second plan is empty");

    // A lifecycle change is exactly that property.
    let later = file_system(edit_fs(|f| f.transition_to_ia_days = Some(60)));
    let engine2 = Engine::new(clients.clone(), later.clone(), options(false)).expect("engine");
    let plan = engine2.plan().await.expect("plan");
    let changed: Vec<(&str, &Action)> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| (c.id.as_str(), &c.action)).collect();
    assert_eq!(changed, [("AppFileSystem", &Action::Update { changes: vec!["LifecyclePolicies".into()] })], "{plan}");
    engine2.apply(&plan, &quiet).await.expect("apply the change");
    assert!(engine2.plan().await.expect("plan").is_empty());
    let lifecycle =
        clients.efs.describe_lifecycle_configuration().file_system_id(&fs.physical_id).send().await.expect("lifecycle");
    assert_eq!(
        lifecycle.lifecycle_policies()[0].transition_to_ia().map(aws_sdk_efs::types::TransitionToIaRules::as_str),
        Some("AFTER_60_DAYS")
    );

    // Drift made through the SDK: the lifecycle, and a mount target's security groups.
    clients
        .efs
        .put_lifecycle_configuration()
        .file_system_id(&fs.physical_id)
        .set_lifecycle_policies(Some(Vec::new()))
        .send()
        .await
        .expect("lifecycle off");
    let mt1 = observed[&common::id("AppMountTarget1")].physical_id.clone();
    let vpc = observed[&common::id("Vpc")].physical_id.clone();
    let other = clients
        .ec2
        .create_security_group()
        .group_name("other")
        .description("other")
        .vpc_id(&vpc)
        .send()
        .await
        .expect("sg");
    clients
        .efs
        .modify_mount_target_security_groups()
        .mount_target_id(&mt1)
        .security_groups(other.group_id().expect("id"))
        .send()
        .await
        .expect("other groups");
    let mut drift: Vec<(String, Vec<String>)> =
        engine2.drift().await.expect("drift").into_iter().map(|d| (d.id, d.properties)).collect();
    drift.sort();
    assert_eq!(
        drift,
        [
            ("AppFileSystem".to_owned(), vec!["LifecyclePolicies".to_owned()]),
            ("AppMountTarget1".to_owned(), vec!["SecurityGroups".to_owned()])
        ]
    );
    let plan = engine2.plan().await.expect("plan");
    engine2.apply(&plan, &quiet).await.expect("apply repairs the drift");
    assert!(engine2.drift().await.expect("drift").is_empty());

    // Another performance mode replaces the file system: data loss, refused without the flag.
    let max_io = file_system(edit_fs(|f| {
        f.transition_to_ia_days = Some(60);
        f.performance_mode = PerformanceMode::MaxIo;
    }));
    let engine3 = Engine::new(clients.clone(), max_io, options(false)).expect("engine");
    let plan = engine3.plan().await.expect("plan");
    let c = plan.changes.iter().find(|c| c.id == "AppFileSystem").expect("planned");
    assert_eq!(
        c.action,
        Action::Replace { reason: "PerformanceMode changed: it cannot change in place".into() },
        "{plan}"
    );
    assert!(c.data_loss && plan.to_string().contains("DATA LOSS"), "{plan}");
    let err = engine3.apply(&plan, &quiet).await.expect_err("refused").to_string();
    assert!(err.contains("refusing to replace or delete AppFileSystem"), "{err}");

    // Destroy: refused without the flag...
    let err = engine2.destroy(&quiet).await.expect_err("refused").to_string();
    assert!(err.contains("AppFileSystem") && err.contains("--allow-data-loss"), "{err}");
    assert_eq!(engine2.discover().await.expect("discover").len(), observed.len());
    // ... and with it the mount targets and access point go, the file system stays, detached.
    let careless = Engine::new(clients.clone(), later.clone(), options(true)).expect("engine");
    let report = careless.destroy(&quiet).await.expect("destroy");
    assert_eq!(report.kept.len(), 1, "{:?}", report.kept);
    assert!(report.kept[0].contains(&fs.physical_id) && report.kept[0].contains("detached"), "{:?}", report.kept);
    assert!(careless.discover().await.expect("discover").is_empty(), "nothing is the stack's any more");
    let left = file_systems(&clients).await;
    assert_eq!(left.len(), 1, "the file system is kept");
    assert_eq!(left[0].number_of_mount_targets(), 0);
    let tags: Vec<(&str, &str)> = left[0].tags().iter().map(|t| (t.key(), t.value())).collect();
    assert!(tags.contains(&("iac:retained", "concerto/prod/AppFileSystem")), "{tags:?}");
    assert!(!tags.iter().any(|(k, _)| *k == "iac:stack" || *k == "iac:hash"), "{tags:?}");
    let aps = clients.efs.describe_access_points().send().await.expect("access points");
    assert!(aps.access_points().is_empty(), "the access point is deleted");

    // Applying the same stack again takes the file system back (same creation token).
    let plan = careless.plan().await.expect("plan");
    careless.apply(&plan, &quiet).await.expect("apply takes it back");
    assert!(careless.plan().await.expect("plan").is_empty());
    let again = file_systems(&clients).await;
    assert_eq!(again.len(), 1, "no second file system");
    assert_eq!(again[0].file_system_id(), fs.physical_id);
    assert!(!again[0].tags().iter().any(|t| t.key() == "iac:retained"), "{:?}", again[0].tags());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_sent_twice_makes_one_file_system() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = file_system(|_| {});
    let ctx = Ctx { clients: &clients, stack: &stack, timing: common::fast() };
    let observed = std::collections::HashMap::new();
    let (props, tags) = common::desired(&stack, &observed, "AppFileSystem");
    let entry = stack.resource(&common::id("AppFileSystem")).expect("entry");
    let map = props.as_object().expect("object").clone();
    // The first answer lost, the request sent again with the same creation token.
    let first = services::create(&ctx, entry, &map, &tags).await.expect("create");
    let second = services::create(&ctx, entry, &map, &tags).await.expect("the same create again");
    assert_eq!(first.physical_id, second.physical_id);
    assert_eq!(file_systems(&clients).await.len(), 1);
    let diff = iac_aws::desired::changed(&props, &second.props);
    assert!(diff.is_empty(), "{diff:?}");
}
