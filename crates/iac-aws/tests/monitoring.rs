//! KMS keys, SNS topics and subscriptions and Secrets Manager secrets on a local moto server,
//! from Ichnaea prod's own resources (its alarm key, topic, email subscription and its generated
//! `SECRET_KEY`): created, read back equal to the template, found by discovery, created again
//! without a duplicate, updated in place as exactly the property changed, replaced for the
//! spec's reason, drift made by direct SDK calls reported as that property, and deleted (a key
//! scheduled for deletion 30 days ahead, a secret with a recovery window, restored with its value
//! by the next apply). Then a small stack of the same kinds through the engine: apply, an empty
//! second plan, an update of one property, and destroy refused without `--allow-data-loss` (the
//! secret holds data).
//!
//! Ichnaea's three CloudWatch alarms (the SDK speaks `rpc-v2-cbor` to CloudWatch, which the
//! tests' moto server answers through `scripts/moto_server_iac.py`): created, read back equal to
//! the template, found by discovery (also by a stack that has no alarm left: an orphan), created
//! again without a duplicate, updated in place as exactly the property changed, drift made by a
//! direct `PutMetricAlarm` reported as that property, and deleted with their tags.

mod common;

use std::collections::HashMap;

use common::id;
use iac_aws::services::{self, Ctx, cloudwatch, kms, secretsmanager, sns};
use iac_aws::state::Observed;
use iac_aws::{Engine, Options, desired};
use iac_core::model::spec;
use iac_core::model::{Alarm, Comparison, Dimension, MissingData, Secret, Statistic, Topic};
use iac_core::patterns::alarms::Notifications;
use iac_core::{LogicalId, Stack, StackBuilder};
use serde_json::{Value as Json, json};

fn ichnaea() -> Stack {
    stacks::registry().build("ichnaea", "prod", None).expect("ichnaea builds")
}

/// What the alarms refer to but this test does not create: the databases.
fn databases() -> HashMap<LogicalId, Observed> {
    let mut observed = HashMap::new();
    for (name, identifier) in
        [("DatabaseInstance", "ichnaea-prod-database"), ("DatabaseReplica1", "ichnaea-prod-database-replica1")]
    {
        observed.insert(id(name), Observed::new(id(name), "AWS::RDS::DBInstance", identifier));
    }
    observed
}

const CREATED: [&str; 4] = ["AlarmsKey", "AlarmsTopic", "AlarmsEmail1", "SecretKey"];

fn hash_of(stack: &Stack, observed: &HashMap<LogicalId, Observed>, name: &str) -> String {
    let (props, _) = common::desired(stack, observed, name);
    desired::hash(&props)
}

/// `name` with `edit` made to its resolved properties, applied in place through its adapter.
async fn update_with(
    ctx: &Ctx<'_>,
    observed: &mut HashMap<LogicalId, Observed>,
    name: &str,
    edit: impl Fn(&mut serde_json::Map<String, Json>),
) -> (Vec<String>, Observed) {
    let (props, mut tags) = common::desired(ctx.stack, observed, name);
    let mut map = props.as_object().expect("object").clone();
    edit(&mut map);
    let want = Json::Object(map.clone());
    tags.retain(|(k, _)| k != "iac:hash");
    tags.push(("iac:hash".into(), desired::hash(&want)));
    let current = observed[&id(name)].clone();
    let planned = desired::changed(&want, &current.props);
    let entry = ctx.stack.resource(&id(name)).expect("in the stack");
    let o = services::update(ctx, entry, &current, &map, &tags).await.unwrap_or_else(|e| panic!("update {name}: {e}"));
    assert!(
        desired::changed(&want, &o.props).is_empty(),
        "{name} after update: {:?}",
        desired::changed(&want, &o.props)
    );
    observed.insert(id(name), o.clone());
    (planned, o)
}

