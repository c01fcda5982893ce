//! Snapshots of every stack, environment and target: reviewed like code. Update with
//! `INSTA_UPDATE=always cargo test -p tests --test snapshots` and review the diff.

#[test]
fn every_stack_env_and_target() {
    let rendered = tests::render_all();
    assert!(!rendered.is_empty());
    for r in &rendered {
        for f in &r.files {
            let name = format!("{}__{}__{}", r.stack, r.env, f.path.display().to_string().replace('/', "__"));
            insta::assert_snapshot!(name, &f.contents);
        }
    }
}

#[test]
fn output_is_deterministic() {
    let a = tests::render_all();
    let b = tests::render_all();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.files, y.files, "{}/{} rendered differently twice", x.stack, x.env);
    }
}

/// The SDK engine's bake builder user data, which no target writes.
#[test]
fn bake_builder_scripts() {
    let registry = stacks::registry();
    let stack = registry.build("aquamark", "prod", None).expect("aquamark builds");
    assert!(!stack.bakes().is_empty());
    for bake in stack.bakes() {
        let text = iac_render::userdata::builder_script(&stack, bake).expect("renders");
        let packer = iac_render::userdata::bake_script(&stack, bake).expect("renders");
        assert!(text.contains(iac_render::userdata::BAKE_STATUS_TAG) && !packer.contains("iac_bake_signal"));
        insta::assert_snapshot!(format!("aquamark__prod__builder__{}.sh", bake.name), text);
    }
}

/// `synth --target graph` of every stack and environment (not part of `all`).
#[test]
fn dependency_graph_of_every_stack_env() {
    let registry = stacks::registry();
    for def in registry.stacks() {
        for (env, _) in &def.envs {
            let stack = registry.build(def.name, env, None).unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name));
            let files = iac_render::render_target(&stack, iac_render::Target::Graph, iac_render::Format::Json)
                .unwrap_or_else(|e| panic!("{}/{env}: {e}", def.name))
                .files;
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].path, std::path::Path::new("graph").join(format!("{}.dot", def.name)));
            insta::assert_snapshot!(format!("{}__{env}__graph__{}.dot", def.name, def.name), &files[0].contents);
        }
    }
}
