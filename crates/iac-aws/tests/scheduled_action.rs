//! Auto scaling scheduled actions on a local moto server, through the engine: a group with two
//! scheduled actions (up in the morning, down at night) is applied from nothing, a second plan is
//! empty, the actions are found again by their names on the group (they take no tags), drift by a
//! direct call is reported as exactly that property, a size dropped from the stack is removed in
//! AWS too (a put alone would keep it), an action that left the stack is deleted, and destroy
//! removes everything. No seed stack schedules a group's size (Ichnaea runs its map job from the
//! admin node's cron), so the stack here is made for the test; the launch template is made with
//! the raw EC2 client. On moto the actions are stored and never run.

mod common;

use aws_sdk_ec2::types::RequestLaunchTemplateData;
use common::{ZONES, id};
use iac_aws::desired;
use iac_aws::{Action, Clients, Engine, Options};
use iac_core::model::{AutoScalingGroup, HealthCheckType, ScheduledAction};
use iac_core::{Stack, StackBuilder};
use serde_json::json;

struct Network {
    subnet: String,
    template: String,
}

async fn network(clients: &Clients) -> Network {
    let ec2 = &clients.ec2;
    let vpc = ec2.create_vpc().cidr_block("10.40.0.0/16").send().await.expect("create_vpc");
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_owned();
    let s = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.40.0.0/24")
        .availability_zone(ZONES[0])
        .send()
        .await
        .expect("create_subnet");
    let subnet = s.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_owned();
    let data = RequestLaunchTemplateData::builder().image_id("ami-11111111").instance_type("t3.micro".into()).build();
    let lt = ec2
        .create_launch_template()
        .launch_template_name("sat-test-batch")
        .launch_template_data(data)
        .send()
        .await
        .expect("create_launch_template");
    let template = lt.launch_template().and_then(|t| t.launch_template_id()).expect("template id").to_owned();
    Network { subnet, template }
}

/// The group and its actions; `night_min` is the night action's minimum size (`None`: left out),
/// `morning` keeps the morning action in the stack.
fn stack(net: &Network, night_min: Option<u32>, morning: bool) -> Stack {
    let mut b = StackBuilder::new("sat", "test");
    b.tag("app", "sat");
    let asg = b.add(
        "BatchGroup",
        AutoScalingGroup {
            name: None,
            launch_template_id: net.template.as_str().into(),
            launch_template_version: "1".into(),
            min_size: 0,
            max_size: 4,
            desired_capacity: 0,
            subnet_ids: vec![net.subnet.as_str().into()],
            target_group_arns: Vec::new(),
            health_check_type: HealthCheckType::Ec2,
            health_check_grace_period: 60,
        },
    );
    if morning {
        b.add(
            "MorningScaleUp",
            ScheduledAction {
                auto_scaling_group_name: asg.name(),
                recurrence: "0 8 * * 1-5".into(),
                time_zone: Some("Europe/London".into()),
                min_size: Some(1),
                max_size: Some(4),
                desired_capacity: Some(2),
            },
        );
    }
    b.add(
        "NightScaleDown",
        ScheduledAction {
            auto_scaling_group_name: asg.name(),
            recurrence: "0 20 * * *".into(),
            time_zone: None,
            min_size: night_min,
            max_size: None,
            desired_capacity: Some(0),
        },
    );
    b.build().expect("the stack builds")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_actions_round_trip_through_the_engine() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let net = network(&clients).await;
    let noop = |_: &iac_aws::engine::Event| {};
    let options = || Options { timing: common::fast(), ..Options::default() };

    let engine = Engine::new(clients.clone(), stack(&net, Some(0), true), options()).expect("valid");
    let plan = engine.plan().await.expect("plans");
    assert_eq!(plan.counts(), [3, 0, 0, 0, 0]);
    engine.apply(&plan, &noop).await.expect("applies");
    assert_eq!(engine.plan().await.expect("plans").counts(), [0, 0, 0, 0, 3], "a second plan is empty");
    let found = engine.discover().await.expect("discovers");
    let zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
    for name in ["MorningScaleUp", "NightScaleDown"] {
        let o = &found[&id(name)];
        assert_eq!(o.physical_id, format!("sat-test-{name}"));
        let want = engine.desired(&id(name), &found, &zones).expect("resolves");
        assert!(desired::changed(&json!(want), &o.props).is_empty(), "{name}: {:?}", o.props);
    }
    assert_eq!(found[&id("MorningScaleUp")].props["TimeZone"], json!("Europe/London"));

    // Drift by a direct put: exactly that property.
    let group = found[&id("BatchGroup")].physical_id.clone();
    clients
        .autoscaling
        .put_scheduled_update_group_action()
        .auto_scaling_group_name(&group)
        .scheduled_action_name("sat-test-MorningScaleUp")
        .recurrence("0 7 * * 1-5")
        .time_zone("Europe/London")
        .min_size(1)
        .max_size(4)
        .desired_capacity(2)
        .send()
        .await
        .expect("put");
    let drift = engine.drift().await.expect("drift");
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!((drift[0].id.as_str(), drift[0].properties.clone()), ("MorningScaleUp", vec!["Recurrence".to_owned()]));

    // The night action without its minimum, and the morning action gone from the stack.
    let engine = Engine::new(clients.clone(), stack(&net, None, false), options()).expect("valid");
    let plan = engine.plan().await.expect("plans");
    let action = |name: &str| plan.changes.iter().find(|c| c.id == name).expect("planned").action.clone();
    assert_eq!(action("NightScaleDown"), Action::Update { changes: vec!["MinSize".into()] });
    assert_eq!(action("MorningScaleUp"), Action::Delete);
    engine.apply(&plan, &noop).await.expect("applies");
    let actions = clients
        .autoscaling
        .describe_scheduled_actions()
        .auto_scaling_group_name(&group)
        .send()
        .await
        .expect("describe_scheduled_actions");
    let left = actions.scheduled_update_group_actions();
    assert_eq!(left.len(), 1, "{left:?}");
    assert_eq!((left[0].min_size(), left[0].desired_capacity()), (None, Some(0)), "the minimum is gone in AWS");
    assert_eq!(engine.plan().await.expect("plans").counts(), [0, 0, 0, 0, 2], "converged");

    engine.destroy(&noop).await.expect("destroys");
    assert!(engine.discover().await.expect("discovers").is_empty());
}
