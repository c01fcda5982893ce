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
    let web = userdata("aquamark", "prod", "web-launch-template.yaml");
    for needle in [
        // The guide's `docker run --restart=always -p 80:8000 --env-file`, as a systemd unit
        // that systemd restarts and that requires the migration.
        "Restart=always",
        "--publish=80:8000",
        "--env-file=/etc/iac/aquamark.env",
        "Environment=IAC_IMAGE=vpac/aquamark:1.0.1",
        "Requires=aquamark-migrate.service",
        "ANALYTICS_ID=",
        "DATABASE_URL=postgresql://aquamark:",
        "*/5 * * * * root /usr/local/bin/aquamark-watchdog",
        "Web services are UP",
        "iac_secret secretsmanager",
        // Seed: "Schema migration as a one-off: vpac/aquamark alembic upgrade head", at boot
        // under the stack's lock.
        "/usr/local/sbin/iac-lock /iac/aquamark/prod/lock/aquamark-migrate /usr/bin/docker run",
        "${IAC_IMAGE} alembic upgrade head",
    ] {
        assert!(web.contains(needle), "web user data lacks `{needle}`");
    }
    assert!(!web.contains("AWS_SECRET_ACCESS_KEY"), "the instance role replaces the guide's keys");

    let daemons = userdata("aquamark", "prod", "daemons-instance.yaml");
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
    assert_eq!(daemons.matches("Restart=always").count(), 2);
    assert_eq!(daemons.matches("Requires=aquamark-migrate.service").count(), 2);
}

#[test]
fn aquamark_bake() {
    let stack = stacks::registry().build("aquamark", "prod", None).expect("builds");
    let files =
        iac_render::render_target(&stack, iac_render::Target::Packer, iac_render::Format::Json).expect("renders").files;
    let template = &unaligned(&files.iter().find(|f| f.path.ends_with("aq-web.pkr.hcl")).expect("template").contents);
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

fn terraform(stack: &str, env: &str) -> String {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    unaligned(&iac_render::terraform::render(&stack).expect("renders").main_tf)
}

/// HCL with the padding `terraform fmt` puts before `=` taken out (`key = value` throughout).
fn unaligned(hcl: &str) -> String {
    let mut text = hcl.to_owned();
    while text.contains("  =") {
        text = text.replace("  =", " =");
    }
    text
}

#[test]
fn concerto_prod() {
    let (t, text) = cfn("concerto", "prod");
    let r = &t["Resources"];

    // One container: the pinned image on port 80, every variable of the guide with its default,
    // the password only as a reference to the RDS-managed secret.
    let task = &r["AppTaskDefinition"]["Properties"];
    let containers = task["ContainerDefinitions"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let image = c["Image"].as_str().unwrap();
    let (repo, tag) = image.split_once(':').expect("a tag");
    assert_eq!(repo, "campsych/concerto-platform");
    assert!(tag.split('.').count() == 3 && tag.split('.').all(|p| p.parse::<u32>().is_ok()), "XX.YY.ZZ: {tag}");
    assert_eq!(c["PortMappings"][0]["ContainerPort"], 80);
    let env: std::collections::BTreeMap<&str, &Value> =
        c["Environment"].as_array().unwrap().iter().map(|e| (e["Name"].as_str().unwrap(), &e["Value"])).collect();
    assert_eq!(env["DB_HOST"]["Fn::GetAtt"], serde_json::json!(["DatabaseInstance", "Endpoint.Address"]));
    for (name, value) in [
        ("DB_PORT", "3306"),
        ("DB_NAME", "concerto"),
        ("DB_USER", "concerto"),
        ("TZ", "Europe/London"),
        ("PHP_FPM_PM", "dynamic"),
        ("PHP_FPM_PM_MAX_CHILDREN", "30"),
        ("PHP_FPM_PM_START_SERVERS", "10"),
        ("PHP_FPM_PM_MIN_SPARE_SERVERS", "5"),
        ("PHP_FPM_PM_MAX_SPARE_SERVERS", "15"),
        ("PHP_FPM_PM_PROCESS_IDLE_TIMEOUT", "10s"),
        ("PHP_FPM_PM_MAX_REQUESTS", "300"),
    ] {
        assert_eq!(env[name], value, "{name}");
    }
    assert!(!env.contains_key("DB_PASSWORD"), "the password is never a plain variable");
    let secrets = c["Secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 1);
    assert_eq!(secrets[0]["Name"], "DB_PASSWORD");
    let from = secrets[0]["ValueFrom"]["Fn::Join"][1].as_array().unwrap();
    assert_eq!(from[0]["Fn::GetAtt"], serde_json::json!(["DatabaseInstance", "MasterUserSecret.SecretArn"]));
    assert_eq!(from[1], ":password::");
    assert!(!text.contains("changeme"), "the guide's default password is never used");

    // Health /api/check/health (200) in the container and on the target group; logs to CloudWatch.
    assert!(c["HealthCheck"]["Command"][1].as_str().unwrap().contains("/api/check/health"));
    let tg = &r["AppTargetGroup"]["Properties"];
    assert_eq!(tg["HealthCheckPath"], "/api/check/health");
    assert_eq!(tg["Matcher"]["HttpCode"], "200");
    assert_eq!(tg["TargetType"], "ip");
    assert_eq!(c["LogConfiguration"]["LogDriver"], "awslogs");
    assert_eq!(c["LogConfiguration"]["Options"]["awslogs-group"]["Ref"], "AppLogGroup");
    assert_eq!(r["AppLogGroup"]["Type"], "AWS::Logs::LogGroup");

    // /data shared by every replica: EFS through an access point, TLS and IAM on the mount.
    assert_eq!(c["MountPoints"][0]["ContainerPath"], "/data");
    let vol = &task["Volumes"][0];
    assert_eq!(vol["Name"], c["MountPoints"][0]["SourceVolume"]);
    assert_eq!(vol["EFSVolumeConfiguration"]["TransitEncryption"], "ENABLED");
    assert_eq!(vol["EFSVolumeConfiguration"]["AuthorizationConfig"]["IAM"], "ENABLED");
    assert_eq!(r["AppAccessPoint"]["Properties"]["RootDirectory"]["Path"], "/data");
    let fs = &r["AppFileSystem"];
    assert_eq!(fs["Properties"]["Encrypted"], true);
    assert_eq!(fs["DeletionPolicy"], "Retain");
    assert_eq!(resources_of_type(&t, "AWS::EFS::MountTarget").count(), 2);
    let nfs = r["AppFileSystemSecurityGroup"]["Properties"]["SecurityGroupIngress"].as_array().unwrap();
    assert!(nfs.iter().all(|rule| rule.get("CidrIp").is_none() && rule["FromPort"] == 2049));

    // A REPLICA service on Fargate behind an ALB that terminates TLS, HTTP redirected.
    let svc = &r["AppService"]["Properties"];
    assert_eq!(svc["SchedulingStrategy"], "REPLICA");
    assert_eq!(svc["LaunchType"], "FARGATE");
    assert_eq!(svc["DesiredCount"], 2);
    assert_eq!(svc["LoadBalancers"][0]["ContainerName"], "concerto");
    assert_eq!(svc["DeploymentConfiguration"]["MinimumHealthyPercent"], 100);
    assert_eq!(svc["DeploymentConfiguration"]["DeploymentCircuitBreaker"]["Rollback"], true);
    let https = &r["AppHttpsListener"]["Properties"];
    assert_eq!(https["Protocol"], "HTTPS");
    assert_eq!(https["Certificates"][0]["CertificateArn"]["Ref"], "CertificateArn");
    assert_eq!(r["AppHttpListener"]["Properties"]["DefaultActions"][0]["Type"], "redirect");
    assert_eq!(r["AppCluster"]["Properties"]["ClusterSettings"][0]["Value"], "enabled");

    // RDS MySQL 8.0, private, protected, admitting only the tasks.
    let db = &r["DatabaseInstance"]["Properties"];
    assert_eq!(db["Engine"], "mysql");
    assert!(db["EngineVersion"].as_str().unwrap().starts_with("8.0."));
    assert_eq!(db["DBName"], "concerto");
    assert_eq!(db["MasterUsername"], "concerto");
    assert_eq!(db["PubliclyAccessible"], false);
    assert_eq!(db["ManageMasterUserPassword"], true);
    let rule = &r["DatabaseFromApp"]["Properties"];
    assert_eq!(rule["FromPort"], 3306);
    assert_eq!(rule["SourceSecurityGroupId"]["Fn::GetAtt"][0], "AppTaskSecurityGroup");

    // The guide's scheduled commands run in the image's own cron (its Dockerfile at the pinned
    // tag): scheduled tasks would run them a second time.
    assert_eq!(resources_of_type(&t, "AWS::Scheduler::Schedule").count(), 0);

    // DNS: the domain is an alias of the load balancer.
    assert_eq!(r["SiteRecord"]["Properties"]["AliasTarget"]["DNSName"]["Fn::GetAtt"][0], "AppLoadBalancer");
}

#[test]
fn concerto_terraform() {
    // The same facts in Terraform.
    let tf = terraform("concerto", "prod");
    for needle in [
        "resource \"aws_ecs_service\" \"app_service\"",
        "scheduling_strategy = \"REPLICA\"",
        "image = \"campsych/concerto-platform:",
        "valueFrom = join(\"\", [aws_db_instance.database_instance.master_user_secret[0].secret_arn, \":password::\"])",
        "containerPath = \"/data\"",
        "path = \"/api/check/health\"",
        "logDriver = \"awslogs\"",
    ] {
        assert!(tf.contains(needle), "Terraform lacks `{needle}`");
    }
    assert!(!tf.contains("aws_secretsmanager_secret_version"), "the task reads the secret itself");
}

#[test]
fn concerto_container_is_one_definition() {
    // The function the compose and Kubernetes renderings reuse gives the same container the stack
    // deploys on ECS.
    let source = stacks::ConfigSource {
        file: "stacks/config/concerto/dev.toml".into(),
        text: include_str!("../../stacks/config/concerto/dev.toml").into(),
    };
    let cfg: stacks::concerto::Config = source.parse().unwrap();
    let c = stacks::concerto::container(
        &cfg.app,
        &stacks::concerto::DatabaseEnv {
            host: "database".into(),
            port: 3306,
            name: "concerto".into(),
            user: "concerto".into(),
            password: iac_core::SecretRef::ssm("/concerto/db-password").into(),
        },
    );
    assert_eq!(c.image.to_string(), "campsych/concerto-platform:5.0.27", "upstream's newest release tag");
    assert!(c.image.pin_problem().is_none());
    let names: Vec<&str> = c.env.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), 13, "{names:?}");
    assert!(c.env.iter().find(|e| e.name == "DB_PASSWORD").unwrap().value.contains_secret());
    assert_eq!(c.mounts[0].target, "/data");
    assert_eq!(c.ports[0].container, 80);
}

/// The CloudFormation properties of `id`.
fn props<'a>(t: &'a Value, id: &str) -> &'a Value {
    let r = &t["Resources"][id];
    assert!(r.is_object(), "no resource {id}");
    &r["Properties"]
}