async fn discover_all(ctx: &Ctx<'_>) -> HashMap<LogicalId, Observed> {
    let mut found = Vec::new();
    found.extend(kms::discover(ctx).await.expect("kms"));
    found.extend(sns::discover(ctx).await.expect("sns"));
    found.extend(secretsmanager::discover(ctx).await.expect("secretsmanager"));
    let mut out = HashMap::new();
    for o in found {
        assert!(out.insert(o.id.clone(), o.clone()).is_none(), "{} found twice", o.id);
    }
    out
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn ichnaea_monitoring_and_secret_through_the_sdks() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = ichnaea();
    let ctx = Ctx { clients: &clients, stack: &stack, timing: common::fast() };
    let mut observed = databases();

    // Create, each read back equal to the template.
    for name in CREATED {
        let (props, o) =
            common::apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name}: read back differs in {diff:?}: {:?}", o.props);
    }
    let key = &observed[&id("AlarmsKey")];
    assert!(key.attrs["Arn"].starts_with("arn:aws:kms:us-east-1:123456789012:key/"), "{:?}", key.attrs);
    assert_eq!(key.props["EnableKeyRotation"], json!(true));
    let topic = &observed[&id("AlarmsTopic")];
    assert_eq!(topic.attrs["Ref"], "arn:aws:sns:us-east-1:123456789012:ichnaea-prod-alarms-topic");
    assert_eq!(topic.props["KmsMasterKeyId"], json!(key.attrs["Arn"]), "the topic is encrypted with the stack's key");
    assert_eq!(observed[&id("AlarmsEmail1")].props["Endpoint"], json!("ops@location.example.org"));
    let secret = observed[&id("SecretKey")].clone();
    assert!(
        secret.physical_id.starts_with("arn:aws:secretsmanager:us-east-1:123456789012:secret:ichnaea-prod-secret-key")
    );

    // The generated value: 64 letters and digits (GenerateSecretString honoured), in no
    // observation, tag or plan.
    let value = |clients: &iac_aws::Clients| {
        let sm = clients.secretsmanager.clone();
        async move {
            let v = sm.get_secret_value().secret_id("ichnaea-prod-secret-key").send().await.expect("value");
            v.secret_string().expect("a string").to_owned()
        }
    };
    let generated = value(&clients).await;
    assert_eq!(generated.len(), 64);
    assert!(generated.chars().all(|c| c.is_ascii_alphanumeric()), "no punctuation");
    let shown = serde_json::to_string(&observed.values().collect::<Vec<_>>()).expect("json");
    assert!(!shown.contains(&generated), "the secret value is in an observation");
    let described = clients.secretsmanager.describe_secret().secret_id(&secret.physical_id).send().await.expect("d");
    assert!(described.tags().iter().all(|t| t.value() != Some(generated.as_str())));
    assert!(described.tags().iter().any(|t| t.key() == Some("iac:id") && t.value() == Some("SecretKey")));

    // Discovery finds every one, with its hash, equal to the template: a second plan is empty.
    let found = discover_all(&ctx).await;
    for name in CREATED {
        let o = found.get(&id(name)).unwrap_or_else(|| panic!("{name} not discovered: {:?}", found.keys()));
        let (props, _) = common::desired(&stack, &observed, name);
        assert!(desired::changed(&props, &o.props).is_empty(), "{name}: {:?}", desired::changed(&props, &o.props));
        if name != "AlarmsEmail1" {
            assert_eq!(o.hash, Some(hash_of(&stack, &observed, name)), "{name} hash");
        }
    }
    // Another environment sees none of them.
    let other = StackBuilder::new("ichnaea", "dev").build().expect("stack");
    let other_ctx = Ctx { clients: &clients, stack: &other, timing: common::fast() };
    assert!(discover_all(&other_ctx).await.is_empty());

    // A create run again (a rerun after a kill inside the call) makes no second resource.
    for name in ["AlarmsTopic", "AlarmsEmail1", "SecretKey"] {
        let before = observed[&id(name)].physical_id.clone();
        let (_, o) = common::apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(o.physical_id, before, "{name} made twice");
    }
    assert_eq!(value(&clients).await, generated, "the secret's value is never overwritten");
    assert_eq!(clients.sns.list_topics().send().await.expect("topics").topics().len(), 1);
    assert_eq!(clients.secretsmanager.list_secrets().send().await.expect("secrets").secret_list().len(), 1);
    assert_eq!(discover_all(&ctx).await.len(), CREATED.len());

    // In-place updates, planned as exactly the property changed.
    let (planned, _) = update_with(&ctx, &mut observed, "AlarmsTopic", |m| {
        m.insert("DisplayName".into(), json!("ichnaea prod pager"));
    })
    .await;
    assert_eq!(planned, ["DisplayName"]);
    let (mut planned, o) = update_with(&ctx, &mut observed, "AlarmsKey", |m| {
        m.insert("Description".into(), json!("alarm topic key"));
        m.insert("EnableKeyRotation".into(), json!(false));
    })
    .await;
    planned.sort();
    assert_eq!(planned, ["Description", "EnableKeyRotation"]);
    assert_eq!(o.props["EnableKeyRotation"], json!(false));
    let (planned, _) = update_with(&ctx, &mut observed, "SecretKey", |m| {
        m.insert("Description".into(), json!("signs the sessions"));
    })
    .await;
    assert_eq!(planned, ["Description"]);
    assert_eq!(value(&clients).await, generated, "an update never touches the value");
    for name in ["AlarmsTopic", "AlarmsKey", "SecretKey"] {
        for r in spec::by_cloudformation_type(&observed[&id(name)].cfn_type).expect("spec").replacement {
            assert!(!["DisplayName", "Description", "EnableKeyRotation"].contains(&r.property));
        }
    }

    // A new alarm name, topic name, endpoint or secret name replaces, for the spec's reason.
    for (ty, property) in [
        ("AWS::CloudWatch::Alarm", "AlarmName"),
        ("AWS::SNS::Topic", "TopicName"),
        ("AWS::SNS::Subscription", "Endpoint"),
        ("AWS::SecretsManager::Secret", "Name"),
    ] {
        let trigger = spec::by_cloudformation_type(ty).and_then(|k| k.replacement(property));
        assert!(trigger.is_some_and(|t| !t.reason().is_empty()), "{ty} {property}");
    }
    let old = observed[&id("AlarmsTopic")].clone();
    let (props, tags) = common::desired(&stack, &observed, "AlarmsTopic");
    let mut renamed = props.as_object().expect("object").clone();
    renamed.insert("TopicName".into(), json!("ichnaea-prod-pager"));
    assert!(desired::changed(&Json::Object(renamed.clone()), &old.props).contains(&"TopicName".to_owned()));
    let entry = stack.resource(&id("AlarmsTopic")).expect("entry");
    services::delete(&ctx, &old).await.expect("delete the old topic");
    let new = services::create(&ctx, entry, &renamed, &tags).await.expect("create the new topic");
    assert_eq!(new.physical_id, "arn:aws:sns:us-east-1:123456789012:ichnaea-prod-pager");
    let arns: Vec<String> = clients
        .sns
        .list_topics()
        .send()
        .await
        .expect("topics")
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_owned))
        .collect();
    assert_eq!(arns, std::slice::from_ref(&new.physical_id), "the old topic is gone");
    services::delete(&ctx, &new).await.expect("delete");
    common::apply(&ctx, &mut observed, "AlarmsTopic", false).await.expect("back");
    common::apply(&ctx, &mut observed, "AlarmsEmail1", false).await.expect("subscribed again");

    // Drift made by direct SDK calls is reported as exactly that property.
    clients
        .sns
        .set_topic_attributes()
        .topic_arn(&observed[&id("AlarmsTopic")].physical_id)
        .attribute_name("DisplayName")
        .attribute_value("changed by hand")
        .send()
        .await
        .expect("set attribute");
    clients
        .kms
        .update_key_description()
        .key_id(&observed[&id("AlarmsKey")].physical_id)
        .description("changed by hand")
        .send()
        .await
        .expect("describe key");
    clients
        .secretsmanager
        .update_secret()
        .secret_id(&secret.physical_id)
        .description("changed by hand")
        .send()
        .await
        .expect("update secret");
    let found = discover_all(&ctx).await;
    let drift = |name: &str, stack: &Stack| {
        let (props, _) = common::desired(stack, &observed, name);
        desired::changed(&props, &found[&id(name)].props)
    };
    assert_eq!(drift("AlarmsTopic", &stack), ["DisplayName"]);
    let mut key_drift = drift("AlarmsKey", &stack);
    key_drift.sort();
    assert_eq!(key_drift, ["Description", "EnableKeyRotation"]);
    assert_eq!(drift("SecretKey", &stack), ["Description"]);
    assert!(drift("AlarmsEmail1", &stack).is_empty());

    // Delete: subscription, alarms, topic; the key is scheduled for deletion 30 days ahead; the
    // secret gets a recovery window. Each twice.
    for name in ["AlarmsEmail1", "AlarmsTopic", "AlarmsKey", "SecretKey"] {
        let o = found.get(&id(name)).cloned().unwrap_or_else(|| observed[&id(name)].clone());
        services::delete(&ctx, &o).await.unwrap_or_else(|e| panic!("delete {name}: {e}"));
        services::delete(&ctx, &o).await.unwrap_or_else(|e| panic!("second delete {name}: {e}"));
    }
    let meta = clients.kms.describe_key().key_id(&observed[&id("AlarmsKey")].physical_id).send().await.expect("key");
    let meta = meta.key_metadata().expect("metadata");
    assert_eq!(meta.key_state(), Some(&aws_sdk_kms::types::KeyState::PendingDeletion), "not deleted at once");
    let days = (meta.deletion_date().expect("a date").secs()
        - aws_smithy_types::DateTime::from(std::time::SystemTime::now()).secs())
        / 86_400;
    assert!((29..=30).contains(&days), "{days} days");
    let described = clients.secretsmanager.describe_secret().secret_id(&secret.physical_id).send().await.expect("d");
    assert!(described.deleted_date().is_some(), "scheduled for deletion, restorable");
    assert!(clients.sns.list_topics().send().await.expect("topics").topics().is_empty());
    assert!(discover_all(&ctx).await.is_empty(), "nothing of the stack is left");

    // Applied again within the recovery window, the secret comes back with its value.
    let (_, o) = common::apply(&ctx, &mut observed, "SecretKey", false).await.expect("create again");
    assert_eq!(o.physical_id, secret.physical_id);
    assert_eq!(value(&clients).await, generated, "restored, not generated anew");
}

