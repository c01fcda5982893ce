//! A CloudFormation template too big for one stack, split into nested stacks.
//!
//! CloudFormation's quotas ("Understand CloudFormation quotas", AWS CloudFormation User Guide,
//! `cloudformation-limits.html`, as of 2026; raised from 200 resources, 60 parameters, 60 outputs
//! and 460,800 bytes in 2020): at most **500 resources**, **200 parameters** and **200 outputs**
//! per template, and a template body of at most **1 MB** read from S3 (51,200 bytes when passed
//! inline, which is why a split template is deployed through `aws cloudformation package`).
//! [`Limits::CLOUDFORMATION`] holds them; tests pass smaller ones.
//!
//! A template within the limits is left exactly as it is. A larger one becomes a parent whose
//! resources are `AWS::CloudFormation::Stack`s, one per child template:
//!
//! - **Partition.** Resources are grouped by dependency: the connected parts of the reference
//!   graph (a copy of an environment, say) in order of first appearance, each in dependency order
//!   (a resource after what it refers to, ties by template order). Children are filled in that
//!   order; a group that does not fit in the current child starts a new one when it fits in an
//!   empty one, and only a group larger than a whole child is cut. References therefore only
//!   point to the same or an earlier child, so the children never depend on each other in a
//!   cycle, and fewer references cross a boundary.
//! - **Wiring.** A reference from child B to a resource of child A (`Ref`, `Fn::GetAtt` in
//!   either form, or `${X}` / `${X.Attr}` inside `Fn::Sub`, at any depth of `Fn::Join`,
//!   `Fn::Select`...) becomes an output of A, a `String` parameter of B, and
//!   `Fn::GetAtt [A, Outputs.<name>]` in the parent. The parent's own parameters are passed down
//!   to the children that use them, with their definitions. A `DependsOn` across children becomes
//!   a `DependsOn` between the two stack resources (unless a passed output already orders them).
//!   The parent's outputs keep their ids and exports and read the children's outputs.
//! - **What stays.** `DeletionPolicy`, `UpdateReplacePolicy`, `Metadata`, `Condition` and every
//!   other attribute stay on the resource; conditions and mappings a child uses are copied into
//!   it (with the parameters they read).
//! - **Where children live.** `TemplateURL` is a path relative to the parent,
//!   `<stack>/<Child>.template.json`: `aws cloudformation package` uploads each child and writes
//!   the S3 URL, and cfn-lint follows the path to check the parameters passed against the
//!   child's.
//!
//! Limits: a reference to a list-valued attribute cannot cross a boundary (an output is a
//! string), nor can a `Fn::GetAtt` whose attribute name is itself computed; both are reported as
//! errors. Nothing here knows resource kinds: it works on the rendered template JSON.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

use serde_json::{Map, Value as Json, json};

use crate::cloudformation::Format;
use crate::error::RenderError;

/// The size limits a template must respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Resources per template.
    pub resources: usize,
    /// Bytes of the template body as written.
    pub bytes: usize,
    /// Parameters per template.
    pub parameters: usize,
    /// Outputs per template.
    pub outputs: usize,
}

impl Limits {
    /// CloudFormation's quotas (see the module documentation). 1 MB is taken as 1,000,000
    /// bytes, the smaller reading.
    pub const CLOUDFORMATION: Limits = Limits { resources: 500, bytes: 1_000_000, parameters: 200, outputs: 200 };
}

/// A template split into a parent and its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The parent template.
    pub parent: Json,
    /// Each child: its logical id in the parent (also its file name) and its template.
    pub children: Vec<(String, Json)>,
}

/// The text of a template in `format`, as written to a file.
pub fn to_text(stack: &str, doc: &Json, format: Format) -> Result<String, RenderError> {
    let ser = |e: Box<dyn std::error::Error + Send + Sync>, f: &'static str| RenderError::Serialize {
        stack: stack.to_owned(),
        format: f,
        source: e,
    };
    match format {
        Format::Json => serde_json::to_string_pretty(doc).map(|s| s + "\n").map_err(|e| ser(Box::new(e), "JSON")),
        Format::Yaml => serde_yaml_ng::to_string(doc)
            .map(|t| crate::cloudformation::quote_yaml11_booleans(&t))
            .map_err(|e| ser(Box::new(e), "YAML")),
    }
}