#[test]
fn ichnaea_prod() {
    let (t, text) = cfn("ichnaea", "prod");
    let r = &t["Resources"];

    // Web role: an ASG of 20 behind the load balancer (round-robin: the ALB default, not
    // overridden), port 8000, health `/__lbheartbeat__`; HTTP redirects to HTTPS.
    let web = props(&t, "WebAutoScalingGroup");
    assert_eq!((web["MinSize"].as_str(), web["DesiredCapacity"].as_str()), (Some("20"), Some("20")));
    assert_eq!(web["TargetGroupARNs"][0]["Ref"], "WebTargetGroup");
    let tg = props(&t, "WebTargetGroup");
    assert_eq!(tg["Port"], 8000);
    assert_eq!(tg["HealthCheckPath"], "/__lbheartbeat__");
    assert!(!text.contains("load_balancing.algorithm.type"), "round-robin is the default");
    assert_eq!(props(&t, "WebHttpListener")["DefaultActions"][0]["Type"], "redirect");

    // Worker role: an ASG of 5, no load balancer.
    let worker = props(&t, "WorkerAutoScalingGroup");
    assert_eq!((worker["MinSize"].as_str(), worker["DesiredCapacity"].as_str()), (Some("5"), Some("5")));
    assert_eq!(worker["TargetGroupARNs"], serde_json::json!([]));

    // Scheduler: exactly one, never two: min = max = desired = 1 in a single zone (no
    // AZRebalance), and the release stops it before it starts on the new image.
    let scheduler = props(&t, "SchedulerAutoScalingGroup");
    for key in ["MinSize", "MaxSize", "DesiredCapacity"] {
        assert_eq!(scheduler[key], "1", "{key}");
    }
    assert_eq!(scheduler["VPCZoneIdentifier"].as_array().unwrap().len(), 1);
    assert!(r["SchedulerAutoScalingGroup"].get("UpdatePolicy").is_none(), "nothing replaces it behind the plan's back");

    // RDS MySQL Multi-AZ, database `location`, private, protected; its parameter group sets
    // the guide's utf8 (utf8mb3: the app connects with it and its tables use it) and 4 GiB of redo (the guide's 2 x 2 GB innodb_log_file_size).
    let db = props(&t, "DatabaseInstance");
    assert_eq!(db["Engine"], "mysql");
    assert!(db["EngineVersion"].as_str().unwrap().starts_with("8."));
    assert_eq!(db["MultiAZ"], true);
    assert_eq!(db["DBName"], "location");
    assert_eq!(db["MasterUsername"], "location");
    assert_eq!(db["PubliclyAccessible"], false);
    assert_eq!(db["ManageMasterUserPassword"], true);
    assert_eq!(r["DatabaseInstance"]["DeletionPolicy"], "Snapshot");
    let pg = props(&t, "DatabaseParameterGroup");
    assert_eq!(pg["Family"], "mysql8.4");
    assert_eq!(pg["Parameters"]["character_set_server"], "utf8mb3");
    assert_eq!(pg["Parameters"]["collation_server"], "utf8mb3_general_ci");
    assert_eq!(pg["Parameters"]["innodb_redo_log_capacity"], "4294967296");
    // A read replica of it, for the web role.
    let replica = props(&t, "DatabaseReplica1");
    assert_eq!(replica["SourceDBInstanceIdentifier"]["Ref"], "DatabaseInstance");
    assert_eq!(replica["DBParameterGroupName"]["Ref"], "DatabaseParameterGroup");

    // ElastiCache Redis, Multi-AZ with failover, encrypted, kept on deletion.
    let cache = props(&t, "CacheReplicationGroup");
    assert_eq!(cache["Engine"], "redis");
    assert_eq!(cache["MultiAZEnabled"], true);
    assert_eq!(cache["AutomaticFailoverEnabled"], true);
    assert!(cache["NumCacheClusters"].as_u64().unwrap() >= 2);
    assert_eq!(cache["AtRestEncryptionEnabled"], true);
    assert_eq!(cache["TransitEncryptionEnabled"], true);
    assert_eq!(r["CacheReplicationGroup"]["DeletionPolicy"], "Snapshot");

    // The database and the cache admit the four roles, by security group only.
    for (data, port) in [("Database", 3306), ("Cache", 6379)] {
        for tier in ["Web", "Worker", "Scheduler", "Admin"] {
            let rule = props(&t, &format!("{data}From{tier}"));
            assert_eq!(rule["FromPort"], port);
            assert!(rule.get("SourceSecurityGroupId").is_some() && rule.get("CidrIp").is_none(), "{rule}");
        }
    }

    // The asset bucket behind CloudFront with origin access control; lifecycle: exports
    // deleted after 2 days; the backup bucket deletes observations after 365 days.
    let assets = props(&t, "AssetsBucket");
    assert_eq!(assets["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
    let rules = &assets["LifecycleConfiguration"]["Rules"];
    assert_eq!((&rules[0]["Prefix"], &rules[0]["ExpirationInDays"]), (&"export/".into(), &2.into()));
    let backup = props(&t, "BackupBucket");
    let rules = &backup["LifecycleConfiguration"]["Rules"];
    assert_eq!((&rules[0]["Prefix"], &rules[0]["ExpirationInDays"]), (&"backups/".into(), &365.into()));
    for bucket in ["AssetsBucket", "BackupBucket"] {
        assert_eq!(r[bucket]["DeletionPolicy"], "Retain", "{bucket}");
    }
    let dist = &props(&t, "AssetsDistribution")["DistributionConfig"];
    assert_eq!(dist["Origins"][0]["OriginAccessControlId"]["Ref"], "AssetsOriginAccessControl");
    assert_eq!(dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"], "redirect-to-https");
    assert_eq!(dist["Aliases"][0], "assets.location.example.org");

    // Route53: the site is an alias of the load balancer, the assets of the distribution.
    let site = props(&t, "SiteRecord");
    assert_eq!(site["Name"], "location.example.org");
    assert_eq!(site["AliasTarget"]["DNSName"]["Fn::GetAtt"][0], "WebLoadBalancer");
    let assets_record = props(&t, "AssetsRecord");
    assert_eq!(assets_record["AliasTarget"]["DNSName"]["Fn::GetAtt"][0], "AssetsDistribution");

    // The admin node is one instance; no secret value anywhere in the template.
    assert_eq!(r["AdminInstance"]["Type"], "AWS::EC2::Instance");
    assert!(!text.contains("change_this_value"), "the guide's sample SECRET_KEY is not used");
}

#[test]
fn ichnaea_roles_share_one_image_and_read_secrets_at_boot() {
    let web = userdata("ichnaea", "prod", "web-launch-template.yaml");
    let worker = userdata("ichnaea", "prod", "worker-launch-template.yaml");
    let scheduler = userdata("ichnaea", "prod", "scheduler-launch-template.yaml");
    let admin = userdata("ichnaea", "prod", "admin-instance.yaml");
    // One image, the role as the command; the GeoIP volume everywhere.
    for (script, role) in [(&web, "web"), (&worker, "worker"), (&scheduler, "scheduler")] {
        assert!(script.contains(&format!("${{IAC_IMAGE}} {role}\n")), "{role}");
        assert!(script.contains("Environment=IAC_IMAGE=mozilla/location:2023.01.16"), "{role}");
        assert!(script.contains("--volume=/opt/geoip:/mnt/geoip:ro"), "{role}");
        assert!(script.contains("Restart=always"), "{role}");
        // The settings of the pinned release (ichnaea/conf.py, docs/deploy.rst), the secrets read
        // through the instance role at boot.
        for var in [
            "DB_READONLY_URI=mysql+pymysql://location:\"${IAC_SECRET_",
            "DB_READWRITE_URI=mysql+pymysql://location:\"${IAC_SECRET_",
            "SQLALCHEMY_URL=mysql+pymysql://location:\"${IAC_SECRET_",
            "GEOIP_PATH=/mnt/geoip/GeoLite2-City.mmdb",
            "REDIS_URI=rediss://'<CacheReplicationGroup.EndpointAddress>'':6379/0?ssl_cert_reqs=required'",
            "SECRET_KEY=\"${IAC_SECRET_",
        ] {
            assert!(script.contains(var), "{role} lacks {var}");
        }
        assert!(!script.contains("DB_HOST=") && !script.contains("REDIS_HOST="), "{role}: 2.x settings");
        // SECRET_KEY is generated in Secrets Manager when the stack is created.
        assert!(script.contains("iac_secret secretsmanager '<SecretKey.Id>' '' raw"), "{role}");
        // The guide's database setup before the role starts, under the stack's lock.
        assert!(script.contains("Requires=ichnaea-migrate.service"), "{role}");
        assert!(script.contains("/usr/local/sbin/iac-lock /iac/ichnaea/prod/lock/ichnaea-migrate"), "{role}");
    }
    // The web role reads from the replica; the others write to the primary.
    assert!(web.contains("DB_READONLY_URI=mysql+pymysql://location:\"${IAC_SECRET_"), "{web}");
    assert!(web.contains("\"@'<DatabaseReplica1.EndpointAddress>':3306/location"), "the web role reads the replica");
    assert!(web.contains("\"@'<DatabaseInstance.EndpointAddress>':3306/location"), "writes (if any) go to the primary");
    assert!(web.contains("--publish=8000:8000"));
    for script in [&worker, &scheduler, &admin] {
        assert!(!script.contains("<DatabaseReplica1.EndpointAddress>"));
    }
    // Admin node: migrations (`alembic stamp base` on a new database, `alembic upgrade head`),
    // the shell, and the map job on a schedule.
    for needle in [
        "alembic stamp base",
        "alembic upgrade head",
        "${IAC_IMAGE} shell sh -c",
        "mozilla/location:2023.01.16 shell",
        "mozilla/location:2023.01.16 map",
        "17 2 * * * root /usr/local/bin/ichnaea-map",
        "flock --nonblock",
    ] {
        assert!(admin.contains(needle), "admin user data lacks `{needle}`");
    }
}

#[test]
fn ichnaea_dev_is_smaller_but_keeps_one_scheduler() {
    let (t, _) = cfn("ichnaea", "dev");
    assert_eq!(props(&t, "WebAutoScalingGroup")["DesiredCapacity"], "2");
    assert_eq!(props(&t, "SchedulerAutoScalingGroup")["MaxSize"], "1");
    assert_eq!(props(&t, "DatabaseInstance")["MultiAZ"], false);
    assert!(t["Resources"].get("AssetsRecord").is_none(), "dev serves assets from *.cloudfront.net");
}

/// The rendered files of `target` for a registry stack.
fn app_files(stack: &str, env: &str, target: iac_render::Target) -> Vec<iac_render::OutputFile> {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    iac_render::render_target(&stack, target, iac_render::Format::Json).expect("renders").files
}

/// The one compose file of a registry stack, as data.
fn compose(stack: &str, env: &str) -> Value {
    let files = app_files(stack, env, iac_render::Target::Compose);
    assert_eq!(files.len(), 1, "one app");
    serde_yaml_ng::from_str(&files[0].contents).expect("YAML")
}

/// The Kubernetes objects of a registry stack.
fn kubernetes(stack: &str, env: &str) -> Vec<Value> {
    use serde::Deserialize;
    let files = app_files(stack, env, iac_render::Target::Kubernetes);
    assert_eq!(files.len(), 1, "one app");
    serde_yaml_ng::Deserializer::from_str(&files[0].contents).map(|d| Value::deserialize(d).expect("YAML")).collect()
}

fn object<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

#[test]
fn concerto_compose() {
    let c = compose("concerto", "prod");
    let services = c["services"].as_object().unwrap();
    // concerto + mysql are started by `up`; the two jobs are one-off services of the `jobs` profile.
    let started: Vec<&str> =
        services.iter().filter(|(_, s)| s.get("profiles").is_none()).map(|(n, _)| n.as_str()).collect();
    assert_eq!(started, ["concerto", "mysql"]);
    let concerto = &services["concerto"];
    assert_eq!(concerto["image"], "campsych/concerto-platform:5.0.27");
    assert_eq!(concerto["ports"][0], "80:80");
    assert_eq!(concerto["environment"]["DB_HOST"], "mysql", "the stand-in, not the RDS endpoint");
    assert_eq!(concerto["environment"]["DB_PORT"], "3306");
    assert!(concerto["environment"]["DB_PASSWORD"].as_str().unwrap().starts_with("${DB_PASSWORD:?"));
    assert_eq!(concerto["depends_on"]["mysql"]["condition"], "service_healthy");
    // /data on a named volume; the health check on /api/check/health.
    assert_eq!(concerto["volumes"][0], "data:/data");
    assert!(c["volumes"]["data"].is_object(), "a named volume");
    let test = concerto["healthcheck"]["test"].as_array().unwrap();
    assert!(test[1].as_str().unwrap().contains("/api/check/health"), "{test:?}");
    // MySQL: the RDS version, database and user, the same password variable.
    let mysql = &services["mysql"];
    assert_eq!(mysql["image"], "mysql:8.0.43");
    assert_eq!(mysql["environment"]["MYSQL_DATABASE"], "concerto");
    assert_eq!(mysql["environment"]["MYSQL_USER"], "concerto");
    assert_eq!(mysql["environment"]["MYSQL_PASSWORD"], concerto["environment"]["DB_PASSWORD"]);
    assert!(mysql["healthcheck"].is_object());
    // No scheduled jobs: the image's own cron runs the guide's scheduled commands.
    assert_eq!(services.len(), 2, "{:?}", services.keys().collect::<Vec<_>>());
}

#[test]
fn concerto_kubernetes() {
    let docs = kubernetes("concerto", "prod");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    // No CronJobs: the image's own cron runs the guide's scheduled commands.
    assert_eq!(kinds, ["PersistentVolumeClaim", "Deployment", "Service", "Ingress"]);
    // /data: a ReadWriteMany claim, mounted by the Deployment.
    let claim = object(&docs, "PersistentVolumeClaim", "data");
    assert_eq!(claim["spec"]["accessModes"][0], "ReadWriteMany");
    let deployment = object(&docs, "Deployment", "concerto");
    assert_eq!(deployment["spec"]["replicas"], 2, "as many as the ECS service");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "data");
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "campsych/concerto-platform:5.0.27");
    assert_eq!(container["volumeMounts"][0]["mountPath"], "/data");
    // Liveness and readiness probes on /api/check/health.
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/api/check/health", "{probe}");
        assert_eq!(container[probe]["httpGet"]["port"], 80, "{probe}");
    }
    // DB_PASSWORD through a secretKeyRef; DB_HOST the config's host, never the RDS endpoint.
    let env = container["env"].as_array().unwrap();
    let var = |name: &str| env.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("no {name}"));
    assert_eq!(var("DB_PASSWORD")["valueFrom"]["secretKeyRef"]["key"], "DB_PASSWORD");
    assert_eq!(var("DB_PASSWORD")["valueFrom"]["secretKeyRef"]["name"], "concerto-secrets");
    assert_eq!(var("DB_HOST")["value"], "mysql");
    // Service and Ingress for the site's domain, with TLS.
    assert_eq!(object(&docs, "Service", "concerto")["spec"]["ports"][0]["port"], 80);
    let ingress = &object(&docs, "Ingress", "concerto")["spec"];
    assert_eq!(ingress["rules"][0]["host"], "concerto.example.org");
    assert_eq!(ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"], "concerto");
    assert_eq!(ingress["tls"][0]["secretName"], "concerto-tls");
}

