//! The CloudFormation engine on a local moto server: Aquamark from nothing through a change set,
//! a second plan with no changes, a database replacement refused without the flag and done with
//! it, a failing resource reported with its reason, destroy naming what `DeletionPolicy` keeps;
//! `scale --copies 12` as nested stacks through the assets bucket, an unchanged part never
//! uploaded twice; the export guard; destroy of a stack whose bucket is retained.
//!
//! What moto (5.2.5) does not do, and these tests therefore do not exercise: change sets carry no
//! `Details`/`Replacement` (the engine falls back to the templates and the per-kind spec, which
//! is what is tested), no nested change sets, no resource-level stack events (only the stack's
//! own), `ExecuteChangeSet` runs synchronously and a failing resource fails the call itself (no
//! rollback, no `*_FAILED` events), stack policies are stored but not enforced, no
//! `DetectStackDrift`, `ListImports` or `UpdateTerminationProtection` (HTTP 500), outputs and
//! exports of a stack made by a change set are never computed, `DeletionPolicy: Snapshot` takes
//! no snapshot, and `DeleteStack` of a VPC stack with NAT and internet gateways fails with
//! `DependencyViolation`. Three moto bugs are patched in `scripts/moto_server_iac.py`.

#![allow(clippy::print_stderr)]

mod common;

use std::sync::Mutex;
use std::time::Duration;

use iac_aws::cloudformation::{CfnEngine, CfnEvent, CfnOptions};
use iac_aws::{Action, AwsError, Clients};
use iac_core::model::network::Vpc;
use iac_core::model::s3::{Bucket, BucketEncryption, ObjectOwnership};

/// Collects progress lines.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);

