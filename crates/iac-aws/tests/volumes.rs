//! EBS data volumes through the SDK engine on a local moto server, with Postback's aws stack
//! whole (its host, data volume and attachment): up from nothing and read back equal to the
//! template, a second plan empty, the volume grown in place as exactly that property (never
//! shrunk), drift made through the SDK reported as that property, a new zone planned as a
//! replacement that loses data (refused without the flag), a new host image replacing the
//! instance and its attachment while the volume stays, and data safety: destroy refuses without
//! `--allow-data-loss`, and with it snapshots the volume before deleting it.

mod common;

use iac_aws::engine::Event;
use iac_aws::{Action, Engine, Options};
use iac_core::Stack;
use iac_core::model::{Resource, ResourceEntry};
use iac_core::value::Value;

fn quiet(_: &Event) {}

fn postback(edit: impl Fn(&mut ResourceEntry)) -> Stack {
    let seed = common::seed::stack("postback", "aws");
    let ids: Vec<String> = seed.resources().map(|e| e.id.to_string()).collect();
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    common::seed::part(&seed, &ids, edit)
}

fn edit_volume(f: impl Fn(&mut iac_core::model::Volume)) -> impl Fn(&mut ResourceEntry) {
    move |e| {
        if let Resource::Volume(v) = &mut e.resource {
            f(v);
        }
    }
}

async fn images(clients: &iac_aws::Clients) -> Vec<String> {
    let out = clients
        .ec2
        .describe_images()
        .owners("amazon")
        .filters(aws_sdk_ec2::types::Filter::builder().name("name").values("al2023-ami-*").build())
        .send()
        .await
        .expect("describe_images");
    out.images().iter().filter_map(|i| i.image_id().map(str::to_owned)).collect()
}

fn options(image: &str, allow_data_loss: bool) -> Options {
    let params = [("HostImageId".to_owned(), image.to_owned())].into_iter().collect();
    Options { params, timing: common::fast(), allow_data_loss, ..Options::default() }
}

