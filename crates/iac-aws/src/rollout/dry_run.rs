//! The dry run: the steps and the resources they would touch, read from what exists.

#[allow(clippy::wildcard_imports)] // the parent's types and imports
use super::*;

impl Run<'_> {
    #[allow(clippy::too_many_lines)] // one arm per kind of step
    pub(super) async fn dry_run(&mut self, first: usize) -> Result<(), AwsError> {
        let observed = self.observe().await?;
        for k in first..self.steps.len() {
            let step = self.steps[k].1.clone();
            let role = self.role(&step)?;
            let mut phases: Vec<(Phase, Vec<String>)> = Vec::new();
            let (mut from, mut to) = (None, None);
            match (&step, &role.runs_on) {
                (Step::Switch(_), RunsOn::Group { group, launch_template, target_group }) => {
                    let (blue, _) = self.blue_green(&role, group).await?;
                    let Some(blue) = blue else {
                        return Err(
                            self.state_error(&role.name, "no live group to switch from; deploy the stack first")
                        );
                    };
                    let green = green_name(&self.base_name(group), &self.base.rollout);
                    let lt = observed.get(launch_template).map(|o| o.physical_id.clone()).unwrap_or_default();
                    let tg = target_group
                        .as_ref()
                        .and_then(|t| observed.get(t))
                        .map(|o| o.physical_id.clone())
                        .unwrap_or_default();
                    let (min, max, desired) = blue.capacity();
                    let blue_ids = blue.in_service().join(", ");
                    if let Some(v) = blue.launch_template_version() {
                        self.old_ami = self.old_ami.take().or(self.image_of(&observed, launch_template, &v).await?);
                    }
                    phases = vec![
                        (Phase::Prepare, vec![format!("blue group {} ({blue_ids})", blue.name)]),
                        (
                            Phase::LaunchTemplate,
                            vec![format!(
                                "launch template {lt}: a version with {} (blue uses version {})",
                                self.base.ami,
                                blue.launch_template_version().unwrap_or_default()
                            )],
                        ),
                        (
                            Phase::CreateGreen,
                            vec![
                                format!("green group {green}: {desired} instances (min {min}, max {max})"),
                                format!("target group {tg}"),
                            ],
                        ),
                        (
                            Phase::WaitHealthy,
                            vec![format!(
                                "target group {tg}: green targets healthy within {:.1} s",
                                self.options.health_timeout.as_secs_f64()
                            )],
                        ),
                        (Phase::Cutover, vec![format!("target group {tg}: blue instances {blue_ids} deregistered")]),
                        (Phase::Drain, vec![format!("target group {tg}")]),
                        (Phase::RetireBlue, vec![format!("blue group {}: scaled to 0 and deleted", blue.name)]),
                    ];
                    from = Some(blue.name.clone());
                    to = Some(green);
                }
                (Step::Stop(_), _) => {
                    let (_, _, g) = self.live_group(&role).await?;
                    let (min, max, desired) = g.capacity();
                    phases = vec![(Phase::Stop, vec![format!("group {}: from {min}/{max}/{desired} to 0", g.name)])];
                }
                (Step::Start(_), RunsOn::Group { launch_template, .. }) => {
                    let (_, _, g) = self.live_group(&role).await?;
                    let lt = observed.get(launch_template).map(|o| o.physical_id.clone()).unwrap_or_default();
                    phases = vec![(
                        Phase::Start,
                        vec![
                            format!("launch template {lt}: a version with {}", self.base.ami),
                            format!("group {}: the new version at its recorded capacity", g.name),
                        ],
                    )];
                }
                (Step::RunOnce { command, .. }, _) => {
                    let (_, instance, _) = self.hook_target(&role).await?;
                    let image = role.image(self.ctx.stack).unwrap_or_default();
                    let words: Vec<String> = command
                        .iter()
                        .map(|a| match a {
                            Arg::Lit(s) => s.clone(),
                            Arg::Image => image.clone(),
                        })
                        .collect();
                    phases = vec![(Phase::RunOnce, vec![format!("instance {instance}: {}", words.join(" "))])];
                }
                (Step::Deploy(_), RunsOn::Service { service: id, task_definition, target_group }) => {
                    let Some(live) = service(&self.ctx, id).await? else {
                        return Err(self.state_error(
                            &role.name,
                            format!("ECS service `{id}` does not exist; deploy the stack first"),
                        ));
                    };
                    let tg = observed.get(target_group).map(|o| o.physical_id.clone()).unwrap_or_default();
                    let images: Vec<String> =
                        role.containers(self.ctx.stack).iter().map(|c| format!("{} {}", c.name, c.image)).collect();
                    phases = vec![
                        (Phase::Prepare, vec![format!("service {}: runs {}", live.name, live.task_definition())]),
                        (
                            Phase::Register,
                            vec![format!("task definition `{task_definition}`: a revision with {}", images.join(", "))],
                        ),
                        (Phase::Deploy, vec![format!("service {}: the new revision", live.name)]),
                        (
                            Phase::WaitSteady,
                            vec![format!(
                                "service {}: one deployment, every task healthy in {tg} within {:.1} s",
                                live.name,
                                self.options.health_timeout.as_secs_f64()
                            )],
                        ),
                        (
                            Phase::Prune,
                            vec![format!(
                                "the family's active revisions beyond the {} newest",
                                self.options.keep_revisions
                            )],
                        ),
                    ];
                    from = Some(live.task_definition());
                }
                (Step::UpdateHost(_), _) => {
                    let (_, instance, _) = self.hook_target(&role).await?;
                    let images: Vec<String> = role
                        .host_config(self.ctx.stack)
                        .map(|h| h.containers.iter().map(|c| format!("{} {}", c.name, c.image)).collect())
                        .unwrap_or_default();
                    phases = vec![(Phase::UpdateHost, vec![format!("instance {instance}: {}", images.join(", "))])];
                }
                _ => {}
            }
            self.reports.push(StepReport {
                number: k + 1,
                step: step.to_string(),
                role: role.name.clone(),
                from,
                to,
                phases: phases
                    .into_iter()
                    .map(|(phase, touches)| PhaseReport { phase, seconds: 0.0, touches })
                    .collect(),
            });
        }
        Ok(())
    }
}