impl Lines {
    fn push(&self, e: &CfnEvent) {
        let line = match e {
            CfnEvent::Step(s) => s.clone(),
            CfnEvent::Stack(ev) => ev.line(),
        };
        self.0.lock().unwrap().push(line);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn options(world: &common::AquamarkWorld) -> CfnOptions {
    let mut params = std::collections::BTreeMap::new();
    params.insert("WebImageId".to_owned(), world.ami.clone());
    params.insert("CertificateArn".to_owned(), world.cert.clone());
    CfnOptions { params, poll: Duration::from_millis(50), timeout: Duration::from_mins(2), ..CfnOptions::default() }
}

/// Aquamark `env` from its config (alarms included: CloudFormation deploys every kind), with the
/// world's hosted zone, edited by `edit`.
fn aquamark(world: &common::AquamarkWorld, env: &str, edit: impl Fn(String) -> String) -> iac_core::Stack {
    let path = format!("{}/../../stacks/config/aquamark/{env}.toml", env!("CARGO_MANIFEST_DIR"));
    let text = edit(std::fs::read_to_string(path).expect("config").replace("Z0123456789ABCDEFGHIJ", &world.zone));
    let source = stacks::ConfigSource { file: format!("{env}.toml"), text };
    stacks::registry().build("aquamark", env, Some(&source)).expect("aquamark builds")
}

async fn stack_status(clients: &Clients, name: &str) -> Option<String> {
    let out = clients.cloudformation.describe_stacks().stack_name(name).send().await.ok()?;
    out.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_owned())
}

/// Change sets of `name` still waiting to be executed (moto keeps executed ones listed).
async fn change_sets(clients: &Clients, name: &str) -> usize {
    clients.cloudformation.list_change_sets().stack_name(name).send().await.map_or(0, |o| {
        o.summaries()
            .iter()
            .filter(|s| {
                s.stack_name() == Some(name)
                    && s.execution_status() == Some(&aws_sdk_cloudformation::types::ExecutionStatus::Available)
            })
            .count()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aquamark_through_a_change_set() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let world = common::AquamarkWorld::create(&moto, &clients).await;
    let lines = Lines::default();
    let progress = |e: &CfnEvent| lines.push(e);

    // Plan from nothing: a CREATE change set, every resource created; not applied, so the change
    // set and the REVIEW_IN_PROGRESS stack are gone afterwards.
    let engine = CfnEngine::new(clients.clone(), aquamark(&world, "dev", |t| t), options(&world)).expect("engine");
    let resources = engine.stack().resources().len();
    let prepared = engine.plan(&progress).await.expect("plan");
    assert!(prepared.creates);
    assert_eq!(prepared.plan.counts()[0], resources, "everything is created:\n{}", prepared.plan);
    // The template is over the inline limit: it went through the assets bucket.
    assert_eq!(prepared.uploads.uploaded, 1, "{:?}", lines.take());
    engine.discard(&prepared).await.expect("discard");
    assert_ne!(stack_status(&clients, "aquamark-dev").await.as_deref(), Some("REVIEW_IN_PROGRESS"));

    // The assets bucket: encrypted, public access blocked, old objects expired, tagged.
    let bucket = "iac-assets-123456789012-us-east-1";
    let s3 = &clients.s3;
    let enc = s3.get_bucket_encryption().bucket(bucket).send().await.expect("encryption");
    assert!(enc.server_side_encryption_configuration().is_some());
    let pab = s3.get_public_access_block().bucket(bucket).send().await.expect("public access block");
    assert_eq!(
        pab.public_access_block_configuration()
            .and_then(aws_sdk_s3::types::PublicAccessBlockConfiguration::block_public_acls),
        Some(true)
    );
    let life = s3.get_bucket_lifecycle_configuration().bucket(bucket).send().await.expect("lifecycle");
    assert_eq!(life.rules()[0].expiration().and_then(aws_sdk_s3::types::LifecycleExpiration::days), Some(30));
    let tags = s3.get_bucket_tagging().bucket(bucket).send().await.expect("tags");
    assert!(tags.tag_set().iter().any(|t| t.key() == "iac:owner"));

    // Apply: the same template is not uploaded again; the stack is created and guarded.
    let prepared = engine.plan(&progress).await.expect("plan");
    assert_eq!((prepared.uploads.uploaded, prepared.uploads.reused), (0, 1));
    let report = engine.apply(&prepared, &progress).await.expect("apply");
    assert_eq!(report.status, "CREATE_COMPLETE");
    let shown = lines.take();
    assert!(shown.iter().any(|l| l.contains("aquamark-dev") && l.contains("CREATE_COMPLETE")), "{shown:#?}");
    let policy = clients.cloudformation.get_stack_policy().stack_name("aquamark-dev").send().await.expect("policy");
    let policy = policy.stack_policy_body().unwrap_or_default();
    assert!(policy.contains("LogicalResourceId/DatabaseInstance") && policy.contains("Update:Replace"), "{policy}");
    let db = clients.rds.describe_db_instances().db_instance_identifier("aquamark-dev").send().await.expect("the db");
    assert_eq!(db.db_instances().len(), 1);

    // A second plan: nothing to do, and no change set left behind.
    let again = engine.plan(&progress).await.expect("plan");
    assert!(again.plan.is_empty(), "{}", again.plan);
    assert!(again.change_set.is_none());
    assert_eq!(change_sets(&clients, "aquamark-dev").await, 0);

    // A new identifier replaces the database: DATA LOSS, refused without the flag (the change
    // set is deleted), done with it.
    let moved =
        aquamark(&world, "dev", |t| t.replace("identifier = \"aquamark-dev\"", "identifier = \"aquamark-dev2\""));
    let careful = CfnEngine::new(clients.clone(), moved.clone(), options(&world)).expect("engine");
    let prepared = careful.plan(&progress).await.expect("plan");
    let db = prepared.plan.changes.iter().find(|c| c.id == "DatabaseInstance").expect("planned");
    assert!(
        matches!(&db.action, Action::Replace { reason } if reason.contains("DBInstanceIdentifier")),
        "{}",
        prepared.plan
    );
    assert!(db.data_loss && prepared.plan.to_string().contains("!! DATA LOSS"));
    assert_eq!(prepared.plan.changes.iter().filter(|c| c.action != Action::Unchanged).count(), 1, "{}", prepared.plan);
    let err = careful.apply(&prepared, &progress).await.expect_err("refused");
    assert!(matches!(err, AwsError::DataLoss { .. }), "{err}");
    assert!(err.to_string().contains("--allow-data-loss"), "{err}");
    assert_eq!(change_sets(&clients, "aquamark-dev").await, 0, "the refused change set is deleted");
    let bold = CfnEngine::new(clients.clone(), moved, CfnOptions { allow_data_loss: true, ..options(&world) })
        .expect("engine");
    let prepared = bold.plan(&progress).await.expect("plan");
    let report = bold.apply(&prepared, &progress).await.expect("apply with the flag");
    assert_eq!(report.status, "UPDATE_COMPLETE");
    assert!(lines.take().iter().any(|l| l.contains("stack policy lifted")));
    let policy = clients.cloudformation.get_stack_policy().stack_name("aquamark-dev").send().await.expect("policy");
    assert!(policy.stack_policy_body().unwrap_or_default().contains("Deny"), "the guard is back after the update");
    // (moto's RDS has no CloudFormation update: the instance is not really replaced there.)

    // Drift: moto has no DetectStackDrift; the error names the call and the stack, no panic.
    let err = bold.drift(&progress).await.expect_err("moto has no drift detection").to_string();
    assert!(err.contains("cloudformation DetectStackDrift"), "{err}");

    // Destroy names what DeletionPolicy keeps before deleting; moto's DeleteStack then fails on
    // the VPC (DependencyViolation), which is reported with what to do.
    let err = bold.destroy(&progress).await.expect_err("moto cannot delete this VPC stack").to_string();
    let shown = lines.take();
    assert!(
        shown.iter().any(|l| l.contains("keeps DatabaseInstance (AWS::RDS::DBInstance): a final snapshot")),
        "{shown:#?}"
    );
    assert!(err.contains("destroy") && err.contains("DeleteStack"), "{err}");
    eprintln!("destroy on moto: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_resource_is_reported_with_its_reason() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let world = common::AquamarkWorld::create(&moto, &clients).await;
    let mut opts = options(&world);
    opts.params.insert(
        "CertificateArn".into(),
        "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000".into(),
    );
    let engine = CfnEngine::new(clients.clone(), aquamark(&world, "dev", |t| t), opts).expect("engine");
    let progress = |_: &CfnEvent| {};
    let prepared = engine.plan(&progress).await.expect("plan");
    let err = engine.apply(&prepared, &progress).await.expect_err("the listener's certificate does not exist");
    let text = err.to_string();
    assert!(matches!(err, AwsError::CfnFailed { .. }), "{text}");
    assert!(text.starts_with("stack `aquamark-dev`: apply ended "), "{text}");
    assert!(text.contains("CertificateNotFound"), "{text}");
    assert!(text.contains("destroy aquamark --env dev"), "says what to do: {text}");
    eprintln!("{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_twelve_copies_as_nested_stacks() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let build = |copies: u32| {
        let options = stacks::BuildOptions { copies: Some(copies) };
        stacks::registry().build_with("scale", "dev", None, &options).expect("scale builds")
    };
    let opts = || {
        let mut params = std::collections::BTreeMap::new();
        for (k, v) in [
            ("ImageId", "ami-0123456789abcdef0"),
            ("CertificateArn", "arn:aws:acm:us-east-1:123456789012:certificate/abc"),
        ] {
            params.insert(k.to_owned(), v.to_owned());
        }
        CfnOptions { params, poll: Duration::from_millis(50), timeout: Duration::from_mins(5), ..CfnOptions::default() }
    };
    let stack = build(12);
    let engine = CfnEngine::new(clients.clone(), stack, opts()).expect("engine");
    let children = engine.children().len();
    assert!(children >= 2, "12 copies are split into nested stacks");
    let progress = |_: &CfnEvent| {};
    let prepared = engine.plan(&progress).await.expect("plan");
    assert_eq!(prepared.uploads.uploaded, children, "every nested template is uploaded once");
    // The nested stacks' resources are in the plan, under their stack.
    let nested_rows = prepared.plan.changes.iter().filter(|c| c.nested.is_some()).count();
    assert_eq!(nested_rows, engine.stack().resources().len(), "{}", prepared.plan);
    assert!(prepared.plan.to_string().contains("Nested01/C001"), "{}", prepared.plan);
    engine.discard(&prepared).await.expect("discard");

    // A second plan uploads nothing: every part is unchanged and content-addressed.
    let prepared = engine.plan(&progress).await.expect("plan");
    assert_eq!((prepared.uploads.uploaded, prepared.uploads.reused), (0, children));
    engine.discard(&prepared).await.expect("discard");
    eprintln!("scale --copies 12: {children} nested templates, {nested_rows} resources in them");
}

/// A small stack that exports: a VPC, a retained bucket and two outputs.
fn exporter(with_marker: bool) -> iac_core::Stack {
    let mut b = iac_core::StackBuilder::new("exporter", "dev");
    let vpc = b.add(
        "Vpc",
        Vpc { cidr_block: "10.9.0.0/16".to_owned().into(), enable_dns_hostnames: true, enable_dns_support: true },
    );
    b.add(
        "Data",
        Bucket {
            name: None,
            encryption: BucketEncryption::S3Managed,
            block_public_access: true,
            versioning: true,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            lifecycle_rules: Vec::new(),
        },
    );
    b.output("VpcId", "The VPC", vpc.vpc_id());
    if with_marker {
        b.output("Marker", "A value another stack may import", iac_core::Value::from("marker".to_owned()));
    }
    b.build().expect("builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_are_guarded_and_destroy_names_what_is_retained() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let opts = CfnOptions { poll: Duration::from_millis(50), timeout: Duration::from_mins(1), ..CfnOptions::default() };
    let progress = |_: &CfnEvent| {};
    let engine = CfnEngine::new(clients.clone(), exporter(true), opts.clone()).expect("engine");
    let prepared = engine.plan(&progress).await.expect("plan");
    assert_eq!(prepared.uploads.uploaded, 0, "a small template is passed inline");
    engine.apply(&prepared, &progress).await.expect("apply");

    // The new template drops the `Marker` export: whether another stack imports it must be
    // known first. moto has no ListImports, so the engine refuses rather than guess.
    let dropping = CfnEngine::new(clients.clone(), exporter(false), opts.clone()).expect("engine");
    let err = dropping.plan(&progress).await.expect_err("ListImports is unknown to moto").to_string();
    assert!(err.contains("drops export `exporter-dev-Marker`") && err.contains("ListImports"), "{err}");
    assert_eq!(change_sets(&clients, "exporter-dev").await, 0);

    // Destroy: the bucket holds data and its DeletionPolicy is Retain, so no flag is needed; it
    // is named, and it is still there afterwards.
    let report = engine.destroy(&progress).await.expect("destroy");
    assert_eq!(report.status, "DELETE_COMPLETE");
    assert!(report.kept.iter().any(|k| k.starts_with("Data (AWS::S3::Bucket): retained")), "{:?}", report.kept);
    let buckets = clients.s3.list_buckets().send().await.expect("buckets");
    assert!(buckets.buckets().iter().any(|b| b.name().is_some_and(|n| n.contains("data"))), "the bucket is retained");
    // Destroy of nothing.
    assert_eq!(engine.destroy(&progress).await.expect("destroy").status, "absent");
}