/// The relative path of a child template from its parent: `<stack>/<child>.template.<ext>`.
pub fn child_path(stack: &str, child: &str, format: Format) -> String {
    format!("{stack}/{child}.template.{}", format.extension())
}

/// Splits `template` (of stack `stack`, written in `format`) when it exceeds `limits` in
/// resources or bytes; `None` when it fits as it is.
pub fn split(stack: &str, template: &Json, format: Format, limits: &Limits) -> Result<Option<Split>, RenderError> {
    let resources = template.get("Resources").and_then(Json::as_object).cloned().unwrap_or_default();
    let fits = resources.len() <= limits.resources && to_text(stack, template, format)?.len() <= limits.bytes;
    if fits {
        return Ok(None);
    }
    let err = |message: String| RenderError::Unsupported {
        stack: stack.to_owned(),
        resource: "(template)".into(),
        property: "Resources".into(),
        message,
    };
    let graph = Graph::new(&resources);
    let groups = graph.groups().map_err(|cycle| err(format!("resources refer to each other in a cycle: {cycle}")))?;
    let sizes: Vec<usize> = resources.iter().map(|(id, r)| estimated_size(id, r)).collect();
    if let Some((i, size)) = sizes.iter().enumerate().find(|(_, s)| **s > limits.bytes) {
        return Err(RenderError::Unsupported {
            stack: stack.to_owned(),
            resource: graph.ids[i].clone(),
            property: "Properties".into(),
            message: format!(
                "the resource alone takes about {size} bytes, over CloudFormation's {} per template; make it smaller (e.g. move user data to a file the host downloads)",
                limits.bytes
            ),
        });
    }
    // Fill children within a budget; shrink the budget until every template fits (the sizes
    // are estimates, and wiring adds parameters and outputs).
    let mut budget = Limits { bytes: limits.bytes / 10 * 9, ..*limits };
    loop {
        let chunks = chunk(&groups, &sizes, budget.resources, budget.bytes);
        let result = Builder::new(stack, template, &resources, &graph, &chunks, format).build()?;
        match check(stack, &result, format, limits)? {
            None => return Ok(Some(result)),
            Some(problem) if budget.resources <= 1 => return Err(err(problem)),
            Some(_) => {
                budget.resources = budget.resources * 3 / 4;
                budget.bytes = budget.bytes * 3 / 4;
            }
        }
    }
}

/// The first limit a template of `split` exceeds, if any.
fn check(stack: &str, split: &Split, format: Format, limits: &Limits) -> Result<Option<String>, RenderError> {
    let docs =
        std::iter::once(("the parent", &split.parent)).chain(split.children.iter().map(|(id, t)| (id.as_str(), t)));
    for (name, doc) in docs {
        let count = |key: &str| doc.get(key).and_then(Json::as_object).map_or(0, Map::len);
        let bytes = to_text(stack, doc, format)?.len();
        let problems = [
            (count("Resources"), limits.resources, "resources"),
            (bytes, limits.bytes, "bytes"),
            (count("Parameters"), limits.parameters, "parameters"),
            (count("Outputs"), limits.outputs, "outputs"),
        ];
        if name == "the parent" && problems[0].0 > limits.resources {
            return Ok(Some(format!(
                "the stack needs {} nested stacks, over the {} resources a template takes (a second level of nesting is not supported); make the stack smaller",
                problems[0].0, limits.resources
            )));
        }
        if let Some((n, max, what)) = problems.into_iter().find(|(n, max, _)| n > max) {
            return Ok(Some(format!(
                "{name} of the nested stacks would have {n} {what}, over the {max} a template takes; \
                 use fewer outputs or parameters, or fewer references between parts of the stack"
            )));
        }
    }
    Ok(None)
}

