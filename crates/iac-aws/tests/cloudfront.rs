//! CloudFront on a local moto server, from Ichnaea prod's asset CDN (its origin access control
//! and distribution): created (the distribution tagged at creation and waited on until
//! `Deployed`), read back equal to the template, found by discovery, created again without a
//! second distribution (the deterministic `CallerReference`), updated in place through
//! `GetDistributionConfig` + `IfMatch`, drift made by a direct SDK call reported, and deleted
//! (disabled, deployed, deleted with the `ETag`), each twice.
//!
//! moto (5.2.5) drops an origin's `OriginAccessControlId` and its `S3OriginConfig` with an
//! empty `OriginAccessIdentity` (so the read-back lacks them there: the test checks that these
//! are the only differences) and does not check `IfMatch`.

mod common;

use std::collections::HashMap;

use common::id;
use iac_aws::desired;
use iac_aws::services::{self, Ctx, cloudfront};
use iac_aws::state::Observed;
use iac_core::{LogicalId, Stack};
use serde_json::{Value as Json, json};

/// Ichnaea prod with `certificate` as its asset CDN's certificate.
fn ichnaea(certificate: &str) -> Stack {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../stacks/config/ichnaea/prod.toml");
    let text = std::fs::read_to_string(path).expect("prod config").replace(
        "domain = \"assets.location.example.org\"",
        &format!("domain = \"assets.location.example.org\"\ncertificate_arn = \"{certificate}\""),
    );
    let source = stacks::ConfigSource { file: "prod.toml".into(), text };
    stacks::registry().build("ichnaea", "prod", Some(&source)).expect("ichnaea builds")
}

/// `props` without the origins' `OriginAccessControlId` and empty `S3OriginConfig`, which moto
/// does not keep.
fn without_oac(props: &Json) -> Json {
    let mut p = props.clone();
    for o in p["DistributionConfig"]["Origins"].as_array_mut().expect("origins") {
        let o = o.as_object_mut().expect("origin");
        o.remove("OriginAccessControlId");
        if o.get("S3OriginConfig") == Some(&json!({ "OriginAccessIdentity": "" })) {
            o.remove("S3OriginConfig");
        }
    }
    p
}

