//! What exists: a role's groups (the live one and a switch's green twin), hosts and ECS
//! services, and where a step's phases are recorded.

#[allow(clippy::wildcard_imports)] // the parent's types and imports
use super::*;

/// A group of a role, as it is now.
#[derive(Debug, Clone)]
pub(super) struct Group {
    pub(super) name: String,
    pub(super) tags: Tags,
    pub(super) aws: AwsGroup,
}

impl Group {
    pub(super) fn tag(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub(super) fn record(&self) -> Option<Record> {
        Record::read(&self.tags)
    }

    pub(super) fn in_service(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .aws
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    }

    pub(super) fn capacity(&self) -> (i32, i32, i32) {
        (self.aws.min_size().unwrap_or(0), self.aws.max_size().unwrap_or(0), self.aws.desired_capacity().unwrap_or(0))
    }

    pub(super) fn launch_template_version(&self) -> Option<String> {
        self.aws.launch_template().and_then(|lt| lt.version()).map(str::to_owned)
    }
}

/// The stack's groups carrying `id` (the live one, and during a switch its green twin).
pub(super) async fn groups(ctx: &Ctx<'_>, id: &LogicalId) -> Result<Vec<Group>, AwsError> {
    let filter = |k: &str, v: &str| GroupFilter::builder().name(format!("tag:{k}")).values(v).build();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = ctx
            .clients
            .autoscaling
            .describe_auto_scaling_groups()
            .filters(filter(TAG_STACK, ctx.stack.name()))
            .filters(filter(TAG_ENV, ctx.stack.env()))
            .filters(filter(TAG_ID, id.as_str()))
            .set_next_token(token.clone());
        let page = ctx.retry(id.as_str(), "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
        for g in page.auto_scaling_groups() {
            if g.status().is_some_and(|s| s.starts_with("Delete")) {
                continue;
            }
            let tags: Tags = g
                .tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
                .collect();
            out.push(Group { name: g.auto_scaling_group_name().unwrap_or_default().to_owned(), tags, aws: g.clone() });
        }
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The stack's instance `id` (not terminated) and its tags.
pub(super) async fn instance(ctx: &Ctx<'_>, id: &LogicalId) -> Result<Option<(String, Tags)>, AwsError> {
    let f = |k: &str, v: &str| Filter::builder().name(format!("tag:{k}")).values(v).build();
    let req = ctx
        .clients
        .ec2
        .describe_instances()
        .filters(f(TAG_STACK, ctx.stack.name()))
        .filters(f(TAG_ENV, ctx.stack.env()))
        .filters(f(TAG_ID, id.as_str()))
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .values("stopping")
                .values("stopped")
                .build(),
        );
    let out = ctx.retry(id.as_str(), "ec2:DescribeInstances", &[], || req.clone().send()).await?;
    let found = out.reservations().iter().flat_map(aws_sdk_ec2::types::Reservation::instances).find_map(|i| {
        let tags: Tags = i
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
            .collect();
        // Instances an ASG launched carry their group's id; the host is the one that is not in a group.
        let in_group = tags.iter().any(|(k, _)| k == "aws:autoscaling:groupName");
        (!in_group).then(|| (i.instance_id().unwrap_or_default().to_owned(), tags))
    });
    Ok(found)
}

/// Where a step's phases are recorded.
#[derive(Debug, Clone)]
pub(super) enum Ledger {
    Group(String),
    Instance(String),
    /// An ECS service, by ARN.
    Service(String),
}

/// An ECS service of a role, as it is now.
#[derive(Debug, Clone)]
pub(super) struct LiveService {
    pub(super) arn: String,
    pub(super) name: String,
    pub(super) cluster: String,
    pub(super) tags: Tags,
    pub(super) aws: aws_sdk_ecs::types::Service,
}

impl LiveService {
    pub(super) fn tag(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The task definition revision it runs (its primary deployment's).
    pub(super) fn task_definition(&self) -> String {
        self.aws.task_definition().unwrap_or_default().to_owned()
    }
}

/// The stack's ECS service `id` (`ACTIVE`, in any cluster), with its tags.
pub(super) async fn service(ctx: &Ctx<'_>, id: &LogicalId) -> Result<Option<LiveService>, AwsError> {
    let ecs = &ctx.clients.ecs;
    let clusters = services::paged_items(
        ctx,
        id.as_str(),
        "ecs:ListClusters",
        |t| ecs.list_clusters().set_next_token(t).send(),
        |o| (o.cluster_arns(), o.next_token()),
    )
    .await?;
    for cluster in &clusters {
        let arns = services::paged_items(
            ctx,
            id.as_str(),
            "ecs:ListServices",
            |t| ecs.list_services().cluster(cluster).set_next_token(t).send(),
            |o| (o.service_arns(), o.next_token()),
        )
        .await?;
        for batch in arns.chunks(10) {
            let found = ctx
                .retry(id.as_str(), "ecs:DescribeServices", &[], || {
                    ecs.describe_services()
                        .cluster(cluster)
                        .set_services(Some(batch.to_vec()))
                        .include(aws_sdk_ecs::types::ServiceField::Tags)
                        .send()
                })
                .await?;
            for s in found.services().iter().filter(|s| s.status() == Some("ACTIVE")) {
                let tags: Tags = s
                    .tags()
                    .iter()
                    .map(|t| (t.key().unwrap_or_default().to_owned(), t.value().unwrap_or_default().to_owned()))
                    .collect();
                let has = |k: &str, v: &str| tags.iter().any(|(key, value)| key == k && value == v);
                if has(TAG_STACK, ctx.stack.name()) && has(TAG_ENV, ctx.stack.env()) && has(TAG_ID, id.as_str()) {
                    return Ok(Some(LiveService {
                        arn: s.service_arn().unwrap_or_default().to_owned(),
                        name: s.service_name().unwrap_or_default().to_owned(),
                        cluster: cluster.clone(),
                        tags,
                        aws: s.clone(),
                    }));
                }
            }
        }
    }
    Ok(None)
}

/// A green group name: the stack's name for the group and the rollout's id.
pub(super) fn green_name(base: &str, rollout: &str) -> String {
    naming::fit(&format!("{base}-{rollout}"), 255)
}
