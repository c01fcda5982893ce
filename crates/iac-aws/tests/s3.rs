//! S3 through the SDK engine on a local moto server, with Ichnaea dev's own buckets (backup
//! bucket with its policy, assets bucket): up from nothing and read back equal to the template,
//! a second plan empty, a lifecycle change planned and applied as exactly that property, drift
//! made through the SDK reported as that property, a renamed bucket planned as a replacement that
//! loses data, and data safety: destroy refuses without `--allow-data-loss`, and with it keeps
//! every bucket with its objects (retained, detached from the stack), which a later apply takes
//! back. A bucket left half-made (no tags) is finished without a duplicate; one of another stack
//! is refused.

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use iac_aws::engine::Event;
use iac_aws::{Action, Engine, Options};
use iac_core::Stack;
use iac_core::model::{Resource, ResourceEntry};

fn quiet(_: &Event) {}

const BACKUP: &str = "ichnaea-dev-backup-example";
const ASSETS: &str = "ichnaea-dev-assets-example";

fn buckets(edit: impl Fn(&mut ResourceEntry)) -> Stack {
    let seed = common::seed::stack("ichnaea", "dev");
    common::seed::part(&seed, &["BackupBucket", "BackupBucketPolicy", "AssetsBucket"], edit)
}

fn options(allow_data_loss: bool) -> Options {
    Options { timing: common::fast(), allow_data_loss, ..Options::default() }
}