/// A small stack of these kinds: an alarm on a plain topic's failed deliveries, notifying an
/// alarm topic with its key and subscription; a generated secret.
fn small(display_name: &str) -> Stack {
    let mut b = StackBuilder::new("watch", "test");
    let alarms = Notifications::create(&mut b, "Alarms", &["ops@example.org".to_owned()]);
    b.add("PlainTopic", Topic::encrypted(display_name));
    let failed = Alarm {
        name: None,
        description: "deliveries of the plain topic failed".into(),
        namespace: "AWS/SNS".into(),
        metric_name: "NumberOfNotificationsFailed".into(),
        dimensions: vec![Dimension { name: "TopicName".into(), value: "watch-test-plain-topic".into() }],
        statistic: Statistic::Sum,
        period_seconds: 300,
        evaluation_periods: 1,
        datapoints_to_alarm: None,
        threshold: 1.0,
        comparison: Comparison::GreaterThanOrEqual,
        missing_data: MissingData::NotBreaching,
        alarm_actions: Vec::new(),
        ok_actions: Vec::new(),
    };
    alarms.alarm(&mut b, "FailedAlarm", failed);
    b.add("Token", Secret::generated("an API token", 40));
    b.build().expect("stack")
}

const ALARMS: [&str; 3] = ["DatabaseCpuAlarm", "ReplicaLagAlarm", "BinLogDiskUsageAlarm"];