/// The differences moto leaves: none but the dropped origin access control.
fn differs(props: &Json, o: &Observed) -> Vec<String> {
    desired::changed(&without_oac(props), &o.props)
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn ichnaea_assets_cdn_through_the_sdks() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let certificate = moto.acm_certificate("assets.location.example.org");
    let stack = ichnaea(&certificate);
    let ctx = Ctx { clients: &clients, stack: &stack, timing: common::fast() };
    let mut observed: HashMap<LogicalId, Observed> = HashMap::new();
    // The bucket is another helper's kind: its regional domain name is all the distribution needs.
    let bucket = Observed::new(id("AssetsBucket"), "AWS::S3::Bucket", "ichnaea-prod-assets")
        .attr("RegionalDomainName", "ichnaea-prod-assets.s3.us-east-1.amazonaws.com");
    observed.insert(id("AssetsBucket"), bucket);

    let (props, oac) =
        common::apply(&ctx, &mut observed, "AssetsOriginAccessControl", false).await.expect("create the control");
    assert!(desired::changed(&props, &oac.props).is_empty(), "{:?}", oac.props);
    let (props, dist) = common::apply(&ctx, &mut observed, "AssetsDistribution", false).await.expect("create");
    assert_eq!(desired::changed(&props, &dist.props), ["DistributionConfig"], "moto drops the control's id");
    assert!(differs(&props, &dist).is_empty(), "{:#?}", dist.props);
    assert_eq!(props["DistributionConfig"]["Origins"][0]["OriginAccessControlId"], json!(oac.physical_id));
    assert!(dist.attrs["DomainName"].ends_with(".cloudfront.net"), "{:?}", dist.attrs);
    assert!(dist.attrs["Arn"].starts_with("arn:aws:cloudfront::123456789012:distribution/"));
    assert_eq!(dist.attrs["Ref"], dist.physical_id);
    assert_eq!(dist.props["DistributionConfig"]["ViewerCertificate"]["AcmCertificateArn"], json!(certificate));

    // Tagged in the create call.
    let tags = clients.cloudfront.list_tags_for_resource().resource(&dist.attrs["Arn"]).send().await.expect("tags");
    let tags: Vec<(String, String)> = tags
        .tags()
        .map(aws_sdk_cloudfront::types::Tags::items)
        .unwrap_or_default()
        .iter()
        .map(|t| (t.key().to_owned(), t.value().unwrap_or_default().to_owned()))
        .collect();
    assert!(tags.contains(&("iac:id".into(), "AssetsDistribution".into())), "{tags:?}");
    assert!(tags.iter().any(|(k, _)| k == "iac:hash"));
    let config = clients.cloudfront.get_distribution_config().id(&dist.physical_id).send().await.expect("config");
    let reference = config.distribution_config().expect("config").caller_reference().to_owned();
    assert!(reference.starts_with("iac-ichnaea-prod-AssetsDistribution-"), "{reference}");

    // Discovery finds both, equal to the template (a second plan is empty).
    let found: HashMap<LogicalId, Observed> =
        cloudfront::discover(&ctx).await.expect("discover").into_iter().map(|o| (o.id.clone(), o)).collect();
    assert_eq!(found.len(), 2, "{:?}", found.keys());
    let (props, _) = common::desired(&stack, &observed, "AssetsDistribution");
    assert!(differs(&props, &found[&id("AssetsDistribution")]).is_empty());
    assert_eq!(found[&id("AssetsDistribution")].hash, Some(desired::hash(&props)));
    let (props, _) = common::desired(&stack, &observed, "AssetsOriginAccessControl");
    assert!(desired::changed(&props, &found[&id("AssetsOriginAccessControl")].props).is_empty());

    // A create run again (a rerun after a kill inside the call) makes no second one of either.
    let (_, again) = common::apply(&ctx, &mut observed, "AssetsDistribution", false).await.expect("create again");
    assert_eq!(again.physical_id, dist.physical_id);
    let (_, again) = common::apply(&ctx, &mut observed, "AssetsOriginAccessControl", false).await.expect("again");
    assert_eq!(again.physical_id, oac.physical_id);
    let list = clients.cloudfront.list_distributions().send().await.expect("list");
    assert_eq!(list.distribution_list().map(|l| l.items().len()), Some(1));
    let controls = clients.cloudfront.list_origin_access_controls().send().await.expect("list");
    assert_eq!(controls.origin_access_control_list().map(|l| l.items().len()), Some(1));

    // Update in place: comment and price class of the distribution, description of the control.
    let (props, mut tags) = common::desired(&stack, &observed, "AssetsDistribution");
    let mut map = props.as_object().expect("object").clone();
    map["DistributionConfig"]["Comment"] = json!("assets, cheaper");
    map["DistributionConfig"]["PriceClass"] = json!("PriceClass_100");
    let want = Json::Object(map.clone());
    tags.retain(|(k, _)| k != "iac:hash");
    tags.push(("iac:hash".into(), desired::hash(&want)));
    let current = observed[&id("AssetsDistribution")].clone();
    assert_eq!(differs(&want, &current), ["DistributionConfig"], "planned as that property");
    let entry = stack.resource(&id("AssetsDistribution")).expect("entry");
    let updated = services::update(&ctx, entry, &current, &map, &tags).await.expect("update");
    assert!(differs(&want, &updated).is_empty(), "{:#?}", updated.props);
    assert_eq!(updated.props["DistributionConfig"]["PriceClass"], json!("PriceClass_100"));
    let config = clients.cloudfront.get_distribution_config().id(&dist.physical_id).send().await.expect("config");
    assert_eq!(config.distribution_config().expect("config").caller_reference(), reference, "kept");
    let (props, tags) = common::desired(&stack, &observed, "AssetsOriginAccessControl");
    let mut map = props.as_object().expect("object").clone();
    map["OriginAccessControlConfig"]["Description"] = json!("signs for the assets");
    let entry = stack.resource(&id("AssetsOriginAccessControl")).expect("entry");
    let current = observed[&id("AssetsOriginAccessControl")].clone();
    let updated = services::update(&ctx, entry, &current, &map, &tags).await.expect("update the control");
    assert_eq!(updated.props["OriginAccessControlConfig"]["Description"], json!("signs for the assets"));
    assert_eq!(updated.physical_id, oac.physical_id);
    services::update(&ctx, entry, &updated, props.as_object().expect("object"), &tags).await.expect("back");

    // Drift made by a direct SDK call: the distribution switched off by hand.
    let config = clients.cloudfront.get_distribution_config().id(&dist.physical_id).send().await.expect("config");
    let etag = config.e_tag().expect("etag").to_owned();
    let c = config.distribution_config().expect("config");
    let off = aws_sdk_cloudfront::types::DistributionConfig::builder()
        .caller_reference(c.caller_reference())
        .comment(c.comment())
        .enabled(false)
        .set_origins(c.origins().cloned())
        .set_default_cache_behavior(c.default_cache_behavior().cloned())
        .build()
        .expect("config");
    clients
        .cloudfront
        .update_distribution()
        .id(&dist.physical_id)
        .if_match(etag)
        .distribution_config(off)
        .send()
        .await
        .expect("switch off");
    let found: HashMap<LogicalId, Observed> =
        cloudfront::discover(&ctx).await.expect("discover").into_iter().map(|o| (o.id.clone(), o)).collect();
    let drifted = &found[&id("AssetsDistribution")];
    assert_eq!(differs(&want, drifted), ["DistributionConfig"]);
    assert_eq!(drifted.props["DistributionConfig"]["Enabled"], json!(false));

    // Delete: disabled, deployed, deleted; then the control. Each twice.
    let d = observed[&id("AssetsDistribution")].clone();
    services::delete(&ctx, &d).await.expect("delete the distribution");
    services::delete(&ctx, &d).await.expect("second delete of the distribution");
    let list = clients.cloudfront.list_distributions().send().await.expect("list");
    assert_eq!(list.distribution_list().map_or(0, |l| l.items().len()), 0);
    let o = observed[&id("AssetsOriginAccessControl")].clone();
    services::delete(&ctx, &o).await.expect("delete the control");
    services::delete(&ctx, &o).await.expect("second delete of the control");
    assert!(cloudfront::discover(&ctx).await.expect("discover").is_empty());
}
