//! Every fact the seeds README lists for a system is in its rendered output.

use serde_json::Value;

fn cfn(stack: &str, env: &str) -> (Value, String) {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    let text = iac_render::cloudformation::render(&stack, iac_render::Format::Json).expect("renders");
    (serde_json::from_str(&text).expect("JSON"), text)
}

fn userdata(stack: &str, env: &str, file: &str) -> String {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    let rendered =
        iac_render::render_target(&stack, iac_render::Target::UserData, iac_render::Format::Json).expect("renders");
    rendered
        .files
        .into_iter()
        .find(|f| f.path.ends_with(file))
        .unwrap_or_else(|| panic!("{file} not rendered"))
        .contents
}

fn resources_of_type<'a>(t: &'a Value, ty: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
    t["Resources"].as_object().unwrap().iter().filter(move |(_, r)| r["Type"] == ty)
}

#[test]
fn aquamark_prod() {
    let (t, text) = cfn("aquamark", "prod");
    let r = &t["Resources"];

    // RDS PostgreSQL `aquamark`, 100 GB SSD, private, 7-day backups, protected, password never literal.
    let db = &r["DatabaseInstance"];
    let p = &db["Properties"];
    assert_eq!(p["Engine"], "postgres");
    assert_eq!(p["DBInstanceIdentifier"], "aquamark");
    assert_eq!(p["AllocatedStorage"], "100");
    assert_eq!(p["StorageType"], "gp3");
    assert_eq!(p["PubliclyAccessible"], false);
    assert_eq!(p["BackupRetentionPeriod"], 7);
    assert_eq!(p["DeletionProtection"], true);
    assert_eq!(p["StorageEncrypted"], true);
    assert_eq!(p["ManageMasterUserPassword"], true);
    assert!(p.get("MasterUserPassword").is_none());
    assert_eq!(db["DeletionPolicy"], "Snapshot");
    assert_eq!(db["UpdateReplacePolicy"], "Snapshot");

    // The database's group admits only the web tier and the daemons host, by group.
    let db_rules: Vec<&Value> =
        resources_of_type(&t, "AWS::EC2::SecurityGroupIngress").map(|(_, v)| &v["Properties"]).collect();
    assert_eq!(db_rules.len(), 2);
    for rule in &db_rules {
        assert_eq!(rule["FromPort"], 5432);
        assert!(rule.get("SourceSecurityGroupId").is_some() && rule.get("CidrIp").is_none(), "{rule}");
    }
    assert!(r["DatabaseSecurityGroup"]["Properties"].get("SecurityGroupIngress").is_none());

    // Load balancer: HTTP redirects to HTTPS, HTTPS with the certificate forwards to port 80.
    let http = &r["WebHttpListener"]["Properties"];
    assert_eq!(http["Port"], 80);
    assert_eq!(http["DefaultActions"][0]["Type"], "redirect");
    assert_eq!(http["DefaultActions"][0]["RedirectConfig"]["Protocol"], "HTTPS");
    let https = &r["WebHttpsListener"]["Properties"];
    assert_eq!(https["Port"], 443);
    assert_eq!(https["Certificates"][0]["CertificateArn"]["Ref"], "CertificateArn");
    let tg = &r["WebTargetGroup"]["Properties"];
    assert_eq!(tg["Port"], 80);
    assert_eq!(tg["HealthCheckPath"], "/ping");
    assert_eq!(tg["HealthCheckProtocol"], "HTTP");

    // ASG in private subnets, attached to the target group, 20 GB general purpose SSD, scaling.
    let asg = &r["WebAutoScalingGroup"]["Properties"];
    let subnets: Vec<&str> =
        asg["VPCZoneIdentifier"].as_array().unwrap().iter().map(|s| s["Ref"].as_str().unwrap()).collect();
    assert_eq!(subnets, ["PrivateSubnet1", "PrivateSubnet2"]);
    assert_eq!(asg["TargetGroupARNs"][0]["Ref"], "WebTargetGroup");
    assert_eq!(asg["HealthCheckType"], "ELB");
    let lt = &r["WebLaunchTemplate"]["Properties"]["LaunchTemplateData"];
    assert_eq!(lt["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], 20);
    assert_eq!(lt["BlockDeviceMappings"][0]["Ebs"]["VolumeType"], "gp3");
    assert_eq!(lt["ImageId"]["Ref"], "WebImageId", "the AMI is an input");
    assert_eq!(t["Parameters"]["WebImageId"]["Type"], "AWS::EC2::Image::Id");
    assert_eq!(resources_of_type(&t, "AWS::AutoScaling::ScalingPolicy").count(), 1);

    // Instances admit 80 and 22 only from the local subnet (and 80 from the load balancer).
    let ingress = r["WebInstanceSecurityGroup"]["Properties"]["SecurityGroupIngress"].as_array().unwrap();
    for rule in ingress {
        let port = rule["FromPort"].as_u64().unwrap();
        assert!(port == 80 || port == 22, "{rule}");
        if let Some(cidr) = rule.get("CidrIp") {
            assert_eq!(cidr, "10.20.0.0/20");
        }
    }
    assert!(!text.contains("\"0.0.0.0/0\"") || ingress.iter().all(|r| r["CidrIp"] != "0.0.0.0/0"));

    // DNS: the domain is an alias of the load balancer.
    let rec = &r["SiteRecord"]["Properties"];
    assert_eq!(rec["Name"], "survey.example.org");
    assert_eq!(rec["AliasTarget"]["DNSName"]["Fn::GetAtt"][0], "WebLoadBalancer");

    // No secret value anywhere: the database password is only ever fetched at boot.
    assert!(text.contains("MasterUserSecret.SecretArn"));
}

#[test]
fn aquamark_user_data() {
    let web = userdata("aquamark", "prod", "web-launch-template.sh");
    for needle in [
        "--restart=always",
        "--publish=80:8000",
        "--env-file=/etc/iac/aquamark.env",
        "ANALYTICS_ID=",
        "DATABASE_URL=postgresql://aquamark:",
        "vpac/aquamark:1.0.1",
        "*/5 * * * * root /usr/local/bin/aquamark-watchdog",
        "Web services are UP",
        "iac_secret secretsmanager",
    ] {
        assert!(web.contains(needle), "web user data lacks `{needle}`");
    }
    assert!(!web.contains("AWS_SECRET_ACCESS_KEY"), "the instance role replaces the guide's keys");

    let daemons = userdata("aquamark", "prod", "daemons-instance.sh");
    for needle in [
        "--name=recalc",
        "--name=notify",
        "python3 ./server/recalculate.py",
        "python3 ./server/notifications.py",
        "--volume=/etc/aquamark/config:/usr/share/aquamark/app/config",
        "alembic upgrade head",
    ] {
        assert!(daemons.contains(needle), "daemons user data lacks `{needle}`");
    }
    assert_eq!(daemons.matches("--restart=always").count(), 2);
}

#[test]
fn aquamark_bake() {
    let stack = stacks::registry().build("aquamark", "prod", None).expect("builds");
    let files =
        iac_render::render_target(&stack, iac_render::Target::Packer, iac_render::Format::Json).expect("renders").files;
    let template = &files.iter().find(|f| f.path.ends_with("aq-web.pkr.hcl")).expect("template").contents;
    let script = &files.iter().find(|f| f.path.ends_with("aq-web.sh")).expect("script").contents;
    // Named like the guide's `aq-web-v1.0.1-1`, from an Ubuntu base, encrypted, IMDSv2 only.
    assert!(template.contains("format(\"aq-web-v%s-%s\", var.version, var.build)"), "{template}");
    assert!(template.contains("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"));
    assert!(template.contains("encrypt_boot = true") && template.contains("http_tokens = \"required\""));
    // git/make/curl/pip and Docker installed, the image pulled at its version, the watchdog cron.
    for needle in [
        "iac_install git make curl python3-pip",
        "docker.io",
        "docker pull vpac/aquamark:1.0.1",
        "aquamark-watchdog",
        "cloud-init clean",
    ] {
        assert!(script.contains(needle), "bake script lacks `{needle}`");
    }
    // Nothing is started and no secret is read at bake time.
    assert!(
        !script.contains("docker run") && !script.contains("iac_secret") && !script.contains("DATABASE_URL"),
        "{script}"
    );
}

#[test]
fn aquamark_upgrade_order() {
    let stack = stacks::registry().build("aquamark", "prod", None).expect("builds");
    let plan = stack.rollout().expect("aquamark declares its release order");
    let steps: Vec<String> = plan.steps.iter().map(ToString::to_string).collect();
    assert_eq!(
        steps,
        [
            "switch web blue/green",
            "run `/usr/local/bin/aquamark-migrate <new image>` on daemons",
            "update daemons to the new image"
        ]
    );
    assert!(plan.validate("aquamark").is_empty());
    assert!(plan.validate_resources(&stack).is_empty(), "{:?}", plan.validate_resources(&stack));
    assert_eq!(plan.roles[1].image(&stack).as_deref(), Some("vpac/aquamark:1.0.1"), "the migration's image");
}