/// `name`'s alarm as its template says, through `PutMetricAlarm` straight from the SDK, with
/// `edit` made to the request (drift made by hand).
async fn put_by_hand(
    clients: &iac_aws::Clients,
    props: &Json,
    edit: impl FnOnce(
        aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder,
    ) -> aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder,
) {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension as CwDimension, Statistic as CwStatistic};
    let text = |k: &str| props[k].as_str().map(str::to_owned);
    let number = |k: &str| props[k].as_i64().and_then(|n| i32::try_from(n).ok());
    let actions = |k: &str| {
        props[k].as_array().map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect::<Vec<_>>())
    };
    let dimensions = props["Dimensions"].as_array().map(|ds| {
        ds.iter()
            .map(|d| {
                CwDimension::builder()
                    .name(d["Name"].as_str().expect("name"))
                    .value(d["Value"].as_str().expect("value"))
                    .build()
            })
            .collect::<Vec<_>>()
    });
    let request = clients
        .cloudwatch
        .put_metric_alarm()
        .set_alarm_name(text("AlarmName"))
        .set_alarm_description(text("AlarmDescription"))
        .set_namespace(text("Namespace"))
        .set_metric_name(text("MetricName"))
        .set_dimensions(dimensions)
        .set_statistic(text("Statistic").map(|s| CwStatistic::from(s.as_str())))
        .set_period(number("Period"))
        .set_evaluation_periods(number("EvaluationPeriods"))
        .set_datapoints_to_alarm(number("DatapointsToAlarm"))
        .set_threshold(props["Threshold"].as_f64())
        .set_comparison_operator(text("ComparisonOperator").map(|s| ComparisonOperator::from(s.as_str())))
        .set_treat_missing_data(text("TreatMissingData"))
        .set_alarm_actions(actions("AlarmActions"))
        .set_ok_actions(actions("OKActions"));
    edit(request).send().await.expect("PutMetricAlarm by hand");
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn ichnaea_alarms_through_the_sdk() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = ichnaea();
    let ctx = Ctx { clients: &clients, stack: &stack, timing: common::fast() };
    let mut observed = databases();
    for name in ["AlarmsKey", "AlarmsTopic"] {
        common::apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
    }
    let topic = observed[&id("AlarmsTopic")].physical_id.clone();

    // Create, each read back equal to the template, notifying the stack's topic.
    for name in ALARMS {
        let (props, o) =
            common::apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name}: read back differs in {diff:?}: {:?}", o.props);
        assert_eq!(o.attrs["Arn"], format!("arn:aws:cloudwatch:us-east-1:123456789012:alarm:{}", o.physical_id));
        assert_eq!(o.props["AlarmActions"], json!([topic]), "{name}");
        assert_eq!(o.props["OKActions"], json!([topic]), "{name}");
    }
    assert_eq!(observed[&id("DatabaseCpuAlarm")].physical_id, "ichnaea-prod-database-cpu-alarm");
    assert_eq!(observed[&id("DatabaseCpuAlarm")].props["Dimensions"][0]["Value"], json!("ichnaea-prod-database"));

    // Discovery finds the three, with their hashes, equal to the template; another
    // environment sees none; a stack that has no alarm any more still finds them (orphans).
    let found = cloudwatch::discover(&ctx).await.expect("discover");
    assert_eq!(found.len(), ALARMS.len(), "{found:?}");
    for o in &found {
        let (props, _) = common::desired(&stack, &observed, o.id.as_str());
        assert!(desired::changed(&props, &o.props).is_empty(), "{}: {:?}", o.id, desired::changed(&props, &o.props));
        assert_eq!(o.hash, Some(hash_of(&stack, &observed, o.id.as_str())), "{} hash", o.id);
    }
    let other = StackBuilder::new("ichnaea", "dev").build().expect("stack");
    let other_ctx = Ctx { clients: &clients, stack: &other, timing: common::fast() };
    assert!(cloudwatch::discover(&other_ctx).await.expect("discover").is_empty());
    let bare = StackBuilder::new("ichnaea", "prod").build().expect("stack");
    let bare_ctx = Ctx { clients: &clients, stack: &bare, timing: common::fast() };
    assert_eq!(cloudwatch::discover(&bare_ctx).await.expect("discover").len(), ALARMS.len(), "orphans are found");

    // A create run again makes no second alarm (PutMetricAlarm overwrites by name).
    let before = observed[&id("ReplicaLagAlarm")].clone();
    let (_, o) = common::apply(&ctx, &mut observed, "ReplicaLagAlarm", false).await.expect("again");
    assert_eq!((&o.physical_id, &o.attrs), (&before.physical_id, &before.attrs));
    let all = clients.cloudwatch.describe_alarms().send().await.expect("describe");
    assert_eq!(all.metric_alarms().len(), ALARMS.len());

    // In place: a new threshold is planned as exactly that property; the new hash is tagged.
    let (planned, o) = update_with(&ctx, &mut observed, "DatabaseCpuAlarm", |m| {
        m.insert("Threshold".into(), json!(90.0));
    })
    .await;
    assert_eq!(planned, ["Threshold"]);
    assert_eq!(o.props["Threshold"], json!(90.0));
    let cpu = cloudwatch::discover(&ctx)
        .await
        .expect("discover")
        .into_iter()
        .find(|f| f.id == id("DatabaseCpuAlarm"))
        .expect("still ours after the update");
    assert_eq!(cpu.props["Threshold"], json!(90.0));
    assert_eq!(cpu.hash, o.hash, "the update tagged the new hash");
    assert!(spec::by_cloudformation_type("AWS::CloudWatch::Alarm").expect("spec").replacement("Threshold").is_none());

    // Drift made by a direct PutMetricAlarm (which keeps the alarm's tags) is reported as
    // exactly that property.
    let (lag, _) = common::desired(&stack, &observed, "ReplicaLagAlarm");
    put_by_hand(&clients, &lag, |r| r.evaluation_periods(9)).await;
    let (disk, _) = common::desired(&stack, &observed, "BinLogDiskUsageAlarm");
    put_by_hand(&clients, &disk, |r| r.treat_missing_data("breaching").alarm_description("changed by hand")).await;
    let found: HashMap<LogicalId, Observed> =
        cloudwatch::discover(&ctx).await.expect("discover").into_iter().map(|o| (o.id.clone(), o)).collect();
    assert_eq!(desired::changed(&lag, &found[&id("ReplicaLagAlarm")].props), ["EvaluationPeriods"]);
    let mut disk_drift = desired::changed(&disk, &found[&id("BinLogDiskUsageAlarm")].props);
    disk_drift.sort();
    assert_eq!(disk_drift, ["AlarmDescription", "TreatMissingData"]);

    // Delete, each twice (already gone is success); the alarms and their tags are gone.
    for name in ALARMS {
        let o = found[&id(name)].clone();
        services::delete(&ctx, &o).await.unwrap_or_else(|e| panic!("delete {name}: {e}"));
        services::delete(&ctx, &o).await.unwrap_or_else(|e| panic!("second delete {name}: {e}"));
        let tags =
            clients.cloudwatch.list_tags_for_resource().resource_arn(&o.attrs["Arn"]).send().await.expect("tags");
        assert!(tags.tags().is_empty(), "{name}: {:?}", tags.tags());
    }
    assert!(clients.cloudwatch.describe_alarms().send().await.expect("describe").metric_alarms().is_empty());
    assert!(cloudwatch::discover(&ctx).await.expect("discover").is_empty());
}