#[test]
fn concerto_app_is_the_ecs_container() {
    // The ECS task definition and the app's service carry the same container.
    let stack = stacks::registry().build("concerto", "prod", None).expect("builds");
    let service = &stack.apps()[0].services[0];
    let (t, _) = cfn("concerto", "prod");
    let def = &props(&t, "AppTaskDefinition")["ContainerDefinitions"][0];
    assert_eq!(def["Image"], service.container.image.to_string());
    let ecs_env: Vec<&str> = def["Environment"]
        .as_array()
        .unwrap()
        .iter()
        .chain(def["Secrets"].as_array().unwrap())
        .map(|e| e["Name"].as_str().unwrap())
        .collect();
    for e in &service.container.env {
        assert!(ecs_env.contains(&e.name.as_str()), "{} is not in the task definition", e.name);
    }
    assert_eq!(ecs_env.len(), service.container.env.len());
    assert_eq!(def["MountPoints"][0]["ContainerPath"], "/data");
}

#[test]
fn ichnaea_compose_for_local_development() {
    let c = compose("ichnaea", "dev");
    let services = c["services"].as_object().unwrap();
    let names: Vec<&str> = services.keys().map(String::as_str).collect();
    assert_eq!(names, ["ichnaea-migrate", "web", "worker", "scheduler", "mysql", "redis", "map"]);
    // The guide's database setup as a one-off the roles wait for.
    let migrate = &services["ichnaea-migrate"];
    assert_eq!(migrate["restart"], "no");
    assert!(migrate["command"][3].as_str().unwrap().contains("alembic upgrade head"));
    // One image, the role as the command, GeoIP read-only from a volume, the stand-ins as hosts.
    for role in ["web", "worker", "scheduler"] {
        let s = &services[role];
        assert_eq!(s["image"], "mozilla/location:2023.01.16", "{role}");
        assert_eq!(s["command"], serde_json::json!([role]), "{role}");
        assert_eq!(s["volumes"][0], "geoip:/mnt/geoip:ro", "{role}");
        let env = &s["environment"];
        assert_eq!(env["REDIS_URI"], "redis://redis:6379/0", "{role}: no TLS locally");
        assert_eq!(env["GEOIP_PATH"], "/mnt/geoip/GeoLite2-City.mmdb", "{role}");
        for secret in ["SECRET_KEY", "DB_READONLY_URI", "SQLALCHEMY_URL"] {
            assert!(env[secret].as_str().unwrap().starts_with(&format!("${{{secret}:?")), "{role} {secret}");
        }
        assert_eq!(s["depends_on"]["mysql"]["condition"], "service_healthy", "{role}");
        assert_eq!(s["depends_on"]["redis"]["condition"], "service_healthy", "{role}");
        assert_eq!(s["depends_on"]["ichnaea-migrate"]["condition"], "service_completed_successfully", "{role}");
    }
    assert_eq!(services["web"]["ports"][0], "8000:8000");
    assert!(c["volumes"]["geoip"].is_object());
    // MySQL of the RDS version with the database `location` and its character set; Redis.
    let mysql = &services["mysql"];
    assert_eq!(mysql["image"], "mysql:8.4.7");
    assert_eq!(mysql["environment"]["MYSQL_DATABASE"], "location");
    assert!(mysql["command"].as_array().unwrap().iter().any(|a| a == "--character-set-server=utf8mb3"));
    assert!(services["redis"]["image"].as_str().unwrap().starts_with("redis:7."));
    // The map tiles on the admin node's schedule, in a worker's container.
    let map = &services["map"];
    assert_eq!(map["command"], serde_json::json!(["map"]));
    assert_eq!(map["labels"]["iac.schedule"], "17 3 * * *");
    // Nothing AWS-only leaks into the local file.
    let text = &app_files("ichnaea", "dev", iac_render::Target::Compose)[0].contents;
    for aws in ["rediss://", "EndpointAddress", "ichnaea-dev-assets-example"] {
        assert!(!text.contains(aws), "compose mentions `{aws}`");
    }
}

