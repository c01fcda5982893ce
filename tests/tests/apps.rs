//! The compose and Kubernetes output of every stack with apps (the registry's and the app-only
//! test stack of `tests::apps`): the references between Kubernetes objects that no schema checks
//! (selectors, claims, backends, the Secret), no secret in compose, and snapshots of the test
//! stack (the registry's are in `snapshots.rs` with every other target).

use std::collections::BTreeSet;

use serde_json::Value;

#[test]
fn snapshots_of_compose_and_kubernetes() {
    let rendered = tests::render_apps();
    // Concerto and Ichnaea, dev and prod, and the test stack.
    assert!(rendered.len() >= 5, "{}", rendered.len());
    let test_stacks: Vec<(String, String)> =
        tests::apps::stacks().iter().map(|s| (s.name().to_owned(), s.env().to_owned())).collect();
    for r in rendered.iter().filter(|r| test_stacks.contains(&(r.stack.clone(), r.env.clone()))) {
        for f in &r.files {
            let name = format!("{}__{}__{}", r.stack, r.env, f.path.display().to_string().replace('/', "__"));
            insta::assert_snapshot!(name, &f.contents);
        }
    }
}

#[test]
fn output_is_deterministic() {
    let (a, b) = (tests::render_apps(), tests::render_apps());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.files, y.files, "{}/{} rendered differently twice", x.stack, x.env);
    }
}

fn documents(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    serde_yaml_ng::Deserializer::from_str(text).map(|d| Value::deserialize(d).expect("valid YAML")).collect()
}

fn pod_specs(doc: &Value) -> Option<(&Value, &Value)> {
    match doc["kind"].as_str()? {
        "Deployment" => Some((&doc["spec"]["template"]["metadata"]["labels"], &doc["spec"]["template"]["spec"])),
        "CronJob" => {
            let t = &doc["spec"]["jobTemplate"]["spec"]["template"];
            Some((&t["metadata"]["labels"], &t["spec"]))
        }
        _ => None,
    }
}

#[test]
fn kubernetes_objects_refer_to_each_other_correctly() {
    for r in tests::render_apps() {
        for f in r.files.iter().filter(|f| f.path.starts_with("k8s")) {
            let where_ = format!("{}/{} {}", r.stack, r.env, f.path.display());
            let docs = documents(&f.contents);
            let claims: BTreeSet<&str> = docs
                .iter()
                .filter(|d| d["kind"] == "PersistentVolumeClaim")
                .map(|d| d["metadata"]["name"].as_str().unwrap())
                .collect();
            let mut pods_labels = Vec::new();
            for doc in &docs {
                let Some((labels, pod)) = pod_specs(doc) else { continue };
                pods_labels.push(labels);
                if doc["kind"] == "Deployment" {
                    for (k, v) in doc["spec"]["selector"]["matchLabels"].as_object().unwrap() {
                        assert_eq!(
                            &labels[k], v,
                            "{where_}: the selector of {} misses its pods",
                            doc["metadata"]["name"]
                        );
                    }
                }
                for v in pod["volumes"].as_array().into_iter().flatten() {
                    let claim = v["persistentVolumeClaim"]["claimName"].as_str().unwrap();
                    assert!(claims.contains(claim), "{where_}: claim `{claim}` is not in the file");
                }
                for c in pod["containers"].as_array().unwrap() {
                    for e in c["env"].as_array().into_iter().flatten() {
                        if let Some(s) = e.get("valueFrom") {
                            let key = s["secretKeyRef"]["key"].as_str().unwrap();
                            assert!(
                                f.contents.contains(&format!("--from-literal={key}=...")),
                                "{where_}: Secret key `{key}` is not in the header's kubectl command"
                            );
                        } else {
                            assert!(e["value"].is_string(), "{where_}: {e}");
                        }
                    }
                }
            }
            for svc in docs.iter().filter(|d| d["kind"] == "Service") {
                let selector = svc["spec"]["selector"].as_object().unwrap();
                let matches = pods_labels.iter().filter(|l| selector.iter().all(|(k, v)| &l[k] == v)).count();
                assert_eq!(matches, 1, "{where_}: Service {} selects {matches} pod templates", svc["metadata"]["name"]);
            }
            for ing in docs.iter().filter(|d| d["kind"] == "Ingress") {
                for rule in ing["spec"]["rules"].as_array().unwrap() {
                    for p in rule["http"]["paths"].as_array().unwrap() {
                        let backend = &p["backend"]["service"];
                        let svc = docs
                            .iter()
                            .find(|d| d["kind"] == "Service" && d["metadata"]["name"] == backend["name"])
                            .unwrap_or_else(|| panic!("{where_}: no Service {}", backend["name"]));
                        let ports = svc["spec"]["ports"].as_array().unwrap();
                        assert!(
                            ports.iter().any(|p| p["port"] == backend["port"]["number"]),
                            "{where_}: Service {} has no port {}",
                            backend["name"],
                            backend["port"]["number"]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn no_secret_is_written_in_compose() {
    for r in tests::render_apps() {
        for f in r.files.iter().filter(|f| f.path.starts_with("compose")) {
            let doc: Value = serde_yaml_ng::from_str(&f.contents).expect("valid YAML");
            for (name, service) in doc["services"].as_object().unwrap() {
                for (var, value) in service["environment"].as_object().into_iter().flatten() {
                    let upper = var.to_ascii_uppercase();
                    if ["PASSWORD", "SECRET", "TOKEN"].iter().any(|w| upper.contains(w)) && value != "yes" {
                        let v = value.as_str().unwrap();
                        assert!(
                            v.starts_with("${") && v.contains(":?"),
                            "{}/{} {name}.{var} is not read from a required variable: {v}",
                            r.stack,
                            r.env
                        );
                    }
                }
            }
        }
    }
}