#[tokio::test]
async fn engine_applies_converges_and_guards_the_secret() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let quiet = |_: &iac_aws::engine::Event| {};
    let options = Options { timing: common::fast(), ..Options::default() };
    let engine = Engine::new(clients.clone(), small("plain"), options.clone()).expect("engine");
    let plan = engine.plan().await.expect("plan");
    engine.apply(&plan, &quiet).await.expect("apply");
    let again = engine.plan().await.expect("plan");
    assert!(again.is_empty(), "second plan: {again}");
    assert!(engine.drift().await.expect("drift").is_empty());

    // A new display name is an in-place update of that property.
    let engine2 = Engine::new(clients.clone(), small("loud"), options.clone()).expect("engine");
    let plan = engine2.plan().await.expect("plan");
    let changed: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action != iac_aws::Action::Unchanged)
        .map(|c| (c.id.as_str(), &c.action))
        .collect();
    assert_eq!(changed, [("PlainTopic", &iac_aws::Action::Update { changes: vec!["DisplayName".into()] })]);
    engine2.apply(&plan, &quiet).await.expect("apply");
    assert!(engine2.plan().await.expect("plan").is_empty());

    // Destroy refuses without the flag (the secret holds data), then deletes with it.
    let err = engine2.destroy(&quiet).await.expect_err("refused").to_string();
    assert!(err.contains("Token"), "{err}");
    assert!(!err.contains("AlarmsKey"), "a key is not data: {err}");
    let careless =
        Engine::new(clients.clone(), small("loud"), Options { allow_data_loss: true, ..options }).expect("engine");
    careless.destroy(&quiet).await.expect("destroy");
    assert!(careless.plan().await.expect("plan").changes.iter().all(|c| c.action == iac_aws::Action::Create));
    let secret = clients.secretsmanager.describe_secret().secret_id("watch-test-token").send().await.expect("kept");
    assert!(secret.deleted_date().is_some(), "deleted with a recovery window");
}
