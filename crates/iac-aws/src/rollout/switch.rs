//! The blue/green switch of a web role: launch template version, green group, health,
//! cutover, draining, retiring the blue group; and the rollback.

#[allow(clippy::wildcard_imports)] // the parent's types and imports
use super::*;

impl Run<'_> {
    #[allow(clippy::too_many_lines)] // the phases, in order
    pub(super) async fn switch(&mut self, role: &Role, from: Option<Phase>) -> Result<(), AwsError> {
        let RunsOn::Group { group: group_id, launch_template: lt_id, target_group: Some(tg_id) } = &role.runs_on else {
            return Err(self.state_error(&role.name, "a switch needs a group behind a target group (Role::web)"));
        };
        let from = from.unwrap_or(Phase::Prepare);
        let (mut blue, mut green) = self.blue_green(role, group_id).await?;
        let mut observed = self.observe().await?;
        let tg_arn = observed.get(tg_id).map(|o| o.physical_id.clone()).ok_or_else(|| {
            self.state_error(&role.name, format!("target group `{tg_id}` does not exist; deploy the stack first"))
        })?;
        let base_name = self.base_name(group_id);
        let green_name = green_name(&base_name, &self.base.rollout);
        if let Some(r) = self.reports.last_mut() {
            r.from = blue.as_ref().map(|b| b.name.clone());
            r.to = Some(green_name.clone());
        }
        if from >= Phase::RollBack {
            return Box::pin(self.roll_back(role, group_id, blue.as_ref(), green.as_ref(), lt_id, &tg_arn, None)).await;
        }
        if green.is_none() && (Phase::WaitHealthy..=Phase::RetireBlue).contains(&from) {
            if from >= Phase::Cutover {
                return Err(self.state_error(
                    &role.name,
                    format!(
                        "the green group `{green_name}` is gone after the cutover began; restore the blue group's \
                         registration in the target group by hand, then resume"
                    ),
                ));
            }
            // Deleted by hand while the rollout was stopped: make it again.
            return Box::pin(self.switch(role, Some(Phase::CreateGreen))).await;
        }
        let ledgers = |b: &Option<Group>, g: &Option<Group>| -> Vec<Ledger> {
            b.iter().chain(g.iter()).map(|x| Ledger::Group(x.name.clone())).collect()
        };

        if let Some(b) = &blue
            && let Some(v) = b.launch_template_version()
        {
            self.old_ami = self.old_ami.take().or(self.image_of(&observed, lt_id, &v).await?);
        }

        if from <= Phase::Prepare {
            let Some(b) = &blue else {
                return Err(self.state_error(&role.name, "no live group to switch from; deploy the stack first"));
            };
            let lt = observed
                .get(lt_id)
                .ok_or_else(|| self.state_error(&role.name, format!("launch template `{lt_id}` does not exist")))?;
            let previous =
                format!("{}/{}", b.launch_template_version().unwrap_or_default(), lt.hash.clone().unwrap_or_default());
            let touches = vec![format!("blue group {} ({} in service)", b.name, b.in_service().len())];
            let t = self
                .enter(
                    Phase::Prepare,
                    &ledgers(&blue, &green),
                    &[(TAG_COLOR, "blue".to_owned()), (TAG_PREVIOUS, previous)],
                    touches,
                )
                .await?;
            self.finish(Phase::Prepare, t)?;
        }

        if from <= Phase::LaunchTemplate {
            let lt = observed.get(lt_id).map(|o| o.physical_id.clone()).unwrap_or_default();
            let touches = vec![format!("launch template {lt}: a version with {}", self.base.ami)];
            let t = self.enter(Phase::LaunchTemplate, &ledgers(&blue, &green), &[], touches).await?;
            let updated = self.update_launch_template(lt_id, &observed).await?;
            observed.insert(lt_id.clone(), updated);
            self.finish(Phase::LaunchTemplate, t)?;
        }

        if from <= Phase::CreateGreen {
            let Some(b) = blue.clone() else {
                return Err(self.state_error(&role.name, "no live group to take the capacity from"));
            };
            let (min, max, desired) = b.capacity();
            let touches = vec![
                format!("green group {green_name}: {desired} instances (min {min}, max {max})"),
                format!("target group {tg_arn}"),
            ];
            let t = self.enter(Phase::CreateGreen, &ledgers(&blue, &green), &[], touches).await?;
            let entry = self.entry(group_id)?;
            let asg_desired = self.desired(group_id, &observed)?;
            let hash = desired::hash(&Json::Object(asg_desired.clone()));
            let observed_green = if let Some(g) = &green {
                self.wait_in_service(&g.name, usize::try_from(desired).unwrap_or(0)).await?;
                Observed::new(group_id.clone(), GROUP, g.name.clone()).attr("AutoScalingGroupName", g.name.clone())
            } else {
                let mut props = asg_desired.clone();
                props.insert("AutoScalingGroupName".into(), json!(green_name));
                props.insert("MinSize".into(), json!(min.to_string()));
                props.insert("MaxSize".into(), json!(max.to_string()));
                props.insert("DesiredCapacity".into(), json!(desired.to_string()));
                let mut own =
                    vec![(TAG_NAME.to_owned(), base_name.clone()), (TAG_COLOR.to_owned(), "green".to_owned())];
                own.extend(self.base.tags());
                if let Some(list) = props.get_mut("Tags").and_then(Json::as_array_mut) {
                    for (k, v) in &own {
                        list.push(json!({ "Key": k, "Value": v, "PropagateAtLaunch": false }));
                    }
                }
                let mut tags = naming::tags(self.ctx.stack, entry);
                tags.push((TAG_HASH.to_owned(), hash));
                tags.extend(own);
                services::create(&self.ctx, entry, &props, &tags).await?
            };
            // The role's scaling policies, on the green group.
            observed.insert(group_id.clone(), observed_green);
            self.put_policies(group_id, &observed, false).await?;
            self.finish(Phase::CreateGreen, t)?;
            green = self.blue_green(role, group_id).await?.1;
        }

        if from <= Phase::WaitHealthy {
            let Some(g) = green.clone() else {
                return Err(self.state_error(&role.name, format!("the green group `{green_name}` is missing")));
            };
            let wanted = blue.as_ref().map_or_else(|| g.capacity().2, |b| b.capacity().2);
            let touches = vec![format!("target group {tg_arn}: green instances {}", g.in_service().join(", "))];
            let t = self.enter(Phase::WaitHealthy, &ledgers(&blue, &green), &[], touches).await?;
            match self.wait_healthy(&g.name, &tg_arn, usize::try_from(wanted).unwrap_or(0)).await? {
                Ok(()) => self.finish(Phase::WaitHealthy, t)?,
                Err(Unhealthy(reason)) => {
                    return Box::pin(self.roll_back(
                        role,
                        group_id,
                        blue.as_ref(),
                        green.as_ref(),
                        lt_id,
                        &tg_arn,
                        Some(reason),
                    ))
                    .await;
                }
            }
        }

        if from <= Phase::Cutover {
            let touches = blue
                .iter()
                .map(|b| format!("target group {tg_arn}: blue instances {} deregistered", b.in_service().join(", ")))
                .collect();
            let t = self.enter(Phase::Cutover, &ledgers(&blue, &green), &[], touches).await?;
            if let Some(b) = &blue {
                self.detach(b, &tg_arn).await?;
            }
            self.finish(Phase::Cutover, t)?;
        }

        if from <= Phase::Drain {
            let delay = Self::deregistration_delay(&observed, tg_id);
            let wait = self.options.drain_timeout.unwrap_or(delay);
            let touches = vec![format!("target group {tg_arn}: draining, up to {:.1} s", wait.as_secs_f64())];
            let t = self.enter(Phase::Drain, &ledgers(&blue, &green), &[], touches).await?;
            if let Some(b) = &blue {
                self.wait_drained(b, &tg_arn, wait).await?;
            }
            self.finish(Phase::Drain, t)?;
        }

        if from <= Phase::RetireBlue {
            let touches = blue.iter().map(|b| format!("blue group {}: scaled to 0 and deleted", b.name)).collect();
            let t = self.enter(Phase::RetireBlue, &ledgers(&blue, &green), &[], touches).await?;
            if let Some(b) = blue.take() {
                self.retire(group_id, &b).await?;
            }
            self.finish(Phase::RetireBlue, t)?;
        }

        let touches = green.iter().map(|g| format!("group {} serves", g.name)).collect();
        self.enter(Phase::Done, &ledgers(&blue, &green), &[], touches).await?;
        if let Some(r) = self.reports.last_mut() {
            r.to = green.as_ref().map(|g| g.name.clone());
        }
        Ok(())
    }

    /// Puts the stack's scaling policies of `group_id` on the group `observed` holds for it (with
    /// `missing_only`, only those the group lacks).
    pub(super) async fn put_policies(
        &self,
        group_id: &LogicalId,
        observed: &HashMap<LogicalId, Observed>,
        missing_only: bool,
    ) -> Result<(), AwsError> {
        let policies: Vec<LogicalId> = self
            .ctx
            .stack
            .resources()
            .filter(|e| matches!(&e.resource, Resource::ScalingPolicy(p) if refers_to(&p.auto_scaling_group_name, group_id)))
            .map(|e| e.id.clone())
            .collect();
        let group = observed.get(group_id).map(|o| o.physical_id.clone()).unwrap_or_default();
        for p in policies {
            if missing_only {
                let name = services::autoscaling::policy_name(&self.ctx, &p);
                let req = self
                    .ctx
                    .clients
                    .autoscaling
                    .describe_policies()
                    .auto_scaling_group_name(&group)
                    .policy_names(&name);
                let out =
                    self.ctx.retry(p.as_str(), "autoscaling:DescribePolicies", &[], || req.clone().send()).await?;
                if !out.scaling_policies().is_empty() {
                    continue;
                }
            }
            let props = self.desired(&p, observed)?;
            services::create(&self.ctx, self.entry(&p)?, &props, &Vec::new()).await?;
        }
        Ok(())
    }

    /// The name the stack gives group `id`.
    pub(super) fn base_name(&self, id: &LogicalId) -> String {
        self.template["Resources"][id.as_str()]["Properties"]["AutoScalingGroupName"]
            .as_str()
            .map_or_else(|| self.ctx.stack.physical_name(id, 255), str::to_owned)
    }

    /// The role's live (blue) group and this rollout's green group.
    pub(super) async fn blue_green(
        &self,
        role: &Role,
        group_id: &LogicalId,
    ) -> Result<(Option<Group>, Option<Group>), AwsError> {
        let mut blue = Vec::new();
        let mut green = None;
        // This rollout's green group is known by its name (tags can be left over from an
        // earlier rollout, or written by a hook that ran on the group).
        let mine = green_name(&self.base_name(group_id), &self.base.rollout);
        for g in groups(&self.ctx, group_id).await? {
            if g.name == mine {
                green = Some(g);
            } else {
                blue.push(g);
            }
        }
        if blue.len() > 1 {
            let names: Vec<&str> = blue.iter().map(|g| g.name.as_str()).collect();
            return Err(self.state_error(
                &role.name,
                format!(
                    "two live groups carry `{group_id}`: {}; a rollout was left half-way outside this tool. Delete the \
                     one that does not serve, then run again",
                    names.join(", ")
                ),
            ));
        }
        Ok((blue.pop(), green))
    }

    /// The image of version `version` of launch template `lt`.
    pub(super) async fn image_of(
        &self,
        observed: &HashMap<LogicalId, Observed>,
        lt: &LogicalId,
        version: &str,
    ) -> Result<Option<String>, AwsError> {
        let Some(o) = observed.get(lt) else { return Ok(None) };
        let req = self
            .ctx
            .clients
            .ec2
            .describe_launch_template_versions()
            .launch_template_id(&o.physical_id)
            .versions(version);
        let out = self.ctx.retry(lt.as_str(), "ec2:DescribeLaunchTemplateVersions", &[], || req.clone().send()).await?;
        Ok(out
            .launch_template_versions()
            .first()
            .and_then(|v| v.launch_template_data())
            .and_then(|d| d.image_id())
            .map(str::to_owned))
    }

    pub(super) async fn describe(&self, name: &str) -> Result<Option<AwsGroup>, AwsError> {
        let req = self.ctx.clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name);
        let out = self.ctx.retry(name, "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
        Ok(out.auto_scaling_groups().iter().find(|g| !g.status().is_some_and(|s| s.starts_with("Delete"))).cloned())
    }

    pub(super) async fn wait_in_service(&self, name: &str, wanted: usize) -> Result<(), AwsError> {
        self.ctx
            .wait_for(name, &format!("{wanted} instances InService"), || async move {
                let Some(g) = self.describe(name).await? else {
                    return Err(
                        self.state_error("-", format!("group `{name}` disappeared while waiting for its instances"))
                    );
                };
                let n =
                    g.instances().iter().filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService)).count();
                Ok((n >= wanted).then_some(()))
            })
            .await
    }

    /// Target states in `tg` (all registered targets, or those of `ids`).
    pub(super) async fn target_states(
        &self,
        tg: &str,
        ids: Option<&[String]>,
    ) -> Result<Vec<(String, String, String)>, AwsError> {
        let mut req = self.ctx.clients.elbv2.describe_target_health().target_group_arn(tg);
        for id in ids.unwrap_or_default() {
            req = req.targets(TargetDescription::builder().id(id).build());
        }
        let out = self.ctx.retry(tg, "elasticloadbalancing:DescribeTargetHealth", &[], || req.clone().send()).await?;
        Ok(out
            .target_health_descriptions()
            .iter()
            .map(|d| {
                let id = d.target().and_then(|t| t.id()).unwrap_or_default().to_owned();
                let health = d.target_health();
                let state = health.and_then(|h| h.state()).map_or("unknown", TargetHealthStateEnum::as_str).to_owned();
                let reason = health.and_then(|h| h.reason()).map(|r| r.as_str().to_owned()).unwrap_or_default();
                (id, state, reason)
            })
            .collect())
    }

    /// Waits until `wanted` green instances are in service and every one is `healthy` in `tg`
    /// (registering any the group's attachment has not); `Err(Unhealthy)` when the health
    /// timeout passes first.
    pub(super) async fn wait_healthy(
        &self,
        green: &str,
        tg: &str,
        wanted: usize,
    ) -> Result<Result<(), Unhealthy>, AwsError> {
        let deadline = Instant::now() + self.options.health_timeout;
        loop {
            let ids = self.describe(green).await?.map_or_else(Vec::new, |g| {
                let mut ids: Vec<String> = g
                    .instances()
                    .iter()
                    .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
                    .filter_map(|i| i.instance_id().map(str::to_owned))
                    .collect();
                ids.sort();
                ids
            });
            let registered: Vec<String> =
                self.target_states(tg, None).await?.into_iter().map(|(id, _, _)| id).collect();
            let missing: Vec<&String> = ids.iter().filter(|id| !registered.contains(id)).collect();
            if !missing.is_empty() {
                let mut req = self.ctx.clients.elbv2.register_targets().target_group_arn(tg);
                for id in &missing {
                    req = req.targets(TargetDescription::builder().id(*id).build());
                }
                self.ctx
                    .retry(tg, "elasticloadbalancing:RegisterTargets", &["InvalidTarget"], || req.clone().send())
                    .await?;
            }
            let states = if ids.is_empty() { Vec::new() } else { self.target_states(tg, Some(&ids)).await? };
            let healthy = states.iter().filter(|(_, s, _)| s == "healthy").count();
            let shown: Vec<String> = states
                .iter()
                .map(|(id, s, r)| if r.is_empty() { format!("{id}: {s}") } else { format!("{id}: {s} ({r})") })
                .collect();
            (self.progress)(&RolloutEvent::Health { healthy, wanted, states: shown.clone() });
            if ids.len() >= wanted && healthy == ids.len() && healthy >= wanted {
                return Ok(Ok(()));
            }
            if Instant::now() >= deadline {
                let seen = if shown.is_empty() { "no instance in service".to_owned() } else { shown.join(", ") };
                return Ok(Err(Unhealthy(format!(
                    "{healthy} of {wanted} green targets healthy after {:.1} s ({seen})",
                    self.options.health_timeout.as_secs_f64()
                ))));
            }
            tokio::time::sleep(self.options.timing.poll).await;
        }
    }

    /// Takes `group` out of `tg`: detached (AWS deregisters its instances, draining them) and its
    /// registered instances deregistered.
    pub(super) async fn detach(&self, group: &Group, tg: &str) -> Result<(), AwsError> {
        let asg = &self.ctx.clients.autoscaling;
        if self.describe(&group.name).await?.is_some_and(|g| g.target_group_arns().iter().any(|t| t == tg)) {
            let req =
                asg.detach_load_balancer_target_groups().auto_scaling_group_name(&group.name).target_group_arns(tg);
            retry_if(&self.ctx, &group.name, "autoscaling:DetachLoadBalancerTargetGroups", busy, || req.clone().send())
                .await?;
        }
        let mine: Vec<String> =
            group.aws.instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
        let registered: Vec<String> = self
            .target_states(tg, None)
            .await?
            .into_iter()
            .filter(|(id, s, _)| mine.contains(id) && s != "draining")
            .map(|(id, _, _)| id)
            .collect();
        if !registered.is_empty() {
            let mut req = self.ctx.clients.elbv2.deregister_targets().target_group_arn(tg);
            for id in &registered {
                req = req.targets(TargetDescription::builder().id(id).build());
            }
            self.ctx.retry(tg, "elasticloadbalancing:DeregisterTargets", &[], || req.clone().send()).await?;
        }
        Ok(())
    }

    pub(super) fn deregistration_delay(observed: &HashMap<LogicalId, Observed>, tg: &LogicalId) -> Duration {
        let seconds = observed
            .get(tg)
            .and_then(|o| o.props.get("TargetGroupAttributes"))
            .and_then(Json::as_array)
            .and_then(|attrs| {
                attrs.iter().find(|a| a["Key"] == "deregistration_delay.timeout_seconds").and_then(
                    |a| match &a["Value"] {
                        Json::String(s) => s.parse().ok(),
                        Json::Number(n) => n.as_u64(),
                        _ => None,
                    },
                )
            })
            .unwrap_or(300);
        Duration::from_secs(seconds)
    }

    /// Waits until none of `group`'s instances is in `tg` any more, or `wait` passes (then the
    /// load balancer has closed their connections anyway).
    pub(super) async fn wait_drained(&self, group: &Group, tg: &str, wait: Duration) -> Result<(), AwsError> {
        let deadline = Instant::now() + wait;
        let mine: Vec<String> =
            group.aws.instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
        loop {
            let left: Vec<String> = self
                .target_states(tg, None)
                .await?
                .into_iter()
                .filter(|(id, _, _)| mine.contains(id))
                .map(|(id, _, _)| id)
                .collect();
            if left.is_empty() || Instant::now() >= deadline {
                return Ok(());
            }
            (self.progress)(&RolloutEvent::Draining { targets: left });
            tokio::time::sleep(self.options.timing.poll).await;
        }
    }

    /// Scales `group` to zero, waits until its instances are gone, and deletes it.
    pub(super) async fn retire(&self, id: &LogicalId, group: &Group) -> Result<(), AwsError> {
        if self.describe(&group.name).await?.is_some() {
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
        }
        services::delete(&self.ctx, &Observed::new(id.clone(), GROUP, group.name.clone())).await
    }

    pub(super) async fn wait_empty(&self, name: &str) -> Result<(), AwsError> {
        self.ctx
            .wait_for(name, "scaled to 0", || async move {
                Ok(self.describe(name).await?.is_none_or(|g| g.instances().is_empty()).then_some(()))
            })
            .await
    }

    /// Green is not healthy (or a rollback was under way): green deleted, the launch template's
    /// default data the blue's again, blue left as it was.
    #[allow(clippy::too_many_arguments)] // the switch's state, handed over as it is
    pub(super) async fn roll_back(
        &mut self,
        role: &Role,
        group_id: &LogicalId,
        blue: Option<&Group>,
        green: Option<&Group>,
        lt_id: &LogicalId,
        tg: &str,
        reason: Option<String>,
    ) -> Result<(), AwsError> {
        // The tags as they are now (the prepare phase wrote the blue's previous launch template).
        let (now_blue, now_green) = self.blue_green(role, group_id).await?;
        let blue = now_blue.as_ref().or(blue);
        let green = now_green.as_ref().or(green);
        let Some(blue) = blue.cloned() else {
            return Err(self.state_error(
                &role.name,
                "rolling back, but the blue group is gone; resume cannot restore it: redeploy the stack",
            ));
        };
        let reason = reason
            .or_else(|| blue.tag(TAG_REASON).map(str::to_owned))
            .unwrap_or_else(|| "green was not healthy".to_owned());
        (self.progress)(&RolloutEvent::RollingBack { reason: reason.clone() });
        let ledgers: Vec<Ledger> = std::iter::once(&blue).chain(green).map(|g| Ledger::Group(g.name.clone())).collect();
        let touches = green.iter().map(|g| format!("green group {}: deleted", g.name)).collect();
        let short: String = reason.chars().take(250).collect();
        let t = self.enter(Phase::RollBack, &ledgers, &[(TAG_REASON, short)], touches).await?;
        if let Some(g) = green {
            self.detach(g, tg).await?;
            self.retire(group_id, g).await?;
        }
        Box::pin(self.restore_launch_template(lt_id, &blue)).await?;
        // Policies are named per group on AWS, but region-wide on moto, where green's took the
        // blue's: put back any the blue lacks (an identical policy is no change on AWS).
        let mut observed = self.observe().await?;
        observed.insert(group_id.clone(), Observed::new(group_id.clone(), GROUP, blue.name.clone()));
        self.put_policies(group_id, &observed, true).await?;
        self.finish(Phase::RollBack, t)?;
        self.enter(Phase::RolledBack, &[Ledger::Group(blue.name.clone())], &[], Vec::new()).await?;
        Err(AwsError::RolledBack { stack: self.stack_name(), role: role.name.clone(), blue: blue.name.clone(), reason })
    }

    /// Makes the blue's launch template version's data the default again (as a new version, so
    /// the latest version is the data that serves and a later `apply` cannot move the group to
    /// the failed image), with the launch template's hash from before the switch.
    pub(super) async fn restore_launch_template(&self, lt_id: &LogicalId, blue: &Group) -> Result<(), AwsError> {
        let Some((version, hash)) = blue.tag(TAG_PREVIOUS).and_then(|p| p.split_once('/')) else {
            return Ok(());
        };
        let observed = self.observe().await?;
        let Some(lt) = observed.get(lt_id) else { return Ok(()) };
        let ec2c = &self.ctx.clients.ec2;
        let id = lt_id.as_str();
        let req = ec2c.describe_launch_template_versions().launch_template_id(&lt.physical_id).versions(version);
        let out = self.ctx.retry(id, "ec2:DescribeLaunchTemplateVersions", &[], || req.clone().send()).await?;
        let Some(data) = out.launch_template_versions().first().and_then(|v| v.launch_template_data()) else {
            return Ok(());
        };
        let blue_data = ec2::lt_json(data);
        let latest_is_blue = lt.props.get("LaunchTemplateData") == Some(&blue_data)
            && lt.attrs.get("LatestVersionNumber") == lt.attrs.get("DefaultVersionNumber");
        if !latest_is_blue {
            let blue_map = blue_data.as_object().cloned().unwrap_or_default();
            let blue: ec2::LaunchTemplateData = adapter::parse(self.ctx.stack.name(), id, &blue_map)?;
            let request = ec2::lt_request(&blue);
            let out = self
                .ctx
                .retry(id, "ec2:CreateLaunchTemplateVersion", &[], || {
                    ec2c.create_launch_template_version()
                        .launch_template_id(&lt.physical_id)
                        .launch_template_data(request.clone())
                        .send()
                })
                .await?;
            let number = out
                .launch_template_version()
                .and_then(aws_sdk_ec2::types::LaunchTemplateVersion::version_number)
                .unwrap_or(1)
                .to_string();
            self.ctx
                .retry(id, "ec2:ModifyLaunchTemplate", &[], || {
                    ec2c.modify_launch_template().launch_template_id(&lt.physical_id).default_version(&number).send()
                })
                .await?;
        }
        if !hash.is_empty() {
            let req =
                ec2c.create_tags().resources(&lt.physical_id).tags(Tag::builder().key(TAG_HASH).value(hash).build());
            self.ctx.retry(id, "ec2:CreateTags", &[], || req.clone().send()).await?;
        }
        Ok(())
    }
}