/// Bytes a resource takes in a pretty-printed template (an estimate: JSON at its depth).
fn estimated_size(id: &str, resource: &Json) -> usize {
    let text = serde_json::to_string_pretty(resource).unwrap_or_default();
    text.len() + 4 * text.lines().count() + id.len() + 8
}

/// Resources as nodes, references (and `DependsOn`) as edges.
struct Graph {
    ids: Vec<String>,
    index: HashMap<String, usize>,
    deps: Vec<BTreeSet<usize>>,
}

impl Graph {
    fn new(resources: &Map<String, Json>) -> Self {
        let ids: Vec<String> = resources.keys().cloned().collect();
        let index: HashMap<String, usize> = ids.iter().enumerate().map(|(i, id)| (id.clone(), i)).collect();
        let deps = resources
            .values()
            .map(|r| {
                let mut out = BTreeSet::new();
                let mut r = r.clone();
                for_each_ref(&mut r, &mut |name, _| {
                    if let Some(&j) = index.get(name) {
                        out.insert(j);
                    }
                    None
                });
                for d in depends_on(&r) {
                    if let Some(&j) = index.get(&d) {
                        out.insert(j);
                    }
                }
                out
            })
            .collect();
        Self { ids, index, deps }
    }

    /// Connected parts in order of first appearance, each in dependency order.
    fn groups(&self) -> Result<Vec<Vec<usize>>, String> {
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let n = self.ids.len();
        let mut parent: Vec<usize> = (0..n).collect();
        for (i, ds) in self.deps.iter().enumerate() {
            for &j in ds {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
        let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            let root = find(&mut parent, i);
            members.entry(root).or_default().push(i);
        }
        // Roots are the smallest index of their part, so BTreeMap order is first appearance.
        let mut groups = Vec::new();
        for (_, nodes) in members {
            groups.push(self.topological(&nodes)?);
        }
        Ok(groups)
    }

    /// Dependencies first, ties broken by template order (Kahn with a min-heap).
    fn topological(&self, nodes: &[usize]) -> Result<Vec<usize>, String> {
        let mut waiting: HashMap<usize, usize> = nodes.iter().map(|&i| (i, self.deps[i].len())).collect();
        let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
        for &i in nodes {
            for &j in &self.deps[i] {
                dependents.entry(j).or_default().push(i);
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> =
            nodes.iter().filter(|i| waiting[i] == 0).map(|&i| Reverse(i)).collect();
        let mut order = Vec::with_capacity(nodes.len());
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &d in dependents.get(&i).into_iter().flatten() {
                let w = waiting.get_mut(&d).expect("a node of the part");
                *w -= 1;
                if *w == 0 {
                    ready.push(Reverse(d));
                }
            }
        }
        if order.len() < nodes.len() {
            let stuck: Vec<&str> = nodes.iter().filter(|i| waiting[i] > 0).map(|&i| self.ids[i].as_str()).collect();
            return Err(stuck.join(", "));
        }
        Ok(order)
    }
}

/// Cuts the groups into children of at most `max_resources` and about `max_bytes`.
fn chunk(groups: &[Vec<usize>], sizes: &[usize], max_resources: usize, max_bytes: usize) -> Vec<Vec<usize>> {
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut cur_bytes = 0;
    for group in groups {
        let bytes: usize = group.iter().map(|&i| sizes[i]).sum();
        if cur.len() + group.len() <= max_resources && cur_bytes + bytes <= max_bytes {
            cur.extend(group);
            cur_bytes += bytes;
        } else if group.len() <= max_resources && bytes <= max_bytes {
            chunks.push(std::mem::take(&mut cur));
            cur.clone_from(group);
            cur_bytes = bytes;
        } else {
            for &i in group {
                if !cur.is_empty() && (cur.len() == max_resources || cur_bytes + sizes[i] > max_bytes) {
                    chunks.push(std::mem::take(&mut cur));
                    cur_bytes = 0;
                }
                cur.push(i);
                cur_bytes += sizes[i];
            }
        }
    }
    chunks.push(cur);
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// The `DependsOn` of a resource as a list.
fn depends_on(resource: &Json) -> Vec<String> {
    match resource.get("DependsOn") {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(Json::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

/// What a reference becomes.
enum Target {
    /// `{"Ref": name}` (`${name}` in `Fn::Sub`).
    Ref(String),
    /// `{"Fn::GetAtt": [id, attr]}` (`${id.attr}` in `Fn::Sub`).
    GetAtt(String, String),
}

impl Target {
    fn to_json(&self) -> Json {
        match self {
            Target::Ref(n) => json!({ "Ref": n }),
            Target::GetAtt(id, attr) => json!({ "Fn::GetAtt": [id, attr] }),
        }
    }
    fn to_sub(&self) -> String {
        match self {
            Target::Ref(n) => format!("${{{n}}}"),
            Target::GetAtt(id, attr) => format!("${{{id}.{attr}}}"),
        }
    }
}

/// Calls `f(name, attr)` on every `Ref`, `Fn::GetAtt` and `Fn::Sub` variable inside `json` (the
/// resource attributes `DependsOn`, `Condition` and the policies are not references) and
/// replaces the reference with what `f` returns. `attr` is `None` for a `Ref`, and `Some("")`
/// for a `Fn::GetAtt` whose attribute name is computed.
fn for_each_ref(json: &mut Json, f: &mut dyn FnMut(&str, Option<&str>) -> Option<Target>) {
    match json {
        Json::Object(o) if o.len() == 1 && o.contains_key("Ref") => {
            if let Some(Json::String(name)) = o.get("Ref")
                && let Some(t) = f(&name.clone(), None)
            {
                *json = t.to_json();
            }
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("Fn::GetAtt") => {
            let (id, attr) = match &o["Fn::GetAtt"] {
                Json::String(s) => match s.split_once('.') {
                    Some((id, attr)) => (id.to_owned(), attr.to_owned()),
                    None => (s.clone(), String::new()),
                },
                Json::Array(a) => (
                    a.first().and_then(Json::as_str).unwrap_or_default().to_owned(),
                    a.get(1).and_then(Json::as_str).unwrap_or_default().to_owned(),
                ),
                _ => (String::new(), String::new()),
            };
            if let Some(t) = f(&id, Some(&attr)) {
                *json = t.to_json();
            } else if let Some(Json::Array(a)) = o.get_mut("Fn::GetAtt") {
                // A computed attribute name may itself hold references.
                a.iter_mut().skip(1).for_each(|x| for_each_ref(x, f));
            }
        }
        Json::Object(o) if o.len() == 1 && o.contains_key("Fn::Sub") => {
            let sub = o.get_mut("Fn::Sub").expect("checked");
            let (text, vars) = match sub {
                Json::String(s) => (s, None),
                Json::Array(a) => {
                    let (first, rest) = a.split_at_mut(1);
                    match (first.first_mut(), rest.first_mut()) {
                        (Some(Json::String(s)), vars) => (s, vars),
                        _ => return,
                    }
                }
                _ => return,
            };
            let local: BTreeSet<String> =
                vars.as_ref().and_then(|v| v.as_object()).map(|m| m.keys().cloned().collect()).unwrap_or_default();
            *text = rewrite_sub(text, &local, f);
            if let Some(v) = vars {
                for_each_ref(v, f);
            }
        }
        Json::Object(o) => o.values_mut().for_each(|v| for_each_ref(v, f)),
        Json::Array(a) => a.iter_mut().for_each(|v| for_each_ref(v, f)),
        _ => {}
    }
}

/// Rewrites the `${Name}` / `${Name.Attr}` variables of a `Fn::Sub` string (not `${!Literal}`
/// nor the sub's own variables).
fn rewrite_sub(
    text: &str,
    local: &BTreeSet<String>,
    f: &mut dyn FnMut(&str, Option<&str>) -> Option<Target>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let var = &after[..end];
        let replaced = if var.starts_with('!') || local.contains(var) {
            None
        } else {
            match var.split_once('.') {
                Some((id, attr)) => f(id, Some(attr)),
                None => f(var, None),
            }
        };
        if let Some(t) = replaced {
            out.push_str(&t.to_sub());
        } else {
            out.push_str("${");
            out.push_str(var);
            out.push('}');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Conditions named inside `json` (`Fn::If` and `{"Condition": name}`).
fn conditions_in(json: &Json, out: &mut BTreeSet<String>) {
    match json {
        Json::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("Condition", Json::String(name)) => {
                        out.insert(name.clone());
                    }
                    ("Fn::If", Json::Array(a)) => {
                        if let Some(Json::String(name)) = a.first() {
                            out.insert(name.clone());
                        }
                        a.iter().skip(1).for_each(|x| conditions_in(x, out));
                    }
                    _ => conditions_in(v, out),
                }
            }
        }
        Json::Array(a) => a.iter().for_each(|x| conditions_in(x, out)),
        _ => {}
    }
}

/// Mappings named by `Fn::FindInMap` inside `json`.
fn mappings_in(json: &Json, out: &mut BTreeSet<String>) {
    match json {
        Json::Object(o) => {
            for (k, v) in o {
                if let ("Fn::FindInMap", Json::Array(a)) = (k.as_str(), v)
                    && let Some(Json::String(name)) = a.first()
                {
                    out.insert(name.clone());
                }
                mappings_in(v, out);
            }
        }
        Json::Array(a) => a.iter().for_each(|x| mappings_in(x, out)),
        _ => {}
    }
}

/// A value one child passes to another: resource `index`'s `Ref` (`attr` empty) or attribute.
type Export = (usize, String);

/// One child being assembled.
#[derive(Default)]
struct Child {
    resources: Map<String, Json>,
    /// Parent parameters used, by name.
    params: BTreeSet<String>,
    /// Values imported from other children, in order of first use: (export, parameter name).
    imports: Vec<(Export, String)>,
    /// Children that must exist first (from `DependsOn`).
    after: BTreeSet<usize>,
    conditions: BTreeSet<String>,
    mappings: BTreeSet<String>,
}

struct Builder<'a> {
    stack: &'a str,
    template: &'a Json,
    resources: &'a Map<String, Json>,
    graph: &'a Graph,
    chunks: &'a [Vec<usize>],
    format: Format,
    owner: Vec<usize>,
    child_ids: Vec<String>,
    params: &'a Map<String, Json>,
    /// Every name used in the template, so new names do not clash.
    taken: BTreeSet<String>,
    /// Output/parameter name of each export.
    names: BTreeMap<Export, String>,
}

impl<'a> Builder<'a> {
    fn new(
        stack: &'a str,
        template: &'a Json,
        resources: &'a Map<String, Json>,
        graph: &'a Graph,
        chunks: &'a [Vec<usize>],
        format: Format,
    ) -> Self {
        static EMPTY: std::sync::OnceLock<Map<String, Json>> = std::sync::OnceLock::new();
        let params =
            template.get("Parameters").and_then(Json::as_object).unwrap_or_else(|| EMPTY.get_or_init(Map::new));
        let mut taken: BTreeSet<String> = resources.keys().cloned().collect();
        for key in ["Parameters", "Outputs", "Conditions", "Mappings"] {
            if let Some(o) = template.get(key).and_then(Json::as_object) {
                taken.extend(o.keys().cloned());
            }
        }
        let width = chunks.len().to_string().len().max(2);
        let child_ids = (1..=chunks.len())
            .map(|n| {
                let mut id = format!("Nested{n:0width$}");
                while taken.contains(&id) {
                    id.push('X');
                }
                taken.insert(id.clone());
                id
            })
            .collect();
        let mut owner = vec![0; resources.len()];
        for (c, chunk) in chunks.iter().enumerate() {
            for &i in chunk {
                owner[i] = c;
            }
        }
        Self {
            stack,
            template,
            resources,
            graph,
            chunks,
            format,
            owner,
            child_ids,
            params,
            taken,
            names: BTreeMap::new(),
        }
    }

    /// The output (and parameter) name of an export, chosen on first use.
    fn name_of(&mut self, export: &Export) -> String {
        if let Some(n) = self.names.get(export) {
            return n.clone();
        }
        let id = &self.graph.ids[export.0];
        // A `Ref` keeps the resource's id: no child holds both the resource and the parameter.
        let name = if export.1.is_empty() {
            id.clone()
        } else {
            let attr: String = export.1.chars().filter(char::is_ascii_alphanumeric).collect();
            let base = fit_id(&format!("{id}{attr}"));
            let mut name = base.clone();
            let mut n = 2;
            while self.taken.contains(&name) {
                name = fit_id(&format!("{base}{n}"));
                n += 1;
            }
            name
        };
        self.taken.insert(name.clone());
        self.names.insert(export.clone(), name.clone());
        name
    }

    fn err(&self, resource: &str, message: String) -> RenderError {
        RenderError::Unsupported {
            stack: self.stack.to_owned(),
            resource: resource.to_owned(),
            property: "Properties".into(),
            message,
        }
    }

    fn build(mut self) -> Result<Split, RenderError> {
        let mut children: Vec<Child> = Vec::with_capacity(self.chunks.len());
        for (c, chunk) in self.chunks.iter().enumerate() {
            let mut child = Child::default();
            // Resources keep template order inside a child.
            let mut members = chunk.clone();
            members.sort_unstable();
            for i in members {
                let id = self.graph.ids[i].clone();
                let mut resource = self.resources[&id].clone();
                let mut problem = None;
                if let Json::Object(o) = &mut resource {
                    for (key, value) in o.iter_mut() {
                        if matches!(
                            key.as_str(),
                            "Type" | "DependsOn" | "Condition" | "DeletionPolicy" | "UpdateReplacePolicy"
                        ) {
                            continue;
                        }
                        for_each_ref(value, &mut |name, attr| {
                            if self.params.contains_key(name) {
                                child.params.insert(name.to_owned());
                                return None;
                            }
                            let &j = self.graph.index.get(name)?;
                            if self.owner[j] == c {
                                return None;
                            }
                            if attr == Some("") {
                                problem = Some(format!(
                                    "a Fn::GetAtt of `{name}` with a computed attribute name cannot cross into another nested stack"
                                ));
                                return None;
                            }
                            let export = (j, attr.unwrap_or_default().to_owned());
                            let param = self.name_of(&export);
                            if !child.imports.iter().any(|(e, _)| *e == export) {
                                child.imports.push((export, param.clone()));
                            }
                            Some(Target::Ref(param))
                        });
                    }
                    let deps = depends_on(&Json::Object(o.clone()));
                    if !deps.is_empty() {
                        let (inside, outside): (Vec<String>, Vec<String>) =
                            deps.into_iter().partition(|d| self.graph.index.get(d).is_none_or(|&j| self.owner[j] == c));
                        for d in outside {
                            child.after.insert(self.owner[self.graph.index[&d]]);
                        }
                        if inside.is_empty() {
                            o.remove("DependsOn");
                        } else if !matches!(o.get("DependsOn"), Some(Json::String(_))) {
                            o.insert("DependsOn".into(), json!(inside));
                        }
                    }
                }
                if let Some(message) = problem {
                    return Err(self.err(&id, message));
                }
                conditions_in(&resource, &mut child.conditions);
                mappings_in(&resource, &mut child.mappings);
                child.resources.insert(id, resource);
            }
            children.push(child);
        }
        let outputs = self.parent_outputs()?;
        Ok(self.assemble(children, outputs.as_ref()))
    }

    /// The parent's outputs, reading the children's.
    fn parent_outputs(&mut self) -> Result<Option<Json>, RenderError> {
        let Some(mut outputs) = self.template.get("Outputs").cloned() else { return Ok(None) };
        let mut problem = None;
        if let Json::Object(o) = &mut outputs {
            for (out_id, output) in o.iter_mut() {
                if let Some(value) = output.get_mut("Value") {
                    for_each_ref(value, &mut |name, attr| {
                        let &j = self.graph.index.get(name)?;
                        if attr == Some("") {
                            problem = Some((out_id.clone(), name.to_owned()));
                            return None;
                        }
                        let export = (j, attr.unwrap_or_default().to_owned());
                        let out = self.name_of(&export);
                        Some(Target::GetAtt(self.child_ids[self.owner[j]].clone(), format!("Outputs.{out}")))
                    });
                }
            }
        }
        if let Some((out_id, name)) = problem {
            return Err(self.err(
                &out_id,
                format!("a Fn::GetAtt of `{name}` with a computed attribute name cannot be read from a nested stack"),
            ));
        }
        Ok(Some(outputs))
    }

    fn assemble(&self, children: Vec<Child>, parent_outputs: Option<&Json>) -> Split {
        // Which exports each child must publish, in a stable order.
        let mut exported: Vec<BTreeSet<&Export>> = vec![BTreeSet::new(); children.len()];
        for export in self.names.keys() {
            exported[self.owner[export.0]].insert(export);
        }
        let total = children.len();
        let mut out_children = Vec::with_capacity(total);
        let mut parent_resources = Map::new();
        for (c, child) in children.into_iter().enumerate() {
            let (doc, stack_resource) = self.child_template(c, total, child, &exported[c]);
            parent_resources.insert(self.child_ids[c].clone(), stack_resource);
            out_children.push((self.child_ids[c].clone(), doc));
        }
        Split { parent: self.parent_template(parent_resources, parent_outputs), children: out_children }
    }

    /// The conditions a child uses, with the conditions and parent parameters they read.
    fn closure_of_conditions(&self, child: &Child) -> (BTreeSet<String>, BTreeSet<String>) {
        let all_conditions = self.template.get("Conditions").and_then(Json::as_object);
        let mut conditions = child.conditions.clone();
        let mut params = child.params.clone();
        let mut queue: Vec<String> = conditions.iter().cloned().collect();
        while let Some(name) = queue.pop() {
            let Some(body) = all_conditions.and_then(|m| m.get(&name)) else { continue };
            let mut inner = BTreeSet::new();
            conditions_in(body, &mut inner);
            for n in inner {
                if conditions.insert(n.clone()) {
                    queue.push(n);
                }
            }
            let mut body = body.clone();
            for_each_ref(&mut body, &mut |name, _| {
                if self.params.contains_key(name) {
                    params.insert(name.to_owned());
                }
                None
            });
        }
        (conditions, params)
    }

    /// Child `c`'s template and its `AWS::CloudFormation::Stack` resource in the parent.
    fn child_template(&self, c: usize, total: usize, child: Child, exported: &BTreeSet<&Export>) -> (Json, Json) {
        let t = self.template;
        let (conditions, params) = self.closure_of_conditions(&child);
        let mut doc = Map::new();
        for key in ["AWSTemplateFormatVersion", "Transform"] {
            if let Some(v) = t.get(key) {
                doc.insert(key.into(), v.clone());
            }
        }
        let description = t.get("Description").and_then(Json::as_str).unwrap_or(self.stack);
        let mut text = format!("{description} (nested stack {} of {total})", c + 1);
        if text.len() > 1024 {
            text = format!("{} (nested stack {} of {total})", self.stack, c + 1);
        }
        doc.insert("Description".into(), json!(text));
        if let Some(m) = t.get("Metadata") {
            doc.insert("Metadata".into(), m.clone());
        }
        let mut child_params = Map::new();
        let mut passed = Map::new();
        let mut ordered_by_outputs = BTreeSet::new();
        for (name, def) in self.params {
            if params.contains(name) {
                child_params.insert(name.clone(), def.clone());
                passed.insert(name.clone(), json!({ "Ref": name }));
            }
        }
        for ((j, attr), param) in &child.imports {
            let from = self.owner[*j];
            let id = &self.graph.ids[*j];
            let what = if attr.is_empty() { id.clone() } else { format!("{id}.{attr}") };
            child_params.insert(
                param.clone(),
                json!({ "Type": "String", "Description": format!("{what}, from {}", self.child_ids[from]) }),
            );
            passed.insert(param.clone(), json!({ "Fn::GetAtt": [self.child_ids[from], format!("Outputs.{param}")] }));
            ordered_by_outputs.insert(from);
        }
        if !child_params.is_empty() {
            doc.insert("Parameters".into(), Json::Object(child_params));
        }
        for (key, used) in [("Mappings", &child.mappings), ("Conditions", &conditions)] {
            let kept = used_entries(t, key, used);
            if !kept.is_empty() {
                doc.insert(key.into(), Json::Object(kept));
            }
        }
        doc.insert("Resources".into(), Json::Object(child.resources));
        let mut outputs = Map::new();
        for export in exported {
            let id = &self.graph.ids[export.0];
            let (value, what) = if export.1.is_empty() {
                (json!({ "Ref": id }), id.clone())
            } else {
                (json!({ "Fn::GetAtt": [id, export.1] }), format!("{id}.{}", export.1))
            };
            let mut o = Map::new();
            o.insert("Description".into(), json!(format!("{what}, passed on by the parent")));
            o.insert("Value".into(), value);
            if let Some(cond) = self.resources[id].get("Condition") {
                o.insert("Condition".into(), cond.clone());
            }
            outputs.insert(self.names[*export].clone(), Json::Object(o));
        }
        if !outputs.is_empty() {
            doc.insert("Outputs".into(), Json::Object(outputs));
        }
        let mut stack_resource = Map::new();
        stack_resource.insert("Type".into(), json!("AWS::CloudFormation::Stack"));
        let after: Vec<&String> =
            child.after.iter().filter(|a| !ordered_by_outputs.contains(*a)).map(|&a| &self.child_ids[a]).collect();
        if !after.is_empty() {
            stack_resource.insert("DependsOn".into(), json!(after));
        }
        let mut props = Map::new();
        props.insert("TemplateURL".into(), json!(child_path(self.stack, &self.child_ids[c], self.format)));
        if !passed.is_empty() {
            props.insert("Parameters".into(), Json::Object(passed));
        }
        stack_resource.insert("Properties".into(), Json::Object(props));
        (Json::Object(doc), Json::Object(stack_resource))
    }

    /// The parent: the original template with the stack resources instead of the resources,
    /// the outputs reading the children, and only the conditions and mappings they still use.
    fn parent_template(&self, mut resources: Map<String, Json>, outputs: Option<&Json>) -> Json {
        let mut parent = Map::new();
        for (key, value) in self.template.as_object().into_iter().flatten() {
            match key.as_str() {
                "Resources" => {
                    parent.insert(key.clone(), Json::Object(std::mem::take(&mut resources)));
                }
                "Outputs" => {
                    if let Some(o) = outputs {
                        parent.insert(key.clone(), o.clone());
                    }
                }
                "Conditions" | "Mappings" => {
                    let mut used = BTreeSet::new();
                    if let Some(o) = outputs {
                        if key == "Conditions" {
                            conditions_in(o, &mut used);
                        } else {
                            mappings_in(o, &mut used);
                        }
                    }
                    let kept = used_entries(self.template, key, &used);
                    if !kept.is_empty() {
                        parent.insert(key.clone(), Json::Object(kept));
                    }
                }
                _ => {
                    parent.insert(key.clone(), value.clone());
                }
            }
        }
        Json::Object(parent)
    }
}

/// The entries of `template[section]` named in `used`, in template order.
fn used_entries(template: &Json, section: &str, used: &BTreeSet<String>) -> Map<String, Json> {
    template
        .get(section)
        .and_then(Json::as_object)
        .into_iter()
        .flatten()
        .filter(|(k, _)| used.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// An id of at most 255 characters: longer ones are cut and end with a stable hash.
fn fit_id(id: &str) -> String {
    if id.len() <= 255 {
        return id.to_owned();
    }
    format!("{}{:08x}", &id[..247], iac_core::naming::fnv1a(id.as_bytes()))
}