async fn volume(clients: &iac_aws::Clients, id: &str) -> aws_sdk_ec2::types::Volume {
    let out = clients.ec2.describe_volumes().volume_ids(id).send().await.expect("describe");
    out.volumes()[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn postback_volume_up_grows_drifts_survives_its_host_and_is_snapshotted() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let amis = images(&clients).await;
    let (ami, new_image) = (amis[0].as_str(), amis[1].as_str());

    // Up from nothing, read back equal to the template.
    let engine = Engine::new(clients.clone(), postback(|_| {}), options(ami, false)).expect("engine");
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
        if matches!(entry.resource, Resource::Volume(_) | Resource::VolumeAttachment(_)) {
            for k in desired.keys().filter(|k| *k != "Tags") {
                assert!(o.props.contains_key(k), "{}: {k} is not read back", entry.id);
            }
        }
    }
    let vol = observed[&common::id("AppDataVolume")].physical_id.clone();
    let instance = observed[&common::id("AppInstance")].physical_id.clone();
    let subnet_zone = observed[&common::id("PrivateSubnet1")].attrs["AvailabilityZone"].clone();
    let v = volume(&clients, &vol).await;
    assert_eq!(v.availability_zone(), Some(subnet_zone.as_str()));
    assert_eq!((v.size(), v.encrypted()), (Some(20), Some(true)));
    assert_eq!(v.attachments()[0].instance_id(), Some(instance.as_str()));
    assert_eq!(v.attachments()[0].device(), Some("/dev/sdf"));
    assert_eq!(observed[&common::id("AppDataVolumeAttachment")].physical_id, format!("{vol}|{instance}"));
    assert!(engine.plan().await.expect("plan").is_empty(), "a second plan is empty");

    // Grown in place: exactly that property.
    let bigger = postback(edit_volume(|v| v.size_gib = 30));
    let engine2 = Engine::new(clients.clone(), bigger.clone(), options(ami, false)).expect("engine");
    let plan = engine2.plan().await.expect("plan");
    let changed: Vec<(&str, &Action)> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| (c.id.as_str(), &c.action)).collect();
    assert_eq!(changed, [("AppDataVolume", &Action::Update { changes: vec!["Size".into()] })], "{plan}");
    engine2.apply(&plan, &quiet).await.expect("grow");
    let again = engine2.plan().await.expect("plan");
    assert!(again.is_empty(), "{again}");
    assert_eq!(volume(&clients, &vol).await.size(), Some(30));

    // Drift made through the SDK is that property; shrinking back is refused, not attempted.
    clients.ec2.modify_volume().volume_id(&vol).size(40).send().await.expect("grow outside the tool");
    let drift = engine2.drift().await.expect("drift");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(
        (drift[0].id.as_str(), drift[0].properties.as_slice()),
        ("AppDataVolume", ["Size".to_owned()].as_slice())
    );
    let plan = engine2.plan().await.expect("plan");
    let err = engine2.apply(&plan, &quiet).await.expect_err("never shrunk").to_string();
    assert!(err.contains("can only grow (40 GiB now, 30 GiB asked)"), "{err}");
    let at_40 = postback(edit_volume(|v| v.size_gib = 40));
    // The stack taking the new size has nothing to change but the hash tag.
    let engine2 = Engine::new(clients.clone(), at_40.clone(), options(ami, false)).expect("engine");
    let plan = engine2.plan().await.expect("plan");
    let changed: Vec<&str> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| c.id.as_str()).collect();
    assert_eq!(changed, ["AppDataVolume"], "{plan}");
    engine2.apply(&plan, &quiet).await.expect("retag");
    assert!(engine2.plan().await.expect("plan").is_empty());

    // Another zone replaces the volume: data loss, refused without the flag.
    let moved = postback(edit_volume(|v| {
        v.size_gib = 40;
        v.availability_zone = Value::from("us-east-1f");
    }));
    let engine3 = Engine::new(clients.clone(), moved, options(ami, false)).expect("engine");
    let plan = engine3.plan().await.expect("plan");
    let c = plan.changes.iter().find(|c| c.id == "AppDataVolume").expect("planned");
    assert_eq!(
        c.action,
        Action::Replace { reason: "AvailabilityZone changed: a volume lives in one zone for life".into() },
        "{plan}"
    );
    assert!(c.data_loss && plan.to_string().contains("a final snapshot is taken"), "{plan}");
    let err = engine3.apply(&plan, &quiet).await.expect_err("refused").to_string();
    assert!(err.contains("refusing to replace or delete AppDataVolume"), "{err}");

    // A new host image replaces the instance and its attachment; the volume (and its data) stays.
    let engine4 = Engine::new(clients.clone(), at_40.clone(), options(new_image, false)).expect("engine");
    let plan = engine4.plan().await.expect("plan");
    let replaced: Vec<&str> =
        plan.changes.iter().filter(|c| matches!(c.action, Action::Replace { .. })).map(|c| c.id.as_str()).collect();
    assert_eq!(replaced, ["AppInstance"], "{plan}");
    let attachment = plan.changes.iter().find(|c| c.id == "AppDataVolumeAttachment").expect("planned");
    assert_eq!(attachment.action, Action::Update { changes: vec!["(a dependency is replaced)".into()] }, "{plan}");
    assert!(!plan.changes.iter().any(|c| c.data_loss), "{plan}");
    engine4.apply(&plan, &quiet).await.expect("a new host");
    assert!(engine4.plan().await.expect("plan").is_empty());
    let after = engine4.discover().await.expect("discover");
    let new_instance = after[&common::id("AppInstance")].physical_id.clone();
    assert_ne!(new_instance, instance);
    assert_eq!(after[&common::id("AppDataVolume")].physical_id, vol, "the same volume");
    let v = volume(&clients, &vol).await;
    let attached: Vec<&str> = v.attachments().iter().filter_map(|a| a.instance_id()).collect();
    assert_eq!(attached, [new_instance.as_str()]);

    // Destroy: refused without the flag...
    let err = engine4.destroy(&quiet).await.expect_err("refused").to_string();
    assert!(err.contains("AppDataVolume") && err.contains("--allow-data-loss"), "{err}");
    assert_eq!(volume(&clients, &vol).await.volume_id(), Some(vol.as_str()));
    // ... and with it the volume is snapshotted, then deleted.
    let careless = Engine::new(clients.clone(), at_40, options(new_image, true)).expect("engine");
    let report = careless.destroy(&quiet).await.expect("destroy");
    assert!(report.kept.iter().any(|k| k.contains("final snapshot `") && k.contains(&vol)), "{:?}", report.kept);
    assert!(careless.discover().await.expect("discover").is_empty(), "everything is gone");
    assert!(clients.ec2.describe_volumes().volume_ids(&vol).send().await.is_err(), "the volume is deleted");
    let snaps = clients
        .ec2
        .describe_snapshots()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:iac:snapshot-of")
                .values("postback/aws/AppDataVolume")
                .build(),
        )
        .send()
        .await
        .expect("snapshots");
    assert_eq!(snaps.snapshots().len(), 1, "{:?}", snaps.snapshots());
    let s = &snaps.snapshots()[0];
    assert_eq!(s.volume_id(), Some(vol.as_str()));
    assert_eq!(s.volume_size(), Some(40));
    let name = s.tags().iter().find(|t| t.key() == Some("Name")).and_then(|t| t.value()).unwrap_or_default();
    assert!(name.starts_with("postback-aws-app-data-volume-final-"), "{name}");
}
