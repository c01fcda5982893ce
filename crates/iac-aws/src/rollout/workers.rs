//! Stopping and starting workers and singletons (the capacity is recorded before the stop).

#[allow(clippy::wildcard_imports)] // the parent's types and imports
use super::*;

impl Run<'_> {
    pub(super) async fn live_group(&self, role: &Role) -> Result<(LogicalId, LogicalId, Group), AwsError> {
        let RunsOn::Group { group, launch_template, .. } = &role.runs_on else {
            return Err(self.state_error(&role.name, "stop and start need a group (Role::workers or Role::singleton)"));
        };
        let (blue, green) = self.blue_green(role, group).await?;
        let live = green.or(blue).ok_or_else(|| {
            self.state_error(&role.name, format!("no group carries `{group}`; deploy the stack first"))
        })?;
        Ok((group.clone(), launch_template.clone(), live))
    }

    pub(super) async fn stop(&mut self, role: &Role, from: Option<Phase>) -> Result<(), AwsError> {
        let (_, _, group) = self.live_group(role).await?;
        let ledger = [Ledger::Group(group.name.clone())];
        if from.unwrap_or(Phase::Stop) <= Phase::Stop {
            let resumed = group.record().is_some_and(|r| r.is_same_rollout(&self.base) && r.step == self.base.step);
            let capacity = match group.tag(TAG_CAPACITY) {
                Some(c) if resumed => c.to_owned(),
                _ => {
                    let (min, max, desired) = group.capacity();
                    format!("{min}/{max}/{desired}")
                }
            };
            let touches = vec![format!("group {}: scaled from {capacity} (min/max/desired) to 0", group.name)];
            let t = self.enter(Phase::Stop, &ledger, &[(TAG_CAPACITY, capacity)], touches).await?;
            let req = self
                .ctx
                .clients
                .autoscaling
                .update_auto_scaling_group()
                .auto_scaling_group_name(&group.name)
                .min_size(0)
                .desired_capacity(0);
            retry_if(&self.ctx, &group.name, "autoscaling:UpdateAutoScalingGroup", busy, || req.clone().send()).await?;
            self.wait_empty(&group.name).await?;
            self.finish(Phase::Stop, t)?;
        }
        self.enter(Phase::Done, &ledger, &[], Vec::new()).await?;
        Ok(())
    }

    pub(super) async fn start(&mut self, role: &Role, from: Option<Phase>) -> Result<(), AwsError> {
        let (group_id, lt_id, group) = self.live_group(role).await?;
        let ledger = [Ledger::Group(group.name.clone())];
        if from.unwrap_or(Phase::Start) <= Phase::Start {
            let capacity: Vec<i32> = group
                .tag(TAG_CAPACITY)
                .map(|c| c.split('/').filter_map(|x| x.parse().ok()).collect())
                .unwrap_or_default();
            let [min, max, desired] = capacity[..] else {
                return Err(self.state_error(
                    &role.name,
                    format!(
                        "group `{}` has no recorded capacity: start it only after this rollout stopped it",
                        group.name
                    ),
                ));
            };
            let running = group.aws.instances().len();
            if role.kind == iac_core::rollout::RoleKind::Singleton && running > 0 {
                // Running after a stop: someone started it, unless this very phase did before a kill.
                let started_by_us = group.record().is_some_and(|r| {
                    r.is_same_rollout(&self.base) && r.step == self.base.step && r.phase == Phase::Start
                });
                if !started_by_us {
                    return Err(self.state_error(
                        &role.name,
                        format!(
                            "singleton group `{}` still runs {running} instance(s); it must be stopped first so that \
                             two never run at once",
                            group.name
                        ),
                    ));
                }
            }
            let touches =
                vec![format!("group {}: the new version, to {min}/{max}/{desired} (min/max/desired)", group.name)];
            let t = self.enter(Phase::Start, &ledger, &[], touches).await?;
            let mut observed = self.observe().await?;
            if let Some(v) = group.launch_template_version() {
                self.old_ami = self.old_ami.take().or(self.image_of(&observed, &lt_id, &v).await?);
            }
            let lt = self.update_launch_template(&lt_id, &observed).await?;
            observed.insert(lt_id.clone(), lt);
            let current = Observed::new(group_id.clone(), GROUP, group.name.clone());
            observed.insert(group_id.clone(), current.clone());
            let want = self.desired(&group_id, &observed)?;
            let hash = desired::hash(&Json::Object(want.clone()));
            let mut props = want;
            props.insert("MinSize".into(), json!(min.to_string()));
            props.insert("MaxSize".into(), json!(max.to_string()));
            props.insert("DesiredCapacity".into(), json!(desired.to_string()));
            let entry = self.entry(&group_id)?;
            let mut tags = naming::tags(self.ctx.stack, entry);
            tags.push((TAG_HASH.to_owned(), hash));
            services::update(&self.ctx, entry, &current, &props, &tags).await?;
            self.finish(Phase::Start, t)?;
        }
        self.enter(Phase::Done, &ledger, &[], Vec::new()).await?;
        Ok(())
    }
}