#[test]
fn ichnaea_app_roles_are_the_hosts_containers() {
    // The hosts' containers and the app's come from one function: same image, command and
    // variables; only the GeoIP source differs (host directory, app volume).
    let stack = stacks::registry().build("ichnaea", "prod", None).expect("builds");
    let app = &stack.apps()[0];
    let web = userdata("ichnaea", "prod", "web-launch-template.yaml");
    for role in ["web", "worker", "scheduler"] {
        let c = &app.find_service(role).unwrap().container;
        assert_eq!(c.command, [role]);
        assert_eq!((c.mounts[0].source.as_str(), c.mounts[0].target.as_str()), ("geoip", "/mnt/geoip"));
        for e in &c.env {
            assert!(web.contains(&format!("{}=", e.name)), "{role}: {} is not in the hosts' env file", e.name);
        }
    }
    assert_eq!(app.find_service("web").unwrap().replicas, 20);
    assert_eq!(app.find_service("worker").unwrap().replicas, 5);
    assert_eq!(app.find_service("scheduler").unwrap().replicas, 1);
}

#[test]
fn ichnaea_kubernetes() {
    let docs = kubernetes("ichnaea", "prod");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["PersistentVolumeClaim", "Job", "Deployment", "Service", "Ingress", "Deployment", "Deployment", "CronJob"],
        "the migration first; the stand-ins and their volumes stay in compose"
    );
    let job = object(&docs, "Job", "ichnaea-migrate-2023-01-16");
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    assert_eq!(object(&docs, "PersistentVolumeClaim", "geoip")["spec"]["accessModes"][0], "ReadWriteMany");
    for (role, replicas) in [("web", 20), ("worker", 5), ("scheduler", 1)] {
        let d = object(&docs, "Deployment", role);
        assert_eq!(d["spec"]["replicas"], replicas, "{role}");
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["args"], serde_json::json!([role]), "{role}");
        assert_eq!(c["volumeMounts"][0]["readOnly"], true, "{role}");
        let env = c["env"].as_array().unwrap();
        let var = |name: &str| env.iter().find(|e| e["name"] == name).unwrap_or_else(|| panic!("{role}: no {name}"));
        assert_eq!(var("DB_READONLY_URI")["valueFrom"]["secretKeyRef"]["key"], "DB_READONLY_URI", "{role}");
        assert_eq!(var("SECRET_KEY")["valueFrom"]["secretKeyRef"]["key"], "SECRET_KEY", "{role}");
    }
    let web = &object(&docs, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(web["readinessProbe"]["httpGet"]["path"], "/__lbheartbeat__");
    assert_eq!(object(&docs, "Ingress", "web")["spec"]["rules"][0]["host"], "location.example.org");
    assert_eq!(object(&docs, "CronJob", "map")["spec"]["schedule"], "17 2 * * *");
}

