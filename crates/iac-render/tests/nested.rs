//! The nested-stack split on synthetic templates: limits respected, every reference wired, the
//! original recoverable from the parts, deterministic; and a small forced split as a snapshot.

use std::collections::{BTreeMap, BTreeSet};

use iac_render::Format;
use iac_render::nested::{Limits, Split, split, to_text};
use serde_json::{Map, Value as Json, json};

/// `n` resources, all connected: each refers to its predecessor with `Ref`, to an earlier one
/// with `Fn::GetAtt` (array and string form) inside `Fn::Join`/`Fn::Select`, to others inside
/// `Fn::Sub` (with a parameter and a local variable), and every 11th depends on one far back.
fn synthetic(n: usize) -> Json {
    synthetic_with(n, "")
}

/// [`synthetic`] with every resource id prefixed.
fn synthetic_with(n: usize, prefix: &str) -> Json {
    let r = |i: usize| format!("{prefix}R{i}");
    let mut resources = Map::new();
    for i in 0..n {
        let mut props = json!({ "Name": format!("r{i}"), "Image": { "Ref": "ImageId" } });
        if i > 0 {
            props["Previous"] = json!({ "Ref": r(i - 1) });
            props["Joined"] = json!({ "Fn::Join": ["-", [
                { "Fn::GetAtt": [r(i / 2), "Arn"] },
                { "Fn::Select": [0, [{ "Fn::GetAtt": format!("{}.Endpoint.Address", r(i * 2 / 3)) }]] },
            ]] });
        }
        if i >= 7 {
            props["Sub"] = json!({ "Fn::Sub": [
                format!("${{{}}}/${{Env}}/${{{}.Arn}}/${{Local}}/${{!Literal}}/${{AWS::Region}}", r(i - 7), r(i - 3)),
                { "Local": { "Ref": r(i - 5) } },
            ] });
        }
        let mut res = json!({ "Type": "AWS::Test::Thing", "Properties": props });
        if i % 11 == 10 {
            res["DependsOn"] = json!([r(i - 10), r(i - 1)]);
        }
        if i % 100 == 0 {
            res["DeletionPolicy"] = json!("Retain");
            res["Metadata"] = json!({ "note": format!("kept {i}") });
        }
        resources.insert(r(i), res);
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "synthetic",
        "Parameters": {
            "ImageId": { "Type": "AWS::EC2::Image::Id", "Description": "AMI" },
            "Env": { "Type": "String", "Description": "env", "Default": "dev" },
        },
        "Resources": resources,
        "Outputs": {
            "First": { "Description": "first", "Value": { "Ref": r(0) }, "Export": { "Name": "x-First" } },
            "Last": { "Description": "last", "Value": { "Fn::GetAtt": [r(n - 1), "Arn"] } },
            "Both": { "Description": "both", "Value": { "Fn::Sub": format!("${{{}}} ${{{}.Arn}} ${{Env}}", r(1), r(n - 2)) } },
        },
    })
}

/// Names a template refers to (`Ref`, `Fn::GetAtt`, `Fn::Sub`), found independently of the
/// splitter's own walker.
fn referenced(json: &Json, out: &mut BTreeSet<String>) {
    match json {
        Json::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("Ref", Json::String(s)) => {
                        out.insert(s.clone());
                    }
                    ("Fn::GetAtt", Json::Array(a)) => {
                        out.insert(a[0].as_str().unwrap().to_owned());
                    }
                    ("Fn::GetAtt", Json::String(s)) => {
                        out.insert(s.split('.').next().unwrap().to_owned());
                    }
                    ("Fn::Sub", sub) => {
                        let (text, vars) = match sub {
                            Json::String(s) => (s.as_str(), None),
                            Json::Array(a) => (a[0].as_str().unwrap(), a[1].as_object()),
                            _ => unreachable!(),
                        };
                        for part in text.split("${").skip(1) {
                            let Some((var, _)) = part.split_once('}') else { continue };
                            let name = var.split('.').next().unwrap();
                            if !var.starts_with('!') && !vars.is_some_and(|v| v.contains_key(name)) {
                                out.insert(name.to_owned());
                            }
                        }
                        if let Some(v) = vars {
                            v.values().for_each(|x| referenced(x, out));
                        }
                    }
                    _ => referenced(v, out),
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|x| referenced(x, out)),
        _ => {}
    }
}

