//! The `EventBridge` Scheduler service module on a local moto server, with `ViewBovis`'s own
//! schedules (universal targets that start and stop its host; Concerto's ECS `RunTask` schedules
//! are in `ecs.rs`): created, read back equal to the template, found again by name and
//! description marker (a schedule of the same name without the marker, made by hand, is never
//! taken over), drift made by a direct call reported as exactly that property, updated in place,
//! and deleted (twice). The instance and the role are stand-in observations: the scheduler checks
//! neither. On moto the schedules never fire.

mod common;

use std::collections::HashMap;

use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, Target};
use common::{apply, id};
use iac_aws::desired;
use iac_aws::services::{self, Ctx, scheduler};
use iac_aws::state::Observed;
use iac_core::LogicalId;
use serde_json::json;

const SCHEDULES: [&str; 2] = ["StartSchedule", "StopSchedule"];

async fn found(ctx: &Ctx<'_>) -> HashMap<LogicalId, Observed> {
    scheduler::discover(ctx).await.expect("discovers").into_iter().map(|o| (o.id.clone(), o)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewbovis_power_schedules_round_trip() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = stacks::registry().build("viewbovis", "prod", None).expect("viewbovis builds");
    let ctx = Ctx { clients: &clients, stack: &stack, timing: common::fast() };
    let mut observed = HashMap::new();
    let host = Observed::new(id("AppInstance"), "AWS::EC2::Instance", "i-0123456789abcdef0");
    let role = Observed::new(id("PowerScheduleRole"), "AWS::IAM::Role", "viewbovis-prod-power-schedule-role")
        .attr("Arn", "arn:aws:iam::123456789012:role/viewbovis-prod-power-schedule-role");
    observed.insert(host.id.clone(), host);
    observed.insert(role.id.clone(), role);

    // A schedule of a stack name made by hand (no marker) is not the stack's.
    let window = FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build().expect("window");
    let target = Target::builder()
        .arn("arn:aws:scheduler:::aws-sdk:ec2:startInstances")
        .role_arn("arn:aws:iam::123456789012:role/someone")
        .input("{}")
        .build()
        .expect("target");
    clients
        .scheduler
        .create_schedule()
        .name("viewbovis-prod-by-hand")
        .description("made by hand")
        .schedule_expression("rate(1 day)")
        .flexible_time_window(window.clone())
        .target(target.clone())
        .send()
        .await
        .expect("create_schedule");

    for name in SCHEDULES {
        let (props, o) = apply(&ctx, &mut observed, name, false).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{name} read back differs in {diff:?}:\n{:#?}", o.props);
        let keys: Vec<&String> = props.as_object().expect("object").keys().collect();
        assert!(keys.iter().all(|k| o.props.contains_key(*k)), "{name}: every property is read back: {keys:?}");
        assert_eq!(o.props["Target"]["Input"], json!(r#"{"InstanceIds":["i-0123456789abcdef0"]}"#));
    }
    let seen = found(&ctx).await;
    assert_eq!(seen.len(), 2, "{:?}", seen.keys());
    for name in SCHEDULES {
        assert_eq!(seen[&id(name)].hash, observed[&id(name)].hash, "{name}: the hash is read back from the marker");
        assert!(seen[&id(name)].attrs["Arn"].ends_with(&format!(":schedule/default/{}", seen[&id(name)].physical_id)));
    }
    let stored = clients.scheduler.get_schedule().name("viewbovis-prod-start-schedule").send().await.expect("get");
    let text = stored.description().unwrap_or_default();
    assert!(
        text.starts_with("Start the ViewBovis prod host at 08:00 every day [iac:stack=viewbovis iac:env=prod iac:id=StartSchedule iac:hash="),
        "{text}"
    );

    // Drift by a direct call (the description, marker included, kept): exactly that property.
    clients
        .scheduler
        .update_schedule()
        .name("viewbovis-prod-stop-schedule")
        .set_description(
            clients
                .scheduler
                .get_schedule()
                .name("viewbovis-prod-stop-schedule")
                .send()
                .await
                .expect("get")
                .description()
                .map(str::to_owned),
        )
        .schedule_expression("cron(0 23 * * ? *)")
        .schedule_expression_timezone("Europe/London")
        .state(aws_sdk_scheduler::types::ScheduleState::Enabled)
        .flexible_time_window(window)
        .set_target(stored.target().map(|t| {
            let mut t = t.clone();
            t.arn = "arn:aws:scheduler:::aws-sdk:ec2:stopInstances".into();
            t
        }))
        .send()
        .await
        .expect("update_schedule");
    let drifted = found(&ctx).await;
    let (want, _) = common::desired(&stack, &observed, "StopSchedule");
    assert_eq!(desired::changed(&want, &drifted[&id("StopSchedule")].props), ["ScheduleExpression"]);
    let (props, o) = apply(&ctx, &mut observed, "StopSchedule", true).await.expect("update");
    assert!(desired::changed(&props, &o.props).is_empty(), "{:?}", o.props);

    for name in SCHEDULES {
        let current = observed[&id(name)].clone();
        services::delete(&ctx, &current).await.unwrap_or_else(|e| panic!("delete {name}: {e}"));
        services::delete(&ctx, &current).await.unwrap_or_else(|e| panic!("delete {name} again: {e}"));
    }
    assert!(found(&ctx).await.is_empty());
    let left = clients.scheduler.list_schedules().send().await.expect("list_schedules");
    assert_eq!(left.schedules().len(), 1, "the hand-made schedule is untouched");
}