async fn tags(clients: &iac_aws::Clients, bucket: &str) -> Vec<(String, String)> {
    let out = clients.s3.get_bucket_tagging().bucket(bucket).send().await.expect("tagging");
    out.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn ichnaea_buckets_up_converge_drift_and_are_retained() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;

    // Up from nothing, read back equal to the template.
    let engine = Engine::new(clients.clone(), buckets(|_| {}), options(false)).expect("engine");
    let plan = engine.plan().await.expect("plan");
    assert_eq!(plan.counts()[0], 3, "{plan}");
    engine.apply(&plan, &quiet).await.expect("apply");
    let observed = engine.discover().await.expect("discover");
    assert_eq!(observed.len(), 3, "{observed:?}");
    let zones = engine.availability_zones().await.expect("zones");
    for entry in engine.stack().resources() {
        let o = &observed[&entry.id];
        let desired = engine.desired(&entry.id, &observed, &zones).expect("resolves");
        let diff = iac_aws::desired::changed(&serde_json::Value::Object(desired.clone()), &o.props);
        assert!(diff.is_empty(), "{} differs from the template in {diff:?}", entry.id);
        // Every property the template gives is read back (none is left uncompared), tags aside
        // (and versioning, which moto answers in a shape the SDK cannot read).
        for k in desired.keys().filter(|k| *k != "Tags" && *k != "VersioningConfiguration") {
            assert!(o.props.contains_key(k), "{}: {k} is not read back", entry.id);
        }
    }
    let backup = &observed[&common::id("BackupBucket")];
    assert_eq!(backup.physical_id, BACKUP);
    assert_eq!(backup.attrs["Arn"], format!("arn:aws:s3:::{BACKUP}"));
    assert_eq!(backup.attrs["RegionalDomainName"], format!("{BACKUP}.s3.us-east-1.amazonaws.com"));
    assert!(engine.plan().await.expect("plan").is_empty(), "a second plan is empty");

    // Data in the assets bucket (moto enforces the backup bucket's policy, which refuses plain
    // HTTP, so objects are written and listed in the assets bucket only).
    clients
        .s3
        .put_object()
        .bucket(ASSETS)
        .key("export/observations.csv.gz")
        .body(ByteStream::from_static(b"rows"))
        .send()
        .await
        .expect("put");

    // A lifecycle change is planned and applied as exactly that property.
    let longer = buckets(|e| {
        if let (Resource::Bucket(b), "BackupBucket") = (&mut e.resource, e.id.as_str()) {
            b.lifecycle_rules[0].expiration_days = Some(45);
        }
    });
    let engine2 = Engine::new(clients.clone(), longer.clone(), options(false)).expect("engine");
    let plan = engine2.plan().await.expect("plan");
    let changed: Vec<(&str, &Action)> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| (c.id.as_str(), &c.action)).collect();
    assert_eq!(
        changed,
        [("BackupBucket", &Action::Update { changes: vec!["LifecycleConfiguration".into()] })],
        "{plan}"
    );
    engine2.apply(&plan, &quiet).await.expect("apply the change");
    assert!(engine2.plan().await.expect("plan").is_empty());
    let rules = clients.s3.get_bucket_lifecycle_configuration().bucket(BACKUP).send().await.expect("lifecycle");
    assert_eq!(rules.rules()[0].expiration().and_then(aws_sdk_s3::types::LifecycleExpiration::days), Some(45));

    // Drift made through the SDK is that property. (Versioning cannot be read on moto: see the
    // module docs of `services::s3`.)
    let open = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .block_public_policy(false)
        .ignore_public_acls(true)
        .restrict_public_buckets(true)
        .build();
    clients
        .s3
        .put_public_access_block()
        .bucket(ASSETS)
        .public_access_block_configuration(open)
        .send()
        .await
        .expect("open up");
    let drift = engine2.drift().await.expect("drift");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (drift[0].id.as_str(), drift[0].properties.as_slice()),
        ("AssetsBucket", ["PublicAccessBlockConfiguration".to_owned()].as_slice())
    );
    let plan = engine2.plan().await.expect("plan");
    engine2.apply(&plan, &quiet).await.expect("apply repairs the drift");
    assert!(engine2.drift().await.expect("drift").is_empty());

    // A new name replaces the bucket: data loss, refused without the flag.
    let renamed = buckets(|e| {
        if let (Resource::Bucket(b), "BackupBucket") = (&mut e.resource, e.id.as_str()) {
            b.lifecycle_rules[0].expiration_days = Some(45);
            b.name = Some("ichnaea-dev-backup-example-2".into());
        }
    });
    let engine3 = Engine::new(clients.clone(), renamed, options(false)).expect("engine");
    let plan = engine3.plan().await.expect("plan");
    let c = plan.changes.iter().find(|c| c.id == "BackupBucket").expect("planned");
    assert_eq!(
        c.action,
        Action::Replace { reason: "BucketName changed: a bucket keeps its name for life".into() },
        "{plan}"
    );
    assert!(c.data_loss);
    let text = plan.to_string();
    assert!(text.contains("DATA LOSS") && text.contains("the old one is kept, detached from the stack"), "{text}");
    let err = engine3.apply(&plan, &quiet).await.expect_err("refused").to_string();
    assert!(err.contains("refusing to replace or delete BackupBucket"), "{err}");

    // Destroy: refused without the flag, nothing touched...
    let err = engine2.destroy(&quiet).await.expect_err("refused").to_string();
    assert!(err.contains("BackupBucket") && err.contains("AssetsBucket") && err.contains("--allow-data-loss"), "{err}");
    assert_eq!(engine2.discover().await.expect("discover").len(), 3);
    // ... and with it the policy goes, the buckets stay with their objects, detached.
    let careless = Engine::new(clients.clone(), longer.clone(), options(true)).expect("engine");
    let report = careless.destroy(&quiet).await.expect("destroy");
    assert_eq!(report.changed, 3);
    assert_eq!(report.kept.len(), 2, "{:?}", report.kept);
    assert!(report.kept.iter().any(|k| k.contains(BACKUP) && k.contains("detached")), "{:?}", report.kept);
    assert!(careless.discover().await.expect("discover").is_empty(), "nothing is the stack's any more");
    let objects = clients.s3.list_objects_v2().bucket(ASSETS).send().await.expect("the bucket is kept");
    assert_eq!(objects.key_count(), Some(1), "the assets bucket keeps its object");
    for b in [BACKUP, ASSETS] {
        let t = tags(&clients, b).await;
        assert!(t.iter().any(|(k, v)| k == "iac:retained" && v.starts_with("ichnaea/dev/")), "{b}: {t:?}");
        assert!(!t.iter().any(|(k, _)| k == "iac:stack" || k == "iac:id" || k == "iac:hash"), "{b}: {t:?}");
    }
    assert!(clients.s3.get_bucket_policy().bucket(BACKUP).send().await.is_err(), "the policy is deleted");

    // Applying the stack again takes the retained buckets back, objects and all.
    let plan = careless.plan().await.expect("plan");
    assert_eq!(plan.counts()[0], 3, "{plan}");
    careless.apply(&plan, &quiet).await.expect("apply takes them back");
    assert!(careless.plan().await.expect("plan").is_empty());
    let objects = clients.s3.list_objects_v2().bucket(ASSETS).send().await.expect("list");
    assert_eq!(objects.key_count(), Some(1));
    assert!(!tags(&clients, BACKUP).await.iter().any(|(k, _)| k == "iac:retained"));
    let names: Vec<String> = clients
        .s3
        .list_buckets()
        .send()
        .await
        .expect("list")
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    assert_eq!(names.len(), 2, "no second bucket: {names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_made_bucket_is_finished_and_another_stacks_is_refused() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    // A create cut off right after `CreateBucket`: the bucket exists with no tags at all.
    clients.s3.create_bucket().bucket(BACKUP).send().await.expect("create by hand");
    let engine = Engine::new(clients.clone(), buckets(|_| {}), options(false)).expect("engine");
    let plan = engine.plan().await.expect("plan");
    assert_eq!(plan.counts()[0], 3, "the untagged bucket is not the stack's yet: {plan}");
    engine.apply(&plan, &quiet).await.expect("the rerun finishes it");
    assert!(engine.plan().await.expect("plan").is_empty());
    assert_eq!(clients.s3.list_buckets().send().await.expect("list").buckets().len(), 2, "no duplicate");

    // The same names in another environment's stack belong to this one: refused, not taken.
    let seed = common::seed::stack("ichnaea", "dev");
    let mut b = iac_core::StackBuilder::new("ichnaea", "staging");
    for e in seed.resources().filter(|e| e.id.as_str() == "BackupBucket") {
        b.add_entry(e.clone());
    }
    let other = b.build().expect("builds");
    let engine = Engine::new(clients.clone(), other, options(false)).expect("engine");
    let plan = engine.plan().await.expect("plan");
    let err = engine.apply(&plan, &quiet).await.expect_err("another stack's bucket").to_string();
    assert!(err.contains("owned by stack `ichnaea` env `dev`"), "{err}");
}