/// A `DependsOn` (a string or a list) as names.
fn names_in(depends_on: &Json) -> Vec<String> {
    match depends_on {
        Json::String(s) => vec![s.clone()],
        Json::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        other => panic!("DependsOn is {other}"),
    }
}

fn keys(doc: &Json, section: &str) -> BTreeSet<String> {
    doc.get(section).and_then(Json::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// Puts a child's resource back as it was: every imported parameter replaced by the value the
/// exporting child outputs (a `Ref` or `Fn::GetAtt` of the original resource).
fn restore(json: &mut Json, imports: &BTreeMap<String, Json>) {
    match json {
        Json::Object(o)
            if o.len() == 1 && o.get("Ref").and_then(Json::as_str).is_some_and(|r| imports.contains_key(r)) =>
        {
            *json = imports[o["Ref"].as_str().unwrap()].clone();
        }
        Json::Object(o) if o.contains_key("Fn::Sub") => {
            let sub = o.get_mut("Fn::Sub").unwrap();
            let text = match sub {
                Json::String(s) => s,
                Json::Array(a) => {
                    if let Some(v) = a.get_mut(1) {
                        restore(v, imports);
                    }
                    match &mut a[0] {
                        Json::String(s) => s,
                        _ => unreachable!(),
                    }
                }
                _ => unreachable!(),
            };
            for (param, value) in imports {
                let original = match value {
                    Json::Object(v) if v.contains_key("Ref") => format!("${{{}}}", v["Ref"].as_str().unwrap()),
                    Json::Object(v) => format!(
                        "${{{}.{}}}",
                        v["Fn::GetAtt"][0].as_str().unwrap(),
                        v["Fn::GetAtt"][1].as_str().unwrap()
                    ),
                    _ => unreachable!(),
                };
                *text = text.replace(&format!("${{{param}}}"), &original);
            }
        }
        Json::Object(o) => o.values_mut().for_each(|v| restore(v, imports)),
        Json::Array(a) => a.iter_mut().for_each(|v| restore(v, imports)),
        _ => {}
    }
}

/// String-form `Fn::GetAtt` in array form, as the exporting child's output writes it.
fn normalise(json: &mut Json) {
    match json {
        Json::Object(o) if o.len() == 1 && o.get("Fn::GetAtt").is_some_and(Json::is_string) => {
            let s = o["Fn::GetAtt"].as_str().unwrap().to_owned();
            let (id, attr) = s.split_once('.').unwrap();
            *json = json!({ "Fn::GetAtt": [id, attr] });
        }
        Json::Object(o) => o.values_mut().for_each(normalise),
        Json::Array(a) => a.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// Checks everything the split promises against the original.
fn check_split(stack: &str, original: &Json, split: &Split, limits: &Limits) {
    let children: BTreeMap<&str, &Json> = split.children.iter().map(|(id, t)| (id.as_str(), t)).collect();
    let parent_resources = split.parent["Resources"].as_object().unwrap();
    assert_eq!(parent_resources.len(), children.len());
    assert_eq!(keys(&split.parent, "Parameters"), keys(original, "Parameters"));
    assert!(to_text("t", &split.parent, Format::Json).unwrap().len() <= limits.bytes);

    // Where each original resource went: exactly one child.
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for (id, child) in &children {
        let res = child["Resources"].as_object().unwrap();
        assert!(!res.is_empty() && res.len() <= limits.resources, "{id}: {} resources", res.len());
        let bytes = to_text("t", child, Format::Json).unwrap().len();
        assert!(bytes <= limits.bytes, "{id}: {bytes} bytes");
        assert!(keys(child, "Parameters").len() <= limits.parameters && keys(child, "Outputs").len() <= limits.outputs);
        for r in res.keys() {
            assert!(owner.insert(r.clone(), id).is_none(), "{r} is in two children");
        }
    }
    assert_eq!(owner.keys().cloned().collect::<BTreeSet<_>>(), keys(original, "Resources"));

    // Which child must come before which: parameters read from its outputs, or DependsOn.
    let mut before: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (id, res) in parent_resources {
        assert_eq!(res["Type"], "AWS::CloudFormation::Stack");
        assert_eq!(res["Properties"]["TemplateURL"], format!("{stack}/{id}.template.json"));
        let mut refs = BTreeSet::new();
        referenced(res, &mut refs);
        for d in res.get("DependsOn").and_then(Json::as_array).into_iter().flatten() {
            refs.insert(d.as_str().unwrap().to_owned());
        }
        before.insert(id.as_str(), refs);
    }

    for (id, child) in &children {
        let params = keys(child, "Parameters");
        let passed =
            split.parent["Resources"][*id]["Properties"]["Parameters"].as_object().cloned().unwrap_or_default();
        assert_eq!(params, passed.keys().cloned().collect(), "{id}: parameters declared and passed differ");
        // Every passed value is a parent parameter or an output the other child has.
        let mut imports = BTreeMap::new();
        for (p, v) in &passed {
            if let Some(r) = v.get("Ref") {
                assert_eq!(r, p);
                assert!(original["Parameters"].get(p).is_some());
                assert_eq!(child["Parameters"][p], original["Parameters"][p], "{id}: {p} redefined");
            } else {
                let from = v["Fn::GetAtt"][0].as_str().unwrap();
                let out = v["Fn::GetAtt"][1].as_str().unwrap().strip_prefix("Outputs.").unwrap();
                assert_ne!(from, *id);
                let value = children[from]["Outputs"][out]["Value"].clone();
                assert!(!value.is_null(), "{from} has no output {out} for {id}");
                imports.insert(p.clone(), value);
            }
        }
        // No dangling reference: every name is a resource of the child, a parameter or pseudo.
        let own = keys(child, "Resources");
        let mut refs = BTreeSet::new();
        referenced(&child["Resources"], &mut refs);
        referenced(child.get("Outputs").unwrap_or(&Json::Null), &mut refs);
        for r in refs {
            assert!(own.contains(&r) || params.contains(&r) || r.starts_with("AWS::"), "{id}: dangling {r}");
        }
        // Each resource, with its imports put back, is the original one.
        for (rid, res) in child["Resources"].as_object().unwrap() {
            let mut restored = res.clone();
            restore(&mut restored, &imports);
            normalise(&mut restored);
            let mut expected = original["Resources"][rid].clone();
            normalise(&mut expected);
            let deps: Vec<String> =
                expected.as_object_mut().unwrap().remove("DependsOn").map(|d| names_in(&d)).unwrap_or_default();
            let kept: BTreeSet<String> = restored
                .as_object_mut()
                .unwrap()
                .remove("DependsOn")
                .map(|d| names_in(&d).into_iter().collect())
                .unwrap_or_default();
            assert_eq!(restored, expected, "{id}/{rid} differs from the original");
            for d in deps {
                let ok = kept.contains(&d) || before[*id].contains(owner[&d]);
                assert!(ok, "{id}/{rid} depended on {d} (in {}), which nothing orders now", owner[&d]);
            }
        }
    }

    // The parent's outputs read the children's outputs and keep their exports.
    let no_outputs = Map::new();
    let outputs = split.parent.get("Outputs").and_then(Json::as_object).unwrap_or(&no_outputs);
    let expected = original.get("Outputs").and_then(Json::as_object).unwrap_or(&no_outputs);
    assert_eq!(outputs.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
    for (name, out) in outputs {
        assert_eq!(out.get("Export"), original["Outputs"][name].get("Export"));
        let mut refs = BTreeSet::new();
        referenced(&out["Value"], &mut refs);
        for r in refs {
            assert!(
                children.contains_key(r.as_str()) || original["Parameters"].get(&r).is_some(),
                "output {name} reads {r}"
            );
        }
    }
}

#[test]
fn a_template_within_the_limits_is_left_alone() {
    let t = synthetic(40);
    assert!(split("t", &t, Format::Json, &Limits::CLOUDFORMATION).unwrap().is_none());
}

#[test]
fn twelve_hundred_resources_split_into_wired_nested_stacks() {
    let t = synthetic(1200);
    let limits = Limits::CLOUDFORMATION;
    let s = split("t", &t, Format::Json, &limits).unwrap().expect("must split");
    assert!(s.children.len() >= 3, "{} children", s.children.len());
    check_split("t", &t, &s, &limits);
    // First output: R0's Ref, from the child holding R0.
    let first = &s.parent["Outputs"]["First"]["Value"]["Fn::GetAtt"];
    assert_eq!(first[1], "Outputs.R0");
    let child = s.children.iter().find(|(id, _)| id == first[0].as_str().unwrap()).unwrap();
    assert_eq!(child.1["Outputs"]["R0"]["Value"], json!({ "Ref": "R0" }));
    let both = s.parent["Outputs"]["Both"]["Value"]["Fn::Sub"].as_str().unwrap();
    assert!(both.starts_with("${Nested") && both.contains(".Outputs.R1}") && both.ends_with("${Env}"), "{both}");
    // Deterministic: the same input gives the same text.
    let again = split("t", &t, Format::Json, &limits).unwrap().unwrap();
    assert_eq!(s, again);
    for ((a, x), (b, y)) in s.children.iter().zip(&again.children) {
        assert_eq!(a, b);
        assert_eq!(to_text("t", x, Format::Json).unwrap(), to_text("t", y, Format::Json).unwrap());
    }
}

#[test]
fn the_byte_limit_splits_too() {
    let t = synthetic(300);
    let limits = Limits { bytes: 120_000, ..Limits::CLOUDFORMATION };
    let s = split("t", &t, Format::Yaml, &limits).unwrap().expect("over the byte limit");
    assert!(s.children.len() >= 2);
    for (id, c) in &s.children {
        let bytes = to_text("t", c, Format::Yaml).unwrap().len();
        assert!(bytes <= limits.bytes, "{id}: {bytes}");
        assert_eq!(s.parent["Resources"][id]["Properties"]["TemplateURL"], format!("t/{id}.template.yaml"));
    }
}

#[test]
fn separate_parts_stay_whole_and_unwired() {
    // Ten copies of a 30-resource part: 500 per child fits 16 whole copies, no wiring needed.
    let part = synthetic(30);
    let mut resources = Map::new();
    for c in 0..20 {
        let copy = synthetic_with(30, &format!("C{c}"));
        resources.extend(copy["Resources"].as_object().unwrap().clone());
    }
    let t = json!({ "Parameters": part["Parameters"], "Resources": resources });
    let limits = Limits { resources: 100, ..Limits::CLOUDFORMATION };
    let s = split("t", &t, Format::Json, &limits).unwrap().unwrap();
    assert_eq!(s.children.len(), 7, "3 copies (90 resources) per child");
    for (id, c) in &s.children {
        assert!(c.get("Outputs").is_none(), "{id} exports something");
        let prefixes: BTreeSet<String> =
            keys(c, "Resources").iter().map(|r| r.split('R').next().unwrap().to_owned()).collect();
        assert!(prefixes.len() <= 3, "{id}: {prefixes:?}");
    }
    check_split("t", &t, &s, &limits);
}

#[test]
fn a_small_forced_split() {
    let t = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "demo (dev)",
        "Parameters": {
            "ImageId": { "Type": "AWS::EC2::Image::Id", "Description": "AMI" },
            "Unused": { "Type": "String", "Description": "only the parent has it" },
        },
        "Conditions": { "IsProd": { "Fn::Equals": [{ "Ref": "ImageId" }, "ami-prod"] } },
        "Resources": {
            "Vpc": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": "10.0.0.0/16" } },
            "Sg": { "Type": "AWS::EC2::SecurityGroup", "Properties": { "GroupDescription": "sg", "VpcId": { "Ref": "Vpc" } } },
            "Subnet": { "Type": "AWS::EC2::Subnet", "Properties": { "VpcId": { "Ref": "Vpc" }, "CidrBlock": "10.0.0.0/24" } },
            "Db": {
                "Type": "AWS::RDS::DBInstance",
                "DeletionPolicy": "Snapshot",
                "UpdateReplacePolicy": "Snapshot",
                "Properties": { "VPCSecurityGroups": [{ "Fn::GetAtt": ["Sg", "GroupId"] }] },
            },
            "Host": {
                "Type": "AWS::EC2::Instance",
                "DependsOn": ["Db"],
                "Properties": {
                    "ImageId": { "Ref": "ImageId" },
                    "SubnetId": { "Ref": "Subnet" },
                    "UserData": { "Fn::Base64": { "Fn::Sub": "db=${Db.Endpoint.Address} vpc=${Vpc}" } },
                },
            },
            "Bucket": { "Type": "AWS::S3::Bucket", "Condition": "IsProd", "Properties": { "Tags": [{ "Key": "vpc", "Value": { "Ref": "Vpc" } }] } },
        },
        "Outputs": {
            "HostId": { "Description": "host", "Value": { "Ref": "Host" }, "Export": { "Name": "demo-dev-HostId" } },
            "DbAddress": { "Description": "db", "Value": { "Fn::GetAtt": ["Db", "Endpoint.Address"] } },
            "BucketName": { "Condition": "IsProd", "Description": "bucket", "Value": { "Ref": "Bucket" } },
        },
    });
    let limits = Limits { resources: 3, ..Limits::CLOUDFORMATION };
    let s = split("demo", &t, Format::Json, &limits).unwrap().unwrap();
    check_split("demo", &t, &s, &limits);
    let mut all = Map::new();
    all.insert("demo.template.json".into(), s.parent.clone());
    for (id, c) in &s.children {
        all.insert(format!("demo/{id}.template.json"), c.clone());
    }
    insta::assert_json_snapshot!("small_forced_split", Json::Object(all));
}

#[test]
fn depends_on_across_children_orders_the_stacks() {
    let t = json!({
        "Resources": {
            "X": { "Type": "AWS::S3::Bucket" },
            "Y": { "Type": "AWS::S3::Bucket", "DependsOn": "X" },
            "Z": { "Type": "AWS::S3::Bucket", "DependsOn": ["Y", "X"], "Properties": { "Tags": [{ "Key": "k", "Value": { "Fn::Sub": "${Unclosed" } }] } },
        },
    });
    let limits = Limits { resources: 2, ..Limits::CLOUDFORMATION };
    let s = split("t", &t, Format::Json, &limits).unwrap().unwrap();
    assert_eq!(s.children.len(), 2);
    assert_eq!(s.parent["Resources"]["Nested02"]["DependsOn"], json!(["Nested01"]));
    assert!(s.parent["Resources"]["Nested02"]["Properties"].get("Parameters").is_none());
    let z = &s.children[1].1["Resources"]["Z"];
    assert!(z.get("DependsOn").is_none(), "{z}");
    assert_eq!(z["Properties"]["Tags"][0]["Value"]["Fn::Sub"], "${Unclosed", "an unterminated variable is left alone");
    assert_eq!(s.children[0].1["Resources"]["Y"]["DependsOn"], "X", "the string form stays");
    check_split("t", &t, &s, &limits);
}

#[test]
fn a_resource_over_the_byte_limit_is_an_error_naming_it() {
    let t = json!({ "Resources": {
        "Small": { "Type": "AWS::S3::Bucket" },
        "Huge": { "Type": "AWS::S3::Bucket", "Properties": { "Blob": "x".repeat(5000) } },
    } });
    let limits = Limits { bytes: 2000, ..Limits::CLOUDFORMATION };
    let err = split("demo", &t, Format::Json, &limits).unwrap_err().to_string();
    assert!(err.contains("stack `demo` resource `Huge`") && err.contains("2000"), "{err}");
}

/// Files as (path, contents).
type Files = Vec<(String, String)>;

/// `t`'s files as [`iac_render::nested::write`] streams them (resources handed over one at a
/// time), and as [`split`] and [`to_text`] give them in memory.
fn streamed_and_in_memory(t: &Json, format: Format, limits: &Limits) -> (Files, Files) {
    let object = t.as_object().unwrap();
    let at = object.keys().position(|k| k == "Resources").unwrap();
    let head: Map<String, Json> = object.iter().take(at).map(|(k, v)| (k.clone(), v.clone())).collect();
    let tail: Map<String, Json> = object.iter().skip(at + 1).map(|(k, v)| (k.clone(), v.clone())).collect();
    let resources: Vec<(String, Json)> =
        t["Resources"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let pieces = iac_render::nested::Pieces {
        head,
        resources: Box::new(resources.into_iter().map(Ok)),
        tail: Box::new(move || Ok(tail)),
    };
    let mut sink: Vec<iac_render::OutputFile> = Vec::new();
    iac_render::nested::write("t", pieces, format, limits, std::path::Path::new("cfn"), &mut sink).unwrap();
    let streamed = sink.into_iter().map(|f| (f.path.display().to_string(), f.contents)).collect();
    let ext = format.extension();
    let in_memory = match split("t", t, format, limits).unwrap() {
        None => vec![(format!("cfn/t.template.{ext}"), to_text("t", t, format).unwrap())],
        Some(s) => std::iter::once((format!("cfn/t.template.{ext}"), to_text("t", &s.parent, format).unwrap()))
            .chain(
                s.children
                    .iter()
                    .map(|(id, c)| (format!("cfn/t/{id}.template.{ext}"), to_text("t", c, format).unwrap())),
            )
            .collect(),
    };
    (streamed, in_memory)
}

#[test]
fn streaming_writes_the_same_bytes_as_the_split_in_memory() {
    let cases = [
        (synthetic(40), Format::Json, Limits::CLOUDFORMATION),
        (synthetic(40), Format::Yaml, Limits::CLOUDFORMATION),
        // Over the resource limit: the texts are kept without indentation until the partition is known.
        (synthetic(1200), Format::Json, Limits::CLOUDFORMATION),
        (synthetic(300), Format::Json, Limits { bytes: 120_000, ..Limits::CLOUDFORMATION }),
        (synthetic(300), Format::Yaml, Limits { bytes: 120_000, ..Limits::CLOUDFORMATION }),
        (synthetic(120), Format::Yaml, Limits { resources: 50, ..Limits::CLOUDFORMATION }),
    ];
    for (t, format, limits) in cases {
        let (streamed, in_memory) = streamed_and_in_memory(&t, format, &limits);
        assert_eq!(streamed.len(), in_memory.len(), "{format:?} {limits:?}");
        for ((a, x), (b, y)) in streamed.iter().zip(&in_memory) {
            assert_eq!(a, b);
            assert!(x == y, "{a} differs ({format:?}, {limits:?})");
        }
    }
}