/// The files a host's user data writes, by path.
fn written(user_data: &str) -> std::collections::BTreeMap<String, String> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(user_data).expect("YAML");
    doc["write_files"]
        .as_sequence()
        .expect("write_files")
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f["content"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn viewbovis_prod() {
    let (t, _) = cfn("viewbovis", "prod");
    let r = &t["Resources"];

    // One private host: in a private subnet, no public address, reached only from the VPN.
    let instances: Vec<_> = resources_of_type(&t, "AWS::EC2::Instance").collect();
    assert_eq!(instances.len(), 1);
    let host = &instances[0].1["Properties"];
    assert_eq!(host["SubnetId"]["Ref"], "PrivateSubnet1");
    assert_eq!(r["PrivateSubnet1"]["Properties"]["MapPublicIpOnLaunch"], false);
    assert!(host.get("NetworkInterfaces").is_none(), "no public address association");
    let ssh = &r["AppSecurityGroup"]["Properties"]["SecurityGroupIngress"];
    assert_eq!(ssh.as_array().unwrap().len(), 1);
    assert_eq!(ssh[0]["FromPort"], 22);
    assert_eq!(ssh[0]["CidrIp"], "10.250.0.0/16");
    let http = &r["AppHttpFromVpn"]["Properties"];
    assert_eq!(http["FromPort"], 80);
    assert_eq!(http["CidrIp"], "10.250.0.0/16");

    // The instance role reads the data bucket, which exists outside the stack.
    let role = serde_json::to_string(&r["AppRole"]["Properties"]["Policies"]).unwrap();
    assert!(role.contains("arn:aws:s3:::s3-csu-003") && role.contains("s3:GetObject"), "{role}");
    assert!(!role.contains("s3:PutObject") && resources_of_type(&t, "AWS::S3::Bucket").next().is_none());

    // On at 08:00 and off at 22:00 every day (London time), by EventBridge Scheduler.
    for (id, cron, action) in [
        ("StartSchedule", "cron(0 8 * * ? *)", "startInstances"),
        ("StopSchedule", "cron(0 22 * * ? *)", "stopInstances"),
    ] {
        let s = &r[id]["Properties"];
        assert_eq!(s["ScheduleExpression"], cron);
        assert_eq!(s["ScheduleExpressionTimezone"], "Europe/London");
        assert_eq!(s["Target"]["Arn"], format!("arn:aws:scheduler:::aws-sdk:ec2:{action}"));
        assert_eq!(s["Target"]["Input"]["Fn::Join"][1][1]["Ref"], "AppInstance");
    }
    let power = serde_json::to_string(&r["PowerScheduleRole"]["Properties"]).unwrap();
    assert!(
        power.contains("scheduler.amazonaws.com")
            && power.contains("ec2:StartInstances")
            && power.contains("ec2:StopInstances")
    );

    // The host: units for the data at boot, the app container, Nextstrain and the analytics at
    // shutdown; nginx routing the two names.
    let files = written(&userdata("viewbovis", "prod", "app-instance.yaml"));
    let data = &files["/etc/systemd/system/viewbovis-data.service"];
    assert!(
        data.contains("Type=oneshot")
            && data.contains("Before=viewbovis.service")
            && data.contains("WantedBy=multi-user.target")
    );
    assert!(
        files["/usr/local/bin/viewbovis-download"]
            .contains("aws s3 sync --only-show-errors 's3://s3-csu-003/ViewBovis' '/ViewBovis'")
    );
    let app = &files["/etc/systemd/system/viewbovis.service"];
    for needle in [
        "ExecStart=/usr/bin/docker run --rm --name=viewbovis --network=host",
        "--volume=/ViewBovis:/data",
        "--volume=/var/log/viewbovis-access.log:/ViewBovis/access.log",
        "--volume=/var/log/viewbovis-error.log:/ViewBovis/error.log",
        "aphacsubot/viewbovis:prod\n",
        "Restart=always",
    ] {
        assert!(app.contains(needle), "viewbovis.service lacks `{needle}`:\n{app}");
    }
    let nextstrain = &files["/etc/systemd/system/nextstrain.service"];
    assert!(nextstrain.contains("auspice view --datasetDir /data/nextstrain"), "{nextstrain}");
    let analytics = &files["/etc/systemd/system/viewbovis-analytics.service"];
    assert!(
        analytics.contains("RemainAfterExit=yes")
            && analytics.contains("ExecStop=/usr/bin/python3 /usr/local/bin/viewbovis-analytics")
    );
    assert!(files["/usr/local/bin/viewbovis-analytics"].contains("/var/log/viewbovis_requests_"));
    let site = &files["/etc/nginx/sites-enabled/viewbovis.conf"];
    assert!(
        site.contains("server_name viewbovis-beta.int.sce.network;")
            && site.contains("proxy_pass http://127.0.0.1:3000;"),
        "{site}"
    );
    let site = &files["/etc/nginx/sites-enabled/nextstrain.conf"];
    assert!(
        site.contains("server_name nextstrain-beta.int.sce.network;")
            && site.contains("proxy_pass http://127.0.0.1:4001;"),
        "{site}"
    );
}

#[test]
fn viewbovis_test_deployment() {
    // The guide's test deployment: a container on the production host, behind the testing
    // domain, started by hand (no WantedBy=) and stopped after the test.
    let files = written(&userdata("viewbovis", "prod", "app-instance.yaml"));
    let test = &files["/etc/systemd/system/viewbovis-test.service"];
    assert!(
        test.contains("--name=viewbovis-test") && test.contains("IAC_IMAGE=aphacsubot/viewbovis:prod-test\n"),
        "{test}"
    );
    assert!(test.contains("gunicorn -b 127.0.0.1:3001 -w 4 deploy:app"), "{test}");
    assert!(!test.contains("[Install]"), "started by hand: {test}");
    let site = &files["/etc/nginx/sites-enabled/viewbovis-test.conf"];
    assert!(site.contains("server_name viewbovis-test.int.sce.network;") && site.contains("127.0.0.1:3001"), "{site}");
    // The guide's units run as its service user, who may use Docker.
    for unit in ["viewbovis-data.service", "viewbovis.service", "nextstrain.service", "viewbovis-test.service"] {
        assert!(files[&format!("/etc/systemd/system/{unit}")].contains("User=viewbovis\n"), "{unit}");
    }
    let boot = &files["/var/lib/iac/boot.sh"];
    assert!(boot.contains("useradd --system --create-home --shell /usr/sbin/nologin viewbovis"), "{boot}");
    assert!(boot.contains("usermod -aG docker viewbovis"), "{boot}");
}

#[test]
fn postback_host() {
    for (env, file) in [("aws", "app-instance.yaml"), ("do", "droplet.yaml")] {
        let text = userdata("postback", env, file);
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        // 4 GB swap, swappiness 10, vfs_cache_pressure 50.
        assert_eq!(doc["swap"]["size"].as_u64(), Some(4 * 1024 * 1024 * 1024), "{env}");
        let files = written(&text);
        let sysctl = &files["/etc/sysctl.d/60-iac.conf"];
        assert!(sysctl.contains("vm.swappiness = 10\n") && sysctl.contains("vm.vfs_cache_pressure = 50\n"), "{sysctl}");
        // The firewall denies incoming but 22 and 80; 8086 (InfluxDB's API) only from the admin
        // range (the guide's 8083 was InfluxDB 0.8's admin UI, which 1.x no longer has).
        let boot = &files["/var/lib/iac/boot.sh"];
        assert!(boot.contains("ufw default deny incoming || return 1\n") && boot.contains("ufw --force enable\n"));
        assert!(!boot.contains("port 8083"), "no admin UI to admit");
        assert!(boot.contains("ufw allow proto tcp from 203.0.113.0/24 to any port 8086 "), "{env}: {boot}");
        if env == "do" {
            assert!(
                boot.contains("ufw allow proto tcp from any to any port 22 ")
                    && boot.contains("ufw allow proto tcp from any to any port 80 ")
            );
        }
        assert!(!boot.contains("from any to any port 808"), "monitoring ports are never open to everyone");
        // supervisor runs nginx, php-fpm, Redis with AOF, the Node worker, InfluxDB and collectd,
        // and the distribution's own units are disabled.
        for program in ["nginx", "php-fpm", "redis", "daemon", "influxdb", "collectd"] {
            assert!(files.contains_key(&format!("/etc/supervisor/conf.d/{program}.conf")), "{env}: {program}");
        }
        assert!(files["/etc/supervisor/conf.d/redis.conf"].contains("--appendonly yes"));
        assert!(
            files["/etc/supervisor/conf.d/daemon.conf"]
                .contains("/usr/bin/node /usr/share/nginx/html/postback-example/nodejs/daemon.js")
        );
        assert!(files["/etc/supervisor/conf.d/nginx.conf"].contains("command=/usr/sbin/nginx -g 'daemon off;'"));
        // The distribution's units for the same daemons are disabled, php-fpm's whatever its version.
        assert!(boot.contains(
            "for pattern in redis-server.service influxdb.service 'php*-fpm.service' nginx.service collectd.service; do"
        ));
        assert!(files["/etc/postback/php-fpm.conf"].contains("php_admin_value[cgi.fix_pathinfo] = 0"));
        // InfluxDB's collectd input on 25826 into `monitor`; collectd's plugins.
        let influx = &files["/etc/influxdb/influxdb.conf"];
        assert!(
            influx.contains("[[collectd]]")
                && influx.contains("bind-address = \"127.0.0.1:25826\"")
                && influx.contains("database = \"monitor\"")
        );
        let collectd = &files["/etc/collectd/collectd.conf"];
        for plugin in ["cpu", "load", "memory", "network", "nginx", "swap"] {
            assert!(collectd.contains(&format!("LoadPlugin {plugin}\n")), "{plugin}");
        }
        assert!(collectd.contains("URL \"http://127.0.0.1:80/nginx_status?auto\""));
        let site = &files["/etc/nginx/sites-enabled/postback.conf"];
        assert!(
            site.contains("location = /nginx_status {")
                && site.contains("stub_status;")
                && site.contains("fastcgi_pass unix:/run/php/postback-fpm.sock;")
        );
    }
}

#[test]
fn postback_is_the_same_cloud_init_on_aws_and_digitalocean() {
    let normalize = |text: String, env: &str| {
        text.replace(&format!("postback-{env}"), "postback-ENV")
            .replace(&format!("(postback, {env})"), "(postback, ENV)")
            .lines()
            // The region is AWS's; the SSH and HTTP ranges are each environment's config (the
            // EC2 host is private and admits the VPC, the droplet everyone, as in the guide).
            .filter(|l| {
                !l.contains("AWS_DEFAULT_REGION") && !l.contains("to any port 22 ") && !l.contains("to any port 80 ")
            })
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut aws = normalize(userdata("postback", "aws", "app-instance.yaml"), "aws");
    // Only the EC2 host has the data volume (Redis' AOF and InfluxDB's data), mounted first.
    let start = aws.iter().position(|l| l.contains("# iac_data_volume VOLUME_ID")).expect("the data volume's mount");
    let end = aws.iter().position(|l| l.contains("iac_data_failed '")).expect("what a failed mount stops");
    assert!(aws[start..end].iter().any(|l| l.contains("supervisor.service.d/iac-data.conf")), "supervisor after it");
    assert!(aws[start..end].iter().any(|l| l.contains("iac_data_bind /srv/postback-data redis /var/lib/redis")));
    assert!(aws[end].ends_with(" /srv/postback-data supervisor.service"), "{}", aws[end]);
    // The call, its `fi` and the daemon-reload.
    aws.drain(start - 1..end + 3);
    let digitalocean = normalize(userdata("postback", "do", "droplet.yaml"), "do");
    let differ: Vec<(&String, &String)> = aws.iter().zip(&digitalocean).filter(|(a, b)| a != b).collect();
    assert!(
        differ.is_empty() && aws.len() == digitalocean.len() && aws.len() > 300,
        "the droplet gets the EC2 host's cloud-init: {} and {} lines, differing: {differ:?}",
        aws.len(),
        digitalocean.len()
    );
}

#[test]
fn postback_on_digitalocean() {
    let stack = stacks::registry().build("postback", "do", None).expect("builds");
    let files =
        iac_render::render_target(&stack, iac_render::Target::All, iac_render::Format::Json).expect("renders").files;
    assert!(files.iter().all(|f| !f.path.starts_with("cloudformation")), "no CloudFormation for a droplet");
    let main = &unaligned(&files.iter().find(|f| f.path.ends_with("main.tf")).unwrap().contents);
    let body = hcl::parse(main).unwrap_or_else(|e| panic!("{e}"));
    assert!(main.contains("source = \"digitalocean/digitalocean\"") && !main.contains("hashicorp/aws"), "{main}");
    let block = |ty: &str| {
        body.blocks()
            .find(|b| b.identifier() == "resource" && b.labels()[0].as_str() == ty)
            .unwrap_or_else(|| panic!("{ty}"))
    };
    let droplet = block("digitalocean_droplet");
    let user_data = droplet.body().attributes().find(|a| a.key() == "user_data").unwrap().expr().to_string();
    assert!(user_data.starts_with("\"#cloud-config\\n"), "{user_data}");
    let fw = block("digitalocean_firewall");
    let rules: Vec<String> = fw
        .body()
        .blocks()
        .filter(|b| b.identifier() == "inbound_rule")
        .map(|b| {
            let get = |k: &str| b.body().attributes().find(|a| a.key() == k).unwrap().expr().to_string();
            format!("{} {}", get("port_range"), get("source_addresses").replace(['\n', ' '], ""))
        })
        .collect();
    assert_eq!(
        rules,
        ["\"22\" [\"0.0.0.0/0\",\"::/0\"]", "\"80\" [\"0.0.0.0/0\",\"::/0\"]", "\"8086\" [\"203.0.113.0/24\"]",]
    );
}

#[test]
fn postback_on_aws_mirrors_the_firewall() {
    let (t, _) = cfn("postback", "aws");
    let r = &t["Resources"];
    let ssh = &r["AppSecurityGroup"]["Properties"]["SecurityGroupIngress"][0];
    assert_eq!((ssh["FromPort"].as_u64(), ssh["CidrIp"].as_str()), (Some(22), Some("10.40.0.0/16")));
    let mut rules: Vec<(u64, String)> = resources_of_type(&t, "AWS::EC2::SecurityGroupIngress")
        .map(|(_, v)| {
            (v["Properties"]["FromPort"].as_u64().unwrap(), v["Properties"]["CidrIp"].as_str().unwrap().to_owned())
        })
        .collect();
    rules.sort();
    assert_eq!(rules, [(80, "10.40.0.0/16".to_owned()), (8086, "203.0.113.0/24".to_owned())]);
}

#[test]
fn postback_compose() {
    for env in ["aws", "do"] {
        let c = compose("postback", env);
        let s = &c["services"];
        let names: Vec<&str> = s.as_object().expect("services").keys().map(String::as_str).collect();
        assert_eq!(names, ["code", "php-fpm", "nginx", "redis", "worker", "collectd", "influxdb"], "{env}");
        let text = |v: &Value| serde_json::to_string(v).expect("JSON");
        // Every image is pinned to a version.
        for (name, svc) in s.as_object().expect("services") {
            let image = svc["image"].as_str().expect("image");
            let tag = image.rsplit_once(':').map(|(_, t)| t).unwrap_or_default();
            assert!(tag.chars().next().is_some_and(|c| c.is_ascii_digit()), "{name}: {image}");
        }
        // nginx + php-fpm, with the guide's setting and PHP sent to the php-fpm service.
        assert!(s["php-fpm"]["image"].as_str().unwrap().starts_with("php:8.3."));
        assert!(s["php-fpm"]["environment"]["PHP_INI"].as_str().unwrap().contains("cgi.fix_pathinfo=0"));
        let site = s["nginx"]["environment"]["NGINX_SITE"].as_str().unwrap();
        assert!(site.contains("fastcgi_pass php-fpm:9000;") && site.contains("stub_status;"), "{site}");
        assert_eq!(s["nginx"]["ports"], serde_json::json!(["80:80"]));
        assert_eq!(s["nginx"]["depends_on"]["php-fpm"]["condition"], "service_started");
        // Redis persists with AOF on a named volume.
        let redis = text(&s["redis"]["command"]);
        assert!(redis.contains(r#""--appendonly","yes""#), "{redis}");
        assert_eq!(s["redis"]["volumes"], serde_json::json!(["redis-data:/data"]));
        assert!(c["volumes"].get("redis-data").is_some());
        // The Node.js queue worker starts once Redis answers.
        assert!(text(&s["worker"]["command"]).contains("exec node 'daemon.js'"));
        assert_eq!(s["worker"]["depends_on"]["redis"]["condition"], "service_healthy");
        // InfluxDB 1.x: collectd input on 25826/udp into database `monitor`.
        assert!(s["influxdb"]["image"].as_str().unwrap().starts_with("influxdb:1."));
        assert!(s["influxdb"]["ports"].as_array().unwrap().contains(&Value::from("25826:25826/udp")));
        let influx = s["influxdb"]["environment"]["INFLUXDB_CONF"].as_str().unwrap();
        assert!(influx.contains("[[collectd]]") && influx.contains("bind-address = \":25826\""), "{influx}");
        assert!(influx.contains("database = \"monitor\""), "{influx}");
        // collectd: cpu, load, memory, network, nginx status, swap, sent to the influxdb service.
        let collectd = s["collectd"]["environment"]["COLLECTD_CONF"].as_str().unwrap();
        for plugin in ["cpu", "load", "memory", "network", "nginx", "swap"] {
            assert!(collectd.contains(&format!("LoadPlugin {plugin}\n")), "{plugin}");
        }
        assert!(collectd.contains("Server \"influxdb\" \"25826\""), "{collectd}");
        assert!(collectd.contains("URL \"http://nginx:80/nginx_status?auto\""), "{collectd}");
        // Health checks where the images allow, and start order with conditions.
        for name in ["nginx", "redis", "influxdb", "collectd"] {
            assert!(s[name].get("healthcheck").is_some(), "{name} has no health check");
        }
        assert_eq!(s["influxdb"]["depends_on"]["collectd"]["condition"], "service_healthy");
        assert_eq!(s["php-fpm"]["depends_on"]["code"]["condition"], "service_completed_successfully");
        // The swap file and the firewall are the host's, not the compose file's: `swap` appears
        // only as collectd's plugin (and in the comment that lists the plugins).
        let all = text(&c);
        for host_only in ["ufw", "swapfile", "swappiness", "vfs_cache_pressure", "iptables", "fallocate"] {
            assert!(!all.contains(host_only), "`{host_only}` in the compose file of {env}");
        }
        assert_eq!(all.matches("swap").count(), all.matches("LoadPlugin swap").count() + 1, "{env}");
        // One host: no Kubernetes manifests.
        let stack = stacks::registry().build("postback", env, None).expect("builds");
        assert!(!iac_render::Target::Kubernetes.applies_to(&stack));
        let all_files = iac_render::render_target(&stack, iac_render::Target::All, iac_render::Format::Json)
            .expect("renders")
            .files;
        assert!(all_files.iter().any(|f| f.path.starts_with("compose/postback")));
        assert!(!all_files.iter().any(|f| f.path.starts_with("k8s")));
    }
}
